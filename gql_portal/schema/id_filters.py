"""Id-typed filter arguments, described once: what they narrow a list to, and that an id out of
the viewer's reach answers NOT_FOUND naming the argument, as `node(id:)` does for it (never an
empty list that would tell "exists, but not yours" from "nothing"). Checked in
gql_portal.resolvers.loading (`company_filter`, `employee_filter`, ...)."""

from typing import Annotated

import strawberry
from strawberry import relay

CompanyIdFilter = Annotated[
    relay.GlobalID | None,
    strawberry.argument(
        description="Only this company's (in the partner portal: one client's, or the firm's "
        "own). A company out of reach, or none, answers NOT_FOUND."
    ),
]

EmployeeIdFilter = Annotated[
    relay.GlobalID | None,
    strawberry.argument(
        description="Only this employee's. An employee out of reach (another company's; for "
        "an employee, a colleague), or none, answers NOT_FOUND."
    ),
]

EmployeeIdsFilter = Annotated[
    list[relay.GlobalID] | None,
    strawberry.argument(
        description="Only these employees' (null: all the viewer reaches). Any one out of "
        "reach, or none, answers NOT_FOUND."
    ),
]

FirmIdFilter = Annotated[
    relay.GlobalID | None,
    strawberry.argument(
        description="Only what this partner firm did: a firm among the company's "
        "collaborations, current or ended. Another firm, or none, answers NOT_FOUND."
    ),
]

EmployeeIdOrOwn = Annotated[
    relay.GlobalID | None,
    strawberry.argument(
        description="The employee (by default the viewer's own). An employee out of reach "
        "(for an employee, a colleague), or none, answers NOT_FOUND."
    ),
]
