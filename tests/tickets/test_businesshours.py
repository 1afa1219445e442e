"""Business-time arithmetic, with due times worked out by hand (no database needed)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from amity.tickets.businesshours import (
    ALWAYS,
    CalendarError,
    add_business_time,
    business_seconds_between,
    make_calendar,
)

WEEKDAYS = {d: [["09:00", "17:00"]] for d in ("mon", "tue", "wed", "thu", "fri")}
PARIS = make_calendar("Europe/Paris", WEEKDAYS)
NEW_YORK = make_calendar("America/New_York", WEEKDAYS)
MIN = 60


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


def test_a_target_runs_over_the_weekend() -> None:
    # Friday 6 March 2026, 16:00 in Paris (CET, UTC+1) = 15:00Z. 120 business minutes: 60 on
    # Friday until 17:00, nothing on the weekend, 60 on Monday from 09:00: Monday 10:00 CET.
    due = add_business_time(PARIS, utc(2026, 3, 6, 15), 120 * MIN)
    assert due == utc(2026, 3, 9, 9)


def test_a_holiday_is_skipped() -> None:
    # As above, but Monday 9 March is a holiday: Tuesday 10:00 CET = 09:00Z.
    cal = make_calendar("Europe/Paris", WEEKDAYS, ["2026-03-09"])
    assert add_business_time(cal, utc(2026, 3, 6, 15), 120 * MIN) == utc(2026, 3, 10, 9)


def test_daylight_saving_time_starts_over_the_weekend() -> None:
    # New York: Friday 6 March 2026 16:00 EST (UTC-5) = 21:00Z. Clocks go forward on Sunday
    # 8 March. 60 minutes on Friday, then Monday 09:00 EDT (UTC-4) + 60 minutes = 10:00 EDT
    # = 14:00Z (carrying Friday's offset over would wrongly give 15:00Z).
    due = add_business_time(NEW_YORK, utc(2026, 3, 6, 21), 120 * MIN)
    assert due == utc(2026, 3, 9, 14)
    assert due.astimezone(NEW_YORK.zone).hour == 10


def test_a_round_the_clock_day_lasts_23_hours_when_clocks_go_forward() -> None:
    # Open 00:00-24:00 every day in Paris. Saturday 28 March 2026 12:00 CET = 11:00Z. 24 hours
    # of business time end 24 real hours later, 11:00Z on Sunday = 13:00 CEST (not 12:00).
    always = make_calendar("Europe/Paris", {d: [["00:00", "24:00"]] for d in
                                            ("mon", "tue", "wed", "thu", "fri", "sat", "sun")})
    due = add_business_time(always, utc(2026, 3, 28, 11), 24 * 60 * MIN)
    assert due == utc(2026, 3, 29, 11)
    # Sunday 29 March lasts 23 hours, Sunday 25 October 25 hours
    assert business_seconds_between(always, utc(2026, 3, 28, 23), utc(2026, 3, 29, 22)) \
        == 23 * 3600
    assert business_seconds_between(always, utc(2026, 10, 24, 22), utc(2026, 10, 25, 23)) \
        == 25 * 3600


def test_opening_hours_spanning_the_missing_hour() -> None:
    # Sunday 01:00-04:00 in Paris on 29 March 2026: 01:00 CET = 00:00Z, 04:00 CEST = 02:00Z,
    # so two hours of business time that day.
    cal = make_calendar("Europe/Paris", {"sun": [["01:00", "04:00"]]})
    assert business_seconds_between(cal, utc(2026, 3, 28), utc(2026, 3, 30)) == 2 * 3600
    assert add_business_time(cal, utc(2026, 3, 28), 90 * MIN) == utc(2026, 3, 29, 1, 30)


def test_a_lunch_break_and_a_start_outside_hours() -> None:
    cal = make_calendar("Europe/Paris", {"mon": [["09:00", "12:30"], ["13:30", "17:00"]]})
    # Monday 2 March 2026 12:00 CET (11:00Z) + 60 min: 30 before lunch, 30 after 13:30.
    assert add_business_time(cal, utc(2026, 3, 2, 11), 60 * MIN) == utc(2026, 3, 2, 13)
    # Saturday 10:00 + 30 min: Monday 09:30 CET = 08:30Z
    assert add_business_time(cal, utc(2026, 3, 7, 9), 30 * MIN) == utc(2026, 3, 9, 8, 30)


def test_business_time_between_two_instants() -> None:
    # Friday 16:00 CET to Monday 10:00 CET: one hour each side of the weekend
    assert business_seconds_between(PARIS, utc(2026, 3, 6, 15), utc(2026, 3, 9, 9)) == 7200
    assert business_seconds_between(PARIS, utc(2026, 3, 9, 9), utc(2026, 3, 6, 15)) == 0
    assert business_seconds_between(ALWAYS, utc(2026, 3, 6), utc(2026, 3, 7)) == 86400


def test_without_a_calendar_business_time_is_elapsed_time() -> None:
    assert add_business_time(ALWAYS, utc(2026, 3, 6, 15), 120 * MIN) == utc(2026, 3, 6, 17)


@pytest.mark.parametrize(("hours", "message"), [
    ({"mon": [["09:00", "25:00"]]}, "HH:MM"),
    ({"mon": [["17:00", "09:00"]]}, "before the end"),
    ({"mon": [["09:00", "13:00"], ["12:00", "17:00"]]}, "overlap"),
    ({"funday": [["09:00", "17:00"]]}, "unknown weekday"),
    ({}, "at least one day"),
    ({"mon": [["09:00"]]}, "pair"),
])
def test_unusable_opening_hours_are_refused(hours: dict[str, list[list[str]]],
                                            message: str) -> None:
    with pytest.raises(CalendarError, match=message):
        make_calendar("Europe/Paris", hours)


def test_unknown_zone_and_bad_holiday_are_refused() -> None:
    with pytest.raises(CalendarError, match="IANA"):
        make_calendar("Mars/Olympus_Mons", WEEKDAYS)
    with pytest.raises(CalendarError, match=r"holidays\.0"):
        make_calendar("Europe/Paris", WEEKDAYS, ["next tuesday"])


@settings(max_examples=200, deadline=None)
@given(start=st.datetimes(min_value=datetime(2026, 1, 1), max_value=datetime(2027, 12, 31),
                          timezones=st.just(UTC)),
       seconds=st.integers(min_value=0, max_value=60 * 24 * 3600))
def test_adding_then_measuring_gives_the_same_business_time(start: datetime,
                                                            seconds: int) -> None:
    for cal in (PARIS, NEW_YORK):
        start = start.replace(microsecond=0)
        due = add_business_time(cal, start, seconds)
        assert business_seconds_between(cal, start, due) == seconds
        assert due - start >= timedelta(seconds=seconds)
