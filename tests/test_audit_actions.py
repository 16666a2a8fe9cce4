"""The audit vocabulary: every action carries the area its name says (account events none), and
every mutation of the published schema records an action, checked against the code.

What a mutation records is found in its resolver's source and, transitively, in the gql_portal
functions and classes it names (its helpers, the export job it starts): every `AuditAction.X`
there. Each mutation's expected actions are written down below; a new mutation without an entry
fails, and so does an entry whose action the code no longer reaches."""

from __future__ import annotations

import ast
import inspect
import textwrap
import types
from pathlib import Path
from typing import Any

import pytest

from gql_portal import accounts_admin
from gql_portal.domain.audit import AuditAction, area_of
from gql_portal.http import files
from gql_portal.jobs import retention
from gql_portal.permissions.matrix import Area, Op
from gql_portal.permissions.rules import Allowed, AreaRule
from gql_portal.resolvers import audit as resolver_audit
from gql_portal.schema.build import full_schema

A = AuditAction
PACKAGE = Path(__file__).resolve().parent.parent / "gql_portal"

# --- areas ------------------------------------------------------------------------------------

# Events about an account, not a company's data: no area (the trail's area filter skips them).
ACCOUNT_EVENTS = {
    A.SIGNED_UP,
    A.SIGN_UP_WITH_TAKEN_EMAIL,
    A.EMAIL_VERIFIED,
    A.VERIFICATION_RESENT,
    A.LOGIN_FAILED,
    A.LOGGED_IN,
    A.LOGGED_OUT,
    A.PASSWORD_RESET_REQUESTED,
    A.PASSWORD_RESET,
    A.PASSWORD_CHANGED,
    A.ACTIVATED,
    A.TRIAL_EXTENDED,
    A.TRIAL_ENDED,
}

# Events of the service itself, about no company's data: no area either.
SERVICE_EVENTS = {A.ORPHANED_FILES_DELETED}

# The naming rule every other action follows (the prefix table the areas used to be derived
# from, unchanged): the first subject its name starts with gives its area. More specific subjects
# come first (EMPLOYEE_SALARY before EMPLOYEE, TIME_CODE before TIME, PAYROLL_INTEGRATION before
# PAYROLL). A new subject must be added here: no action concerning company data goes without.
AREA_BY_SUBJECT = (
    ("EMPLOYEE_SALARY", Area.EMPLOYEE_SALARY),
    ("EMPLOYEE_ASSIGNED", Area.PROJECTS),
    ("EMPLOYEE_UNASSIGNED", Area.PROJECTS),
    ("EMPLOYEE", Area.EMPLOYEE_CONTACT),
    ("TIME_CODE", Area.SETTINGS),
    ("TIME", Area.TIME),
    ("WEEK", Area.TIME),
    ("ABSENCE", Area.ABSENCE),
    ("SCHEDULE", Area.SCHEDULES),
    ("EXPENSE", Area.EXPENSES_RECEIPTS),  # EXPENSES_EXPORTED too: the export of expenses
    ("MILEAGE", Area.EXPENSES_RECEIPTS),
    ("RECEIPT", Area.EXPENSES_RECEIPTS),
    ("PAYROLL_INTEGRATION", Area.INTEGRATIONS),
    ("WEBHOOK", Area.INTEGRATIONS),
    ("PAYROLL", Area.PAYROLL_BASIS),
    ("EXPORT", Area.PAYROLL_BASIS),
    ("PROJECT", Area.PROJECTS),
    ("CUSTOMER", Area.PROJECTS),
    ("ACTIVITY", Area.PROJECTS),
    ("COMPANY_SETTINGS", Area.SETTINGS),
    ("PAY_TYPE", Area.SETTINGS),
    ("OB_WINDOWS", Area.SETTINGS),
    ("BAS_ACCOUNT", Area.SETTINGS),
    ("USER", Area.USERS),
    ("FIRM", Area.USERS),  # inside a firm: who of its users works on which client
    ("COLLABORATION", Area.COLLABORATIONS),
    ("PARTNER", Area.COLLABORATIONS),
)


def area_by_rule(action: AuditAction) -> Area | None:
    return next((area for subject, area in AREA_BY_SUBJECT if action.startswith(subject)), None)


def test_every_action_keeps_its_stored_name() -> None:
    assert len(AuditAction) == 100
    for action in AuditAction:
        assert action.value == action.name
        assert AuditAction(action.name) is action  # a stored row reads back as its member


@pytest.mark.parametrize("action", list(AuditAction), ids=str)
def test_every_action_has_the_area_its_name_says(action: AuditAction) -> None:
    if action in ACCOUNT_EVENTS | SERVICE_EVENTS:
        assert action.area is None
    elif action is A.PARTNER_READ:
        # Its rows carry the area that was read: the salary details, the only reads audited.
        assert action.area is Area.EMPLOYEE_SALARY
    else:
        assert action.area is not None, f"{action} concerns company data but has no area"
        assert area_by_rule(action) is not None, f"{action}: add its subject to AREA_BY_SUBJECT"
        assert action.area is area_by_rule(action)
    assert area_of(action) is action.area


def test_partner_reads_are_audited_in_the_area_the_action_names() -> None:
    audited = Allowed(AreaRule(Area.EMPLOYEE_SALARY, Op.READ)).audited_area
    assert audited == A.PARTNER_READ.area
    for area in Area:
        if area is not Area.EMPLOYEE_SALARY:
            assert Allowed(AreaRule(area, Op.READ)).audited_area is None


# --- what the code records ----------------------------------------------------------------------


def _ours(thing: Any) -> bool:
    return (getattr(thing, "__module__", None) or "").startswith("gql_portal")


class Recorded:
    """The audit actions a function reaches: named in its source, or in that of a gql_portal
    function or class it names (a class: all its methods), transitively."""

    def __init__(self) -> None:
        self.known: dict[int, frozenset[AuditAction]] = {}

    def by(self, thing: Any) -> frozenset[AuditAction]:
        key = id(thing)
        if key not in self.known:
            self.known[key] = frozenset()  # a cycle adds nothing new
            found: set[AuditAction] = set()
            if isinstance(thing, type):
                for member in vars(thing).values():
                    function = member.fget if isinstance(member, property) else member
                    function = getattr(function, "__func__", function)
                    if isinstance(function, types.FunctionType):
                        found |= self.by(function)
            elif isinstance(thing, types.FunctionType):
                found |= self._in_source(inspect.unwrap(thing))
            self.known[key] = frozenset(found)
        return self.known[key]

    def _in_source(self, function: types.FunctionType) -> set[AuditAction]:
        if function.__code__.co_filename.startswith("<"):
            return set()  # generated (a dataclass's __init__): no source, records nothing
        tree = ast.parse(textwrap.dedent(inspect.getsource(function)))
        names = function.__globals__
        found: set[AuditAction] = set()
        for node in ast.walk(tree):
            target: Any = None
            if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
                if node.value.id == "AuditAction":
                    found.add(AuditAction[node.attr])  # KeyError: no such action
                    continue
                module = names.get(node.value.id)
                if isinstance(module, types.ModuleType):
                    target = getattr(module, node.attr, None)
            elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load):
                target = names.get(node.id)
            if isinstance(target, type | types.FunctionType) and _ours(target):
                found |= self.by(target)
        return found


# What each mutation records (at least: a helper shared by two mutations reaches both actions).
MUTATION_ACTIONS: dict[str, set[AuditAction]] = {
    # accounts
    "signUp": {A.SIGNED_UP, A.SIGN_UP_WITH_TAKEN_EMAIL},
    "verifyEmail": {A.EMAIL_VERIFIED},
    "resendVerificationEmail": {A.VERIFICATION_RESENT},
    "logIn": {A.LOGGED_IN, A.LOGIN_FAILED},
    "logOut": {A.LOGGED_OUT},
    "requestPasswordReset": {A.PASSWORD_RESET_REQUESTED},
    "resetPassword": {A.PASSWORD_RESET},
    "changePassword": {A.PASSWORD_CHANGED},
    "activate": {A.ACTIVATED},
    # collaborations and the partner portal
    "inviteFirm": {A.COLLABORATION_INVITED},
    "changeCollaborationLevel": {A.COLLABORATION_LEVEL_CHANGED},
    "acceptCollaboration": {A.COLLABORATION_ACCEPTED, A.COLLABORATION_LEVEL_ACCEPTED},
    "declineCollaboration": {A.COLLABORATION_DECLINED, A.COLLABORATION_LEVEL_DECLINED},
    "endCollaboration": {A.COLLABORATION_ENDED},
    "requestCollaboration": {A.COLLABORATION_REQUESTED},
    "requestLevelChange": {A.COLLABORATION_LEVEL_REQUESTED},
    "bulkRequestLevel": {A.COLLABORATION_LEVEL_REQUESTED},
    "bulkEndCollaborations": {A.COLLABORATION_ENDED},
    "enterClientCompany": {A.PARTNER_ENTERED_COMPANY},
    "enterPartnerPortal": {A.PARTNER_LEFT_COMPANY},
    # employees
    "createEmployee": {A.EMPLOYEE_CREATED},
    "updateEmployeeContact": {A.EMPLOYEE_CONTACT_UPDATED},
    "updateEmployeeSalary": {A.EMPLOYEE_SALARY_UPDATED},
    "deactivateEmployee": {A.EMPLOYEE_DEACTIVATED},
    "reactivateEmployee": {A.EMPLOYEE_REACTIVATED},
    # expenses and receipts
    "submitExpense": {A.EXPENSE_SUBMITTED},
    "submitMileage": {A.MILEAGE_SUBMITTED},
    "updateExpense": {A.EXPENSE_UPDATED},
    "deleteExpense": {A.EXPENSE_DELETED},
    "approveExpense": {A.EXPENSE_APPROVED},
    "rejectExpense": {A.EXPENSE_REJECTED},
    "attachReceipt": {A.RECEIPT_ATTACHED},
    "removeReceipt": {A.RECEIPT_REMOVED},
    # time
    "reportTime": {A.TIME_REPORTED},
    "updateTimeEntry": {A.TIME_ENTRY_UPDATED},
    "deleteTimeEntry": {A.TIME_ENTRY_DELETED},
    "attestWeek": {A.WEEK_ATTESTED},
    "unattestWeek": {A.WEEK_UNATTESTED},
    # absence and schedules
    "requestAbsence": {A.ABSENCE_REQUESTED, A.ABSENCE_REGISTERED},
    "approveAbsence": {A.ABSENCE_APPROVED},
    "rejectAbsence": {A.ABSENCE_REJECTED},
    "cancelAbsence": {A.ABSENCE_CANCELLED},
    "setSchedule": {A.SCHEDULE_SET},
    # payroll periods, and the exports (recorded by the job the mutation starts)
    "openPayrollPeriod": {A.PAYROLL_PERIOD_OPENED},
    "lockPayrollPeriod": {A.PAYROLL_PERIOD_LOCKED},
    "unlockPayrollPeriod": {A.PAYROLL_PERIOD_UNLOCKED},
    "exportPayrollBasis": {A.PAYROLL_EXPORTED, A.EXPORT_FAILED},
    "exportExpenses": {A.EXPENSES_EXPORTED, A.EXPENSES_EXPORT_FAILED},
    "exportExpensesBatch": {
        A.EXPENSES_BATCH_EXPORTED,
        A.EXPENSES_EXPORTED,
        A.EXPENSES_EXPORT_FAILED,
    },
    "exportPayrollBatch": {A.PAYROLL_BATCH_EXPORTED, A.PAYROLL_EXPORTED, A.EXPORT_FAILED},
    # settings and time codes
    "updateCompanySettings": {A.COMPANY_SETTINGS_UPDATED},
    "createTimeCode": {A.TIME_CODE_CREATED},
    "updateTimeCode": {A.TIME_CODE_UPDATED},
    "deactivateTimeCode": {A.TIME_CODE_DEACTIVATED},
    "reactivateTimeCode": {A.TIME_CODE_REACTIVATED},
    "setPayTypes": {A.PAY_TYPES_UPDATED},
    "applyPayrollProgramPreset": {A.PAY_TYPES_PRESET_APPLIED},
    "setBasAccounts": {A.BAS_ACCOUNTS_UPDATED},
    "setObWindows": {A.OB_WINDOWS_SET},
    "applyObPreset": {A.OB_WINDOWS_SET},
    # users
    "inviteUser": {A.USER_INVITED},
    "changeUserRole": {A.USER_ROLE_CHANGED},
    "removeUser": {A.USER_REMOVED},
    # inside a firm
    "assignClients": {A.FIRM_CLIENTS_ASSIGNED},
    "unassignClients": {A.FIRM_CLIENTS_UNASSIGNED},
    "createTeam": {A.FIRM_TEAM_CREATED},
    "updateTeam": {A.FIRM_TEAM_UPDATED},
    "deleteTeam": {A.FIRM_TEAM_DELETED},
    "setFirmAccessPolicy": {A.FIRM_ACCESS_POLICY_SET},
    "setRequireNamedAssignment": {A.COLLABORATION_NAMED_ASSIGNMENT_SET},
    "reassignClients": {A.FIRM_CLIENTS_REASSIGNED},
    # customers, projects, activities
    "createCustomer": {A.CUSTOMER_CREATED},
    "updateCustomer": {A.CUSTOMER_UPDATED},
    "createProject": {A.PROJECT_CREATED},
    "updateProject": {A.PROJECT_UPDATED},
    "deactivateProject": {A.PROJECT_DEACTIVATED},
    "reactivateProject": {A.PROJECT_REACTIVATED},
    "createActivity": {A.ACTIVITY_CREATED},
    "updateActivity": {A.ACTIVITY_UPDATED},
    "assignEmployee": {A.EMPLOYEE_ASSIGNED},
    "unassignEmployee": {A.EMPLOYEE_UNASSIGNED},
    # integrations
    "activatePayrollIntegration": {A.PAYROLL_INTEGRATION_ACTIVATED},
    "deactivatePayrollIntegration": {A.PAYROLL_INTEGRATION_DEACTIVATED},
    "setPayrollIntegrationEndpoint": {A.PAYROLL_INTEGRATION_ENDPOINT_SET},
    "redeliver": {A.PAYROLL_INTEGRATION_REDELIVERED},
    "setWebhook": {A.WEBHOOK_SET},
    "removeWebhook": {A.WEBHOOK_REMOVED},
}

# Mutations that record nothing, each with the reason. None today: every change is audited.
RECORDS_NOTHING: dict[str, str] = {}

# Actions recorded outside mutations: by whom.
RECORDED_ELSEWHERE: dict[AuditAction, Any] = {
    A.PARTNER_READ: resolver_audit.flush_partner_reads,  # at the end of any partner's request
    A.RECEIPT_DOWNLOADED: files.receipt_file,  # GET /files/receipts/{id}
    A.EXPENSES_EXPORT_DOWNLOADED: files.export_file,  # GET /files/exports/{id}
    A.PAYROLL_EXPORT_DOWNLOADED: files.export_file,
    A.TRIAL_EXTENDED: accounts_admin.extend_trial,  # gql-portal accounts trial --extend
    A.TRIAL_ENDED: accounts_admin.end_trial,  # gql-portal accounts trial --end
    # The retention job (every worker, hourly).
    A.EXPENSES_EXPORT_FILE_DELETED: retention.delete_expired_export_files,
    A.PAYROLL_EXPORT_FILE_DELETED: retention.delete_expired_export_files,
    A.ORPHANED_FILES_DELETED: retention.delete_orphans,
}


def mutation_resolvers() -> dict[str, Any]:
    mutation_type = full_schema()._schema.mutation_type
    assert mutation_type is not None
    return {
        name: field.extensions["strawberry-definition"].base_resolver.wrapped_func
        for name, field in mutation_type.fields.items()
    }


def test_every_mutation_has_an_entry() -> None:
    listed = set(MUTATION_ACTIONS) | set(RECORDS_NOTHING)
    assert not set(MUTATION_ACTIONS) & set(RECORDS_NOTHING)
    served = set(mutation_resolvers())
    assert served - listed == set(), "new mutations: say what they record in MUTATION_ACTIONS"
    assert listed - served == set(), "entries for mutations the schema no longer has"


def test_every_mutation_records_its_actions() -> None:
    recorded = Recorded()
    missing = {
        name: sorted(expected - recorded.by(resolver))
        for name, resolver in mutation_resolvers().items()
        if (expected := MUTATION_ACTIONS.get(name)) is not None
        and not expected <= recorded.by(resolver)
    }
    assert missing == {}, "these mutations no longer record these actions"
    silent = {
        name: reason
        for name, reason in RECORDS_NOTHING.items()
        if recorded.by(mutation_resolvers()[name])
    }
    assert silent == {}, "these mutations record an action now: move them to MUTATION_ACTIONS"


def test_every_action_is_recorded_somewhere() -> None:
    recorded = Recorded()
    for action, recorder in RECORDED_ELSEWHERE.items():
        assert action in recorded.by(recorder), f"{recorder.__qualname__} records no {action}"
    expected = set().union(*MUTATION_ACTIONS.values()) | set(RECORDED_ELSEWHERE)
    assert set(AuditAction) - expected == set(), "actions nothing is expected to record"


def test_the_analysis_sees_what_a_resolver_records_through_its_helpers() -> None:
    """The check above can fail: a helper's action is seen, a made-up mutation's is not."""
    recorded = Recorded()
    resolvers = mutation_resolvers()
    # updateEmployeeSalary names its action and passes it to a helper that records it.
    assert recorded.by(resolvers["updateEmployeeSalary"]) == {A.EMPLOYEE_SALARY_UPDATED}
    # exportExpenses records nothing itself: the job it starts does.
    assert A.EXPENSES_EXPORTED in recorded.by(resolvers["exportExpenses"])

    async def records_nothing(info: Any) -> bool:
        return bool(info)

    assert recorded.by(records_nothing) == frozenset()


# --- one way to record --------------------------------------------------------------------------


def _calls(tree: ast.AST, name: str) -> list[ast.Call]:
    return [
        node
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and (
            (isinstance(node.func, ast.Name) and node.func.id == name)
            or (isinstance(node.func, ast.Attribute) and node.func.attr == name)
        )
    ]


def _names_audit_events(node: ast.expr) -> bool:
    """`AuditEvent`, or its table (`AuditEvent.__table__`)."""
    if isinstance(node, ast.Attribute):
        node = node.value
    return isinstance(node, ast.Name) and node.id == "AuditEvent"


def test_actions_are_members_and_events_are_written_in_one_place() -> None:
    """No call passes a string as an action, and audit rows are made only by gql_portal/audit.py
    (one event) and resolvers/audit.py (the request's partner reads, one INSERT)."""
    literal_actions: list[str] = []
    rows_made: set[str] = set()
    for path in sorted(PACKAGE.rglob("*.py")):
        where = str(path.relative_to(PACKAGE.parent))
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for call in _calls(tree, "record") + _calls(tree, "audit"):
            if len(call.args) >= 3 and isinstance(call.args[2], ast.Constant | ast.JoinedStr):
                literal_actions.append(f"{where}:{call.lineno}")
        if _calls(tree, "AuditEvent"):
            rows_made.add(where)
        for call in _calls(tree, "insert"):
            if any(_names_audit_events(arg) for arg in call.args):
                rows_made.add(where)
    assert literal_actions == []
    assert rows_made == {"gql_portal/audit.py", "gql_portal/resolvers/audit.py"}
