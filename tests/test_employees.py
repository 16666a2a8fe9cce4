"""Employees (EMPLOYEE_CONTACT, EMPLOYEE_SALARY) for admins and employees, through HTTP."""

from __future__ import annotations

from typing import Any

from tests.conftest import Api, error_codes, only_error
from tests.factories import Factory, gid

FIELDS = """id employeeNumber firstName lastName email phone active
  personalIdentityNumber employmentForm employmentExtent salaryForm salaryAmount taxTable taxColumn"""
CREATE = f"""mutation($input: CreateEmployeeInput!) {{ createEmployee(input: $input) {{ employee {{ {FIELDS} }} }} }}"""
LIST = f"""query($first: Int, $after: String, $search: String, $active: Boolean) {{
  employees(first: $first, after: $after, search: $search, active: $active) {{
    totalCount pageInfo {{ hasNextPage endCursor }} edges {{ cursor node {{ {FIELDS} }} }} }} }}"""
UPDATE_CONTACT = """mutation($id: ID!, $input: EmployeeContactInput!) {
  updateEmployeeContact(id: $id, input: $input) { employee { id phone city postalCode employeeNumber } } }"""
UPDATE_SALARY = """mutation($id: ID!, $input: EmployeeSalaryInput!) {
  updateEmployeeSalary(id: $id, input: $input) { employee { id salaryAmount personalIdentityNumber } } }"""
NODE = """query($id: ID!) { node(id: $id) { id ... on Employee { firstName personalIdentityNumber } } }"""


def new_employee(**overrides: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "employeeNumber": "17",
        "firstName": "Karin",
        "lastName": "Lund",
        "email": "karin@kund.example",
        "phone": "070-111 22 33",
        "salary": {
            "personalIdentityNumber": "19850312-3385",
            "employmentStart": "2024-01-01",
            "employmentForm": "PERMANENT",
            "employmentExtent": "100",
            "salaryForm": "MONTHLY",
            "salaryAmount": "38500.00",
            "taxTable": 33,
            "taxColumn": 1,
            "bankClearingNumber": "8327-9",
            "bankAccountNumber": "123 456 789-0",
        },
    }
    values.update(overrides)
    return values


async def test_an_admin_creates_lists_and_updates_employees(api: Api, factory: Factory) -> None:
    company = await factory.company()
    admin = await factory.admin(company)
    created = await api(CREATE, {"input": new_employee()}, token=admin.token)
    assert "errors" not in created, created
    employee = created["data"]["createEmployee"]["employee"]
    assert employee["personalIdentityNumber"] == "198503123385"
    assert employee["salaryAmount"] == "38500.00"
    assert employee["employmentExtent"] == "100.00"

    contact = await api(
        UPDATE_CONTACT,
        {"id": employee["id"], "input": {"city": "Lund", "postalCode": "22100"}},
        token=admin.token,
    )
    assert contact["data"]["updateEmployeeContact"]["employee"]["postalCode"] == "221 00"
    salary = await api(
        UPDATE_SALARY, {"id": employee["id"], "input": {"salaryAmount": "40000"}}, token=admin.token
    )
    assert salary["data"]["updateEmployeeSalary"]["employee"]["salaryAmount"] == "40000.00"

    listed = await api(LIST, {"search": "karin"}, token=admin.token)
    assert listed["data"]["employees"]["totalCount"] == 1


async def test_employees_page_with_first_and_after(api: Api, factory: Factory) -> None:
    company = await factory.company()
    admin = await factory.admin(company)
    for index in range(7):
        await factory.employee(company, last_name=f"Efternamn {index:02d}")
    seen: list[str] = []
    after = None
    while True:
        page = (await api(LIST, {"first": 3, "after": after}, token=admin.token))["data"][
            "employees"
        ]
        seen += [edge["node"]["lastName"] for edge in page["edges"]]
        assert page["totalCount"] == 7
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert seen == [f"Efternamn {index:02d}" for index in range(7)]
    too_many = only_error(await api(LIST, {"first": 101}, token=admin.token))
    assert (too_many["code"], too_many["field"]) == ("BAD_USER_INPUT", "first")
    bad_cursor = only_error(await api(LIST, {"after": "bm9wZQ=="}, token=admin.token))
    assert (bad_cursor["code"], bad_cursor["field"]) == ("BAD_USER_INPUT", "after")


async def test_bad_employee_input_names_the_field(api: Api, factory: Factory) -> None:
    company = await factory.company()
    admin = await factory.admin(company)
    wrong_digit = new_employee()
    wrong_digit["salary"]["personalIdentityNumber"] = "19850312-3386"
    error = only_error(await api(CREATE, {"input": wrong_digit}, token=admin.token))
    assert (error["code"], error["field"], error["reason"]) == (
        "BAD_USER_INPUT",
        "personalIdentityNumber",
        "CHECK_DIGIT",
    )
    negative = new_employee()
    negative["salary"]["salaryAmount"] = "-1.00"
    error = only_error(await api(CREATE, {"input": negative}, token=admin.token))
    assert (error["field"], error["reason"]) == ("salaryAmount", "NEGATIVE")

    assert "errors" not in await api(CREATE, {"input": new_employee()}, token=admin.token)
    duplicate = only_error(
        await api(CREATE, {"input": new_employee(firstName="Bo")}, token=admin.token)
    )
    assert (duplicate["field"], duplicate["reason"]) == ("employeeNumber", "TAKEN")
    listed = await api(LIST, {}, token=admin.token)
    assert listed["data"]["employees"]["totalCount"] == 1  # nothing half-created


async def test_a_coordination_number_is_accepted(api: Api, factory: Factory) -> None:
    company = await factory.company()
    admin = await factory.admin(company)
    coordination = new_employee()
    coordination["salary"]["personalIdentityNumber"] = "199001720019"[:11] + "0"
    from gql_portal.domain.identity import with_check_digit

    coordination["salary"]["personalIdentityNumber"] = "19" + with_check_digit("900172001")
    created = await api(CREATE, {"input": coordination}, token=admin.token)
    assert "errors" not in created, created


async def test_a_former_employees_number_can_be_reused(api: Api, factory: Factory) -> None:
    company = await factory.company()
    admin = await factory.admin(company)
    first = (await api(CREATE, {"input": new_employee()}, token=admin.token))["data"][
        "createEmployee"
    ]
    deactivate = "mutation($id: ID!) { deactivateEmployee(id: $id) { employee { active } } }"
    assert (await api(deactivate, {"id": first["employee"]["id"]}, token=admin.token))["data"][
        "deactivateEmployee"
    ] == {"employee": {"active": False}}
    assert "errors" not in await api(CREATE, {"input": new_employee()}, token=admin.token)
    reactivate = "mutation($id: ID!) { reactivateEmployee(id: $id) { employee { active } } }"
    refused = only_error(await api(reactivate, {"id": first["employee"]["id"]}, token=admin.token))
    assert (refused["field"], refused["reason"]) == ("employeeNumber", "TAKEN")


async def test_an_employee_reads_only_their_own_record_and_edits_only_contact(
    api: Api, factory: Factory
) -> None:
    company = await factory.company()
    me = await factory.staff(company, personal_identity_number="198503123385")
    colleague = await factory.employee(company, first_name="Kollega")
    listed = (await api(LIST, {}, token=me.token))["data"]["employees"]
    assert [edge["node"]["id"] for edge in listed["edges"]] == [
        gid("Employee", me.employee_id or 0)
    ]
    assert listed["edges"][0]["node"]["personalIdentityNumber"] == "198503123385"

    mine = await api(
        UPDATE_CONTACT,
        {"id": gid("Employee", me.employee_id or 0), "input": {"phone": "073-000 00 00"}},
        token=me.token,
    )
    assert mine["data"]["updateEmployeeContact"]["employee"]["phone"] == "073-000 00 00"
    theirs = await api(
        UPDATE_CONTACT,
        {"id": gid("Employee", colleague.id), "input": {"phone": "073-000 00 00"}},
        token=me.token,
    )
    assert error_codes(theirs) == ["NOT_FOUND"]
    assert error_codes(await api(NODE, {"id": gid("Employee", colleague.id)}, token=me.token)) == [
        "NOT_FOUND"
    ]
    # Salary changes and creating employees are not in an employee's schema at all.
    salary = await api(
        UPDATE_SALARY,
        {"id": gid("Employee", me.employee_id or 0), "input": {"salaryAmount": "1"}},
        token=me.token,
    )
    assert set(error_codes(salary)) == {"GRAPHQL_VALIDATION_FAILED"}
    assert set(error_codes(await api(CREATE, {"input": new_employee()}, token=me.token))) == {
        "GRAPHQL_VALIDATION_FAILED"
    }

    viewer = await api("{ viewer { employee { id firstName } } }", token=me.token)
    assert viewer["data"]["viewer"]["employee"]["id"] == gid("Employee", me.employee_id or 0)


async def test_another_companys_employees_do_not_exist(api: Api, factory: Factory) -> None:
    mine = await factory.company("Min AB")
    other = await factory.company("Annan AB")
    admin = await factory.admin(mine)
    stranger = await factory.employee(other, personal_identity_number="198503123385")
    assert error_codes(
        await api(NODE, {"id": gid("Employee", stranger.id)}, token=admin.token)
    ) == ["NOT_FOUND"]
    update = await api(
        UPDATE_SALARY,
        {"id": gid("Employee", stranger.id), "input": {"salaryAmount": "1"}},
        token=admin.token,
    )
    assert error_codes(update) == ["NOT_FOUND"]
    assert (await api(LIST, {}, token=admin.token))["data"]["employees"]["totalCount"] == 0
    assert error_codes(await api(NODE, {"id": gid("Company", other.id)}, token=admin.token)) == [
        "NOT_FOUND"
    ]
    found = await api(
        "query($id: ID!) { node(id: $id) { ... on Company { name } } }",
        {"id": gid("Company", mine.id)},
        token=admin.token,
    )
    assert found["data"]["node"] == {"name": "Min AB"}


async def test_anonymous_callers_have_no_employee_fields(api: Api) -> None:
    assert set(error_codes(await api(LIST, {}))) == {"GRAPHQL_VALIDATION_FAILED"}
