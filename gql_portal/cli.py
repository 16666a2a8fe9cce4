"""The `gql-portal` command: serve, db upgrade, demo, export-schema, mail."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from collections.abc import Sequence

from gql_portal.config import ConfigError, Settings


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
    from gql_portal.storage import Storage

    database = Database.from_url(settings.database_url)
    try:
        await upgrade(database)
        if demo and await database_is_empty(database):
            logins = await load_demo(database, Clock(), Storage(settings.storage_dir))
            print(f"Demo data loaded. Log in with (password for all: {logins.password}):")
            print(f"  partner firm user: {logins.firm_user}")
            print(f"  client admin:      {logins.client_admin}")
            print(f"  employee:          {logins.employee}")
    finally:
        await database.dispose()


def cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn

    settings = _settings()
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
    from gql_portal.storage import Storage

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
                Storage(settings.storage_dir),
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


def cmd_mail(args: argparse.Namespace) -> int:
    from gql_portal.db.engine import Database
    from gql_portal.db.mail import MailStatus
    from gql_portal.mailer import format_outbox, list_outbox

    async def run() -> str:
        database = Database.from_url(_settings().database_url)
        try:
            status = MailStatus(args.status) if args.status else None
            return format_outbox(await list_outbox(database, status=status, limit=args.limit))
        finally:
            await database.dispose()

    print(asyncio.run(run()))
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


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(
        prog="gql-portal",
        description="GraphQL backend of the time-reporting and payroll-basis service with its "
        "partner portal. Configured by GQL_PORTAL_* environment variables (see README.md).",
    )
    commands = root.add_subparsers(dest="command", required=True, metavar="COMMAND")

    serve = commands.add_parser("serve", help="migrate, load demo data into a new database, serve")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--workers", type=int, default=1, help="worker processes (default 1)")
    serve.add_argument("--no-demo", action="store_true", help="do not load demo data")
    serve.add_argument("--proxy-headers", action="store_true", help="trust X-Forwarded-* headers")
    serve.add_argument("--log-level", default="info")
    serve.set_defaults(run=cmd_serve)

    db = commands.add_parser("db", help="database maintenance")
    db_commands = db.add_subparsers(dest="db_command", required=True, metavar="COMMAND")
    upgrade = db_commands.add_parser("upgrade", help="apply migrations (idempotent)")
    upgrade.set_defaults(run=cmd_db_upgrade)

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

    export = commands.add_parser("export-schema", help="print the GraphQL SDL to stdout")
    export.add_argument(
        "--role",
        choices=["PUBLIC", "COMPANY_ADMIN", "EMPLOYEE", "PARTNER_PORTAL"],
        help="print one role's projection instead of the full schema",
    )
    export.set_defaults(run=cmd_export_schema)

    mail = commands.add_parser("mail", help="list the email outbox with texts and links")
    mail.add_argument("--status", choices=["QUEUED", "SENDING", "SENT", "FAILED"])
    mail.add_argument("--limit", type=int, default=20)
    mail.set_defaults(run=cmd_mail)
    return root


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    return int(args.run(args))


if __name__ == "__main__":
    raise SystemExit(main())
