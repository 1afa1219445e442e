"""UTC calendar days, the grain of the roll-ups: a period in any time zone is read as its whole
UTC days (from a roll-up) and the partial days at its ends (live), which gives exact numbers
in every zone, including the half-hour ones."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import Date, cast, func
from sqlalchemy.orm import Session

from amity.core.db import is_postgres

DAY = timedelta(days=1)


def utc_day(db: Session, column: Any) -> Any:
    """The UTC calendar day of a stored time, in SQL (the same day ``day_of`` gives)."""
    if is_postgres(db):
        return cast(func.timezone("UTC", column), Date)
    return func.date(column)


def day_of(moment: datetime) -> date:
    return moment.astimezone(UTC).date()


def midnight(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def first_day_from(moment: datetime) -> date:
    """The first UTC day that starts at or after ``moment``."""
    day = day_of(moment)
    return day if midnight(day) == moment else day + DAY


def split(lo: datetime, hi: datetime) -> tuple[tuple[date, date] | None,
                                               list[tuple[datetime, datetime]]]:
    """``[lo, hi)`` as whole UTC days ``[first, end)`` and the partial days around them."""
    first = first_day_from(lo)
    end = day_of(hi)
    if first >= end:
        return None, [(lo, hi)] if lo < hi else []
    edges = [(lo, midnight(first))] if lo < midnight(first) else []
    if midnight(end) < hi:
        edges.append((midnight(end), hi))
    return (first, end), edges


__all__ = ["DAY", "day_of", "first_day_from", "midnight", "split", "utc_day"]
