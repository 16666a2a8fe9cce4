"""Weekly work schedules (SCHEDULES): hours per weekday, enough to know what a full day is."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import ClassVar

from sqlalchemy import ForeignKey
from sqlalchemy.orm import Mapped, mapped_column

from gql_portal.db.base import Base, CompanyOwned, IdMixin, ScaledDecimal, company_fk
from gql_portal.permissions.matrix import Area


def _hours() -> Mapped[Decimal]:
    return mapped_column(ScaledDecimal(2), default=Decimal("0.00"))


class Schedule(IdMixin, CompanyOwned, Base):
    __tablename__ = "schedules"
    __area__: ClassVar[Area] = Area.SCHEDULES

    company_id: Mapped[int] = company_fk()
    employee_id: Mapped[int] = mapped_column(
        ForeignKey("employees.id", ondelete="CASCADE"), unique=True
    )
    monday: Mapped[Decimal] = _hours()
    tuesday: Mapped[Decimal] = _hours()
    wednesday: Mapped[Decimal] = _hours()
    thursday: Mapped[Decimal] = _hours()
    friday: Mapped[Decimal] = _hours()
    saturday: Mapped[Decimal] = _hours()
    sunday: Mapped[Decimal] = _hours()
    updated_at: Mapped[datetime]

    def hours_on(self, weekday: int) -> Decimal:
        return [
            self.monday,
            self.tuesday,
            self.wednesday,
            self.thursday,
            self.friday,
            self.saturday,
            self.sunday,
        ][weekday]
