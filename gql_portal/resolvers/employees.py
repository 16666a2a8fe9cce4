"""Employees: list, create, update contact and salary details, deactivate."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated, Any

import strawberry
from sqlalchemy import ColumnElement, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry import relay

from gql_portal.context import RequestContext
from gql_portal.db.employees import Employee
from gql_portal.db.functions import in_byte_order, swedish_sort_key
from gql_portal.domain.audit import AuditAction
from gql_portal.domain.identity import InvalidNumber, normalize_personal_identity_number
from gql_portal.domain.validation import clean_email, clean_phone, clean_text
from gql_portal.errors import Problems, bad_input
from gql_portal.permissions.matrix import Area, Op
from gql_portal.permissions.rules import AreaRule
from gql_portal.resolvers.audit import audit
from gql_portal.resolvers.common import (
    Ctx,
    changed_fields,
    like,
    node_id,
    not_found,
    search_pattern,
)
from gql_portal.resolvers.loading import ChildRows, by_id, company_filter, paginate
from gql_portal.resolvers.ordering import OrderChoice, SortKey, chosen_order, default_order
from gql_portal.schema import employees as gql
from gql_portal.schema.fields import field, mutation
from gql_portal.schema.id_filters import CompanyIdFilter
from gql_portal.schema.portal import CLIENT_EMPLOYEES_BOUND
from gql_portal.schema.relay import After, Before, Connection, First, Last

CONTACT_FIELDS = (
    "employee_number",
    "first_name",
    "last_name",
    "email",
    "phone",
    "street_address",
    "postal_code",
    "city",
)
SALARY_FIELDS = (
    "personal_identity_number",
    "employment_start",
    "employment_end",
    "employment_form",
    "employment_extent",
    "salary_form",
    "salary_amount",
    "tax_table",
    "tax_column",
    "bank_clearing_number",
    "bank_account_number",
)


CONTACT_AREA = Area.EMPLOYEE_CONTACT
# Byte order of the stored names, as the list always had (`orderBy: {field: NAME}` sorts as in
# Swedish instead).
DEFAULT_ORDER = default_order([Employee.last_name, Employee.first_name, Employee.id])
EMPLOYEE_ORDERS = {
    gql.EmployeeOrderField.NAME: OrderChoice(
        [
            SortKey(Employee.last_name, swedish_sort_key),
            SortKey(Employee.first_name, swedish_sort_key),
        ]
    ),
    gql.EmployeeOrderField.EMPLOYEE_NUMBER: OrderChoice(
        [SortKey(Employee.employee_number, in_byte_order)]
    ),
    gql.EmployeeOrderField.EMPLOYMENT_START: OrderChoice(
        [SortKey(Employee.employment_start, nullable=True)], area=Area.EMPLOYEE_SALARY
    ),
}


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


# --- reading ------------------------------------------------------------------------------


async def employees(
    info: Ctx,
    first: First = None,
    after: After = None,
    last: Last = None,
    before: Before = None,
    active: Annotated[
        bool | None,
        strawberry.argument(
            description="True (default): current staff; false: former staff only; null: both."
        ),
    ] = True,
    search: Annotated[
        str | None,
        strawberry.argument(
            description="Text anywhere in the full name, the employee number or the email "
            "address (case-insensitive; blank: no filter)."
        ),
    ] = None,
    company_id: CompanyIdFilter = None,
    order_by: Annotated[
        gql.EmployeeOrder | None,
        strawberry.argument(description="The order (default: by last name, first name, id)."),
    ] = None,
) -> Connection[gql.Employee]:
    """The employees the viewer reaches, by name (or `orderBy`); `active: null` lists former
    staff too."""
    statement = select(Employee).where(
        *company_filter(info.context, Employee.company_id, company_id)
    )
    if active is not None:
        statement = statement.where(Employee.active.is_(active))
    pattern = search_pattern(search)
    if pattern:
        statement = statement.where(
            or_(
                like(func.lower(Employee.first_name + " " + Employee.last_name), pattern),
                like(func.lower(Employee.employee_number), pattern),
                like(func.lower(func.coalesce(Employee.email, "")), pattern),
            )
        )
    order = chosen_order(
        info.context, order_by, EMPLOYEE_ORDERS, Employee.id, DEFAULT_ORDER, listed=CONTACT_AREA
    )
    return await paginate(
        info.context,
        statement,
        order,
        gql.Employee.from_row,
        first=first,
        after=after,
        last=last,
        before=before,
    )


def _employed(active: bool | None) -> list[ColumnElement[bool]]:
    """`active`: true current staff, false former staff, null both."""
    return [] if active is None else [Employee.active.is_(active)]


# `PortalClient.employees`: a client's employees by name, one statement for a page of clients
# (read by the resolver below and by the compiled path, gql_portal/compiled).
CLIENT_EMPLOYEES = ChildRows(
    Employee,
    Employee.company_id,
    parent_key="company_id",
    order_by=(Employee.last_name, Employee.first_name, Employee.id),
    narrowing=_employed,
    limit=CLIENT_EMPLOYEES_BOUND,
)


async def company_employees(
    ctx: RequestContext, company_id: int, active: bool | None
) -> list[gql.Employee]:
    """A company's employees by name, for a list under each client: one statement for every
    client of the page (a DataLoader by company), within the viewer's row scope."""
    rows = await CLIENT_EMPLOYEES.loader(ctx, active=active).load(company_id)
    return [gql.Employee.from_row(row) for row in rows]


async def employee_by_id(ctx: RequestContext, employee_id: int) -> gql.Employee | None:
    row = await by_id(ctx, Employee).load(employee_id)
    return gql.Employee.from_row(row) if row else None


# --- validation ---------------------------------------------------------------------------


def _check_contact(problems: Problems, values: dict[str, Any], *, creating: bool) -> dict[str, Any]:
    cleaned: dict[str, Any] = {}
    for name in ("employee_number", "first_name", "last_name"):
        if values.get(name) is not None or creating:
            limit = 20 if name == "employee_number" else 100
            cleaned[name] = clean_text(
                problems, _camel(name), values.get(name) or "", max_length=limit
            )
    if values.get("email") is not None:
        cleaned["email"] = (
            clean_email(problems, "email", values["email"]) if values["email"].strip() else None
        )
    if values.get("phone") is not None:
        cleaned["phone"] = (
            clean_phone(problems, "phone", values["phone"]) if values["phone"].strip() else None
        )
    for name, limit in (("street_address", 200), ("city", 100)):
        if values.get(name) is not None:
            cleaned[name] = (
                clean_text(problems, _camel(name), values[name], max_length=limit, required=False)
                or None
            )
    if values.get("postal_code") is not None:
        code = values["postal_code"].replace(" ", "")
        if code and (not code.isdigit() or len(code) != 5):
            problems.add("postalCode", "INVALID_POSTAL_CODE", "must be five digits, e.g. 411 05")
        cleaned["postal_code"] = f"{code[:3]} {code[3:]}" if code else None
    return cleaned


def _check_salary(problems: Problems, values: dict[str, Any], today: date) -> dict[str, Any]:
    cleaned: dict[str, Any] = {}
    pin = values.get("personal_identity_number")
    if pin is not None:
        try:
            cleaned["personal_identity_number"] = normalize_personal_identity_number(pin, today)
        except InvalidNumber as error:
            problems.add("personalIdentityNumber", error.reason, str(error))
    for name in ("employment_start", "employment_end", "employment_form", "salary_form"):
        if values.get(name) is not None:
            cleaned[name] = values[name]
    extent = values.get("employment_extent")
    if extent is not None:
        if not Decimal(0) < extent <= Decimal(100) or extent != extent.quantize(Decimal("0.01")):
            problems.add(
                "employmentExtent", "OUT_OF_RANGE", "must be a percentage above 0 and at most 100"
            )
        cleaned["employment_extent"] = extent.quantize(Decimal("0.01"))
    amount = values.get("salary_amount")
    if amount is not None:
        if amount < 0:
            problems.add("salaryAmount", "NEGATIVE", "must not be negative")
        cleaned["salary_amount"] = amount
    table = values.get("tax_table")
    if table is not None:
        if not 29 <= table <= 42:
            problems.add("taxTable", "OUT_OF_RANGE", "Swedish tax tables are 29-42")
        cleaned["tax_table"] = table
    column = values.get("tax_column")
    if column is not None:
        if not 1 <= column <= 6:
            problems.add("taxColumn", "OUT_OF_RANGE", "tax table columns are 1-6")
        cleaned["tax_column"] = column
    clearing = values.get("bank_clearing_number")
    if clearing is not None:
        digits = clearing.replace("-", "").replace(" ", "")
        if not digits.isdigit() or len(digits) not in (4, 5):
            problems.add("bankClearingNumber", "INVALID_CLEARING_NUMBER", "must be 4 or 5 digits")
        cleaned["bank_clearing_number"] = digits
    account = values.get("bank_account_number")
    if account is not None:
        digits = account.replace("-", "").replace(" ", "")
        if not digits.isdigit() or not 1 <= len(digits) <= 15:
            problems.add("bankAccountNumber", "INVALID_ACCOUNT_NUMBER", "must be up to 15 digits")
        cleaned["bank_account_number"] = digits
    return cleaned


def _check_dates(problems: Problems, employee: Employee) -> None:
    if (
        employee.employment_start
        and employee.employment_end
        and employee.employment_end < employee.employment_start
    ):
        problems.add("employmentEnd", "BEFORE_START", "must not be before the employment start")


async def _number_taken(
    session: AsyncSession, company_id: int, number: str, exclude: int | None
) -> bool:
    statement = select(Employee.id).where(
        Employee.company_id == company_id,
        Employee.employee_number == number,
        Employee.active.is_(True),
    )
    if exclude is not None:
        statement = statement.where(Employee.id != exclude)
    return (await session.scalar(statement)) is not None


def _values(input_object: object, names: tuple[str, ...]) -> dict[str, Any]:
    return {name: getattr(input_object, name, None) for name in names}


# --- writing ------------------------------------------------------------------------------


async def create_employee(
    info: Ctx,
    input: Annotated[
        gql.CreateEmployeeInput,
        strawberry.argument(
            description="The new employee's contact details, and salary details if known."
        ),
    ],
) -> gql.EmployeePayload:
    ctx = info.context
    problems = Problems()
    contact = _check_contact(problems, _values(input, CONTACT_FIELDS), creating=True)
    salary = (
        _check_salary(problems, _values(input.salary, SALARY_FIELDS), ctx.clock.today())
        if input.salary
        else {}
    )
    company_id = ctx.access.company_id
    assert company_id is not None
    now = ctx.clock.now()
    try:
        async with ctx.database.scoped(ctx.access, Op.MANAGE) as session:
            employee = Employee(
                company_id=company_id,
                active=True,
                created_at=now,
                updated_at=now,
                **contact,
                **salary,
            )
            _check_dates(problems, employee)
            if contact.get("employee_number") and await _number_taken(
                session, company_id, contact["employee_number"], None
            ):
                problems.add("employeeNumber", "TAKEN", "another active employee has this number")
            problems.raise_if_any()
            session.add(employee)
            await session.flush()
            audit(session, ctx, AuditAction.EMPLOYEE_CREATED, employee_id=employee.id)
    except IntegrityError:
        raise bad_input(
            "employeeNumber", "TAKEN", "another active employee has this number"
        ) from None
    return gql.EmployeePayload(employee=gql.Employee.from_row(employee))


async def _update(
    ctx: RequestContext, id: relay.GlobalID, values: dict[str, Any], action: AuditAction
) -> gql.EmployeePayload:
    employee_id = node_id(id, "Employee")
    try:
        async with ctx.database.scoped(ctx.access, Op.WRITE) as session:
            employee = await session.scalar(select(Employee).where(Employee.id == employee_id))
            if employee is None:
                raise not_found("Employee")
            problems = Problems()
            number = values.get("employee_number")
            if (
                number
                and number != employee.employee_number
                and employee.active
                and await _number_taken(session, employee.company_id, number, employee.id)
            ):
                problems.add("employeeNumber", "TAKEN", "another active employee has this number")
            for name, value in values.items():
                setattr(employee, name, value)
            _check_dates(problems, employee)
            problems.raise_if_any()
            employee.updated_at = ctx.clock.now()
            audit(
                session,
                ctx,
                action,
                company_id=employee.company_id,
                employee_id=employee.id,
                fields=changed_fields(values),
            )
    except IntegrityError:
        raise bad_input(
            "employeeNumber", "TAKEN", "another active employee has this number"
        ) from None
    return gql.EmployeePayload(employee=gql.Employee.from_row(employee))


async def update_employee_contact(
    info: Ctx,
    id: Annotated[
        relay.GlobalID,
        strawberry.argument(description="The employee to change (an `Employee` id)."),
    ],
    input: Annotated[
        gql.EmployeeContactInput,
        strawberry.argument(
            description="The contact details to change; fields left out keep their value."
        ),
    ],
) -> gql.EmployeePayload:
    problems = Problems()
    values = _check_contact(problems, _values(input, CONTACT_FIELDS), creating=False)
    problems.raise_if_any()
    return await _update(info.context, id, values, AuditAction.EMPLOYEE_CONTACT_UPDATED)


async def update_employee_salary(
    info: Ctx,
    id: Annotated[
        relay.GlobalID,
        strawberry.argument(description="The employee to change (an `Employee` id)."),
    ],
    input: Annotated[
        gql.EmployeeSalaryInput,
        strawberry.argument(
            description="The salary details to change; fields left out keep their value."
        ),
    ],
) -> gql.EmployeePayload:
    problems = Problems()
    values = _check_salary(problems, _values(input, SALARY_FIELDS), info.context.clock.today())
    problems.raise_if_any()
    return await _update(info.context, id, values, AuditAction.EMPLOYEE_SALARY_UPDATED)


async def _set_active(info: Ctx, id: relay.GlobalID, active: bool) -> gql.EmployeePayload:
    ctx = info.context
    employee_id = node_id(id, "Employee")
    try:
        async with ctx.database.scoped(ctx.access, Op.MANAGE) as session:
            employee = await session.scalar(select(Employee).where(Employee.id == employee_id))
            if employee is None:
                raise not_found("Employee")
            if employee.active != active:
                if active and await _number_taken(
                    session, employee.company_id, employee.employee_number, employee.id
                ):
                    raise bad_input(
                        "employeeNumber", "TAKEN", "another active employee has this number now"
                    )
                employee.active = active
                employee.deactivated_at = None if active else ctx.clock.now()
                employee.updated_at = ctx.clock.now()
                audit(
                    session,
                    ctx,
                    AuditAction.EMPLOYEE_REACTIVATED
                    if active
                    else AuditAction.EMPLOYEE_DEACTIVATED,
                    company_id=employee.company_id,
                    employee_id=employee.id,
                )
    except IntegrityError:
        raise bad_input(
            "employeeNumber", "TAKEN", "another active employee has this number now"
        ) from None
    return gql.EmployeePayload(employee=gql.Employee.from_row(employee))


async def deactivate_employee(
    info: Ctx,
    id: Annotated[
        relay.GlobalID,
        strawberry.argument(
            description="The employee who has left (an `Employee` id); their history is kept."
        ),
    ],
) -> gql.EmployeePayload:
    return await _set_active(info, id, False)


async def reactivate_employee(
    info: Ctx,
    id: Annotated[
        relay.GlobalID,
        strawberry.argument(
            description="The former employee to make current again (an `Employee` id)."
        ),
    ],
) -> gql.EmployeePayload:
    return await _set_active(info, id, True)


# --- the domain's root fields ---------------------------------------------------------------

CONTACT_READ = AreaRule(Area.EMPLOYEE_CONTACT)


@strawberry.type
class Queries:
    employees = field(
        CONTACT_READ,
        employees,
        description="Employees by name; filter by `active` (default true; null for all) and a "
        "`search` over name, employee number and email.",
    )


@strawberry.type
class Mutations:
    create_employee = mutation(
        AreaRule(Area.EMPLOYEE_CONTACT, Op.MANAGE),
        create_employee,
        description="Add an employee (admin work: not for LIMITED partners).",
    )
    update_employee_contact = mutation(
        AreaRule(Area.EMPLOYEE_CONTACT, Op.WRITE),
        update_employee_contact,
        description="Change contact details; employees may change their own.",
    )
    update_employee_salary = mutation(
        AreaRule(Area.EMPLOYEE_SALARY, Op.WRITE),
        update_employee_salary,
        description="Change salary details.",
    )
    deactivate_employee = mutation(
        AreaRule(Area.EMPLOYEE_CONTACT, Op.MANAGE),
        deactivate_employee,
        description="Mark an employee as no longer employed; the record and its history stay.",
    )
    reactivate_employee = mutation(AreaRule(Area.EMPLOYEE_CONTACT, Op.MANAGE), reactivate_employee)
