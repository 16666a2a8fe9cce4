"""Schema roles: each role gets its own GraphQL schema, projected from one type system.

The role follows the session's context: anonymous → PUBLIC; inside a company → COMPANY_ADMIN or
EMPLOYEE (a FULL partner who logged in to a client's company is COMPANY_ADMIN there); in the
partner portal → PARTNER_PORTAL (the firm's admins and consultants), which reaches every client
exactly as the LIMITED column says, or PORTAL_ASSISTANT (the firm's assistants), which follows
the read-only ASSISTANT column: its schema has no mutation of client or firm data at all.
"""

from __future__ import annotations

from enum import StrEnum

from gql_portal.permissions.matrix import Actor


class SchemaRole(StrEnum):
    PUBLIC = "PUBLIC"
    COMPANY_ADMIN = "COMPANY_ADMIN"
    EMPLOYEE = "EMPLOYEE"
    PARTNER_PORTAL = "PARTNER_PORTAL"
    PORTAL_ASSISTANT = "PORTAL_ASSISTANT"


# The matrix column each role's client data follows (PUBLIC reaches no client data).
ROLE_ACTOR: dict[SchemaRole, Actor | None] = {
    SchemaRole.PUBLIC: None,
    SchemaRole.COMPANY_ADMIN: Actor.ADMIN,
    SchemaRole.EMPLOYEE: Actor.EMPLOYEE,
    SchemaRole.PARTNER_PORTAL: Actor.LIMITED_PARTNER,
    SchemaRole.PORTAL_ASSISTANT: Actor.ASSISTANT,
}

# The portal's roles, by the firm's users they serve (their role in the firm: the FIRM_MATRIX
# column of the firm's own data). A field of the firm's own data is in a portal role's schema
# when one of its users reaches it.
PORTAL_FIRM_ACTORS: dict[SchemaRole, tuple[Actor, ...]] = {
    SchemaRole.PARTNER_PORTAL: (Actor.ADMIN, Actor.EMPLOYEE),
    SchemaRole.PORTAL_ASSISTANT: (Actor.ASSISTANT,),
}
PORTAL_ROLES = frozenset(PORTAL_FIRM_ACTORS)


def portal_role(firm_actor: Actor) -> SchemaRole:
    """The portal's schema role of a firm's user by their role in the firm."""
    return next(role for role, actors in PORTAL_FIRM_ACTORS.items() if firm_actor in actors)
