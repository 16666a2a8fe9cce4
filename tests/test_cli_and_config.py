"""The console script and configuration, run as a user runs them."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest

from gql_portal.clock import FrozenClock
from gql_portal.config import ConfigError, Settings
from gql_portal.db.engine import Database
from gql_portal.mailer import queue_mail
from tests.cli import Cli, make_cli
from tests.conftest import REPO


def run(
    *args: str, env: dict[str, str] | None = None, cwd: Path = REPO
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "gql_portal.cli", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env={**os.environ, **(env or {})},
        timeout=120,
    )


@pytest.mark.parametrize(
    "command",
    [
        [],
        ["serve"],
        ["db"],
        ["db", "upgrade"],
        ["demo"],
        ["export-schema"],
        ["mail"],
        ["accounts"],
        ["accounts", "show"],
        ["accounts", "trial"],
    ],
)
def test_help_everywhere(command: list[str]) -> None:
    result = run(*command, "--help")
    assert result.returncode == 0, result.stderr
    assert "usage: gql-portal" in result.stdout


def test_production_without_a_secret_is_refused_at_start_up(tmp_path: Path) -> None:
    result = run(
        "serve", env={"GQL_PORTAL_MODE": "production", "GQL_PORTAL_SECRET_KEY": ""}, cwd=tmp_path
    )
    assert result.returncode == 2
    assert "GQL_PORTAL_SECRET_KEY is required in production mode" in result.stderr
    with pytest.raises(ConfigError):
        Settings.from_env({"GQL_PORTAL_MODE": "production"})
    with pytest.raises(ConfigError):
        Settings.from_env({"GQL_PORTAL_MODE": "production", "GQL_PORTAL_SECRET_KEY": "short"})


def test_settings_come_from_prefixed_environment_variables(tmp_path: Path) -> None:
    settings = Settings.from_env(
        {
            "GQL_PORTAL_DATABASE_URL": "postgresql+asyncpg://u:p@db/portal",
            "GQL_PORTAL_SMTP_URL": "smtp://mail.example:25",
            "GQL_PORTAL_PUBLIC_URL": "https://portal.example/",
            "GQL_PORTAL_STORAGE_DIR": str(tmp_path),
        }
    )
    assert settings.database_url == "postgresql+asyncpg://u:p@db/portal"
    assert settings.smtp_url == "smtp://mail.example:25"
    assert settings.public_url == "https://portal.example"
    assert settings.storage_dir == tmp_path
    assert Settings.from_env({}).database_url.startswith("sqlite+aiosqlite:///")


def test_db_upgrade_demo_and_mail_on_a_new_database(tmp_path: Path) -> None:
    env = {
        "GQL_PORTAL_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/cli.db",
        "GQL_PORTAL_STORAGE_DIR": str(tmp_path / "storage"),
    }
    first = run("db", "upgrade", env=env)
    assert first.returncode == 0, first.stderr
    assert run("db", "upgrade", env=env).returncode == 0  # idempotent
    demo = run("demo", "--clients", "2", "--employees", "3", env=env)
    assert demo.returncode == 0, demo.stderr
    assert "byra@demo.example" in demo.stdout and "admin@demo.example" in demo.stdout
    again = run("demo", env=env)
    assert again.returncode == 1 and "already has data" in again.stderr
    mail = run("mail", env=env)
    assert mail.returncode == 0, mail.stderr


@pytest.mark.parametrize("value", ["0", "-5", "ten", "1.5"])
def test_a_bad_export_link_lifetime_is_refused_naming_the_variable(value: str) -> None:
    with pytest.raises(ConfigError, match="GQL_PORTAL_EXPORT_LINK_MINUTES"):
        Settings.from_env({"GQL_PORTAL_EXPORT_LINK_MINUTES": value})
    assert Settings.from_env({"GQL_PORTAL_EXPORT_LINK_MINUTES": "30"}).export_link_minutes == 30


@pytest.fixture
def cli(
    capsys: pytest.CaptureFixture[str],
    clock: FrozenClock,
    database_url: str,
    monkeypatch: pytest.MonkeyPatch,
) -> Cli:
    return make_cli(capsys, clock, database_url, monkeypatch)


async def test_mail_shows_the_newest_and_says_how_many_more_and_limit_0_shows_all(
    cli: Cli, database: Database, clock: FrozenClock
) -> None:
    async with database.transaction() as session:
        for number in range(1, 26):
            clock.advance(timedelta(minutes=1))
            queue_mail(
                session,
                clock,
                to=f"person{number}@test.example",
                subject=f"Mail number {number}",
                body="Hej!",
                kind="TEST",
            )

    newest = await cli("mail")  # the default: the newest 20
    assert newest.code == 0, newest.err
    assert newest.out.count("Subject:  Mail number") == 20
    assert "Subject:  Mail number 25" in newest.out
    assert "Subject:  Mail number 5\n" not in newest.out
    assert newest.out.rstrip().endswith("… 5 more (use --limit 0 for all)")

    three = await cli("mail", "--limit", "3")
    assert three.out.count("Subject:  Mail number") == 3
    assert three.out.rstrip().endswith("… 22 more (use --limit 0 for all)")

    everything = await cli("mail", "--limit", "0")
    assert everything.code == 0, everything.err
    assert everything.out.count("Subject:  Mail number") == 25
    assert "more (use --limit 0" not in everything.out

    none_sent = await cli("mail", "--status", "SENT", "--limit", "0")
    assert none_sent.out == "The outbox is empty.\n"

    negative = await cli("mail", "--limit", "-1")
    assert negative.code == 2 and "--limit" in negative.err
