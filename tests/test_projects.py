"""Projects, customers, activities and assignments (PROJECTS), through HTTP."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from gql_portal.db.accounts import Company
from gql_portal.db.audit import AuditEvent
from gql_portal.db.employees import Employee
from gql_portal.db.engine import Database
from gql_portal.db.projects import Activity, Customer, Project, ProjectAssignment
from tests.conftest import Api, error_codes, only_error
from tests.factories import Factory, gid

CREATE_CUSTOMER = """mutation($input: CreateCustomerInput!) {
  createCustomer(input: $input) { customer { id name organisationNumber } } }"""
UPDATE_CUSTOMER = """mutation($id: ID!, $input: UpdateCustomerInput!) {
  updateCustomer(id: $id, input: $input) { customer { id name organisationNumber } } }"""
CUSTOMERS = """query($search: String) { customers(search: $search) {
  totalCount edges { node { name organisationNumber projects { code } } } } }"""
PROJECT_FIELDS = "id code name active customer { name }"
CREATE_PROJECT = f"""mutation($input: CreateProjectInput!) {{
  createProject(input: $input) {{ project {{ {PROJECT_FIELDS} }} }} }}"""
UPDATE_PROJECT = f"""mutation($id: ID!, $input: UpdateProjectInput!) {{
  updateProject(id: $id, input: $input) {{ project {{ {PROJECT_FIELDS} }} }} }}"""
DEACTIVATE_PROJECT = "mutation($id: ID!) { deactivateProject(id: $id) { project { code active } } }"
REACTIVATE_PROJECT = "mutation($id: ID!) { reactivateProject(id: $id) { project { code active } } }"
CREATE_ACTIVITY = """mutation($projectId: ID!, $name: String!) {
  createActivity(projectId: $projectId, name: $name) { activity { id name active project { code } } } }"""
UPDATE_ACTIVITY = """mutation($id: ID!, $input: UpdateActivityInput!) {
  updateActivity(id: $id, input: $input) { activity { id name active } } }"""
ASSIGN = """mutation($projectId: ID!, $employeeId: ID!) {
  assignEmployee(projectId: $projectId, employeeId: $employeeId) {
    project { code assignedEmployees { id firstName } } } }"""
UNASSIGN = """mutation($projectId: ID!, $employeeId: ID!) {
  unassignEmployee(projectId: $projectId, employeeId: $employeeId) {
    project { code assignedEmployees { id } } } }"""
PROJECTS = """query($first: Int, $after: String, $active: Boolean, $search: String) {
  projects(first: $first, after: $after, active: $active, search: $search) {
    totalCount pageInfo { hasNextPage endCursor }
    edges { node { id code name active customer { name }
                   activities { name } assignedEmployees { firstName } } } } }"""
EMPLOYEE_PROJECTS = """{ projects { totalCount edges { node { code
  activities { name } assignedEmployees { firstName } } } } }"""
NESTED = """{ projects(first: 100) { edges { node {
  activities { name } assignedEmployees { firstName } } } } }"""
NODE = """query($id: ID!) { node(id: $id) { id ... on Project { code }
  ... on Customer { name } ... on Activity { name } } }"""
PROJECT = "query($id: ID!) { project(id: $id) { code activities(active: null) { name active } } }"


async def created(api: Api, token: str, query: str, variables: dict[str, Any]) -> dict[str, Any]:
    body = await api(query, variables, token=token)
    assert "errors" not in body, body
    payload: dict[str, Any] = next(iter(body["data"].values()))
    return payload


async def make_project(
    database: Database,
    company: Company,
    code: str,
    *,
    customer: Customer | None = None,
    activities: tuple[str, ...] = (),
    employees: tuple[Employee, ...] = (),
    active: bool = True,
) -> Project:
    async with database.transaction() as session:
        project = Project(
            company_id=company.id,
            customer_id=customer.id if customer else None,
            code=code,
            name=f"Projekt {code}",
            active=active,
            created_at=company.created_at,
        )
        session.add(project)
        await session.flush()
        session.add_all(
            Activity(company_id=company.id, project_id=project.id, name=name, active=True)
            for name in activities
        )
        session.add_all(
            ProjectAssignment(company_id=company.id, project_id=project.id, employee_id=e.id)
            for e in employees
        )
    return project


async def make_customer(database: Database, company: Company, name: str) -> Customer:
    async with database.transaction() as session:
        customer = Customer(company_id=company.id, name=name, created_at=company.created_at)
        session.add(customer)
    return customer


async def audit_actions(database: Database, company: Company) -> list[str]:
    async with database.session() as session:
        rows = await session.scalars(
            select(AuditEvent.action)
            .where(AuditEvent.company_id == company.id)
            .order_by(AuditEvent.id)
        )
        return list(rows.all())


async def test_an_admin_sets_up_a_customer_project_with_activities_and_staff(
    api: Api, factory: Factory, database: Database
) -> None:
    company = await factory.company()
    admin = await factory.admin(company)
    karin = await factory.employee(company, first_name="Karin", last_name="Lund")
    bo = await factory.employee(company, first_name="Bo", last_name="Ek")

    customer = (
        await created(
            api,
            admin.token,
            CREATE_CUSTOMER,
            {"input": {"name": "Fastighets AB Norr", "organisationNumber": "5566778899"}},
        )
    )["customer"]
    assert customer["organisationNumber"] == "556677-8899"
    project = (
        await created(
            api,
            admin.token,
            CREATE_PROJECT,
            {"input": {"code": "P-100", "name": "Stambyte", "customerId": customer["id"]}},
        )
    )["project"]
    assert (project["code"], project["active"], project["customer"]) == (
        "P-100",
        True,
        {"name": "Fastighets AB Norr"},
    )
    for name in ("Rivning", "Installation"):
        activity = (
            await created(
                api, admin.token, CREATE_ACTIVITY, {"projectId": project["id"], "name": name}
            )
        )["activity"]
        assert activity["project"] == {"code": "P-100"}
    for employee in (karin, bo):
        assigned = await created(
            api,
            admin.token,
            ASSIGN,
            {"projectId": project["id"], "employeeId": gid("Employee", employee.id)},
        )
    assert [e["firstName"] for e in assigned["project"]["assignedEmployees"]] == ["Bo", "Karin"]
    again = await created(
        api, admin.token, ASSIGN, {"projectId": project["id"], "employeeId": gid("Employee", bo.id)}
    )
    assert len(again["project"]["assignedEmployees"]) == 2  # assigning twice changes nothing

    listed = (await api(PROJECTS, {}, token=admin.token))["data"]["projects"]
    assert listed["totalCount"] == 1
    assert listed["edges"][0]["node"] == {
        "id": project["id"],
        "code": "P-100",
        "name": "Stambyte",
        "active": True,
        "customer": {"name": "Fastighets AB Norr"},
        "activities": [{"name": "Installation"}, {"name": "Rivning"}],
        "assignedEmployees": [{"firstName": "Bo"}, {"firstName": "Karin"}],
    }
    customers = (await api(CUSTOMERS, {"search": "norr"}, token=admin.token))["data"]["customers"]
    assert customers["edges"][0]["node"]["projects"] == [{"code": "P-100"}]

    unassigned = await created(
        api,
        admin.token,
        UNASSIGN,
        {"projectId": project["id"], "employeeId": gid("Employee", bo.id)},
    )
    assert unassigned["project"]["assignedEmployees"] == [{"id": gid("Employee", karin.id)}]
    assert await audit_actions(database, company) == [
        "CUSTOMER_CREATED",
        "PROJECT_CREATED",
        "ACTIVITY_CREATED",
        "ACTIVITY_CREATED",
        "EMPLOYEE_ASSIGNED",
        "EMPLOYEE_ASSIGNED",
        "EMPLOYEE_UNASSIGNED",
    ]


async def test_bad_project_input_names_the_field(
    api: Api, factory: Factory, database: Database
) -> None:
    company = await factory.company()
    other = await factory.company("Annan AB")
    admin = await factory.admin(company)
    foreign_customer = await make_customer(database, other, "Deras kund")
    await make_project(database, company, "P1")

    bad = only_error(
        await api(CREATE_PROJECT, {"input": {"code": "P 2", "name": " "}}, token=admin.token)
    )
    assert {(p["field"], p["reason"]) for p in bad["problems"]} == {
        ("code", "INVALID_CODE"),
        ("name", "REQUIRED"),
    }
    taken = only_error(
        await api(CREATE_PROJECT, {"input": {"code": "P1", "name": "Igen"}}, token=admin.token)
    )
    assert (taken["code"], taken["field"], taken["reason"]) == ("BAD_USER_INPUT", "code", "TAKEN")
    elsewhere = only_error(
        await api(
            CREATE_PROJECT,
            {
                "input": {
                    "code": "P2",
                    "name": "X",
                    "customerId": gid("Customer", foreign_customer.id),
                }
            },
            token=admin.token,
        )
    )
    assert (elsewhere["code"], elsewhere["field"]) == ("NOT_FOUND", "customerId")
    wrong_number = only_error(
        await api(
            CREATE_CUSTOMER,
            {"input": {"name": "Kund", "organisationNumber": "556677-8898"}},
            token=admin.token,
        )
    )
    assert (wrong_number["field"], wrong_number["reason"]) == ("organisationNumber", "CHECK_DIGIT")
    no_name = only_error(await api(CREATE_CUSTOMER, {"input": {"name": ""}}, token=admin.token))
    assert (no_name["field"], no_name["reason"]) == ("name", "REQUIRED")
    assert (await api(PROJECTS, {}, token=admin.token))["data"]["projects"]["totalCount"] == 1


async def test_an_admin_changes_and_closes_projects_activities_and_customers(
    api: Api, factory: Factory, database: Database
) -> None:
    company = await factory.company()
    admin = await factory.admin(company)
    customer = await make_customer(database, company, "Kund Ett")
    first = await make_project(database, company, "A1", customer=customer, activities=("Möte",))
    await make_project(database, company, "A2")
    project_id = gid("Project", first.id)

    changed = await created(
        api, admin.token, UPDATE_PROJECT, {"id": project_id, "input": {"name": "Nytt namn"}}
    )
    assert changed["project"]["customer"] == {"name": "Kund Ett"}  # left out: unchanged
    no_customer = await created(
        api, admin.token, UPDATE_PROJECT, {"id": project_id, "input": {"customerId": None}}
    )
    assert no_customer["project"]["customer"] is None
    taken = only_error(
        await api(UPDATE_PROJECT, {"id": project_id, "input": {"code": "A2"}}, token=admin.token)
    )
    assert (taken["field"], taken["reason"]) == ("code", "TAKEN")

    customer_id = gid("Customer", customer.id)
    renamed = await created(
        api,
        admin.token,
        UPDATE_CUSTOMER,
        {"id": customer_id, "input": {"name": "Kund Två", "organisationNumber": "556677-8899"}},
    )
    assert renamed["customer"]["organisationNumber"] == "556677-8899"
    cleared = await created(
        api, admin.token, UPDATE_CUSTOMER, {"id": customer_id, "input": {"organisationNumber": ""}}
    )
    assert cleared["customer"] == {
        "id": customer_id,
        "name": "Kund Två",
        "organisationNumber": None,
    }

    async with database.session() as session:
        meeting = await session.scalar(select(Activity.id).where(Activity.project_id == first.id))
    activity_id = gid("Activity", meeting or 0)
    off = await created(
        api,
        admin.token,
        UPDATE_ACTIVITY,
        {"id": activity_id, "input": {"active": False, "name": "Möten"}},
    )
    assert off["activity"] == {"id": activity_id, "name": "Möten", "active": False}
    duplicate = only_error(
        await api(CREATE_ACTIVITY, {"projectId": project_id, "name": "möten"}, token=admin.token)
    )
    assert (duplicate["field"], duplicate["reason"]) == ("name", "TAKEN")
    one = (await api(PROJECT, {"id": project_id}, token=admin.token))["data"]["project"]
    assert one["activities"] == [{"name": "Möten", "active": False}]

    closed = await created(api, admin.token, DEACTIVATE_PROJECT, {"id": project_id})
    assert closed["project"] == {"code": "A1", "active": False}
    active = (await api(PROJECTS, {}, token=admin.token))["data"]["projects"]
    assert [edge["node"]["code"] for edge in active["edges"]] == ["A2"]
    everything = (await api(PROJECTS, {"active": None}, token=admin.token))["data"]["projects"]
    assert [edge["node"]["code"] for edge in everything["edges"]] == ["A1", "A2"]
    reopened = await created(api, admin.token, REACTIVATE_PROJECT, {"id": project_id})
    assert reopened["project"]["active"] is True
    assert await audit_actions(database, company) == [
        "PROJECT_UPDATED",
        "PROJECT_UPDATED",
        "CUSTOMER_UPDATED",
        "CUSTOMER_UPDATED",
        "ACTIVITY_UPDATED",
        "PROJECT_DEACTIVATED",
        "PROJECT_REACTIVATED",
    ]


async def test_projects_page_and_search(api: Api, factory: Factory, database: Database) -> None:
    company = await factory.company()
    admin = await factory.admin(company)
    customer = await make_customer(database, company, "Hyresgästföreningen")
    for index in range(5):
        await make_project(
            database, company, f"K{index}", customer=customer if index == 3 else None
        )
    seen: list[str] = []
    after = None
    while True:
        page = (await api(PROJECTS, {"first": 2, "after": after}, token=admin.token))["data"][
            "projects"
        ]
        seen += [edge["node"]["code"] for edge in page["edges"]]
        assert page["totalCount"] == 5
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert seen == ["K0", "K1", "K2", "K3", "K4"]
    found = (await api(PROJECTS, {"search": "hyresgäst"}, token=admin.token))["data"]["projects"]
    assert [edge["node"]["code"] for edge in found["edges"]] == ["K3"]


async def test_an_employee_sees_only_assigned_projects(
    api: Api, factory: Factory, database: Database
) -> None:
    company = await factory.company()
    me = await factory.staff(company)
    colleague = await factory.employee(company, first_name="Kollega")
    async with database.session() as session:
        mine = await session.get_one(Employee, me.employee_id)
    ours_customer = await make_customer(database, company, "Vår kund")
    hidden_customer = await make_customer(database, company, "Hemlig kund")
    ours = await make_project(
        database,
        company,
        "VÅR",
        customer=ours_customer,
        activities=("Bygg",),
        employees=(mine, colleague),
    )
    hidden = await make_project(
        database,
        company,
        "HEMLIG",
        customer=hidden_customer,
        activities=("X",),
        employees=(colleague,),
    )
    listed = (await api(EMPLOYEE_PROJECTS, token=me.token))["data"]["projects"]
    assert listed["totalCount"] == 1
    node = listed["edges"][0]["node"]
    assert (node["code"], node["activities"]) == ("VÅR", [{"name": "Bygg"}])
    assert node["assignedEmployees"] == [{"firstName": "Anna"}]  # colleagues are not theirs
    assert error_codes(await api(NODE, {"id": gid("Project", hidden.id)}, token=me.token)) == [
        "NOT_FOUND"
    ]
    assert error_codes(await api(PROJECT, {"id": gid("Project", hidden.id)}, token=me.token)) == [
        "NOT_FOUND"
    ]
    assert (await api(NODE, {"id": gid("Project", ours.id)}, token=me.token))["data"]["node"][
        "code"
    ] == "VÅR"
    for query, variables in (
        (CREATE_PROJECT, {"input": {"code": "X", "name": "X"}}),
        (DEACTIVATE_PROJECT, {"id": gid("Project", ours.id)}),
        (ASSIGN, {"projectId": gid("Project", hidden.id), "employeeId": gid("Employee", mine.id)}),
        (CREATE_CUSTOMER, {"input": {"name": "X"}}),
    ):
        assert set(error_codes(await api(query, variables, token=me.token))) == {
            "GRAPHQL_VALIDATION_FAILED"
        }


async def test_an_employee_reads_the_customers_of_assigned_projects(
    api: Api, factory: Factory, database: Database
) -> None:
    company = await factory.company()
    me = await factory.staff(company)
    async with database.session() as session:
        mine = await session.get_one(Employee, me.employee_id)
    ours = await make_customer(database, company, "Vår kund")
    hidden = await make_customer(database, company, "Hemlig kund")
    await make_project(database, company, "VÅR", customer=ours, employees=(mine,))
    await make_project(database, company, "HEMLIG", customer=hidden)
    listed = await api(PROJECTS, {}, token=me.token)
    assert "errors" not in listed, listed
    assert listed["data"]["projects"]["edges"][0]["node"]["customer"] == {"name": "Vår kund"}
    customers = (await api(CUSTOMERS, {}, token=me.token))["data"]["customers"]
    assert [edge["node"]["name"] for edge in customers["edges"]] == ["Vår kund"]
    assert error_codes(await api(NODE, {"id": gid("Customer", hidden.id)}, token=me.token)) == [
        "NOT_FOUND"
    ]
    found = (await api(PROJECTS, {"search": "kund"}, token=me.token))["data"]["projects"]
    assert [edge["node"]["code"] for edge in found["edges"]] == ["VÅR"]


async def test_another_companys_projects_do_not_exist(
    api: Api, factory: Factory, database: Database
) -> None:
    mine = await factory.company("Min AB")
    other = await factory.company("Annan AB")
    admin = await factory.admin(mine)
    my_employee = await factory.employee(mine)
    their_customer = await make_customer(database, other, "Deras kund")
    theirs = await make_project(
        database, other, "DERAS", customer=their_customer, activities=("A",)
    )
    async with database.session() as session:
        their_activity = await session.scalar(
            select(Activity.id).where(Activity.project_id == theirs.id)
        )
    for type_name, row_id in (
        ("Project", theirs.id),
        ("Customer", their_customer.id),
        ("Activity", their_activity or 0),
    ):
        assert error_codes(await api(NODE, {"id": gid(type_name, row_id)}, token=admin.token)) == [
            "NOT_FOUND"
        ]
    project_id = gid("Project", theirs.id)
    for query, variables in (
        (UPDATE_PROJECT, {"id": project_id, "input": {"name": "Kapat"}}),
        (DEACTIVATE_PROJECT, {"id": project_id}),
        (CREATE_ACTIVITY, {"projectId": project_id, "name": "Kapat"}),
        (ASSIGN, {"projectId": project_id, "employeeId": gid("Employee", my_employee.id)}),
        (UPDATE_CUSTOMER, {"id": gid("Customer", their_customer.id), "input": {"name": "Kapat"}}),
    ):
        assert error_codes(await api(query, variables, token=admin.token)) == ["NOT_FOUND"]
    assert (await api(PROJECTS, {}, token=admin.token))["data"]["projects"]["totalCount"] == 0


async def test_an_inactive_employee_cannot_be_assigned(
    api: Api, factory: Factory, database: Database
) -> None:
    company = await factory.company()
    admin = await factory.admin(company)
    former = await factory.employee(company, active=False)
    project = await make_project(database, company, "P1")
    error = only_error(
        await api(
            ASSIGN,
            {"projectId": gid("Project", project.id), "employeeId": gid("Employee", former.id)},
            token=admin.token,
        )
    )
    assert (error["field"], error["reason"]) == ("employeeId", "INACTIVE")


async def nested_statements(api: Api, token: str, sql_statements: Any) -> int:
    before = sql_statements.count
    body = await api(NESTED, token=token)
    assert "errors" not in body, body
    return int(sql_statements.count - before)


async def test_nested_project_lists_cost_the_same_for_3_and_30_projects(
    api: Api, factory: Factory, database: Database, sql_statements: Any
) -> None:
    company = await factory.company()
    admin = await factory.admin(company)
    staff = [await factory.employee(company, first_name=f"Person {n}") for n in range(4)]
    for index in range(3):
        await make_project(
            database, company, f"S{index:02d}", activities=("A", "B"), employees=tuple(staff[:2])
        )
    few = await nested_statements(api, admin.token, sql_statements)
    for index in range(3, 30):
        await make_project(
            database, company, f"S{index:02d}", activities=("A", "B", "C"), employees=tuple(staff)
        )
    many = await nested_statements(api, admin.token, sql_statements)
    body = await api(NESTED, token=admin.token)
    assert len(body["data"]["projects"]["edges"]) == 30
    assert few == many, (few, many)
    assert many <= 6  # the session, the page, activities, assignments, employees
