"""Settings from environment variables prefixed GQL_PORTAL_, with safe local defaults."""

from __future__ import annotations

import importlib.util
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

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
    # Where receipts and export files are kept (gql_portal/storage): `file:///<folder>` (the
    # storage folder above, the default), `postgresql:` (the app's own PostgreSQL database) or
    # `s3://bucket/prefix?endpoint=...&region=...` (S3-compatible object storage; credentials
    # from AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY). Running exports' temporary files stay in
    # the storage folder whatever the backend.
    storage_url: str = "file:"
    # Retention (jobs/retention.py): export files are deleted this many days after they were
    # written (the export row and its periods' EXPORTED state stay); stored files no row names
    # (a replaced receipt, a crashed job's file) this many hours after they were last stored.
    export_retention_days: int = 30
    orphan_retention_hours: int = 24
    session_days: int = 30
    trial_days: int = 14
    verify_link_hours: int = 48
    reset_link_hours: int = 1
    # Failed log-ins (counted within the window) slow down; they never lock an account out.
    # Per (account, address): this many are free, then each next attempt waits 1, 2, 4 ... s
    # after the last failure, at most login_max_delay_seconds.
    login_free_failures_per_pair: int = 3
    # Past this many failures of an account from all addresses, an address that has failed
    # for it waits from its first failure on (no free ones); an address without failures of
    # its own is never refused. The owner is mailed (at most once per window).
    login_slowdown_failures_per_account: int = 10
    # Past this many failures from one address across all accounts (far above what an office
    # behind one NAT address reaches by mistake), every log-in from it waits likewise.
    login_free_failures_per_address: int = 100
    login_max_delay_seconds: int = 300
    login_failure_window_minutes: int = 15
    # At most one mail of a kind (password reset, new link, "an account exists") to an address
    # per this many minutes, whoever asks.
    mail_repeat_minutes: int = 5
    # An export's download link works this long (and only for the session that asked for it).
    export_link_minutes: int = 10
    # How long an export mutation waits for its file before answering with a RUNNING export.
    export_wait_seconds: float = 5.0
    # A GraphQL request is stopped (503 TIMEOUT, its transaction rolled back) after this long.
    request_timeout_seconds: float = 30.0
    # A GraphQL answer estimated larger than this stops executing: RESPONSE_TOO_LARGE
    # (gql_portal/execution.py).
    max_response_bytes: int = 10 * 1024 * 1024
    # After SIGTERM, requests still running this long are cancelled and the process exits.
    shutdown_grace_seconds: int = 10
    # Cost points (schema/limits.py: objects a query may return, every list counted with its
    # bound) each session and each client address may spend per minute, across all workers;
    # past them: RATE_LIMITED. A 500-employee payroll basis costs about 66,000.
    cost_budget_per_session: int = 2_000_000
    cost_budget_per_address: int = 6_000_000
    # Operations one request may carry as a JSON array (batching); a longer batch is refused
    # whole (BATCH_TOO_LARGE) before any of it runs.
    max_batch: int = 10
    # Browser origins (scheme://host[:port]) of frontends allowed to call the API with the
    # session cookie (CORS). Empty: same-origin only.
    cors_origins: tuple[str, ...] = ()
    # Trusted-documents mode (http/trusted.py): the manifest of the only documents that run,
    # from the clients' builds. None: any document runs (and APQ registers documents).
    trusted_documents: Path | None = None
    # Live updates (GraphQL subscriptions over WebSocket, gql_portal/http/live.py): at most this
    # many subscriptions per connection and per session (all its connections, this worker);
    # the server pings every `live_ping_seconds` and closes a socket silent for twice that;
    # changes to one object within `live_coalesce_ms` are delivered once.
    live_max_per_connection: int = 20
    live_max_per_session: int = 50
    live_ping_seconds: int = 30
    live_coalesce_ms: int = 200
    # Background jobs in the database (gql_portal/jobs/queue.py): a worker holds a job by a
    # lease of `job_lease_seconds`, renewed while it runs; a job whose lease ran out (its
    # worker died) is taken over by another worker, or FAILED after `job_max_attempts` claims.
    # Workers look for queued jobs every `job_poll_seconds` (on PostgreSQL a NOTIFY wakes them
    # at once) and run at most `job_concurrency` at a time each.
    job_lease_seconds: int = 60
    job_poll_seconds: int = 5
    job_max_attempts: int = 3
    job_concurrency: int = 4
    # Test-only: an export job waits this long after it starts (so that a test can kill it
    # while it runs); ignored in production mode.
    export_test_delay_ms: int = 0
    # Queries the compiler handles run as a plan of a few SQL statements (gql_portal/compiled);
    # off: every query takes the resolver path (graphql-core), the reference and the fallback.
    compiled: bool = True
    # Outbound deliveries (payroll integration, webhooks): seconds a POST may take in all.
    delivery_timeout_seconds: int = 10

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

        mode = _mode(get("MODE"))
        secret = _secret(get("SECRET_KEY"), mode)
        defaults = cls()
        public_url = _public_url(get("PUBLIC_URL") or defaults.public_url, mode)
        cors_origins = _origins(get("CORS_ORIGINS"), production=mode == "production")
        numbers: dict[str, Any] = {
            name: _positive_int(get(name.upper()), getattr(defaults, name), name.upper())
            for name in POSITIVE_INT_SETTINGS
        }
        return cls(
            mode=mode,
            database_url=get("DATABASE_URL") or defaults.database_url,
            secret_key=secret or DEV_SECRET,
            smtp_url=get("SMTP_URL"),
            mail_from=get("MAIL_FROM") or defaults.mail_from,
            public_url=public_url,
            cors_origins=cors_origins,
            **_storage(get("STORAGE_URL"), get("STORAGE_DIR"), get("DATABASE_URL")),
            trusted_documents=Path(manifest) if (manifest := get("TRUSTED_DOCUMENTS")) else None,
            export_test_delay_ms=_test_delay(get("EXPORT_TEST_DELAY_MS"), mode),
            compiled=_on_off(get("COMPILED"), defaults.compiled, "COMPILED"),
            **numbers,
        )


# Settings read from GQL_PORTAL_<the name in capitals>, each a whole number above zero.
POSITIVE_INT_SETTINGS = (
    "export_link_minutes",
    "export_retention_days",
    "orphan_retention_hours",
    "login_free_failures_per_pair",
    "login_slowdown_failures_per_account",
    "login_free_failures_per_address",
    "login_max_delay_seconds",
    "login_failure_window_minutes",
    "mail_repeat_minutes",
    "cost_budget_per_session",
    "cost_budget_per_address",
    "max_batch",
    "max_response_bytes",
    "shutdown_grace_seconds",
    "live_max_per_connection",
    "live_max_per_session",
    "live_ping_seconds",
    "live_coalesce_ms",
    "job_lease_seconds",
    "job_poll_seconds",
    "job_max_attempts",
    "job_concurrency",
    "delivery_timeout_seconds",
)


def _mode(value: str | None) -> str:
    mode = (value or "development").lower()
    if mode not in ("development", "production", "test"):
        raise ConfigError(f"{ENV_PREFIX}MODE must be development, production or test, not {mode!r}")
    return mode


def _secret(secret: str | None, mode: str) -> str | None:
    """The secret key; required, and long, in production."""
    if secret is None and mode == "production":
        raise ConfigError(
            f"{ENV_PREFIX}SECRET_KEY is required in production mode: set it to a long random "
            "value (for example: python -c 'import secrets; print(secrets.token_urlsafe(48))')"
        )
    if secret is not None and mode == "production" and len(secret) < 32:
        raise ConfigError(f"{ENV_PREFIX}SECRET_KEY must be at least 32 characters long")
    return secret


def _storage(url: str | None, folder: str | None, database_url: str | None) -> dict[str, Any]:
    """The storage backend's URL and the storage folder (a `file:` URL names the folder)."""
    storage_dir = Path(folder) if folder else Settings().storage_dir
    if url is None:
        return {"storage_url": f"file://{storage_dir.resolve()}", "storage_dir": storage_dir}
    if url.startswith("file://") and len(url) > len("file://"):
        return {"storage_url": url, "storage_dir": Path(url.removeprefix("file://"))}
    if url == "postgresql:":
        if not (database_url or "").startswith("postgresql"):
            raise ConfigError(
                f"{ENV_PREFIX}STORAGE_URL=postgresql: keeps files in the app's own database, "
                f"which must then be PostgreSQL ({ENV_PREFIX}DATABASE_URL=postgresql+asyncpg://...)"
            )
        return {"storage_url": url, "storage_dir": storage_dir}
    if url.startswith("s3://"):
        _check_s3_url(url)
        return {"storage_url": url, "storage_dir": storage_dir}
    raise ConfigError(
        f"{ENV_PREFIX}STORAGE_URL must be file:///<folder>, postgresql: or "
        f"s3://bucket[/prefix][?endpoint=...&region=...], not {url!r}"
    )


def _check_s3_url(url: str) -> None:
    """An s3:// URL must parse, and its client (the `s3` extra) be installed."""
    try:
        parse_s3_url(url)
    except ValueError as error:
        raise ConfigError(f"{ENV_PREFIX}STORAGE_URL: {error}") from None
    if importlib.util.find_spec("obstore") is None:
        raise ConfigError(
            f"{ENV_PREFIX}STORAGE_URL=s3://... needs the S3 client: "
            "pip install 'gql-portal[s3]' (obstore)"
        )


@dataclass(frozen=True)
class S3Location:
    """What an `s3://` storage URL names (gql_portal/storage/s3.py connects to it)."""

    bucket: str
    prefix: str
    endpoint: str | None
    region: str | None


def parse_s3_url(url: str) -> S3Location:
    """`s3://bucket/prefix?endpoint=https://...&region=...` (ValueError when malformed)."""
    parts = urlsplit(url)
    if parts.scheme != "s3" or not parts.netloc:
        raise ValueError("an S3 storage URL is s3://bucket[/prefix][?endpoint=...&region=...]")
    query = parse_qs(parts.query)
    unknown = set(query) - {"endpoint", "region"}
    if unknown:
        raise ValueError(f"unknown S3 URL parameter(s): {', '.join(sorted(unknown))}")
    endpoint = query.get("endpoint", [None])[-1]
    if endpoint is not None and not endpoint.startswith(("http://", "https://")):
        raise ValueError("the S3 endpoint must be an http:// or https:// address")
    return S3Location(
        bucket=parts.netloc,
        prefix=parts.path.strip("/"),
        endpoint=endpoint,
        region=query.get("region", [None])[-1],
    )


def _test_delay(value: str | None, mode: str) -> int:
    """A test's delay in milliseconds (0 or more); never in production."""
    if value is None or mode == "production":
        return 0
    if not value.isdigit():
        raise ConfigError(f"{ENV_PREFIX}EXPORT_TEST_DELAY_MS must be a whole number, not {value!r}")
    return int(value)


def _public_url(value: str, mode: str) -> str:
    public_url = value.rstrip("/")
    if mode == "production" and not public_url.startswith("https://"):
        # Session cookies are marked Secure in production; they only travel over HTTPS.
        raise ConfigError(
            f"{ENV_PREFIX}PUBLIC_URL must be an https:// address in production mode, "
            f"not {public_url!r}"
        )
    return public_url


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


def _on_off(value: str | None, default: bool, name: str) -> bool:
    if value is None:
        return default
    if value.lower() not in ("on", "off"):
        raise ConfigError(f"{ENV_PREFIX}{name} is on or off, not {value!r}")
    return value.lower() == "on"


_ORIGIN = re.compile(r"^https?://[A-Za-z0-9.-]+(:[0-9]{1,5})?$")
_LOCAL_HOSTS = ("localhost", "127.0.0.1")


def _origins(value: str | None, *, production: bool) -> tuple[str, ...]:
    """A comma-separated list of exact origins; no wildcard (the session cookie goes along),
    and in production only https (or a local host's http, for a developer's frontend)."""
    origins = tuple(part.strip().rstrip("/") for part in (value or "").split(",") if part.strip())
    for origin in origins:
        if not _ORIGIN.match(origin):
            raise ConfigError(
                f"{ENV_PREFIX}CORS_ORIGINS: {origin!r} is not an origin like "
                "https://app.example.se (scheme and host, optionally a port; no path, no *)"
            )
        host = origin.split("://", 1)[1].split(":", 1)[0]
        if production and origin.startswith("http://") and host not in _LOCAL_HOSTS:
            raise ConfigError(
                f"{ENV_PREFIX}CORS_ORIGINS: {origin!r} must use https in production mode"
            )
    return origins
