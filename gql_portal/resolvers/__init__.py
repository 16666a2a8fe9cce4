"""Behaviour: resolvers, validation and audit per domain, and each domain's root fields."""
