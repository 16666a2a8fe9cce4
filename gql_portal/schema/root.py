"""The root types, composed from every domain's `Queries` and `Mutations` (each field with its
rule) in gql_portal/resolvers/<domain>.py."""

import strawberry

from gql_portal.resolvers import (
    absence,
    accounts,
    collaborations,
    employees,
    expenses,
    node,
    payroll,
    projects,
    schedules,
    settings,
    time,
    users,
)


@strawberry.type
class Query(
    accounts.Queries,
    collaborations.Queries,
    node.Queries,
    employees.Queries,
    expenses.Queries,
    time.Queries,
    absence.Queries,
    schedules.Queries,
    payroll.Queries,
    settings.Queries,
    users.Queries,
    projects.Queries,
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
    settings.Mutations,
    users.Mutations,
    projects.Mutations,
):
    pass
