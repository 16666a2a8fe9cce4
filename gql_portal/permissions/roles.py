"""Schema roles: each role gets its own GraphQL schema, projected from one type system.

The role follows the session's context: anonymous → PUBLIC; inside a company → COMPANY_ADMIN or
EMPLOYEE (a FULL partner who logged in to a client's company is COMPANY_ADMIN there); in the
partner portal → PARTNER_PORTAL, which reaches every client exactly as the LIMITED column says.
"""

from __future__ import annotations

from enum import StrEnum

from gql_portal.permissions.matrix import Actor


class SchemaRole(StrEnum):
    PUBLIC = "PUBLIC"
    COMPANY_ADMIN = "COMPANY_ADMIN"
    EMPLOYEE = "EMPLOYEE"
    PARTNER_PORTAL = "PARTNER_PORTAL"


# The matrix column each role's client data follows (PUBLIC reaches no client data).
ROLE_ACTOR: dict[SchemaRole, Actor | None] = {
    SchemaRole.PUBLIC: None,
    SchemaRole.COMPANY_ADMIN: Actor.ADMIN,
    SchemaRole.EMPLOYEE: Actor.EMPLOYEE,
    SchemaRole.PARTNER_PORTAL: Actor.LIMITED_PARTNER,
}
