"""Execution that cannot hog the worker: graphql-core's executor, taking turns with the event
loop and stopping an answer that grows too large.

Completing a big answer is synchronous work: without turns, one request holds the event loop
for seconds, other clients wait, and neither the request's own deadline (app.py,
`asyncio.timeout`) nor SIGTERM can act. `PortalExecutionContext` counts the work it completes
(list items and leaf values) within one turn of the loop; once a turn has done `TURN_WORK`, the
next list or resolved value to complete (or the rest of a big list) waits for a later turn, in
a FIFO queue that lets a batch of waiters go per turn (as many as fit in one). Other
requests, timers (the deadline) and signals run in between.

It also estimates the answer's size as it completes it (each leaf: its text's length and a
key's worth of bytes) and stops the whole execution with RESPONSE_TOO_LARGE as soon as the
estimate passes `Settings.max_response_bytes`: nothing near the cap is built in memory first.
The answer is then HTTP 200 with `data: null` and that one coded error (GraphQL over HTTP
answers application/json requests with 200; the code says what happened).
"""

from __future__ import annotations

import asyncio
import gc
import time
from collections import deque
from collections.abc import Callable, Iterable
from typing import Any

from graphql import GraphQLError, GraphQLLeafType, GraphQLList, GraphQLOutputType
from graphql.pyutils import Path, Undefined, gather_with_cancel, inspect

from gql_portal.errors import AppError, Code
from gql_portal.schema.internals import ExecutionContextBase

# Leaf values and list items completed per turn of the event loop: a few milliseconds of work
# on the shared 2-core test machine. A poll's few statements each need a turn of the loop for
# every step the database driver takes (ten or so): with 2,000 a turn (10-40 ms there), a poll
# waited 300-500 ms behind a big answer; with 250, under 200 ms, and the big answer itself
# took about as long (tests/test_worker_fairness.py).
TURN_WORK = 250
MAX_BATCH = 512  # waiters let go in one turn at most
QUIET_TURNS = 2  # turns without a waiting completion before the loaders' held batches go
DEFAULT_MAX_RESPONSE_BYTES = 10 * 1024 * 1024
# A leaf's share of the answer besides its text: its key, quotes, colon and comma.
LEAF_BYTES = 12
# Where the request's executor is found in `RequestContext.cache` (loaders ask it when to send
# their batch: `PortalExecutionContext.when_quiet`).
TURNS_KEY = "turns"


# The worker's garbage collector (`settle_worker`, `collect_when_idle`). A collection of the
# young generations walks every object they hold, and a big answer keeps hundreds of thousands
# alive while it is built: with a young generation of 10,000, a middle-generation collection
# walked ~100,000 objects and held the loop 25-85 ms. With 1,000 it walks about a tenth of that.
# Full collections walk everything not frozen: they run while the worker is idle, and only
# after `FULL_AFTER` middle-generation collections without a pause (a worker that is never
# idle still gets its cycles collected).
YOUNG_GENERATION = 1_000
MIDDLE_GENERATION = 10
FULL_AFTER = 1_000
IDLE_FULL_AFTER = 5  # middle-generation collections since the last full one, when idle
IDLE_SECONDS = 1.0  # no HTTP request started or ended for this long: the worker is idle


class Sharing:
    """The worker's HTTP requests in flight (counted by `http.app`'s `CountRequests`). While
    another request is in flight, a request that has used a turn of the loop leaves it alone
    for `SHARE_PAUSE` before its next one: a poll's statement needs a turn of the loop for each
    of its driver's steps (about 30 turns for `{ viewer { context } }` on SQLite), and with the
    big answer taking every turn it waited behind 30 of its slices."""

    in_flight = 0
    last_change = 0.0  # when a request last started or ended (`collect_when_idle`)

    @classmethod
    def enter(cls) -> None:
        cls.in_flight += 1
        cls.last_change = time.monotonic()

    @classmethod
    def leave(cls) -> None:
        cls.in_flight -= 1
        cls.last_change = time.monotonic()


# A pause between two turns of a request's work while other requests are in flight: about
# one turn's work, so the request gets about half of the loop when it is not alone.
SHARE_PAUSE = 0.003


def pause_between_turns() -> float:
    """How long a request that has used a turn leaves the loop to the others."""
    return SHARE_PAUSE if Sharing.in_flight > 1 else 0.0


async def next_turn() -> None:
    """A later turn of the loop, for work done in parts (rows made into objects, a basis
    computed per employee): after a pause while others are in flight (`Sharing`)."""
    await asyncio.sleep(pause_between_turns())


_settled = {"worker": False}  # settle_worker ran: this process is a server's worker


def settle_worker() -> None:
    """Once per worker, after start-up: keep the garbage collector out of the way of requests.
    What start-up built (modules, mappers, the schema's types) lives as long as the worker:
    frozen, no collection walks it again (on the test machine full collections took
    130-200 ms before, and came every few big answers). Objects are still freed as their last
    reference goes; only cycles among frozen objects stay. Full collections wait for an idle
    moment (`collect_when_idle`, every second from the app's lifespan)."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(YOUNG_GENERATION, MIDDLE_GENERATION, FULL_AFTER)
    _settled["worker"] = True


async def collect_when_idle() -> None:
    """A full collection when no request is in flight (none for `IDLE_SECONDS`) and cyclic
    garbage may have reached the old generation; only in a settled worker (tests' processes
    keep Python's defaults)."""
    idle = Sharing.in_flight == 0 and time.monotonic() - Sharing.last_change >= IDLE_SECONDS
    if _settled["worker"] and idle and gc.get_count()[2] >= IDLE_FULL_AFTER:
        gc.collect()


class ResponseTooLarge(AppError):
    """The answer would be larger than the cap: the whole execution stops."""

    def __init__(self, limit: int) -> None:
        super().__init__(
            Code.RESPONSE_TOO_LARGE,
            f"The answer would be larger than {limit} bytes: ask for fewer fields or smaller "
            "pages.",
            limit=limit,
        )


class PortalExecutionContext(ExecutionContextBase):
    """graphql-core's executor with turns and the answer-size cap (see the module's doc). The
    methods it overrides and calls have the signatures `schema/internals.py` lists
    (`EXECUTION_CONTEXT_METHODS`, checked by tests/test_internals.py)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        settings = getattr(getattr(self.context_value, "runtime", None), "settings", None)
        self.max_bytes: int = getattr(settings, "max_response_bytes", DEFAULT_MAX_RESPONSE_BYTES)
        self.answer_bytes = 0
        self.turn_work = 0
        self.waiters: deque[asyncio.Future[None]] = deque()
        self.release_scheduled = False
        self.batch = 1
        self.held: list[Callable[[], None]] = []
        self.quiet_turns = 0
        cache = getattr(self.context_value, "cache", None)
        if isinstance(cache, dict):
            cache[TURNS_KEY] = self

    # --- the answer's size ------------------------------------------------------------------

    def complete_leaf_value(  # type: ignore[override]  # a method here, static in graphql-core
        self, return_type: GraphQLLeafType, result: Any
    ) -> Any:
        coerced = return_type.coerce_output_value(result)
        if coerced is Undefined or coerced is None:
            raise TypeError(
                f"Expected `{inspect(return_type)}.coerce_output_value({inspect(result)})` to "
                f"return non-nullable value, returned: {inspect(coerced)}"
            )
        self.turn_work += 1
        self.answer_bytes += LEAF_BYTES + (len(coerced) if type(coerced) is str else 0)
        if self.answer_bytes > self.max_bytes:
            raise ResponseTooLarge(self.max_bytes)
        return coerced

    def handle_field_error(
        self,
        raw_error: Exception,
        return_type: GraphQLOutputType,
        field_details_list: Any,
        path: Path,
    ) -> None:
        # Not one field's error: the whole execution stops (Strawberry answers data null).
        if isinstance(raw_error, ResponseTooLarge) or (
            isinstance(raw_error, GraphQLError)
            and isinstance(raw_error.original_error, ResponseTooLarge)
        ):
            raise raw_error
        super().handle_field_error(raw_error, return_type, field_details_list, path)

    def execute_operation(self, serially: bool | None = None) -> Any:
        result = super().execute_operation(serially)
        if not self.is_awaitable(result):
            return result

        async def finished() -> Any:
            try:
                return await result
            finally:
                # Siblings of an error that stopped execution are settled in the background:
                # they have nothing left to do for this answer.
                for future in list(self.background_futures):
                    future.cancel()

        return finished()

    # --- turns ------------------------------------------------------------------------------

    def complete_list_value(
        self,
        return_type: GraphQLList[GraphQLOutputType],
        field_details_list: Any,
        info: Any,
        path: Path,
        result: Any,
        position_context: Any,
    ) -> Any:
        if type(result) is list or type(result) is tuple:
            size = len(result)
            if self.turn_work + size < TURN_WORK:  # the common case: within this turn
                self.turn_work += size
                return super().complete_list_value(
                    return_type, field_details_list, info, path, result, position_context
                )
            return self._complete_in_turns(
                return_type.of_type, field_details_list, info, path, result, position_context
            )
        return super().complete_list_value(
            return_type, field_details_list, info, path, result, position_context
        )

    async def complete_awaitable_value(
        self,
        return_type: GraphQLOutputType,
        field_details_list: Any,
        info: Any,
        path: Path,
        result: Any,
        position_context: Any,
    ) -> Any:
        return await self._after_a_turn(
            result, return_type, field_details_list, info, path, position_context
        )

    async def complete_awaitable_list_item_value(
        self,
        item: Any,
        item_type: GraphQLOutputType,
        field_details_list: Any,
        info: Any,
        item_path: Path,
        position_context: Any,
    ) -> Any:
        return await self._after_a_turn(
            item, item_type, field_details_list, info, item_path, position_context
        )

    async def _after_a_turn(
        self,
        awaitable: Any,
        type_: GraphQLOutputType,
        field_details_list: Any,
        info: Any,
        path: Path,
        position_context: Any,
    ) -> Any:
        """graphql-core's completion of an awaited value (a field's or a list item's), waiting
        for a turn between the value and its completion (never before the resolver runs:
        DataLoaders batch what starts in one turn)."""
        try:
            resolved = await self.with_abort_signal(awaitable)
            if self.turn_work >= TURN_WORK:
                await self._next_turn()
            completed = self.complete_value(
                type_, field_details_list, info, path, resolved, position_context
            )
            if self.is_awaitable(completed):
                completed = await completed
        except Exception as raw_error:
            self.handle_field_error(raw_error, type_, field_details_list, path)
            return None
        return completed

    async def _complete_in_turns(
        self,
        item_type: GraphQLOutputType,
        field_details_list: Any,
        info: Any,
        path: Path,
        items: Iterable[Any],
        position_context: Any,
    ) -> list[Any]:
        """graphql-core's list completion (without @stream, which no schema here has), taking
        a later turn whenever this one has done its work."""
        is_awaitable = self.is_awaitable
        completed: list[Any] = []
        awaitable_indices: list[int] = []
        try:
            for index, item in enumerate(items):
                if self.turn_work >= TURN_WORK:
                    await self._next_turn()
                self.turn_work += 1
                item_path = path.add_key(index, None)
                if is_awaitable(item):
                    completed.append(
                        self.complete_awaitable_list_item_value(
                            item, item_type, field_details_list, info, item_path, position_context
                        )
                    )
                    awaitable_indices.append(index)
                elif self.complete_list_item_value(
                    item,
                    completed,
                    item_type,
                    field_details_list,
                    info,
                    item_path,
                    position_context,
                ):
                    awaitable_indices.append(index)
        except BaseException:
            if awaitable_indices:
                self.settle_in_background([completed[index] for index in awaitable_indices])
            raise
        if awaitable_indices:
            awaited = await gather_with_cancel(*(completed[index] for index in awaitable_indices))
            for index, value in zip(awaitable_indices, awaited, strict=True):
                completed[index] = value
        return completed

    async def _next_turn(self) -> None:
        """Wait in line for a later turn of the loop. Each turn lets a batch of waiters go,
        sized to what fits in a turn (a waiter that finds the turn used goes back to the
        front): waiting lists and objects cost a wake-up or two each, not one per turn."""
        loop = asyncio.get_running_loop()
        front = False
        while True:
            waiter: asyncio.Future[None] = loop.create_future()
            if front:
                self.waiters.appendleft(waiter)
            else:
                self.waiters.append(waiter)
            if not self.release_scheduled:
                self._schedule_release(loop)
            await waiter
            if self.turn_work < TURN_WORK:
                return
            self.batch = max(1, self.batch // 2)  # this turn's batch was more than fits
            front = True

    def when_quiet(self, callback: Callable[[], None]) -> None:
        """Call `callback` soon, once no completion waits for a turn: DataLoaders send their
        batch then (resolvers/loading.py), so that it holds every key the answer's resolvers
        ask for until then. Sent at the next turn, as Strawberry does, a list completed over
        several turns would split its children's batch into a statement per turn."""
        self.held.append(callback)
        if not self.waiters and not self.release_scheduled:
            self._schedule_release(asyncio.get_running_loop())

    def _release(self) -> None:
        """One turn: a new budget, and the next batch of waiters let go (they run in the
        loop's next iteration, after which this runs again while any are left). Once none
        are left, the loaders' held batches go."""
        self.release_scheduled = False
        if self.turn_work < TURN_WORK // 2:
            self.batch = min(self.batch * 2, MAX_BATCH)  # the last batch left room
        self.turn_work = 0
        waiters = self.waiters
        released = 0
        while waiters and released < self.batch:
            waiter = waiters.popleft()
            if not waiter.done():  # a cancelled request's waiters are skipped
                waiter.set_result(None)
                released += 1
        if waiters or released:
            self.quiet_turns = 0
            self._schedule_release(asyncio.get_running_loop())
        elif self.held:
            # Quiet only after QUIET_TURNS turns without waiters: completions started in the
            # last turn (list items' tasks) begin in the next one, and may ask for more keys.
            self.quiet_turns += 1
            if self.quiet_turns < QUIET_TURNS:
                self.release_scheduled = True
                asyncio.get_running_loop().call_soon(self._release)
                return
            self.quiet_turns = 0
            held, self.held = self.held, []
            for callback in held:
                callback()

    def _schedule_release(self, loop: asyncio.AbstractEventLoop) -> None:
        self.release_scheduled = True
        pause = pause_between_turns()
        if pause:
            loop.call_later(pause, self._release)
        else:
            loop.call_soon(self._release)
