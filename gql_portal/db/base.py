"""Declarative base and the column types every domain shares."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, ClassVar

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    DateTime,
    Enum,
    ForeignKey,
    Integer,
    MetaData,
    false,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

from gql_portal.permissions.access import Access
from gql_portal.permissions.matrix import Area

# Stable constraint names, so Alembic migrations are the same on SQLite and PostgreSQL.
NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC in Python on every backend (SQLite stores naive UTC text)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class ScaledDecimal(TypeDecorator[Decimal]):
    """An exact decimal with fixed places, stored as a scaled integer (SQLite has no decimal)."""

    impl = BigInteger
    cache_ok = True

    def __init__(self, places: int = 2) -> None:
        super().__init__()
        self.places = places
        self._factor = Decimal(10) ** places
        self._quantum = Decimal(1).scaleb(-places)

    def process_bind_param(self, value: Decimal | None, dialect: Dialect) -> int | None:
        if value is None:
            return None
        scaled = Decimal(value) * self._factor
        if scaled != scaled.to_integral_value():
            raise ValueError(f"{value} has more than {self.places} decimals")
        return int(scaled)

    def process_result_value(self, value: Any, dialect: Dialect) -> Decimal | None:
        if value is None:
            return None
        return (Decimal(int(value)) / self._factor).quantize(self._quantum)


class Money(ScaledDecimal):
    """Exact SEK amounts: stored as whole öre, read back as Decimal with two places."""

    cache_ok = True

    def __init__(self) -> None:
        super().__init__(2)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: ClassVar[dict[Any, Any]] = {datetime: UTCDateTime(), Decimal: Money()}


class IdMixin:
    id: Mapped[int] = mapped_column(Integer, primary_key=True)


class CompanyOwned:
    """A row of one company's data. `__area__` is the matrix area whose read right makes the row
    visible; row scoping (gql_portal.db.scope) restricts every query to the companies, and for
    OWN reach to the rows, the viewer reaches. Subclasses say what "own" means."""

    __area__: ClassVar[Area]
    company_id: Mapped[int]

    @classmethod
    def firm_rows(cls, access: Access) -> ColumnElement[bool] | None:
        """Rows a partner firm reaches as itself in the portal, beyond its clients' data
        (None: only the clients' rows, by the matrix)."""
        return None

    @classmethod
    def own_rows(cls, access: Access) -> ColumnElement[bool]:
        """The rows that are the viewer's own (for employees): by default, their employee id."""
        employee_column = getattr(cls, "employee_id", None)
        if employee_column is None or access.employee_id is None:
            return false()
        return employee_column == access.employee_id


def company_fk() -> Mapped[int]:
    return mapped_column(ForeignKey("companies.id", ondelete="CASCADE"), index=True)


def enum_column(enum_class: type[Any], **kwargs: Any) -> Mapped[Any]:
    # Plain strings without a CHECK constraint: adding a member needs no table rebuild.
    return mapped_column(
        Enum(enum_class, native_enum=False, create_constraint=False, length=32), **kwargs
    )
