"""Periods in the business time zone, as half-open ranges of UTC instants.

A period ``[start, end]`` of calendar dates means ``[start 00:00, end+1 00:00)`` on the wall
clock of the business time zone; converting both ends to UTC once lets every query compare
stored UTC times with two parameters (index ranges), and month buckets are a small table of
such boundaries joined in SQL, so daylight-saving changes are handled by ``zoneinfo`` and not
by either database.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from amity.core.clock import now
from amity.core.errors import ValidationFailed

MAX_DAYS = 3660  # ten years: bounds the month tables and the work of one request
FIRST_DAY, LAST_DAY = date(1900, 1, 1), date(2999, 12, 31)


def zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValidationFailed("tz.invalid", f"Unknown time zone {name!r}", "tz") from exc


def instant(day: date, tz: ZoneInfo) -> datetime:
    """00:00 of ``day`` on the business wall clock, in UTC."""
    return datetime.combine(day, time(), tz).astimezone(UTC)


@dataclass(frozen=True)
class Period:
    start: date  # inclusive
    end: date  # inclusive
    tz: ZoneInfo

    @classmethod
    def of(cls, start: date, end: date, tz_name: str) -> Period:
        if start > end:
            raise ValidationFailed("period.invalid", "'from' must not be after 'to'", "from")
        for day, field in ((start, "from"), (end, "to")):
            if not FIRST_DAY <= day <= LAST_DAY:  # keeps the previous period and +1 day valid
                raise ValidationFailed("period.out_of_range",
                                       f"Dates run from {FIRST_DAY} to {LAST_DAY}", field)
        if (end - start).days >= MAX_DAYS:
            raise ValidationFailed("period.too_long", f"A period is at most {MAX_DAYS} days",
                                   "to")
        return cls(start, end, zone(tz_name))

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    @property
    def lo(self) -> datetime:
        return instant(self.start, self.tz)

    @property
    def hi(self) -> datetime:
        return instant(self.end + timedelta(days=1), self.tz)

    def previous(self) -> Period:
        """The period of the same number of days just before this one."""
        return Period(self.start - timedelta(days=self.days), self.start - timedelta(days=1),
                      self.tz)


def month_start(day: date) -> date:
    return day.replace(day=1)


def add_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def months(first: date, last: date, tz: ZoneInfo) -> list[tuple[date, datetime, datetime]]:
    """Each month from ``first``'s to ``last``'s: (first day, UTC start, UTC end)."""
    out = []
    m = month_start(first)
    while m <= last:
        nxt = add_months(m, 1)
        out.append((m, instant(m, tz), instant(nxt, tz)))
        m = nxt
    return out


def resolve(start: date | None, end: date | None, tz_name: str) -> Period:
    """The period asked for; without dates, the current month up to today (business time)."""
    tz = zone(tz_name)
    today = now().astimezone(tz).date()
    end = end or (today if start is None or start <= today else start)
    start = start or month_start(end)
    return Period.of(start, end, tz_name)


def last_year(end: date | None, start: date | None, tz_name: str) -> Period:
    """The 365 days to ``end`` (default today, business time) unless ``start`` is given."""
    tz = zone(tz_name)
    end = end or now().astimezone(tz).date()
    return Period.of(start or end - timedelta(days=364), end, tz_name)
