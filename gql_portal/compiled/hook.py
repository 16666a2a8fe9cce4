"""The compiled path inside Strawberry's execution: a schema extension that, after our limits,
validation and the variables' checks (the extensions before it), answers a query from its plan
by setting the execution result, so that graphql-core never runs for it. A document that does
not compile, or whose run leaves the fast path, goes on to graphql-core unchanged (the resolver
path, the reference), and the fallback is counted per operation name
(`gql_portal_compiled_fallbacks_total`). `GQL_PORTAL_COMPILED=off` turns the compiled path off.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Hashable
from typing import Any

from graphql import ExecutionResult, OperationType
from graphql.execution.values import get_variable_values
from strawberry.extensions import SchemaExtension

from gql_portal.compiled.plan import Plan, PlanCache, compile_plan, operation_of
from gql_portal.compiled.run import Fallback, Run
from gql_portal.compiled.sources import NotCompilable
from gql_portal.observability import observe_compiled_fallback
from gql_portal.schema.internals import graphql_schema
from gql_portal.schema.limits import allowances_of
from gql_portal.tracing import COMPILED_PLAN, compiled_span, error_code

PLANS = PlanCache()
log = logging.getLogger(__name__)


def compiled_on(request: Any) -> bool:
    settings = getattr(request, "settings", None)
    return bool(getattr(settings, "compiled", False))


class CompiledExecution(SchemaExtension):
    async def on_execute(self) -> AsyncIterator[None]:
        execution = self.execution_context
        if execution.result is None and compiled_on(execution.context):
            result = await answer_compiled(execution)
            if result is not None:
                execution.result = result
        yield


async def answer_compiled(execution: Any) -> ExecutionResult | None:
    """The answer from the document's plan, or None: the resolver path answers."""
    schema = graphql_schema(execution.schema)
    document = execution.graphql_document
    query = execution.query
    operation = operation_of(document, execution.operation_name) if document else None
    if operation is None or operation.operation is not OperationType.QUERY or query is None:
        return None
    coerced = get_variable_values(
        schema, operation.variable_definitions or (), execution.variables or {}
    )
    if isinstance(coerced, list):  # the resolver path words the variables' errors
        return _fell_back(execution, "variables")
    variables = coerced  # graphql-core's VariableValues, as its helpers take them
    document_key = (schema, query, execution.operation_name)
    names = PLANS.names(document_key, document)
    key: Hashable = (*document_key, tuple(repr(variables.coerced.get(name)) for name in names))
    plan = PLANS.get(key)
    if plan is None:
        try:
            plan = compile_plan(schema, document, operation, variables)
        except NotCompilable as refused:
            plan = refused
        PLANS.put(key, plan)
    if not isinstance(plan, Plan):
        log.debug("not compiled: %s", plan)
        return _fell_back(execution, "document")
    request = execution.context
    allowances = allowances_of(request)
    saved = (
        (allowances.rows_left, dict(allowances.totals), allowances.reads.left)
        if allowances is not None
        else None
    )
    cached = set(request.cache)
    with compiled_span(COMPILED_PLAN) as span:
        try:
            run = Run(execution.schema, plan, request, variables)
            data = await run.answer()
        except Fallback as stopped:
            log.debug("compiled run stopped: %r (%r)", stopped, stopped.__cause__)
            cause = stopped.__cause__
            # Why, as a code or our own words (never a message: it can quote the input).
            span.set_attribute(
                "gql_portal.compiled.fallback", error_code(cause) if cause else str(stopped)
            )
            # The resolver path starts afresh: the lists' allowances and the rows computations
            # may read (the payroll basis) as measured, no loaders made for this run.
            if allowances is not None and saved is not None:
                allowances.rows_left, allowances.totals, allowances.reads.left = saved
            for name in set(request.cache) - cached:
                del request.cache[name]
            return _fell_back(execution, "execution")
    return ExecutionResult(data=data, errors=run.located_errors())


def _fell_back(execution: Any, reason: str) -> ExecutionResult | None:
    """No compiled answer (None), counted."""
    observe_compiled_fallback(execution.operation_name, execution.query, reason)
    return None
