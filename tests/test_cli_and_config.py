"""The console script and configuration, run as a user runs them."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from gql_portal.config import ConfigError, Settings
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
    "command", [[], ["serve"], ["db"], ["db", "upgrade"], ["demo"], ["export-schema"], ["mail"]]
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
