"""`/graphql` over WebSocket: live updates (GraphQL subscriptions) with Strawberry's own
graphql-transport-ws support, the schema picked per connection from its viewer's role.

- Protocol: `graphql-transport-ws` only; a client asking for the legacy `graphql-ws` (or none)
  is closed with 4406 "Subprotocol not acceptable". Queries and mutations go over HTTP: a
  `subscribe` message carrying one answers an `error` (only subscriptions run here).
- Viewer: a token in `connection_init`'s payload (`{"authorization": "Bearer ..."}`), else the
  handshake's bearer header or session cookie. A handshake with the cookie from another site
  is refused before it is accepted (HTTP 403; the Origin fence of http/origin.py: a cross-site
  WebSocket with the cookie would be CSWSH). A dead session (unknown, logged out, expired,
  revoked) closes the socket with 4401; without a token the viewer is anonymous (no
  subscriptions in its schema).
- The viewer's access is read again when the bus says a session or collaboration it may depend
  on changed, and at every ping: a dead session closes the socket (4401), a new role completes
  every subscription, a narrower access completes those whose field or company it no longer
  reaches (gql_portal/resolvers/live.py), the others continue under the new access.
- Limits: `live_max_per_connection` subscriptions per connection and `live_max_per_session`
  per session (this worker), refused with an `error` (RATE_LIMITED, reason TOO_MANY_SUBSCRIPTIONS);
  the server pings every `live_ping_seconds` and closes a socket silent for twice as long (1001).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, cast

from graphql import GraphQLError
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import (
    BaseGraphQLTransportWSHandler,
    Operation,
    _OperationStreamClosed,  # how Strawberry's stream says it closed the socket itself
)
from strawberry.subscriptions.protocols.graphql_transport_ws.types import (
    ConnectionInitMessage,
    Message,
    SubscribeMessage,
)
from strawberry.types import ExecutionResult
from strawberry.types.graphql import OperationType
from strawberry.utils.aio import aclosing

from gql_portal.auth import SESSION_COOKIE, access_for_token
from gql_portal.context import RequestContext
from gql_portal.errors import Code
from gql_portal.http import body, origin, persisted
from gql_portal.http.responses import format_error
from gql_portal.live import Topic
from gql_portal.permissions.access import ANONYMOUS, Access
from gql_portal.permissions.roles import SchemaRole
from gql_portal.resolvers.live import inbox_of
from gql_portal.runtime import Runtime
from gql_portal.schema.build import role_schema

log = logging.getLogger("gql_portal.live")

SUBSCRIPTIONS_ONLY = (OperationType.SUBSCRIPTION,)
CONNECTION_INIT_SECONDS = 10
DEAD_SESSION = 4401
SESSION_ENDED = "Your session has ended (logged out, expired or revoked): log in again."
IDLE = 1001


@dataclass
class Connection:
    """One WebSocket connection's viewer (the context Strawberry keeps per connection; each
    subscription runs with a RequestContext of its own)."""

    runtime: Runtime
    websocket: WebSocket
    request_id: str
    handshake_token: str | None
    access: Access = ANONYMOUS
    token: str | None = None
    connection_params: dict[str, Any] = field(default_factory=dict)

    @property
    def client_address(self) -> str:
        client = self.websocket.client
        return client.host if client else "unknown"

    def operation_context(self, operation_id: str) -> RequestContext:
        return RequestContext(
            runtime=self.runtime,
            access=self.access,
            request_id=f"{self.request_id}.{operation_id}"[:64],
            client_address=self.client_address,
            user_agent=self.websocket.headers.get("user-agent"),
            session_token=self.token if self.access.signed_in else None,
        )


def token_of(payload: dict[str, Any], handshake_token: str | None) -> str | None:
    """The token in connection_init's payload (`authorization: Bearer ...`), else the
    handshake's (its bearer header or the session cookie)."""
    authorization = payload.get("authorization") or payload.get("Authorization")
    if isinstance(authorization, str):
        scheme, _, credentials = authorization.partition(" ")
        if scheme.lower() == "bearer" and credentials.strip():
            return credentials.strip()
    return handshake_token


class LiveOperation(Operation[Connection, None]):
    """A subscription whose errors are formatted like the HTTP answers' (coded, or masked)."""

    __slots__ = ("context",)

    def __init__(self, handler: LiveHandler, message: SubscribeMessage) -> None:
        payload = message["payload"]
        super().__init__(
            handler,
            message["id"],
            payload["query"],
            payload.get("variables"),
            payload.get("operationName"),
        )
        self.context = handler.connection.operation_context(message["id"])

    async def send_initial_errors(self, errors: list[GraphQLError]) -> None:
        request_id = self.context.request_id
        await self.send_operation_message(
            cast(
                "Message",
                {
                    "id": self.id,
                    "type": "error",
                    "payload": [format_error(error, request_id) for error in errors],
                },
            )
        )

    async def send_next(self, execution_result: ExecutionResult) -> None:
        payload: dict[str, Any] = {"data": execution_result.data}
        if execution_result.errors:
            request_id = self.context.request_id
            payload["errors"] = [format_error(e, request_id) for e in execution_result.errors]
        await self.send_operation_message(
            cast("Message", {"id": self.id, "type": "next", "payload": payload})
        )


class LiveHandler(BaseGraphQLTransportWSHandler[Connection, None]):
    """Strawberry's graphql-transport-ws handler, authenticated at connection_init, with the
    viewer's role's schema, subscriptions only, the limits, pings and access changes."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.connection: Connection = self.context
        self.watchers: list[asyncio.Task[None]] = []
        self.last_heard = time.monotonic()

    @property
    def live_view(self) -> LiveView:
        return cast("LiveView", self.view)

    # --- connecting ------------------------------------------------------------------------

    async def handle_message(self, message: Message) -> None:
        self.last_heard = time.monotonic()
        await super().handle_message(message)

    async def handle_connection_init(self, message: ConnectionInitMessage) -> None:
        payload = message.get("payload") or {}
        first = not self.connection_init_received and not self.connection_timed_out
        if first and isinstance(payload, dict):
            connection = self.connection
            connection.token = token_of(payload, connection.handshake_token)
            access = await access_for_token(connection.runtime, connection.token)
            if connection.token and not access.signed_in:
                if self.connection_init_timeout_task:
                    self.connection_init_timeout_task.cancel()
                await self.websocket.close(DEAD_SESSION, SESSION_ENDED)
                return
            self._take(access)
            self._watch()
        await super().handle_connection_init(message)

    def _take(self, access: Access) -> None:
        self.connection.access = access
        settings = self.connection.runtime.settings
        self.schema = role_schema(access.role, suggestions=settings.mode == "development")

    def _watch(self) -> None:
        loop = asyncio.get_running_loop()
        self.watchers = [
            loop.create_task(self._follow_access(), name="live-access"),
            loop.create_task(self._ping(), name="live-ping"),
        ]

    # --- subscriptions ---------------------------------------------------------------------

    async def handle_subscribe(self, message: SubscribeMessage) -> None:
        if not self.connection_acknowledged:
            await self.websocket.close(code=4401, reason="Unauthorized")
            return
        if message["id"] in self.operations:
            reason = f"Subscriber for {message['id']} already exists"
            await self.websocket.close(code=4409, reason=reason)
            return
        refusal = self._over_limit() or self._untrusted(message)
        if refusal is not None:
            await self.send_message(
                cast("Message", {"id": message["id"], "type": "error", "payload": [refusal]})
            )
            return
        operation = LiveOperation(self, message)
        session_id = self.connection.access.session_id
        self.live_view.subscribed(session_id)
        operation.task = asyncio.create_task(self.run_operation(operation))
        operation.task.add_done_callback(self._task_done)
        operation.task.add_done_callback(lambda _: self.live_view.unsubscribed(session_id))
        self.operations[message["id"]] = operation

    def _untrusted(self, message: SubscribeMessage) -> dict[str, Any] | None:
        """In trusted-documents mode (http/trusted.py) a subscription runs a manifest document,
        named (`documentId`, Apollo's hash) or sent as its exact text, as over HTTP: the
        payload gets the manifest's text, or the refusal is returned."""
        trusted = getattr(self.connection.websocket.app.state, "trusted_documents", None)
        if trusted is None:
            return None
        payload: dict[str, Any] = cast("dict[str, Any]", message["payload"])
        query = payload.get("query") or None
        named = payload.get("documentId") if query is None else None
        document_id = named if isinstance(named, str) else None
        sent = body.Operation(query, None, None, 0, payload.get("extensions"), document_id)
        try:
            resolved = persisted.with_document(sent, persisted.PersistedQueries(0), trusted)
            payload["query"] = resolved.query
        except persisted.PersistedQueryProblem as problem:
            extensions = {**problem.extensions, "requestId": self.connection.request_id}
            return {"message": problem.message, "extensions": extensions}
        return None

    def _over_limit(self) -> dict[str, Any] | None:
        settings = self.connection.runtime.settings
        per_connection = settings.live_max_per_connection
        per_session = settings.live_max_per_session
        if len(self.operations) >= per_connection:
            limit, scope = per_connection, "connection"
        elif self.live_view.subscriptions_of(self.connection.access.session_id) >= per_session:
            limit, scope = per_session, "session"
        else:
            return None
        return {
            "message": f"At most {limit} subscriptions per {scope}: complete one first.",
            "extensions": {
                "code": Code.RATE_LIMITED.value,
                "reason": "TOO_MANY_SUBSCRIPTIONS",
                "limit": limit,
                "requestId": self.connection.request_id,
            },
        }

    async def run_operation(self, operation: Operation[Connection, None]) -> None:
        """Strawberry's, with the operation's own context and subscriptions only."""
        assert isinstance(operation, LiveOperation)
        try:
            result_source = await self.schema.stream(
                operation.query,
                variable_values=operation.variables,
                context_value=operation.context,
                operation_name=operation.operation_name,
                allowed_operation_types=SUBSCRIPTIONS_ONLY,
            )
            async with aclosing(result_source):
                await self._send_result_stream(operation, result_source)
            await operation.send_operation_message({"id": operation.id, "type": "complete"})
        except _OperationStreamClosed:
            return
        except Exception as error:
            await self.handle_task_exception(error)
            with contextlib.suppress(Exception):
                await operation.send_operation_message({"id": operation.id, "type": "complete"})
            self.operations.pop(operation.id, None)

    # --- access changes and pings ----------------------------------------------------------

    async def _follow_access(self) -> None:
        """Read the viewer's access again whenever an access event may concern it."""
        bus = self.connection.runtime.bus
        inbox = bus.inbox([Topic.ACCESS])
        try:
            await bus.ready()
            while True:
                keys = await inbox.batch()
                if any(self._concerns(company, subject) for _, company, subject in keys):
                    await self.check_access()
        finally:
            inbox.close()

    def _concerns(self, company_id: int | None, subject: int) -> bool:
        access = self.connection.access
        if company_id is None:  # a user's sessions
            return subject == access.user_id
        return access.depends_on_company(company_id)

    async def check_access(self) -> None:
        connection = self.connection
        if not connection.access.signed_in:
            return
        access = await access_for_token(connection.runtime, connection.token)
        if not access.signed_in:
            await self.websocket.close(DEAD_SESSION, SESSION_ENDED)
            return
        if access == connection.access:
            return
        if access.role is not connection.access.role:
            # Another role, another schema: the subscriptions asked in the old one end.
            for operation in list(self.operations.values()):
                with contextlib.suppress(Exception):
                    await operation.send_operation_message({"id": operation.id, "type": "complete"})
                await self.cleanup_operation(operation.id)
            self._take(access)
            return
        self._take(access)
        for operation in list(self.operations.values()):
            assert isinstance(operation, LiveOperation)
            operation.context.access = access
            inbox = inbox_of(operation.context)
            if inbox is not None:
                inbox.nudge()  # it completes if its field or company is out of reach now

    async def _ping(self) -> None:
        """Ping every `live_ping_seconds`; a socket silent for twice as long is closed. The
        viewer's access is read again at each ping (a session may also expire)."""
        seconds = self.connection.runtime.settings.live_ping_seconds
        while True:
            await asyncio.sleep(seconds)
            if time.monotonic() - self.last_heard > 2 * seconds:
                await self.websocket.close(IDLE, "No answer to pings")
                return
            await self.send_message({"type": "ping"})
            await self.check_access()

    async def shutdown(self) -> None:
        for watcher in self.watchers:
            watcher.cancel()
        for watcher in self.watchers:
            with contextlib.suppress(BaseException):
                await watcher
        await super().shutdown()


class LiveView(GraphQL[Connection, None]):
    """Strawberry's ASGI view for the WebSocket side of /graphql (HTTP has its own endpoint)."""

    graphql_transport_ws_handler_class = LiveHandler

    def __init__(self, runtime: Runtime) -> None:
        super().__init__(
            # Replaced per connection by the viewer's role's schema (LiveHandler._take).
            schema=role_schema(SchemaRole.PUBLIC),
            graphql_ide=None,
            allow_queries_via_get=False,
            subscription_protocols=(GRAPHQL_TRANSPORT_WS_PROTOCOL,),
            connection_init_wait_timeout=timedelta(seconds=CONNECTION_INIT_SECONDS),
            max_subscriptions_per_connection=None,  # LiveHandler's own limits
            # The Origin fence runs before (`live_endpoint`): it refuses the cookie from another
            # site, and a token sent in connection_init is no ambient credential.
            allowed_origins=("*",),
        )
        self.runtime = runtime
        self._per_session: Counter[int] = Counter()

    async def get_context(self, request: Any, response: Any) -> Connection:
        websocket = cast("WebSocket", request)
        return Connection(
            runtime=self.runtime,
            websocket=websocket,
            request_id=uuid.uuid4().hex,
            handshake_token=_handshake_token(websocket),
        )

    def subscriptions_of(self, session_id: int | None) -> int:
        return self._per_session[session_id] if session_id is not None else 0

    def subscribed(self, session_id: int | None) -> None:
        if session_id is not None:
            self._per_session[session_id] += 1

    def unsubscribed(self, session_id: int | None) -> None:
        if session_id is not None:
            self._per_session[session_id] -= 1
            if self._per_session[session_id] <= 0:
                del self._per_session[session_id]


def _handshake_token(websocket: WebSocket) -> str | None:
    authorization = websocket.headers.get("authorization", "")
    scheme, _, credentials = authorization.partition(" ")
    if scheme.lower() == "bearer" and credentials.strip():
        return credentials.strip()
    return websocket.cookies.get(SESSION_COOKIE)


async def live_endpoint(websocket: WebSocket) -> None:
    runtime: Runtime = websocket.app.state.runtime
    if origin.cross_site_refusal(websocket, runtime.settings) is not None:
        await websocket.close(code=1008)  # before accepting: the handshake is answered 403
        return
    view: LiveView = websocket.app.state.live
    await view.run(websocket)
