"""GraphQL types of the company's users and their roles (USERS)."""

import datetime
from enum import Enum
from typing import TYPE_CHECKING, Annotated

import strawberry
from strawberry import relay

from gql_portal.db import accounts as db
from gql_portal.db.employees import Employee as EmployeeRow
from gql_portal.permissions.matrix import Area
from gql_portal.permissions.rules import AreaRule, Structural
from gql_portal.resolvers.loading import children
from gql_portal.schema.accounts import Role
from gql_portal.schema.employees import Employee
from gql_portal.schema.fields import field, resolver_field
from gql_portal.schema.ordering import DIRECTION_DESCRIPTION, OrderDirection

if TYPE_CHECKING:
    from gql_portal.context import RequestContext

USERS = AreaRule(Area.USERS)
STRUCTURAL = Structural()


@strawberry.type(description="A user of the company: a person who logs in, and their role.")
class CompanyUser(relay.Node):
    id: relay.NodeID[int]  # the membership's: one person in one company
    row_user_id: strawberry.Private[int]
    company_id: strawberry.Private[int]
    name: str = field(USERS)
    email: str = field(USERS)
    role: Role = field(USERS)
    email_verified: bool = field(
        USERS, description="False until the invitation (or login) link has been opened."
    )
    member_since: datetime.datetime = field(USERS, description="When the user joined the company.")
    is_viewer: bool = field(USERS, description="True for the logged-in user themself.")

    @resolver_field(USERS, description="The user's global id (a `User`).")
    def user_id(self) -> relay.GlobalID:
        return relay.GlobalID("User", str(self.row_user_id))

    @resolver_field(USERS, description="The user's (active) employee record in the company.")
    async def employee(
        self, info: strawberry.Info
    ) -> Annotated["Employee", strawberry.lazy("gql_portal.schema.employees")] | None:
        ctx: RequestContext = info.context
        rows = await children(
            ctx,
            EmployeeRow,
            EmployeeRow.user_id,
            where=[EmployeeRow.active.is_(True)],
            variant="active",
        ).load(self.row_user_id)
        return Employee.from_row(rows[0]) if rows else None

    @classmethod
    def from_row(
        cls, row: db.Membership, user: db.User, viewer_user_id: int | None
    ) -> "CompanyUser":
        return cls(
            id=row.id,
            row_user_id=user.id,
            company_id=row.company_id,
            name=user.name,
            email=user.email,
            role=row.role,
            email_verified=user.email_verified_at is not None,
            member_since=row.created_at,
            is_viewer=user.id == viewer_user_id,
        )


@strawberry.input(description="Invite a person to the company.")
class InviteUserInput:
    email: str = strawberry.field(
        description="Their email address: the login, and where the invitation is sent."
    )
    name: str = strawberry.field(description="Their full name, at most 200 characters.")
    role: Role = strawberry.field(description="Their role in the company.")
    employee_id: relay.GlobalID | None = strawberry.field(
        default=None, description="The employee record to link the user to (employees' own data)."
    )


@strawberry.type(description="The company user the mutation invited or changed.")
class CompanyUserPayload:
    user: CompanyUser = field(STRUCTURAL)


@strawberry.type(description="What a user removed from the company leaves: the user's id.")
class RemoveUserPayload:
    removed_user_id: relay.GlobalID = field(STRUCTURAL)


@strawberry.enum(description="What `companyUsers` can be ordered by.")
class CompanyUserOrderField(Enum):
    NAME = strawberry.enum_value(
        "NAME", description="The user's name, as in Swedish (case aside; å, ä, ö after z)."
    )
    EMAIL = strawberry.enum_value("EMAIL", description="The email address, character by character.")
    ROLE = strawberry.enum_value("ROLE", description="The role in the company, by its name.")
    MEMBER_SINCE = strawberry.enum_value(
        "MEMBER_SINCE", description="When the user joined the company."
    )


@strawberry.input(description="An order for `companyUsers`: a field and a direction.")
class CompanyUserOrder:
    field: CompanyUserOrderField = strawberry.field(description="What to order by.")
    direction: OrderDirection = strawberry.field(
        default=OrderDirection.ASC, description=DIRECTION_DESCRIPTION
    )
