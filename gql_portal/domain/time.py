"""Time codes: the company's own codes, each mapped to a PAXml time code and a pay type."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from enum import StrEnum


class TimeCodeKind(StrEnum):
    WORK = "WORK"  # worked time: normal, overtime, additional hours
    ABSENCE = "ABSENCE"  # sick, vacation, VAB, parental leave, leave of absence


class Unit(StrEnum):
    HOURS = "HOURS"
    DAYS = "DAYS"
    KILOMETRES = "KILOMETRES"
    PIECES = "PIECES"


# The time codes of PAXml 2.0 (tidkodTYPE in paxml-2.0.xsd).
PAXML_TIME_CODES = frozenset(
    "SJK SJK_KAR SJK_LÖN SJK_ERS SJK_PEN ASK HAV FPE VAB SMB UTB MIL SVE NÄR TJL SEM SEM_BET "
    "SEM_SPA SEM_OBE SEM_FÖR KOM PEM PER FAC ATK KON PAP ATF FR1 FR2 FR3 FR4 FR5 FR6 FR7 FR8 FR9 "
    "FLX TS1 TS2 TS3 TS4 TS5 TS6 TS7 TS8 TS9 TID ARB MER ÖT1 ÖT2 ÖT3 ÖT4 ÖT5 ÖK1 ÖK2 ÖK3 ÖK4 ÖK5 "
    "OB1 OB2 OB3 OB4 OB5 OS1 OS2 OS3 OS4 OS5 JR1 JR2 JR3 JS1 JS2 JS3 BE1 BE2 BE3 BS1 BS2 BS3 RE1 "
    "RE2 RE3 RE4 HLG SKI LT1 LT2 LT3 LT4 LT5 LT6 LT7 LT8 LT9 NV1 NV2 NV3 NV4 NV5 NV6 NV7 NV8 "
    "NV9".split()
)


@dataclass(frozen=True)
class DefaultTimeCode:
    code: str
    name: str
    kind: TimeCodeKind
    paxml_code: str
    pay_type: str
    unit: Unit


# Sensible Swedish defaults every new company starts with; admins change and add to them.
DEFAULT_TIME_CODES: tuple[DefaultTimeCode, ...] = (
    DefaultTimeCode("ARB", "Arbetad tid", TimeCodeKind.WORK, "ARB", "100", Unit.HOURS),
    DefaultTimeCode("MER", "Mertid", TimeCodeKind.WORK, "MER", "120", Unit.HOURS),
    DefaultTimeCode("OT1", "Övertid enkel", TimeCodeKind.WORK, "ÖT1", "310", Unit.HOURS),
    DefaultTimeCode("OT2", "Övertid kvalificerad", TimeCodeKind.WORK, "ÖT2", "320", Unit.HOURS),
    DefaultTimeCode("SJK", "Sjukfrånvaro", TimeCodeKind.ABSENCE, "SJK", "410", Unit.HOURS),
    DefaultTimeCode("VAB", "Vård av barn", TimeCodeKind.ABSENCE, "VAB", "420", Unit.HOURS),
    DefaultTimeCode("FPE", "Föräldraledighet", TimeCodeKind.ABSENCE, "FPE", "430", Unit.HOURS),
    DefaultTimeCode("TJL", "Tjänstledighet", TimeCodeKind.ABSENCE, "TJL", "440", Unit.HOURS),
    DefaultTimeCode("SEM", "Semester", TimeCodeKind.ABSENCE, "SEM", "510", Unit.DAYS),
)


def week_start(day: date) -> date:
    """The Monday of the ISO week `day` is in."""
    return day - timedelta(days=day.weekday())


# --- reporting time -------------------------------------------------------------------------

MAX_HOURS_PER_DAY = Decimal(24)
HOURS_PLACES = Decimal("0.01")


def hours_problem(hours: Decimal, *, allow_zero: bool = False) -> tuple[str, str] | None:
    """Why `hours` cannot be a day's hours (reason, message), or None when it can.

    Above 0 (or from 0 with `allow_zero`, e.g. a schedule's day off), at most 24, two decimals.
    """
    if not hours.is_finite():
        return "INVALID_NUMBER", "must be a number of hours"
    low_ok = hours >= 0 if allow_zero else hours > 0
    if not low_ok or hours > MAX_HOURS_PER_DAY:
        lowest = "0" if allow_zero else "above 0"
        return "OUT_OF_RANGE", f"must be {lowest} and at most 24 hours"
    if hours != hours.quantize(HOURS_PLACES):
        return "TOO_MANY_DECIMALS", "has at most two decimals (e.g. 7.75)"
    return None


def is_week_start(day: date) -> bool:
    """Weeks are ISO weeks: they start on a Monday."""
    return day.weekday() == 0


def week_end(monday: date) -> date:
    """The Sunday of the ISO week starting on `monday`."""
    return monday + timedelta(days=6)
