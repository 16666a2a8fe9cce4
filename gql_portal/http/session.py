"""The session a request presents (bearer token or session cookie), and the cookie an answer sets
or deletes.

/graphql and the file downloads read the session the same way; a dead one (logged out, expired,
revoked, or a user removed) is answered with `session_ended`, never run as anonymous.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from gql_portal.auth import SESSION_COOKIE
from gql_portal.config import Settings
from gql_portal.context import CookieToSet
from gql_portal.errors import Code
from gql_portal.http.responses import request_error
from gql_portal.runtime import Runtime


def session_token(request: Request) -> str | None:
    """The bearer token if there is one, else the session cookie."""
    authorization = request.headers.get("authorization", "")
    scheme, _, credentials = authorization.partition(" ")
    if scheme.lower() == "bearer" and credentials.strip():
        return credentials.strip()
    return request.cookies.get(SESSION_COOKIE)


def _secure_cookies(settings: Settings) -> bool:
    return settings.production or settings.public_url.startswith("https")


def delete_session_cookie(response: Response, settings: Settings) -> None:
    response.delete_cookie(
        SESSION_COOKIE, httponly=True, samesite="lax", secure=_secure_cookies(settings)
    )


def apply_cookie_change(response: Response, settings: Settings, change: CookieToSet) -> None:
    """The session cookie an operation set (logging in) or ended (logging out)."""
    if change.value is None:
        delete_session_cookie(response, settings)
        return
    response.set_cookie(
        SESSION_COOKIE,
        change.value,
        max_age=change.max_age,
        httponly=True,
        samesite="lax",
        secure=_secure_cookies(settings),
    )


def session_ended(request: Request, token: str, request_id: str) -> Response:
    """A request that presents a dead session (logged out, expired, revoked, or a user removed)
    is told so with 401, never run as anonymous: a client would otherwise see its fields vanish
    ("Cannot query field ...") instead of "log in again". A dead cookie is deleted with the
    answer, so a browser's next request is anonymous on purpose."""
    response = request_error(
        401,
        Code.UNAUTHENTICATED,
        "Your session has ended (logged out, expired or revoked): log in again.",
        request_id,
    )
    response.headers["www-authenticate"] = 'Bearer error="invalid_token"'
    if request.cookies.get(SESSION_COOKIE) == token:  # not a live cookie beside a dead bearer
        runtime: Runtime = request.app.state.runtime
        delete_session_cookie(response, runtime.settings)
    return response
