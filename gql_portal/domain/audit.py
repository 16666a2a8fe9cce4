"""The audit trail's vocabulary: every action the service records, each with the matrix area it
concerns (None for account events: signing up, logging in, passwords, the trial).

A member is declared with its area, so a new action cannot be added without one. The values are
the strings stored in `audit_events.action` (existing rows and clients read them): never rename
a value. `tests/test_audit_actions.py` checks each area against the naming rule and that every
mutation records an action.
"""

from __future__ import annotations

from enum import StrEnum

from gql_portal.permissions.matrix import Area


class AuditAction(StrEnum):
    """What happened. The value is the stored name; `area` is the matrix area it concerns."""

    _value_: str
    area: Area | None

    def __new__(cls, value: str, area: Area | None) -> AuditAction:
        member = str.__new__(cls, value)
        member._value_ = value
        member.area = area
        return member

    # --- accounts (no area) ---------------------------------------------------------------------
    SIGNED_UP = "SIGNED_UP", None
    SIGN_UP_WITH_TAKEN_EMAIL = "SIGN_UP_WITH_TAKEN_EMAIL", None
    EMAIL_VERIFIED = "EMAIL_VERIFIED", None
    VERIFICATION_RESENT = "VERIFICATION_RESENT", None
    LOGIN_FAILED = "LOGIN_FAILED", None
    LOGGED_IN = "LOGGED_IN", None
    LOGGED_OUT = "LOGGED_OUT", None
    PASSWORD_RESET_REQUESTED = "PASSWORD_RESET_REQUESTED", None
    PASSWORD_RESET = "PASSWORD_RESET", None
    PASSWORD_CHANGED = "PASSWORD_CHANGED", None
    ACTIVATED = "ACTIVATED", None
    # By support staff at the operator's terminal (`gql-portal accounts trial`), no user.
    TRIAL_EXTENDED = "TRIAL_EXTENDED", None
    TRIAL_ENDED = "TRIAL_ENDED", None

    # --- the service itself (no company, no user) -------------------------------------------------
    # The retention job's orphan sweep: how many stored files no row named it deleted.
    ORPHANED_FILES_DELETED = "ORPHANED_FILES_DELETED", None

    # --- employees --------------------------------------------------------------------------------
    EMPLOYEE_CREATED = "EMPLOYEE_CREATED", Area.EMPLOYEE_CONTACT
    EMPLOYEE_CONTACT_UPDATED = "EMPLOYEE_CONTACT_UPDATED", Area.EMPLOYEE_CONTACT
    EMPLOYEE_SALARY_UPDATED = "EMPLOYEE_SALARY_UPDATED", Area.EMPLOYEE_SALARY
    EMPLOYEE_DEACTIVATED = "EMPLOYEE_DEACTIVATED", Area.EMPLOYEE_CONTACT
    EMPLOYEE_REACTIVATED = "EMPLOYEE_REACTIVATED", Area.EMPLOYEE_CONTACT

    # --- time -------------------------------------------------------------------------------------
    TIME_REPORTED = "TIME_REPORTED", Area.TIME
    TIME_ENTRY_UPDATED = "TIME_ENTRY_UPDATED", Area.TIME
    TIME_ENTRY_DELETED = "TIME_ENTRY_DELETED", Area.TIME
    WEEK_ATTESTED = "WEEK_ATTESTED", Area.TIME
    WEEK_UNATTESTED = "WEEK_UNATTESTED", Area.TIME

    # --- absence ----------------------------------------------------------------------------------
    ABSENCE_REQUESTED = "ABSENCE_REQUESTED", Area.ABSENCE
    ABSENCE_REGISTERED = "ABSENCE_REGISTERED", Area.ABSENCE  # by an admin: approved at once
    ABSENCE_APPROVED = "ABSENCE_APPROVED", Area.ABSENCE
    ABSENCE_REJECTED = "ABSENCE_REJECTED", Area.ABSENCE
    ABSENCE_CANCELLED = "ABSENCE_CANCELLED", Area.ABSENCE

    # --- schedules --------------------------------------------------------------------------------
    SCHEDULE_SET = "SCHEDULE_SET", Area.SCHEDULES

    # --- expenses, mileage and receipts -----------------------------------------------------------
    EXPENSE_SUBMITTED = "EXPENSE_SUBMITTED", Area.EXPENSES_RECEIPTS
    MILEAGE_SUBMITTED = "MILEAGE_SUBMITTED", Area.EXPENSES_RECEIPTS
    EXPENSE_UPDATED = "EXPENSE_UPDATED", Area.EXPENSES_RECEIPTS
    EXPENSE_DELETED = "EXPENSE_DELETED", Area.EXPENSES_RECEIPTS
    EXPENSE_APPROVED = "EXPENSE_APPROVED", Area.EXPENSES_RECEIPTS
    EXPENSE_REJECTED = "EXPENSE_REJECTED", Area.EXPENSES_RECEIPTS
    RECEIPT_ATTACHED = "RECEIPT_ATTACHED", Area.EXPENSES_RECEIPTS
    RECEIPT_REMOVED = "RECEIPT_REMOVED", Area.EXPENSES_RECEIPTS
    RECEIPT_DOWNLOADED = "RECEIPT_DOWNLOADED", Area.EXPENSES_RECEIPTS
    # Expense exports concern the expenses (not the payroll basis), written by the export job.
    EXPENSES_EXPORTED = "EXPENSES_EXPORTED", Area.EXPENSES_RECEIPTS
    EXPENSES_EXPORT_FAILED = "EXPENSES_EXPORT_FAILED", Area.EXPENSES_RECEIPTS
    EXPENSES_EXPORT_DOWNLOADED = "EXPENSES_EXPORT_DOWNLOADED", Area.EXPENSES_RECEIPTS
    # The retention job deleted the export's file (GQL_PORTAL_EXPORT_RETENTION_DAYS), no user.
    EXPENSES_EXPORT_FILE_DELETED = "EXPENSES_EXPORT_FILE_DELETED", Area.EXPENSES_RECEIPTS
    # A firm's batch of its clients' expenses (the firm's trail; each client's: EXPENSES_EXPORTED).
    EXPENSES_BATCH_EXPORTED = "EXPENSES_BATCH_EXPORTED", Area.EXPENSES_RECEIPTS

    # --- payroll periods and their exports --------------------------------------------------------
    PAYROLL_PERIOD_OPENED = "PAYROLL_PERIOD_OPENED", Area.PAYROLL_BASIS
    PAYROLL_PERIOD_LOCKED = "PAYROLL_PERIOD_LOCKED", Area.PAYROLL_BASIS
    PAYROLL_PERIOD_UNLOCKED = "PAYROLL_PERIOD_UNLOCKED", Area.PAYROLL_BASIS
    PAYROLL_EXPORTED = "PAYROLL_EXPORTED", Area.PAYROLL_BASIS
    PAYROLL_BATCH_EXPORTED = "PAYROLL_BATCH_EXPORTED", Area.PAYROLL_BASIS
    EXPORT_FAILED = "EXPORT_FAILED", Area.PAYROLL_BASIS  # a payroll basis or batch export
    PAYROLL_EXPORT_DOWNLOADED = "PAYROLL_EXPORT_DOWNLOADED", Area.PAYROLL_BASIS
    PAYROLL_EXPORT_FILE_DELETED = "PAYROLL_EXPORT_FILE_DELETED", Area.PAYROLL_BASIS

    # --- customers, projects, activities and who works on them ------------------------------------
    CUSTOMER_CREATED = "CUSTOMER_CREATED", Area.PROJECTS
    CUSTOMER_UPDATED = "CUSTOMER_UPDATED", Area.PROJECTS
    PROJECT_CREATED = "PROJECT_CREATED", Area.PROJECTS
    PROJECT_UPDATED = "PROJECT_UPDATED", Area.PROJECTS
    PROJECT_DEACTIVATED = "PROJECT_DEACTIVATED", Area.PROJECTS
    PROJECT_REACTIVATED = "PROJECT_REACTIVATED", Area.PROJECTS
    ACTIVITY_CREATED = "ACTIVITY_CREATED", Area.PROJECTS
    ACTIVITY_UPDATED = "ACTIVITY_UPDATED", Area.PROJECTS
    EMPLOYEE_ASSIGNED = "EMPLOYEE_ASSIGNED", Area.PROJECTS
    EMPLOYEE_UNASSIGNED = "EMPLOYEE_UNASSIGNED", Area.PROJECTS

    # --- settings and time codes ------------------------------------------------------------------
    COMPANY_SETTINGS_UPDATED = "COMPANY_SETTINGS_UPDATED", Area.SETTINGS
    TIME_CODE_CREATED = "TIME_CODE_CREATED", Area.SETTINGS
    TIME_CODE_UPDATED = "TIME_CODE_UPDATED", Area.SETTINGS
    TIME_CODE_DEACTIVATED = "TIME_CODE_DEACTIVATED", Area.SETTINGS
    TIME_CODE_REACTIVATED = "TIME_CODE_REACTIVATED", Area.SETTINGS
    PAY_TYPES_UPDATED = "PAY_TYPES_UPDATED", Area.SETTINGS
    PAY_TYPES_PRESET_APPLIED = "PAY_TYPES_PRESET_APPLIED", Area.SETTINGS
    OB_WINDOWS_SET = "OB_WINDOWS_SET", Area.SETTINGS  # replaced all at once, or by a preset
    BAS_ACCOUNTS_UPDATED = "BAS_ACCOUNTS_UPDATED", Area.SETTINGS

    # --- users ------------------------------------------------------------------------------------
    USER_INVITED = "USER_INVITED", Area.USERS
    USER_ROLE_CHANGED = "USER_ROLE_CHANGED", Area.USERS
    USER_REMOVED = "USER_REMOVED", Area.USERS
    # Inside an accounting firm: who of its users works on which client (its USERS).
    FIRM_CLIENTS_ASSIGNED = "FIRM_CLIENTS_ASSIGNED", Area.USERS
    FIRM_CLIENTS_UNASSIGNED = "FIRM_CLIENTS_UNASSIGNED", Area.USERS
    # A client moved from one user of the firm to another (one event per client).
    FIRM_CLIENTS_REASSIGNED = "FIRM_CLIENTS_REASSIGNED", Area.USERS
    FIRM_TEAM_CREATED = "FIRM_TEAM_CREATED", Area.USERS
    FIRM_TEAM_UPDATED = "FIRM_TEAM_UPDATED", Area.USERS
    FIRM_TEAM_DELETED = "FIRM_TEAM_DELETED", Area.USERS
    FIRM_ACCESS_POLICY_SET = "FIRM_ACCESS_POLICY_SET", Area.USERS

    # --- integrations -----------------------------------------------------------------------------
    PAYROLL_INTEGRATION_ACTIVATED = "PAYROLL_INTEGRATION_ACTIVATED", Area.INTEGRATIONS
    PAYROLL_INTEGRATION_DEACTIVATED = "PAYROLL_INTEGRATION_DEACTIVATED", Area.INTEGRATIONS
    PAYROLL_INTEGRATION_ENDPOINT_SET = "PAYROLL_INTEGRATION_ENDPOINT_SET", Area.INTEGRATIONS
    PAYROLL_INTEGRATION_REDELIVERED = "PAYROLL_INTEGRATION_REDELIVERED", Area.INTEGRATIONS
    WEBHOOK_SET = "WEBHOOK_SET", Area.INTEGRATIONS
    WEBHOOK_REMOVED = "WEBHOOK_REMOVED", Area.INTEGRATIONS

    # --- collaborations and the partner portal ----------------------------------------------------
    # Each step is recorded for both companies, the client and the firm.
    COLLABORATION_INVITED = "COLLABORATION_INVITED", Area.COLLABORATIONS
    COLLABORATION_REQUESTED = "COLLABORATION_REQUESTED", Area.COLLABORATIONS
    COLLABORATION_ACCEPTED = "COLLABORATION_ACCEPTED", Area.COLLABORATIONS
    COLLABORATION_DECLINED = "COLLABORATION_DECLINED", Area.COLLABORATIONS
    COLLABORATION_ENDED = "COLLABORATION_ENDED", Area.COLLABORATIONS
    COLLABORATION_LEVEL_CHANGED = "COLLABORATION_LEVEL_CHANGED", Area.COLLABORATIONS
    COLLABORATION_LEVEL_REQUESTED = "COLLABORATION_LEVEL_REQUESTED", Area.COLLABORATIONS
    COLLABORATION_LEVEL_ACCEPTED = "COLLABORATION_LEVEL_ACCEPTED", Area.COLLABORATIONS
    COLLABORATION_LEVEL_DECLINED = "COLLABORATION_LEVEL_DECLINED", Area.COLLABORATIONS
    # The client's condition on its collaborations: only the firm's users assigned to it.
    COLLABORATION_NAMED_ASSIGNMENT_SET = "COLLABORATION_NAMED_ASSIGNMENT_SET", Area.COLLABORATIONS
    PARTNER_ENTERED_COMPANY = "PARTNER_ENTERED_COMPANY", Area.COLLABORATIONS
    PARTNER_LEFT_COMPANY = "PARTNER_LEFT_COMPANY", Area.COLLABORATIONS
    # A partner's read of salary details, written at the end of the request. Its row carries the
    # area that was read (`permissions.rules.Allowed` audits EMPLOYEE_SALARY reads only).
    PARTNER_READ = "PARTNER_READ", Area.EMPLOYEE_SALARY

    @property
    def collaboration_event(self) -> str:
        """A collaboration step's name in the mails (INVITED, LEVEL_CHANGED, ...)."""
        if not self.startswith("COLLABORATION_"):
            raise ValueError(f"{self.value} is not a collaboration step")
        return self.value.removeprefix("COLLABORATION_")


def area_of(action: AuditAction) -> Area | None:
    """The matrix area an action concerns; None for account events."""
    return action.area
