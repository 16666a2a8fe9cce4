"""Field rules: every GraphQL field carries exactly one, read from the matrix.

A rule answers two questions: is the field part of a role's schema (decided once, when the
per-role schemas are built), and may this viewer resolve it on this object (decided per object,
by the field's permission class, without any I/O).
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable
from typing import Any

from strawberry.permission import BasePermission
from strawberry.types import Info

from gql_portal.errors import AppError, Code
from gql_portal.permissions.access import Access, Gate
from gql_portal.permissions.matrix import FIRM_MATRIX, Actor, Area, Op, Reach, firm_reach, reach
from gql_portal.permissions.roles import PORTAL_FIRM_ACTORS, ROLE_ACTOR, SchemaRole

_NO_OWNER = object()  # shared rows (no owner_employee_id attribute)
_ANY_OWNER = object()  # personal rows whose owner the decision does not look at


class Rule:
    trial_exempt: bool = False

    def visible_in(self, role: SchemaRole) -> bool:
        raise NotImplementedError

    def check(self, access: Access, source: Any) -> None:
        """Raise an AppError when the viewer may not resolve this field on `source`."""
        raise NotImplementedError

    def describe(self) -> str:
        raise NotImplementedError

    def decision_key(self, source: Any, access: Access | None = None) -> Hashable | None:
        """What of `source` the decision for `access` depends on, when it can be reused within
        a request (None: decide every time)."""
        return None


def require_signed_in(access: Access) -> None:
    if not access.signed_in:
        raise AppError(Code.UNAUTHENTICATED, "Log in first.")


def require_open(access: Access, *, trial_exempt: bool, company_id: int | None) -> None:
    if access.gate is Gate.TRIAL_EXPIRED and not trial_exempt:
        raise AppError(
            Code.TRIAL_EXPIRED,
            "The trial has ended. Activate the account to continue.",
        )
    if access.gate is Gate.FEATURE_DISABLED and company_id == access.company_id:
        raise AppError(
            Code.FEATURE_DISABLED,
            "The account is activated as an accounting firm: only the partner portal is open.",
        )


def forbidden(area: Area, op: Op) -> AppError:
    return AppError(
        Code.FORBIDDEN, f"No {op.value.lower()} access to {area.value}.", area=area.value
    )


class Anyone(Rule):
    """Open to everyone, logged in or not (sign-up, log-in, the viewer)."""

    trial_exempt = True

    def visible_in(self, role: SchemaRole) -> bool:
        return True

    def check(self, access: Access, source: Any) -> None:
        return None

    def describe(self) -> str:
        return "Anyone."


class Structural(Rule):
    """Structure of an answer (connections, edges, payloads): decided where it was returned."""

    trial_exempt = True

    def visible_in(self, role: SchemaRole) -> bool:
        return True

    def check(self, access: Access, source: Any) -> None:
        return None

    def describe(self) -> str:
        return "As the field that returned it."


class SignedIn(Rule):
    """Any logged-in viewer, about their own account (log out, change password, activate)."""

    def __init__(self, *, trial_exempt: bool = False) -> None:
        self.trial_exempt = trial_exempt

    def visible_in(self, role: SchemaRole) -> bool:
        return role is not SchemaRole.PUBLIC

    def check(self, access: Access, source: Any) -> None:
        require_signed_in(access)
        if not self.trial_exempt:
            require_open(access, trial_exempt=False, company_id=None)

    def describe(self) -> str:
        extra = " Also after the trial has ended." if self.trial_exempt else ""
        return f"Any logged-in user.{extra}"


class OwnAccount(Rule):
    """The viewer's own user record (reached through `viewer`)."""

    trial_exempt = True

    def visible_in(self, role: SchemaRole) -> bool:
        return True

    def check(self, access: Access, source: Any) -> None:
        require_signed_in(access)
        if getattr(source, "id", None) != access.user_id:
            raise AppError(Code.FORBIDDEN, "Only your own account.", area="USERS")

    def describe(self) -> str:
        return "The logged-in user's own account."


class AreaRule(Rule):
    """A field of a company's data in one area of the matrix, for one operation.

    `source` is the object the field belongs to (it carries `company_id`, and `owner_user_id`
    where rows have an owner); for root fields it is None and the session's company applies.
    `viewer_company` keeps the field in every schema for the viewer's own company (the company
    shown by `viewer`), e.g. the company's identity.
    """

    def __init__(self, area: Area, op: Op = Op.READ, *, viewer_company: bool = False) -> None:
        self.area = area
        self.op = op
        self.viewer_company = viewer_company
        self.trial_exempt = viewer_company

    def visible_in(self, role: SchemaRole) -> bool:
        if self.viewer_company:
            return True
        if any(firm_reach(self.area, a, self.op) for a in PORTAL_FIRM_ACTORS.get(role, ())):
            return True  # the firm's own data (its users), for one of the role's firm users
        return column_reaches(role, self.area, self.op)

    def check(self, access: Access, source: Any) -> None:
        require_signed_in(access)
        if source is None:
            # A root field: the viewer must reach the area somewhere; which rows, the data
            # layer's row scoping decides.
            require_open(access, trial_exempt=False, company_id=access.company_id)
            if access.firm_reach(self.area, self.op) is Reach.NONE and not access.column_reaches(
                self.area, self.op
            ):
                raise forbidden(self.area, self.op)
            return None
        company_id: int = source.company_id
        if self.viewer_company and company_id == access.company_id:
            return None
        require_open(access, trial_exempt=self.trial_exempt, company_id=company_id)
        granted = access.reach(self.area, self.op, company_id)
        if granted is Reach.NONE:
            raise forbidden(self.area, self.op)
        if granted is Reach.OWN and not self._owned(access, source):
            raise AppError(
                Code.FORBIDDEN, f"Only your own {self.area.value} data.", area=self.area.value
            )
        return None

    def decision_key(self, source: Any, access: Access | None = None) -> Hashable | None:
        if source is None or type(self).check is not AreaRule.check:
            return None  # root fields, and subclasses that look at more of the object
        company_id = source.company_id
        owner = getattr(source, "owner_employee_id", _NO_OWNER)
        if (
            owner is not _NO_OWNER
            and access is not None
            and access.reach(self.area, self.op, company_id) is not Reach.OWN
        ):
            # Only OWN reach looks at the owner: a thousand employees of a client are decided
            # once, not once each.
            owner = _ANY_OWNER
        return (company_id, owner)

    @staticmethod
    def _owned(access: Access, source: Any) -> bool:
        # Personal rows name their owner; shared ones (an assigned project, a payroll period)
        # were only loaded because the row scope's `own_rows` let this viewer see them.
        if not hasattr(source, "owner_employee_id"):
            return True
        return access.owns(source.owner_employee_id)

    def describe(self) -> str:
        sentence = f"Area {self.area.value}, {self.op.value.lower()}."
        firm = FIRM_MATRIX.get(self.area, {})
        if self.area is Area.COMPANY_IDENTITY or not firm:
            return sentence
        who = [actor for actor in FIRM_USERS if firm_reach(self.area, actor, self.op)]
        if not who:
            return sentence
        whom = "all the firm's users" if len(who) == len(FIRM_USERS) else firm_users(who)
        return f"{sentence} In the partner portal, for the firm's own {self.area.value}: {whom}."


class PartnerPortal(Rule):
    """The firm's own work in the partner portal, across its clients: the client board (
    COLLABORATIONS, read), asking clients and entering a FULL client (COLLABORATIONS, write),
    batch exports (the area's export). Open to the portal's roles whose matrix column reaches
    `area` for `op` (the firm's assistants only read)."""

    def __init__(self, area: Area, op: Op) -> None:
        self.area = area
        self.op = op

    def visible_in(self, role: SchemaRole) -> bool:
        return role in PORTAL_FIRM_ACTORS and column_reaches(role, self.area, self.op)

    def check(self, access: Access, source: Any) -> None:
        require_signed_in(access)
        if not access.in_portal:
            raise AppError(Code.FORBIDDEN, "Only in the partner portal.", area="COLLABORATIONS")
        if not access.column_reaches(self.area, self.op):
            raise forbidden(self.area, self.op)
        require_open(access, trial_exempt=False, company_id=None)

    def describe(self) -> str:
        who = [
            actor
            for role, actors in PORTAL_FIRM_ACTORS.items()
            if column_reaches(role, self.area, self.op)
            for actor in actors
        ]
        return (
            f"Partner firm users, in the partner portal: {firm_users(who)} (Area "
            f"{self.area.value}, {self.op.value.lower()}, across the firm's clients)."
        )


# The firm's users by their role in the firm, as the descriptions name them.
FIRM_USERS: dict[Actor, str] = {
    Actor.ADMIN: "admins",
    Actor.EMPLOYEE: "consultants",
    Actor.ASSISTANT: "assistants",
}


def firm_users(actors: Iterable[Actor]) -> str:
    """ "the firm's admins", "the firm's admins and consultants", ..."""
    names = [FIRM_USERS[actor] for actor in actors]
    listed = ", ".join(names[:-1]) + f" and {names[-1]}" if len(names) > 1 else "".join(names)
    return f"the firm's {listed}"


def column_reaches(role: SchemaRole, area: Area, op: Op) -> bool:
    """Whether the matrix column `role` follows reaches `area` for `op` anywhere."""
    actor = ROLE_ACTOR[role]
    return actor is not None and reach(area, actor, op) > Reach.NONE


def sees_owner_identity(access: Access, company_id: int) -> bool:
    """Whether the viewer sees a sole trader's organisation number, its owner's personnummer,
    in full: those who keep the company's identity (COMPANY_IDENTITY, write: its admins and
    FULL partners inside it, a firm's own admins in the portal). Everyone else (LIMITED
    partners and every client in the portal, employees, other companies) sees it masked."""
    return access.reach(Area.COMPANY_IDENTITY, Op.WRITE, company_id) is Reach.ALL


def require_order_readable(access: Access, *, listed: Area, ordered_by: Area) -> None:
    """Ordering a list of `listed` rows by a value of `ordered_by` tells how the rows' values
    compare (a list by salary ranks salaries): only for a viewer who reads `ordered_by` on
    every row the list reaches. FORBIDDEN naming `orderBy` otherwise."""
    rows, values = access.row_scope(listed), access.row_scope(ordered_by)
    if rows.companies <= values.companies and (rows.own_only or not values.own_only):
        return
    raise AppError(
        Code.FORBIDDEN,
        f"Ordering by this field needs read access to {ordered_by.value} on every row listed.",
        area=ordered_by.value,
        field="orderBy",
    )


def require_enterable_client(access: Access, client_id: int) -> None:
    """A firm user may log in to a client's company only through an ACTIVE FULL collaboration;
    a client without an ACTIVE one does not exist for the firm."""
    if client_id not in access.client_ids:
        raise AppError(Code.NOT_FOUND, "No such Company.", field="clientId")
    if client_id not in access.full_client_ids:
        raise AppError(
            Code.FORBIDDEN,
            "A LIMITED collaboration does not let the firm log in to the client's company.",
            area=Area.COLLABORATIONS.value,
            field="clientId",
        )


def portal_firm(access: Access) -> int:
    """The firm whose partner portal the viewer may go to: the one they act for in a client's
    company, or their own firm's company (during its trial)."""
    if access.acting_firm_id is not None:
        return access.acting_firm_id
    if access.company_is_firm and access.company_id is not None:
        return access.company_id
    raise AppError(
        Code.FORBIDDEN,
        "Only accounting firms have the partner portal.",
        area=Area.COLLABORATIONS.value,
    )


def require_level_answerer(access: Access, client_id: int) -> None:
    """A firm's level request is the client's to answer, as setting the level is (COLLABORATIONS,
    manage): the firm that asked, in the portal or inside the client's company, cannot."""
    if access.reach(Area.COLLABORATIONS, Op.MANAGE, client_id) is not Reach.ALL:
        raise AppError(
            Code.FORBIDDEN,
            "Only the client's admins answer the firm's level request.",
            area=Area.COLLABORATIONS.value,
            field="id",
        )


class CollaborationRule(AreaRule):
    """COLLABORATIONS, where a firm also reaches its own firm's collaborations in any state."""

    def __init__(self, op: Op = Op.READ) -> None:
        super().__init__(Area.COLLABORATIONS, op)

    def check(self, access: Access, source: Any) -> None:
        if (
            access.in_portal
            and access.column_reaches(self.area, self.op)
            and (source is None or getattr(source, "firm_id", None) == access.company_id)
        ):
            require_open(access, trial_exempt=False, company_id=None)
            return None
        return super().check(access, source)

    def describe(self) -> str:
        return f"{super().describe()} A partner firm reaches its own collaborations."


class ExportRule(AreaRule):
    """An export record: seen by those who may export its data (PAYROLL_BASIS export; the
    matrix gives EXPENSES_RECEIPTS export to the same actors), where a firm in the portal also
    reaches the batch exports it made across its clients (they belong to the firm)."""

    def __init__(self) -> None:
        super().__init__(Area.PAYROLL_BASIS, Op.EXPORT)

    def check(self, access: Access, source: Any) -> None:
        if source is not None and _firms_own_batch(access, source.company_id, source.firm_id):
            require_open(access, trial_exempt=False, company_id=None)
            return None
        return super().check(access, source)

    def describe(self) -> str:
        return f"{super().describe()} A partner firm also reaches the batch exports it made."


def may_download_export(
    access: Access, area: Area, company_id: int, firm_id: int | None, clients: Iterable[int]
) -> bool:
    """Whether the viewer may download an export now (asked again at every download): the right
    to export its area of its company; for a firm's batch, every client in it must still be a
    client of the firm."""
    if not access.signed_in or access.gate is Gate.TRIAL_EXPIRED:
        return False
    if _firms_own_batch(access, company_id, firm_id):
        return set(clients) <= access.client_ids
    if access.gate is not Gate.OPEN:
        return False
    return access.reach(area, Op.EXPORT, company_id) is not Reach.NONE


def _firms_own_batch(access: Access, company_id: int, firm_id: int | None) -> bool:
    """In the portal: an export the viewer's firm made that belongs to the firm (a batch), to
    a viewer whose column exports (the firm's assistants neither export nor see exports)."""
    return (
        access.in_portal
        and company_id == access.company_id
        and firm_id == access.company_id
        and access.column_reaches(Area.PAYROLL_BASIS, Op.EXPORT)
    )


def require_export_reach(access: Access, area: Area, company_id: int | None, field: str) -> int:
    """The company whose `area` the viewer may export; NOT_FOUND otherwise (another company,
    or in the portal one that is not a client, does not exist for the viewer)."""
    if company_id is None or access.reach(area, Op.EXPORT, company_id) is Reach.NONE:
        raise AppError(Code.NOT_FOUND, "No such Company.", field=field)
    return company_id


def batch_clients(
    access: Access, wanted: set[int] | None, area: Area = Area.PAYROLL_BASIS
) -> list[int]:
    """The clients a firm's batch export of `area` covers: the ones named, or every client whose
    `area` the firm may export; a company that is not a client (with an ACTIVE collaboration),
    or whose `area` it may not export, does not exist for the firm."""
    exportable = {
        client
        for client in access.client_ids
        if access.reach(area, Op.EXPORT, client) is not Reach.NONE
    }
    if wanted is not None and not wanted <= exportable:
        raise AppError(Code.NOT_FOUND, "No such Company.", field="clientIds")
    return sorted(wanted if wanted is not None else exportable)


class Allowed(BasePermission):
    """The permission class on every field: checks the field's rule, no I/O, no coroutine."""

    def __init__(self, rule: Rule) -> None:
        self.rule = rule
        # Partner reads of salary details are audited (per request and object).
        audited = (
            isinstance(rule, AreaRule) and rule.area is Area.EMPLOYEE_SALARY and rule.op is Op.READ
        )
        self.audited_area = Area.EMPLOYEE_SALARY.value if audited else None

    def has_permission(self, source: Any, info: Info[Any, Any], **kwargs: Any) -> bool:
        context = info.context
        access = context.access
        # An AreaRule's decision depends on the object only through its company and owner: the
        # twenty fields of a thousand employees are decided a handful of times a request.
        key = self.rule.decision_key(source, access)
        if key is None:
            self.rule.check(access, source)
        else:
            granted = context.granted
            if (self.rule, key) not in granted:
                self.rule.check(access, source)  # raises when refused: refusals are not kept
                granted.add((self.rule, key))
        if self.audited_area and source is not None and access.partner_firm_id is not None:
            info.context.partner_reads.add(
                (source.company_id, self.audited_area, type(source).__name__, source.id)
            )
        return True


# --- inside the firm: who works on which client (issue 20) ------------------------------------


def managed_firm(access: Access) -> int:
    """The firm whose assignments, teams and access policy the viewer manages: their own, in
    the partner portal, as one of its admins (the firm's USERS, manage). Who works on which
    client is the admins' business: the firm's other users neither read nor change it."""
    require_signed_in(access)
    if (
        not access.in_portal
        or access.company_id is None
        or access.firm_reach(Area.USERS, Op.MANAGE) is not Reach.ALL
    ):
        raise AppError(
            Code.FORBIDDEN,
            "Only the firm's admins, in the partner portal, manage who works on which client.",
            area=Area.USERS.value,
        )
    require_open(access, trial_exempt=False, company_id=None)
    return access.company_id


def require_firm_clients(access: Access, client_ids: Iterable[int], field: str) -> list[int]:
    """Clients an assignment may name: the firm's clients with an ACTIVE collaboration (a firm
    admin reaches all of them); any other company does not exist for the firm."""
    wanted = sorted(set(client_ids))
    if not set(wanted) <= access.client_ids:
        raise AppError(Code.NOT_FOUND, "No such Company.", field=field)
    return wanted


def firm_clients_among(access: Access, client_ids: Iterable[int]) -> list[int]:
    """Of `client_ids`, the firm's clients with an ACTIVE collaboration that the viewer reaches
    (an assignment's client may since have ended its collaboration: nothing to work on)."""
    return sorted(set(client_ids) & access.client_ids)


class FirmAdmin(Rule):
    """The firm's own management of its users' clients: its admins, in the partner portal."""

    def visible_in(self, role: SchemaRole) -> bool:
        actors = PORTAL_FIRM_ACTORS.get(role, ())
        return any(firm_reach(Area.USERS, actor, Op.MANAGE) is Reach.ALL for actor in actors)

    def check(self, access: Access, source: Any) -> None:
        managed_firm(access)

    def describe(self) -> str:
        return "The firm's admins, in the partner portal (the firm's USERS, manage)."
