"""The company's OB windows (SETTINGS): when inconvenient working hours give which OB code."""

from __future__ import annotations

from datetime import datetime
from datetime import time as ClockTime
from typing import ClassVar

from sqlalchemy import ColumnElement, String, true
from sqlalchemy.orm import Mapped, mapped_column

from gql_portal.db.base import Base, CompanyOwned, IdMixin, company_fk
from gql_portal.domain import ob as domain
from gql_portal.permissions.access import Access
from gql_portal.permissions.matrix import Area


class ObWindow(IdMixin, CompanyOwned, Base):
    """One window of an OB code (a code may have several: the weekend as three day windows).

    Replaced all at once (setObWindows); none means the company has no OB."""

    __tablename__ = "ob_windows"
    __area__: ClassVar[Area] = Area.SETTINGS

    company_id: Mapped[int] = company_fk()
    code: Mapped[str] = mapped_column(String(3))  # OB1-OB5
    weekdays: Mapped[int]  # the days it starts on: bit 0 Monday ... bit 6 Sunday
    holidays: Mapped[bool]  # it also starts on public holidays and aftons
    start_time: Mapped[ClockTime]
    end_time: Mapped[ClockTime]  # at or before the start: on the next day
    created_at: Mapped[datetime]

    @classmethod
    def own_rows(cls, access: Access) -> ColumnElement[bool]:
        return true()  # an employee's own basis derives its OB from the company's windows

    def as_domain(self) -> domain.ObWindow:
        return domain.ObWindow(
            code=self.code,
            weekdays=domain.weekdays_of_mask(self.weekdays),
            holidays=self.holidays,
            start=self.start_time,
            end=self.end_time,
        )
