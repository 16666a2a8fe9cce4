"""Settings from environment variables prefixed GQL_PORTAL_, with safe local defaults."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

ENV_PREFIX = "GQL_PORTAL_"
DEV_SECRET = "dev-only-insecure-secret-change-me"


class ConfigError(RuntimeError):
    """Raised at start-up when the configuration is unusable."""


@dataclass(frozen=True)
class Settings:
    mode: str = "development"
    database_url: str = "sqlite+aiosqlite:///./gql-portal.db"
    secret_key: str = DEV_SECRET
    smtp_url: str | None = None
    mail_from: str = "gql-portal <no-reply@localhost>"
    public_url: str = "http://127.0.0.1:8000"
    storage_dir: Path = field(default_factory=lambda: Path("./storage"))
    session_days: int = 30
    trial_days: int = 14
    verify_link_hours: int = 48
    reset_link_hours: int = 1
    login_max_failures_per_account: int = 5
    login_max_failures_per_address: int = 20
    login_failure_window_minutes: int = 15
    # An export's download link works this long (and only for the session that asked for it).
    export_link_minutes: int = 10
    # How long an export mutation waits for its file before answering with a RUNNING export.
    export_wait_seconds: float = 5.0
    # A GraphQL request is stopped (503 TIMEOUT, its transaction rolled back) after this long.
    request_timeout_seconds: float = 30.0

    @property
    def production(self) -> bool:
        return self.mode == "production"

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> Settings:
        env = dict(os.environ if environ is None else environ)

        def get(name: str) -> str | None:
            value = env.get(ENV_PREFIX + name)
            return value if value not in (None, "") else None

        mode = (get("MODE") or "development").lower()
        if mode not in ("development", "production", "test"):
            raise ConfigError(
                f"{ENV_PREFIX}MODE must be development, production or test, not {mode!r}"
            )
        secret = get("SECRET_KEY")
        if secret is None and mode == "production":
            raise ConfigError(
                f"{ENV_PREFIX}SECRET_KEY is required in production mode: set it to a long random "
                "value (for example: python -c 'import secrets; print(secrets.token_urlsafe(48))')"
            )
        if secret is not None and mode == "production" and len(secret) < 32:
            raise ConfigError(f"{ENV_PREFIX}SECRET_KEY must be at least 32 characters long")
        defaults = cls()
        return cls(
            mode=mode,
            database_url=get("DATABASE_URL") or defaults.database_url,
            secret_key=secret or DEV_SECRET,
            smtp_url=get("SMTP_URL"),
            mail_from=get("MAIL_FROM") or defaults.mail_from,
            public_url=(get("PUBLIC_URL") or defaults.public_url).rstrip("/"),
            storage_dir=Path(get("STORAGE_DIR") or defaults.storage_dir),
            export_link_minutes=_positive_int(
                get("EXPORT_LINK_MINUTES"), defaults.export_link_minutes, "EXPORT_LINK_MINUTES"
            ),
        )


def _positive_int(value: str | None, default: int, name: str) -> int:
    if value is None:
        return default
    try:
        number = int(value)
    except ValueError:
        number = 0
    if number < 1:
        raise ConfigError(f"{ENV_PREFIX}{name} must be a whole number of at least 1, not {value!r}")
    return number
