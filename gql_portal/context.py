"""Everything one request's resolvers need, built by the HTTP layer."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from gql_portal.clock import Clock
from gql_portal.config import Settings
from gql_portal.db.engine import Database
from gql_portal.permissions.access import Access
from gql_portal.runtime import Runtime


@dataclass
class CookieToSet:
    value: str | None  # None deletes the cookie
    max_age: int = 0


@dataclass
class RequestContext:
    runtime: Runtime
    access: Access
    request_id: str
    client_address: str
    user_agent: str | None = None
    # The raw session token of this request, when it came with one (log-out revokes it).
    session_token: str | None = None
    cookie: CookieToSet | None = None
    cache: dict[str, Any] = field(default_factory=dict)
    # Partner reads of salary details (company, area, type, id), audited at the request's end.
    partner_reads: set[tuple[int, str, str, int]] = field(default_factory=set)
    # Field permissions granted in this request, by rule and what the decision depends on.
    granted: set[tuple[Any, Any]] = field(default_factory=set)

    @property
    def settings(self) -> Settings:
        return self.runtime.settings

    @property
    def database(self) -> Database:
        return self.runtime.database

    @property
    def clock(self) -> Clock:
        return self.runtime.clock
