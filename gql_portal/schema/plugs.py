"""Fields of a type whose resolver lives above the type's module.

The types (`schema/<domain>.py`) sit below the resolvers (docs/architecture.md, "Layers and
imports"), yet a few of their fields are computed by a domain's resolvers: an employee's
expenses, a period's basis, a client's payroll status. Such a field calls a `Plug`, and
`schema/root.py`, which composes the schema from the resolvers, plugs the function in. The
type names the plug; it never imports the resolvers."""

from collections.abc import Callable
from typing import Any, Generic, TypeVar

F = TypeVar("F", bound=Callable[..., Any])


class Plug(Generic[F]):
    def __init__(self, field: str) -> None:
        self.field = field
        self._resolver: F | None = None

    def plug(self, resolver: F) -> None:
        self._resolver = resolver

    @property
    def resolver(self) -> F:
        if self._resolver is None:  # only a schema built without schema/root.py gets here
            raise RuntimeError(f"{self.field} has no resolver: schema/root.py plugs it in")
        return self._resolver
