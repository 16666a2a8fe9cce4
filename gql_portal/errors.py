"""Coded errors: every expected failure carries a machine-readable extensions.code.

Resolvers raise these; the HTTP layer passes them through unmasked and masks everything else.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any


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
    TIMEOUT = "TIMEOUT"
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
