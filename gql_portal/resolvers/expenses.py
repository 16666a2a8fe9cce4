"""Expenses, mileage and receipt files: submit, change, approve or reject, attach receipts.

Employees submit and change their own while SUBMITTED; admins do so for anyone and decide
(approve/reject, Op.MANAGE); LIMITED partners only read (their schema has none of these
mutations). Receipt files go to the storage backend, checked by their content, never by name.

Approval gives the expense the next number of its company's voucher series in the approving
transaction (`take_voucher_number`): a rolled-back approval takes none, so the series has no
gaps. An approved expense is final: nothing changes, rejects or deletes it (every mutation but
approval wants a SUBMITTED expense), so its number is never reused and never vanishes; a
correction is a new voucher in the books (Bokföringslagen).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated, Any, NamedTuple

import strawberry
from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.datastructures import UploadFile
from strawberry import relay
from strawberry.file_uploads import Upload

from gql_portal.auth import own_employee
from gql_portal.context import RequestContext
from gql_portal.db.employees import Employee
from gql_portal.db.expenses import Expense, ExpenseVatLine, ExpenseVoucherSeries, Receipt
from gql_portal.db.functions import in_byte_order
from gql_portal.db.projects import Project
from gql_portal.domain.audit import AuditAction
from gql_portal.domain.currencies import (
    MAX_EXCHANGE_RATE,
    MAX_ORIGINAL_AMOUNT,
    RATE_QUANTUM,
    SEK,
    UNKNOWN_CURRENCY,
    agrees,
    currency_problem,
    decimals_of,
    normalized_code,
    rate_of,
    sek_amount,
)
from gql_portal.domain.expenses import (
    MAX_EXPENSE_AMOUNT,
    MAX_MILEAGE_KM,
    MAX_PARTICIPANTS,
    MAX_RECEIPT_BYTES,
    MILEAGE_RATE_UNKNOWN,
    MILEAGE_RATES_KNOWN_FROM,
    SNIFF_BYTES,
    ZERO,
    ExpenseCategory,
    ExpenseKind,
    ExpenseStatus,
    VatLine,
    VehicleKind,
    clean_file_name,
    deductible_vat,
    mileage_amount,
    mileage_rate,
    single_line,
    sniff_receipt_type,
    summary_rate,
    vat_included,
    vat_on_net,
    vat_rates_on,
)
from gql_portal.domain.heic import sniff_heif
from gql_portal.domain.identity import InvalidNumber
from gql_portal.domain.validation import clean_text
from gql_portal.domain.vouchers import (
    MAX_SUPPLIER_NAME_LENGTH,
    cost_centre_problem,
    normalize_supplier_number,
)
from gql_portal.errors import Problems, bad_input
from gql_portal.live import Topic, payroll_sources_changed, publish_change
from gql_portal.permissions.matrix import Area, Op
from gql_portal.permissions.rules import AreaRule
from gql_portal.resolvers.audit import audit
from gql_portal.resolvers.common import Ctx, node_id, not_found
from gql_portal.resolvers.loading import by_id, children, company_filter, employee_filter, paginate
from gql_portal.resolvers.ordering import OrderChoice, SortKey, chosen_order, default_order
from gql_portal.schema import expenses as gql
from gql_portal.schema.employees import EMPLOYEE_EXPENSES_BOUND
from gql_portal.schema.fields import field, mutation
from gql_portal.schema.id_filters import CompanyIdFilter, EmployeeIdFilter
from gql_portal.schema.relay import After, Before, Connection, First, Last
from gql_portal.storage import StoredFile

CENT = Decimal("0.01")
VAT_TOLERANCE = Decimal("0.01")  # one öre: receipts round VAT their own way
READ_CHUNK = 64 * 1024
MILEAGE_CATEGORY = ExpenseCategory.TRAVEL

From = Annotated[date | None, strawberry.argument(name="from", description="On or after.")]
To = Annotated[date | None, strawberry.argument(description="On or before.")]


# --- reading ------------------------------------------------------------------------------


EXPENSES_NEWEST = default_order([Expense.date, Expense.id], descending=True)
EXPENSE_ORDERS = {
    gql.ExpenseOrderField.DATE: OrderChoice([SortKey(Expense.date)]),
    gql.ExpenseOrderField.AMOUNT: OrderChoice([SortKey(Expense.amount)]),
    gql.ExpenseOrderField.STATUS: OrderChoice([SortKey(Expense.status, in_byte_order)]),
    gql.ExpenseOrderField.CREATED: OrderChoice([SortKey(Expense.created_at)]),
}
AREA = Area.EXPENSES_RECEIPTS


def check_period(from_: date | None, to: date | None) -> None:
    if from_ is not None and to is not None and to < from_:
        raise bad_input("to", "BEFORE_FROM", "must not be before `from`")


async def expenses(
    info: Ctx,
    first: First = None,
    after: After = None,
    last: Last = None,
    before: Before = None,
    employee_id: EmployeeIdFilter = None,
    status: Annotated[
        ExpenseStatus | None,
        strawberry.argument(description="Only expenses in this state (default: all)."),
    ] = None,
    from_: From = None,
    to: To = None,
    company_id: CompanyIdFilter = None,
    order_by: Annotated[
        gql.ExpenseOrder | None,
        strawberry.argument(description="The order (default: newest first, by date then id)."),
    ] = None,
) -> Connection[gql.Expense]:
    """The expenses the viewer reaches, newest first; `companyId` picks one client's."""
    check_period(from_, to)
    ctx = info.context
    statement = select(Expense).where(
        *company_filter(ctx, Expense.company_id, company_id),
        *await employee_filter(ctx, Expense.employee_id, employee_id),
    )
    if status is not None:
        statement = statement.where(Expense.status == status)
    if from_ is not None:
        statement = statement.where(Expense.date >= from_)
    if to is not None:
        statement = statement.where(Expense.date <= to)
    order = chosen_order(ctx, order_by, EXPENSE_ORDERS, Expense.id, EXPENSES_NEWEST, listed=AREA)
    return await paginate(
        ctx,
        statement,
        order,
        gql.Expense.from_row,
        first=first,
        after=after,
        last=last,
        before=before,
    )


async def employee_expenses(
    info: Ctx,
    employee_id: int,
    from_: date | None,
    to: date | None,
    status: ExpenseStatus | None,
) -> list[gql.Expense]:
    """`Employee.expenses`, newest first: one statement for every employee of a request."""
    check_period(from_, to)
    where = []
    if from_ is not None:
        where.append(Expense.date >= from_)
    if to is not None:
        where.append(Expense.date <= to)
    if status is not None:
        where.append(Expense.status == status)
    loader = children(
        info.context,
        Expense,
        Expense.employee_id,
        order_by=[Expense.date.desc(), Expense.id.desc()],
        where=where,
        variant=("by employee", from_, to, status),
        limit=EMPLOYEE_EXPENSES_BOUND,
    )
    return [gql.Expense.from_row(row) for row in await loader.load(employee_id)]


async def expense_by_id(ctx: RequestContext, expense_id: int) -> gql.Expense | None:
    row = await by_id(ctx, Expense).load(expense_id)
    return gql.Expense.from_row(row) if row else None


async def receipt_by_id(ctx: RequestContext, receipt_id: int) -> gql.Receipt | None:
    row = await by_id(ctx, Receipt).load(receipt_id)
    return gql.Receipt.from_row(row) if row else None


# --- validation ---------------------------------------------------------------------------


def _check_positive(problems: Problems, name: str, value: Decimal, maximum: Decimal) -> bool:
    if not value.is_finite():
        problems.add(name, "INVALID_NUMBER", "must be a number")
    elif value < 0:
        problems.add(name, "NEGATIVE", "must be above zero")
    elif value == 0:
        problems.add(name, "ZERO", "must be above zero")
    elif value != value.quantize(CENT):
        problems.add(name, "TOO_MANY_DECIMALS", "has at most two decimals")
    elif value > maximum:
        problems.add(name, "OUT_OF_RANGE", f"must be at most {maximum}")
    else:
        return True
    return False


def _check_date(problems: Problems, day: date, today: date) -> None:
    if day > today:
        problems.add("date", "IN_FUTURE", "must not be in the future")


def _valid_rate(
    problems: Problems, name: str, given: Decimal, day: date, category: ExpenseCategory
) -> Decimal | None:
    """`given` as one of the category's rates on the day (two places, as the column reads
    back), or None with a problem naming the field."""
    valid_rates = vat_rates_on(day, category)
    rate = next((valid for valid in valid_rates if given.is_finite() and given == valid), None)
    if rate is None:
        listed = ", ".join(f"{valid} %" for valid in valid_rates)
        problems.add(
            name,
            "VAT_RATE_NOT_VALID_ON_DATE",
            f"{category.value} on {day.isoformat()} takes one of {listed}",
        )
        return None
    return rate.quantize(CENT)


def _one_rate(
    problems: Problems, amount: Decimal, rate: Decimal | None, vat_amount: Decimal | None
) -> list[VatLine] | None:
    """The single VAT line of a gross amount at one rate: VAT as given (within one öre of the
    rate's) or computed."""
    if rate is None:
        return None
    expected = vat_included(amount, rate)
    if vat_amount is None:
        return [single_line(amount, rate, expected)]
    if not vat_amount.is_finite() or abs(vat_amount - expected) > VAT_TOLERANCE:
        problems.add(
            "vatAmount",
            "VAT_MISMATCH",
            f"{rate} % VAT included in {amount} is {expected}, not {vat_amount}",
        )
        return None
    return [single_line(amount, rate, vat_amount)]


def _line_vat(
    problems: Problems, name: str, rate: Decimal, base: Decimal, given: Decimal | None, net: bool
) -> Decimal | None:
    """A line's VAT: as given (within one öre of the rate's on `base`, a net amount or, for the
    rest line, a gross one) or computed."""
    expected = vat_on_net(base, rate) if net else vat_included(base, rate)
    if given is None:
        return expected
    if not given.is_finite() or abs(given - expected) > VAT_TOLERANCE:
        problems.add(name, "VAT_MISMATCH", f"{rate} % VAT on {base} is {expected}, not {given}")
        return None
    return given


def _given_lines(
    problems: Problems,
    amount: Decimal,
    day: date,
    category: ExpenseCategory,
    inputs: list[gql.VatLineInput],
) -> list[VatLine] | None:
    """The VAT lines as entered, reconciled with the gross amount to the öre: lines with a net
    amount first, then the one without (if any) takes the rest of the amount."""
    if not inputs or len(inputs) > gql.VAT_LINES_BOUND:
        problems.add("input.vatLines", "OUT_OF_RANGE", f"give 1 to {gql.VAT_LINES_BOUND} VAT lines")
        return None
    rest = [index for index, line in enumerate(inputs) if line.net is None]
    if len(rest) > 1:
        problems.add(f"input.vatLines[{rest[1]}].net", "REQUIRED", "only one line may leave it out")
        return None
    lines: dict[int, VatLine] = {}
    for index, given in enumerate(inputs):
        name = f"input.vatLines[{index}]"
        rate = _valid_rate(problems, f"{name}.rate", given.rate, day, category)
        if given.net is None or rate is None:
            continue
        if _check_amount(problems, f"{name}.net", given.net, MAX_EXPENSE_AMOUNT, zero_ok=True):
            vat = _line_vat(problems, f"{name}.vat", rate, given.net, given.vat, net=True)
            if vat is not None:
                lines[index] = VatLine(rate=rate, net=given.net, vat=vat)
    if problems:
        return None
    if rest:
        index, given = rest[0], inputs[rest[0]]
        gross = amount - sum((line.gross for line in lines.values()), ZERO)
        rate = _valid_rate(problems, f"input.vatLines[{index}].rate", given.rate, day, category)
        assert rate is not None  # checked above
        vat = _line_vat(problems, f"input.vatLines[{index}].vat", rate, gross, given.vat, net=False)
        if vat is None:
            return None
        lines[index] = VatLine(rate=rate, net=gross - vat, vat=vat)
    ordered = [lines[index] for index in range(len(inputs))]
    return _reconciled(problems, ordered, amount)


def _reconciled(problems: Problems, lines: list[VatLine], amount: Decimal) -> list[VatLine] | None:
    """The lines if they add up to the amount, every net at least zero."""
    for index, line in enumerate(lines):
        if line.net < 0:
            problems.add(f"input.vatLines[{index}].net", "NEGATIVE", "the lines exceed the amount")
            return None
    total = sum((line.gross for line in lines), ZERO)
    if total != amount:
        last = len(lines) - 1
        problems.add(
            f"input.vatLines[{last}].vat" if last else "input.vatLines[0].net",
            "VAT_MISMATCH",
            f"the VAT lines add up to {total} (net + VAT), not the amount {amount}",
        )
        return None
    return lines


def _check_representation(
    problems: Problems,
    category: ExpenseCategory,
    given: gql.RepresentationInput | None,
    stored: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The representation columns: required with category REPRESENTATION (given, or as
    stored), refused with any other (and cleared)."""
    empty: dict[str, Any] = {"representation_kind": None, "participants": None, "purpose": None}
    if category is not ExpenseCategory.REPRESENTATION:
        if given is not None:
            problems.add(
                "input.representation", "NOT_APPLICABLE", "applies to category REPRESENTATION"
            )
        return empty
    if given is None:
        if stored is not None and stored["participants"]:
            return stored
        problems.add(
            "input.representation",
            "REQUIRED",
            "representation needs its kind, participants and purpose",
        )
        return empty
    if not 1 <= len(given.participants) <= MAX_PARTICIPANTS:
        problems.add(
            "input.representation.participants",
            "OUT_OF_RANGE",
            f"name 1 to {MAX_PARTICIPANTS} participants, the employee included",
        )
    participants = []
    for index, person in enumerate(given.participants[:MAX_PARTICIPANTS]):
        name = f"input.representation.participants[{index}]"
        company = clean_text(
            problems, f"{name}.company", person.company or "", max_length=200, required=False
        )
        participants.append(
            {
                "name": clean_text(problems, f"{name}.name", person.name, max_length=200),
                "company": company or None,
            }
        )
    purpose = clean_text(problems, "input.representation.purpose", given.purpose, max_length=500)
    return {"representation_kind": given.kind, "participants": participants, "purpose": purpose}


def _check_expense(
    problems: Problems,
    today: date,
    *,
    day: date,
    conversion: Conversion,
    vat_rate: Decimal | None,
    vat_amount: Decimal | None,
    vat_lines: list[gql.VatLineInput] | None,
    category: ExpenseCategory,
    description: str,
    representation: dict[str, Any],
) -> tuple[dict[str, Any], list[VatLine]]:
    """The columns of an expense (utlägg) and its VAT lines, or problems naming the input
    fields. One rate (vatRate, vatAmount) or VAT lines, never both; in another currency than
    SEK one 0 % line unless 0 % lines are given (_refuse_foreign_vat)."""
    _check_date(problems, day, today)
    amount = conversion.amount
    amount_ok = amount is not None and _check_positive(
        problems, "amount", amount, MAX_EXPENSE_AMOUNT
    )
    if conversion.foreign:
        _refuse_foreign_vat(
            problems, conversion.values["currency"], vat_rate, vat_amount, vat_lines
        )
        if vat_rate is None and vat_amount is None and vat_lines is None:
            vat_rate = ZERO
    lines: list[VatLine] | None = None
    if vat_lines is not None and (vat_rate is not None or vat_amount is not None):
        problems.add("input.vatLines", "NOT_BOTH", "give vatLines or vatRate/vatAmount, not both")
    elif vat_lines is not None:
        if amount_ok and amount is not None:
            lines = _given_lines(problems, amount, day, category, vat_lines)
    elif vat_rate is None:
        problems.add("vatRate", "REQUIRED", "give the VAT rate, or vatLines")
    else:
        rate = _valid_rate(problems, "vatRate", vat_rate, day, category)
        if amount_ok and amount is not None:
            lines = _one_rate(problems, amount, rate, vat_amount)
    lines = lines or []
    vat = sum((line.vat for line in lines), ZERO)
    persons = len(representation["participants"] or ())
    values = {
        "date": day,
        "amount": amount,
        "vat_rate": summary_rate(lines),
        "vat_amount": vat,
        "deductible_vat": deductible_vat(lines, persons)
        if category is ExpenseCategory.REPRESENTATION
        else vat,
        "category": category,
        "description": clean_text(problems, "description", description, max_length=500),
        **conversion.values,
        **representation,
    }
    return values, lines


# --- other currencies than SEK (domain/currencies.py) ---------------------------------------

FOREIGN_VAT_NOT_DEDUCTIBLE = "FOREIGN_VAT_NOT_DEDUCTIBLE"


class Conversion(NamedTuple):
    """An expense's currency columns (currency, original_amount, exchange_rate) and its SEK
    amount: given, or derived from the original amount and the rate; None where it cannot be
    told (a problem says why). `foreign`: a valid currency other than SEK."""

    values: dict[str, Any]
    amount: Decimal | None
    foreign: bool


def _check_original_amount(problems: Problems, code: str, original: Decimal) -> bool:
    name = "input.originalAmount"
    if not _check_positive(problems, name, original, MAX_ORIGINAL_AMOUNT):
        return False
    if decimals_of(code) == 0 and original != original.to_integral_value():
        problems.add(name, "TOO_MANY_DECIMALS", f"{code} has no decimals")
        return False
    return True


def _check_exchange_rate(problems: Problems, rate: Decimal) -> bool:
    name = "input.exchangeRate"
    if not rate.is_finite():
        problems.add(name, "INVALID_NUMBER", "must be a number")
    elif rate <= 0:
        problems.add(name, "ZERO" if rate == 0 else "NEGATIVE", "must be above zero")
    elif rate > MAX_EXCHANGE_RATE:
        problems.add(name, "OUT_OF_RANGE", f"SEK per unit, at most {MAX_EXCHANGE_RATE}")
    elif rate != rate.quantize(RATE_QUANTUM):
        problems.add(name, "TOO_MANY_DECIMALS", "has at most six decimals")
    else:
        return True
    return False


def _check_currency(
    problems: Problems,
    currency: str | None,
    *,
    amount: Decimal | None,
    original: Decimal | None,
    rate: Decimal | None,
) -> Conversion:
    """The currency columns and the SEK amount of an expense. SEK (the default): the amount is
    required, and an original amount or rate only as the identity (equal to it, 1). Another
    currency: its original amount, and the rate or the SEK amount (the other derived) or both
    agreeing to the öre."""
    code = SEK if currency is None else normalized_code(currency)
    in_sek: dict[str, Any] = {"currency": SEK, "original_amount": None, "exchange_rate": None}
    if code == SEK:
        if original is not None and original != amount:
            problems.add(
                "input.originalAmount", "NOT_APPLICABLE", "a SEK expense has only its amount"
            )
        if rate is not None and rate != 1:
            problems.add("input.exchangeRate", "NOT_APPLICABLE", "a SEK expense has no rate")
        if amount is None:
            problems.add("amount", "REQUIRED", "give the gross amount in SEK")
        return Conversion(in_sek, amount, foreign=False)
    reason = currency_problem(code)
    if reason is not None:
        problems.add(
            "currency",
            reason,
            "not an active ISO 4217 currency code (such as EUR or USD)"
            if reason == UNKNOWN_CURRENCY
            else f"{code} is a fund, metal or unit of account, not money a receipt is paid in",
        )
        return Conversion(in_sek, amount, foreign=False)
    values: dict[str, Any] = {"currency": code, "original_amount": original, "exchange_rate": None}
    if original is None:
        problems.add(
            "input.originalAmount", "REQUIRED", f"give the receipt's gross amount in {code}"
        )
    if rate is None and amount is None:
        problems.add(
            "input.exchangeRate",
            "REQUIRED",
            "give the exchange rate, or the SEK amount (amount) from the receipt or card statement",
        )
        return Conversion(values, None, foreign=True)
    usable = original is not None and _check_original_amount(problems, code, original)
    usable = (rate is None or _check_exchange_rate(problems, rate)) and usable
    if not usable or (
        amount is not None and not (amount.is_finite() and 0 < amount <= MAX_EXPENSE_AMOUNT)
    ):
        return Conversion(values, amount, foreign=True)  # the amount's problem: _check_expense
    assert original is not None
    if rate is None:
        assert amount is not None
        derived = rate_of(original, amount)
        if not 0 < derived <= MAX_EXCHANGE_RATE:
            problems.add(
                "amount",
                "EXCHANGE_RATE_OUT_OF_RANGE",
                f"{amount} SEK for {original} {code} is no rate between 0.000001 and "
                f"{MAX_EXCHANGE_RATE}: check both amounts",
            )
            return Conversion(values, None, foreign=True)
        return Conversion({**values, "exchange_rate": derived}, amount, foreign=True)
    expected = sek_amount(original, rate)
    values["exchange_rate"] = rate.quantize(RATE_QUANTUM)
    if amount is None:
        if expected == 0:
            problems.add("input.exchangeRate", "ZERO", f"{original} {code} at {rate} is 0.00 SEK")
            return Conversion(values, None, foreign=True)
        return Conversion(values, expected, foreign=True)
    if not agrees(original, rate, amount):
        problems.add(
            "input.exchangeRate",
            "EXCHANGE_RATE_MISMATCH",
            f"{original} {code} at {rate} is {expected} SEK, not {amount}: give the rate or the "
            "SEK amount (the other is derived), or both as on the statement",
        )
    return Conversion(values, amount, foreign=True)


def _refuse_foreign_vat(
    problems: Problems,
    currency: str,
    vat_rate: Decimal | None,
    vat_amount: Decimal | None,
    vat_lines: list[gql.VatLineInput] | None,
) -> None:
    """VAT on a receipt in another currency is another country's VAT: not deductible in the
    Swedish VAT return (it is reclaimed through that country's refund procedure, outside the
    books of the expense), so the whole SEK amount is a cost at 0 %."""
    message = (
        f"VAT on a receipt in {currency} is foreign VAT, not deductible in Sweden: leave the "
        "VAT out (the whole amount is booked at 0 %)"
    )
    if vat_rate is not None and vat_rate != 0:
        problems.add("vatRate", FOREIGN_VAT_NOT_DEDUCTIBLE, message)
    if vat_amount is not None and vat_amount != 0:
        problems.add("vatAmount", FOREIGN_VAT_NOT_DEDUCTIBLE, message)
    for index, line in enumerate(vat_lines or ()):
        if line.rate != 0:
            problems.add(f"input.vatLines[{index}].rate", FOREIGN_VAT_NOT_DEDUCTIBLE, message)


def _check_amount(
    problems: Problems, name: str, value: Decimal, maximum: Decimal, *, zero_ok: bool
) -> bool:
    if zero_ok and value == 0:
        return True
    return _check_positive(problems, name, value, maximum)


def _check_mileage(
    problems: Problems,
    today: date,
    *,
    day: date,
    distance_km: Decimal,
    vehicle: VehicleKind,
    description: str,
) -> dict[str, Any]:
    """The columns of a mileage claim: amount = distance in mil × the year's rate, no VAT."""
    _check_date(problems, day, today)
    values: dict[str, Any] = {
        "date": day,
        "distance_km": distance_km,
        "vehicle": vehicle,
        "description": clean_text(problems, "description", description, max_length=500),
        "category": MILEAGE_CATEGORY,
        "currency": SEK,  # mileage is paid in SEK only
        "vat_rate": ZERO,
        "vat_amount": ZERO,
        "deductible_vat": ZERO,
    }
    if day < MILEAGE_RATES_KNOWN_FROM:
        problems.add(
            "date",
            MILEAGE_RATE_UNKNOWN,
            f"no tax-free mileage rate is known before {MILEAGE_RATES_KNOWN_FROM.isoformat()}",
        )
    elif _check_positive(problems, "distanceKm", distance_km, MAX_MILEAGE_KM):
        rate = mileage_rate(day, vehicle)
        amount = mileage_amount(distance_km, rate)
        if amount <= 0:
            problems.add("distanceKm", "ZERO", "is too short to pay anything")
        values.update(distance_km=distance_km.quantize(CENT), rate_per_mil=rate, amount=amount)
    return values


# --- voucher data: supplier, cost centre, project -------------------------------------------

NO_SUPPLIER: dict[str, Any] = {"supplier_name": None, "supplier_org_number": None}


def _check_supplier(
    problems: Problems, given: gql.SupplierInput | None, today: date
) -> dict[str, Any]:
    """The supplier's columns: its name, and its number as domain.vouchers keeps it."""
    if given is None:
        return NO_SUPPLIER
    name = clean_text(
        problems, "input.supplier.name", given.name, max_length=MAX_SUPPLIER_NAME_LENGTH
    )
    number = None
    if given.organisation_number and given.organisation_number.strip():
        try:
            number = normalize_supplier_number(given.organisation_number, today)
        except InvalidNumber as error:
            problems.add("input.supplier.organisationNumber", error.reason, str(error))
    return {"supplier_name": name, "supplier_org_number": number}


def _check_cost_centre(problems: Problems, given: str | None) -> str | None:
    """The cost centre, trimmed; None for none (an empty text too)."""
    text = " ".join((given or "").split())
    if not text:
        return None
    problem = cost_centre_problem(text)
    if problem is not None:
        problems.add("input.costCentre", *problem)
    return text


async def _check_project(
    ctx: RequestContext, problems: Problems, given: relay.GlobalID | None
) -> Project | None:
    """A project the viewer reaches (an employee: one they are assigned to), still active; its
    company is compared with the expense's in the writing transaction (`_same_company`)."""
    if given is None:
        return None
    row = await by_id(ctx, Project).load(node_id(given, "Project", "input.projectId"))
    if row is None:
        problems.add("input.projectId", "NOT_FOUND", "no such project")
    elif not row.active:
        problems.add("input.projectId", "INACTIVE", "the project is closed")
    return row


def _same_company(project: Project | None, company_id: int) -> None:
    if project is not None and project.company_id != company_id:
        raise bad_input(
            "input.projectId", "OTHER_COMPANY", "must be a project of the expense's company"
        )


async def take_voucher_number(session: AsyncSession, company_id: int) -> int:
    """The next number of the company's expense voucher series, in the caller's transaction.

    One statement, which SQLite and PostgreSQL both serialise per company: the series' row is
    created at 1 or raised by one (ON CONFLICT ... DO UPDATE waits for a concurrent approval's
    row lock, then raises what it committed). The number is the transaction's until it commits:
    a rolled-back approval gives it back, so the series has no gaps."""
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    upsert = dialect.insert(ExpenseVoucherSeries).values(company_id=company_id, last_number=1)
    raised = upsert.on_conflict_do_update(
        index_elements=[ExpenseVoucherSeries.company_id],
        set_={"last_number": ExpenseVoucherSeries.last_number + 1},
    ).returning(ExpenseVoucherSeries.last_number)
    number = await session.scalar(raised)
    assert number is not None  # an upsert with RETURNING returns its row
    return number


# --- loading for writes -------------------------------------------------------------------


async def _employee_for(
    session: AsyncSession, ctx: RequestContext, employee_id: relay.GlobalID | None
) -> Employee:
    """Whose expense: the viewer's own by default; anyone the viewer may write for otherwise."""
    access = ctx.access
    if employee_id is None:
        if access.employee_id is None:
            raise bad_input(
                "employeeId", "REQUIRED", "you have no employee record here: name the employee"
            )
        key = access.employee_id
    else:
        key = node_id(employee_id, "Employee", "employeeId")
    # The viewer's own row as this request's session lookup read it, when the session's write
    # scope reaches it (as the read below would); else read in the session.
    employee = own_employee(access, Op.WRITE) if access.owns(key) else None
    if employee is None:
        employee = await session.scalar(select(Employee).where(Employee.id == key))
    if employee is None:
        raise not_found("Employee", "employeeId")
    # The expense it would be: in the viewer's write scope of expenses (with own reach, theirs).
    if not access.admits(Expense.__area__, Op.WRITE, employee.company_id, employee.id):
        raise not_found("Employee", "employeeId")
    return employee


async def _expense(session: AsyncSession, expense_id: int, field_name: str = "id") -> Expense:
    """An expense in the session's scope, locked for this transaction, still SUBMITTED."""
    expense = await session.scalar(
        select(Expense).where(Expense.id == expense_id).with_for_update()
    )
    if expense is None:
        raise not_found("Expense", field_name)
    if expense.status is not ExpenseStatus.SUBMITTED:
        raise bad_input(
            field_name,
            "NOT_SUBMITTED",
            f"the expense is {expense.status.value.lower()}: only a submitted one can change",
        )
    return expense


def _audit_amounts(expense: Expense) -> dict[str, Any]:
    amounts = {"amount": str(expense.amount), "vat_amount": str(expense.vat_amount)}
    if expense.currency != SEK:  # the receipt's own amount beside the SEK paid out
        amounts.update(
            currency=expense.currency,
            original_amount=str(expense.original_amount),
            exchange_rate=str(expense.exchange_rate),
        )
    return amounts


# --- submitting and changing --------------------------------------------------------------


def _vat_line_rows(expense: Expense, lines: list[VatLine]) -> list[ExpenseVatLine]:
    return [
        ExpenseVatLine(
            company_id=expense.company_id,
            expense_id=expense.id,
            employee_id=expense.employee_id,
            position=position,
            rate=line.rate,
            net=line.net,
            vat=line.vat,
        )
        for position, line in enumerate(lines)
    ]


def _mileage_line(values: dict[str, Any]) -> list[VatLine]:
    """A mileage claim's one line: 0 % on the whole amount."""
    return [VatLine(rate=ZERO, net=values.get("amount", ZERO), vat=ZERO)]


def _publish(session: AsyncSession, ctx: RequestContext, expense: Expense) -> None:
    """`expenseChanged` subscribers hear of it once committed (resolvers/live.py)."""
    publish_change(session, ctx.runtime.bus, Topic.EXPENSE, expense.company_id, expense.id)


async def _submit(
    ctx: RequestContext,
    employee_id: relay.GlobalID | None,
    values: dict[str, Any],
    lines: list[VatLine],
    kind: ExpenseKind,
    project: Project | None,
) -> gql.ExpensePayload:
    now = ctx.clock.now()
    async with ctx.database.scoped(ctx.access, Op.WRITE) as session:
        employee = await _employee_for(session, ctx, employee_id)
        _same_company(project, employee.company_id)
        expense = Expense(
            company_id=employee.company_id,
            employee_id=employee.id,
            kind=kind,
            status=ExpenseStatus.SUBMITTED,
            created_at=now,
            updated_at=now,
            project_id=project.id if project else None,
            **values,
        )
        session.add(expense)
        await session.flush()
        rows = _vat_line_rows(expense, lines)
        session.add_all(rows)
        audit(
            session,
            ctx,
            AuditAction.MILEAGE_SUBMITTED
            if kind is ExpenseKind.MILEAGE
            else AuditAction.EXPENSE_SUBMITTED,
            company_id=expense.company_id,
            expense_id=expense.id,
            employee_id=employee.id,
            **_audit_amounts(expense),
        )
        _publish(session, ctx, expense)
    return gql.ExpensePayload(expense=gql.Expense.from_row(expense, rows))


async def submit_expense(
    info: Ctx,
    input: Annotated[
        gql.SubmitExpenseInput,
        strawberry.argument(
            description="The purchase: date, amount and VAT as on the receipt, category and "
            "description; attach receipts afterwards with attachReceipt."
        ),
    ],
) -> gql.ExpensePayload:
    ctx = info.context
    problems = Problems()
    values, lines = _check_expense(
        problems,
        ctx.clock.today(),
        day=input.date,
        conversion=_check_currency(
            problems,
            input.currency,
            amount=input.amount,
            original=input.original_amount,
            rate=input.exchange_rate,
        ),
        vat_rate=input.vat_rate,
        vat_amount=input.vat_amount,
        vat_lines=input.vat_lines,
        category=input.category,
        description=input.description,
        representation=_check_representation(problems, input.category, input.representation),
    )
    values.update(
        _check_supplier(problems, input.supplier, ctx.clock.today()),
        cost_centre=_check_cost_centre(problems, input.cost_centre),
    )
    project = await _check_project(ctx, problems, input.project_id)
    problems.raise_if_any()
    return await _submit(ctx, input.employee_id, values, lines, ExpenseKind.EXPENSE, project)


async def submit_mileage(
    info: Ctx,
    input: Annotated[
        gql.SubmitMileageInput,
        strawberry.argument(
            description="The trip: date, distance, car and description; the amount follows "
            "from the rate per mil."
        ),
    ],
) -> gql.ExpensePayload:
    ctx = info.context
    problems = Problems()
    values = _check_mileage(
        problems,
        ctx.clock.today(),
        day=input.date,
        distance_km=input.distance_km,
        vehicle=input.vehicle,
        description=input.description,
    )
    values["cost_centre"] = _check_cost_centre(problems, input.cost_centre)
    project = await _check_project(ctx, problems, input.project_id)
    problems.raise_if_any()
    return await _submit(
        ctx, input.employee_id, values, _mileage_line(values), ExpenseKind.MILEAGE, project
    )


EXPENSE_ONLY = (
    "amount",
    "vat_rate",
    "vat_amount",
    "category",
    "currency",
    "original_amount",
    "exchange_rate",
    "vat_lines",
    "representation",
)
MILEAGE_ONLY = ("distance_km", "vehicle")


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


def _stored_representation(expense: Expense) -> dict[str, Any]:
    return {
        "representation_kind": expense.representation_kind,
        "participants": expense.participants,
        "purpose": expense.purpose,
    }


def _kept_lines(
    input: gql.UpdateExpenseInput, expense: Expense, stored: list[ExpenseVatLine]
) -> list[gql.VatLineInput] | None:
    """The stored lines of a mixed-rate expense whose amount and rates are not changed: checked
    again (the date or category may change). None where one rate applies as before."""
    if input.vat_lines is not None:
        return input.vat_lines
    if input.vat_rate is not None or input.vat_amount is not None or expense.vat_rate is not None:
        return None
    return [
        gql.VatLineInput(rate=line.rate, net=line.net, vat=line.vat)  # type: ignore[arg-type]
        for line in stored
    ]


def _currency_inputs(
    input: gql.UpdateExpenseInput, expense: Expense
) -> tuple[str, Decimal | None, Decimal | None, Decimal | None]:
    """(currency, SEK amount, original amount, rate) of a changed expense: as given, else as
    stored while the currency stays. A new original amount alone keeps the rate (the SEK amount
    follows); a new rate or SEK amount alone derives the other. Another currency than before
    needs its amounts again; back to SEK keeps the SEK amount."""
    currency = input.currency if input.currency is not None else expense.currency
    amount: Decimal | None = input.amount
    original: Decimal | None = input.original_amount
    rate = input.exchange_rate
    if normalized_code(currency) == SEK:
        return currency, expense.amount if amount is None else amount, original, rate
    if normalized_code(currency) != expense.currency:
        return currency, amount, original, rate
    if amount is None and rate is None:
        rate = expense.exchange_rate
        if original is None:
            amount = expense.amount  # nothing of the conversion changes
    return currency, amount, expense.original_amount if original is None else original, rate


def _updated_values(
    problems: Problems,
    expense: Expense,
    stored_lines: list[ExpenseVatLine],
    input: gql.UpdateExpenseInput,
    today: date,
) -> tuple[dict[str, Any], list[VatLine]]:
    def given(name: str) -> Any:
        return getattr(input, name)

    mileage = expense.kind is ExpenseKind.MILEAGE
    for name in EXPENSE_ONLY if mileage else MILEAGE_ONLY:
        if given(name) is not None:
            problems.add(
                _camel(name),
                "NOT_APPLICABLE",
                "applies to expenses only" if mileage else "applies to mileage only",
            )
    day = input.date if input.date is not None else expense.date
    description = input.description if input.description is not None else expense.description
    if mileage:
        assert expense.distance_km is not None and expense.vehicle is not None
        values = _check_mileage(
            problems,
            today,
            day=day,
            distance_km=input.distance_km if input.distance_km is not None else expense.distance_km,
            vehicle=input.vehicle if input.vehicle is not None else expense.vehicle,
            description=description,
        )
        return values, _mileage_line(values)
    currency, sek, original, exchange_rate = _currency_inputs(input, expense)
    conversion = _check_currency(
        problems, currency, amount=sek, original=original, rate=exchange_rate
    )
    amount = conversion.amount
    lines = _kept_lines(input, expense, stored_lines)
    rate = input.vat_rate if input.vat_rate is not None else expense.vat_rate
    vat_amount: Decimal | None = input.vat_amount
    unchanged = (
        rate is not None
        and rate.is_finite()
        and amount == expense.amount
        and rate == expense.vat_rate
    )
    if vat_amount is None and unchanged and lines is None:
        vat_amount = expense.vat_amount  # as on the receipt; still checked against the rate
    # Given lines with a rate or VAT too are refused (NOT_BOTH); kept ones replace them.
    vat_rate = input.vat_rate if input.vat_lines is not None else None if lines else rate
    vat_amount = input.vat_amount if input.vat_lines is not None or lines else vat_amount
    if conversion.foreign and (input.vat_rate, input.vat_amount, input.vat_lines) == (None,) * 3:
        vat_rate, vat_amount, lines = None, None, None  # the one 0 % line of another currency
    category = input.category if input.category is not None else expense.category
    return _check_expense(
        problems,
        today,
        day=day,
        conversion=conversion,
        vat_rate=vat_rate,
        vat_amount=vat_amount,
        vat_lines=lines,
        category=category,
        description=description,
        representation=_check_representation(
            problems, category, input.representation, _stored_representation(expense)
        ),
    )


def _voucher_changes(
    problems: Problems, expense: Expense, input: gql.UpdateExpenseInput, today: date
) -> dict[str, Any]:
    """The supplier and cost centre columns the input sets (left out: unchanged, null: none)."""
    changes: dict[str, Any] = {}
    if input.supplier is not strawberry.UNSET:
        if input.supplier is not None and expense.kind is ExpenseKind.MILEAGE:
            problems.add("input.supplier", "NOT_APPLICABLE", "applies to expenses only")
        changes.update(_check_supplier(problems, input.supplier, today))
    if input.cost_centre is not strawberry.UNSET:
        changes["cost_centre"] = _check_cost_centre(problems, input.cost_centre)
    return changes


async def update_expense(
    info: Ctx,
    id: Annotated[
        relay.GlobalID,
        strawberry.argument(
            description="The SUBMITTED expense or mileage claim to change (an `Expense` id)."
        ),
    ],
    input: Annotated[
        gql.UpdateExpenseInput,
        strawberry.argument(description="What to change; fields left out keep their value."),
    ],
) -> gql.ExpensePayload:
    ctx = info.context
    expense_id = node_id(id, "Expense")
    project: Project | None = None
    if input.project_id is not strawberry.UNSET and input.project_id is not None:
        problems = Problems()
        project = await _check_project(ctx, problems, input.project_id)
        problems.raise_if_any()
    async with ctx.database.scoped(ctx.access, Op.WRITE) as session:
        expense = await _expense(session, expense_id)
        stored = list(
            await session.scalars(
                select(ExpenseVatLine)
                .where(ExpenseVatLine.expense_id == expense.id)
                .order_by(ExpenseVatLine.position)
            )
        )
        problems = Problems()
        values, lines = _updated_values(problems, expense, stored, input, ctx.clock.today())
        values.update(_voucher_changes(problems, expense, input, ctx.clock.today()))
        if input.project_id is not strawberry.UNSET:
            if project is not None and project.id != expense.project_id:
                _same_company(project, expense.company_id)
            values["project_id"] = project.id if project else None
        problems.raise_if_any()
        changed = sorted(
            _camel(name) for name, value in values.items() if getattr(expense, name) != value
        )
        if [(row.rate, row.net, row.vat) for row in stored] != [
            (line.rate, line.net, line.vat) for line in lines
        ]:
            changed.append("vatLines")
        for name, value in values.items():
            setattr(expense, name, value)
        expense.updated_at = ctx.clock.now()
        for row in stored:
            await session.delete(row)
        await session.flush()  # the old lines' positions are free
        rows = _vat_line_rows(expense, lines)
        session.add_all(rows)
        audit(
            session,
            ctx,
            AuditAction.EXPENSE_UPDATED,
            company_id=expense.company_id,
            expense_id=expense.id,
            employee_id=expense.employee_id,
            fields=sorted(changed),
            **_audit_amounts(expense),
        )
        _publish(session, ctx, expense)
    return gql.ExpensePayload(expense=gql.Expense.from_row(expense, rows))


async def delete_expense(
    info: Ctx,
    id: Annotated[
        relay.GlobalID,
        strawberry.argument(
            description="The SUBMITTED expense or mileage claim to delete (an `Expense` id)."
        ),
    ],
) -> gql.DeleteExpensePayload:
    """Remove a submitted expense and its receipts (the stored files stay, see remove_receipt)."""
    ctx = info.context
    expense_id = node_id(id, "Expense")
    async with ctx.database.scoped(ctx.access, Op.WRITE) as session:
        expense = await _expense(session, expense_id)
        audit(
            session,
            ctx,
            AuditAction.EXPENSE_DELETED,
            company_id=expense.company_id,
            expense_id=expense.id,
            employee_id=expense.employee_id,
            date=expense.date.isoformat(),
            **_audit_amounts(expense),
        )
        await session.delete(expense)  # its receipts go with it (ON DELETE CASCADE)
    return gql.DeleteExpensePayload(deleted_id=relay.GlobalID("Expense", str(expense_id)))


# --- deciding -----------------------------------------------------------------------------


async def _decide(
    ctx: RequestContext, id: relay.GlobalID, status: ExpenseStatus, reason: str | None
) -> gql.ExpensePayload:
    expense_id = node_id(id, "Expense")
    async with ctx.database.scoped(ctx.access, Op.MANAGE) as session:
        expense = await _expense(session, expense_id)
        now = ctx.clock.now()
        if status is ExpenseStatus.APPROVED:
            expense.voucher_number = await take_voucher_number(session, expense.company_id)
        expense.status = status
        expense.rejection_reason = reason
        expense.decided_at = now
        expense.decided_by_user_id = ctx.access.user_id
        expense.updated_at = now
        details: dict[str, Any] = {"reason": reason} if reason else {}
        if expense.voucher_number is not None:
            details["voucher_number"] = expense.voucher_number
        audit(
            session,
            ctx,
            (
                AuditAction.EXPENSE_APPROVED
                if status is ExpenseStatus.APPROVED
                else AuditAction.EXPENSE_REJECTED
            ),
            company_id=expense.company_id,
            expense_id=expense.id,
            employee_id=expense.employee_id,
            **_audit_amounts(expense),
            **details,
        )
        _publish(session, ctx, expense)
        if status is ExpenseStatus.APPROVED:  # approved expenses count in the payroll basis
            payroll_sources_changed(session, ctx.runtime.bus, expense.company_id, [expense.date])
    return gql.ExpensePayload(expense=gql.Expense.from_row(expense))


async def approve_expense(
    info: Ctx,
    id: Annotated[
        relay.GlobalID,
        strawberry.argument(
            description="The SUBMITTED expense or mileage claim to approve (an `Expense` id)."
        ),
    ],
) -> gql.ExpensePayload:
    return await _decide(info.context, id, ExpenseStatus.APPROVED, None)


async def reject_expense(
    info: Ctx,
    id: Annotated[
        relay.GlobalID,
        strawberry.argument(
            description="The SUBMITTED expense or mileage claim to reject (an `Expense` id)."
        ),
    ],
    reason: Annotated[
        str, strawberry.argument(description="Why, for the employee: at most 500 characters.")
    ],
) -> gql.ExpensePayload:
    problems = Problems()
    cleaned = clean_text(problems, "reason", reason, max_length=500)
    problems.raise_if_any()
    return await _decide(info.context, id, ExpenseStatus.REJECTED, cleaned)


# --- receipt files ------------------------------------------------------------------------


async def _read_receipt(upload: UploadFile) -> bytes:
    """The whole file, read in chunks; refused as soon as it passes the size limit."""
    data = bytearray()
    while chunk := await upload.read(READ_CHUNK):
        data += chunk
        if len(data) > MAX_RECEIPT_BYTES:
            raise bad_input(
                "file", "FILE_TOO_LARGE", f"must be at most {MAX_RECEIPT_BYTES // 2**20} MB"
            )
    if not data:
        raise bad_input("file", "EMPTY_FILE", "is empty")
    return bytes(data)


async def _add_receipt(
    session: AsyncSession,
    ctx: RequestContext,
    expense: Expense,
    stored: StoredFile,
    file_name: str,
    content_type: str,
) -> Receipt:
    """The stored file as a receipt of the expense, audited; the same file twice is refused."""
    duplicate = await session.scalar(
        select(Receipt.id).where(Receipt.expense_id == expense.id, Receipt.sha256 == stored.sha256)
    )
    if duplicate is not None:
        raise bad_input("file", "ALREADY_ATTACHED", "this file is already attached")
    receipt = Receipt(
        company_id=expense.company_id,
        expense_id=expense.id,
        employee_id=expense.employee_id,
        file_name=file_name,
        content_type=content_type,
        size_bytes=stored.size_bytes,
        sha256=stored.sha256,
        storage_key=stored.storage_key,
        uploaded_at=ctx.clock.now(),
    )
    session.add(receipt)
    await session.flush()
    audit(
        session,
        ctx,
        AuditAction.RECEIPT_ATTACHED,
        company_id=expense.company_id,
        expense_id=expense.id,
        receipt_id=receipt.id,
        employee_id=expense.employee_id,
        file_name=file_name,
        content_type=content_type,
        size_bytes=stored.size_bytes,
        sha256=stored.sha256,
    )
    _publish(session, ctx, expense)
    return receipt


async def attach_receipt(
    info: Ctx,
    expense_id: Annotated[
        relay.GlobalID,
        strawberry.argument(
            description="The SUBMITTED expense the receipt belongs to (an `Expense` id)."
        ),
    ],
    file: Annotated[
        Upload,
        strawberry.argument(
            description="The receipt: a JPEG, PNG, HEIC/HEIF or PDF file of at most 10 MB, "
            "sent as a GraphQL multipart request."
        ),
    ],
) -> gql.ReceiptPayload:
    ctx = info.context
    upload: object = file
    if not isinstance(upload, UploadFile):
        raise bad_input(
            "file", "NOT_A_FILE", "send the file as a multipart request (GraphQL multipart spec)"
        )
    try:
        key = node_id(expense_id, "Expense", "expenseId")
        # The expense first: no byte is read or stored for an expense out of reach.
        async with ctx.database.scoped(ctx.access, Op.WRITE) as session:
            company_id = (await _expense(session, key, "expenseId")).company_id
        data = await _read_receipt(upload)
        sniffed = sniff_receipt_type(data[:SNIFF_BYTES]) or sniff_heif(data)
        if sniffed is None:
            raise bad_input(
                "file", "UNSUPPORTED_FILE_TYPE", "must be a JPEG, PNG, HEIC/HEIF or PDF file"
            )
        content_type, suffix = sniffed
        file_name = clean_file_name(upload.filename, suffix)
        stored = await ctx.runtime.files.put(f"receipts/{company_id}", data, suffix)
        async with ctx.database.scoped(ctx.access, Op.WRITE) as session:
            expense = await _expense(session, key, "expenseId")  # still open?
            receipt = await _add_receipt(session, ctx, expense, stored, file_name, content_type)
    except IntegrityError:
        raise bad_input("file", "ALREADY_ATTACHED", "this file is already attached") from None
    finally:
        await upload.close()
    return gql.ReceiptPayload(
        receipt=gql.Receipt.from_row(receipt), expense=gql.Expense.from_row(expense)
    )


async def remove_receipt(
    info: Ctx,
    id: Annotated[
        relay.GlobalID,
        strawberry.argument(
            description="The receipt to detach from its SUBMITTED expense (a `Receipt` id)."
        ),
    ],
) -> gql.RemoveReceiptPayload:
    """Detach a receipt from a submitted expense. The stored file stays: storage is shared by
    content (another receipt may hold the same file), and receipts are bookkeeping records."""
    ctx = info.context
    receipt_id = node_id(id, "Receipt")
    async with ctx.database.scoped(ctx.access, Op.WRITE) as session:
        receipt = await session.scalar(select(Receipt).where(Receipt.id == receipt_id))
        if receipt is None:
            raise not_found("Receipt")
        expense = await _expense(session, receipt.expense_id)
        audit(
            session,
            ctx,
            AuditAction.RECEIPT_REMOVED,
            company_id=receipt.company_id,
            expense_id=receipt.expense_id,
            receipt_id=receipt.id,
            employee_id=receipt.employee_id,
            file_name=receipt.file_name,
            sha256=receipt.sha256,
        )
        await session.delete(receipt)
        _publish(session, ctx, expense)
    return gql.RemoveReceiptPayload(
        removed_id=relay.GlobalID("Receipt", str(receipt_id)),
        expense=gql.Expense.from_row(expense),
    )


# --- the domain's root fields ---------------------------------------------------------------

READ = AreaRule(Area.EXPENSES_RECEIPTS)
WRITE = AreaRule(Area.EXPENSES_RECEIPTS, Op.WRITE)
MANAGE = AreaRule(Area.EXPENSES_RECEIPTS, Op.MANAGE)


@strawberry.type
class Queries:
    expenses = field(
        READ,
        expenses,
        description="Expenses and mileage claims, newest first; filter by employee, status and "
        "date (`from`/`to`, inclusive). Employees see their own.",
    )


@strawberry.type
class Mutations:
    submit_expense = mutation(
        WRITE,
        submit_expense,
        description="Submit an expense (utlägg) with VAT as on the receipt; attach the receipt "
        "with attachReceipt.",
    )
    submit_mileage = mutation(
        WRITE,
        submit_mileage,
        description="Submit a mileage claim; the amount is the distance in mil times the "
        "tax-free rate of the year and vehicle.",
    )
    update_expense = mutation(
        WRITE, update_expense, description="Change an expense while it is still submitted."
    )
    delete_expense = mutation(
        WRITE, delete_expense, description="Delete an expense while it is still submitted."
    )
    approve_expense = mutation(
        MANAGE,
        approve_expense,
        description="Approve a submitted expense (admin work): it gets the next number of the "
        "company's expense voucher series (voucherNumber) and is final from then on.",
    )
    reject_expense = mutation(
        MANAGE,
        reject_expense,
        description="Reject a submitted expense with a reason the employee sees (admin work).",
    )
    attach_receipt = mutation(
        WRITE,
        attach_receipt,
        description="Attach a receipt file (JPEG, PNG or PDF, at most 10 MB) to a submitted "
        "expense. Send it as a GraphQL multipart request with a GraphQL-Preflight header.",
    )
    remove_receipt = mutation(
        WRITE, remove_receipt, description="Remove a receipt from a submitted expense."
    )
