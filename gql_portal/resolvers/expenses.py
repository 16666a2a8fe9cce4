"""Expenses, mileage and receipt files: submit, change, approve or reject, attach receipts.

Employees submit and change their own while SUBMITTED; admins do so for anyone and decide
(approve/reject, Op.MANAGE); LIMITED partners only read (their schema has none of these
mutations). Receipt files go to the storage folder, checked by their content, never by name.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated, Any

import anyio.to_thread
import strawberry
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.datastructures import UploadFile
from strawberry import relay
from strawberry.file_uploads import Upload

from gql_portal.auth import own_employee
from gql_portal.context import RequestContext
from gql_portal.db.employees import Employee
from gql_portal.db.expenses import Expense, Receipt
from gql_portal.domain.audit import AuditAction
from gql_portal.domain.expenses import (
    MAX_EXPENSE_AMOUNT,
    MAX_MILEAGE_KM,
    MAX_RECEIPT_BYTES,
    MILEAGE_RATE_UNKNOWN,
    MILEAGE_RATES_KNOWN_FROM,
    SNIFF_BYTES,
    ZERO,
    ExpenseCategory,
    ExpenseKind,
    ExpenseStatus,
    VehicleKind,
    clean_file_name,
    mileage_amount,
    mileage_rate,
    sniff_receipt_type,
    vat_included,
    vat_rates_on,
)
from gql_portal.domain.heic import sniff_heif
from gql_portal.domain.validation import clean_text
from gql_portal.errors import Problems, bad_input
from gql_portal.permissions.matrix import Area, Op
from gql_portal.permissions.rules import AreaRule
from gql_portal.resolvers.audit import audit
from gql_portal.resolvers.common import Ctx, node_id, not_found
from gql_portal.resolvers.loading import by_id, children, company_filter, employee_filter, paginate
from gql_portal.schema import expenses as gql
from gql_portal.schema.employees import EMPLOYEE_EXPENSES_BOUND
from gql_portal.schema.fields import field, mutation
from gql_portal.schema.id_filters import CompanyIdFilter, EmployeeIdFilter
from gql_portal.schema.relay import Connection
from gql_portal.storage import StoredFile

CENT = Decimal("0.01")
VAT_TOLERANCE = Decimal("0.01")  # one öre: receipts round VAT their own way
CURRENCY = "SEK"
READ_CHUNK = 64 * 1024
MILEAGE_CATEGORY = ExpenseCategory.TRAVEL

From = Annotated[date | None, strawberry.argument(name="from", description="On or after.")]
To = Annotated[date | None, strawberry.argument(description="On or before.")]


# --- reading ------------------------------------------------------------------------------


def check_period(from_: date | None, to: date | None) -> None:
    if from_ is not None and to is not None and to < from_:
        raise bad_input("to", "BEFORE_FROM", "must not be before `from`")


async def expenses(
    info: Ctx,
    first: int | None = None,
    after: str | None = None,
    employee_id: EmployeeIdFilter = None,
    status: ExpenseStatus | None = None,
    from_: From = None,
    to: To = None,
    company_id: CompanyIdFilter = None,
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
    return await paginate(
        ctx,
        statement,
        [Expense.date, Expense.id],
        gql.Expense.from_row,
        first=first,
        after=after,
        descending=True,
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


def _check_expense(
    problems: Problems,
    today: date,
    *,
    day: date,
    amount: Decimal,
    vat_rate: Decimal,
    vat_amount: Decimal | None,
    category: ExpenseCategory,
    description: str,
    currency: str | None,
) -> dict[str, Any]:
    """The columns of an expense (utlägg), or problems naming the input fields."""
    _check_date(problems, day, today)
    amount_ok = _check_positive(problems, "amount", amount, MAX_EXPENSE_AMOUNT)
    if (currency or CURRENCY).strip().upper() != CURRENCY:
        problems.add("currency", "UNSUPPORTED_CURRENCY", "only SEK is supported")
    valid_rates = vat_rates_on(day, category)
    rate = next(
        (valid for valid in valid_rates if vat_rate.is_finite() and vat_rate == valid), None
    )
    if rate is None:
        listed = ", ".join(f"{valid} %" for valid in valid_rates)
        problems.add(
            "vatRate",
            "VAT_RATE_NOT_VALID_ON_DATE",
            f"{category.value} on {day.isoformat()} takes one of {listed}",
        )
    vat = vat_amount
    if amount_ok and rate is not None:
        expected = vat_included(amount, rate)
        if vat_amount is None:
            vat = expected
        elif not vat_amount.is_finite() or abs(vat_amount - expected) > VAT_TOLERANCE:
            problems.add(
                "vatAmount",
                "VAT_MISMATCH",
                f"{rate} % VAT included in {amount} is {expected}, not {vat_amount}",
            )
    return {
        "date": day,
        "amount": amount,
        "vat_rate": rate.quantize(CENT) if rate is not None else None,  # as the column reads back
        "vat_amount": vat,
        "category": category,
        "description": clean_text(problems, "description", description, max_length=500),
        "currency": CURRENCY,
    }


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
        "currency": CURRENCY,
        "vat_rate": ZERO,
        "vat_amount": ZERO,
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
    return {"amount": str(expense.amount), "vat_amount": str(expense.vat_amount)}


# --- submitting and changing --------------------------------------------------------------


async def _submit(
    ctx: RequestContext,
    employee_id: relay.GlobalID | None,
    values: dict[str, Any],
    kind: ExpenseKind,
) -> gql.ExpensePayload:
    now = ctx.clock.now()
    async with ctx.database.scoped(ctx.access, Op.WRITE) as session:
        employee = await _employee_for(session, ctx, employee_id)
        expense = Expense(
            company_id=employee.company_id,
            employee_id=employee.id,
            kind=kind,
            status=ExpenseStatus.SUBMITTED,
            created_at=now,
            updated_at=now,
            **values,
        )
        session.add(expense)
        await session.flush()
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
    return gql.ExpensePayload(expense=gql.Expense.from_row(expense))


async def submit_expense(info: Ctx, input: gql.SubmitExpenseInput) -> gql.ExpensePayload:
    ctx = info.context
    problems = Problems()
    values = _check_expense(
        problems,
        ctx.clock.today(),
        day=input.date,
        amount=input.amount,
        vat_rate=input.vat_rate,
        vat_amount=input.vat_amount,
        category=input.category,
        description=input.description,
        currency=input.currency,
    )
    problems.raise_if_any()
    return await _submit(ctx, input.employee_id, values, ExpenseKind.EXPENSE)


async def submit_mileage(info: Ctx, input: gql.SubmitMileageInput) -> gql.ExpensePayload:
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
    problems.raise_if_any()
    return await _submit(ctx, input.employee_id, values, ExpenseKind.MILEAGE)


EXPENSE_ONLY = ("amount", "vat_rate", "vat_amount", "category", "currency")
MILEAGE_ONLY = ("distance_km", "vehicle")


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


def _updated_values(
    problems: Problems, expense: Expense, input: gql.UpdateExpenseInput, today: date
) -> dict[str, Any]:
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
        return _check_mileage(
            problems,
            today,
            day=day,
            distance_km=input.distance_km if input.distance_km is not None else expense.distance_km,
            vehicle=input.vehicle if input.vehicle is not None else expense.vehicle,
            description=description,
        )
    amount: Decimal = input.amount if input.amount is not None else expense.amount
    rate = input.vat_rate if input.vat_rate is not None else expense.vat_rate
    vat_amount: Decimal | None = input.vat_amount
    unchanged = rate.is_finite() and amount == expense.amount and rate == expense.vat_rate
    if vat_amount is None and unchanged:
        vat_amount = expense.vat_amount  # as on the receipt; still checked against the rate
    return _check_expense(
        problems,
        today,
        day=day,
        amount=amount,
        vat_rate=rate,
        vat_amount=vat_amount,
        category=input.category if input.category is not None else expense.category,
        description=description,
        currency=input.currency,
    )


async def update_expense(
    info: Ctx, id: relay.GlobalID, input: gql.UpdateExpenseInput
) -> gql.ExpensePayload:
    ctx = info.context
    expense_id = node_id(id, "Expense")
    async with ctx.database.scoped(ctx.access, Op.WRITE) as session:
        expense = await _expense(session, expense_id)
        problems = Problems()
        values = _updated_values(problems, expense, input, ctx.clock.today())
        problems.raise_if_any()
        changed = sorted(
            _camel(name) for name, value in values.items() if getattr(expense, name) != value
        )
        for name, value in values.items():
            setattr(expense, name, value)
        expense.updated_at = ctx.clock.now()
        audit(
            session,
            ctx,
            AuditAction.EXPENSE_UPDATED,
            company_id=expense.company_id,
            expense_id=expense.id,
            employee_id=expense.employee_id,
            fields=changed,
            **_audit_amounts(expense),
        )
    return gql.ExpensePayload(expense=gql.Expense.from_row(expense))


async def delete_expense(info: Ctx, id: relay.GlobalID) -> gql.DeleteExpensePayload:
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
        expense.status = status
        expense.rejection_reason = reason
        expense.decided_at = now
        expense.decided_by_user_id = ctx.access.user_id
        expense.updated_at = now
        details: dict[str, Any] = {"reason": reason} if reason else {}
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
    return gql.ExpensePayload(expense=gql.Expense.from_row(expense))


async def approve_expense(info: Ctx, id: relay.GlobalID) -> gql.ExpensePayload:
    return await _decide(info.context, id, ExpenseStatus.APPROVED, None)


async def reject_expense(info: Ctx, id: relay.GlobalID, reason: str) -> gql.ExpensePayload:
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
    return receipt


async def attach_receipt(info: Ctx, expense_id: relay.GlobalID, file: Upload) -> gql.ReceiptPayload:
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
        stored = await anyio.to_thread.run_sync(
            ctx.runtime.storage.put, "receipts", company_id, data, suffix
        )
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


async def remove_receipt(info: Ctx, id: relay.GlobalID) -> gql.RemoveReceiptPayload:
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
        MANAGE, approve_expense, description="Approve a submitted expense (admin work)."
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
