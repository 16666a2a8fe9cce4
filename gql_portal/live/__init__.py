"""Live updates: what changed (an `Event`: a topic and ids, never the data), published once the
change is committed, and the bus that carries it to every worker's subscribers (in-process on
SQLite, PostgreSQL LISTEN/NOTIFY otherwise). Subscribers re-read what an event names under
their own access (gql_portal/resolvers/live.py); the WebSocket side is gql_portal/http/live.py."""

from gql_portal.live.bus import Bus, Inbox, LocalBus, PostgresBus, bus_for
from gql_portal.live.events import (
    Event,
    Topic,
    company_access_changed,
    payroll_sources_changed,
    publish_after_commit,
    publish_change,
    sessions_changed,
)

__all__ = [
    "Bus",
    "Event",
    "Inbox",
    "LocalBus",
    "PostgresBus",
    "Topic",
    "bus_for",
    "company_access_changed",
    "payroll_sources_changed",
    "publish_after_commit",
    "publish_change",
    "sessions_changed",
]
