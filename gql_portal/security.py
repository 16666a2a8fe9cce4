"""Secrets: password hashing (argon2id) and opaque tokens stored only as hashes."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

SESSION_TOKEN_PREFIX = "gqps_"
LINK_TOKEN_PREFIX = "gqpl_"


class Passwords:
    """argon2id hashing, run in a thread so a log-in never blocks the event loop."""

    def __init__(self, memory_kib: int = 65536, time_cost: int = 3) -> None:
        self._hasher = PasswordHasher(memory_cost=memory_kib, time_cost=time_cost, parallelism=2)
        # Verified against when the email is unknown, so both cases take the same time.
        self._dummy = self._hasher.hash(secrets.token_urlsafe(16))

    async def hash(self, password: str) -> str:
        return await asyncio.to_thread(self._hasher.hash, password)

    async def verify(self, stored_hash: str | None, password: str) -> bool:
        def run() -> bool:
            try:
                return self._hasher.verify(stored_hash or self._dummy, password) and bool(
                    stored_hash
                )
            except (VerificationError, InvalidHashError):
                return False

        return await asyncio.to_thread(run)


def new_token(prefix: str) -> str:
    return prefix + secrets.token_urlsafe(32)


def token_hash(secret_key: str, token: str) -> str:
    """Keyed hash of a token: a leaked table of hashes is useless without the secret key."""
    return hmac.new(secret_key.encode(), token.encode(), hashlib.sha256).hexdigest()


def link_signature(secret_key: str, *parts: str | int) -> str:
    """The signature of a download link's parts (kept apart from token hashes by its prefix)."""
    message = "link:" + ":".join(str(part) for part in parts)
    return hmac.new(secret_key.encode(), message.encode(), hashlib.sha256).hexdigest()


def link_signature_matches(secret_key: str, signature: str, *parts: str | int) -> bool:
    return hmac.compare_digest(link_signature(secret_key, *parts), signature)
