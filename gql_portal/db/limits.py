"""Cost budgets: the query cost each session and address spent per minute, shared by workers."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from gql_portal.db.base import Base, UTCDateTime


class CostSpent(Base):
    """The cost points one budget key (a session or a hashed address) spent in one minute.

    Workers add what they spent about once a second (an upsert), so the table holds a few rows
    per active key and minute; rows of past minutes are deleted by the same flush."""

    __tablename__ = "cost_spent"
    __table_args__ = (Index("ix_cost_spent_window_start", "window_start"),)

    key: Mapped[str] = mapped_column(String(80), primary_key=True)
    window_start: Mapped[datetime] = mapped_column(UTCDateTime(), primary_key=True)
    spent: Mapped[int] = mapped_column(BigInteger, default=0)
