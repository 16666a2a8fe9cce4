"""Company settings and time codes (SETTINGS)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from gql_portal.db.settings import CompanySettings, TimeCode
from gql_portal.domain.time import DEFAULT_TIME_CODES


def add_company_defaults(session: AsyncSession, company_id: int, now: datetime) -> None:
    """What every new company starts with: settings and the Swedish default time codes."""
    session.add(CompanySettings(company_id=company_id, updated_at=now))
    session.add_all(
        TimeCode(
            company_id=company_id,
            code=default.code,
            name=default.name,
            kind=default.kind,
            paxml_code=default.paxml_code,
            pay_type=default.pay_type,
            unit=default.unit,
            active=True,
            created_at=now,
        )
        for default in DEFAULT_TIME_CODES
    )
