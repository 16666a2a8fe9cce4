"""The `gql-portal` command: serve, db upgrade, demo, export-schema, mail, accounts."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sqlite3
import sys
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, TypeAlias, TypeVar

from gql_portal.clock import Clock
from gql_portal.config import ConfigError, Settings

# Each command imports what it uses inside its function (not to dodge a cycle: the command line
# is the top layer): `db upgrade`, `mail` or `accounts` need not load the GraphQL schema.
if TYPE_CHECKING:
    from gql_portal.db.engine import Database

T = TypeVar("T")


def _settings() -> Settings:
    try:
        return Settings.from_env()
    except ConfigError as error:
        print(f"gql-portal: configuration error: {error}", file=sys.stderr)
        raise SystemExit(2) from None


async def _prepare(settings: Settings, *, demo: bool) -> None:
    """Migrate, and on an empty database load the demo data and print its log-ins."""
    from gql_portal.clock import Clock
    from gql_portal.db.engine import Database
    from gql_portal.db.migrate import upgrade
    from gql_portal.demo import database_is_empty, load_demo
    from gql_portal.storage import Storage, store_for

    database = Database.from_url(settings.database_url)
    try:
        await upgrade(database)
        if demo and await database_is_empty(database):
            store = store_for(settings, database, Storage(settings.storage_dir))
            logins = await load_demo(database, Clock(), store)
            print(f"Demo data loaded. Log in with (password for all: {logins.password}):")
            print(f"  partner firm user: {logins.firm_user}")
            print(f"  client admin:      {logins.client_admin}")
            print(f"  employee:          {logins.employee}")
    finally:
        await database.dispose()


def _check_trusted_documents(settings: Settings) -> None:
    """A bad trusted-documents manifest stops `serve` before any worker starts, in one line."""
    if settings.trusted_documents is None:
        return
    from gql_portal.asgi import trusted_documents

    try:
        count = trusted_documents(settings)
    except ConfigError as error:
        print(f"gql-portal: configuration error: {error}", file=sys.stderr)
        raise SystemExit(2) from None
    print(f"Trusted documents: {count} from {settings.trusted_documents}", flush=True)


def _check_tracing() -> None:
    """Tracing configured with an exporter that is not installed stops `serve` in one line."""
    from gql_portal.tracing import exporter_problem

    if (problem := exporter_problem()) is not None:
        print(f"gql-portal: configuration error: {problem}", file=sys.stderr)
        raise SystemExit(2)


METRICS_DIR = "PROMETHEUS_MULTIPROC_DIR"


def _metrics_directory(workers: int) -> Path | None:
    """Where the workers share their metrics (observability.py), empty before any starts: the
    operator's PROMETHEUS_MULTIPROC_DIR, else with several workers a new temporary directory
    (returned, to be removed when `serve` ends). Set before prometheus_client is imported:
    it picks its storage at import, here and in the workers (which inherit the environment)."""
    given = os.environ.get(METRICS_DIR)
    if given:
        directory = Path(given)
        directory.mkdir(parents=True, exist_ok=True)
        for stale in directory.glob("*.db"):  # a previous run's counts are not this one's
            stale.unlink()
        return None
    if workers <= 1:
        return None
    import tempfile

    created = Path(tempfile.mkdtemp(prefix="gql-portal-metrics-"))
    os.environ[METRICS_DIR] = str(created)
    return created


def cmd_serve(args: argparse.Namespace) -> int:
    import shutil

    created_metrics_dir = _metrics_directory(args.workers)
    try:
        return _serve(args)
    finally:
        if created_metrics_dir is not None:
            shutil.rmtree(created_metrics_dir, ignore_errors=True)


def _serve(args: argparse.Namespace) -> int:
    import uvicorn

    settings = _settings()
    _check_trusted_documents(settings)
    _check_tracing()
    asyncio.run(_prepare(settings, demo=not args.no_demo))
    print(f"GraphQL API and GraphiQL: http://{args.host}:{args.port}/graphql", flush=True)
    from gql_portal.asgi import configure_logging

    os.environ["GQL_PORTAL_LOG_LEVEL"] = args.log_level  # the workers read it too
    configure_logging()  # JSON lines; uvicorn's own loggers propagate to it (log_config=None)
    uvicorn.run(
        "gql_portal.asgi:create",
        factory=True,
        host=args.host,
        port=args.port,
        workers=args.workers,
        loop="uvloop",
        http="httptools",
        proxy_headers=args.proxy_headers,
        log_level=args.log_level,
        log_config=None,
        # After SIGTERM, requests still running past the grace period are cancelled (their
        # transactions roll back) and the process exits; the executor takes turns with the
        # event loop (gql_portal/execution.py), so the signal is heard during a big answer.
        timeout_graceful_shutdown=settings.shutdown_grace_seconds,
    )
    return 0


def cmd_db_upgrade(args: argparse.Namespace) -> int:
    asyncio.run(_prepare(_settings(), demo=False))
    print("Database is at the newest migration.")
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    import time

    from gql_portal.clock import Clock
    from gql_portal.db.engine import Database
    from gql_portal.db.migrate import upgrade
    from gql_portal.demo import database_is_empty, describe, load_demo
    from gql_portal.storage import Storage, store_for

    settings = _settings()

    async def run() -> int:
        database = Database.from_url(settings.database_url)
        started = time.monotonic()
        try:
            await upgrade(database)
            if not await database_is_empty(database):
                print(
                    "The database already has data; demo data goes into a new database only.",
                    file=sys.stderr,
                )
                return 1
            logins = await load_demo(
                database,
                Clock(),
                store_for(settings, database, Storage(settings.storage_dir)),
                clients=args.clients,
                employees=args.employees,
                seed=args.seed,
                big_company=args.big_company,
                progress=lambda line: print(f"  {line}", flush=True),
            )
        finally:
            await database.dispose()
        big = f" and a company of {args.big_company}" if args.big_company else ""
        print(
            f"Loaded {args.clients} clients × {args.employees} employees{big} (seed {args.seed}) "
            f"in {time.monotonic() - started:.1f} s; receipts in {settings.storage_dir}. Rows:"
        )
        print("\n".join(describe(logins.rows)))
        print(
            f"Log-ins (password {logins.password}): {logins.firm_user}, "
            f"{logins.client_admin}, {logins.employee}"
        )
        return 0

    return asyncio.run(run())


def cmd_export_schema(args: argparse.Namespace) -> int:
    from gql_portal.permissions.roles import SchemaRole
    from gql_portal.schema.build import full_schema, role_schema

    schema = full_schema() if args.role is None else role_schema(SchemaRole(args.role))
    sys.stdout.write(schema.as_str() + "\n")
    return 0


class NotReady(Exception):
    """The database cannot be used as it is: said in one line, exit 2."""


def _where(url: str) -> str:
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return parsed.database or ":memory:"
    return parsed.render_as_string(hide_password=True)


def _not_migrated(url: str) -> NotReady:
    return NotReady(f"the database at {_where(url)} is not migrated: run `gql-portal db upgrade`")


def _head_revision() -> str | None:
    from alembic.script import ScriptDirectory

    from gql_portal.db.migrate import alembic_config

    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def _check_sqlite_file(url: str) -> None:
    """Read the migration of a SQLite file read-only, without creating it: connecting the
    usual way would leave an empty database file behind (and switch it to WAL)."""
    from sqlalchemy.engine import make_url

    path = make_url(url).database
    if not path or path == ":memory:" or not Path(path).is_file():
        raise _not_migrated(url)
    try:
        connection = sqlite3.connect(f"{Path(path).resolve().as_uri()}?mode=ro", uri=True)
        try:
            row = connection.execute("SELECT version_num FROM alembic_version").fetchone()
        finally:
            connection.close()
    except sqlite3.OperationalError as error:
        if "no such table" in str(error):
            raise _not_migrated(url) from None
        raise NotReady(f"the database at {path} cannot be read: {error}") from None
    except sqlite3.DatabaseError as error:
        raise NotReady(f"the database at {path} cannot be read: {error}") from None
    if row is None or row[0] != _head_revision():
        raise _not_migrated(url)


async def _open_migrated(url: str) -> Database:
    """The database, when it exists and is at the newest migration; else NotReady."""
    from sqlalchemy.exc import DBAPIError, SQLAlchemyError

    from gql_portal.db.engine import Database
    from gql_portal.db.migrate import pending_revisions

    if url.startswith("sqlite"):
        _check_sqlite_file(url)
    database = Database.from_url(url)
    try:
        pending = await pending_revisions(database)
    except (SQLAlchemyError, OSError) as error:
        await database.dispose()
        cause = error.orig if isinstance(error, DBAPIError) and error.orig else error
        reason = str(cause).splitlines()[0] if str(cause) else type(cause).__name__
        raise NotReady(f"cannot open the database at {_where(url)}: {reason}") from None
    if pending:
        await database.dispose()
        raise _not_migrated(url)
    return database


def _with_database(work: Callable[[Database], Awaitable[T]]) -> T:
    """Run `work` on the configured, migrated database; one line and exit 2 when it is not."""
    from gql_portal.accounts_admin import OperatorError

    settings = _settings()

    async def run() -> T:
        database = await _open_migrated(settings.database_url)
        try:
            return await work(database)
        finally:
            await database.dispose()

    try:
        return asyncio.run(run())
    except NotReady as error:
        print(f"gql-portal: {error}", file=sys.stderr)
        raise SystemExit(2) from None
    except OperatorError as error:
        print(f"gql-portal: {error}", file=sys.stderr)
        raise SystemExit(error.exit_code) from None


def cmd_mail(args: argparse.Namespace) -> int:
    from sqlalchemy import func, select

    from gql_portal.db.mail import MailStatus, OutboxMessage
    from gql_portal.mailer import format_outbox, list_outbox

    status = MailStatus(args.status) if args.status else None

    async def run(database: Database) -> tuple[str, int]:
        counting = select(func.count()).select_from(OutboxMessage)
        if status is not None:
            counting = counting.where(OutboxMessage.status == status)
        async with database.session() as session:
            total = await session.scalar(counting) or 0
        limit = total if args.limit == 0 else args.limit  # 0: all of them
        messages = await list_outbox(database, status=status, limit=limit) if limit else []
        return format_outbox(messages), total - len(messages)

    listing, more = _with_database(run)
    print(listing, end="")
    if more > 0:
        print(f"… {more} more (use --limit 0 for all)")
    return 0


def _operator(args: argparse.Namespace) -> str:
    return str(args.operator or os.environ.get("USER") or "")


def cmd_accounts_show(args: argparse.Namespace) -> int:
    from gql_portal.accounts_admin import show

    report = _with_database(lambda database: show(database, args.clock, args.organisation_number))
    print(json.dumps(report.as_json(), indent=2) if args.json else report.as_text())
    return 0


def cmd_accounts_trial(args: argparse.Namespace) -> int:
    from gql_portal.accounts_admin import TrialChange, end_trial, extend_trial

    def work(database: Database) -> Awaitable[TrialChange]:
        if args.end:
            return end_trial(
                database, args.clock, args.organisation_number, operator=_operator(args)
            )
        return extend_trial(
            database, args.clock, args.organisation_number, args.extend, operator=_operator(args)
        )

    change = _with_database(work)
    print(json.dumps(change.as_json(), indent=2) if args.json else change.as_text())
    return 0


def _positive(value: str) -> int:
    number = int(value)
    if number < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return number


def _not_negative(value: str) -> int:
    number = int(value)
    if number < 0:
        raise argparse.ArgumentTypeError("must be at least 0")
    return number


def _extension_days(value: str) -> int:
    from gql_portal.accounts_admin import MAX_EXTENSION_DAYS

    number = _positive(value)
    if number > MAX_EXTENSION_DAYS:
        raise argparse.ArgumentTypeError(f"must be at most {MAX_EXTENSION_DAYS}")
    return number


# What `add_subparsers` returns (argparse has no public name for it).
Commands: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"


def _add_serve(commands: Commands) -> None:
    serve = commands.add_parser("serve", help="migrate, load demo data into a new database, serve")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--workers", type=int, default=1, help="worker processes (default 1)")
    serve.add_argument("--no-demo", action="store_true", help="do not load demo data")
    serve.add_argument("--proxy-headers", action="store_true", help="trust X-Forwarded-* headers")
    serve.add_argument("--log-level", default="info")
    serve.set_defaults(run=cmd_serve)


def _add_db(commands: Commands) -> None:
    db = commands.add_parser("db", help="database maintenance")
    db_commands = db.add_subparsers(dest="db_command", required=True, metavar="COMMAND")
    upgrade = db_commands.add_parser("upgrade", help="apply migrations (idempotent)")
    upgrade.set_defaults(run=cmd_db_upgrade)


def _add_demo(commands: Commands) -> None:
    demo = commands.add_parser("demo", help="load demo data into a new database")
    demo.add_argument("--clients", type=_positive, default=3, help="client companies (default 3)")
    demo.add_argument(
        "--employees", type=_positive, default=5, help="employees per client (default 5)"
    )
    demo.add_argument(
        "--seed", type=int, default=2026, help="random seed: same seed, same data (default 2026)"
    )
    demo.add_argument(
        "--big-company",
        type=_not_negative,
        default=0,
        metavar="N",
        help="one more client company with N employees (admin admin500000@demo.example; "
        "default 0: none)",
    )
    demo.set_defaults(run=cmd_demo)


def _add_export_schema(commands: Commands) -> None:
    from gql_portal.permissions.roles import SchemaRole

    export = commands.add_parser("export-schema", help="print the GraphQL SDL to stdout")
    export.add_argument(
        "--role",
        choices=[role.value for role in SchemaRole],
        help="print one role's projection instead of the full schema",
    )
    export.set_defaults(run=cmd_export_schema)


def _add_mail(commands: Commands) -> None:
    mail = commands.add_parser("mail", help="list the email outbox with texts and links")
    mail.add_argument("--status", choices=["QUEUED", "SENDING", "SENT", "FAILED"])
    mail.add_argument(
        "--limit", type=_not_negative, default=20, help="newest N mails (default 20; 0: all)"
    )
    mail.set_defaults(run=cmd_mail)


def _add_accounts(commands: Commands) -> None:
    accounts = commands.add_parser(
        "accounts", help="support staff: look at a company, extend or end its trial"
    )
    accounts_commands = accounts.add_subparsers(
        dest="accounts_command", required=True, metavar="COMMAND"
    )
    show = accounts_commands.add_parser(
        "show", help="the company, its trial, users and collaborations"
    )
    show.add_argument("organisation_number", metavar="ORGNR", help="with or without the dash")
    show.add_argument("--json", action="store_true", help="print JSON (for scripts)")
    show.set_defaults(run=cmd_accounts_show)
    trial = accounts_commands.add_parser(
        "trial",
        help="extend or end a company's trial (audited)",
        description="Extend or end the trial of a company that is not activated. --extend DAYS "
        "moves a running trial's end DAYS days later; an expired trial gets DAYS days from now. "
        "--end ends it now. Both are written to the company's audit trail with the operator.",
    )
    trial.add_argument("organisation_number", metavar="ORGNR", help="with or without the dash")
    change = trial.add_mutually_exclusive_group(required=True)
    change.add_argument("--extend", type=_extension_days, metavar="DAYS")
    change.add_argument("--end", action="store_true", help="end the trial now")
    trial.add_argument("--operator", metavar="NAME", help="who does it (default: $USER)")
    trial.add_argument("--json", action="store_true", help="print JSON (for scripts)")
    trial.set_defaults(run=cmd_accounts_trial)


# The commands, in the order `--help` lists them.
COMMANDS: tuple[Callable[[Commands], None], ...] = (
    _add_serve,
    _add_db,
    _add_demo,
    _add_export_schema,
    _add_mail,
    _add_accounts,
)


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(
        prog="gql-portal",
        description="GraphQL backend of the time-reporting and payroll-basis service with its "
        "partner portal. Configured by GQL_PORTAL_* environment variables (see README.md).",
    )
    commands = root.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for add_command in COMMANDS:
        add_command(commands)
    return root


def main(argv: Sequence[str] | None = None, *, clock: Clock | None = None) -> int:
    """Run one command. `clock` is for tests (the commands' "now"); the real clock otherwise."""
    args = parser().parse_args(argv)
    args.clock = clock if clock is not None else Clock()
    return int(args.run(args))


if __name__ == "__main__":
    raise SystemExit(main())
