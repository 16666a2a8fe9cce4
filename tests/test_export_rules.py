"""Which clients a firm's batch export skips, and why (gql_portal.domain.export_rules): a client
gets a file only with a locked month that has lines and, for PAXml, a personnummer for everyone;
otherwise the first reason in the order NO_PERIOD, PERIOD_NOT_LOCKED,
MISSING_PERSONAL_IDENTITY_NUMBER, NO_LINES."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from gql_portal.domain.export_rules import ClientMonth, batch_order, manifest_status, skip_reason
from gql_portal.domain.exports import ManifestStatus, SkipReason
from gql_portal.domain.payroll import PeriodState

LOCKED_STATES = (PeriodState.LOCKED, PeriodState.EXPORTED)

months = st.builds(
    ClientMonth,
    period_state=st.none() | st.sampled_from(PeriodState),
    employees_without_identity=st.integers(min_value=0, max_value=5),
    line_count=st.integers(min_value=0, max_value=10_000),
)


def test_a_locked_month_with_lines_is_exported() -> None:
    for state in LOCKED_STATES:
        month = ClientMonth(state, employees_without_identity=0, line_count=12)
        assert skip_reason(month, paxml=True) is None
        assert skip_reason(month, paxml=False) is None


def test_a_month_never_opened_has_no_period() -> None:
    assert skip_reason(ClientMonth(None), paxml=True) is SkipReason.NO_PERIOD


def test_an_open_period_is_not_ready_for_payroll() -> None:
    month = ClientMonth(PeriodState.OPEN, line_count=40)
    assert skip_reason(month, paxml=False) is SkipReason.PERIOD_NOT_LOCKED


def test_paxml_needs_every_employees_personal_identity_number_csv_does_not() -> None:
    month = ClientMonth(PeriodState.LOCKED, employees_without_identity=1, line_count=40)
    assert skip_reason(month, paxml=True) is SkipReason.MISSING_PERSONAL_IDENTITY_NUMBER
    assert skip_reason(month, paxml=False) is None


def test_a_locked_period_without_lines_has_nothing_to_export() -> None:
    month = ClientMonth(PeriodState.EXPORTED, line_count=0)
    assert skip_reason(month, paxml=False) is SkipReason.NO_LINES


@given(months, st.booleans())
def test_the_first_reason_that_applies_is_given(month: ClientMonth, paxml: bool) -> None:
    expected: list[SkipReason] = []
    if month.period_state is None:
        expected.append(SkipReason.NO_PERIOD)
    elif month.period_state is PeriodState.OPEN:
        expected.append(SkipReason.PERIOD_NOT_LOCKED)
    if paxml and month.employees_without_identity:
        expected.append(SkipReason.MISSING_PERSONAL_IDENTITY_NUMBER)
    if month.line_count == 0:
        expected.append(SkipReason.NO_LINES)
    assert skip_reason(month, paxml=paxml) == (expected[0] if expected else None)


@given(months, st.booleans())
def test_a_client_is_exported_exactly_when_nothing_stops_it(
    month: ClientMonth, paxml: bool
) -> None:
    exported = (
        month.period_state in LOCKED_STATES
        and month.line_count > 0
        and not (paxml and month.employees_without_identity)
    )
    reason = skip_reason(month, paxml=paxml)
    assert (reason is None) == exported
    assert manifest_status(reason) is (
        ManifestStatus.EXPORTED if exported else ManifestStatus.SKIPPED
    )


def test_clients_come_by_name_and_deleted_ones_are_left_out() -> None:
    names = {1: "Åkeri AB", 2: "Bageri AB", 3: "Bageri AB", 5: "Anna Ek"}
    assert batch_order([3, 4, 1, 2, 5], names) == [5, 3, 2, 1]


@given(
    st.lists(st.integers(min_value=1, max_value=30), unique=True),
    st.dictionaries(st.integers(min_value=1, max_value=30), st.sampled_from(["A", "B", "C"])),
)
def test_the_order_is_by_name_then_as_asked(clients: list[int], names: dict[int, str]) -> None:
    ordered = batch_order(clients, names)
    assert sorted(ordered) == sorted(c for c in clients if c in names)
    keys = [(names[c], clients.index(c)) for c in ordered]
    assert keys == sorted(keys)
