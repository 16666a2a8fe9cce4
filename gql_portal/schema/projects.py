"""GraphQL types of projects: the client's own customers, projects and activities (PROJECTS).

Nested lists and relations load through the request's DataLoaders (one statement per level,
whatever the number of parents) within the viewer's row scope: an employee sees only the
projects they are assigned to, and only what they reach of the rest.
"""

from typing import Annotated

import strawberry
from sqlalchemy import ColumnElement
from strawberry import relay

from gql_portal.db import projects as db
from gql_portal.db.employees import Employee as EmployeeRow
from gql_portal.domain.identity import format_organisation_number
from gql_portal.permissions.matrix import Area
from gql_portal.permissions.rules import AreaRule, Structural
from gql_portal.resolvers.loading import by_id, children
from gql_portal.schema.employees import Employee
from gql_portal.schema.fields import field, resolver_field

PROJECTS = AreaRule(Area.PROJECTS)
ActiveFilter = Annotated[
    bool | None, strawberry.argument(description="Default true; null for all.")
]
STRUCTURAL = Structural()
# Per customer / project (the query cost counts this many; more is an error).
PROJECTS_BOUND = 200
ACTIVITIES_BOUND = 200
ASSIGNED_EMPLOYEES_BOUND = 500


def _active_filter(
    model: type[db.Project] | type[db.Activity], active: bool | None
) -> list[ColumnElement[bool]]:
    return [] if active is None else [model.active.is_(active)]


@strawberry.type(description="A customer of the company (the client's own customer).")
class Customer(relay.Node):
    id: relay.NodeID[int]
    company_id: strawberry.Private[int]
    name: str = field(PROJECTS)
    organisation_number: str | None = field(
        PROJECTS, description="Organisationsnummer, formatted NNNNNN-NNNN."
    )

    @resolver_field(PROJECTS, description="The customer's projects, by code.", bound=PROJECTS_BOUND)
    async def projects(
        self,
        info: strawberry.Info,
        active: ActiveFilter = True,
    ) -> list["Project"]:
        rows = await children(
            info.context,
            db.Project,
            db.Project.customer_id,
            order_by=[db.Project.code],
            where=_active_filter(db.Project, active),
            variant=("active", active),
            limit=PROJECTS_BOUND,
        ).load(self.id)
        return [Project.from_row(row) for row in rows]

    @classmethod
    def from_row(cls, row: db.Customer) -> "Customer":
        return cls(
            id=row.id,
            company_id=row.company_id,
            name=row.name,
            organisation_number=(
                format_organisation_number(row.organisation_number)
                if row.organisation_number
                else None
            ),
        )


@strawberry.type(description="A project time can be reported on.")
class Project(relay.Node):
    id: relay.NodeID[int]
    company_id: strawberry.Private[int]
    customer_id: strawberry.Private[int | None]
    code: str = field(PROJECTS, description="Unique in the company.")
    name: str = field(PROJECTS)
    active: bool = field(PROJECTS, description="Inactive projects take no new time.")

    @resolver_field(PROJECTS, description="The customer the project is for, if any.")
    async def customer(self, info: strawberry.Info) -> Customer | None:
        if self.customer_id is None:
            return None
        row = await by_id(info.context, db.Customer).load(self.customer_id)
        return Customer.from_row(row) if row else None

    @resolver_field(
        PROJECTS, description="The project's activities, by name.", bound=ACTIVITIES_BOUND
    )
    async def activities(
        self,
        info: strawberry.Info,
        active: ActiveFilter = True,
    ) -> list["Activity"]:
        rows = await children(
            info.context,
            db.Activity,
            db.Activity.project_id,
            order_by=[db.Activity.name],
            where=_active_filter(db.Activity, active),
            variant=("active", active),
            limit=ACTIVITIES_BOUND,
        ).load(self.id)
        return [Activity.from_row(row) for row in rows]

    @resolver_field(
        PROJECTS,
        description="The employees assigned to the project, by name (an employee sees only "
        "themself).",
        bound=ASSIGNED_EMPLOYEES_BOUND,
    )
    async def assigned_employees(
        self, info: strawberry.Info
    ) -> list[Annotated["Employee", strawberry.lazy("gql_portal.schema.employees")]]:
        ctx = info.context
        assignments = await children(
            ctx,
            db.ProjectAssignment,
            db.ProjectAssignment.project_id,
            limit=ASSIGNED_EMPLOYEES_BOUND,
        ).load(self.id)
        rows = await by_id(ctx, EmployeeRow).load_many([a.employee_id for a in assignments])
        found = sorted(
            (row for row in rows if row is not None),
            key=lambda row: (row.last_name, row.first_name, row.id),
        )
        return [Employee.from_row(row) for row in found]

    @classmethod
    def from_row(cls, row: db.Project) -> "Project":
        return cls(
            id=row.id,
            company_id=row.company_id,
            customer_id=row.customer_id,
            code=row.code,
            name=row.name,
            active=row.active,
        )


@strawberry.type(description="An activity within a project.")
class Activity(relay.Node):
    id: relay.NodeID[int]
    company_id: strawberry.Private[int]
    project_id: strawberry.Private[int]
    name: str = field(PROJECTS)
    active: bool = field(PROJECTS)

    @resolver_field(PROJECTS, description="The project the activity belongs to.")
    async def project(self, info: strawberry.Info) -> Project | None:
        row = await by_id(info.context, db.Project).load(self.project_id)
        return Project.from_row(row) if row else None

    @classmethod
    def from_row(cls, row: db.Activity) -> "Activity":
        return cls(
            id=row.id,
            company_id=row.company_id,
            project_id=row.project_id,
            name=row.name,
            active=row.active,
        )


# --- inputs and payloads ------------------------------------------------------------------


@strawberry.input(description="A new customer.")
class CreateCustomerInput:
    name: str = strawberry.field(description="The customer's name, at most 200 characters.")
    organisation_number: str | None = strawberry.field(
        default=None, description="10 digits, e.g. 556677-8899."
    )


@strawberry.input(
    description="A customer's changes. Fields left out (null) are not changed; an empty "
    "organisation number removes it."
)
class UpdateCustomerInput:
    name: str | None = strawberry.field(
        default=None, description="The customer's new name, at most 200 characters."
    )
    organisation_number: str | None = strawberry.field(
        default=None,
        description="The customer's organisation number, 10 digits (556677-8899); an empty "
        "string removes it.",
    )


@strawberry.type(description="The customer the mutation created or changed.")
class CustomerPayload:
    customer: Customer = field(STRUCTURAL)


@strawberry.input(description="A new project.")
class CreateProjectInput:
    code: str = strawberry.field(description="1-20 characters without spaces, unique.")
    name: str = strawberry.field(description="The project's name, at most 200 characters.")
    customer_id: relay.GlobalID | None = strawberry.field(
        default=None, description="The `Customer` the project is for, if any."
    )


@strawberry.input(
    description="A project's changes. Fields left out are not changed; `customerId: null` "
    "removes the customer."
)
class UpdateProjectInput:
    code: str | None = strawberry.field(
        default=None, description="A new code: 1-20 characters without spaces, unique."
    )
    name: str | None = strawberry.field(
        default=None, description="A new name, at most 200 characters."
    )
    customer_id: relay.GlobalID | None = strawberry.field(
        default=strawberry.UNSET, description="Another `Customer`; null removes the customer."
    )


@strawberry.type(description="The project the mutation created or changed.")
class ProjectPayload:
    project: Project = field(STRUCTURAL)


@strawberry.input(description="An activity's changes. Fields left out (null) are not changed.")
class UpdateActivityInput:
    name: str | None = strawberry.field(
        default=None, description="A new name, at most 200 characters."
    )
    active: bool | None = strawberry.field(
        default=None,
        description="False: no new time can be reported on the activity; true: it can again.",
    )


@strawberry.type(description="The activity the mutation created or changed.")
class ActivityPayload:
    activity: Activity = field(STRUCTURAL)
