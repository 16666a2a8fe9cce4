"""GraphQL types of expenses (utlägg), mileage (milersättning) and receipt files
(EXPENSES_RECEIPTS). Files are downloaded from a same-origin route, never through GraphQL."""

import datetime
from decimal import Decimal
from enum import Enum
from typing import Annotated

import strawberry
from strawberry import relay
from strawberry.dataloader import DataLoader

from gql_portal.context import RequestContext
from gql_portal.db import expenses as db
from gql_portal.db import projects as project_rows
from gql_portal.db.bas import bas_account_table
from gql_portal.db.employees import Employee as EmployeeRow
from gql_portal.domain.expenses import (
    MAX_PARTICIPANTS,
    ExpenseCategory,
    ExpenseKind,
    ExpenseStatus,
    RepresentationKind,
    VehicleKind,
    single_line,
)
from gql_portal.domain.vouchers import booking_account, shown_supplier_number
from gql_portal.permissions.matrix import Area
from gql_portal.permissions.rules import AreaRule, Structural
from gql_portal.resolvers import loading
from gql_portal.resolvers.common import Ctx, not_found
from gql_portal.schema.employees import Employee
from gql_portal.schema.fields import describe_values, field, resolver_field
from gql_portal.schema.ordering import DIRECTION_DESCRIPTION, OrderDirection
from gql_portal.schema.projects import Project
from gql_portal.schema.scalars import Money

strawberry.enum(ExpenseKind, description="An expense paid by the employee, or a mileage claim.")
strawberry.enum(ExpenseStatus, description="Submitted by the employee, then approved or rejected.")
strawberry.enum(ExpenseCategory, description="What the money was spent on (decides VAT rates).")
strawberry.enum(VehicleKind, description="The vehicle of a mileage claim (decides the rate).")
strawberry.enum(
    RepresentationKind,
    description="Representation with the company's own staff (INTERNAL) or with guests (EXTERNAL).",
)
describe_values(
    ExpenseKind,
    {
        "EXPENSE": "Utlägg: something the employee paid for the company, with receipts.",
        "MILEAGE": "Milersättning: a business trip by car, paid per Swedish mil (10 km).",
    },
)
describe_values(
    ExpenseStatus,
    {
        "SUBMITTED": "Waiting for an admin's decision; the employee may still change or delete it.",
        "APPROVED": "Approved: goes into the payroll basis and the expenses export; locked.",
        "REJECTED": "Rejected, with the admin's reason; not paid; locked.",
    },
)
describe_values(
    ExpenseCategory,
    {
        "FOOD": "Livsmedel: groceries (fika, breakfast for a workshop); 12 % VAT, 6 % from "
        "2026-04-01 to 2027-12-31.",
        "RESTAURANT": "Restaurang- och cateringtjänster: meals out, catering; 12 % VAT (drinks "
        "with alcohol 25 %).",
        "ACCOMMODATION": "Hotell: accommodation; usually 12 % VAT.",
        "TRAVEL": "Resor: passenger transport by train, air, bus or taxi; usually 6 % VAT.",
        "FUEL": "Fuel for a vehicle; usually 25 % VAT.",
        "PARKING": "Parking fees; usually 25 % VAT.",
        "OFFICE_SUPPLIES": "Office supplies and small equipment; usually 25 % VAT.",
        "BOOKS_NEWSPAPERS": "Books, newspapers and magazines; 6 % VAT.",
        "CULTURE": "Entrance to concerts, theatre, museums; 6 % VAT.",
        "REPRESENTATION": "A meal with guests or staff: needs `representation` (kind, "
        "participants, purpose); VAT deductible on a capped amount per person.",
        "OTHER": "Anything else; any standard VAT rate (25, 12, 6 or 0 %).",
    },
)
describe_values(
    VehicleKind,
    {
        "OWN_CAR": "The employee's own car: 25 kr per mil tax-free (18.50 kr before 2023).",
        "COMPANY_CAR_FOSSIL": "A company car (förmånsbil) on petrol, ethanol or gas, or a "
        "plug-in hybrid: 12 kr per mil (9.50 kr before 2023).",
        "COMPANY_CAR_DIESEL": "A company car (förmånsbil) on diesel only: 12 kr per mil "
        "(6.50 kr before 2023).",
        "COMPANY_CAR_ELECTRIC": "A fully electric company car (förmånsbil): 9.50 kr per mil.",
    },
)
describe_values(
    RepresentationKind,
    {
        "INTERNAL": "Intern representation: with the company's own staff (a staff party, a "
        "planning day).",
        "EXTERNAL": "Extern representation: with customers, suppliers or other guests.",
    },
)

EXPENSES = AreaRule(Area.EXPENSES_RECEIPTS)
PROJECTS = AreaRule(Area.PROJECTS)
STRUCTURAL = Structural()
RECEIPTS_BOUND = 10  # per expense (the query cost counts this many; more is an error)
VAT_LINES_BOUND = 4  # per expense: one per rate (25, 12, 6 and 0 %)
PARTICIPANTS_BOUND = MAX_PARTICIPANTS  # per representation occasion
MIXED_RATES = "An expense may have several rates: read vatLines (null when it has several)."

RECEIPT_DOWNLOAD_PATH = "/files/receipts/{}"


@strawberry.type(description="A receipt file (JPEG, PNG or PDF) attached to an expense.")
class Receipt(relay.Node):
    id: relay.NodeID[int]
    company_id: strawberry.Private[int]
    owner_employee_id: strawberry.Private[int]
    expense_id: strawberry.Private[int]
    file_name: str = field(EXPENSES)
    content_type: str = field(
        EXPENSES, description="Decided from the file's content, not its name or the upload."
    )
    size_bytes: int = field(EXPENSES)
    sha256: str = field(EXPENSES, description="SHA-256 of the file, hexadecimal.")
    uploaded_at: datetime.datetime = field(EXPENSES)
    url: str = field(
        EXPENSES,
        description="Same-origin path of the download (GET with the session cookie or the "
        "bearer token).",
    )

    @classmethod
    def from_row(cls, row: db.Receipt) -> "Receipt":
        return cls(
            id=row.id,
            company_id=row.company_id,
            owner_employee_id=row.employee_id,
            expense_id=row.expense_id,
            file_name=row.file_name,
            content_type=row.content_type,
            size_bytes=row.size_bytes,
            sha256=row.sha256,
            uploaded_at=row.uploaded_at,
            url=RECEIPT_DOWNLOAD_PATH.format(row.id),
        )


@strawberry.type(description="One VAT rate of a receipt: the net amount at it and its VAT.")
class VatLine:
    company_id: strawberry.Private[int]
    owner_employee_id: strawberry.Private[int]
    rate: Decimal = field(EXPENSES, description="VAT rate in percent (25, 12, 6 or 0).")
    net: Money = field(EXPENSES, description="The amount at this rate without VAT.")
    vat: Money = field(EXPENSES, description="The VAT at this rate.")


@strawberry.type(description="Someone who took part in a representation meal.")
class Participant:
    company_id: strawberry.Private[int]
    owner_employee_id: strawberry.Private[int]
    name: str = field(EXPENSES)
    company: str | None = field(EXPENSES, description="Their company or organisation, if any.")


@strawberry.type(description="The counterparty of an expense: who sold what the receipt is for.")
class Supplier:
    company_id: strawberry.Private[int]
    owner_employee_id: strawberry.Private[int]
    name: str = field(EXPENSES, description="As on the receipt.")
    organisation_number: str | None = field(
        EXPENSES,
        description="A Swedish organisation number as NNNNNN-NNNN (a sole trader's is the "
        "owner's personnummer), or a foreign supplier's VAT number (DE123456789); null when "
        "the receipt shows none.",
    )


@strawberry.type(description="An expense (utlägg) or a mileage claim (milersättning).")
class Expense(relay.Node):
    id: relay.NodeID[int]
    company_id: strawberry.Private[int]
    owner_employee_id: strawberry.Private[int]
    kind: ExpenseKind = field(EXPENSES)
    date: datetime.date = field(EXPENSES, description="When the money was spent or the trip made.")
    description: str = field(EXPENSES)
    category: ExpenseCategory = field(EXPENSES)
    currency: str = field(
        EXPENSES,
        description="The receipt's currency, an ISO 4217 code: SEK, or e.g. EUR for a receipt "
        "from abroad (then originalAmount and exchangeRate say what it was).",
    )
    original_amount: Money | None = field(
        EXPENSES,
        description="The receipt's gross amount in its own currency; null for SEK.",
    )
    exchange_rate: Decimal | None = field(
        EXPENSES,
        description="SEK per one unit of the currency (six decimals), as entered or derived "
        "from the SEK amount on the receipt or card statement; null for SEK.",
    )
    amount: Money = field(
        EXPENSES,
        description="Gross amount in SEK, VAT included: what is paid out (in another currency, "
        "originalAmount converted at exchangeRate).",
    )
    vat_amount: Money = field(
        EXPENSES, description="The VAT included in the amount: the sum of the VAT lines' VAT."
    )
    vat_rate: Decimal | None = field(
        EXPENSES,
        description="VAT rate in percent (25, 12, 6 or 0) of a single-rate expense; null when "
        "its VAT lines have several rates.",
        deprecation_reason=MIXED_RATES,
    )
    net_amount: Money = field(EXPENSES, description="The amount without VAT.")
    deductible_vat: Money = field(
        EXPENSES,
        description="The VAT the company may deduct: all of it, but for representation meals "
        "the VAT on at most 300 kr excluding VAT per participant (Skatteverket).",
    )
    non_deductible_vat: Money = field(
        EXPENSES, description="The VAT the company may not deduct (vatAmount - deductibleVat)."
    )
    representation_kind: RepresentationKind | None = field(
        EXPENSES, description="Representation only: internal or external."
    )
    participants: list[Participant] = field(
        EXPENSES,
        description="Representation only: everyone at the occasion, the employee included.",
        bound=PARTICIPANTS_BOUND,
    )
    purpose: str | None = field(
        EXPENSES, description="Representation only: the business purpose of the occasion."
    )
    vat_lines_in_hand: strawberry.Private[tuple[VatLine, ...] | None]
    distance_km: Decimal | None = field(EXPENSES, description="Mileage only: kilometres.")
    vehicle: VehicleKind | None = field(EXPENSES, description="Mileage only.")
    rate_per_mil: Money | None = field(
        EXPENSES, description="Mileage only: the tax-free rate per Swedish mil (10 km)."
    )
    status: ExpenseStatus = field(EXPENSES)
    rejection_reason: str | None = field(EXPENSES)
    decided_at: datetime.datetime | None = field(
        EXPENSES, description="When it was approved or rejected."
    )
    supplier: Supplier | None = field(
        EXPENSES, description="Who sold it (the voucher's counterparty); null when not given."
    )
    cost_centre: str | None = field(
        EXPENSES,
        description="The cost centre (kostnadsställe) it is booked on, as the books name it "
        "(the SIE file's dimension 1); null for none.",
    )
    voucher_number: int | None = field(
        EXPENSES,
        description="The number in the company's expense voucher series, given when the expense "
        "is approved: 1, 2, 3... without gaps, never reused; null until approved.",
    )
    project_id: strawberry.Private[int | None]

    @resolver_field(
        PROJECTS,
        description="The project the cost belongs to, if one was given (null where the viewer "
        "does not reach it).",
    )
    async def project(
        self, info: Ctx
    ) -> Annotated["Project", strawberry.lazy("gql_portal.schema.projects")] | None:
        if self.project_id is None:
            return None
        row = await loading.by_id(info.context, project_rows.Project).load(self.project_id)
        return Project.from_row(row) if row else None

    @resolver_field(
        EXPENSES,
        description="The BAS account the cost is booked on: the company's account for the "
        "category (basAccounts), its BAS 2026 default where the company has set none; a "
        "mileage claim's is 7331 (skattefria bilersättningar).",
    )
    async def bas_account(self, info: Ctx) -> int:
        table = await bas_tables_loader(info.context).load(self.company_id)
        return booking_account(self.kind, self.category, table)

    @resolver_field(EXPENSES, description="The employee the expense is paid back to.")
    async def employee(
        self, info: Ctx
    ) -> Annotated["Employee", strawberry.lazy("gql_portal.schema.employees")]:
        row = await loading.by_id(info.context, EmployeeRow).load(self.owner_employee_id)
        if row is None:
            raise not_found("Employee", "employee")
        return Employee.from_row(row)

    @resolver_field(
        EXPENSES,
        description="The VAT per rate, as on the receipt; the lines' net + VAT add up to the "
        "amount, to the öre.",
        bound=VAT_LINES_BOUND,
    )
    async def vat_lines(self, info: Ctx) -> list[VatLine]:
        if self.vat_lines_in_hand is not None:
            return list(self.vat_lines_in_hand)
        rows = await vat_lines_loader(info.context).load(self.id)
        if rows:
            return [self._line(row.rate, row.net, row.vat) for row in rows]
        # A row written without lines (none should be): its one rate and VAT.
        if self.vat_rate is None:
            return []
        line = single_line(self.amount, self.vat_rate, self.vat_amount)
        return [self._line(line.rate, line.net, line.vat)]

    def _line(self, rate: Decimal, net: Decimal, vat: Decimal) -> VatLine:
        return VatLine(
            company_id=self.company_id,
            owner_employee_id=self.owner_employee_id,
            rate=rate,
            net=net,  # type: ignore[arg-type]
            vat=vat,  # type: ignore[arg-type]
        )

    @resolver_field(EXPENSES, description="The receipt files, oldest first.", bound=RECEIPTS_BOUND)
    async def receipts(self, info: Ctx) -> list[Receipt]:
        rows = await receipts_loader(info.context).load(self.id)
        return [Receipt.from_row(row) for row in rows]

    @classmethod
    def from_row(
        cls, row: db.Expense, vat_lines: "list[db.ExpenseVatLine] | None" = None
    ) -> "Expense":
        """`vat_lines`: the expense's lines when a mutation has them in hand (else loaded)."""
        return cls(
            id=row.id,
            company_id=row.company_id,
            owner_employee_id=row.employee_id,
            kind=row.kind,
            date=row.date,
            description=row.description,
            category=row.category,
            currency=row.currency,
            original_amount=row.original_amount,  # type: ignore[arg-type]
            exchange_rate=row.exchange_rate,
            amount=row.amount,  # type: ignore[arg-type]
            vat_amount=row.vat_amount,  # type: ignore[arg-type]
            vat_rate=row.vat_rate,
            net_amount=row.amount - row.vat_amount,  # type: ignore[arg-type]
            deductible_vat=row.deductible_vat,  # type: ignore[arg-type]
            non_deductible_vat=row.vat_amount - row.deductible_vat,  # type: ignore[arg-type]
            representation_kind=row.representation_kind,
            participants=[
                Participant(
                    company_id=row.company_id,
                    owner_employee_id=row.employee_id,
                    name=str(person.get("name", "")),
                    company=person.get("company") or None,
                )
                for person in row.participants or ()
            ],
            purpose=row.purpose,
            vat_lines_in_hand=None
            if vat_lines is None
            else tuple(
                VatLine(
                    company_id=row.company_id,
                    owner_employee_id=row.employee_id,
                    rate=line.rate,
                    net=line.net,  # type: ignore[arg-type]
                    vat=line.vat,  # type: ignore[arg-type]
                )
                for line in vat_lines
            ),
            distance_km=row.distance_km,
            vehicle=row.vehicle,
            rate_per_mil=row.rate_per_mil,  # type: ignore[arg-type]
            status=row.status,
            rejection_reason=row.rejection_reason,
            decided_at=row.decided_at,
            supplier=None
            if row.supplier_name is None
            else Supplier(
                company_id=row.company_id,
                owner_employee_id=row.employee_id,
                name=row.supplier_name,
                organisation_number=shown_supplier_number(row.supplier_org_number)
                if row.supplier_org_number
                else None,
            ),
            cost_centre=row.cost_centre,
            voucher_number=row.voucher_number,
            project_id=row.project_id,
        )


def receipts_loader(ctx: RequestContext) -> DataLoader[int, list[db.Receipt]]:
    """Receipts by expense id: one statement for every expense of a request."""
    return loading.children(
        ctx, db.Receipt, db.Receipt.expense_id, order_by=[db.Receipt.id], limit=RECEIPTS_BOUND
    )


def vat_lines_loader(ctx: RequestContext) -> DataLoader[int, list[db.ExpenseVatLine]]:
    """VAT lines by expense id: one statement for every expense of a request."""
    return loading.children(
        ctx,
        db.ExpenseVatLine,
        db.ExpenseVatLine.expense_id,
        order_by=[db.ExpenseVatLine.position],
        limit=VAT_LINES_BOUND,
    )


def bas_tables_loader(
    ctx: RequestContext,
) -> DataLoader[int, dict[ExpenseCategory, int]]:
    """Each company's BAS account per category: one statement for every company of a request.
    Read as the expenses' area: whoever reads an expense reads the account it books on (the
    table itself is SETTINGS, which employees and LIMITED partners do not reach)."""

    async def load(company_ids: list[int]) -> list[dict[ExpenseCategory, int]]:
        async with loading.reading(ctx, as_area=Area.EXPENSES_RECEIPTS) as session:
            tables = await bas_account_table(session, company_ids)
        return [tables[company_id] for company_id in company_ids]

    return loading.request_loader(ctx, "bas_tables", lambda: DataLoader(load_fn=load))


# --- inputs and payloads --------------------------------------------------------------------


@strawberry.input(
    description="One VAT rate of a receipt. Give the net amount (the VAT is computed when left "
    "out); one line may leave out its net: it takes the rest of the amount."
)
class VatLineInput:
    rate: Decimal = strawberry.field(
        description="Percent; one of the rates valid for the category on the date."
    )
    net: Money | None = strawberry.field(
        default=None, description="The amount at this rate without VAT."
    )
    vat: Money | None = strawberry.field(
        default=None, description="As on the receipt (within one öre of the rate's)."
    )


@strawberry.input(description="Someone who took part in a representation meal.")
class ParticipantInput:
    name: str = strawberry.field(description="Their full name, at most 200 characters.")
    company: str | None = strawberry.field(
        default=None, description="Their company or organisation (external guests)."
    )


@strawberry.input(
    description="What a representation expense needs: its kind, everyone at the occasion "
    "(the employee included) and its purpose."
)
class RepresentationInput:
    kind: RepresentationKind = strawberry.field(
        description="INTERNAL (own staff only) or EXTERNAL (with guests)."
    )
    participants: list[ParticipantInput] = strawberry.field(
        description="Everyone at the occasion, the employee included (at most 50)."
    )
    purpose: str = strawberry.field(description="The business purpose of the occasion.")


@strawberry.input(description="Who sold what the receipt is for (the voucher's counterparty).")
class SupplierInput:
    name: str = strawberry.field(description="As on the receipt (at most 200 characters).")
    organisation_number: str | None = strawberry.field(
        default=None,
        description="A Swedish organisation number (556677-8899), a sole trader's personnummer "
        "or VAT number (SE556677889901), or a foreign supplier's VAT number (DE123456789); "
        "leave it out when the receipt shows none.",
    )


SUPPLIER = "The counterparty, as on the receipt."
COST_CENTRE = (
    "The cost centre (kostnadsställe) as the books name it: at most 20 characters, no quotes, "
    "braces or backslashes."
)
PROJECT = "A project of the expense's company (an employee: one they are assigned to)."


@strawberry.input(description="An expense paid by an employee, with VAT as on the receipt.")
class SubmitExpenseInput:
    date: datetime.date = strawberry.field(
        description="The day of the purchase, as on the receipt (it decides the VAT rates)."
    )
    amount: Money | None = strawberry.field(
        default=None,
        description="Gross amount in SEK, VAT included, above zero. Required for SEK; in another "
        "currency, give this (as on the receipt or card statement) or exchangeRate: the other "
        "is derived.",
    )
    vat_rate: Decimal | None = strawberry.field(
        default=None,
        description="Percent; one of the rates valid for the category on the date. Give this "
        "or vatLines.",
    )
    category: ExpenseCategory = strawberry.field(
        description="What the money was spent on; decides the VAT rates allowed."
    )
    description: str = strawberry.field(
        description="What was bought and why, at most 500 characters (the voucher text)."
    )
    employee_id: relay.GlobalID | None = strawberry.field(
        default=None,
        description="Whose expense; the viewer's own when left out (admins may name anyone).",
    )
    vat_amount: Money | None = strawberry.field(
        default=None, description="As on the receipt; computed from amount and rate if left out."
    )
    currency: str | None = strawberry.field(
        default=None,
        description="The receipt's currency, an ISO 4217 code (EUR, USD, ...); SEK when left "
        "out. In another currency the VAT is foreign and not deductible: one 0 % line.",
    )
    original_amount: Money | None = strawberry.field(
        default=None,
        description="The receipt's gross amount in its currency; required with another "
        "currency than SEK (whole units for currencies without decimals, such as JPY).",
    )
    exchange_rate: Decimal | None = strawberry.field(
        default=None,
        description="SEK per one unit of the currency, at most six decimals; with another "
        "currency give this or amount, or both when they agree to the öre.",
    )
    vat_lines: list[VatLineInput] | None = strawberry.field(
        default=None,
        description="The VAT per rate (at most 4), adding up to the amount; instead of "
        "vatRate and vatAmount.",
    )
    representation: RepresentationInput | None = strawberry.field(
        default=None, description="Required with category REPRESENTATION (only then)."
    )
    supplier: SupplierInput | None = strawberry.field(default=None, description=SUPPLIER)
    cost_centre: str | None = strawberry.field(default=None, description=COST_CENTRE)
    project_id: relay.GlobalID | None = strawberry.field(default=None, description=PROJECT)


@strawberry.input(description="A trip with a private or company car, paid per Swedish mil.")
class SubmitMileageInput:
    date: datetime.date = strawberry.field(
        description="The day of the trip (it decides the rate per mil)."
    )
    distance_km: Decimal = strawberry.field(description="Kilometres, at most two decimals.")
    vehicle: VehicleKind = strawberry.field(description="The car driven; decides the rate.")
    description: str = strawberry.field(
        description="Where to and why (e.g. Göteborg-Borås, kundbesök), at most 500 characters."
    )
    employee_id: relay.GlobalID | None = strawberry.field(
        default=None,
        description="Whose claim; the viewer's own when left out (admins may name anyone).",
    )
    cost_centre: str | None = strawberry.field(default=None, description=COST_CENTRE)
    project_id: relay.GlobalID | None = strawberry.field(default=None, description=PROJECT)


@strawberry.input(
    description="Changes to a submitted expense. Fields left out (null) are not changed, but "
    "supplier, costCentre and projectId: left out they are not changed, null removes them; "
    "distanceKm and vehicle apply to mileage only, supplier and the others to expenses."
)
class UpdateExpenseInput:
    date: datetime.date | None = strawberry.field(
        default=None, description="Another day of purchase or trip."
    )
    description: str | None = strawberry.field(
        default=None, description="A new text, at most 500 characters."
    )
    category: ExpenseCategory | None = strawberry.field(
        default=None, description="Another category (expenses only); the VAT must suit it."
    )
    amount: Money | None = strawberry.field(
        default=None,
        description="A new gross amount in SEK, VAT included; in another currency the rate "
        "follows from it unless exchangeRate is given too.",
    )
    vat_rate: Decimal | None = strawberry.field(
        default=None,
        description="A new VAT rate in percent, one valid for the category on the date (one "
        "line replaces the lines).",
    )
    vat_amount: Money | None = strawberry.field(
        default=None,
        description="Recomputed from amount and rate when either changes and this is left out.",
    )
    currency: str | None = strawberry.field(
        default=None,
        description="A new ISO 4217 currency; another currency than before needs its "
        "originalAmount and exchangeRate or amount again.",
    )
    original_amount: Money | None = strawberry.field(
        default=None,
        description="A new amount in the receipt's currency; the SEK amount follows at the kept "
        "rate unless amount or exchangeRate is given too.",
    )
    exchange_rate: Decimal | None = strawberry.field(
        default=None,
        description="A new rate (SEK per unit); the SEK amount follows unless given too.",
    )
    vat_lines: list[VatLineInput] | None = strawberry.field(
        default=None, description="Replace the VAT lines (instead of vatRate and vatAmount)."
    )
    representation: RepresentationInput | None = strawberry.field(
        default=None, description="Replace the representation details."
    )
    distance_km: Decimal | None = strawberry.field(
        default=None, description="A new distance in kilometres, two decimals (mileage only)."
    )
    vehicle: VehicleKind | None = strawberry.field(
        default=None, description="Another car, and with it the rate (mileage only)."
    )
    supplier: SupplierInput | None = strawberry.field(
        default=strawberry.UNSET, description=f"{SUPPLIER} Null removes it."
    )
    cost_centre: str | None = strawberry.field(
        default=strawberry.UNSET, description=f"{COST_CENTRE} Null removes it."
    )
    project_id: relay.GlobalID | None = strawberry.field(
        default=strawberry.UNSET, description=f"{PROJECT} Null removes it."
    )


@strawberry.type(description="The expense or mileage claim the mutation created or changed.")
class ExpensePayload:
    expense: Expense = field(STRUCTURAL)


@strawberry.type(description="What a deleted expense leaves: its id.")
class DeleteExpensePayload:
    deleted_id: relay.GlobalID = field(STRUCTURAL, description="The id of the deleted expense.")


@strawberry.type(description="The attached receipt, and its expense.")
class ReceiptPayload:
    receipt: Receipt = field(STRUCTURAL)
    expense: Expense = field(STRUCTURAL)


@strawberry.type(description="What a removed receipt leaves: its id, and its expense.")
class RemoveReceiptPayload:
    removed_id: relay.GlobalID = field(STRUCTURAL, description="The id of the removed receipt.")
    expense: Expense = field(STRUCTURAL)


@strawberry.enum(description="What `expenses` can be ordered by.")
class ExpenseOrderField(Enum):
    DATE = strawberry.enum_value(
        "DATE", description="The expense's date (the receipt's, or the trip's)."
    )
    AMOUNT = strawberry.enum_value("AMOUNT", description="The amount in SEK, VAT included.")
    STATUS = strawberry.enum_value(
        "STATUS",
        description="The status, by its name (APPROVED, REJECTED, SUBMITTED).",
    )
    CREATED = strawberry.enum_value("CREATED", description="When the expense was entered.")


@strawberry.input(description="An order for `expenses`: a field and a direction.")
class ExpenseOrder:
    field: ExpenseOrderField = strawberry.field(description="What to order by.")
    direction: OrderDirection = strawberry.field(
        default=OrderDirection.ASC, description=DIRECTION_DESCRIPTION
    )
