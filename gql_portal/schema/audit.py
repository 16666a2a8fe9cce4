"""GraphQL types of the audit trail (AUDIT)."""

import datetime
from enum import Enum

import orjson
import strawberry
from strawberry import relay

from gql_portal.db import audit as db
from gql_portal.permissions.matrix import Area
from gql_portal.permissions.rules import AreaRule
from gql_portal.schema.fields import field
from gql_portal.schema.ordering import DIRECTION_DESCRIPTION, OrderDirection

AUDIT = AreaRule(Area.AUDIT)


@strawberry.type(description="One event of a company's audit trail.")
class AuditEvent(relay.Node):
    id: relay.NodeID[int]
    company_id: strawberry.Private[int]
    at: datetime.datetime = field(AUDIT)
    action: str = field(
        AUDIT, description="What happened, e.g. EMPLOYEE_SALARY_UPDATED or PARTNER_READ."
    )
    area: str | None = field(AUDIT, description="The area of the matrix it concerns.")
    actor_name: str | None = field(AUDIT, description="The user who did it.")
    actor_firm_name: str | None = field(
        AUDIT, description="The partner firm the user acted for, if any."
    )
    details: str = field(
        AUDIT, description="The event's details as JSON (ids, changed field names)."
    )

    @classmethod
    def from_row(cls, row: db.AuditEvent, actor: str | None, firm: str | None) -> "AuditEvent":
        return cls(
            id=row.id,
            company_id=row.company_id or 0,
            at=row.at,
            action=row.action,
            area=row.area,
            actor_name=actor,
            actor_firm_name=firm,
            details=orjson.dumps(row.details, option=orjson.OPT_SORT_KEYS).decode(),
        )


@strawberry.enum(description="What `auditEvents` can be ordered by.")
class AuditEventOrderField(Enum):
    TIME = strawberry.enum_value("TIME", description="When it happened.")
    ACTION = strawberry.enum_value(
        "ACTION", description="The action's name, character by character."
    )


@strawberry.input(description="An order for `auditEvents`: a field and a direction.")
class AuditEventOrder:
    field: AuditEventOrderField = strawberry.field(description="What to order by.")
    direction: OrderDirection = strawberry.field(
        default=OrderDirection.ASC, description=DIRECTION_DESCRIPTION
    )
