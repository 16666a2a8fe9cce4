"""`node(id:)`: a Relay global id resolved through exactly the same loaders, row scoping and
field permissions as every other path. An id out of reach answers NOT_FOUND, like a wrong one."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated

import strawberry
from strawberry import relay

from gql_portal.context import RequestContext
from gql_portal.db.accounts import User
from gql_portal.permissions.rules import SignedIn
from gql_portal.resolvers import (
    absence,
    audit,
    collaborations,
    employees,
    expenses,
    exports,
    firm,
    integrations,
    payroll,
    portal,
    projects,
    time,
    users,
)
from gql_portal.resolvers.common import MAX_ROW_ID, Ctx, not_found, row_id
from gql_portal.schema import accounts as account_types
from gql_portal.schema.fields import field

Loader = Callable[[RequestContext, int], Awaitable[object | None]]


async def user_by_id(ctx: RequestContext, user_id: int) -> account_types.User | None:
    if user_id != ctx.access.user_id:
        return None
    async with ctx.database.session() as session:
        row = await session.get(User, user_id)
    return account_types.User.from_row(row) if row else None


NODE_LOADERS: dict[str, Loader] = {
    "Company": account_types.company_by_id,
    "User": user_by_id,
    "Employee": employees.employee_by_id,
    "TimeCode": time.time_code_by_id,
    "TimeEntry": time.time_entry_by_id,
    "Absence": absence.absence_by_id,
    "Expense": expenses.expense_by_id,
    "Receipt": expenses.receipt_by_id,
    "PayrollPeriod": payroll.payroll_period_by_id,
    "Customer": projects.customer_by_id,
    "Project": projects.project_by_id,
    "Activity": projects.activity_by_id,
    "Collaboration": collaborations.collaborations_by_id,
    "PayrollIntegration": integrations.payroll_integration_by_id,
    "IntegrationDelivery": integrations.integration_delivery_by_id,
    "Export": exports.export_by_id,
    "AuditEvent": audit.audit_event_by_id,
    "CompanyUser": users.company_user_by_id,
    "PortalClient": portal.portal_client_by_id,
    "FirmAssignment": firm.firm_assignment_by_id,
}


async def node(
    info: Ctx,
    id: Annotated[
        relay.GlobalID,
        strawberry.argument(
            description="A global id from any object's `id` field (base64 of the type and the row)."
        ),
    ],
) -> relay.Node | None:
    loader = NODE_LOADERS.get(id.type_name)
    key = row_id(id.node_id)
    if loader is None or key is None or not 1 <= key <= MAX_ROW_ID:
        raise not_found(id.type_name or "object")
    found = await loader(info.context, key)
    if found is None:
        raise not_found(id.type_name or "object")
    return found  # type: ignore[return-value]


@strawberry.type
class Queries:
    node = field(
        SignedIn(),
        node,
        description="Any object by its global id, with the same checks as every other path.",
    )
