"""The root types, composed from every domain's `Queries` and `Mutations` (each field with its
rule) in gql_portal/resolvers/<domain>.py and the live updates' `Subscriptions`
(resolvers/live.py), and the resolvers plugged into the types' fields that
the resolvers compute (schema/plugs.py)."""

import strawberry

from gql_portal.resolvers import (
    absence,
    accounts,
    audit,
    bas,
    collaborations,
    employees,
    expenses,
    exports,
    firm,
    firm_leaver,
    integrations,
    live,
    node,
    ob,
    payroll,
    portal,
    projects,
    schedules,
    settings,
    time,
    users,
)
from gql_portal.schema import collaborations as collaboration_types
from gql_portal.schema import employees as employee_types
from gql_portal.schema import exports as export_types
from gql_portal.schema import integrations as integration_types
from gql_portal.schema import payroll as payroll_types
from gql_portal.schema import portal as portal_types


@strawberry.type
class Query(
    accounts.Queries,
    audit.Queries,
    collaborations.Queries,
    node.Queries,
    portal.Queries,
    employees.Queries,
    expenses.Queries,
    time.Queries,
    absence.Queries,
    schedules.Queries,
    payroll.Queries,
    exports.Queries,
    settings.Queries,
    bas.Queries,
    ob.Queries,
    users.Queries,
    firm.Queries,
    firm_leaver.Queries,
    projects.Queries,
    integrations.Queries,
):
    pass


@strawberry.type
class Mutation(
    accounts.Mutations,
    collaborations.Mutations,
    employees.Mutations,
    expenses.Mutations,
    time.Mutations,
    absence.Mutations,
    schedules.Mutations,
    payroll.Mutations,
    exports.Mutations,
    settings.Mutations,
    bas.Mutations,
    ob.Mutations,
    users.Mutations,
    firm.Mutations,
    firm_leaver.Mutations,
    projects.Mutations,
    integrations.Mutations,
):
    pass


@strawberry.type
class Subscription(live.Subscriptions):
    pass


def _plug_resolvers_into_types() -> None:
    """The types sit below the resolvers and never import them: their fields that a domain's
    resolvers compute are plugged in here, once, where the schema is composed."""
    employee_types.EXPENSES.plug(expenses.employee_expenses)
    employee_types.TIME_ENTRIES.plug(time.employee_time_entries)
    employee_types.ABSENCES.plug(absence.employee_absences)
    employee_types.SCHEDULE.plug(schedules.employee_schedule)
    payroll_types.PERIOD_BASIS.plug(payroll.period_basis)
    payroll_types.PERIOD_DIFFERENCES.plug(payroll.period_differences)
    payroll_types.SICK_PERIODS.plug(payroll.employee_sick_periods)
    portal_types.PAYROLL_STATUS.plug(portal.client_payroll_status)
    portal_types.EMPLOYEES.plug(employees.company_employees)
    portal_types.ASSIGNED_USERS.plug(firm.client_assigned_users)
    collaboration_types.ASSIGNEES.plug(firm.collaboration_assignees)
    export_types.DOWNLOAD_LINK.plug(exports.download_link)
    integration_types.DELIVERIES.plug(integrations.integration_deliveries)
    integration_types.ATTEMPTS.plug(integrations.delivery_attempts)


_plug_resolvers_into_types()
