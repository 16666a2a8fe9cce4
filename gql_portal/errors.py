"""Coded errors: every expected failure carries a machine-readable extensions.code.

Resolvers raise these; the HTTP layer passes them through unmasked and masks everything else.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from graphql import GraphQLError, VariableDefinitionNode
from strawberry.relay.types import GlobalIDValueError


class Code(StrEnum):
    UNAUTHENTICATED = "UNAUTHENTICATED"
    FORBIDDEN = "FORBIDDEN"
    NOT_FOUND = "NOT_FOUND"
    FEATURE_DISABLED = "FEATURE_DISABLED"
    TRIAL_EXPIRED = "TRIAL_EXPIRED"
    EMAIL_NOT_VERIFIED = "EMAIL_NOT_VERIFIED"
    BAD_USER_INPUT = "BAD_USER_INPUT"
    RATE_LIMITED = "RATE_LIMITED"
    QUERY_TOO_COMPLEX = "QUERY_TOO_COMPLEX"
    CONFLICT = "CONFLICT"
    LINK_EXPIRED = "LINK_EXPIRED"
    # An export whose file the retention job deleted (GQL_PORTAL_EXPORT_RETENTION_DAYS).
    EXPORT_FILE_EXPIRED = "EXPORT_FILE_EXPIRED"
    TIMEOUT = "TIMEOUT"
    RESPONSE_TOO_LARGE = "RESPONSE_TOO_LARGE"
    INTERNAL_SERVER_ERROR = "INTERNAL_SERVER_ERROR"


class AppError(Exception):
    """An expected error. `extensions` is copied into the GraphQL error by graphql-core."""

    def __init__(self, code: Code, message: str, **extra: Any) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.extensions: dict[str, Any] = {"code": code.value, **extra}


class FieldProblem:
    """One invalid input field: its path (as the client spelled it) and why."""

    __slots__ = ("field", "message", "reason")

    def __init__(self, field: str, reason: str, message: str) -> None:
        self.field = field
        self.reason = reason
        self.message = message

    def as_dict(self) -> dict[str, str]:
        return {"field": self.field, "reason": self.reason, "message": self.message}


class BadInput(AppError):
    """BAD_USER_INPUT naming the first invalid field, with every problem listed."""

    def __init__(self, problems: list[FieldProblem]) -> None:
        first = problems[0]
        super().__init__(
            Code.BAD_USER_INPUT,
            f"{first.field}: {first.message}",
            field=first.field,
            reason=first.reason,
            problems=[p.as_dict() for p in problems],
        )
        self.problems = problems


def bad_input(field: str, reason: str, message: str) -> BadInput:
    return BadInput([FieldProblem(field, reason, message)])


class Problems:
    """Collects field problems so a mutation reports all of them at once, then raises."""

    def __init__(self) -> None:
        self.items: list[FieldProblem] = []

    def add(self, field: str, reason: str, message: str) -> None:
        self.items.append(FieldProblem(field, reason, message))

    def __bool__(self) -> bool:
        return bool(self.items)

    def raise_if_any(self) -> None:
        if self.items:
            raise BadInput(self.items)


# graphql-core's own words when the parser stops at its token limit.
TOKEN_LIMIT_MESSAGE = "Syntax Error: Document contains more than"


def coded_extensions(error: GraphQLError) -> dict[str, Any] | None:
    """The extensions (`code` and details) of an error about the request, or of one we raised
    on purpose; None for an unexpected failure, which the answer masks and the log records.
    The one place that tells them apart (the HTTP answer and the traces both ask here)."""
    original = error.original_error
    if original is None:  # the document did not parse or validate against the role's schema
        extensions = dict(error.extensions or {})
        if error.message.startswith(TOKEN_LIMIT_MESSAGE):
            extensions["code"] = Code.QUERY_TOO_COMPLEX.value
        extensions.setdefault(
            "code", "GRAPHQL_VALIDATION_FAILED" if error.nodes else "GRAPHQL_PARSE_FAILED"
        )
        return extensions
    cause = root_cause(error)
    if isinstance(cause, AppError):
        return dict(cause.extensions)
    variable = refused_variable(error)
    if variable is not None:
        # graphql-core refused a variable's value before execution (schema/variables.py
        # refuses these first, naming the path): the client's input, never our failure.
        return {"code": Code.BAD_USER_INPUT.value, "reason": "INVALID_VALUE", "field": variable}
    if isinstance(cause, GlobalIDValueError):
        # A malformed Relay id in an argument: the client's input, not our failure.
        return {"code": Code.BAD_USER_INPUT.value, "reason": "INVALID_ID"}
    if error.path is None and isinstance(cause, ValueError | TypeError):
        # A value a scalar refused before execution began: about the client's input.
        return {"code": Code.BAD_USER_INPUT.value, "reason": "INVALID_VALUE"}
    return None


def root_cause(error: GraphQLError) -> BaseException | None:
    """The exception below graphql-core's wrappers (None for a document error)."""
    cause: BaseException | None = error.original_error
    while isinstance(cause, GraphQLError) and cause.original_error is not None:
        cause = cause.original_error
    return cause


def refused_variable(error: GraphQLError) -> str | None:
    """The variable's name when graphql-core refused its value (before execution)."""
    if error.path is None and error.nodes and isinstance(error.nodes[0], VariableDefinitionNode):
        return error.nodes[0].variable.name.value
    return None


def client_message(error: GraphQLError) -> str:
    """The message a coded error is answered with. graphql-core's words for a refused
    variable, and Strawberry's for a malformed id, quote the value: those get ours."""
    cause = root_cause(error)
    if isinstance(cause, AppError):
        return error.message
    variable = refused_variable(error)
    if variable is not None:
        return f"Variable ${variable} has a value of the wrong type or form."
    if isinstance(cause, GlobalIDValueError):
        return "An id is malformed: give an id this service gave out."
    return error.message
