"""Outbound deliveries' rules (the payroll integration and webhooks): which endpoint URLs are
accepted, how a body is signed, how a secret is shown, and the back-off between attempts.

The signature is what a receiver checks (docs/architecture.md, "Payroll integration delivery"):
`X-GqlPortal-Signature: sha256=<hex HMAC-SHA256(secret, timestamp + "." + body)>`, where the
timestamp is `X-GqlPortal-Timestamp` (Unix seconds), so an old request cannot be replayed as new.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import timedelta
from typing import Final
from urllib.parse import urlsplit

from gql_portal.errors import bad_input

DELIVERY_HEADER: Final = "X-GqlPortal-Delivery"
TIMESTAMP_HEADER: Final = "X-GqlPortal-Timestamp"
SIGNATURE_HEADER: Final = "X-GqlPortal-Signature"
EVENT_HEADER: Final = "X-GqlPortal-Event"

MAX_URL_LENGTH: Final = 2000
MIN_SECRET_LENGTH: Final = 24
MAX_SECRET_LENGTH: Final = 200
# Plain http only to this machine, and only outside production (a receiver under test).
LOCAL_HOSTS: Final = frozenset({"localhost", "127.0.0.1", "::1"})

#: After this many failed attempts a delivery is given up (FAILED); "send again" starts anew.
MAX_ATTEMPTS: Final = 8
#: Back-off after the n-th failed attempt: 30 s * 2**(n-1), at most an hour
#: (30 s, 1 min, 2 min, 4 min, 8 min, 16 min, 32 min).
RETRY_BASE_DELAY: Final = timedelta(seconds=30)
RETRY_MAX_DELAY: Final = timedelta(hours=1)


def retry_delay(attempts: int) -> timedelta:
    """The wait after the `attempts`-th failed attempt (1-based)."""
    exponent = min(max(attempts - 1, 0), 16)
    return min(RETRY_BASE_DELAY * 2**exponent, RETRY_MAX_DELAY)


def signature(secret: str, timestamp: str, body: bytes) -> str:
    """`sha256=` and the hex HMAC-SHA256 of `timestamp + "." + body` keyed by `secret`."""
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return f"sha256={mac.hexdigest()}"


def fingerprint(secret: str) -> str:
    """A short, stable mark of a secret, to tell which one is set without showing it."""
    return hashlib.sha256(secret.encode()).hexdigest()[:8]


def check_endpoint_url(url: str, field: str, *, production: bool) -> str:
    """The URL, trimmed, if deliveries may be sent there; BAD_USER_INPUT naming `field`
    otherwise: https with a host name (http only to this machine, outside production), no
    user name or password in it (the URL is shown back), no fragment."""
    url = url.strip()
    if not url or len(url) > MAX_URL_LENGTH:
        raise bad_input(
            field, "INVALID_URL", f"give an https URL of at most {MAX_URL_LENGTH} characters"
        )
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - a port that is not a number raises here
    except ValueError:
        raise bad_input(field, "INVALID_URL", "not a URL") from None
    scheme, host = parts.scheme.lower(), (parts.hostname or "")
    if scheme not in ("http", "https") or not host:
        raise bad_input(field, "INVALID_URL", "give an https URL with a host name")
    if parts.username is not None or parts.password is not None:
        raise bad_input(
            field, "CREDENTIALS_IN_URL", "no user name or password in the URL: it is shown back"
        )
    if parts.fragment:
        raise bad_input(field, "INVALID_URL", "a URL without a fragment (#...)")
    if scheme == "http" and (production or host not in LOCAL_HOSTS):
        raise bad_input(
            field,
            "HTTPS_REQUIRED",
            "deliveries go over https (plain http only to localhost, outside production)",
        )
    return url


def check_secret(secret: str, field: str) -> str:
    """The secret if it is long enough to key a signature; BAD_USER_INPUT naming `field`."""
    if not MIN_SECRET_LENGTH <= len(secret) <= MAX_SECRET_LENGTH:
        raise bad_input(
            field,
            "SECRET_LENGTH",
            f"a secret of {MIN_SECRET_LENGTH} to {MAX_SECRET_LENGTH} characters "
            "(e.g. 32 random bytes as hex)",
        )
    if secret != secret.strip() or not secret.isprintable():
        raise bad_input(field, "SECRET_CHARACTERS", "printable characters, no surrounding space")
    return secret
