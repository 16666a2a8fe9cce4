"""Counting the worker's HTTP requests in flight, so that heavy work shares the event loop
while another request waits (`execution.Sharing`)."""

from __future__ import annotations

from starlette.types import ASGIApp, Receive, Scope, Send

from gql_portal.execution import Sharing


class CountRequests:
    """ASGI middleware: every HTTP request is counted in `Sharing` while it runs (and its
    answer is sent: the worker is idle only after)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        Sharing.enter()
        try:
            await self.app(scope, receive, send)
        finally:
            Sharing.leave()
