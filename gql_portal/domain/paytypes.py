"""The standard codes of PAXml 2.0 and a company's pay-type table (lönearter).

Every transaction in a PAXml file carries a standard code: a `tidtrans` its `tidkod` (`TIDKOD`),
a `lonetrans` its `lonkod` (`LONKOD`). A payroll program that maps the standard codes to its
own pay types itself needs nothing more. Where it wants its own pay-type number (`lonart`) on a
money line, the company's pay-type table says which: code -> lonart, edited per company under
SETTINGS. A code without a row has no lonart; the standard code still goes out.

`PAYROLL_PROGRAM_PRESETS` are starting tables, one per payroll program, that the accounting firm
applies to a client and then adjusts to the client's own set-up in its payroll program (pay-type
numbers differ between programs, collective agreements and the program's own templates). They are
a convenience for the firm, not a promise about any program: nothing else in the portal assumes
a program's numbering, and nothing is hard-coded elsewhere.

Pure: no I/O.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import TypeAlias

PayCode: TypeAlias = str
"""A standard PAXml 2.0 code: a tidkod, a lonkod, or both (e.g. ÖT1 is both)."""

Lonart: TypeAlias = str
"""The client's own pay-type number or string in its payroll program, e.g. "310" or "ÖB1"."""

# The enumeration tidkodTYPE of paxml-2.0.xsd, in the schema's order.
_TIDKOD_ORDER: tuple[PayCode, ...] = tuple(
    "SJK SJK_KAR SJK_LÖN SJK_ERS SJK_PEN ASK HAV FPE VAB SMB UTB MIL SVE NÄR TJL SEM SEM_BET "
    "SEM_SPA SEM_OBE SEM_FÖR KOM PEM PER FAC ATK KON PAP ATF FR1 FR2 FR3 FR4 FR5 FR6 FR7 FR8 FR9 "
    "FLX TS1 TS2 TS3 TS4 TS5 TS6 TS7 TS8 TS9 TID ARB MER ÖT1 ÖT2 ÖT3 ÖT4 ÖT5 ÖK1 ÖK2 ÖK3 ÖK4 ÖK5 "
    "OB1 OB2 OB3 OB4 OB5 OS1 OS2 OS3 OS4 OS5 JR1 JR2 JR3 JS1 JS2 JS3 BE1 BE2 BE3 BS1 BS2 BS3 RE1 "
    "RE2 RE3 RE4 HLG SKI LT1 LT2 LT3 LT4 LT5 LT6 LT7 LT8 LT9 NV1 NV2 NV3 NV4 NV5 NV6 NV7 NV8 "
    "NV9".split()
)

# The enumeration lonekodTYPE of paxml-2.0.xsd, in the schema's order.
_LONKOD_ORDER: tuple[PayCode, ...] = tuple(
    "TID ARB MER ÖT1 ÖT2 ÖT3 ÖT4 ÖT5 ÖK1 ÖK2 ÖK3 ÖK4 ÖK5 JR1 JR2 JR3 BE1 BE2 BE3 RE1 RE2 RE3 RE4 "
    "NV1 NV2 NV3 NV4 NV5 NV6 NV7 NV8 NV9 OB1 OB2 OB3 OB4 OB5 HLG SKI LT1 LT2 LT3 LT4 LT5 LT6 LT7 "
    "LT8 LT9 MÅNLÖN TIMLÖN BONUS PROVISION FÖRSKOTT UTLÄGG RESERS INR_FRI INR_RED INR_SKT "
    "INRHEL_FRI INRHEL_RED INRHEL_SKT INRHLV_FRI INRHLV_RED INRHLV_SKT INRDAG_SKT INRNAT_FRI "
    "INRNAT_SKT UTR_FRI UTR_RED UTR_SKT UTRHEL_FRI UTRHEL_RED UTRHEL_SKT UTRHLV_FRI UTRHLV_RED "
    "UTRHLV_SKT UTRDAG_SKT UTRNAT_FRI UTRNAT_SKT MIL_FRI MIL_SKT MILEL_FRI MILPRI_FRI MILPRI_SKT "
    "MILFTG_FRI MILFTG_SKT MILDIS_FRI MILDIS_SKT MATFRM MATFRM_FRU MATFRM_LCH MATFRM_MID UTRFRM "
    "UTRFRM_FRU UTRFRM_LCH UTRFRM_MID MATRED MATRED_FRU MATRED_LCH MATRED_MID UTRRED UTRRED_FRU "
    "UTRRED_LCH UTRRED_MID REPEXT REPEXT_FRI REPEXT_SKT REPINT REPINT_FRI REPINT_SKT".split()
)

TIDKOD: frozenset[PayCode] = frozenset(_TIDKOD_ORDER)
LONKOD: frozenset[PayCode] = frozenset(_LONKOD_ORDER)
STANDARD_CODES: frozenset[PayCode] = TIDKOD | LONKOD

# Every standard code once, time codes in the schema's order first, then the money-only codes:
# the order lists show them in.
CODE_ORDER: tuple[PayCode, ...] = _TIDKOD_ORDER + tuple(
    code for code in _LONKOD_ORDER if code not in TIDKOD
)
_POSITION = {code: index for index, code in enumerate(CODE_ORDER)}

MAX_LONART_LENGTH = 20  # the column's width; payroll programs use short numbers or codes


class PayCodeKind(StrEnum):
    """TIME: a tidkod (hours or days in a `tidtrans`; many may also be a lonkod). MONEY: a lonkod
    only (an amount, or a quantity at a price, in a `lonetrans`)."""

    TIME = "TIME"
    MONEY = "MONEY"


def _numbered(prefix: str, name: str, count: int, extra: str = "") -> dict[PayCode, str]:
    return {f"{prefix}{n}": f"{name} {n}{extra}" for n in range(1, count + 1)}


def _travel(prefix: str, where: str) -> dict[PayCode, str]:
    """The allowance codes (traktamenten) of INR (inrikes) or UTR (utrikes)."""
    names = {
        "_FRI": "traktamente, skattefritt",
        "_RED": "reducerat traktamente, skattefritt",
        "_SKT": "traktamente, skattepliktigt",
        "HEL_FRI": "helt traktamente, skattefritt",
        "HEL_RED": "reducerat helt traktamente, skattefritt",
        "HEL_SKT": "helt traktamente, skattepliktigt",
        "HLV_FRI": "halvt traktamente, skattefritt",
        "HLV_RED": "reducerat halvt traktamente, skattefritt",
        "HLV_SKT": "halvt traktamente, skattepliktigt",
        "DAG_SKT": "endagstraktamente, skattepliktigt",
        "NAT_FRI": "nattraktamente, skattefritt",
        "NAT_SKT": "nattraktamente, skattepliktigt",
    }
    return {f"{prefix}{suffix}": f"{where} {name}" for suffix, name in names.items()}


def _meals(prefix: str, name: str, where: str) -> dict[PayCode, str]:
    """Kostförmån (MATFRM/UTRFRM) and måltidsreduktion (MATRED/UTRRED), with their meals."""
    meals = {"": "", "_FRU": " frukost", "_LCH": " lunch", "_MID": " middag"}
    return {f"{prefix}{suffix}": f"{name}{meal} {where}" for suffix, meal in meals.items()}


# A short Swedish name per code, after the PAXml 2.0 specification's code list.
CODE_NAMES: dict[PayCode, str] = {
    "SJK": "Sjukfrånvaro",
    "SJK_KAR": "Sjukdom, karensdag",
    "SJK_LÖN": "Sjukdom, sjuklön",
    "SJK_ERS": "Sjukdom, sjukersättning",
    "SJK_PEN": "Sjukdom, sjukpenning",
    "ASK": "Arbetsskada",
    "HAV": "Havandeskapspenning",
    "FPE": "Föräldraledighet",
    "VAB": "Vård av barn",
    "SMB": "Smittbärare",
    "UTB": "Utbildning (semestergrundande)",
    "MIL": "Militärtjänst",
    "SVE": "Svenskundervisning för invandrare",
    "NÄR": "Närståendevård",
    "TJL": "Tjänstledighet",
    "SEM": "Semester",
    "SEM_BET": "Semester, betald",
    "SEM_SPA": "Semester, sparad",
    "SEM_OBE": "Semester, obetald",
    "SEM_FÖR": "Semester, förskott",
    "KOM": "Kompledighet",
    "PEM": "Permission",
    "PER": "Permitterad",
    "FAC": "Fackligt arbete",
    "ATK": "Arbetstidskonto",
    "KON": "Kontaktdagar",
    "PAP": "Pappaledighet",
    "ATF": "Arbetstidsförkortning",
    **_numbered("FR", "Frånvaro övrigt", 9),
    "FLX": "Flextid",
    **_numbered("TS", "Tidssaldo", 9),
    "TID": "Arbetstid inom schema",
    "ARB": "Arbetad tid, timlön",
    "MER": "Mertid",
    **_numbered("ÖT", "Övertid", 5),
    "ÖT1": "Övertid 1 (enkel)",
    "ÖT2": "Övertid 2 (kvalificerad)",
    **_numbered("ÖK", "Övertid", 5, " som komptid"),
    **_numbered("OB", "OB-tillägg", 5),
    **_numbered("OS", "Sjuk-OB", 5),
    **_numbered("JR", "Jour", 3),
    **_numbered("JS", "Sjukjour", 3),
    **_numbered("BE", "Beredskap", 3),
    **_numbered("BS", "Sjukberedskap", 3),
    **_numbered("RE", "Restid", 4),
    "HLG": "Helglön",
    "SKI": "Skifttillägg",
    **_numbered("LT", "Lönetillägg övrigt", 9),
    **_numbered("NV", "Närvaro övrigt", 9),
    "MÅNLÖN": "Månadslön",
    "TIMLÖN": "Timlön",
    "BONUS": "Bonus",
    "PROVISION": "Provision",
    "FÖRSKOTT": "Förskott",
    "UTLÄGG": "Utlägg",
    "RESERS": "Reskostnadsersättning",
    **_travel("INR", "Inrikes"),
    **_travel("UTR", "Utrikes"),
    "MIL_FRI": "Milersättning, skattefri",
    "MIL_SKT": "Milersättning, skattepliktig",
    "MILEL_FRI": "Milersättning elbil (förmånsbil), skattefri",
    "MILPRI_FRI": "Milersättning egen bil, skattefri",
    "MILPRI_SKT": "Milersättning egen bil, skattepliktig",
    "MILFTG_FRI": "Milersättning förmånsbil, skattefri",
    "MILFTG_SKT": "Milersättning förmånsbil, skattepliktig",
    "MILDIS_FRI": "Milersättning förmånsbil diesel, skattefri",
    "MILDIS_SKT": "Milersättning förmånsbil diesel, skattepliktig",
    **_meals("MATFRM", "Kostförmån", "inrikes"),
    **_meals("UTRFRM", "Kostförmån", "utrikes"),
    **_meals("MATRED", "Måltidsreduktion", "inrikes"),
    **_meals("UTRRED", "Måltidsreduktion", "utrikes"),
    "REPEXT": "Extern representation",
    "REPEXT_FRI": "Extern representation, avdragsgill",
    "REPEXT_SKT": "Extern representation, ej avdragsgill",
    "REPINT": "Intern representation",
    "REPINT_FRI": "Intern representation, avdragsgill",
    "REPINT_SKT": "Intern representation, ej avdragsgill",
}

# The codes the portal itself writes into a payroll basis: a new company's pay-type list shows
# these (with the codes its time codes map to) even before anything is mapped.
DEFAULT_CODES: frozenset[PayCode] = frozenset(
    {"ARB", "TIMLÖN", "MÅNLÖN", "MER", "JR1", "BE1"}
    | {f"ÖT{n}" for n in range(1, 6)}
    | {f"OB{n}" for n in range(1, 6)}
    | {"SJK", "SEM", "VAB", "FPE", "TJL", "PER", "UTB", "KOM"}
    | {"UTLÄGG", "MILPRI_FRI", "MILPRI_SKT", "MILFTG_FRI", "MILFTG_SKT", "MILEL_FRI", "MIL_SKT"}
)


def pay_code(text: str) -> PayCode | None:
    """`text` as a standard code (trimmed, upper case: "öt1" is ÖT1), or None when it is none."""
    code = text.strip().upper()
    return code if code in STANDARD_CODES else None


def is_time_code(code: str) -> bool:
    return code in TIDKOD


def is_money_code(code: str) -> bool:
    return code in LONKOD


def code_kind(code: PayCode) -> PayCodeKind:
    return PayCodeKind.TIME if code in TIDKOD else PayCodeKind.MONEY


def code_name(code: PayCode) -> str:
    return CODE_NAMES[code]


def in_code_order(codes: Iterable[PayCode]) -> list[PayCode]:
    """The standard codes among `codes`, once each, in `CODE_ORDER`."""
    return sorted({code for code in codes if code in _POSITION}, key=_POSITION.__getitem__)


def lonart_for(code: PayCode, table: Mapping[PayCode, Lonart]) -> Lonart | None:
    """The client's pay type for `code` in its pay-type table, or None (no row, or empty)."""
    return table.get(code) or None


# --- presets per payroll program -----------------------------------------------------------


@dataclass(frozen=True)
class PayrollProgram:
    """A preset: a starting pay-type table for clients on one payroll program."""

    key: str
    name: str
    description: str
    table: Mapping[PayCode, Lonart]


PAYROLL_PROGRAMS: tuple[PayrollProgram, ...] = (
    PayrollProgram(
        "PAXML_ONLY",
        "Endast standardkoder (PAXml)",
        "No pay types: every line carries only its standard code, which the payroll program "
        "maps to its own pay types on import (programs that read the PAXml 2.0 codes "
        "themselves, e.g. Crona Lön, Kontek Lön, Fortnox Lön for everything but paid overtime).",
        {},
    ),
    PayrollProgram(
        "FORTNOX_LON",
        "Fortnox Lön",
        "Fortnox Lön's registration codes follow the PAXml standard codes, except paid "
        "overtime, which it registers as ÖB1-ÖB5 (Fortnox's notes for PAXml suppliers): "
        "ÖT1-ÖT5 carry those as their pay type. Check the client's register (Lönearter och "
        "koder) and adjust.",
        {f"ÖT{n}": f"ÖB{n}" for n in range(1, 6)},
    ),
    PayrollProgram(
        "PORTAL_PREVIOUS",
        "Portalens tidigare lönearter",
        "The pay-type numbers the portal's files carried before they had standard codes (the "
        "default time codes' 100, 120, 310, ...; 810 utlägg, 820 milersättning): for a payroll "
        "program already set up against those files.",
        {
            "ARB": "100",
            "MER": "120",
            "ÖT1": "310",
            "ÖT2": "320",
            "SJK": "410",
            "VAB": "420",
            "FPE": "430",
            "TJL": "440",
            "SEM": "510",
            "UTLÄGG": "810",
            "MILPRI_FRI": "820",
        },
    ),
)

PAYROLL_PROGRAMS_BY_KEY: dict[str, PayrollProgram] = {
    program.key: program for program in PAYROLL_PROGRAMS
}

# program -> code -> lonart (the shared name the export and the basis read presets by).
PAYROLL_PROGRAM_PRESETS: dict[str, dict[PayCode, Lonart]] = {
    program.key: dict(program.table) for program in PAYROLL_PROGRAMS
}


# --- the PAXml file's encoding ---------------------------------------------------------------


class PaxmlEncoding(StrEnum):
    """How the company's PAXml files are encoded: UTF-8, or ISO-8859-1 for programs that need it."""

    UTF_8 = "UTF-8"
    ISO_8859_1 = "ISO-8859-1"


DEFAULT_PAXML_ENCODING = PaxmlEncoding.UTF_8
