"""GraphQL types of the partner portal's client board."""

import datetime
from collections.abc import Awaitable, Callable
from enum import Enum
from typing import TYPE_CHECKING, Annotated

import strawberry
from strawberry import relay

from gql_portal.domain.payroll import PeriodState
from gql_portal.permissions.matrix import Area
from gql_portal.permissions.rules import AreaRule, CollaborationRule, FirmAdmin
from gql_portal.schema.accounts import Company, PayrollProgram
from gql_portal.schema.collaborations import Collaboration
from gql_portal.schema.employees import Employee
from gql_portal.schema.fields import field, resolver_field
from gql_portal.schema.ordering import DIRECTION_DESCRIPTION, OrderDirection
from gql_portal.schema.payroll import PayrollPeriod
from gql_portal.schema.plugs import Plug

if TYPE_CHECKING:
    from gql_portal.context import RequestContext

    StatusOf = Callable[
        [RequestContext, int, datetime.date | None], Awaitable["ClientPayrollStatus"]
    ]
    EmployeesOf = Callable[[RequestContext, int, bool | None], Awaitable[list[Employee]]]
    AssignedOf = Callable[[RequestContext, int], Awaitable[list["AssignedUser"]]]

PAYROLL = AreaRule(Area.PAYROLL_BASIS)
# Per client: a page of 100 clients with theirs stays within the cost limit (larger clients are
# read through `employees(companyId:)`, page by page).
CLIENT_EMPLOYEES_BOUND = 500
# Read by the portal's and the employees' resolvers: schema/root.py plugs them in.
PAYROLL_STATUS: "Plug[StatusOf]" = Plug("PortalClient.payrollStatus")
EMPLOYEES: "Plug[EmployeesOf]" = Plug("PortalClient.employees")
ASSIGNED_USERS: "Plug[AssignedOf]" = Plug("PortalClient.assignedUsers")
FIRM_ADMIN = FirmAdmin()
# The firm's users one client may be assigned to (the cost counts them).
ASSIGNED_USERS_BOUND = 200


@strawberry.type(description="A user of the firm assigned to a client, as the firm shows it.")
class AssignedUser:
    user_id: relay.GlobalID = field(FIRM_ADMIN, description="The firm's user (a `User` id).")
    name: str = field(FIRM_ADMIN, description="The user's name.")
    since: datetime.datetime = field(
        FIRM_ADMIN,
        description="When the client was assigned to them, directly or to one of their teams "
        "(the earliest).",
    )
    teams: list[str] = field(
        FIRM_ADMIN,
        description="The teams through which the client is assigned to them, by name (empty: "
        "assigned directly only).",
        bound=ASSIGNED_USERS_BOUND,
    )


@strawberry.type(
    description="Where a client's payroll stands in the month the board shows: the board's "
    "`month` if it asked for one, else the month being prepared (the client's latest period not "
    "yet EXPORTED, up to the current month; else the current calendar month)."
)
class ClientPayrollStatus:
    company_id: strawberry.Private[int]
    period_start: datetime.date = field(
        PAYROLL, description="First day of the period shown (see the type's description)."
    )
    period_end: datetime.date = field(PAYROLL, description="Last day of the period shown.")
    period_state: PeriodState = field(
        PAYROLL, description="OPEN also when the period has not been opened yet."
    )
    payroll_period: PayrollPeriod | None = field(PAYROLL, description="The period, once opened.")
    employees_with_unattested_weeks: int = field(
        PAYROLL,
        description="Employees with time reported in the period in a week not yet attested.",
    )
    expenses_awaiting_approval: int = field(
        AreaRule(Area.EXPENSES_RECEIPTS), description="Submitted expenses not yet decided."
    )


@strawberry.type(description="A client of the viewer's firm, as the partner portal shows it.")
class PortalClient(relay.Node):
    id: relay.NodeID[int]  # the collaboration's
    company_id: strawberry.Private[int]
    firm_id: strawberry.Private[int]
    company: Company = field(AreaRule(Area.COMPANY_IDENTITY))
    collaboration: Collaboration = field(CollaborationRule())
    # The month the board asked for (`clients(month:)`), None for the month being prepared.
    board_month: strawberry.Private[datetime.date | None]
    payroll_program: PayrollProgram | None = field(
        CollaborationRule(),
        description="The client's payroll program, as the collaboration needs it: Visma Lön Smart "
        "needs a FULL collaboration, whose firm activates the integration inside the client's "
        "company.",
    )

    @resolver_field(
        PAYROLL,
        description="Where the client's payroll stands in the month the board shows: the "
        "board's `month`, else the latest period not yet EXPORTED, else the current month.",
    )
    async def payroll_status(self, info: strawberry.Info) -> ClientPayrollStatus:
        # Read only when asked for, then for every client of the page at once.
        return await PAYROLL_STATUS.resolver(info.context, self.company_id, self.board_month)

    @resolver_field(
        AreaRule(Area.EMPLOYEE_CONTACT),
        description="The client's employees by name (`active`: default true; null for all), "
        "loaded for every client of the page at once. Their fields say what each reveals.",
        bound=CLIENT_EMPLOYEES_BOUND,
    )
    async def employees(
        self,
        info: strawberry.Info,
        active: Annotated[
            bool | None,
            strawberry.argument(
                description="True (default): current staff; false: former staff only; null: both."
            ),
        ] = True,
    ) -> list[Employee]:
        return await EMPLOYEES.resolver(info.context, self.company_id, active)

    @resolver_field(
        FIRM_ADMIN,
        description="The firm's users assigned to the client, directly or through a team, by "
        "name (the firm's admins reach every client whatever this says; whether others without "
        "an assignment do, `firmAccessPolicy` says). Loaded for every client of the page at once. "
        "Null, with a FORBIDDEN error, for the firm's other users: the client still answers.",
        bound=ASSIGNED_USERS_BOUND,
    )
    async def assigned_users(self, info: strawberry.Info) -> list[AssignedUser] | None:
        return await ASSIGNED_USERS.resolver(info.context, self.company_id)


@strawberry.enum(description="What `clients` can be ordered by.")
class ClientOrderField(Enum):
    NAME = strawberry.enum_value(
        "NAME",
        description="The client company's name, as in Swedish (case aside; å, ä, ö after z).",
    )
    LEVEL = strawberry.enum_value(
        "LEVEL", description="The collaboration's level, by its name (FULL, then LIMITED)."
    )
    ACTIVATED_AT = strawberry.enum_value(
        "ACTIVATED_AT", description="When the collaboration became ACTIVE."
    )


@strawberry.input(description="An order for `clients`: a field and a direction.")
class ClientOrder:
    field: ClientOrderField = strawberry.field(description="What to order by.")
    direction: OrderDirection = strawberry.field(
        default=OrderDirection.ASC, description=DIRECTION_DESCRIPTION
    )
