"""The root types, composed from every domain's `Queries` and `Mutations` (each field with its
rule) in gql_portal/resolvers/<domain>.py."""

import strawberry

from gql_portal.resolvers import (
    absence,
    accounts,
    audit,
    collaborations,
    employees,
    expenses,
    exports,
    integrations,
    node,
    payroll,
    portal,
    projects,
    schedules,
    settings,
    time,
    users,
)


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
    users.Queries,
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
    users.Mutations,
    projects.Mutations,
    integrations.Mutations,
):
    pass
