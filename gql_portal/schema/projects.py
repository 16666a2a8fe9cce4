"""GraphQL types of projects: the client's own customers, projects and activities (PROJECTS)."""

import strawberry
from strawberry import relay

from gql_portal.db import projects as db
from gql_portal.permissions.matrix import Area
from gql_portal.permissions.rules import AreaRule
from gql_portal.schema.fields import field

PROJECTS = AreaRule(Area.PROJECTS)


@strawberry.type(description="A customer of the company (the client's own customer).")
class Customer(relay.Node):
    id: relay.NodeID[int]
    company_id: strawberry.Private[int]
    name: str = field(PROJECTS)
    organisation_number: str | None = field(PROJECTS)

    @classmethod
    def from_row(cls, row: db.Customer) -> "Customer":
        return cls(
            id=row.id,
            company_id=row.company_id,
            name=row.name,
            organisation_number=row.organisation_number,
        )


@strawberry.type(description="A project time can be reported on.")
class Project(relay.Node):
    id: relay.NodeID[int]
    company_id: strawberry.Private[int]
    customer_id: strawberry.Private[int | None]
    code: str = field(PROJECTS)
    name: str = field(PROJECTS)
    active: bool = field(PROJECTS)

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

    @classmethod
    def from_row(cls, row: db.Activity) -> "Activity":
        return cls(
            id=row.id,
            company_id=row.company_id,
            project_id=row.project_id,
            name=row.name,
            active=row.active,
        )
