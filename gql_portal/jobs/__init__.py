"""Background jobs (exports), above the runtime: each opens its own database sessions through
the `Runtime` and never holds a request. The keeper that runs them in a worker process is
`gql_portal.background.Jobs` (below the runtime, which holds it)."""
