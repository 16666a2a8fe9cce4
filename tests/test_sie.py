"""SIE 4i vouchers of approved expenses, read back by a parser written from the SIE 4
specification (tests/sie_reader.py, not the writer's own code): layout, encoding, balance and
totals."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gql_portal.domain.bas import EMPLOYEE_LIABILITY_ACCOUNT, VAT_ACCOUNT, InvalidBasAccount
from gql_portal.domain.sie import (
    PROJECT_DIMENSION,
    SieError,
    SieFile,
    SieTransaction,
    SieVoucher,
    UnbalancedVoucher,
    expense_voucher,
    sie4i_bytes,
    sie_object_id,
    sie_organisation_number,
    sie_text,
)
from tests.sie_reader import ReadVoucher, read_sie

# --- worked example ---------------------------------------------------------------------------

COMPANY = "Bageri Åkesson & Söner AB"
ORGNR = "556677-8899"
DAY = date(2026, 4, 15)


def one_file(*vouchers: SieVoucher, **extra: object) -> SieFile:
    return SieFile(
        company_name=COMPANY,
        organisation_number=ORGNR,
        generated=date(2026, 5, 2),
        vouchers=vouchers,
        program_version="1.2.3",
        **extra,  # type: ignore[arg-type]
    )


def test_a_1250_kr_receipt_with_25_percent_vat_is_this_file_byte_for_byte() -> None:
    voucher = expense_voucher(
        series="U",
        number=7,
        day=DAY,
        text="Pärmar och pennor, Clas Ohlson",
        gross=Decimal("1250.00"),
        vat=Decimal("250.00"),
        cost_account=6110,
        receipt_names=("0007_kvitto.jpg",),
    )

    assert sie4i_bytes(one_file(voucher)) == (
        "#FLAGGA 0\r\n"
        '#PROGRAM "gql-portal" "1.2.3"\r\n'
        "#FORMAT PC8\r\n"
        "#GEN 20260502\r\n"
        "#SIETYP 4\r\n"
        "#ORGNR 556677-8899\r\n"
        '#FNAMN "Bageri Åkesson & Söner AB"\r\n'
        '#KONTO 2641 "Debiterad ingående moms"\r\n'
        '#KONTO 2820 "Kortfristiga skulder till anställda"\r\n'
        '#KONTO 6110 "Kontorsmateriel"\r\n'
        '#VER "U" "7" 20260415 "Pärmar och pennor, Clas Ohlson (kvitto: 0007_kvitto.jpg)"\r\n'
        "{\r\n"
        "#TRANS 6110 {} 1000.00 20260415\r\n"
        "#TRANS 2641 {} 250.00 20260415\r\n"
        "#TRANS 2820 {} -1250.00 20260415\r\n"
        "}\r\n"
    ).encode("cp437")


def test_the_worked_example_reads_back_as_cost_vat_and_liability() -> None:
    voucher = expense_voucher(
        series="U",
        number=7,
        day=DAY,
        text="Kontorsmaterial",
        gross=Decimal("1250.00"),
        vat=Decimal("250.00"),
        cost_account=6110,
    )
    read = read_sie(sie4i_bytes(one_file(voucher)))

    [ver] = read.vouchers
    assert [(account, amount) for account, _, amount, _, _ in ver.rows] == [
        (6110, Decimal("1000.00")),
        (2641, Decimal("250.00")),
        (2820, Decimal("-1250.00")),
    ]
    assert (ver.series, ver.number, ver.date) == ("U", "7", "20260415")


def test_a_restaurant_receipt_with_12_and_25_percent_books_the_sum_of_its_vat_lines() -> None:
    # lunch 560.00 at 12 % (500.00 + 60.00) and wine 250.00 at 25 % (200.00 + 50.00)
    voucher = expense_voucher(
        series="U",
        number=8,
        day=DAY,
        text="Lunch",
        gross=Decimal("810.00"),
        vat=Decimal("60.00") + Decimal("50.00"),
        cost_account=5831,
    )

    assert [(row.account, row.amount) for row in voucher.transactions] == [
        (5831, Decimal("700.00")),
        (2641, Decimal("110.00")),
        (2820, Decimal("-810.00")),
    ]


def test_capped_representation_vat_is_its_own_cost_row() -> None:
    # two guests, 1120.00 at 12 % (1000.00 + 120.00); VAT deductible on at most 300.00 excl.
    # VAT a person: 12 % of 600.00 = 72.00; the other 48.00 is a cost
    voucher = expense_voucher(
        series="U",
        number=9,
        day=DAY,
        text="Representation, kundlunch",
        gross=Decimal("1120.00"),
        vat=Decimal("120.00"),
        deductible_vat=Decimal("72.00"),
        cost_account=6072,
    )
    read = read_sie(sie4i_bytes(one_file(voucher)))

    assert [(account, amount, text) for account, _, amount, _, text in read.vouchers[0].rows] == [
        (6072, Decimal("1000.00"), None),
        (6072, Decimal("48.00"), "Ej avdragsgill moms"),
        (2641, Decimal("72.00"), None),
        (2820, Decimal("-1120.00"), None),
    ]


def test_a_receipt_without_vat_has_no_vat_row() -> None:
    voucher = expense_voucher(
        series="U",
        number=10,
        day=DAY,
        text="Parkering",
        gross=Decimal("45.00"),
        vat=Decimal("0.00"),
        cost_account=5800,
    )

    assert [row.account for row in voucher.transactions] == [5800, EMPLOYEE_LIABILITY_ACCOUNT]


# --- layout -----------------------------------------------------------------------------------


def test_the_identification_items_come_first_in_the_specifications_order() -> None:
    read = read_sie(sie4i_bytes(one_file(_voucher(1), _voucher(2))))

    assert read.labels[:7] == [
        "#FLAGGA",
        "#PROGRAM",
        "#FORMAT",
        "#GEN",
        "#SIETYP",
        "#ORGNR",
        "#FNAMN",
    ]
    assert read.items["#FLAGGA"] == ["0"]
    assert read.items["#FORMAT"] == ["PC8"]
    assert read.items["#SIETYP"] == ["4"]
    assert read.items["#PROGRAM"] == ["gql-portal", "1.2.3"]
    first_voucher = read.labels.index("#VER")
    assert set(read.labels[7:first_voucher]) == {"#KONTO"}
    assert read.labels[first_voucher:] == ["#VER", "{", "#TRANS", "#TRANS", "}"] * 2


def test_every_account_used_is_named_once_from_the_company_table_or_bas() -> None:
    voucher = _voucher(1, cost_account=5999)
    read = read_sie(sie4i_bytes(one_file(voucher, accounts={5999: "Egen resekostnad"})))

    assert read.accounts == {5999: "Egen resekostnad", 2820: "Kortfristiga skulder till anställda"}


def test_an_account_without_a_name_is_refused() -> None:
    with pytest.raises(SieError):
        sie4i_bytes(one_file(_voucher(1, cost_account=5999)))


def test_cost_centre_and_project_are_objects_declared_before_the_vouchers() -> None:
    voucher = expense_voucher(
        series="U",
        number=1,
        day=DAY,
        text="Tåg",
        gross=Decimal("106.00"),
        vat=Decimal("6.00"),
        cost_account=5800,
        dimensions=((1, "100"), (PROJECT_DIMENSION, "P17")),
    )
    data = sie4i_bytes(one_file(voucher, objects={(6, "P17"): "Ombyggnad Storgatan"}))
    read = read_sie(data)

    assert b'#TRANS 5800 {1 "100" 6 "P17"} 100.00 20260415\r\n' in data
    assert read.items["#DIM"] == ["6", "Projekt"]
    assert read.objects == {(1, "100"): "100", (6, "P17"): "Ombyggnad Storgatan"}
    assert read.labels.index("#OBJEKT") < read.labels.index("#VER")


def test_a_quote_in_a_text_is_escaped_with_a_backslash() -> None:
    data = sie4i_bytes(one_file(_voucher(1, text='Hotell "Kung Karl"')))

    assert b'#VER "U" "1" 20260415 "Hotell \\"Kung Karl\\""\r\n' in data


def test_a_brace_in_an_object_id_cannot_end_the_object_list() -> None:
    voucher = expense_voucher(
        series="U",
        number=1,
        day=DAY,
        text="Taxi",
        gross=Decimal("100.00"),
        vat=Decimal("0.00"),
        cost_account=5800,
        dimensions=((6, "P{1}"),),
    )

    assert b'#TRANS 5800 {6 "P(1)"} 100.00' in sie4i_bytes(one_file(voucher))


def test_a_voucher_without_a_number_leaves_it_to_the_receiving_program() -> None:
    read = read_sie(sie4i_bytes(one_file(_voucher(None))))

    assert read.vouchers[0].number == ""


@pytest.mark.parametrize(
    ("stored", "in_file"),
    [
        ("5566778899", "556677-8899"),
        ("556677-8899", "556677-8899"),
        ("165566778899", "556677-8899"),
        ("198112189876", "811218-9876"),  # a sole trader: the owner's personnummer
    ],
)
def test_the_organisation_number_is_written_with_a_dash(stored: str, in_file: str) -> None:
    assert sie_organisation_number(stored) == in_file


def test_a_malformed_organisation_number_is_refused() -> None:
    with pytest.raises(SieError):
        sie_organisation_number("55667788")


# --- encoding ---------------------------------------------------------------------------------


def test_swedish_letters_are_code_page_437_and_read_back() -> None:
    text = "Räksmörgås på Café Östermalm, ÅÄÖ åäö é"
    data = sie4i_bytes(one_file(_voucher(1, text=text)))

    assert "ö".encode("cp437") == b"\x94" and b"R\x84ksm\x94rg\x86s" in data
    assert read_sie(data).vouchers[0].text == text


@pytest.mark.parametrize(
    ("text", "read_back"),
    [
        ('Hotell "Kung Karl"', 'Hotell "Kung Karl"'),  # escaped as \" in the file
        ("Taxi – Köpenhamn 12 €", "Taxi - Köpenhamn 12 EUR"),
        ("Přemysl’s čaj", "Premysl's caj"),
        ("rad ett\r\nrad två\tflik", "rad ett  rad två flik"),
        ("C:\\kvitton\\", "C:/kvitton/"),
        ("中文", "??"),
    ],
)
def test_text_outside_code_page_437_is_replaced_sensibly(text: str, read_back: str) -> None:
    assert sie_text(text) == read_back
    assert read_sie(sie4i_bytes(one_file(_voucher(1, text=text)))).vouchers[0].text == read_back


# --- refusals ---------------------------------------------------------------------------------


def test_an_unbalanced_voucher_cannot_be_made() -> None:
    rows = (SieTransaction(6110, Decimal("100.00")), SieTransaction(2820, Decimal("-99.99")))
    with pytest.raises(UnbalancedVoucher) as refused:
        SieVoucher("U", 1, DAY, "x", rows)
    assert refused.value.code == "VOUCHER_UNBALANCED"


def test_a_voucher_has_at_least_two_rows() -> None:
    with pytest.raises(UnbalancedVoucher):
        SieVoucher("U", 1, DAY, "x", (SieTransaction(6110, Decimal("0.00")),))


@pytest.mark.parametrize(
    "amount", [Decimal("0.001"), Decimal("NaN"), Decimal("Infinity"), Decimal("-1E30")]
)
def test_amounts_are_whole_ore(amount: Decimal) -> None:
    with pytest.raises(SieError):
        SieTransaction(6110, amount)


@pytest.mark.parametrize("dimensions", [((1, "A"), (1, "B")), ((0, "A"),), ((6, ""),)])
def test_a_row_has_one_object_per_dimension(dimensions: tuple[tuple[int, str], ...]) -> None:
    with pytest.raises(SieError):
        SieTransaction(6110, Decimal("1.00"), None, dimensions)


def test_accounts_are_bas_numbers() -> None:
    with pytest.raises(InvalidBasAccount):
        SieTransaction(9100, Decimal("1.00"))


@pytest.mark.parametrize(
    ("gross", "vat", "deductible"),
    [
        ("0.00", "0.00", None),
        ("100.00", "120.00", None),
        ("100.00", "20.00", "25.00"),
        ("100.00", "20.00", "-1.00"),
    ],
)
def test_an_expense_voucher_needs_vat_within_the_gross(
    gross: str, vat: str, deductible: str | None
) -> None:
    with pytest.raises(SieError):
        expense_voucher(
            series="U",
            number=1,
            day=DAY,
            text="x",
            gross=Decimal(gross),
            vat=Decimal(vat),
            deductible_vat=None if deductible is None else Decimal(deductible),
            cost_account=6110,
        )


# --- properties -------------------------------------------------------------------------------

_cents = st.integers(min_value=1, max_value=100_000_000)
_cost_accounts = st.sampled_from([5611, 5800, 5831, 6071, 6072, 6110, 6970, 6990, 7690])
_days = st.dates(min_value=date(2022, 1, 1), max_value=date(2030, 12, 31))
_dimensions = st.dictionaries(
    st.sampled_from([1, 6]), st.text(min_size=1, max_size=8), max_size=2
).map(lambda objects: tuple(objects.items()))


@dataclass(frozen=True)
class Expense:
    """What the expenses hand over: SEK in öre, VAT included."""

    gross: Decimal
    vat: Decimal
    deductible_vat: Decimal


@st.composite
def expenses(draw: st.DrawFn) -> Expense:
    gross = draw(_cents)
    vat = draw(st.integers(min_value=0, max_value=gross))
    deductible = draw(st.integers(min_value=0, max_value=vat))
    return Expense(*(Decimal(cents).scaleb(-2) for cents in (gross, vat, deductible)))


@st.composite
def expense_files(draw: st.DrawFn) -> tuple[list[Expense], SieFile]:
    claims = draw(st.lists(expenses(), min_size=1, max_size=8))
    vouchers = tuple(
        expense_voucher(
            series=draw(st.sampled_from(["U", "UTL", ""])),
            number=number,
            day=draw(_days),
            text=draw(st.text(max_size=60)),
            gross=claim.gross,
            vat=claim.vat,
            deductible_vat=claim.deductible_vat,
            cost_account=draw(_cost_accounts),
            dimensions=draw(_dimensions),
        )
        for number, claim in enumerate(claims, start=1)
    )
    company = draw(st.text(min_size=1, max_size=40))
    return claims, SieFile(company, ORGNR, date(2026, 5, 2), vouchers, program_version="1")


@st.composite
def any_vouchers(draw: st.DrawFn) -> SieVoucher:
    """Any accounts and texts: debit rows, and a last row that balances them."""
    debits = draw(st.lists(_cents, min_size=1, max_size=6))
    accounts = st.integers(min_value=1000, max_value=8999)
    rows = [
        SieTransaction(draw(accounts), Decimal(cents).scaleb(-2), draw(st.none() | st.text()))
        for cents in debits
    ]
    rows.append(SieTransaction(draw(accounts), -sum((row.amount for row in rows), Decimal(0))))
    number = draw(st.none() | st.integers(min_value=1, max_value=10**9))
    return SieVoucher(draw(st.text(max_size=3)), number, draw(_days), draw(st.text()), tuple(rows))


def assert_reads_back_equal(written: SieVoucher, ver: ReadVoucher) -> None:
    number = "" if written.number is None else str(written.number)
    day = written.date.strftime("%Y%m%d")
    assert (ver.series, ver.number, ver.date) == (sie_text(written.series), number, day)
    assert ver.text == sie_text(written.text)
    assert ver.rows == [
        (
            row.account,
            [part for number, obj in row.dimensions for part in (str(number), sie_object_id(obj))],
            row.amount,
            day,
            None if row.text is None else sie_text(row.text),
        )
        for row in written.transactions
    ]


@settings(max_examples=150, deadline=None)
@given(vouchers=st.lists(any_vouchers(), min_size=1, max_size=5))
def test_random_vouchers_balance_and_read_back_equal(vouchers: list[SieVoucher]) -> None:
    accounts = {row.account: f"Konto {row.account}" for v in vouchers for row in v.transactions}
    sie = SieFile("AB", ORGNR, DAY, tuple(vouchers), accounts=accounts, program_version="1")
    read = read_sie(sie4i_bytes(sie))

    assert read.labels.count("#KONTO") == len(accounts)
    for written, ver in zip(vouchers, read.vouchers, strict=True):
        assert sum(amount for _, _, amount, _, _ in ver.rows) == 0
        assert_reads_back_equal(written, ver)


@settings(max_examples=150, deadline=None)
@given(claims_and_file=expense_files())
def test_random_expenses_balance_and_total_what_was_approved(
    claims_and_file: tuple[list[Expense], SieFile],
) -> None:
    claims, sie = claims_and_file
    read = read_sie(sie4i_bytes(sie))

    assert read.items["#FNAMN"] == [sie_text(sie.company_name)]
    for written, ver in zip(sie.vouchers, read.vouchers, strict=True):
        assert sum(amount for _, _, amount, _, _ in ver.rows) == 0
        assert_reads_back_equal(written, ver)

    def total(accounts: set[int]) -> Decimal:
        rows = [row for ver in read.vouchers for row in ver.rows if row[0] in accounts]
        return sum((amount for _, _, amount, _, _ in rows), Decimal(0))

    assert -total({EMPLOYEE_LIABILITY_ACCOUNT}) == sum(claim.gross for claim in claims)
    assert total({VAT_ACCOUNT}) == sum(claim.deductible_vat for claim in claims)
    costs = {6110, 5611, 5800, 5831, 6071, 6072, 6970, 6990, 7690}
    assert total(costs) == sum(claim.gross - claim.deductible_vat for claim in claims)


# --- helpers ----------------------------------------------------------------------------------


def _voucher(number: int | None, *, text: str = "Taxi", cost_account: int = 5800) -> SieVoucher:
    rows = (SieTransaction(cost_account, Decimal("89.00")), SieTransaction(2820, Decimal("-89.00")))
    return SieVoucher("U", number, DAY, text, rows)
