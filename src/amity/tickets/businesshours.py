"""Business-time arithmetic on a weekly opening-hours calendar in an IANA time zone.

Opening hours are local wall-clock times; each interval is turned into real instants with
``zoneinfo`` on its own day, so a day on which the clocks change is measured in real elapsed
time (a 00:00-24:00 day lasts 23 hours in spring). Holidays are local dates on which nothing
is open. Without a calendar, business time is simply elapsed time (24/7).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from itertools import pairwise
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
MAX_DAYS = 366 * 5  # a target that does not fit in five years of opening hours is refused
_HHMM = re.compile(r"^([01]\d|2[0-4]):([0-5]\d)$")


class CalendarError(ValueError):
    """Opening hours or holidays that cannot be used (the message says why)."""


@dataclass(frozen=True)
class Calendar:
    zone: ZoneInfo
    # weekday (0 = Monday) -> sorted, non-overlapping (start, end) minutes after local midnight
    week: Mapping[int, tuple[tuple[int, int], ...]] = field(default_factory=dict)
    holidays: frozenset[date] = frozenset()
    always_open: bool = False


ALWAYS = Calendar(zone=ZoneInfo("UTC"), always_open=True)


def _minutes(text: Any, where: str) -> int:
    match = _HHMM.match(text) if isinstance(text, str) else None
    if match is None:
        raise CalendarError(f"{where}: times are 'HH:MM' between 00:00 and 24:00")
    value = int(match.group(1)) * 60 + int(match.group(2))
    if value > 24 * 60:
        raise CalendarError(f"{where}: 24:00 is the latest time of a day")
    return value


def parse_hours(hours: Mapping[str, Any]) -> dict[int, tuple[tuple[int, int], ...]]:
    """{"mon": [["09:00", "17:00"]], ...} -> checked minute intervals per weekday."""
    unknown = set(hours) - set(WEEKDAYS)
    if unknown:
        raise CalendarError(f"unknown weekday(s) {sorted(unknown)}; use {', '.join(WEEKDAYS)}")
    week: dict[int, tuple[tuple[int, int], ...]] = {}
    for index, name in enumerate(WEEKDAYS):
        raw = hours.get(name) or []
        if not isinstance(raw, list):
            raise CalendarError(f"{name}: a list of [start, end] pairs")
        spans: list[tuple[int, int]] = []
        for i, pair in enumerate(raw):
            where = f"{name}.{i}"
            if not isinstance(pair, list | tuple) or len(pair) != 2:
                raise CalendarError(f"{where}: a [start, end] pair such as ['09:00', '17:00']")
            start, end = _minutes(pair[0], where), _minutes(pair[1], where)
            if start >= end:
                raise CalendarError(f"{where}: the start must come before the end")
            spans.append((start, end))
        spans.sort()
        for (_, end), (start, _) in pairwise(spans):
            if start < end:
                raise CalendarError(f"{name}: opening intervals overlap")
        if spans:
            week[index] = tuple(spans)
    if not week:
        raise CalendarError("a calendar needs opening hours on at least one day")
    return week


def parse_holidays(values: Sequence[Any]) -> frozenset[date]:
    days = set()
    for i, value in enumerate(values):
        if isinstance(value, date) and not isinstance(value, datetime):
            days.add(value)
            continue
        try:
            days.add(date.fromisoformat(value))
        except (TypeError, ValueError) as exc:
            raise CalendarError(f"holidays.{i}: a date as YYYY-MM-DD") from exc
    return frozenset(days)


def zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise CalendarError(f"'{name}' is not an IANA time zone such as 'Europe/Paris'") from exc


def make_calendar(time_zone: str, hours: Mapping[str, Any],
                  holidays: Sequence[Any] = ()) -> Calendar:
    return Calendar(zone=zone(time_zone), week=parse_hours(hours),
                    holidays=parse_holidays(holidays))


def _intervals(cal: Calendar, day: date) -> list[tuple[datetime, datetime]]:
    """The day's opening intervals as UTC instants (wall-clock boundaries, real length)."""
    if day in cal.holidays:
        return []
    midnight = datetime(day.year, day.month, day.day, tzinfo=cal.zone)
    # Adding a timedelta to an aware datetime is wall-clock arithmetic in its zone, which is
    # what opening hours are; the conversion to UTC then applies that moment's offset.
    return [((midnight + timedelta(minutes=start)).astimezone(UTC),
             (midnight + timedelta(minutes=end)).astimezone(UTC))
            for start, end in cal.week.get(day.weekday(), ())]


def _days_from(cal: Calendar, at: datetime) -> Iterator[list[tuple[datetime, datetime]]]:
    day = at.astimezone(cal.zone).date()
    for _ in range(MAX_DAYS):
        yield _intervals(cal, day)
        day += timedelta(days=1)


def add_business_time(cal: Calendar, start: datetime, seconds: float) -> datetime:
    """The instant at which ``seconds`` of business time have passed since ``start``."""
    if start.tzinfo is None:
        raise ValueError("start must be timezone-aware")
    start = start.astimezone(UTC)
    if seconds <= 0:
        return start
    if cal.always_open:
        return start + timedelta(seconds=seconds)
    left = timedelta(seconds=seconds)
    for intervals in _days_from(cal, start):
        for opens, closes in intervals:
            begin = max(opens, start)
            if begin >= closes:
                continue
            if closes - begin >= left:
                return begin + left
            left -= closes - begin
    raise CalendarError(f"the calendar has too few opening hours for {seconds / 60:.0f} "
                        "business minutes within five years")


def business_seconds_between(cal: Calendar, start: datetime, end: datetime) -> int:
    """Whole seconds of business time in [start, end) (0 if end is not after start)."""
    start, end = start.astimezone(UTC), end.astimezone(UTC)
    if end <= start:
        return 0
    if cal.always_open:
        return int((end - start).total_seconds())
    total = timedelta()
    for intervals in _days_from(cal, start):
        for opens, closes in intervals:
            if opens >= end:
                return int(total.total_seconds())
            overlap = min(closes, end) - max(opens, start)
            if overlap > timedelta():
                total += overlap
    return int(total.total_seconds())
