"""GraphQL types, one module per domain. The per-role schemas are built in `schema.build`."""
