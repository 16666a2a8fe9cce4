"""Demo data for the whole company domain, deterministic from a seed.

`load_demo` creates accounting firms (ACCOUNTING_PARTNER, activated) and client companies, each
client with its collaborations (ACTIVE with one of the firms; a few PENDING, one ENDED), its
settings and Swedish time codes (`add_company_defaults`), an admin and N employees (each also a
user who can log in), schedules, customers, projects, activities and assignments,
three calendar months of reported time up to yesterday, week attestations, absences, expenses with
receipt images in the storage folder, mileage, and the three months' payroll periods.

Everything follows the domain rules: valid organisation and personal identity numbers (a few
coordination numbers), VAT rates valid on the expense's date (`vat_rates_on`), the mileage rate of
the year, time codes of the employee's own company, nothing dated after the clock's "now".

Same seed, same sizes and same clock: identical rows (ids included, on a fresh database), and
identical receipt files. Each client draws from its own random stream, so client 7 looks the same
whatever the number of clients.

Speed: rows are built as plain dicts and written with Core `insert(Model.__table__)` in
executemany chunks, one transaction per batch of clients; ids that other rows refer to are
assigned here (and PostgreSQL's sequences moved past them at the end). Receipt images are written
to storage in a worker thread while the batch's rows are inserted.
"""

from __future__ import annotations

import asyncio
import math
import random
import struct
import time
import zlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import Table, func, insert, select, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from gql_portal.clock import STOCKHOLM, Clock
from gql_portal.db.absence import Absence
from gql_portal.db.accounts import Company, Membership, User
from gql_portal.db.collaborations import Collaboration
from gql_portal.db.employees import Employee
from gql_portal.db.engine import Database
from gql_portal.db.expenses import Expense, Receipt
from gql_portal.db.payroll import PayrollPeriod
from gql_portal.db.projects import Activity, Customer, Project, ProjectAssignment
from gql_portal.db.schedules import Schedule
from gql_portal.db.settings import TimeCode, add_company_defaults
from gql_portal.db.time import TimeEntry, WeekAttestation
from gql_portal.domain.absence import AbsenceKind, AbsenceStatus
from gql_portal.domain.accounts import Industry, PayrollProgram, Role
from gql_portal.domain.collaborations import AccessLevel, CollaborationState, Initiator
from gql_portal.domain.employees import EmploymentForm, SalaryForm
from gql_portal.domain.expenses import (
    ExpenseCategory,
    ExpenseKind,
    ExpenseStatus,
    VehicleKind,
    mileage_amount,
    mileage_rate,
    vat_included,
    vat_rates_on,
)
from gql_portal.domain.identity import with_check_digit
from gql_portal.domain.payroll import PeriodState, month_period
from gql_portal.domain.time import week_start
from gql_portal.security import Passwords
from gql_portal.storage import Storage, StoredFile

DEMO_PASSWORD = "demo-losenord-2026"

FIRM_USER = "byra@demo.example"
CLIENT_ADMIN = "admin@demo.example"
EMPLOYEE = "anna@demo.example"

# `--big-company N`: one more client, of N employees, numbered far from the others' (its
# organisation number from this index; its admin admin500000@demo.example).
BIG_COMPANY_INDEX = 500_000
BIG_COMPANY_ADMIN = f"admin{BIG_COMPANY_INDEX}@demo.example"

CLIENTS_PER_TRANSACTION = 25
PROGRESS_EVERY = 100  # clients
CHUNK_ROWS = 5_000  # rows per executemany
SQLITE_CACHE_KIB = 256 * 1024


@dataclass(frozen=True)
class DemoLogins:
    firm_user: str
    client_admin: str
    employee: str
    password: str
    rows: Mapping[str, int] = field(default_factory=dict)  # table name -> rows in the database


def organisation_number(index: int) -> str:
    """A valid organisation number (digits 3-4 at least 20), unique per index below 4,000,000."""
    return with_check_digit(f"55{60 + index // 100_000 % 40:02d}{index % 100_000:05d}")


async def database_is_empty(database: Database) -> bool:
    async with database.session() as session:
        return not await session.scalar(select(func.count()).select_from(Company))


# --- vocabulary ---------------------------------------------------------------------------

_FEMALE = (
    "Anna Maria Eva Karin Kristina Lena Sara Emma Kerstin Ingrid Elin Sofia Linnéa Malin "
    "Johanna Hanna Ida Julia Maja Elsa Astrid Ebba Frida Camilla Jenny Therese Cecilia Annika "
    "Ulrika Helena Birgitta Marie Agnes Alice Wilma Amanda Matilda Louise Fatima Amira Leyla Nour "
    "Ewa Mirja"
).split()
_MALE = (
    "Lars Erik Johan Anders Per Karl Mikael Peter Jan Nils Oskar Gustav Lucas Liam William Elias "
    "Hugo Axel Viktor Filip Emil Jonas Magnus Fredrik Daniel Andreas Mattias Henrik Björn Sven "
    "Olof Mohammed Ali Ahmed Omar Dragan Mehmet Jesper Simon Alexander Tomas Stefan"
).split()
_LAST = (
    "Andersson Johansson Karlsson Nilsson Eriksson Larsson Olsson Persson Svensson Gustafsson "
    "Pettersson Jonsson Jansson Hansson Bengtsson Jönsson Lindberg Jakobsson Magnusson Lindström "
    "Olofsson Lindqvist Lindgren Berg Axelsson Bergström Lundberg Lind Lundgren Lundqvist Mattsson "
    "Berglund Fredriksson Sandberg Henriksson Forsberg Sjöberg Wallin Engström Eklund Danielsson "
    "Lundin Håkansson Björk Gunnarsson Holm Samuelsson Fransson Wikström Isaksson Nyström Holmberg "
    "Arvidsson Löfgren Söderberg Nyberg Blomqvist Claesson Nordström Mårtensson Lundström Hassan "
    "Yilmaz Nguyen Ali Kovačević Virtanen"
).split()
_WORDS = (
    "Linnea Kronan Ankaret Solrosen Björken Fyren Norrsken Vågen Eken Kastanjen Svanen Lärkan "
    "Tallen Kompassen Hamnen Granen Vitsippan Måsen Stjärnan Bryggan"
).split()
_STREETS = (
    "Storgatan,Kungsgatan,Drottninggatan,Vasagatan,Skolgatan,Kyrkogatan,Järnvägsgatan,Parkvägen,"
    "Björkvägen,Ringvägen,Industrigatan,Tallvägen,Ekvägen,Södra vägen,Östra Långgatan,Sjögatan,"
    "Trädgårdsgatan,Nygatan,Torggatan,Hamngatan,Villavägen,Lärkvägen,Skogsvägen,Ängsvägen"
).split(",")


@dataclass(frozen=True)
class _Town:
    name: str
    postal: tuple[int, int]  # first three digits of its postal codes
    tax_table: int  # roughly the municipal + regional income tax rate, rounded (approximate)
    at: tuple[float, float]  # latitude, longitude

    def km_to(self, other: _Town) -> float:
        """Straight-line distance (an equirectangular approximation: fine within Sweden)."""
        mean_latitude = math.radians((self.at[0] + other.at[0]) / 2)
        north = math.radians(other.at[0] - self.at[0])
        east = math.radians(other.at[1] - self.at[1]) * math.cos(mean_latitude)
        return 6371 * math.hypot(north, east)


_TOWNS = (
    _Town("Stockholm", (111, 129), 30, (59.33, 18.07)),
    _Town("Göteborg", (411, 426), 33, (57.71, 11.97)),
    _Town("Malmö", (211, 218), 32, (55.6, 13.0)),
    _Town("Uppsala", (752, 757), 33, (59.86, 17.64)),
    _Town("Västerås", (721, 725), 31, (59.61, 16.55)),
    _Town("Örebro", (702, 703), 33, (59.27, 15.21)),
    _Town("Linköping", (582, 589), 32, (58.41, 15.62)),
    _Town("Helsingborg", (252, 256), 31, (56.05, 12.69)),
    _Town("Jönköping", (553, 556), 33, (57.78, 14.16)),
    _Town("Norrköping", (602, 603), 33, (58.59, 16.19)),
    _Town("Lund", (222, 227), 33, (55.7, 13.19)),
    _Town("Umeå", (903, 907), 34, (63.83, 20.26)),
    _Town("Gävle", (802, 806), 33, (60.67, 17.14)),
    _Town("Borås", (503, 507), 33, (57.72, 12.94)),
    _Town("Sundsvall", (852, 857), 34, (62.39, 17.31)),
    _Town("Luleå", (972, 977), 34, (65.58, 22.15)),
    _Town("Växjö", (352, 355), 32, (56.88, 14.81)),
    _Town("Karlstad", (652, 656), 33, (59.4, 13.51)),
    _Town("Östersund", (831, 832), 35, (63.18, 14.64)),
    _Town("Falun", (791, 791), 34, (60.61, 15.63)),
    _Town("Kalmar", (392, 393), 34, (56.66, 16.36)),
    _Town("Halmstad", (302, 305), 32, (56.67, 12.86)),
    _Town("Kristianstad", (291, 291), 33, (56.03, 14.16)),
    _Town("Skellefteå", (931, 931), 34, (64.75, 20.95)),
    _Town("Visby", (621, 621), 34, (57.64, 18.3)),
)


# Towns within a day's drive there and back (by road about 1.25 x the straight line); Visby is
# on Gotland, reached by ferry.
_NEARBY = {
    town.name: [
        other
        for other in _TOWNS
        if other is not town
        and 20 < town.km_to(other) < 220
        and "Visby" not in (town.name, other.name)
    ]
    for town in _TOWNS
}


def _genitive(name: str) -> str:
    return name if name[-1] in "sxz" else name + "s"


# Company name patterns per industry: {last}, {town}, {word}.
_COMPANY_NAMES: dict[Industry, tuple[str, ...]] = {
    Industry.CONSTRUCTION: (
        "{last_gen} Bygg AB",
        "{town} Bygg & Måleri AB",
        "{last} Snickeri AB",
        "Bygg-{last} i {town} AB",
        "{town} Rör & VVS AB",
        "{last_gen} El AB",
    ),
    Industry.CONSULTING: (
        "{last} Konsult AB",
        "{town} Management AB",
        "Affärsutveckling i {town} AB",
        "{last} & Partners AB",
        "{last} Projektledning AB",
    ),
    Industry.HEALTHCARE: (
        "Hemtjänst {town} AB",
        "{town} Tandvård AB",
        "{last_gen} Fysioterapi AB",
        "Omsorg {word} i {town} AB",
    ),
    Industry.HOSPITALITY: (
        "Café {word} AB",
        "Restaurang {word} i {town} AB",
        "Hotell {word} AB",
        "{town} Pizzeria & Grill AB",
    ),
    Industry.MANUFACTURING: (
        "{town} Mekaniska Verkstad AB",
        "{last_gen} Plåt AB",
        "{word} Industri AB",
        "{town} Snickerifabrik AB",
    ),
    Industry.RETAIL: (
        "{last_gen} Livs AB",
        "{town} Cykel AB",
        "Blomsterhandeln {word} AB",
        "{town} Järnhandel AB",
    ),
    Industry.TRANSPORT: (
        "{last_gen} Åkeri AB",
        "{town} Taxi AB",
        "{town} Flytt & Transport AB",
        "Budbilen i {town} AB",
    ),
    Industry.CLEANING: (
        "{town} Städservice AB",
        "Rent & Fint i {town} AB",
        "{last_gen} Fönsterputs AB",
        "Städ-{last} AB",
    ),
    Industry.IT: (
        "{town} IT-partner AB",
        "{last} Data AB",
        "Kodverket i {town} AB",
        "{word} Software AB",
    ),
    Industry.OTHER: (
        "{town} Event AB",
        "{last_gen} Trädgård AB",
        "Kontorsservice {town} AB",
    ),
}
_INDUSTRY_WEIGHTS = {
    Industry.CONSTRUCTION: 18,
    Industry.CONSULTING: 12,
    Industry.HEALTHCARE: 8,
    Industry.HOSPITALITY: 12,
    Industry.MANUFACTURING: 8,
    Industry.RETAIL: 10,
    Industry.TRANSPORT: 9,
    Industry.CLEANING: 10,
    Industry.IT: 9,
    Industry.OTHER: 4,
}
_PROGRAM_WEIGHTS: dict[PayrollProgram | None, int] = {
    PayrollProgram.FORTNOX_LON: 25,
    PayrollProgram.VISMA_LON_SMART: 20,
    PayrollProgram.VISMA_LON_300: 12,
    PayrollProgram.VISMA_LON_600: 8,
    PayrollProgram.HOGIA: 10,
    PayrollProgram.CRONA: 10,
    PayrollProgram.KONTEK: 5,
    PayrollProgram.OTHER: 5,
    None: 5,
}
_FIRMS = (
    "Redovisningsbyrån Demo AB",
    "Siffror & Balans Redovisning AB",
    "Norrlands Lönebyrå AB",
    "Ekonomikompaniet i {town} AB",
    "Bokslut & Lön Väst AB",
    "Kalkyl Redovisningsbyrå AB",
    "Lönekontoret i {town} AB",
    "Byrån för Redovisning {town} AB",
)

# Per industry: project names ({customer}, {street}, {town}), activities, time-entry comments.
_WORK: dict[Industry, tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]] = {
    Industry.CONSTRUCTION: (
        (
            "Renovering {street}",
            "Nybyggnation villa",
            "Badrumsrenovering {customer}",
            "Takbyte {customer}",
            "Serviceavtal {customer}",
        ),
        ("Rivning", "Stomme", "Snickeri", "Målning", "El", "Etablering", "Projektledning"),
        ("Väntade på material", "Besiktning", "Extra beställning av kund"),
    ),
    Industry.CONSULTING: (
        ("Affärsplan", "Förändringsledning {customer}", "Upphandlingsstöd", "Löpande rådgivning"),
        ("Analys", "Workshop", "Rapport", "Möten", "Restid"),
        ("Styrgruppsmöte", "Intervjuer", "Ändringar efter återkoppling"),
    ),
    Industry.HEALTHCARE: (
        ("Hemtjänst {town}", "Avtal {customer}", "Hemsjukvård"),
        ("Omvårdnad", "Dokumentation", "Restid", "Utbildning"),
        ("Ny brukare", "Extrapass"),
    ),
    Industry.HOSPITALITY: (
        ("Restaurangen", "Catering {customer}", "Konferens {customer}"),
        ("Kök", "Servering", "Disk", "Kassa"),
        ("Stängning", "Bokat sällskap"),
    ),
    Industry.MANUFACTURING: (
        ("Order {customer}", "Serietillverkning", "Prototyp {customer}"),
        ("Svetsning", "Montering", "Bearbetning", "Kvalitetskontroll"),
        ("Maskinstopp", "Omställning"),
    ),
    Industry.RETAIL: (
        ("Butiken", "Inventering", "Webbutik"),
        ("Kassa", "Lager", "Varupåfyllning", "Kundservice"),
        ("Leverans", "Inventering"),
    ),
    Industry.TRANSPORT: (
        ("Distribution {customer}", "Flytt {customer}", "Linjetrafik {town}"),
        ("Körning", "Lastning och lossning", "Fordonsvård", "Väntetid"),
        ("Köer på E4", "Fordon på service"),
    ),
    Industry.CLEANING: (
        ("Kontorsstäd {customer}", "Trappstäd {customer}", "Flyttstäd", "Storstäd {customer}"),
        ("Städning", "Fönsterputs", "Storstäd", "Restid"),
        ("Extra beställning", "Nyckel saknades"),
    ),
    Industry.IT: (
        (
            "Ny webbplats {customer}",
            "Drift och support {customer}",
            "Integration mot affärssystem",
            "App för {customer}",
        ),
        ("Utveckling", "Test", "Projektledning", "Support", "Möten"),
        ("Driftstörning", "Release", "Kodgranskning"),
    ),
    Industry.OTHER: (
        ("Uppdrag {customer}", "Evenemang {town}", "Löpande uppdrag"),
        ("Utförande", "Planering", "Administration"),
        ("Kundmöte",),
    ),
}
_INTERNAL_ACTIVITIES = ("Administration", "Utbildning", "Interna möten")
_CUSTOMER_NAMES = (
    "{last_gen} Fastigheter AB",
    "Brf {word}",
    "{town} Energi AB",
    "{last} Invest AB",
    "{word} Logistik AB",
    "{town} Bostäder AB",
    "{last_gen} Bil AB",
)
_REJECTED_ABSENCE = "Krockar med en leverans till kund; välj gärna en annan vecka."

# Bank: (weight, clearing numbers, account digits); 0 digits means a Nordea personkonto
# (clearing 3300, the account is the personnummer's last ten digits).
_BANKS: tuple[tuple[int, tuple[int, int], int], ...] = (
    (30, (8100, 8999), 10),  # Swedbank: five-digit clearing with check digit
    (20, (6000, 6999), 9),  # Handelsbanken
    (18, (3300, 3300), 0),  # Nordea personkonto
    (15, (5000, 5999), 7),  # SEB
    (5, (3000, 3299), 7),  # Nordea
    (4, (9270, 9279), 7),  # ICA Banken
    (5, (9020, 9029), 7),  # Länsförsäkringar
    (3, (1200, 1399), 7),  # Danske Bank
)


@dataclass(frozen=True)
class _Purchase:
    category: ExpenseCategory
    items: tuple[str, ...]  # what was bought, where
    low: int
    high: int  # gross SEK
    rate: Decimal | None  # the usual VAT rate; None: the category's first rate on the date
    weight: int


_PURCHASES = (
    _Purchase(
        ExpenseCategory.FOOD,
        (
            "Fika till personalmöte, ICA Kvantum",
            "Livsmedel till kick-off, Coop",
            "Frukost till workshop, Willys",
            "Fika till kundmöte, Hemköp",
        ),
        80,
        900,
        None,
        20,
    ),
    _Purchase(
        ExpenseCategory.TRAVEL,
        (
            "Tågbiljett till kund, SJ",
            "Regionaltåg, Västtrafik",
            "Taxi till kundmöte, Taxi Kurir",
            "Flyg till Stockholm, SAS",
            "Buss, Skånetrafiken",
        ),
        120,
        2400,
        Decimal("6"),  # passenger transport
        14,
    ),
    _Purchase(
        ExpenseCategory.PARKING,
        ("Parkering vid kund, EasyPark", "Parkering, Aimo Park", "Parkeringshus, Q-Park"),
        20,
        260,
        Decimal("25"),
        14,
    ),
    _Purchase(
        ExpenseCategory.FUEL,
        ("Drivmedel, Circle K", "Diesel, Preem", "Bensin, OKQ8", "Diesel, St1"),
        400,
        1300,
        Decimal("25"),
        10,
    ),
    _Purchase(
        ExpenseCategory.OFFICE_SUPPLIES,
        (
            "Kontorsmaterial, Clas Ohlson",
            "Skrivarpatroner, Staples",
            "USB-hubb, Kjell & Company",
            "Headset, Dustin",
        ),
        49,
        1500,
        Decimal("25"),
        12,
    ),
    _Purchase(
        ExpenseCategory.ACCOMMODATION,
        ("Hotell, en natt, Scandic", "Hotell, Elite Hotels", "Hotell, Clarion"),
        900,
        2200,
        Decimal("12"),
        6,
    ),
    _Purchase(
        ExpenseCategory.BOOKS_NEWSPAPERS,
        ("Facklitteratur, Adlibris", "Handbok, Bokus", "Branschtidning, Akademibokhandeln"),
        150,
        700,
        Decimal("6"),
        4,
    ),
    _Purchase(
        ExpenseCategory.REPRESENTATION,
        ("Kundlunch, Restaurang Tranan", "Middag med kund, Pinchos", "Kundlunch, Max"),
        300,
        2800,
        Decimal("12"),
        6,
    ),
    _Purchase(
        ExpenseCategory.OTHER,
        ("Skyddsskor, Ahlsell", "Arbetshandskar, Biltema", "Arbetskläder, Jula"),
        150,
        1500,
        Decimal("25"),
        8,
    ),
)
_PURCHASE_WEIGHTS = tuple(purchase.weight for purchase in _PURCHASES)
_REJECTIONS = (
    "Kvitto saknas eller går inte att läsa",
    "Privat kostnad, ersätts inte",
    "Redan registrerat som ett annat utlägg",
)
_MISSING_RECEIPT = _REJECTIONS[0]
_MERCHANT_COLOURS = (
    (200, 30, 45),
    (0, 90, 160),
    (230, 120, 0),
    (0, 130, 70),
    (120, 40, 140),
    (30, 30, 30),
    (0, 150, 170),
)


# --- the calendar -------------------------------------------------------------------------


def _easter(year: int) -> date:
    """Easter Sunday (the Meeus/Jones/Butcher Gregorian algorithm)."""
    a, b, c = year % 19, year // 100, year % 100
    d, e = divmod(b, 4)
    g = (b - (b + 8) // 25 + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    weekday = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * weekday) // 451
    month, day = divmod(h + weekday - 7 * m + 114, 31)
    return date(year, month, day + 1)


def swedish_days_off(year: int) -> set[date]:
    """Public holidays and the customary days off (midsummer eve, Christmas eve, New Year's eve)."""
    easter = _easter(year)
    midsummer_eve = next(
        date(year, 6, day) for day in range(19, 26) if date(year, 6, day).weekday() == 4
    )
    return {
        date(year, 1, 1),
        date(year, 1, 6),
        easter - timedelta(days=2),
        easter + timedelta(days=1),
        date(year, 5, 1),
        easter + timedelta(days=39),
        date(year, 6, 6),
        midsummer_eve,
        date(year, 12, 24),
        date(year, 12, 25),
        date(year, 12, 26),
        date(year, 12, 31),
    }


def _at(day: date, hour: int, minute: int = 0) -> datetime:
    """A Stockholm wall-clock time on `day`, as UTC."""
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=STOCKHOLM).astimezone(UTC)


def _add_years(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February in a year without one
        return day.replace(year=day.year + years, day=28)


def _months_back(day: date, months: int) -> date:
    month = day.month - months
    year = day.year
    while month <= 0:
        month += 12
        year -= 1
    return date(year, month, 1)


@dataclass
class _Calendar:
    now: datetime
    today: date
    start: date  # the first day of the first of the three months
    periods: list[tuple[date, date]]
    days: list[date]  # every day from start to yesterday
    days_off: set[date]
    weeks: list[date]  # the Mondays of the weeks with reported days
    evening: dict[date, datetime]  # 16:00 on each day, UTC

    @classmethod
    def of(cls, clock: Clock) -> _Calendar:
        now, today = clock.now(), clock.today()
        start = _months_back(today, 2)
        periods = [month_period(_months_back(today, back)) for back in (2, 1, 0)]
        days = [start + timedelta(days=n) for n in range((today - start).days)]
        days_off = set().union(*(swedish_days_off(year) for year in {start.year, today.year}))
        weeks = sorted({week_start(day) for day in days})
        evening = {day: _at(day, 16) for day in days}
        return cls(now, today, start, periods, days, days_off, weeks, evening)


# --- receipt images -----------------------------------------------------------------------


@dataclass(frozen=True)
class ReceiptImage:
    """A small PNG of a receipt: a paper strip on a desk, a logo, lines of "text", a total and a
    barcode that encodes `serial` (so every receipt is a different file)."""

    serial: int
    width: int
    margin: int
    desk: tuple[int, int, int]
    accent: tuple[int, int, int]
    logo_width: int
    lines: tuple[tuple[int, int], ...]  # (item length, price length) in pixels
    total_length: int

    def png(self) -> bytes:
        width, x0, x1 = self.width, self.margin, self.width - self.margin
        desk, paper, ink, accent, faint = 0, 1, 2, 3, 4
        blank = bytes([desk]) * width
        plain = bytes([desk]) * x0 + bytes([paper]) * (x1 - x0) + bytes([desk]) * (width - x1)

        def bar(*segments: tuple[int, int, int]) -> bytes:
            row = bytearray(plain)
            for start, length, colour in segments:
                row[start : start + length] = bytes([colour]) * length
            return bytes(row)

        rows: list[bytes] = [blank] * 6 + [plain] * 4
        logo_start = (width - self.logo_width) // 2
        rows += [bar((logo_start, self.logo_width, accent))] * 8 + [plain] * 4
        for length in (self.width // 2, self.width // 3):
            rows += [bar(((width - length) // 2, length, faint))] * 2 + [plain] * 3
        rows += [plain] * 3
        for item, price in self.lines:
            rows += [bar((x0 + 5, item, ink), (x1 - 5 - price, price, ink))] * 3 + [plain] * 3
        dashes = bytearray(plain)
        for x in range(x0 + 3, x1 - 3, 4):
            dashes[x : x + 2] = bytes([ink, ink])
        rows += [bytes(dashes)] + [plain] * 3
        rows += [bar((x0 + 5, 22, ink), (x1 - 5 - self.total_length, self.total_length, ink))] * 4
        rows += [plain] * 4 + [bar((x0 + 5, (x1 - x0) // 2, faint))] * 2 + [plain] * 5
        code = bytearray(plain)
        x = x0 + 6
        for bit in range(24):
            thick = (self.serial >> bit) & 1
            code[x : x + 1 + thick] = bytes([ink]) * (1 + thick)
            x += 3 + thick
        rows += [bytes(code)] * 12 + [plain] * 5 + [blank] * 6
        palette = bytes([*self.desk, 252, 251, 246, 38, 38, 46, *self.accent, 150, 150, 158])
        raw = b"".join(b"\x00" + row for row in rows)
        header = struct.pack(">IIBBBBB", width, len(rows), 8, 3, 0, 0, 0)
        return (
            b"\x89PNG\r\n\x1a\n"
            + _png_chunk(b"IHDR", header)
            + _png_chunk(b"PLTE", palette)
            + _png_chunk(b"IDAT", zlib.compress(raw))
            + _png_chunk(b"IEND", b"")
        )


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def _receipt_image(rng: random.Random, serial: int) -> ReceiptImage:
    width = rng.choice((104, 112, 120, 128))
    margin = rng.randint(8, 16)
    inner = width - 2 * margin
    shade = rng.randint(200, 232)
    lines = tuple(
        (rng.randint(inner // 4, inner // 2), rng.randint(10, 20)) for _ in range(rng.randint(2, 7))
    )
    return ReceiptImage(
        serial=serial,
        width=width,
        margin=margin,
        desk=(shade, shade + rng.randint(0, 12), shade + rng.randint(4, 22)),
        accent=rng.choice(_MERCHANT_COLOURS),
        logo_width=rng.randint(inner // 3, inner - 12),
        lines=lines,
        total_length=rng.randint(16, 26),
    )


def _store_receipts(storage: Storage, jobs: Sequence[tuple[int, ReceiptImage]]) -> list[StoredFile]:
    return [storage.put("receipts", company_id, image.png(), ".png") for company_id, image in jobs]


# --- building rows ------------------------------------------------------------------------

Row = dict[str, Any]

# Insert order: every table after the ones it refers to.
_TABLES: tuple[Table, ...] = tuple(
    model.__table__  # type: ignore[misc]
    for model in (
        Company,
        User,
        Membership,
        Collaboration,
        Employee,
        Schedule,
        Customer,
        Project,
        Activity,
        ProjectAssignment,
        TimeEntry,
        WeekAttestation,
        Absence,
        Expense,
        Receipt,
        PayrollPeriod,
    )
)
# Tables whose ids are assigned here (other rows refer to them).
_OWN_IDS = ("companies", "users", "employees", "customers", "projects", "activities", "expenses")
_COUNTED = (
    "companies",
    "users",
    "memberships",
    "collaborations",
    "company_settings",
    "time_codes",
    "employees",
    "schedules",
    "customers",
    "projects",
    "activities",
    "project_assignments",
    "time_entries",
    "week_attestations",
    "absences",
    "expenses",
    "receipts",
    "payroll_periods",
)

_HOURS = [Decimal(half) / 2 for half in range(0, 49)]  # by half hours, 0-24 h
_HUNDRED = Decimal("100")
_ZERO = Decimal("0")
_MINUTES = [timedelta(minutes=m) for m in range(0, 180)]


@dataclass
class _ReceiptJob:
    company_id: int
    expense_id: int
    employee_id: int
    file_name: str
    uploaded_at: datetime
    image: ReceiptImage


@dataclass
class _Batch:
    rows: dict[str, list[Row]] = field(default_factory=lambda: {t.name: [] for t in _TABLES})
    companies: list[tuple[int, datetime]] = field(default_factory=list)  # for the defaults
    receipts: list[_ReceiptJob] = field(default_factory=list)

    def add(self, table: str, row: Row) -> None:
        self.rows[table].append(row)


@dataclass(frozen=True)
class _Firm:
    company_id: int
    user_id: int  # the firm's first user (FIRM_USER for the first firm)
    created: datetime


@dataclass
class _Person:
    first: str
    last: str
    female: bool


class _Builder:
    """Builds the rows; shared state across clients: ids, the clock, used numbers and names."""

    def __init__(
        self, calendar: _Calendar, next_ids: dict[str, int], password_hash: str, seed: int
    ) -> None:
        self.cal = calendar
        self.ids = next_ids
        self.password_hash = password_hash
        self.seed = seed
        self.personal_numbers: set[str] = set()
        self.company_names: set[str] = set()
        self.receipt_serial = 0
        self.demo_firms: list[_Firm] = []

    def take(self, table: str) -> int:
        value = self.ids[table]
        self.ids[table] = value + 1
        return value

    # --- people ---------------------------------------------------------------------------

    def person(self, rng: random.Random, *, female: bool | None = None) -> _Person:
        female = rng.random() < 0.5 if female is None else female
        first = rng.choice(_FEMALE if female else _MALE)
        return _Person(first, rng.choice(_LAST), female)

    @staticmethod
    def phone(rng: random.Random) -> str:
        return (
            f"07{rng.choice('02369')}-{rng.randint(100, 999)} "
            f"{rng.randint(10, 99)} {rng.randint(10, 99)}"
        )

    def personal_number(
        self, rng: random.Random, female: bool, coordination: bool
    ) -> tuple[str, date]:
        """YYYYMMDDNNNC: Luhn over YYMMDDNNN; the ninth digit is even for women; coordination
        numbers add 60 to the day."""
        oldest = _add_years(self.cal.today, -64)
        span = (_add_years(self.cal.today, -19) - oldest).days
        while True:
            born = oldest + timedelta(days=rng.randrange(span))
            day = born.day + 60 if coordination else born.day
            gender = rng.choice("02468" if female else "13579")
            nine = f"{born.year % 100:02d}{born.month:02d}{day:02d}{rng.randint(0, 99):02d}{gender}"
            number = f"{born.year // 100:02d}{with_check_digit(nine)}"
            if number not in self.personal_numbers:
                self.personal_numbers.add(number)
                return number, born

    def user(
        self, batch: _Batch, rng: random.Random, email: str, name: str, created: datetime
    ) -> int:
        user_id = self.take("users")
        batch.add(
            "users",
            {
                "id": user_id,
                "email": email,
                "name": name,
                "phone": self.phone(rng),
                "password_hash": self.password_hash,
                "email_verified_at": created + timedelta(minutes=rng.randint(2, 90)),
                "password_changed_at": created,
                "created_at": created,
            },
        )
        return user_id

    def company(
        self,
        batch: _Batch,
        index: int,
        name: str,
        industry: Industry,
        program: PayrollProgram | None,
        created: datetime,
        rng: random.Random,
    ) -> int:
        company_id = self.take("companies")
        batch.add(
            "companies",
            {
                "id": company_id,
                "name": name,
                "organisation_number": organisation_number(index),
                "industry": industry,
                "payroll_program": program,
                "created_at": created,
                "trial_ends_at": created + timedelta(days=14),
                "activated_at": created
                + timedelta(days=rng.randint(2, 13), hours=rng.randint(0, 6)),
            },
        )
        batch.companies.append((company_id, created))
        return company_id

    def unique_name(self, make: Callable[[], str]) -> str:
        for _ in range(20):
            name = make()
            if name not in self.company_names:
                break
        else:
            name = f"{name.removesuffix(' AB')} {len(self.company_names)} AB"
        self.company_names.add(name)
        return name

    # --- firms ----------------------------------------------------------------------------

    def firms(self, batch: _Batch, count: int) -> None:
        rng = random.Random(f"{self.seed}:firms")
        for number in range(1, count + 1):
            pattern = _FIRMS[(number - 1) % len(_FIRMS)]
            name = pattern.format(town=rng.choice(_TOWNS).name)  # one pattern per firm: unique
            self.company_names.add(name)
            created = _at(
                self.cal.today - timedelta(days=rng.randint(400, 1500)),
                rng.randint(8, 17),
                rng.randint(0, 59),
            )
            # Firms use organisation numbers far from the clients' (index 900,000 and up).
            firm_id = self.company(
                batch, 900_000 + number, name, Industry.ACCOUNTING_PARTNER, None, created, rng
            )
            for seat in range(1, rng.randint(1, 3) + 1):
                if seat == 1:
                    email = FIRM_USER if number == 1 else f"byra{number}@demo.example"
                else:
                    email = f"byra{number}-{seat}@demo.example"
                person = self.person(rng)
                name_of = (
                    "Birgitta Byråsson" if email == FIRM_USER else f"{person.first} {person.last}"
                )
                joined = created + timedelta(days=0 if seat == 1 else rng.randint(20, 300))
                user_id = self.user(batch, rng, email, name_of, joined)
                if seat == 1:
                    self.demo_firms.append(_Firm(firm_id, user_id, created))
                batch.add(
                    "memberships",
                    {
                        "user_id": user_id,
                        "company_id": firm_id,
                        "role": Role.ADMIN,
                        "created_at": joined,
                    },
                )
        # Every client collaborates with one of these firms: see `collaborations`.

    # --- clients --------------------------------------------------------------------------

    def client(self, batch: _Batch, index: int, employees: int) -> None:
        rng = random.Random(f"{self.seed}:client:{index}")
        cal = self.cal
        industry = rng.choices(list(_INDUSTRY_WEIGHTS), weights=list(_INDUSTRY_WEIGHTS.values()))[0]
        program = rng.choices(list(_PROGRAM_WEIGHTS), weights=list(_PROGRAM_WEIGHTS.values()))[0]
        town = rng.choice(_TOWNS)

        def company_name() -> str:
            last = rng.choice(_LAST)
            pattern = rng.choice(_COMPANY_NAMES[industry])
            return pattern.format(
                last=last, last_gen=_genitive(last), town=town.name, word=rng.choice(_WORDS)
            )

        name = self.unique_name(company_name)
        created = _at(
            cal.today - timedelta(days=rng.randint(150, 1500)),
            rng.randint(8, 20),
            rng.randint(0, 59),
        )
        company_id = self.company(batch, index, name, industry, program, created, rng)

        boss = self.person(rng)
        admin_email = CLIENT_ADMIN if index == 1 else f"admin{index}@demo.example"
        admin_id = self.user(batch, rng, admin_email, f"{boss.first} {boss.last}", created)
        batch.add(
            "memberships",
            {
                "user_id": admin_id,
                "company_id": company_id,
                "role": Role.ADMIN,
                "created_at": created,
            },
        )
        self.collaborations(batch, index, company_id, admin_id, program, created)

        projects = self.projects(batch, rng, company_id, industry, town, created)
        for month_start, month_end in cal.periods:
            batch.add(
                "payroll_periods",
                {
                    "company_id": company_id,
                    "start_date": month_start,
                    "end_date": month_end,
                    "state": PeriodState.OPEN,
                    "locked_at": None,
                    "locked_by_user_id": None,
                    "exported_at": None,
                    "created_at": max(created, _at(month_start, 6)),
                },
            )
        # HOOK(payroll freeze): once the payroll domain can freeze a period's basis, lock the
        # finished months here (state LOCKED, locked_at/by, frozen payroll_lines) and export the
        # oldest; until then every period stays OPEN.

        for number in range(1, employees + 1):
            self.employee(
                batch,
                rng,
                company_id,
                index,
                number,
                employees,
                industry,
                town,
                created,
                admin_id,
                projects,
            )

    # --- collaborations ---------------------------------------------------------------------

    def collaborations(
        self,
        batch: _Batch,
        index: int,
        company_id: int,
        admin_id: int,
        program: PayrollProgram | None,
        created: datetime,
    ) -> None:
        """Every client has an ACTIVE collaboration with one firm: FULL where the payroll
        program is Visma Lön Smart (the firm activates that integration inside the company),
        otherwise FULL or LIMITED. Client 1 (CLIENT_ADMIN's) is FULL with the first firm
        (FIRM_USER's), changed to it from the second (the one ENDED collaboration) and has a
        request from the third; client 2 is the first firm's too and has invited the second;
        client 3 works with another firm and has invited the first, which has yet to answer;
        a few others have a PENDING proposal in either direction.

        Drawn from a stream of its own, so that the client's other data is the same as without
        collaborations; which firm depends on the number of firms (so on `clients`)."""
        rng = random.Random(f"{self.seed}:collaborations:{index}")
        firms = self.demo_firms
        first, others = firms[0], firms[1:]
        if index <= 2:
            firm = first
        elif index == 3:
            firm = rng.choice(others)
        else:  # the first firm has about a third of the clients
            firm = rng.choices(firms, weights=[len(others)] + [2] * len(others))[0]
        if program is PayrollProgram.VISMA_LON_SMART or index == 1:
            level = AccessLevel.FULL
        elif index == 2:
            level = AccessLevel.LIMITED
        else:
            level = AccessLevel.FULL if rng.random() < 0.4 else AccessLevel.LIMITED
        since = max(created, *(f.created for f in firms)) + timedelta(days=rng.randint(1, 60))
        if index == 1:  # the client's former firm: asked, active, ended
            former = others[0]
            asked = since + timedelta(hours=rng.randint(1, 8))
            # At least 30 days after it was asked, and 30 days before now (the client is at
            # least 150 days old, the firms older still).
            room = max(0, (self.cal.now - asked).days - 60)
            ended = asked + timedelta(days=30 + rng.randint(0, room))
            self.collaboration(
                batch,
                company_id,
                former.company_id,
                AccessLevel.LIMITED,
                CollaborationState.ENDED,
                Initiator.FIRM,
                former.user_id,
                asked,
                activated=asked + timedelta(days=rng.randint(1, 3)),
                ended=ended,
            )
            since = ended + timedelta(days=rng.randint(1, 10))
        initiator = rng.choice((Initiator.CLIENT, Initiator.FIRM))
        self.collaboration(
            batch,
            company_id,
            firm.company_id,
            level,
            CollaborationState.ACTIVE,
            initiator,
            admin_id if initiator is Initiator.CLIENT else firm.user_id,
            since,
            activated=since + timedelta(days=rng.randint(0, 4), hours=rng.randint(1, 6)),
        )

        # Open proposals, waiting for the other side (never with the client's own firm).
        pending: tuple[_Firm, Initiator] | None = None
        if index == 1:
            pending = others[1], Initiator.FIRM  # CLIENT_ADMIN may accept or decline
        elif index == 2:
            pending = others[0], Initiator.CLIENT
        elif index == 3:
            pending = first, Initiator.CLIENT  # FIRM_USER may accept or decline
        elif rng.random() < 0.05:
            pending = (
                rng.choice([f for f in firms if f is not firm]),
                rng.choice((Initiator.CLIENT, Initiator.FIRM)),
            )
        if pending:
            other, initiator = pending
            asked = self.cal.now - timedelta(days=rng.randint(1, 12), hours=rng.randint(0, 8))
            self.collaboration(
                batch,
                company_id,
                other.company_id,
                rng.choice((AccessLevel.FULL, AccessLevel.LIMITED)),
                CollaborationState.PENDING,
                initiator,
                admin_id if initiator is Initiator.CLIENT else other.user_id,
                asked,
            )

    @staticmethod
    def collaboration(
        batch: _Batch,
        company_id: int,
        firm_id: int,
        level: AccessLevel,
        state: CollaborationState,
        initiator: Initiator,
        created_by: int,
        created: datetime,
        *,
        activated: datetime | None = None,
        ended: datetime | None = None,
    ) -> None:
        batch.add(
            "collaborations",
            {
                "company_id": company_id,
                "firm_id": firm_id,
                "level": level,
                "state": state,
                "initiated_by": initiator,
                "requested_level": None,
                "created_at": created,
                "created_by_user_id": created_by,
                "activated_at": activated,
                "ended_at": ended,
                "updated_at": ended or activated or created,
            },
        )

    def projects(
        self,
        batch: _Batch,
        rng: random.Random,
        company_id: int,
        industry: Industry,
        town: _Town,
        created: datetime,
    ) -> list[tuple[int, list[int]]]:
        """Customers, projects and activities; returns the active projects with activities,
        the company's internal project first."""
        customers: list[tuple[int, str]] = []
        for _ in range(rng.randint(2, 5)):
            customer_id = self.take("customers")
            last, word = rng.choice(_LAST), rng.choice(_WORDS)
            kind = rng.random()
            if kind < 0.15:
                other = rng.choice([town, *_NEARBY[town.name]]).name
                name, number = (
                    f"{other} kommun",
                    with_check_digit(f"212000{rng.randint(0, 999):03d}"),
                )
            elif kind < 0.25:
                name, number = f"Familjen {last}", None
            else:
                name = rng.choice(_CUSTOMER_NAMES).format(
                    last=last, last_gen=_genitive(last), town=town.name, word=word
                )
                number = with_check_digit(f"559{rng.randint(0, 999_999):06d}")
            batch.add(
                "customers",
                {
                    "id": customer_id,
                    "company_id": company_id,
                    "name": name,
                    "organisation_number": number,
                    "created_at": created
                    + timedelta(days=rng.randint(1, 25), hours=rng.randint(0, 6)),
                },
            )
            customers.append((customer_id, name))

        names, activity_names, _ = _WORK[industry]
        active: list[tuple[int, list[int]]] = []
        plans: list[tuple[str, str, int | None, Sequence[str], bool, datetime]] = [
            ("INT", "Intern tid", None, _INTERNAL_ACTIVITIES, True, created + timedelta(hours=2))
        ]
        # Customer projects started within the last year and a half, numbered in order per year.
        started = sorted(
            max(created + timedelta(days=30), self.cal.now - timedelta(days=rng.randint(20, 540)))
            for _ in range(rng.randint(2, 5))
        )
        for sequence, when in enumerate(started, start=1):
            customer_id, customer = rng.choice(customers)
            street = f"{rng.choice(_STREETS)} {rng.randint(1, 80)}"
            name = rng.choice(names).format(customer=customer, street=street, town=town.name)
            picked = rng.sample(activity_names, rng.randint(2, min(4, len(activity_names))))
            is_active = rng.random() > 0.15
            plans.append(
                (f"{when.year}-{sequence:03d}", name, customer_id, picked, is_active, when)
            )
        if not any(plan[4] for plan in plans[1:]):
            plans[-1] = (*plans[-1][:4], True, plans[-1][5])  # a customer project is running
        for code, name, owner, activities, is_active, when in plans:
            project_id = self.take("projects")
            batch.add(
                "projects",
                {
                    "id": project_id,
                    "company_id": company_id,
                    "customer_id": owner,
                    "code": code,
                    "name": name,
                    "active": is_active,
                    "created_at": when,
                },
            )
            activity_ids = []
            for activity in activities:
                activity_id = self.take("activities")
                batch.add(
                    "activities",
                    {
                        "id": activity_id,
                        "company_id": company_id,
                        "project_id": project_id,
                        "name": activity,
                        "active": True,
                    },
                )
                activity_ids.append(activity_id)
            if is_active:
                active.append((project_id, activity_ids))
        return active

    def employee(
        self,
        batch: _Batch,
        rng: random.Random,
        company_id: int,
        client: int,
        number: int,
        employees: int,
        industry: Industry,
        town: _Town,
        company_created: datetime,
        admin_id: int,
        projects: list[tuple[int, list[int]]],
    ) -> None:
        cal = self.cal
        showcase = client == 1 and number == 1  # anna@demo.example: a bit of everything
        person = self.person(rng, female=True if showcase else None)
        if showcase:
            person.first = "Anna"
        coordination = (
            client == 1 and number == employees and employees > 1
        ) or rng.random() < 0.03
        pin, born = self.personal_number(rng, person.female, coordination)

        # Employment: mostly monthly-paid permanent staff; hourly staff where trade has them.
        hourly_share = {
            Industry.HOSPITALITY: 0.35,
            Industry.RETAIL: 0.3,
            Industry.CLEANING: 0.3,
            Industry.HEALTHCARE: 0.2,
        }.get(industry, 0.08)
        hourly = not showcase and rng.random() < hourly_share
        part_time = not showcase and rng.random() < (0.35 if hourly else 0.12)
        weekend_shop = industry in (Industry.HOSPITALITY, Industry.RETAIL) and rng.random() < 0.3
        if part_time:
            week = rng.choice(((6, 6, 6, 6, 6, 0, 0), (8, 8, 8, 8, 0, 0, 0), (4, 4, 4, 4, 4, 0, 0)))
        elif weekend_shop:
            week = (0, 8, 8, 8, 8, 8, 0)
        else:
            week = (8, 8, 8, 8, 8, 0, 0)
        weekly_hours = sum(week)

        form_draw = rng.random()
        latest_start = cal.start - timedelta(days=30)
        if hourly and form_draw < 0.6:
            form = EmploymentForm.ON_CALL
        elif not showcase and form_draw > 0.9:
            form = EmploymentForm.FIXED_TERM
        elif not showcase and form_draw > 0.85:
            form = EmploymentForm.PROBATION
        else:
            form = EmploymentForm.PERMANENT
        employment_end: date | None = None
        if form is EmploymentForm.PROBATION:  # some started during the three months
            start = cal.start + timedelta(days=rng.randint(-120, 25))
        elif form is EmploymentForm.FIXED_TERM:
            start = cal.start - timedelta(days=rng.randint(30, 300))
            employment_end = cal.today + timedelta(days=rng.randint(40, 270))
        else:
            years_back = min(rng.expovariate(1 / 4), 18)
            start = latest_start - timedelta(days=int(years_back * 365))
        start = max(start, _add_years(born, 18))
        if form is EmploymentForm.ON_CALL:
            extent = None
        else:
            extent = (Decimal(weekly_hours) * 100 / 40).quantize(Decimal("0.01"))
        low, high = {
            Industry.IT: (38, 50),
            Industry.CONSULTING: (36, 50),
            Industry.CONSTRUCTION: (30, 42),
            Industry.MANUFACTURING: (28, 40),
            Industry.TRANSPORT: (28, 36),
            Industry.HEALTHCARE: (26, 38),
        }.get(industry, (24, 33))
        if hourly:
            salary = Decimal(rng.randrange(150 if low < 30 else 175, 251 if low >= 30 else 190))
            if rng.random() < 0.3 and salary < 250:
                salary += Decimal("0.50")
        else:
            salary = Decimal(rng.randrange(low * 1000, high * 1000 + 1, 100))
        home = town if rng.random() < 0.9 else rng.choice(_TOWNS)
        tax_table = min(42, max(29, home.tax_table + rng.choice((0, 0, 0, 0, -1, 1))))
        (clear_low, clear_high), digits = rng.choices(
            [bank[1:] for bank in _BANKS], weights=[bank[0] for bank in _BANKS]
        )[0]
        clearing = str(rng.randint(clear_low, clear_high))
        if clearing.startswith("8"):
            clearing = with_check_digit(clearing)  # Swedbank's five-digit clearing number
        account = pin[2:] if digits == 0 else str(rng.randrange(10 ** (digits - 1), 10**digits))

        email = EMPLOYEE if showcase else f"e{client}-{number}@demo.example"
        joined = max(company_created, _at(start, 8) - timedelta(days=rng.randint(2, 20)))
        joined = min(joined, cal.now - timedelta(days=1))
        user_id = self.user(batch, rng, email, f"{person.first} {person.last}", joined)
        batch.add(
            "memberships",
            {
                "user_id": user_id,
                "company_id": company_id,
                "role": Role.EMPLOYEE,
                "created_at": joined,
            },
        )
        employee_id = self.take("employees")
        postal = rng.randint(*home.postal)
        batch.add(
            "employees",
            {
                "id": employee_id,
                "company_id": company_id,
                "user_id": user_id,
                "active": True,
                "employee_number": str(number),
                "first_name": person.first,
                "last_name": person.last,
                "email": email,
                "phone": self.phone(rng),
                "street_address": f"{rng.choice(_STREETS)} {rng.randint(1, 120)}"
                + rng.choice(("", "", "", " A", " B", " lgh 1102")),
                "postal_code": f"{postal} {rng.randint(10, 99)}",
                "city": home.name,
                "personal_identity_number": pin,
                "employment_start": start,
                "employment_end": employment_end,
                "employment_form": form,
                "employment_extent": extent,
                "salary_form": SalaryForm.HOURLY if hourly else SalaryForm.MONTHLY,
                "salary_amount": salary,
                "tax_table": tax_table,
                "tax_column": 1,
                "bank_clearing_number": clearing,
                "bank_account_number": account,
                "created_at": joined,
                "updated_at": joined,
                "deactivated_at": None,
            },
        )
        batch.add(
            "schedules",
            {
                "company_id": company_id,
                "employee_id": employee_id,
                **{
                    day: _HOURS[hours * 2]
                    for day, hours in zip(
                        (
                            "monday",
                            "tuesday",
                            "wednesday",
                            "thursday",
                            "friday",
                            "saturday",
                            "sunday",
                        ),
                        week,
                        strict=True,
                    )
                },
                "updated_at": joined,
            },
        )
        internal, *customer_projects = projects
        mine = [
            internal,
            *rng.sample(customer_projects, min(len(customer_projects), rng.randint(1, 3))),
        ]
        for project_id, _ in mine:
            batch.add(
                "project_assignments",
                {"company_id": company_id, "project_id": project_id, "employee_id": employee_id},
            )

        # The admin attests every week but the last (the one in progress, or just ended); some
        # employees' last two (corrections pending): they are preliminary. Client 1's second
        # employee always is.
        late = (client == 1 and number == 2) or (not showcase and rng.random() < 0.3)
        context = _EmployeeContext(
            company_id,
            employee_id,
            admin_id,
            start,
            week,
            hourly,
            form,
            industry,
            mine,
            showcase,
            unattested_weeks=2 if late else 1,
            employment_end=employment_end,
        )
        away = self.absences(batch, rng, context)
        self.report_time(batch, rng, context, away)
        self.expenses(batch, rng, context, town, away)

    # --- absence, time, expenses ----------------------------------------------------------

    def absences(self, batch: _Batch, rng: random.Random, who: _EmployeeContext) -> set[date]:
        """Vacation: an approved week in the past three months for some (sportlov and höstlov
        weeks preferred), a future request (summer, or a week or two ahead) for many.
        Returns the days away in the reported range."""
        cal = self.cal
        away: set[date] = set()
        weekend_worker = who.week[5] > 0 or who.week[6] > 0
        candidates = [monday for monday in cal.weeks[1:-2] if monday >= max(cal.start, who.start)]
        if candidates and (who.showcase or rng.random() < 0.35):
            school_breaks = [m for m in candidates if m.isocalendar().week in (7, 8, 9, 10, 44)]
            monday = rng.choice(
                school_breaks if school_breaks and rng.random() < 0.6 else candidates
            )
            end = monday + timedelta(days=6 if weekend_worker else 4)
            asked = _at(monday - timedelta(days=rng.randint(14, 60)), rng.randint(8, 20))
            asked = max(asked, _at(who.start, 9) - timedelta(days=7))
            self.absence(
                batch,
                who,
                AbsenceKind.VACATION,
                monday,
                end,
                AbsenceStatus.APPROVED,
                asked,
                asked + timedelta(days=rng.randint(1, 5), hours=rng.randint(0, 5)),
            )
            away.update(monday + timedelta(days=n) for n in range((end - monday).days + 1))
        if who.showcase or rng.random() < 0.55:
            summer = week_start(date(cal.today.year, 7, 1)) + timedelta(weeks=rng.randint(0, 2))
            if summer - cal.today >= timedelta(days=21):
                first, weeks = summer, rng.choice((3, 3, 4))
            else:
                first = week_start(cal.today) + timedelta(weeks=rng.randint(3, 12))
                weeks = rng.choice((1, 1, 2))
            end = first + timedelta(weeks=weeks, days=-1 if weekend_worker else -3)
            if who.employment_end is not None and end > who.employment_end:
                return away  # no vacation planned after a fixed-term employment ends
            asked = _at(
                cal.today - timedelta(days=rng.randint(1, 40)),
                rng.randint(7, 21),
                rng.randint(0, 59),
            )
            draw = rng.random()
            if who.showcase or draw < 0.6:
                status, decided = AbsenceStatus.REQUESTED, None
            else:
                status = AbsenceStatus.APPROVED if draw < 0.93 else AbsenceStatus.REJECTED
                decided = min(cal.now, asked + timedelta(days=rng.randint(1, 6)))
            self.absence(batch, who, AbsenceKind.VACATION, first, end, status, asked, decided)
        return away

    def absence(
        self,
        batch: _Batch,
        who: _EmployeeContext,
        kind: AbsenceKind,
        start: date,
        end: date,
        status: AbsenceStatus,
        created: datetime,
        decided: datetime | None,
    ) -> None:
        created = min(created, self.cal.now)
        batch.add(
            "absences",
            {
                "company_id": who.company_id,
                "employee_id": who.employee_id,
                "kind": kind,
                "start_date": start,
                "end_date": end,
                "extent_percent": _HUNDRED,
                "status": status,
                "comment": _absence_comment(kind, start),
                "decided_by_user_id": who.admin_id if decided else None,
                "decided_at": min(decided, self.cal.now) if decided else None,
                "rejection_reason": _REJECTED_ABSENCE if status is AbsenceStatus.REJECTED else None,
                "created_at": created,
            },
        )

    def report_time(
        self, batch: _Batch, rng: random.Random, who: _EmployeeContext, away: set[date]
    ) -> None:
        """Reported days: ARB on projects, some overtime (OT1; MER for part-timers), a sick
        spell (SJK) or a VAB day now and then; weeks attested except the last one or two."""
        cal = self.cal
        days = [
            day
            for day in cal.days
            if who.week[day.weekday()] and day >= who.start and day not in cal.days_off
        ]
        if not days:
            return
        sick: set[date] = set()
        vab: set[date] = set()
        for chance, length, target in ((0.45, 3, sick), (0.12, 2, sick), (0.25, 2, vab)):
            if rng.random() < chance:
                first = rng.randrange(len(days))
                target.update(days[first : first + rng.randint(1, length)])
        if rng.random() < 0.15:  # the last day or two of the (unattested) last week not reported
            unreported = days[-rng.randint(1, 2) :]
            days = [day for day in days if day < cal.weeks[-1] or day not in unreported]
        full_time = sum(who.week) >= 40
        extra_code = "OT1" if full_time else "MER"
        split = who.industry in (Industry.CONSULTING, Industry.IT, Industry.CONSTRUCTION)
        comments = _WORK[who.industry][2]
        internal, *customer = who.projects
        project, activities = rng.choice(customer) if customer else internal
        company_id, employee_id = who.company_id, who.employee_id
        rows = batch.rows["time_entries"]
        habit = rng.randrange(0, 120)

        def entry(day: date, halves: int, code: str, on: tuple[int, list[int]] | None) -> None:
            at = cal.evening[day] + _MINUTES[(habit + day.toordinal() * 7) % 180]
            rows.append(
                {
                    "company_id": company_id,
                    "employee_id": employee_id,
                    "date": day,
                    "week_start": day - timedelta(days=day.weekday()),
                    "hours": _HOURS[halves],
                    "time_code_id": code,  # replaced by the company's time code id when written
                    "project_id": on[0] if on else None,
                    "activity_id": rng.choice(on[1]) if on else None,
                    "comment": rng.choice(comments) if on and rng.random() < 0.04 else None,
                    "created_at": at,
                    "updated_at": at,
                }
            )

        for day in days:
            if day in away:
                continue
            halves = who.week[day.weekday()] * 2
            if day in sick:
                entry(day, halves, "SJK", None)
                continue
            if day in vab:
                if rng.random() < 0.3:
                    entry(day, halves // 2, "VAB", None)
                    entry(day, halves - halves // 2, "ARB", (project, activities))
                else:
                    entry(day, halves, "VAB", None)
                continue
            if who.hourly:
                if who.form is EmploymentForm.ON_CALL and rng.random() < 0.25:
                    continue
                halves = rng.choice((8, 10, 12, 14, 15, 16, 16, 16, 18))
            if customer and rng.random() < 0.12:
                project, activities = rng.choice(customer)
            on = (project, activities) if rng.random() < 0.85 or not customer else internal
            if split and halves >= 8 and rng.random() < 0.15:
                first = rng.randrange(2, halves - 1)
                entry(day, first, "ARB", on)
                entry(
                    day,
                    halves - first,
                    "ARB",
                    internal if on is not internal else rng.choice(customer or [internal]),
                )
            else:
                entry(day, halves, "ARB", on)
            if not who.hourly and rng.random() < (0.08 if full_time else 0.05):
                entry(day, rng.choice((2, 3, 4, 6)), extra_code, on)

        for monday in cal.weeks[: -who.unattested_weeks]:
            if monday + timedelta(days=6) < who.start:
                continue
            at = _at(
                monday + timedelta(days=7 + rng.randint(0, 1)),
                rng.randint(8, 11),
                rng.randint(0, 59),
            )
            batch.add(
                "week_attestations",
                {
                    "company_id": company_id,
                    "employee_id": employee_id,
                    "week_start": monday,
                    "attested_at": min(at, cal.now),
                    "attested_by_user_id": who.admin_id,
                },
            )

    def expenses(
        self,
        batch: _Batch,
        rng: random.Random,
        who: _EmployeeContext,
        town: _Town,
        away: set[date],
    ) -> None:
        """Expenses with receipts (VAT rates valid on their dates) and mileage, month by month,
        on working days (not on vacation)."""
        cal = self.cal
        yesterday = cal.today - timedelta(days=1)
        workdays = [
            day
            for day in cal.days
            if day.weekday() < 5
            and day not in cal.days_off
            and day >= who.start
            and day not in away
        ]
        if not workdays:
            return
        traveller = who.showcase or rng.random() < (
            0.6
            if who.industry in (Industry.HEALTHCARE, Industry.CONSTRUCTION, Industry.CONSULTING)
            else 0.25
        )
        for month_start, month_end in cal.periods:
            in_month = [day for day in workdays if month_start <= day <= min(month_end, yesterday)]
            if not in_month:
                continue
            purchases = rng.choice((0, 0, 1, 1, 1, 2, 2, 3))
            trips = rng.choice((0, 1, 1, 2, 3)) if traveller else 0
            if who.showcase:
                purchases, trips = max(purchases, 2), max(trips, 1)
            for _ in range(purchases):
                day = rng.choice(in_month)
                kind = rng.choices(_PURCHASES, weights=_PURCHASE_WEIGHTS)[0]
                rates = vat_rates_on(day, kind.category)
                rate = kind.rate if kind.rate in rates else rates[0]
                if rng.random() < 0.6:
                    amount = Decimal(rng.randint(kind.low, kind.high))
                else:
                    amount = Decimal(rng.randint(kind.low * 100, kind.high * 100)).scaleb(-2)
                description = rng.choice(kind.items)
                expense_id, rejection, created = self.expense(
                    batch,
                    rng,
                    who,
                    ExpenseKind.EXPENSE,
                    day,
                    description,
                    kind.category,
                    amount,
                    vat_included(amount, rate),
                    rate,
                    None,
                    None,
                    None,
                )
                if rejection == _MISSING_RECEIPT:
                    continue
                copies = (
                    2
                    if kind.category is ExpenseCategory.ACCOMMODATION and rng.random() < 0.3
                    else 1
                )
                for copy in range(copies):
                    self.receipt_serial += 1
                    name = rng.choice(("kvitto", "IMG", "Kvitto", "scan"))
                    batch.receipts.append(
                        _ReceiptJob(
                            who.company_id,
                            expense_id,
                            who.employee_id,
                            f"{name}_{day:%Y%m%d}_{rng.randint(1000, 9999)}.png",
                            created + timedelta(minutes=copy),
                            _receipt_image(rng, self.receipt_serial),
                        )
                    )
            for _ in range(trips):
                day = rng.choice(in_month)
                vehicle = rng.choices(list(VehicleKind), weights=(85, 8, 7))[0]
                rate_per_mil = mileage_rate(day, vehicle)
                description, distance = self.trip(rng, town)
                self.expense(
                    batch,
                    rng,
                    who,
                    ExpenseKind.MILEAGE,
                    day,
                    description,
                    ExpenseCategory.TRAVEL,
                    mileage_amount(distance, rate_per_mil),
                    _ZERO,
                    _ZERO,
                    distance,
                    vehicle,
                    rate_per_mil,
                )

    @staticmethod
    def trip(rng: random.Random, town: _Town) -> tuple[str, Decimal]:
        """A drive and its distance in km: local, or there and back to a town within reach
        by road (straight-line distance x 1.25)."""
        nearby = _NEARBY[town.name]
        if nearby and rng.random() < 0.5:
            other = rng.choice(nearby)
            km = round(2 * 1.25 * town.km_to(other)) + rng.randint(-4, 6)
            what = rng.choice((f"Kundbesök, {town.name}–{other.name} t/r", f"Kurs i {other.name}"))
            return what, Decimal(km)
        what = rng.choice(
            (
                f"Kundbesök i {town.name}",
                "Körning mellan arbetsplatser",
                "Materialhämtning",
                "Möte hos kund",
            )
        )
        return what, Decimal(rng.randint(6, 60))

    def expense(
        self,
        batch: _Batch,
        rng: random.Random,
        who: _EmployeeContext,
        kind: ExpenseKind,
        day: date,
        description: str,
        category: ExpenseCategory,
        amount: Decimal,
        vat_amount: Decimal,
        vat_rate: Decimal,
        distance: Decimal | None,
        vehicle: VehicleKind | None,
        rate_per_mil: Decimal | None,
    ) -> tuple[int, str | None, datetime]:
        cal = self.cal
        created = _at(
            day + timedelta(days=rng.choice((0, 0, 1, 2, 3))),
            rng.randint(15, 21),
            rng.randint(0, 59),
        )
        if created > cal.now:
            created = _at(day, rng.randint(15, 21), rng.randint(0, 59))  # day is before today
        age = (cal.today - day).days
        draw = rng.random()
        decided: datetime | None = None
        rejection: str | None = None
        status = ExpenseStatus.SUBMITTED
        if (age > 10 and draw < 0.9) or (age <= 10 and draw < 0.2):
            decided = created + timedelta(days=rng.randint(1, 6), hours=rng.randint(0, 4))
            if decided < cal.now:
                status = ExpenseStatus.APPROVED
                if draw < (0.05 if kind is ExpenseKind.EXPENSE else 0.02):
                    status, rejection = ExpenseStatus.REJECTED, rng.choice(_REJECTIONS)
            else:
                decided = None
        expense_id = self.take("expenses")
        batch.add(
            "expenses",
            {
                "id": expense_id,
                "company_id": who.company_id,
                "employee_id": who.employee_id,
                "kind": kind,
                "date": day,
                "description": description,
                "category": category,
                "currency": "SEK",
                "amount": amount,
                "vat_amount": vat_amount,
                "vat_rate": vat_rate,
                "distance_km": distance,
                "vehicle": vehicle,
                "rate_per_mil": rate_per_mil,
                "status": status,
                "decided_by_user_id": who.admin_id if decided else None,
                "decided_at": decided,
                "rejection_reason": rejection,
                "created_at": created,
                "updated_at": decided or created,
            },
        )
        return expense_id, rejection, created


def _absence_comment(kind: AbsenceKind, start: date) -> str | None:
    if kind is not AbsenceKind.VACATION:
        return None
    if start.month in (6, 7, 8):
        return "Sommarsemester"
    week = start.isocalendar().week
    if week in (7, 8, 9, 10):
        return "Sportlov"
    if week == 44:
        return "Höstlov"
    return None


@dataclass
class _EmployeeContext:
    company_id: int
    employee_id: int
    admin_id: int
    start: date
    week: tuple[int, ...]  # hours Monday..Sunday
    hourly: bool
    form: EmploymentForm
    industry: Industry
    projects: list[tuple[int, list[int]]]  # internal first
    showcase: bool
    unattested_weeks: int
    employment_end: date | None


# --- writing ------------------------------------------------------------------------------


async def _insert(connection: AsyncConnection, table: Table, rows: list[Row]) -> None:
    for start in range(0, len(rows), CHUNK_ROWS):
        await connection.execute(insert(table), rows[start : start + CHUNK_ROWS])


CompanyDefaults = Callable[[AsyncSession, int, datetime], None]


def _company_defaults() -> CompanyDefaults:
    return add_company_defaults


async def _write(
    database: Database, storage: Storage, batch: _Batch, add_company_defaults: CompanyDefaults
) -> None:
    jobs = [(job.company_id, job.image) for job in batch.receipts]
    files = asyncio.create_task(asyncio.to_thread(_store_receipts, storage, jobs))
    try:
        async with database.transaction() as session:
            connection = await session.connection()
            if connection.dialect.name == "sqlite":
                # A bigger page cache for this connection: the indexes of a big load are
                # written in no particular order, and the default 2 MB thrashes.
                await connection.exec_driver_sql(f"PRAGMA cache_size = -{SQLITE_CACHE_KIB}")
            await _insert(connection, Company.__table__, batch.rows["companies"])  # type: ignore[arg-type]
            for company_id, created in batch.companies:
                add_company_defaults(session, company_id, created)
            await session.flush()
            session.expunge_all()
            company_ids = [company_id for company_id, _ in batch.companies]
            codes = TimeCode.__table__.c
            found = await connection.execute(
                select(codes.company_id, codes.code, codes.id).where(
                    codes.company_id.in_(company_ids)
                )
            )
            code_ids = {(company_id, code): code_id for company_id, code, code_id in found}
            for row in batch.rows["time_entries"]:
                row["time_code_id"] = code_ids[row["company_id"], row["time_code_id"]]
            for table in _TABLES[1:]:
                if table.name == "receipts":
                    stored = await files
                    batch.rows["receipts"] = [
                        {
                            "company_id": job.company_id,
                            "expense_id": job.expense_id,
                            "employee_id": job.employee_id,
                            "file_name": job.file_name,
                            "content_type": "image/png",
                            "size_bytes": file.size_bytes,
                            "sha256": file.sha256,
                            "storage_key": file.storage_key,
                            "uploaded_at": job.uploaded_at,
                        }
                        for job, file in zip(batch.receipts, stored, strict=True)
                    ]
                await _insert(connection, table, batch.rows[table.name])
    finally:
        await asyncio.wait([files])  # never leave the writer running (nor its error unseen)
        if not files.cancelled():
            files.exception()


async def _next_ids(database: Database) -> dict[str, int]:
    async with database.session() as session:
        return {
            name: int(
                await session.scalar(text(f"SELECT COALESCE(MAX(id), 0) + 1 FROM {name}")) or 1
            )
            for name in _OWN_IDS
        }


async def _finish(database: Database) -> dict[str, int]:
    """Move PostgreSQL's id sequences past the ids assigned here, refresh the planner's
    statistics, and count the rows."""
    if database.engine.dialect.name == "postgresql":
        async with database.transaction() as session:
            for name in _OWN_IDS:
                await session.execute(
                    text(
                        f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), "
                        f"(SELECT COALESCE(MAX(id), 1) FROM {name}))"
                    )
                )
    async with database.engine.connect() as connection:
        await connection.execute(text("ANALYZE"))
        await connection.commit()
    async with database.session() as session:
        return {
            name: int(await session.scalar(text(f"SELECT COUNT(*) FROM {name}")) or 0)
            for name in _COUNTED
        }


async def load_demo(
    database: Database,
    clock: Clock,
    storage: Storage,
    *,
    clients: int = 3,
    employees: int = 5,
    seed: int = 2026,
    big_company: int = 0,
    passwords: Passwords | None = None,
    progress: Callable[[str], None] | None = None,
) -> DemoLogins:
    """Load the demo: firms, `clients` client companies with `employees` employees each and
    three months of their data up to the clock's today; with `big_company`, one more client
    of that many employees (`BIG_COMPANY_ADMIN`). Receipt files go to `storage`."""
    if clients < 1 or employees < 1:
        raise ValueError("the demo needs at least one client and one employee per client")
    if big_company < 0:
        raise ValueError("the big company's employees cannot be negative")
    started = time.monotonic()
    add_company_defaults = _company_defaults()
    password_hash = await (passwords or Passwords()).hash(DEMO_PASSWORD)
    builder = _Builder(_Calendar.of(clock), await _next_ids(database), password_hash, seed)
    batch = _Batch()
    builder.firms(batch, min(8, 3 + clients // 250))
    for index in range(1, clients + 1):
        builder.client(batch, index, employees)
        if index % CLIENTS_PER_TRANSACTION == 0 or index == clients:
            await _write(database, storage, batch, add_company_defaults)
            batch = _Batch()
            if progress and (index % PROGRESS_EVERY == 0 or index == clients):
                progress(f"{index}/{clients} clients ({time.monotonic() - started:.1f} s)")
    await _lock_oldest_months(database, clock, LOCKED_CLIENTS)
    if big_company:
        # Added after the locks: all its periods stay OPEN (a live basis of every month).
        await _add_big_company(database, storage, builder, big_company, add_company_defaults)
        if progress:
            progress(f"a company of {big_company} employees ({time.monotonic() - started:.1f} s)")
    rows = await _finish(database)
    return DemoLogins(FIRM_USER, CLIENT_ADMIN, EMPLOYEE, DEMO_PASSWORD, rows)


async def _add_big_company(
    database: Database,
    storage: Storage,
    builder: _Builder,
    employees: int,
    add_company_defaults: CompanyDefaults,
) -> None:
    """One more client with `employees` employees and the demo's three months of data,
    collaborating with a firm other than the first (the firm user's board stays the same)."""
    firms = builder.demo_firms
    builder.demo_firms = firms[1:] or firms
    try:
        batch = _Batch()
        builder.client(batch, BIG_COMPANY_INDEX, employees)
        await _write(database, storage, batch, add_company_defaults)
    finally:
        builder.demo_firms = firms


# Clients whose oldest demo month is LOCKED with its frozen basis (the rest stay OPEN, so that
# the large benchmark sizes still load in minutes).
LOCKED_CLIENTS = 25


async def _lock_oldest_months(database: Database, clock: Clock, limit: int) -> None:
    """Lock the oldest period of the first `limit` client companies, as an admin would."""
    from gql_portal.db.payroll import PayrollPeriod
    from gql_portal.domain.payroll import PeriodState
    from gql_portal.resolvers.payroll import freeze_basis

    async with database.transaction() as session:
        oldest = (
            select(PayrollPeriod.company_id, func.min(PayrollPeriod.start_date).label("start"))
            .group_by(PayrollPeriod.company_id)
            .subquery()
        )
        periods = (
            await session.scalars(
                select(PayrollPeriod)
                .join(
                    oldest,
                    (oldest.c.company_id == PayrollPeriod.company_id)
                    & (oldest.c.start == PayrollPeriod.start_date),
                )
                .order_by(PayrollPeriod.company_id)
                .limit(limit)
            )
        ).all()
        for period in periods:
            period.state = PeriodState.LOCKED
            period.locked_at = clock.now()
            await freeze_basis(session, period)


def describe(rows: Mapping[str, int]) -> Iterable[str]:
    """The row counts, for the command line."""
    width = max(len(name) for name in rows)
    return (f"  {name:<{width}} {count:>10,}".replace(",", " ") for name, count in rows.items())
