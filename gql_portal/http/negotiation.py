"""Which media type an answer of /graphql is in, from the request's `Accept` (RFC 9110 q-values).

- `application/graphql-response+json` (the GraphQL-over-HTTP media type) when the client
  prefers it: status codes then follow that specification (400 for a document that does not
  parse or validate, without `data`; 200 once execution started);
- `application/json` otherwise, exactly as before (legacy clients, no `Accept`, `*/*`);
- None when `Accept` admits neither (the endpoint answers 406).

On equal q-values a type named explicitly beats a wildcard; between two named ones the GraphQL
response type wins (a client that names it understands it), between two wildcards (`*/*`)
`application/json` does, as before.
"""

from __future__ import annotations

GRAPHQL_RESPONSE_JSON = "application/graphql-response+json"
JSON = "application/json"
_SUPPORTED = (GRAPHQL_RESPONSE_JSON, JSON)
# An `Accept` longer than this is not read past it (a header is bounded, but not by us).
_MAX_RANGES = 32


def _ranges(accept: str) -> list[tuple[str, float]]:
    """The media ranges of an `Accept` header with their q-values (bad q-values count as 0)."""
    ranges: list[tuple[str, float]] = []
    for part in accept.split(",")[:_MAX_RANGES]:
        media_range, *parameters = (piece.strip() for piece in part.split(";"))
        if not media_range:
            continue
        quality = 1.0
        for parameter in parameters:
            name, _, value = parameter.partition("=")
            if name.strip().lower() == "q":
                try:
                    quality = min(max(float(value.strip()), 0.0), 1.0)
                except ValueError:
                    quality = 0.0
        ranges.append((media_range.lower(), quality))
    return ranges


def _quality(media_type: str, ranges: list[tuple[str, float]]) -> tuple[float, int]:
    """The q-value the most specific matching range gives `media_type`, and how specific that
    range is (2 named, 1 `application/*`, 0 `*/*`, -1 none)."""
    main = media_type.split("/")[0]
    best: tuple[int, float] = (-1, 0.0)
    for media_range, quality in ranges:
        specificity = {media_type: 2, f"{main}/*": 1, "*/*": 0}.get(media_range, -1)
        if specificity > best[0]:
            best = (specificity, quality)
    return best[1], best[0]


def response_media_type(accept: str | None) -> str | None:
    """The media type to answer in; None when `Accept` admits none we speak (406)."""
    if accept is None or not accept.strip():
        return JSON
    ranges = _ranges(accept)
    scored = []
    for media_type in _SUPPORTED:
        quality, specificity = _quality(media_type, ranges)
        named_first = (media_type == GRAPHQL_RESPONSE_JSON) == (specificity == 2)
        scored.append((quality, specificity, named_first, media_type))
    quality, _, _, chosen = max(scored)
    return chosen if quality > 0 else None
