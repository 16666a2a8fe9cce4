"""The benchmark harness: gql-portal over HTTP against a hand-written limit (bench/README.md)."""
