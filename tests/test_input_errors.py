"""Input mistakes answer BAD_USER_INPUT naming the path as the client spelled it (`input.phone`,
`input.employeeIds[1]`, `id`) and what is wrong, never quoting the value, and never reach the
log: in the variables (checked before execution, gql_portal/schema/variables.py) and, for our
own scalars and relay ids, written inline in the document."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import httpx
import pytest
from graphql import GraphQLError, OperationDefinitionNode, parse
from graphql.execution.values import get_variable_values

from gql_portal.clock import FrozenClock
from gql_portal.config import Settings
from gql_portal.db.engine import Database
from gql_portal.errors import client_message, coded_extensions
from gql_portal.http.app import create_app
from gql_portal.permissions.roles import SchemaRole
from gql_portal.runtime import Runtime
from gql_portal.schema.build import role_schema
from gql_portal.security import Passwords
from gql_portal.storage import Storage
from tests.accounts import PASSWORD, SIGN_UP, signup_input
from tests.conftest import PUBLIC_URL, Api, SecretWatch, only_error
from tests.factories import Actor, Factory, gid
from tests.test_employees import CREATE, UPDATE_SALARY, new_employee

PIN = "19850312-3385"
BANK_ACCOUNT = "123 456 789-0"
EMPLOYEES = "query($active: Boolean) { employees(active: $active) { totalCount } }"
AUDIT = "query($since: DateTime) { auditEvents(since: $since) { totalCount } }"
ATTACH = """mutation($expenseId: ID!, $file: Upload!) {
  attachReceipt(expenseId: $expenseId, file: $file) { receipt { id } } }"""
EXPORT = """mutation($input: PayrollExportInput!) {
  exportPayrollBasis(input: $input) { export { id } } }"""
COLLABORATIONS = "query($states: [CollaborationState!]) { collaborations(states: $states) { id } }"


def refused(body: dict[str, Any], field: str, reason: str) -> dict[str, Any]:
    """The single error's extensions, checked to be BAD_USER_INPUT at `field` for `reason`."""
    extensions = only_error(body)
    assert (extensions["code"], extensions["field"], extensions["reason"]) == (
        "BAD_USER_INPUT",
        field,
        reason,
    ), body
    assert body["errors"][0]["message"].startswith(f"{field}: "), body
    assert body["data"] is None
    return extensions


def quoted(body: dict[str, Any], *values: str) -> list[str]:
    """The values that the answer repeats (it should repeat none)."""
    text = json.dumps(body, ensure_ascii=False)
    return [value for value in values if value in text]


@pytest.fixture
async def admin(factory: Factory) -> Actor:
    company = await factory.company()
    actor: Actor = await factory.admin(company)
    return actor


async def test_sign_up_without_a_phone_names_it_and_keeps_the_password_out(
    api: Api, no_secrets_in_logs: SecretWatch
) -> None:
    values = signup_input()
    del values["phone"]
    body = await api(SIGN_UP, {"input": values})
    problem = refused(body, "input.phone", "REQUIRED")
    assert problem["problems"] == [
        {"field": "input.phone", "reason": "REQUIRED", "message": "is required (String!)"}
    ]
    assert quoted(body, PASSWORD, values["email"]) == []
    # The request was logged (one line, with its code), the password nowhere in the log.
    assert [logger for logger, _ in no_secrets_in_logs.lines].count("gql_portal.requests") == 1
    assert PASSWORD in no_secrets_in_logs.secrets
    assert not any(PASSWORD in line for _, line in no_secrets_in_logs.lines)


async def test_every_problem_is_listed_and_the_first_named(api: Api) -> None:
    values = signup_input(industry="BANANAS", phone=None)
    del values["name"]
    body = await api(SIGN_UP, {"input": values})
    problem = refused(body, "input.industry", "INVALID_VALUE")
    assert [(p["field"], p["reason"]) for p in problem["problems"]] == [
        ("input.industry", "INVALID_VALUE"),
        ("input.name", "REQUIRED"),
        ("input.phone", "NULL_NOT_ALLOWED"),
    ]
    assert quoted(body, "BANANAS", PASSWORD) == []


async def test_a_misspelt_key_is_an_unknown_field_without_the_salary_data(
    api: Api, factory: Factory, admin: Actor
) -> None:
    employee = await factory.employee(await factory.company("Annan AB"))
    salary = {"salaryAmout": "41000.00", "personalIdentityNumber": PIN}
    salary["bankAccountNumber"] = BANK_ACCOUNT
    body = await api(
        UPDATE_SALARY, {"id": gid("Employee", employee.id), "input": salary}, token=admin.token
    )
    problem = refused(body, "input.salaryAmout", "UNKNOWN_FIELD")
    # No hint outside development mode: it would tell a prober about other roles' fields.
    assert problem["problems"][0]["message"] == "is not a field of EmployeeSalaryInput."
    assert quoted(body, PIN, BANK_ACCOUNT, "41000.00") == []


async def test_development_mode_suggests_the_field_meant(
    settings: Settings,
    database: Database,
    clock: FrozenClock,
    passwords: Passwords,
    tmp_path: Path,
    factory: Factory,
) -> None:
    development = dataclasses.replace(settings, mode="development")
    runtime = Runtime(
        settings=development,
        database=database,
        clock=clock,
        passwords=passwords,
        storage=Storage(tmp_path / "storage"),
    )
    admin = await factory.admin(await factory.company())
    transport = httpx.ASGITransport(app=create_app(runtime), client=("203.0.113.8", 50000))
    async with httpx.AsyncClient(transport=transport, base_url=PUBLIC_URL) as http:
        response = await http.post(
            "/graphql",
            json={
                "query": UPDATE_SALARY,
                "variables": {"id": gid("Employee", 1), "input": {"salaryAmout": "1.00"}},
            },
            headers={"authorization": f"Bearer {admin.token}"},
        )
    problem = refused(response.json(), "input.salaryAmout", "UNKNOWN_FIELD")
    assert problem["problems"][0]["message"] == (
        "is not a field of EmployeeSalaryInput. Did you mean 'salaryAmount' or 'salaryForm'?"
    )


def salary(**overrides: Any) -> dict[str, Any]:
    values = new_employee()
    values["salary"] = {**values["salary"], **overrides}
    return values


# (the input, the path named, the reason, the values the answer must not repeat)
CREATE_MISTAKES = [
    pytest.param(
        new_employee(firstName=None), "input.firstName", "NULL_NOT_ALLOWED", (), id="null"
    ),
    pytest.param(
        new_employee(firstName=90817263), "input.firstName", "WRONG_TYPE", ("90817263",), id="str"
    ),
    pytest.param(
        salary(taxTable="thirty-three"),
        "input.salary.taxTable",
        "WRONG_TYPE",
        ("thirty-three",),
        id="int",
    ),
    pytest.param(
        salary(taxTable=2**40),
        "input.salary.taxTable",
        "INVALID_VALUE",
        (str(2**40),),
        id="int-range",
    ),
    pytest.param(
        salary(employmentForm="FOREVER_AND_EVER"),
        "input.salary.employmentForm",
        "INVALID_VALUE",
        ("FOREVER_AND_EVER",),
        id="enum",
    ),
    pytest.param(
        salary(employmentStart="2024-13-45"),
        "input.salary.employmentStart",
        "INVALID_VALUE",
        ("2024-13-45",),
        id="date",
    ),
    pytest.param(
        salary(employmentExtent="lots-of-it"),
        "input.salary.employmentExtent",
        "INVALID_VALUE",
        ("lots-of-it",),
        id="decimal",
    ),
    pytest.param(
        salary(employmentExtent=80.25),
        "input.salary.employmentExtent",
        "WRONG_TYPE",
        ("80.25",),
        id="decimal-float",
    ),
    pytest.param(
        salary(salaryAmount=38512.75),
        "input.salary.salaryAmount",
        "WRONG_TYPE",
        ("38512.75",),
        id="money-float",
    ),
    pytest.param(
        salary(salaryAmount="38512.755"),
        "input.salary.salaryAmount",
        "INVALID_VALUE",
        ("38512.755",),
        id="money-decimals",
    ),
    pytest.param(
        new_employee(salary="monthly-ish"),
        "input.salary",
        "WRONG_TYPE",
        ("monthly-ish",),
        id="object",
    ),
    pytest.param(
        {k: v for k, v in new_employee().items() if k != "lastName"},
        "input.lastName",
        "REQUIRED",
        (),
        id="missing",
    ),
]


@pytest.mark.parametrize(("values", "field", "reason", "secret"), CREATE_MISTAKES)
async def test_a_bad_value_in_a_nested_input_is_named_by_its_path(
    api: Api,
    admin: Actor,
    values: dict[str, Any],
    field: str,
    reason: str,
    secret: tuple[str, ...],
) -> None:
    body = await api(CREATE, {"input": values}, token=admin.token)
    refused(body, field, reason)
    assert quoted(body, *secret, PIN, BANK_ACCOUNT) == []
    assert (await api("{ employees { totalCount } }", token=admin.token))["data"]["employees"][
        "totalCount"
    ] == 0


async def test_the_messages_say_what_is_expected(api: Api, admin: Actor) -> None:
    async def message(values: dict[str, Any]) -> str:
        body = await api(CREATE, {"input": values}, token=admin.token)
        return str(only_error(body)["problems"][0]["message"])

    assert await message(salary(salaryAmount=38512.75)) == (
        'must be an amount in SEK as a string with at most two decimals, e.g. "1234.50" '
        "(floats are not exact)"
    )
    assert await message(salary(salaryAmount="38512.755")) == (
        "has more than two decimals: an amount in SEK has at most two (öre)"
    )
    assert await message(salary(employmentStart="2024-13-45")) == (
        'must be a date as YYYY-MM-DD, e.g. "2026-03-02"'
    )
    assert await message(salary(employmentForm="FOREVER")) == "is not a value of EmploymentForm."
    assert await message(new_employee(firstName=None)) == "must not be null (String!)"


async def test_top_level_variables_of_each_kind(api: Api, admin: Actor) -> None:
    token = admin.token
    refused(await api(EMPLOYEES, {"active": "yes-please"}, token=token), "active", "WRONG_TYPE")
    refused(await api(AUDIT, {"since": "last-tuesday"}, token=token), "since", "INVALID_VALUE")
    assert "errors" not in await api(AUDIT, {"since": "2026-03-01T00:00:00+01:00"}, token=token)
    missing = await api(UPDATE_SALARY, {"input": {"salaryAmount": "1.00"}}, token=token)
    assert refused(missing, "id", "REQUIRED")["problems"][0]["message"] == "is required ($id: ID!)"
    null = await api(UPDATE_SALARY, {"id": None, "input": {}}, token=token)
    refused(null, "id", "NULL_NOT_ALLOWED")


async def test_a_malformed_relay_id_is_bad_input_before_any_resolver(
    api: Api, admin: Actor
) -> None:
    body = await api(UPDATE_SALARY, {"id": "nonsense-id-4711", "input": {}}, token=admin.token)
    assert refused(body, "id", "INVALID_ID")["problems"][0]["message"] == (
        "is not an id this service gave out"
    )
    assert quoted(body, "nonsense-id-4711") == []
    node = await api("query($id: ID!) { node(id: $id) { id } }", {"id": 4711}, token=admin.token)
    refused(node, "id", "INVALID_ID")


async def test_list_items_are_named_by_their_index(api: Api, admin: Actor) -> None:
    period = gid("PayrollPeriod", 1)
    good = gid("Employee", 1)
    ids = await api(
        EXPORT,
        {"input": {"periodId": period, "format": "PAXML", "employeeIds": [good, "garbage-77"]}},
        token=admin.token,
    )
    refused(ids, "input.employeeIds[1]", "INVALID_ID")
    assert quoted(ids, "garbage-77") == []
    nulls = await api(
        EXPORT,
        {"input": {"periodId": period, "format": "PAXML", "employeeIds": [None]}},
        token=admin.token,
    )
    refused(nulls, "input.employeeIds[0]", "NULL_NOT_ALLOWED")
    states = await api(COLLABORATIONS, {"states": ["ACTIVE", "HALF_ASLEEP"]}, token=admin.token)
    refused(states, "states[1]", "INVALID_VALUE")
    assert quoted(states, "HALF_ASLEEP") == []


async def test_an_upload_variable_must_be_a_file_part(
    api: Api, factory: Factory, admin: Actor
) -> None:
    me = await factory.staff(await factory.company("Tredje AB"))
    body = await api(
        ATTACH,
        {"expenseId": gid("Expense", 1), "file": "C:/kvitton/lunch-secret.pdf"},
        token=me.token,
    )
    # Refused by the resolver before anything is read (tests/test_receipts.py), by its argument.
    refused(body, "file", "NOT_A_FILE")
    assert quoted(body, "lunch-secret") == []


async def test_a_deeply_nested_value_is_refused_where_it_starts(api: Api) -> None:
    values = signup_input()
    nested: Any = "deep"
    for _ in range(200):
        nested = {"x": nested}
    values["phone"] = nested
    body = await api(SIGN_UP, {"input": values})
    refused(body, "input.phone", "WRONG_TYPE")


# -- literals in the document -------------------------------------------------------------------


async def test_a_bad_date_literal_is_bad_input_naming_the_argument(api: Api, admin: Actor) -> None:
    body = await api('{ expenses(from: "2026-13-01") { totalCount } }', token=admin.token)
    problem = refused(body, "from", "INVALID_VALUE")
    assert problem["problems"][0]["message"] == 'must be a date as YYYY-MM-DD, e.g. "2026-03-02"'
    assert quoted(body, "2026-13-01") == []
    assert body["errors"][0]["locations"]  # where in the document


async def test_literals_in_nested_inputs_name_their_path(api: Api, admin: Actor) -> None:
    employee = gid("Employee", 1)
    money = await api(
        f"""mutation {{ updateEmployeeSalary(id: "{employee}", input: {{
              personalIdentityNumber: "{PIN}", salaryAmount: 41234.5 }}) {{ employee {{ id }} }} }}""",
        token=admin.token,
    )
    refused(money, "input.salaryAmount", "WRONG_TYPE")
    assert quoted(money, "41234.5") == []
    node = await api('{ node(id: "nonsense-4711") { id } }', token=admin.token)
    refused(node, "id", "INVALID_ID")
    assert quoted(node, "nonsense-4711") == []
    ids = await api(
        f"""mutation {{ exportPayrollBasis(input: {{ periodId: "{employee}", format: PAXML,
              employeeIds: ["{employee}", "garbage-77"] }}) {{ export {{ id }} }} }}""",
        token=admin.token,
    )
    refused(ids, "input.employeeIds[1]", "INVALID_ID")


async def test_other_literal_mistakes_stay_validation_errors_naming_the_field(
    api: Api, admin: Actor
) -> None:
    body = await api('{ employees(active: "yes") { totalCount } }', token=admin.token)
    extensions = only_error(body)
    assert (extensions["code"], extensions["field"]) == ("GRAPHQL_VALIDATION_FAILED", "active")


async def test_an_operation_name_the_document_lacks_is_bad_input(api: Api) -> None:
    response = await api.http.post(
        "/graphql",
        json={"query": "query A { viewer { context } }", "operationName": "NoSuchOperation"},
    )
    body = response.json()
    refused(body, "operationName", "UNKNOWN_OPERATION")
    assert quoted(body, "NoSuchOperation") == []


# -- graphql-core's own refusal, should one ever get past the check -----------------------------


def test_graphql_cores_variable_errors_are_coded_and_quote_nothing() -> None:
    schema = role_schema(SchemaRole.PUBLIC)._schema
    document = parse(SIGN_UP)
    operation = document.definitions[0]
    assert isinstance(operation, OperationDefinitionNode)
    values = signup_input()
    del values["phone"]
    errors = get_variable_values(schema, operation.variable_definitions or (), {"input": values})
    assert isinstance(errors, list) and errors
    for error in errors:
        assert isinstance(error, GraphQLError) and PASSWORD in error.message  # graphql's words
        assert coded_extensions(error) == {
            "code": "BAD_USER_INPUT",
            "reason": "INVALID_VALUE",
            "field": "input",
        }
        assert PASSWORD not in client_message(error)
