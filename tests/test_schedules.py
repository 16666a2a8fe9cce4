"""Work schedules (SCHEDULES): admins set them, employees read their own; through HTTP."""

from __future__ import annotations

from gql_portal.db.engine import Database
from tests.conftest import Api, error_codes, only_error
from tests.factories import Factory, gid
from tests.test_time import audit_actions

SCHEDULE = (
    """monday tuesday wednesday thursday friday saturday sunday weeklyHours employee { id }"""
)
SET = f"""mutation($employeeId: ID!, $input: ScheduleInput!) {{
  setSchedule(employeeId: $employeeId, input: $input) {{ schedule {{ {SCHEDULE} }} }} }}"""
READ = f"""query($employeeId: ID) {{ schedule(employeeId: $employeeId) {{ {SCHEDULE} }} }}"""
FULL_TIME = {day: "8" for day in ("monday", "tuesday", "wednesday", "thursday", "friday")}


async def test_an_admin_sets_a_schedule_and_the_employee_reads_it(
    api: Api, factory: Factory, database: Database
) -> None:
    company = await factory.company()
    admin = await factory.admin(company)
    me = await factory.staff(company)
    employee = gid("Employee", me.employee_id or 0)
    assert (await api(READ, {"employeeId": employee}, token=admin.token))["data"][
        "schedule"
    ] is None

    created = await api(SET, {"employeeId": employee, "input": FULL_TIME}, token=admin.token)
    assert "errors" not in created, created
    expected = {
        "monday": "8.00",
        "tuesday": "8.00",
        "wednesday": "8.00",
        "thursday": "8.00",
        "friday": "8.00",
        "saturday": "0.00",
        "sunday": "0.00",
        "weeklyHours": "40.00",
        "employee": {"id": employee},
    }
    assert created["data"]["setSchedule"]["schedule"] == expected
    # Setting it again replaces every day (a day left out is a day off).
    part_time = await api(
        SET,
        {"employeeId": employee, "input": {"monday": "7.5", "tuesday": "7.5"}},
        token=admin.token,
    )
    assert part_time["data"]["setSchedule"]["schedule"]["weeklyHours"] == "15.00"
    assert part_time["data"]["setSchedule"]["schedule"]["friday"] == "0.00"

    own = (await api(READ, {}, token=me.token))["data"]["schedule"]
    assert (own["monday"], own["weeklyHours"]) == ("7.50", "15.00")
    nested = await api("{ viewer { employee { schedule { weeklyHours } } } }", token=me.token)
    assert nested["data"]["viewer"]["employee"]["schedule"] == {"weeklyHours": "15.00"}
    listed = await api(
        "{ employees { edges { node { id schedule { weeklyHours } } } } }", token=admin.token
    )
    assert listed["data"]["employees"]["edges"] == [
        {"node": {"id": employee, "schedule": {"weeklyHours": "15.00"}}}
    ]
    assert await audit_actions(database, company) == ["SCHEDULE_SET", "SCHEDULE_SET"]


async def test_schedule_hours_are_0_to_24_with_two_decimals(api: Api, factory: Factory) -> None:
    company = await factory.company()
    admin = await factory.admin(company)
    employee = gid("Employee", (await factory.employee(company)).id)
    error = only_error(
        await api(
            SET,
            {
                "employeeId": employee,
                "input": {"monday": "24.5", "friday": "-1", "sunday": "1.001"},
            },
            token=admin.token,
        )
    )
    assert (error["code"], error["field"]) == ("BAD_USER_INPUT", "monday")
    assert [(p["field"], p["reason"]) for p in error["problems"]] == [
        ("monday", "OUT_OF_RANGE"),
        ("friday", "OUT_OF_RANGE"),
        ("sunday", "TOO_MANY_DECIMALS"),
    ]
    whole_day = await api(
        SET, {"employeeId": employee, "input": {"monday": "24"}}, token=admin.token
    )
    assert "errors" not in whole_day, whole_day


async def test_employees_read_only_their_own_schedule_and_set_none(
    api: Api, factory: Factory
) -> None:
    company = await factory.company()
    admin = await factory.admin(company)
    me = await factory.staff(company)
    colleague = await factory.staff(company)
    theirs = gid("Employee", colleague.employee_id or 0)
    await api(SET, {"employeeId": theirs, "input": FULL_TIME}, token=admin.token)
    assert error_codes(await api(READ, {"employeeId": theirs}, token=me.token)) == ["NOT_FOUND"]
    assert (await api(READ, {}, token=me.token))["data"]["schedule"] is None
    setting = await api(SET, {"employeeId": theirs, "input": FULL_TIME}, token=me.token)
    assert set(error_codes(setting)) == {"GRAPHQL_VALIDATION_FAILED"}
    other = await factory.company("Annan AB")
    stranger = gid("Employee", (await factory.employee(other)).id)
    assert error_codes(
        await api(SET, {"employeeId": stranger, "input": FULL_TIME}, token=admin.token)
    ) == ["NOT_FOUND"]
