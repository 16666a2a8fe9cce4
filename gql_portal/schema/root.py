"""The root types, composed from every domain's `Queries` and `Mutations` (each field with its
rule) in gql_portal/resolvers/<domain>.py."""

import strawberry

from gql_portal.resolvers import accounts, employees, node


@strawberry.type
class Query(accounts.Queries, node.Queries, employees.Queries):
    pass


@strawberry.type
class Mutation(accounts.Mutations, employees.Mutations):
    pass
