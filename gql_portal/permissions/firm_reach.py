"""Inside an accounting firm: which of its ACTIVE clients one of its users reaches (issue 20).

The collaboration is firm-to-client; who inside the firm works on which client is the firm's
own decision (its assignments, teams and policy), within what the client requires. The session
lookup (gql_portal/auth.py) reads the facts below for every ACTIVE client of the viewer's firm in
its one statement (gql_portal/db/firm.py says how, in SQL); this module decides from them, so
the reach costs no statement per assignment and is decided here, beside the matrix.
"""

from __future__ import annotations

from dataclasses import dataclass

from gql_portal.permissions.matrix import Actor, Area, Op, Reach, reach
from gql_portal.permissions.roles import ROLE_ACTOR, portal_role


@dataclass(frozen=True)
class ClientFacts:
    """What decides whether a user of the firm reaches one ACTIVE client, as of this request."""

    # The firm's policy: its users without an assignment reach every client (the default).
    unassigned_users_see_all: bool
    # The client is assigned to the user, directly or through one of their teams.
    assigned: bool
    # The client's condition: only the firm's users assigned to it reach it (no "everyone in
    # the firm", whatever the firm's policy).
    named_assignment_required: bool = False


def reaches_every_client(firm_actor: Actor) -> bool:
    """The firm's admins reach every ACTIVE client, assigned or not (they assign the others)."""
    return firm_actor is Actor.ADMIN


def reaches_client(firm_actor: Actor, facts: ClientFacts) -> bool:
    """Whether a user of the firm (as `firm_actor` in it) reaches an ACTIVE client: the firm's
    admins always; its other users when it is assigned to them, or when the firm lets
    unassigned users see every client and the client does not require named assignment."""
    if reaches_every_client(firm_actor) or facts.assigned:
        return True
    return facts.unassigned_users_see_all and not facts.named_assignment_required


def enters_clients(firm_actor: Actor) -> bool:
    """Whether a user of the firm may act inside a FULL client's company, as the rule of
    `enterClientCompany` says (COLLABORATIONS, write, in the column of the user's portal role):
    never the firm's assistants (one made assistant while inside a client is back in the
    portal from the next request)."""
    column = ROLE_ACTOR[portal_role(firm_actor)]
    return column is not None and reach(Area.COLLABORATIONS, column, Op.WRITE) > Reach.NONE
