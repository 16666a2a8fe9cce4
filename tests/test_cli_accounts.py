"""`gql-portal accounts show|trial`: support staff look at a company and extend or end its trial.

The command runs in-process (`main(argv)`, on the test database and the test clock) and the
company's users then ask the API over real HTTP: what the operator did is what they see."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, update

from gql_portal.clock import FrozenClock
from gql_portal.db.accounts import AuthSession, Company
from gql_portal.db.audit import AuditEvent
from gql_portal.db.collaborations import Collaboration
from gql_portal.db.engine import Database
from gql_portal.domain.accounts import Role
from gql_portal.domain.collaborations import AccessLevel, CollaborationState, Initiator
from gql_portal.domain.identity import format_organisation_number
from tests.cli import Cli, make_cli
from tests.conftest import REPO, Api, only_error
from tests.factories import Factory

TRIAL = "{ viewer { openMenus trial { endsOn daysLeft expired activated } } }"
CHANGE_PASSWORD = 'mutation { changePassword(currentPassword: "wrong", newPassword: "y") }'
AUDIT = "{ auditEvents { edges { node { action area actorName actorFirmName details } } } }"


@pytest.fixture
def cli(
    capsys: pytest.CaptureFixture[str],
    clock: FrozenClock,
    database_url: str,
    monkeypatch: pytest.MonkeyPatch,
) -> Cli:
    return make_cli(capsys, clock, database_url, monkeypatch)


async def trial_company(factory: Factory, name: str = "Bygg & Co AB") -> tuple[Company, str]:
    """A company in its trial (ends 2026-03-16, 14 days from the test clock) and its admin's
    token, valid for 60 days (the clock moves past the trial's end)."""
    company = await factory.company(name, activated=False)
    admin = await factory.admin(company)
    async with factory.database.transaction() as session:
        await session.execute(
            update(AuthSession)
            .where(AuthSession.user_id == admin.user_id)
            .values(expires_at=factory.clock.now() + timedelta(days=60))
        )
    return company, admin.token


async def audit_rows(database: Database, company_id: int) -> list[AuditEvent]:
    async with database.session() as session:
        statement = (
            select(AuditEvent)
            .where(AuditEvent.company_id == company_id, AuditEvent.action.like("TRIAL_%"))
            .order_by(AuditEvent.id)
        )
        return list((await session.scalars(statement)).all())


def one_line(text: str) -> str:
    lines = text.strip().splitlines()
    assert len(lines) == 1, text
    assert "Traceback" not in text
    return lines[0]


# --- show ---------------------------------------------------------------------------------


async def test_show_prints_company_trial_users_and_collaborations(
    cli: Cli, factory: Factory, database: Database, clock: FrozenClock
) -> None:
    company, _ = await trial_company(factory)
    second_admin = await factory.user(company, Role.ADMIN)
    await factory.staff(company)
    firm = await factory.company("Byrån AB", firm=True)
    async with database.transaction() as session:
        for state in (CollaborationState.ACTIVE, CollaborationState.ENDED):
            session.add(
                Collaboration(
                    company_id=company.id,
                    firm_id=firm.id,
                    level=AccessLevel.FULL,
                    state=state,
                    initiated_by=Initiator.CLIENT,
                    created_at=clock.now(),
                    updated_at=clock.now(),
                )
            )
    number = format_organisation_number(company.organisation_number)

    text = await cli("accounts", "show", company.organisation_number)  # without the dash
    assert text.code == 0, text.err
    assert f"Bygg & Co AB ({number})" in text.out
    assert "accounting firm:  no" in text.out
    assert "trial ends on:    2026-03-16 (14 days left)" in text.out
    assert "users:            3" in text.out
    assert second_admin.email in text.out
    assert "collaborations:   2 (1 active, 1 ended)" in text.out

    scripted = await cli("accounts", "show", number, "--json")  # with the dash
    assert scripted.code == 0, scripted.err
    report = json.loads(scripted.out)
    assert report["company"] | {"createdAt": None} == {
        "id": company.id,
        "name": "Bygg & Co AB",
        "organisationNumber": number,
        "accountingFirm": False,
        "createdAt": None,
    }
    assert report["trial"] | {"endsAt": None} == {
        "endsAt": None,
        "endsOn": "2026-03-16",
        "daysLeft": 14,
        "expired": False,
        "activated": False,
        "activatedAt": None,
    }
    assert report["users"]["count"] == 3
    assert len(report["users"]["adminEmails"]) == 2
    assert second_admin.email in report["users"]["adminEmails"]
    assert report["collaborations"] == {"count": 2, "byState": {"ACTIVE": 1, "ENDED": 1}}

    firm_report = json.loads(
        (await cli("accounts", "show", firm.organisation_number, "--json")).out
    )
    assert firm_report["company"]["accountingFirm"] is True
    assert firm_report["trial"]["activated"] is True
    assert firm_report["collaborations"]["count"] == 2  # the firm's side of the same two


async def test_an_unknown_or_malformed_organisation_number_is_one_line_and_exit_2(
    cli: Cli, factory: Factory
) -> None:
    await trial_company(factory)
    unknown = await cli("accounts", "show", "5560360793")
    assert unknown.code == 2
    assert one_line(unknown.err) == ("gql-portal: no company has organisation number 556036-0793")
    assert unknown.out == ""
    malformed = await cli("accounts", "trial", "556036-0794", "--end")
    assert malformed.code == 2
    assert "the check digit" in one_line(malformed.err)


# --- trial --extend -----------------------------------------------------------------------


async def test_extending_a_running_trial_moves_its_end_and_the_api_answers_with_it(
    cli: Cli, api: Api, factory: Factory, database: Database
) -> None:
    company, token = await trial_company(factory)
    before = (await api(TRIAL, token=token))["data"]["viewer"]["trial"]
    assert before == {"endsOn": "2026-03-16", "daysLeft": 14, "expired": False, "activated": False}

    result = await cli(
        "accounts", "trial", company.organisation_number, "--extend", "7", "--operator", "Ola Ops"
    )
    assert result.code == 0, result.err
    assert "extended by 7 days from its end" in result.out
    assert "it now ends on 2026-03-23 (21 days left)" in result.out

    after = (await api(TRIAL, token=token))["data"]["viewer"]["trial"]
    assert after == {"endsOn": "2026-03-23", "daysLeft": 21, "expired": False, "activated": False}

    [event] = await audit_rows(database, company.id)
    assert event.action == "TRIAL_EXTENDED"
    assert event.actor_user_id is None and event.actor_firm_id is None
    assert event.details["operator"] == "Ola Ops"
    assert event.details["days"] == 7
    assert event.details["before"]["endsOn"] == "2026-03-16"
    assert event.details["after"]["endsOn"] == "2026-03-23"
    # The company's admin sees it in the audit trail: an account event without a user.
    trail = (await api(AUDIT, token=token))["data"]["auditEvents"]["edges"]
    [seen] = [edge["node"] for edge in trail if edge["node"]["action"] == "TRIAL_EXTENDED"]
    assert seen["area"] is None and seen["actorName"] is None
    assert json.loads(seen["details"])["operator"] == "Ola Ops"


async def test_extending_an_expired_trial_counts_from_now_and_reopens_the_company(
    cli: Cli, api: Api, factory: Factory, clock: FrozenClock, database: Database
) -> None:
    company, token = await trial_company(factory)
    clock.advance(timedelta(days=20))  # ended 2026-03-16, today is 2026-03-22
    assert only_error(await api(CHANGE_PASSWORD, token=token))["code"] == "TRIAL_EXPIRED"

    result = await cli("accounts", "trial", company.organisation_number, "--extend", "5", "--json")
    assert result.code == 0, result.err
    change = json.loads(result.out)
    assert change["changed"] is True
    assert change["rule"] == "extended by 5 days from now (the trial had expired)"
    assert change["before"]["expired"] is True
    assert change["after"] | {"endsAt": None} == {
        "endsAt": None,
        "endsOn": "2026-03-27",
        "daysLeft": 5,
        "expired": False,
        "activated": False,
        "activatedAt": None,
    }

    trial = (await api(TRIAL, token=token))["data"]["viewer"]["trial"]
    assert trial == {"endsOn": "2026-03-27", "daysLeft": 5, "expired": False, "activated": False}
    # Open again: the wrong current password is now the only thing wrong.
    assert only_error(await api(CHANGE_PASSWORD, token=token))["code"] == "BAD_USER_INPUT"
    [event] = await audit_rows(database, company.id)
    assert event.details["operator"] == "sara.support"  # from $USER
    clock.advance(timedelta(days=5))
    assert only_error(await api(CHANGE_PASSWORD, token=token))["code"] == "TRIAL_EXPIRED"


@pytest.mark.parametrize("days", ["0", "-3", "366", "seven"])
async def test_an_extension_outside_1_to_365_days_is_refused(
    cli: Cli, factory: Factory, database: Database, days: str
) -> None:
    company, _ = await trial_company(factory)
    result = await cli("accounts", "trial", company.organisation_number, "--extend", days)
    assert result.code == 2
    assert "--extend" in result.err
    assert await audit_rows(database, company.id) == []


# --- trial --end --------------------------------------------------------------------------


async def test_ending_a_trial_makes_the_next_request_answer_trial_expired(
    cli: Cli, api: Api, factory: Factory, database: Database
) -> None:
    company, token = await trial_company(factory)
    assert only_error(await api(CHANGE_PASSWORD, token=token))["code"] == "BAD_USER_INPUT"

    result = await cli("accounts", "trial", company.organisation_number, "--end")
    assert result.code == 0, result.err
    assert "trial ended now" in result.out and "it now ends on 2026-03-02" in result.out

    assert only_error(await api(CHANGE_PASSWORD, token=token))["code"] == "TRIAL_EXPIRED"
    viewer = (await api(TRIAL, token=token))["data"]["viewer"]
    assert viewer["trial"] == {
        "endsOn": "2026-03-02",
        "daysLeft": 0,
        "expired": True,
        "activated": False,
    }
    assert viewer["openMenus"] == []

    again = await cli("accounts", "trial", company.organisation_number, "--end")
    assert again.code == 0, again.err
    assert "the trial already ended on 2026-03-02; nothing changed" in again.out

    [event] = await audit_rows(database, company.id)  # the second --end changed nothing
    assert event.action == "TRIAL_ENDED"
    assert event.details["operator"] == "sara.support"
    assert event.details["before"]["endsOn"] == "2026-03-16"
    assert event.details["after"]["endsOn"] == "2026-03-02"


async def test_an_activated_company_has_no_trial_to_change(
    cli: Cli, factory: Factory, database: Database
) -> None:
    company = await factory.company("Aktiverad AB")  # activated 20 days ago
    for change in (["--extend", "10"], ["--end"]):
        result = await cli("accounts", "trial", company.organisation_number, *change)
        assert result.code == 1
        assert one_line(result.err).endswith(
            "was activated on 2026-02-10: it has no trial to change"
        )
    async with database.session() as session:
        row = await session.get_one(Company, company.id)
    assert row.trial_ends_at == company.trial_ends_at
    assert await audit_rows(database, company.id) == []


async def test_without_an_operator_name_nothing_changes(
    cli: Cli, factory: Factory, database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    company, _ = await trial_company(factory)
    monkeypatch.delenv("USER")
    result = await cli("accounts", "trial", company.organisation_number, "--end")
    assert result.code == 2
    assert "--operator NAME" in one_line(result.err)
    assert await audit_rows(database, company.id) == []


# --- a database that is not there ---------------------------------------------------------


def run(*args: str, database: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "gql_portal.cli", *args],
        capture_output=True,
        text=True,
        cwd=REPO,
        env={**os.environ, "GQL_PORTAL_DATABASE_URL": f"sqlite+aiosqlite:///{database}"},
        timeout=120,
    )


@pytest.mark.parametrize(
    "command",
    [
        ["accounts", "show", "556036-0793"],
        ["accounts", "trial", "556036-0793", "--extend", "3"],
        ["mail", "--limit", "0"],
    ],
)
async def test_on_a_database_that_does_not_exist_it_says_so_and_creates_nothing(
    cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, command: list[str]
) -> None:
    missing = tmp_path / "nothing-here.db"
    monkeypatch.setenv("GQL_PORTAL_DATABASE_URL", f"sqlite+aiosqlite:///{missing}")
    result = await cli(*command)
    assert result.code == 2
    assert one_line(result.err) == (
        f"gql-portal: the database at {missing} is not migrated: run `gql-portal db upgrade`"
    )
    assert result.out == ""
    assert os.listdir(tmp_path) == []  # no empty database file, no -wal/-shm


def test_on_an_empty_database_file_it_says_so_and_leaves_the_file_alone(tmp_path: Path) -> None:
    empty = tmp_path / "empty.db"
    empty.touch()
    result = run("accounts", "show", "556036-0793", database=empty)
    assert result.returncode == 2
    assert "is not migrated: run `gql-portal db upgrade`" in one_line(result.stderr)
    assert [path.name for path in tmp_path.iterdir()] == ["empty.db"]
    assert empty.stat().st_size == 0
