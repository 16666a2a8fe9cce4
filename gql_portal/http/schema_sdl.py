"""`GET /graphql/schema.graphql`: the SDL of the caller's role schema, for tools.

Code generators, linters and IDE plugins read a schema from a URL ending in `.graphql` as SDL
text (graphql-config, graphql-codegen, @graphql-eslint). Each viewer is served the schema its
role executes against (`role_schema`, the one the endpoint validates with): anonymous callers
the PUBLIC one, a logged-in caller (cookie or bearer token) their own. A token or cookie that
is unknown, expired or revoked is refused with 401, as everywhere. The full schema (every role's
fields) is served with `?full` in development mode only: elsewhere it would show every role's
fields to anyone who asks (the per-role files are in the repository, tests/golden/).

The text depends only on the role: an ETag lets a tool ask again cheaply (304 while unchanged)."""

from __future__ import annotations

import hashlib
from functools import cache

from starlette.requests import Request
from starlette.responses import Response

from gql_portal.auth import access_for_token
from gql_portal.errors import Code
from gql_portal.http.responses import request_error, request_id_of
from gql_portal.http.session import session_ended, session_token
from gql_portal.permissions.roles import SchemaRole
from gql_portal.runtime import Runtime
from gql_portal.schema.build import full_schema, role_schema

SCHEMA_SDL_PATH = "/graphql/schema.graphql"
# Plain text: a browser shows it, and tools go by the URL's `.graphql` (there is no registered
# media type for SDL; `application/graphql` was a request body type, now withdrawn).
SDL_MEDIA_TYPE = "text/plain; charset=utf-8"
FULL_SCHEMA_FLAG = "full"


@cache
def schema_sdl(role: SchemaRole | None) -> tuple[str, str]:
    """The SDL of `role`'s schema (None: the full schema) and its ETag, made once per process."""
    schema = full_schema() if role is None else role_schema(role)
    sdl = schema.as_str() + "\n"
    return sdl, f'"{hashlib.sha256(sdl.encode()).hexdigest()[:32]}"'


async def schema_file(request: Request) -> Response:
    runtime: Runtime = request.app.state.runtime
    request_id = request_id_of(request)
    token = session_token(request)
    access = await access_for_token(runtime, token)
    if token and not access.signed_in:
        return session_ended(request, token, request_id)
    role: SchemaRole | None = access.role
    if FULL_SCHEMA_FLAG in request.query_params:
        if runtime.settings.mode != "development":
            return request_error(
                403,
                Code.FORBIDDEN,
                "The full schema is served in development mode only; without `full`, this "
                "answers your role's schema.",
                request_id,
                reason="FULL_SCHEMA_IN_DEVELOPMENT_ONLY",
            )
        role = None
    sdl, etag = schema_sdl(role)
    headers = {
        "etag": etag,
        # The caller's own (its role's): kept by its cache only, asked again each time.
        "cache-control": "private, no-cache",
        "vary": "Authorization, Cookie",
        "x-request-id": request_id,
    }
    if etag in {tag.strip() for tag in request.headers.get("if-none-match", "").split(",")}:
        return Response(status_code=304, headers=headers)
    return Response(sdl, headers=headers, media_type=SDL_MEDIA_TYPE)
