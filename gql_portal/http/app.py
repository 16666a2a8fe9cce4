"""The ASGI application: its routes, middleware and lifespan (the worker's background jobs)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

import anyio.to_thread
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.routing import BaseRoute, Route, WebSocketRoute

from gql_portal import graphiql, pages, tracing
from gql_portal.execution import collect_when_idle
from gql_portal.http import files
from gql_portal.http.errors import CodedErrors
from gql_portal.http.graphql import graphql_endpoint
from gql_portal.http.health import healthz, readyz
from gql_portal.http.in_flight import CountRequests
from gql_portal.http.live import LiveView, live_endpoint
from gql_portal.http.persisted import PersistedQueries
from gql_portal.http.responses import SecurityHeaders
from gql_portal.http.schema_sdl import SCHEMA_SDL_PATH, schema_file
from gql_portal.http.trusted import load_manifest
from gql_portal.jobs.deliveries import Deliverer, WebhookTap
from gql_portal.jobs.exports import recover_interrupted_exports
from gql_portal.jobs.retention import RETENTION_INTERVAL_SECONDS, run_retention
from gql_portal.jobs.runner import serve_jobs
from gql_portal.mailer import DeliveryWorker
from gql_portal.observability import SAMPLE_SECONDS, metrics, sample_worker, worker_stopped
from gql_portal.runtime import Runtime

log = logging.getLogger("gql_portal.http")

# What a configured frontend may send cross-origin: JSON, a bearer token, the headers that
# make multipart uploads preflighted (uploads.py), and what its clients add on their own:
# Apollo Client's `clientAwareness` name and version, and the W3C trace context a browser's
# OpenTelemetry instrumentation sends (the request span continues the frontend's trace; the
# tracing reads no other header, tracing.py `VISIBLE_HEADERS`).
CORS_REQUEST_HEADERS = [
    "content-type",
    "authorization",
    "graphql-preflight",
    "apollo-require-preflight",
    "x-request-id",
    "apollographql-client-name",
    "apollographql-client-version",
    "traceparent",
    "tracestate",
]


def cors_middleware(runtime: Runtime) -> list[Middleware]:
    """Only the configured frontends may call us from a browser, with the session cookie."""
    if not runtime.settings.cors_origins:
        return []
    return [
        Middleware(
            CORSMiddleware,
            allow_origins=list(runtime.settings.cors_origins),
            allow_credentials=True,
            allow_methods=["GET", "POST"],
            allow_headers=CORS_REQUEST_HEADERS,
            expose_headers=["x-request-id", "retry-after"],
            max_age=600,
        )
    ]


def routes() -> list[BaseRoute]:
    return [
        Route("/graphql", graphql_endpoint, methods=["GET", "POST"]),
        WebSocketRoute("/graphql", live_endpoint),  # live updates (http/live.py)
        Route(SCHEMA_SDL_PATH, schema_file, methods=["GET"]),  # the caller's role SDL
        Route("/healthz", healthz, methods=["GET"]),
        Route("/readyz", readyz, methods=["GET"]),
        Route("/metrics", metrics, methods=["GET"]),
        *graphiql.routes(),
        *pages.routes(),
        *files.routes(),
    ]


def _sample(runtime: Runtime) -> Callable[[], Awaitable[None]]:
    async def sample() -> None:
        sample_worker(runtime)

    return sample


def create_app(runtime: Runtime) -> Starlette:
    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        worker = None
        # Exports cut short by a stopped worker: now, and every minute (another worker may die).
        await recover_interrupted_exports(runtime)
        # Upload temp files a killed worker left (a walk of the storage folder, off the loop).
        runtime.jobs.spawn(anyio.to_thread.run_sync(runtime.storage.sweep_partials), "sweep")
        sweeper = runtime.jobs.every(60.0, lambda: recover_interrupted_exports(runtime), "sweep")
        # Export files past their retention, and stored files no row names (jobs/retention.py).
        retainer = runtime.jobs.every(
            RETENTION_INTERVAL_SECONDS, lambda: run_retention(runtime), "retention"
        )
        # Queued jobs (exports) from any worker on any machine, and those whose worker died.
        job_runner = asyncio.get_running_loop().create_task(serve_jobs(runtime), name="jobs")
        # What this worker charged to the cost budgets, shared with the other workers.
        budget_flusher = runtime.jobs.every(1.0, runtime.budgets.flush, "budgets")
        # Full garbage collections at idle moments (execution.settle_worker).
        collector = runtime.jobs.every(1.0, collect_when_idle, "gc")
        # This worker's gauges, for the scrapes other workers answer (observability.py).
        sampler = runtime.jobs.every(SAMPLE_SECONDS, _sample(runtime), "metrics")
        if runtime.settings.smtp_url:
            worker = DeliveryWorker(runtime.database, runtime.settings, runtime.clock)
            runtime.wake_mailer = worker.wake
            worker.start()
        # The payroll integration's and webhooks' outbox: every worker takes its share.
        deliverer = Deliverer(runtime)
        runtime.wake_deliveries = deliverer.wake
        deliverer.start()
        webhooks = WebhookTap(runtime).attach()  # the live events this worker publishes
        try:
            yield
        finally:
            sweeper.cancel()
            retainer.cancel()
            job_runner.cancel()
            budget_flusher.cancel()
            collector.cancel()
            sampler.cancel()
            try:
                await runtime.budgets.flush()
            except Exception:
                log.exception("could not add the last cost charges to the shared budgets")
            await runtime.jobs.stop()
            await runtime.bus.stop()
            if worker is not None:
                await worker.stop()
            webhooks.detach()
            await webhooks.settled()
            await deliverer.stop()
            await runtime.database.dispose()
            await tracing.shutdown()  # flushes this worker's last spans (when tracing is on)
            worker_stopped()  # its live gauges leave the workers' sums

    # tracing.middleware(): the /graphql span when OTel is configured (set up here, once per
    # process), nothing otherwise.
    # CodedErrors: a request id on every answer, coded JSON for the framework's own errors.
    # CountRequests: heavy work shares the loop while other requests are in flight.
    middleware = [
        Middleware(CountRequests),
        Middleware(SecurityHeaders),
        *tracing.middleware(),  # outside CodedErrors: it sees a masked 500, not the exception
        Middleware(CodedErrors),
        *cors_middleware(runtime),
    ]
    tracing.instrument_database(runtime.database.sync_engine)  # SQL spans, when tracing is on
    app = Starlette(routes=routes(), middleware=middleware, lifespan=lifespan)
    app.state.runtime = runtime
    # Automatic persisted queries' documents, this worker's own (http/persisted.py).
    app.state.persisted_queries = PersistedQueries()
    # Trusted documents (http/trusted.py): checked whole here, so a bad manifest stops start-up.
    manifest = runtime.settings.trusted_documents
    app.state.trusted_documents = load_manifest(manifest) if manifest is not None else None
    # Live updates over WebSocket: the subscriptions of this worker's connections.
    app.state.live = LiveView(runtime)
    return app
