"""Receipts in other currencies than SEK: which codes, and how an amount becomes SEK.

An expense in another currency keeps the receipt's gross amount in its currency (the original
amount), the exchange rate (SEK per one unit) and the SEK amount paid out. The employee gives
the rate, or the SEK amount as the card or bank statement shows it; the other is derived:

- SEK amount = original × rate, rounded half up to the öre;
- rate = SEK amount / original, rounded half up to six decimals (RATE_PLACES).

Both given, they must agree to the öre (`agrees`). Decimal only, never floating point.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

SEK = "SEK"

# ISO 4217 List One, "Current currency & funds code list", as published by the maintenance
# agency (SIX) on 2026-01-01: every active alphabetic code, funds and special codes included.
# (ANG was withdrawn in favour of XCG, the Caribbean guilder; ZWL gave way to ZWG.)
ACTIVE_CODES: frozenset[str] = frozenset(
    """
    AED AFN ALL AMD AOA ARS AUD AWG AZN BAM BBD BDT BHD BIF BMD BND BOB BOV BRL BSD BTN BWP
    BYN BZD CAD CDF CHE CHF CHW CLF CLP CNY COP COU CRC CUP CVE CZK DJF DKK DOP DZD EGP ERN
    ETB EUR FJD FKP GBP GEL GHS GIP GMD GNF GTQ GYD HKD HNL HTG HUF IDR ILS INR IQD IRR ISK
    JMD JOD JPY KES KGS KHR KMF KPW KRW KWD KYD KZT LAK LBP LKR LRD LSL LYD MAD MDL MGA MKD
    MMK MNT MOP MRU MUR MVR MWK MXN MXV MYR MZN NAD NGN NIO NOK NPR NZD OMR PAB PEN PGK PHP
    PKR PLN PYG QAR RON RSD RUB RWF SAR SBD SCR SDG SEK SGD SHP SLE SOS SRD SSP STN SVC SYP
    SZL THB TJS TMT TND TOP TRY TTD TWD TZS UAH UGX USD USN UYI UYU UYW UZS VED VES VND VUV
    WST XAD XAF XAG XAU XBA XBB XBC XBD XCD XCG XDR XOF XPD XPT XPF XSU XTS XUA XXX YER ZAR
    ZMW ZWG
    """.split()
)

# Active codes that no receipt is paid in: funds codes (BOV, CHE, CHW, CLF, COU, MXV, USN,
# UYI, UYW), precious metals (XAG, XAU, XPD, XPT), units of account and bond-market units
# (XAD, XBA-XBD, XDR, XSU, XUA), and the testing and "no currency" codes (XTS, XXX).
NOT_PAID_IN: frozenset[str] = frozenset(
    """
    BOV CHE CHW CLF COU MXV USN UYI UYW XAG XAU XPD XPT XAD XBA XBB XBC XBD XDR XSU XUA XTS
    XXX
    """.split()
)

# The currencies without a minor unit (ISO 4217 "CcyMnrUnts" 0): their amounts are whole.
# Amounts are kept with at most two decimals, so a receipt in one of the seven currencies of
# three decimals (BHD, IQD, JOD, KWD, LYD, OMR, TND) is entered to two.
NO_DECIMALS: frozenset[str] = frozenset(
    "BIF CLP DJF GNF ISK JPY KMF KRW PYG RWF UGX VND VUV XAF XOF XPF".split()
)

UNKNOWN_CURRENCY = "UNKNOWN_CURRENCY"  # not an active ISO 4217 code
UNSUPPORTED_CURRENCY = "UNSUPPORTED_CURRENCY"  # active, but not money one pays with

ORE = Decimal("0.01")
RATE_PLACES = 6
RATE_QUANTUM = Decimal(1).scaleb(-RATE_PLACES)  # 0.000001
MAX_EXCHANGE_RATE = Decimal("1000")  # SEK per unit; the dearest currencies are worth ~35 SEK
MAX_ORIGINAL_AMOUNT = Decimal("1000000000000.00")  # room for the smallest units (VND, IRR)


def normalized_code(text: str) -> str:
    """A currency code as typed (" eur ") in the form it is stored ("EUR")."""
    return text.strip().upper()


def currency_problem(code: str) -> str | None:
    """Why `code` (normalized) cannot be an expense's currency, as an error code; None if it can."""
    if code not in ACTIVE_CODES:
        return UNKNOWN_CURRENCY
    if code in NOT_PAID_IN:
        return UNSUPPORTED_CURRENCY
    return None


def decimals_of(code: str) -> int:
    """The decimals an amount in `code` may have here: 0 for yen and the like, else 2."""
    return 0 if code in NO_DECIMALS else 2


def sek_amount(original: Decimal, rate: Decimal) -> Decimal:
    """The SEK amount of `original` at `rate` SEK per unit, rounded half up to the öre."""
    return (original * rate).quantize(ORE, ROUND_HALF_UP)


def rate_of(original: Decimal, sek: Decimal) -> Decimal:
    """The rate (SEK per unit) that turns `original` into `sek`, rounded half up to six
    decimals. 0.000000 when the rate is below half a millionth (no rate to keep)."""
    return (sek / original).quantize(RATE_QUANTUM, ROUND_HALF_UP)


def tolerance(original: Decimal) -> Decimal:
    """How far original × rate may be from the SEK amount: one öre, or for very large original
    amounts (above 20,000 units) what half a millionth of the rate makes, since a rate is kept
    to six decimals and a derived one must agree with the amount it came from."""
    return max(ORE, original * RATE_QUANTUM / 2)


def agrees(original: Decimal, rate: Decimal, sek: Decimal) -> bool:
    """Whether a rate and a SEK amount given together describe the same conversion: the exact
    product original × rate is within `tolerance(original)` (one öre) of the SEK amount."""
    return abs(original * rate - sek) <= tolerance(original)
