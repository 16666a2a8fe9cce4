"""The Origin fence: a second line behind SameSite cookies and CORS preflights.

A request authenticated by the session *cookie* (no bearer token) that can change state (every
POST to /graphql, multipart uploads included) or open a live updates' WebSocket (a cross-site
one with the cookie would be CSWSH) is refused when the browser says it comes from elsewhere:
an `Origin` that is neither `PUBLIC_URL`'s origin nor one of `CORS_ORIGINS` (`Origin: null`
included), or `Sec-Fetch-Site: cross-site` without such an Origin. A bearer
token cannot be sent by another site's page without a preflight, and a request without the
cookie carries no session to abuse, so neither is affected; clients that send no Origin at all
(curl, servers) are not either.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from starlette.requests import HTTPConnection

from gql_portal.auth import SESSION_COOKIE
from gql_portal.config import Settings

_DEFAULT_PORTS = {"http": 80, "https": 443}


def normalized_origin(url: str) -> str | None:
    """`scheme://host[:port]` of a URL or Origin, lower-cased and without a default port;
    None for anything that is not an http(s) origin (such as `null`)."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS or not parts.hostname:
        return None
    host = parts.hostname.lower()
    if ":" in host:  # an IPv6 literal keeps its brackets
        host = f"[{host}]"
    if port is None or port == _DEFAULT_PORTS[scheme]:
        return f"{scheme}://{host}"
    return f"{scheme}://{host}:{port}"


def allowed_origins(settings: Settings) -> frozenset[str]:
    """PUBLIC_URL's origin (our own pages, GraphiQL) and the configured frontends."""
    origins = (normalized_origin(url) for url in (settings.public_url, *settings.cors_origins))
    return frozenset(origin for origin in origins if origin is not None)


def _authenticated_by_cookie(request: HTTPConnection) -> bool:
    scheme, _, credentials = request.headers.get("authorization", "").partition(" ")
    has_bearer = scheme.lower() == "bearer" and bool(credentials.strip())
    return not has_bearer and bool(request.cookies.get(SESSION_COOKIE))


def cross_site_refusal(request: HTTPConnection, settings: Settings) -> str | None:
    """Why this state-changing request is refused (403 FORBIDDEN), or None when it may run."""
    if not _authenticated_by_cookie(request):
        return None
    origin = request.headers.get("origin")
    if origin is not None:
        if normalized_origin(origin) in allowed_origins(settings):
            return None
        return (
            f"Requests with the session cookie are accepted only from {settings.public_url} "
            "or a configured frontend (GQL_PORTAL_CORS_ORIGINS), not from this Origin."
        )
    if request.headers.get("sec-fetch-site", "").strip().lower() == "cross-site":
        return (
            "A cross-site request with the session cookie is refused: send it from "
            f"{settings.public_url} or a configured frontend (GQL_PORTAL_CORS_ORIGINS)."
        )
    return None
