"""File uploads: the GraphQL multipart request spec for POST /graphql.

https://github.com/jaydenseric/graphql-multipart-request-spec: a `multipart/form-data` body
whose fields are, in this order, `operations` (the JSON payload with every file replaced by
null), `map` (JSON: each file field's name → the object paths of its nulls, e.g.
`{"0": ["variables.file"]}`), then the files. `read_multipart` returns the payload with the
files (Starlette `UploadFile`s, spooled to disk beyond 1 MB, which is what Strawberry's
`Upload` scalar passes to resolvers) put in their places.

Strict by design: anything unexpected is a 400 (code BAD_USER_INPUT) before the operation runs.

CSRF: `multipart/form-data` is a content type a plain HTML form on any site may post, without
a CORS preflight. A multipart request must therefore carry a non-empty `GraphQL-Preflight`
(or Apollo's `Apollo-Require-Preflight`) header: a custom header forces the browser to ask first,
which another origin cannot pass.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator
from contextlib import aclosing
from typing import Any

import orjson
from starlette.datastructures import FormData, UploadFile
from starlette.formparsers import MultiPartException, MultiPartParser
from starlette.requests import Request

MAX_MULTIPART_BYTES = 11 * 1024 * 1024  # one 10 MB receipt and the operation around it
MAX_OPERATIONS_BYTES = 1_000_000  # the `operations` and `map` fields, like a JSON body
MAX_FILES = 10
PREFLIGHT_HEADERS = ("graphql-preflight", "apollo-require-preflight")
ORDER = "The multipart fields must be `operations`, then `map`, then the files."


class MultipartError(Exception):
    """A malformed or refused multipart request: answered with `status`, code BAD_USER_INPUT."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


def has_preflight_header(request: Request) -> bool:
    return any(request.headers.get(name, "").strip() for name in PREFLIGHT_HEADERS)


async def read_multipart(request: Request) -> dict[str, Any]:
    """The operation of a GraphQL multipart request, with its files in place.

    Raises MultipartError (400, or 413 when the body is too large).
    """
    if not has_preflight_header(request):
        raise MultipartError(
            "A multipart request needs a non-empty GraphQL-Preflight header (or "
            "Apollo-Require-Preflight): it makes browsers send a CORS preflight, so that other "
            "sites cannot post forms here."
        )
    declared = request.headers.get("content-length")
    if declared is not None:
        if not (declared.strip().isascii() and declared.strip().isdigit()):
            raise MultipartError("The Content-Length header is not a number.")
        if int(declared) > MAX_MULTIPART_BYTES:
            raise _too_large()
    form = await _parse(request)
    try:
        return _operation_with_files(form)
    except BaseException:
        await form.close()
        raise


def _too_large() -> MultipartError:
    return MultipartError(
        f"The request body is too large (at most {MAX_MULTIPART_BYTES // 2**20} MB).", 413
    )


async def _limited(stream: AsyncGenerator[bytes, None], limit: int) -> AsyncGenerator[bytes, None]:
    """The body, stopped as soon as it passes `limit` bytes (whatever Content-Length said)."""
    received = 0
    async for chunk in stream:
        received += len(chunk)
        if received > limit:
            raise _too_large()
        yield chunk


async def _parse(request: Request) -> FormData:
    async with (
        aclosing(request.stream()) as body,
        aclosing(_limited(body, MAX_MULTIPART_BYTES)) as limited,
    ):
        parser = MultiPartParser(
            request.headers,
            limited,
            max_files=MAX_FILES,
            max_fields=2,  # operations and map; everything else must be a file
            max_part_size=MAX_OPERATIONS_BYTES,
        )
        try:
            return await parser.parse()
        except MultiPartException as error:
            raise MultipartError(f"The multipart body is malformed: {error.message}") from None


def _json_field(value: str | UploadFile, name: str) -> Any:
    if not isinstance(value, str):
        raise MultipartError(f"`{name}` must be a plain form field, not a file.")
    try:
        return orjson.loads(value)
    except orjson.JSONDecodeError:
        raise MultipartError(f"The `{name}` field is not valid JSON.") from None


def _operation_with_files(form: FormData) -> dict[str, Any]:
    items = form.multi_items()
    if len(items) < 2 or items[0][0] != "operations" or items[1][0] != "map":
        raise MultipartError(ORDER)
    operations = _json_field(items[0][1], "operations")
    if not isinstance(operations, dict):
        raise MultipartError("`operations` must be one operation as a JSON object (no batching).")
    file_map = _json_field(items[1][1], "map")
    if not isinstance(file_map, dict):
        raise MultipartError("`map` must be a JSON object of file field names to lists of paths.")

    files: dict[str, UploadFile] = {}
    for name, value in items[2:]:
        if not isinstance(value, UploadFile):
            raise MultipartError(ORDER)
        if name in files:
            raise MultipartError(f"The file field `{name}` appears more than once.")
        if name not in file_map:
            raise MultipartError(f"The file field `{name}` is not in `map`.")
        files[name] = value

    for name, paths in file_map.items():
        if name not in files:
            raise MultipartError(f"The file `{name}` named in `map` is missing from the request.")
        if (
            not isinstance(paths, list)
            or not paths
            or not all(isinstance(path, str) for path in paths)
        ):
            raise MultipartError(f"`map` must give `{name}` a non-empty list of paths.")
        for path in paths:
            _put(operations, path, files[name])
    return operations


def _put(operations: dict[str, Any], path: str, upload: UploadFile) -> None:
    """Put `upload` at `path` (e.g. `variables.input.files.0`), where the client left a null."""
    keys = path.split(".")
    variables = operations.get("variables")
    if len(keys) < 2 or keys[0] != "variables" or not isinstance(variables, dict):
        raise MultipartError(
            f"The `map` path `{path}` must point into the operation's variables "
            "(e.g. `variables.file`)."
        )
    container: Any = variables
    for depth, key in enumerate(keys[1:], start=1):
        last = depth == len(keys) - 1
        if isinstance(container, dict) and key in container:
            if last:
                if container[key] is not None:
                    break
                container[key] = upload
                return
            container = container[key]
        elif (
            isinstance(container, list)
            and key.isascii()
            and key.isdigit()
            and int(key) < len(container)
        ):
            if last:
                if container[int(key)] is not None:
                    break
                container[int(key)] = upload
                return
            container = container[int(key)]
        else:
            break
    raise MultipartError(f"The `map` path `{path}` does not point to a null in the variables.")
