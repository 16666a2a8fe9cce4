"""The trial's rule (domain/accounts.py), which the API's viewer and `gql-portal accounts` share."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from gql_portal.domain.accounts import last_day_of_trial, trial_state

# 2025-03-14 23:00 UTC is midnight in Stockholm (CET, UTC+1) between the 14th and the 15th.
STOCKHOLM_MIDNIGHT = datetime(2025, 3, 14, 23, 0, tzinfo=UTC)


def test_a_trial_that_ends_at_midnight_has_the_day_before_as_its_last() -> None:
    assert last_day_of_trial(STOCKHOLM_MIDNIGHT) == date(2025, 3, 14)
    assert last_day_of_trial(STOCKHOLM_MIDNIGHT + timedelta(seconds=1)) == date(2025, 3, 15)


def test_days_left_are_whole_days_rounded_up_and_never_below_zero() -> None:
    ends = STOCKHOLM_MIDNIGHT
    assert trial_state(ends, None, ends - timedelta(days=2, hours=1)).days_left == 3
    assert trial_state(ends, None, ends - timedelta(days=2)).days_left == 2
    assert trial_state(ends, None, ends - timedelta(seconds=1)).days_left == 1
    assert trial_state(ends, None, ends + timedelta(days=5)).days_left == 0


def test_a_trial_has_expired_from_its_end_on_unless_the_company_activated() -> None:
    ends = STOCKHOLM_MIDNIGHT
    assert not trial_state(ends, None, ends - timedelta(seconds=1)).expired
    assert trial_state(ends, None, ends).expired
    activated = trial_state(ends, ends - timedelta(days=1), ends + timedelta(days=30))
    assert (activated.expired, activated.activated) == (False, True)
    assert activated.activated_at == ends - timedelta(days=1)
