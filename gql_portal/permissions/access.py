"""What one request's viewer may reach: decided once per request from the session, then read by
field permissions and by the data layer's row scoping."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from gql_portal.permissions.matrix import Actor, Area, Op, Reach, firm_reach, reach
from gql_portal.permissions.roles import PORTAL_ROLES, ROLE_ACTOR, SchemaRole


class Gate(StrEnum):
    """The subscription state of the session's company, as it limits the company's areas."""

    OPEN = "OPEN"
    TRIAL_EXPIRED = "TRIAL_EXPIRED"  # trial over, not activated: only viewer, activate, log out
    FEATURE_DISABLED = "FEATURE_DISABLED"  # an activated firm: only the partner portal is open


@dataclass(frozen=True)
class Access:
    role: SchemaRole = SchemaRole.PUBLIC
    user_id: int | None = None
    session_id: int | None = None
    # The company the session is in; in the portal, the viewer's own firm.
    company_id: int | None = None
    actor: Actor | None = None
    # Set when a partner firm's user acts inside a client's company (audited as that firm).
    acting_firm_id: int | None = None
    gate: Gate = Gate.OPEN
    company_is_firm: bool = False
    # The viewer's own employee record in the company (what "own" rows are), if any.
    employee_id: int | None = None
    # Portal: the clients reached through an ACTIVE collaboration (always the LIMITED column).
    client_ids: frozenset[int] = field(default_factory=frozenset)
    # Portal: the clients whose collaboration is FULL (their company can be entered).
    full_client_ids: frozenset[int] = field(default_factory=frozenset)
    # Portal: the viewer's role in their own firm (ADMIN, EMPLOYEE or ASSISTANT), for the firm's
    # own data.
    firm_actor: Actor | None = None
    # What the session lookup read on the way (gql_portal.auth.SessionRows: the user, the
    # company, the employee row), for the viewer and own writes. Not part of the value: two
    # Accesses that reach the same are equal (row-scope options are cached by Access).
    rows: Any = field(default=None, compare=False, repr=False)

    @property
    def signed_in(self) -> bool:
        return self.user_id is not None

    @property
    def in_portal(self) -> bool:
        """Whether the viewer is a firm's user in its partner portal (any role in the firm)."""
        return self.role in PORTAL_ROLES

    @property
    def partner_firm_id(self) -> int | None:
        """The partner firm behind the viewer's acts: in the portal, or inside a client."""
        if self.acting_firm_id is not None:
            return self.acting_firm_id
        return self.company_id if self.in_portal else None

    def reach(self, area: Area, op: Op, company_id: int) -> Reach:
        """How far this viewer reaches `area` of `company_id` (rows beyond it do not exist)."""
        if self.in_portal:
            if company_id in self.client_ids:
                return reach(area, self._portal_actor, op)
            if company_id == self.company_id:
                return self.firm_reach(area, op)
            return Reach.NONE
        if self.actor is None or company_id != self.company_id:
            return Reach.NONE
        return reach(area, self.actor, op)

    def firm_reach(self, area: Area, op: Op) -> Reach:
        """In the portal: how far the viewer reaches their own firm's `area`."""
        if not self.in_portal or self.firm_actor is None:
            return Reach.NONE
        return firm_reach(area, self.firm_actor, op)

    @property
    def _portal_actor(self) -> Actor:
        """The matrix column the portal's clients are reached with: LIMITED for the firm's
        admins and consultants, ASSISTANT for its assistants."""
        actor = ROLE_ACTOR[self.role]
        assert actor is not None
        return actor

    def row_scope(self, area: Area, op: Op = Op.READ) -> RowScope:
        """The rows of `area` this viewer reaches for `op`: the row filter of every query."""
        if self.in_portal:
            granted = reach(area, self._portal_actor, op)
            companies = self.client_ids if granted > Reach.NONE else frozenset()
            if self.firm_reach(area, op) is Reach.ALL and self.company_id is not None:
                companies = companies | {self.company_id}
            return RowScope(companies, own_only=granted is Reach.OWN)
        if self.actor is None or self.company_id is None or self.gate is not Gate.OPEN:
            return NOWHERE
        granted = reach(area, self.actor, op)
        if granted is Reach.NONE:
            return NOWHERE
        return RowScope(frozenset({self.company_id}), own_only=granted is Reach.OWN)

    # --- decisions about rows in hand (resolvers ask these, never compare ids themselves) ---

    def owns(self, employee_id: int | None) -> bool:
        """Whether `employee_id` is the viewer's own employee record: what OWN reach reaches
        of personal rows (None, a row that is nobody's, is never the viewer's own)."""
        return employee_id is not None and employee_id == self.employee_id

    def admits(
        self, area: Area, op: Op, company_id: int, owner_employee_id: int | None = None
    ) -> bool:
        """Whether one row in hand, of `company_id` and personal to `owner_employee_id`, is in
        this viewer's `op` scope of `area`: its company is, and with OWN reach it is the
        viewer's own. The row filter (db/scope.py) decides the same in SQL; this is for a row
        not read through it (a new one before it is written, one read in another area's
        scope). Without an owner only ALL reach admits it (an administrator's)."""
        return self.row_scope(area, op).admits(company_id, self.owns(owner_employee_id))

    def column_reaches(self, area: Area, op: Op) -> bool:
        """Whether the viewer's matrix column (inside a company: their actor; in the portal:
        their role's) reaches `area` for `op` in some company, whether or not any company is
        in reach now (which rows, the row scope decides): e.g. whether they export at all."""
        actor = self.actor or ROLE_ACTOR[self.role]
        return actor is not None and reach(area, actor, op) > Reach.NONE

    def reaches_any(self, area: Area, op: Op) -> bool:
        """Whether this viewer reaches rows of `area` for `op` in any company (which rows, the
        row scope decides): e.g. may they use an administrator's option of a write at all."""
        return bool(self.row_scope(area, op))

    def reaches_rows_in(self, area: Area, company_id: int | None, op: Op = Op.READ) -> bool:
        """Whether some rows of `area` in `company_id` may be in this viewer's `op` scope (which
        ones, the row filter decides): e.g. whether a change there concerns them at all."""
        return company_id is not None and company_id in self.row_scope(area, op).companies

    def reaches_company(self, company_id: int) -> bool:
        """Whether a company exists for this viewer as a company (`node(id:)`, a `companyId`
        argument): the session's own, or one whose identity the row scope reaches (in the
        portal, a client with an ACTIVE collaboration). Otherwise it answers NOT_FOUND."""
        return (
            company_id == self.company_id
            or company_id in self.row_scope(Area.COMPANY_IDENTITY).companies
        )

    def depends_on_company(self, company_id: int) -> bool:
        """Whether this access was derived from `company_id`'s standing, so that a change to
        what its users reach (a collaboration proposed, accepted, changed in level or ended, a
        member removed) may change it: the session's own company, the firm it acts for inside
        a client, or one of its clients."""
        return (
            company_id == self.company_id
            or company_id == self.acting_firm_id
            or company_id in self.client_ids
        )


@dataclass(frozen=True)
class RowScope:
    companies: frozenset[int]
    own_only: bool = False

    def __bool__(self) -> bool:
        return bool(self.companies)

    def admits(self, company_id: int, own: bool) -> bool:
        """Whether one row is in the scope: its company is, and (with own-only reach) it is the
        viewer's own. The row filter (db/scope.py) says the same in SQL."""
        return company_id in self.companies and (own or not self.own_only)


NOWHERE = RowScope(frozenset())
ANONYMOUS = Access()
