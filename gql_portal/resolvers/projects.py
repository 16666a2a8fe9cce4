"""Projects (PROJECTS): the company's customers, projects, activities and who is assigned.

Admins (and FULL partners) manage them; employees read the projects they are assigned to,
which the row scope (`own_rows` in gql_portal.db.projects) decides, not these resolvers.
"""

from __future__ import annotations

from typing import Annotated, Any

import strawberry
from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry import relay

from gql_portal.context import RequestContext
from gql_portal.db.employees import Employee
from gql_portal.db.projects import Activity, Customer, Project, ProjectAssignment
from gql_portal.domain.audit import AuditAction
from gql_portal.domain.identity import InvalidNumber, normalize_organisation_number
from gql_portal.domain.validation import clean_text
from gql_portal.errors import BadInput, Problems, bad_input
from gql_portal.permissions.matrix import Area, Op
from gql_portal.permissions.rules import AreaRule
from gql_portal.resolvers.audit import audit
from gql_portal.resolvers.common import Ctx, like, node_id, not_found, search_pattern
from gql_portal.resolvers.loading import by_id, paginate
from gql_portal.schema import projects as gql
from gql_portal.schema.fields import field, mutation
from gql_portal.schema.relay import After, Before, Connection, First, Last

CODE_MAX = 20
NAME_MAX = 200


# --- reading ------------------------------------------------------------------------------


async def customers(
    info: Ctx,
    first: First = None,
    after: After = None,
    last: Last = None,
    before: Before = None,
    search: Annotated[
        str | None,
        strawberry.argument(
            description="Text anywhere in the name, or digits of the organisation number "
            "(case-insensitive; blank: no filter)."
        ),
    ] = None,
) -> Connection[gql.Customer]:
    """The company's customers by name (an employee: those of their assigned projects)."""
    statement = select(Customer)
    pattern = search_pattern(search)
    if pattern:
        statement = statement.where(
            or_(
                like(func.lower(Customer.name), pattern),
                like(func.coalesce(Customer.organisation_number, ""), pattern.replace("-", "")),
            )
        )
    order = [Customer.name, Customer.id]
    return await paginate(
        info.context,
        statement,
        order,
        gql.Customer.from_row,
        first=first,
        after=after,
        last=last,
        before=before,
    )


async def projects(
    info: Ctx,
    first: First = None,
    after: After = None,
    last: Last = None,
    before: Before = None,
    active: Annotated[
        bool | None,
        strawberry.argument(
            description="True (default): active projects; false: inactive ones only; null: both."
        ),
    ] = True,
    search: Annotated[
        str | None,
        strawberry.argument(
            description="Text anywhere in the code, the name or the customer's name "
            "(case-insensitive; blank: no filter)."
        ),
    ] = None,
) -> Connection[gql.Project]:
    """Projects by code; `active: null` lists inactive ones too."""
    statement = select(Project)
    if active is not None:
        statement = statement.where(Project.active.is_(active))
    pattern = search_pattern(search)
    if pattern:
        matching_customers = select(Customer.id).where(like(func.lower(Customer.name), pattern))
        statement = statement.where(
            or_(
                like(func.lower(Project.code), pattern),
                like(func.lower(Project.name), pattern),
                Project.customer_id.in_(matching_customers),
            )
        )
    order = [Project.code, Project.id]
    return await paginate(
        info.context,
        statement,
        order,
        gql.Project.from_row,
        first=first,
        after=after,
        last=last,
        before=before,
    )


async def customer_by_id(ctx: RequestContext, customer_id: int) -> gql.Customer | None:
    row = await by_id(ctx, Customer).load(customer_id)
    return gql.Customer.from_row(row) if row else None


async def project_by_id(ctx: RequestContext, project_id: int) -> gql.Project | None:
    row = await by_id(ctx, Project).load(project_id)
    return gql.Project.from_row(row) if row else None


async def activity_by_id(ctx: RequestContext, activity_id: int) -> gql.Activity | None:
    row = await by_id(ctx, Activity).load(activity_id)
    return gql.Activity.from_row(row) if row else None


async def project(
    info: Ctx,
    id: Annotated[
        relay.GlobalID, strawberry.argument(description="The project to read (a `Project` id).")
    ],
) -> gql.Project:
    """One project, exactly as `node(id:)` finds it."""
    found = await project_by_id(info.context, node_id(id, "Project"))
    if found is None:
        raise not_found("Project")
    return found


# --- validation ---------------------------------------------------------------------------


def _check_customer(problems: Problems, name: str | None, number: str | None) -> dict[str, Any]:
    values: dict[str, Any] = {}
    if name is not None:
        values["name"] = clean_text(problems, "name", name, max_length=NAME_MAX)
    if number is not None:
        if number.strip():
            try:
                values["organisation_number"] = normalize_organisation_number(number.strip())
            except InvalidNumber as error:
                problems.add("organisationNumber", error.reason, str(error))
        else:
            values["organisation_number"] = None
    return values


def _check_project(problems: Problems, code: str | None, name: str | None) -> dict[str, Any]:
    values: dict[str, Any] = {}
    if code is not None:
        cleaned = code.strip()
        if not cleaned:
            problems.add("code", "REQUIRED", "must not be empty")
        elif len(cleaned) > CODE_MAX:
            problems.add("code", "TOO_LONG", f"must be at most {CODE_MAX} characters")
        elif any(char.isspace() for char in cleaned):
            problems.add("code", "INVALID_CODE", "must not contain spaces")
        values["code"] = cleaned
    if name is not None:
        values["name"] = clean_text(problems, "name", name, max_length=NAME_MAX)
    return values


def _code_taken_error() -> BadInput:
    return bad_input("code", "TAKEN", "another project of the company has this code")


async def _code_taken(session: AsyncSession, code: str, exclude: int | None) -> bool:
    statement = select(Project.id).where(Project.code == code)
    if exclude is not None:
        statement = statement.where(Project.id != exclude)
    return (await session.scalar(statement.limit(1))) is not None


async def _customer(session: AsyncSession, id: relay.GlobalID, field: str) -> Customer:
    row = await session.scalar(
        select(Customer).where(Customer.id == node_id(id, "Customer", field))
    )
    if row is None:
        raise not_found("Customer", field)
    return row


async def _project(session: AsyncSession, id: relay.GlobalID, field: str = "id") -> Project:
    row = await session.scalar(select(Project).where(Project.id == node_id(id, "Project", field)))
    if row is None:
        raise not_found("Project", field)
    return row


async def _activity_name_taken(
    session: AsyncSession, project_id: int, name: str, exclude: int | None
) -> bool:
    statement = select(Activity.id).where(
        Activity.project_id == project_id, func.lower(Activity.name) == name.lower()
    )
    if exclude is not None:
        statement = statement.where(Activity.id != exclude)
    return (await session.scalar(statement.limit(1))) is not None


# --- customers ------------------------------------------------------------------------------


async def create_customer(
    info: Ctx,
    input: Annotated[
        gql.CreateCustomerInput,
        strawberry.argument(
            description="The customer's name and, optionally, organisation number."
        ),
    ],
) -> gql.CustomerPayload:
    ctx = info.context
    problems = Problems()
    values = _check_customer(problems, input.name, input.organisation_number)
    problems.raise_if_any()
    company_id = ctx.access.company_id
    assert company_id is not None
    async with ctx.database.scoped(ctx.access, Op.MANAGE) as session:
        customer = Customer(company_id=company_id, created_at=ctx.clock.now(), **values)
        session.add(customer)
        await session.flush()
        audit(
            session, ctx, AuditAction.CUSTOMER_CREATED, customer_id=customer.id, name=customer.name
        )
    return gql.CustomerPayload(customer=gql.Customer.from_row(customer))


async def update_customer(
    info: Ctx,
    id: Annotated[
        relay.GlobalID, strawberry.argument(description="The customer to change (a `Customer` id).")
    ],
    input: Annotated[
        gql.UpdateCustomerInput,
        strawberry.argument(description="What to change; fields left out keep their value."),
    ],
) -> gql.CustomerPayload:
    ctx = info.context
    problems = Problems()
    values = _check_customer(problems, input.name, input.organisation_number)
    problems.raise_if_any()
    async with ctx.database.scoped(ctx.access, Op.MANAGE) as session:
        customer = await _customer(session, id, "id")
        changes = {name: v for name, v in values.items() if getattr(customer, name) != v}
        for name, value in changes.items():
            setattr(customer, name, value)
        if changes:
            audit(
                session,
                ctx,
                AuditAction.CUSTOMER_UPDATED,
                customer_id=customer.id,
                fields=sorted(changes),
            )
    return gql.CustomerPayload(customer=gql.Customer.from_row(customer))


# --- projects -------------------------------------------------------------------------------


async def create_project(
    info: Ctx,
    input: Annotated[
        gql.CreateProjectInput,
        strawberry.argument(description="The project's code and name, and its customer if any."),
    ],
) -> gql.ProjectPayload:
    ctx = info.context
    problems = Problems()
    values = _check_project(problems, input.code, input.name)
    company_id = ctx.access.company_id
    assert company_id is not None
    try:
        async with ctx.database.scoped(ctx.access, Op.MANAGE) as session:
            customer_id = None
            if input.customer_id is not None:
                customer_id = (await _customer(session, input.customer_id, "customerId")).id
            if values.get("code") and await _code_taken(session, values["code"], None):
                problems.add("code", "TAKEN", "another project of the company has this code")
            problems.raise_if_any()
            row = Project(
                company_id=company_id,
                customer_id=customer_id,
                active=True,
                created_at=ctx.clock.now(),
                **values,
            )
            session.add(row)
            await session.flush()
            audit(session, ctx, AuditAction.PROJECT_CREATED, project_id=row.id, code=row.code)
    except IntegrityError:
        raise _code_taken_error() from None
    return gql.ProjectPayload(project=gql.Project.from_row(row))


async def update_project(
    info: Ctx,
    id: Annotated[
        relay.GlobalID, strawberry.argument(description="The project to change (a `Project` id).")
    ],
    input: Annotated[
        gql.UpdateProjectInput,
        strawberry.argument(description="What to change; fields left out keep their value."),
    ],
) -> gql.ProjectPayload:
    ctx = info.context
    problems = Problems()
    values = _check_project(problems, input.code, input.name)
    problems.raise_if_any()
    try:
        async with ctx.database.scoped(ctx.access, Op.MANAGE) as session:
            row = await _project(session, id)
            if input.customer_id is not strawberry.UNSET:
                values["customer_id"] = (
                    None
                    if input.customer_id is None
                    else (await _customer(session, input.customer_id, "customerId")).id
                )
            changes = {name: v for name, v in values.items() if getattr(row, name) != v}
            if "code" in changes and await _code_taken(session, changes["code"], row.id):
                raise _code_taken_error()
            for name, value in changes.items():
                setattr(row, name, value)
            if changes:
                await session.flush()
                audit(
                    session,
                    ctx,
                    AuditAction.PROJECT_UPDATED,
                    project_id=row.id,
                    code=row.code,
                    fields=sorted(changes),
                )
    except IntegrityError:
        raise _code_taken_error() from None
    return gql.ProjectPayload(project=gql.Project.from_row(row))


async def _set_project_active(info: Ctx, id: relay.GlobalID, active: bool) -> gql.ProjectPayload:
    ctx = info.context
    async with ctx.database.scoped(ctx.access, Op.MANAGE) as session:
        row = await _project(session, id)
        if row.active != active:
            row.active = active
            audit(
                session,
                ctx,
                AuditAction.PROJECT_REACTIVATED if active else AuditAction.PROJECT_DEACTIVATED,
                project_id=row.id,
                code=row.code,
            )
    return gql.ProjectPayload(project=gql.Project.from_row(row))


async def deactivate_project(
    info: Ctx,
    id: Annotated[
        relay.GlobalID,
        strawberry.argument(
            description="The project to close for reporting (a `Project` id); its time is kept."
        ),
    ],
) -> gql.ProjectPayload:
    return await _set_project_active(info, id, False)


async def reactivate_project(
    info: Ctx,
    id: Annotated[
        relay.GlobalID,
        strawberry.argument(
            description="The inactive project to open for reporting again (a `Project` id)."
        ),
    ],
) -> gql.ProjectPayload:
    return await _set_project_active(info, id, True)


# --- activities -----------------------------------------------------------------------------


async def create_activity(
    info: Ctx,
    project_id: Annotated[
        relay.GlobalID,
        strawberry.argument(description="The project the activity belongs to (a `Project` id)."),
    ],
    name: Annotated[
        str, strawberry.argument(description="The activity's name, at most 200 characters.")
    ],
) -> gql.ActivityPayload:
    ctx = info.context
    problems = Problems()
    cleaned = clean_text(problems, "name", name, max_length=NAME_MAX)
    problems.raise_if_any()
    async with ctx.database.scoped(ctx.access, Op.MANAGE) as session:
        parent = await _project(session, project_id, "projectId")
        if await _activity_name_taken(session, parent.id, cleaned, None):
            raise bad_input("name", "TAKEN", "the project already has an activity of this name")
        activity = Activity(
            company_id=parent.company_id, project_id=parent.id, name=cleaned, active=True
        )
        session.add(activity)
        await session.flush()
        audit(
            session,
            ctx,
            AuditAction.ACTIVITY_CREATED,
            project_id=parent.id,
            activity_id=activity.id,
            name=cleaned,
        )
    return gql.ActivityPayload(activity=gql.Activity.from_row(activity))


async def update_activity(
    info: Ctx,
    id: Annotated[
        relay.GlobalID,
        strawberry.argument(description="The activity to change (an `Activity` id)."),
    ],
    input: Annotated[
        gql.UpdateActivityInput,
        strawberry.argument(description="What to change; fields left out keep their value."),
    ],
) -> gql.ActivityPayload:
    ctx = info.context
    problems = Problems()
    values: dict[str, Any] = {}
    if input.name is not None:
        values["name"] = clean_text(problems, "name", input.name, max_length=NAME_MAX)
    if input.active is not None:
        values["active"] = input.active
    problems.raise_if_any()
    async with ctx.database.scoped(ctx.access, Op.MANAGE) as session:
        activity = await session.scalar(
            select(Activity).where(Activity.id == node_id(id, "Activity"))
        )
        if activity is None:
            raise not_found("Activity")
        changes = {name: v for name, v in values.items() if getattr(activity, name) != v}
        if "name" in changes and await _activity_name_taken(
            session, activity.project_id, changes["name"], activity.id
        ):
            raise bad_input("name", "TAKEN", "the project already has an activity of this name")
        for name, value in changes.items():
            setattr(activity, name, value)
        if changes:
            audit(
                session,
                ctx,
                AuditAction.ACTIVITY_UPDATED,
                project_id=activity.project_id,
                activity_id=activity.id,
                fields=sorted(changes),
            )
    return gql.ActivityPayload(activity=gql.Activity.from_row(activity))


# --- assignments ----------------------------------------------------------------------------


async def _employee(session: AsyncSession, id: relay.GlobalID) -> Employee:
    row = await session.scalar(
        select(Employee).where(Employee.id == node_id(id, "Employee", "employeeId"))
    )
    if row is None:
        raise not_found("Employee", "employeeId")
    return row


async def assign_employee(
    info: Ctx,
    project_id: Annotated[
        relay.GlobalID,
        strawberry.argument(
            description="The project the employee is assigned to (a `Project` id)."
        ),
    ],
    employee_id: Annotated[
        relay.GlobalID,
        strawberry.argument(
            description="The employee who may now report time on it (an `Employee` id)."
        ),
    ],
) -> gql.ProjectPayload:
    """Let an employee report time on a project (and see it). Assigning twice changes nothing."""
    ctx = info.context
    try:
        async with ctx.database.scoped(ctx.access, Op.MANAGE) as session:
            row = await _project(session, project_id, "projectId")
            employee = await _employee(session, employee_id)
            assigned = await session.scalar(
                select(ProjectAssignment.id).where(
                    ProjectAssignment.project_id == row.id,
                    ProjectAssignment.employee_id == employee.id,
                )
            )
            if assigned is None:
                if not employee.active:
                    raise bad_input("employeeId", "INACTIVE", "the employee is no longer employed")
                session.add(
                    ProjectAssignment(
                        company_id=row.company_id, project_id=row.id, employee_id=employee.id
                    )
                )
                await session.flush()
                audit(
                    session,
                    ctx,
                    AuditAction.EMPLOYEE_ASSIGNED,
                    project_id=row.id,
                    employee_id=employee.id,
                )
    except IntegrityError:
        pass  # assigned concurrently: the outcome asked for
    return gql.ProjectPayload(project=gql.Project.from_row(row))


async def unassign_employee(
    info: Ctx,
    project_id: Annotated[
        relay.GlobalID,
        strawberry.argument(description="The project the employee is taken off (a `Project` id)."),
    ],
    employee_id: Annotated[
        relay.GlobalID,
        strawberry.argument(
            description="The employee who may no longer report on it (an `Employee` id); "
            "their reported time stays."
        ),
    ],
) -> gql.ProjectPayload:
    """Take an employee off a project; their reported time stays. Unassigning twice is fine."""
    ctx = info.context
    async with ctx.database.scoped(ctx.access, Op.MANAGE) as session:
        row = await _project(session, project_id, "projectId")
        employee = await _employee(session, employee_id)
        assignment = await session.scalar(
            select(ProjectAssignment).where(
                ProjectAssignment.project_id == row.id,
                ProjectAssignment.employee_id == employee.id,
            )
        )
        if assignment is not None:
            await session.delete(assignment)
            audit(
                session,
                ctx,
                AuditAction.EMPLOYEE_UNASSIGNED,
                project_id=row.id,
                employee_id=employee.id,
            )
    return gql.ProjectPayload(project=gql.Project.from_row(row))


# --- the domain's root fields ---------------------------------------------------------------

READ = AreaRule(Area.PROJECTS)
MANAGE = AreaRule(Area.PROJECTS, Op.MANAGE)


@strawberry.type
class Queries:
    customers = field(
        READ,
        customers,
        description="The company's customers by name, with a `search` over name and "
        "organisation number. Employees see the customers of their assigned projects.",
    )
    projects = field(
        READ,
        projects,
        description="Projects by code; filter by `active` (default true; null for all) and a "
        "`search` over code, name and customer name. Employees see their assigned projects.",
    )
    project = field(READ, project, description="One project by id (as `node(id:)`).")


@strawberry.type
class Mutations:
    create_customer = mutation(MANAGE, create_customer, description="Add a customer.")
    update_customer = mutation(MANAGE, update_customer, description="Change a customer.")
    create_project = mutation(
        MANAGE, create_project, description="Add a project, optionally for a customer."
    )
    update_project = mutation(MANAGE, update_project, description="Change a project.")
    deactivate_project = mutation(
        MANAGE,
        deactivate_project,
        description="Close a project for new time; its history stays.",
    )
    reactivate_project = mutation(MANAGE, reactivate_project, description="Reopen a project.")
    create_activity = mutation(MANAGE, create_activity, description="Add an activity to a project.")
    update_activity = mutation(
        MANAGE, update_activity, description="Rename an activity, or (de)activate it."
    )
    assign_employee = mutation(
        MANAGE,
        assign_employee,
        description="Assign an employee to a project: they may report time on it and see it.",
    )
    unassign_employee = mutation(
        MANAGE, unassign_employee, description="Take an employee off a project."
    )
