"""What the API accepts and returns for business calendars, SLA policies, team routing and
agent availability."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import Field, StringConstraints, field_validator

from amity.core.schemas import Input, Output
from amity.tickets.schemas import Priority

Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
Clock = Annotated[str, StringConstraints(pattern=r"^([01]\d|2[0-4]):[0-5]\d$")]
Name = Annotated[str, StringConstraints(min_length=1, max_length=120)]
Zone = Annotated[str, StringConstraints(min_length=1, max_length=64)]
Minutes = Annotated[int, Field(ge=1, le=525_600, description="Business minutes")]
Hours = dict[Weekday, list[tuple[Clock, Clock]]]

HOURS_EXAMPLE = {"mon": [["09:00", "12:30"], ["13:30", "17:00"]], "tue": [["09:00", "17:00"]]}


class CalendarCreate(Input):
    name: Name
    time_zone: Zone = Field(description="IANA time zone, e.g. 'Europe/Paris'")
    hours: Hours = Field(description="Local opening hours per weekday; '24:00' ends a day",
                         examples=[HOURS_EXAMPLE])
    holidays: list[date] = Field(default_factory=list, max_length=2000)


class CalendarUpdate(Input):
    name: Name | None = None
    time_zone: Zone | None = None
    hours: Hours | None = None
    holidays: list[date] | None = Field(None, max_length=2000)
    version: int | None = None

    @field_validator("name", "time_zone", "hours", "holidays")
    @classmethod
    def _not_null(cls, value: Any) -> Any:
        if value is None:  # only sent values are validated: null was sent
            raise ValueError("cannot be null")
        return value


class CalendarRead(Output):
    id: uuid.UUID
    version: int
    name: str
    time_zone: str
    hours: dict[str, Any]
    holidays: list[Any]
    created_at: datetime
    updated_at: datetime


class PolicyFields(Input):
    name: Name | None = None
    priority: Priority | None = None
    match_tag: Annotated[str, StringConstraints(min_length=1, max_length=80)] | None = Field(
        None, description="Only customers (contact or company) with this tag")
    match_field: Annotated[str, StringConstraints(min_length=1, max_length=63)] | None = Field(
        None, description="Only customers whose custom field `match_field` is `match_value`")
    match_value: Annotated[str, StringConstraints(min_length=1, max_length=200)] | None = None
    calendar_id: uuid.UUID | None = Field(None, description="None: around the clock")
    first_response_minutes: Minutes | None = None
    resolution_minutes: Minutes | None = None
    warning_percent: int | None = Field(None, ge=1, le=99,
                                        description="Warn when this share of a target is used")
    position: int | None = Field(None, ge=0, le=10_000,
                                 description="Among matching policies the lowest wins")
    active: bool | None = None


class PolicyCreate(PolicyFields):
    name: Name
    priority: Priority
    first_response_minutes: Minutes
    resolution_minutes: Minutes
    warning_percent: int = Field(80, ge=1, le=99)
    position: int = Field(0, ge=0, le=10_000)
    active: bool = True


class PolicyUpdate(PolicyFields):
    version: int | None = None

    @field_validator("name", "priority", "first_response_minutes", "resolution_minutes",
                     "warning_percent", "position", "active")
    @classmethod
    def _not_null(cls, value: Any) -> Any:
        if value is None:  # only sent values are validated: null was sent
            raise ValueError("cannot be null")
        return value


class PolicyRead(Output):
    id: uuid.UUID
    version: int
    name: str
    priority: str
    match_tag: str | None
    match_field: str | None
    match_value: str | None
    calendar_id: uuid.UUID | None
    first_response_minutes: int
    resolution_minutes: int
    warning_percent: int
    position: int
    active: bool
    created_at: datetime
    updated_at: datetime


class RoutingUpdate(Input):
    mode: Literal["manual", "round_robin", "least_loaded"]


class RoutingRead(Output):
    team_id: uuid.UUID
    mode: str
    last_user_id: uuid.UUID | None
    updated_at: datetime


class AgentUpdate(Input):
    away: bool
    away_until: datetime | None = Field(None, description="Back automatically at this time")


class AgentRead(Output):
    user_id: uuid.UUID
    away: bool
    away_until: datetime | None
    updated_at: datetime
