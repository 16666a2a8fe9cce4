"""GraphQL types of the accounts domain: the viewer, users, companies, sign-up and log-in."""

from datetime import date, datetime
from enum import StrEnum

import strawberry
from strawberry import relay
from strawberry.types import Info

from gql_portal.context import RequestContext
from gql_portal.db import accounts as db
from gql_portal.domain import accounts as domain
from gql_portal.domain.identity import is_sole_trader, shown_organisation_number
from gql_portal.permissions import menus
from gql_portal.permissions.document import area_sentence
from gql_portal.permissions.matrix import Area
from gql_portal.permissions.rules import (
    Anyone,
    AreaRule,
    OwnAccount,
    SignedIn,
    sees_owner_identity,
)
from gql_portal.schema.employees import Employee
from gql_portal.schema.fields import describe_values, field, resolver_field

ANYONE = Anyone()
IDENTITY = AreaRule(Area.COMPANY_IDENTITY, viewer_company=True)

# The domain's enums are the GraphQL enums (registered in place, same names).
strawberry.enum(
    domain.Industry,
    description="A company's industry. ACCOUNTING_PARTNER (Byråpartner) makes it a partner firm.",
)
strawberry.enum(
    domain.PayrollProgram, description="The payroll program a company pays salaries with."
)
strawberry.enum(domain.Role, description="A user's role in a company.")
strawberry.enum(menus.Menu, description="A menu of the service that is open to the viewer.")
describe_values(
    domain.Industry,
    {
        "ACCOUNTING_PARTNER": "Byråpartner: an accounting firm, working on clients' data in the "
        "partner portal.",
        "CONSTRUCTION": "Bygg: construction.",
        "CONSULTING": "Konsult: consulting.",
        "HEALTHCARE": "Vård och omsorg: healthcare and care.",
        "HOSPITALITY": "Hotell och restaurang: hotels and restaurants.",
        "MANUFACTURING": "Tillverkning: manufacturing.",
        "RETAIL": "Handel: retail and wholesale.",
        "TRANSPORT": "Transport: transport and logistics.",
        "CLEANING": "Städ: cleaning services.",
        "IT": "IT: software and IT services.",
        "OTHER": "Övrigt: any other industry.",
    },
)
describe_values(
    domain.PayrollProgram,
    {
        "VISMA_LON_SMART": "Visma Lön Smart (cloud): can be connected as an integration "
        "(INTEGRATIONS) by the company or a FULL partner.",
        "VISMA_LON_300": "Visma Lön 300 (desktop; also reads its own .tlu files).",
        "VISMA_LON_600": "Visma Lön 600 (desktop; also reads its own .tlu files).",
        "FORTNOX_LON": "Fortnox Lön (imports PAXml 2.0).",
        "HOGIA": "Hogia Lön.",
        "CRONA": "Crona Lön (imports PAXml 2.0).",
        "KONTEK": "Kontek Lön (imports PAXml 2.0).",
        "OTHER": "Another payroll program: exports as PAXml 2.0 or CSV.",
    },
)
describe_values(
    domain.Role,
    {
        "ADMIN": "Administers the company: every area of the matrix's admin column.",
        "EMPLOYEE": "Reports their own time, absence and expenses; reads their own details. In "
        "an accounting firm: a consultant, working on the clients it reaches in the partner "
        "portal.",
        "ASSISTANT": "Accounting firms only: reads the LIMITED areas of the clients it reaches "
        "in the partner portal (assignments apply as for consultants); cannot export, change "
        "anything, enter a client's company or administer the firm.",
    },
)
describe_values(
    menus.Menu,
    {
        **{
            menu.name: f"{area_sentence(area)[:-1]} ({area.value})."
            for menu, area in menus.MENU_AREA.items()
        },
        "PARTNER_PORTAL": "The partner portal: an accounting firm's clients (firms only).",
    },
)
Industry = domain.Industry
PayrollProgram = domain.PayrollProgram
Role = domain.Role
Menu = menus.Menu


@strawberry.enum(description="Where the session is: logged out, inside a company, or the portal.")
class ViewerContext(StrEnum):
    PUBLIC = "PUBLIC"
    COMPANY = "COMPANY"
    PORTAL = "PORTAL"


describe_values(
    ViewerContext,
    {
        "PUBLIC": "Not logged in.",
        "COMPANY": "Logged in to a company: the user's own, or a FULL client's (a firm's user).",
        "PORTAL": "A firm's user in the partner portal, working on the firm's clients.",
    },
)


@strawberry.type(description="A company: a client company or an accounting firm.")
class Company(relay.Node):
    id: relay.NodeID[int]
    company_id: strawberry.Private[int]
    organisation_digits: strawberry.Private[str]
    name: str = field(IDENTITY)
    industry: Industry = field(IDENTITY)
    is_accounting_firm: bool = field(
        IDENTITY,
        description="True for a firm (industry ACCOUNTING_PARTNER) that uses the partner portal.",
    )
    is_sole_trader: bool = field(
        IDENTITY,
        description="A sole trader (enskild firma): its organisation number is its owner's "
        "personnummer.",
    )

    @resolver_field(
        IDENTITY,
        description="Organisationsnummer, formatted NNNNNN-NNNN. A sole trader's is its owner's "
        "personnummer YYMMDD-NNNN, shown in full only to those who keep the company's identity "
        "(its admins, FULL partners inside it); everyone else sees YYMMDD-****.",
    )
    def organisation_number(self, info: Info[RequestContext, None]) -> str:
        in_full = sees_owner_identity(info.context.access, self.company_id)
        return shown_organisation_number(self.organisation_digits, in_full=in_full)

    payroll_program: PayrollProgram | None = field(AreaRule(Area.INTEGRATIONS))

    @classmethod
    def from_row(cls, row: db.Company) -> "Company":
        return cls.of(row.id, row.name, row.organisation_number, row.industry, row.payroll_program)

    @classmethod
    def of(
        cls,
        company_id: int,
        name: str,
        organisation_number: str,
        industry: Industry,
        payroll_program: PayrollProgram | None,
    ) -> "Company":
        """The company from its columns (a reader that selects them, not the row)."""
        return cls(
            id=company_id,
            company_id=company_id,
            organisation_digits=organisation_number,
            name=name,
            industry=industry,
            is_accounting_firm=domain.is_accounting_firm(industry),
            is_sole_trader=is_sole_trader(organisation_number),
            payroll_program=payroll_program,
        )


async def company_by_id(ctx: RequestContext, company_id: int) -> Company | None:
    """The company, if the viewer reaches it (`node(id:)`, a payroll period's company)."""
    if not ctx.access.reaches_company(company_id):
        return None
    async with ctx.database.session() as session:
        row = await session.get(db.Company, company_id)
    return Company.from_row(row) if row else None


@strawberry.type(description="A person who can log in.")
class User(relay.Node):
    id: relay.NodeID[int]
    email: str = field(OwnAccount())
    name: str = field(OwnAccount())
    phone: str | None = field(OwnAccount())
    email_verified: bool = field(OwnAccount())

    @classmethod
    def from_row(cls, row: db.User) -> "User":
        return cls(
            id=row.id,
            email=row.email,
            name=row.name,
            phone=row.phone,
            email_verified=row.email_verified_at is not None,
        )


@strawberry.type(description="The company's trial and activation.")
class Trial:
    ends_at: datetime = field(ANYONE)
    ends_on: date = field(ANYONE, description="The last day of the trial (Europe/Stockholm).")
    days_left: int = field(ANYONE, description="Whole days left of the trial; 0 when it ended.")
    expired: bool = field(ANYONE, description="The trial ended without activation.")
    activated: bool = field(ANYONE)
    activated_at: datetime | None = field(ANYONE)


@strawberry.type(description="Who is asking: the session's user, company, context and menus.")
class Viewer:
    context: ViewerContext = field(ANYONE)
    role: Role | None = field(ANYONE, description="The user's role in the company context.")
    user: User | None = field(ANYONE)
    company: Company | None = field(
        ANYONE, description="The company the session is in; in the portal, the viewer's firm."
    )
    employee: Employee | None = field(
        SignedIn(trial_exempt=True),
        description="The viewer's own employee record in the company context, if they have one.",
    )
    open_menus: list[Menu] = field(ANYONE)
    trial: Trial | None = field(ANYONE)


@strawberry.input(description="Create a company, its first administrator and a 14-day trial.")
class SignUpInput:
    company_name: str = strawberry.field(description="The company's registered name.")
    organisation_number: str = strawberry.field(
        description="10 digits, e.g. 556677-8899; a sole trader (enskild firma) gives its owner's "
        "personnummer, 12 or 10 digits, e.g. 19850312-1231."
    )
    industry: Industry = strawberry.field(
        description="The company's industry; ACCOUNTING_PARTNER signs up an accounting firm."
    )
    name: str = strawberry.field(description="The administrator's full name.")
    phone: str = strawberry.field(
        description="The administrator's phone number, Swedish (070-123 45 67) or "
        "international (+46 70 123 45 67)."
    )
    email: str = strawberry.field(
        description="The administrator's email address: the login, and where the login link "
        "is sent."
    )
    password: str = strawberry.field(description="At least 10 characters, not easy to guess.")
    payroll_program: PayrollProgram | None = strawberry.field(
        default=None,
        description="The payroll program the company pays salaries with, if known (default: "
        "none; it can be set later).",
    )


@strawberry.type(description="The new account: where the login link went, when the trial ends.")
class SignUpPayload:
    email: str = field(ANYONE, description="Where the email with the login link was sent.")
    company_name: str = field(ANYONE)
    trial_ends_on: date = field(ANYONE)


@strawberry.input(description="Email and password of an account whose address is confirmed.")
class LogInInput:
    email: str = strawberry.field(description="The account's email address (any case).")
    password: str = strawberry.field(description="The account's password.")


@strawberry.type(description="A new session: its token, when it expires, and who is logged in.")
class LogInPayload:
    token: str = field(
        ANYONE,
        description="The session token, for API clients (Authorization: Bearer). Browsers get "
        "it as an HttpOnly cookie as well.",
    )
    expires_at: datetime = field(ANYONE)
    viewer: Viewer = field(ANYONE)


@strawberry.type(description="The confirmed email address.")
class VerifyEmailPayload:
    email: str = field(ANYONE, description="The verified address; log in with it.")


@strawberry.type(description="The viewer after the change: context, company and open menus.")
class ViewerPayload:
    viewer: Viewer = field(ANYONE)
