"""Managing business calendars, SLA policies, team routing and agent availability.

Changing a calendar or a policy applies to tickets whose due times are computed from then on
(new tickets, and tickets whose priority or customer changes); due times already computed
stay as they were promised.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from amity.auth.models import Team, User
from amity.core import audit
from amity.core.clock import now
from amity.core.errors import Conflict, NotFound, PreconditionFailed, ValidationFailed
from amity.tickets.assignment import routing_for
from amity.tickets.businesshours import CalendarError, parse_holidays, parse_hours, zone
from amity.tickets.models import AgentStatus, BusinessCalendar, SlaPolicy, TeamRouting
from amity.tickets.sla_schemas import (
    AgentUpdate,
    CalendarCreate,
    CalendarUpdate,
    PolicyCreate,
    PolicyUpdate,
    RoutingUpdate,
)

CALENDAR_FIELDS = ("name", "time_zone", "hours", "holidays")
POLICY_FIELDS = ("name", "priority", "match_tag", "match_field", "match_value", "calendar_id",
                 "first_response_minutes", "resolution_minutes", "warning_percent", "position",
                 "active")


def _check_version(sent: int | None, expected: int | None, current: int) -> None:
    version = sent if sent is not None else expected
    if version is not None and version != current:
        raise PreconditionFailed()


def _snapshot(row: Any, names: tuple[str, ...]) -> dict[str, Any]:
    return {k: getattr(row, k) for k in names}


def _unique_name(db: Session, model: Any, name: str, own_id: uuid.UUID | None) -> None:
    found = db.scalar(select(model.id).where(model.name == name))
    if found is not None and found != own_id:
        raise ValidationFailed("name.taken", f"'{name}' is already used", "name")


def _apply_calendar(db: Session, cal: BusinessCalendar, data: CalendarCreate | CalendarUpdate,
                    fields: set[str]) -> None:
    if "time_zone" in fields and data.time_zone is not None:
        try:
            zone(data.time_zone)
        except CalendarError as exc:
            raise ValidationFailed("calendar.time_zone", str(exc), "time_zone") from exc
        cal.time_zone = data.time_zone
    if "hours" in fields and data.hours is not None:
        hours: dict[str, Any] = {day: [list(pair) for pair in spans]
                                 for day, spans in data.hours.items()}
        try:
            parse_hours(hours)
        except CalendarError as exc:
            raise ValidationFailed("calendar.hours", str(exc), "hours") from exc
        cal.hours = hours
    if "holidays" in fields and data.holidays is not None:
        cal.holidays = sorted(d.isoformat() for d in parse_holidays(data.holidays))
    if "name" in fields and data.name is not None:
        _unique_name(db, BusinessCalendar, data.name, cal.id)
        cal.name = data.name


def list_calendars(db: Session) -> list[BusinessCalendar]:
    return list(db.scalars(select(BusinessCalendar).order_by(BusinessCalendar.name)))


def list_policies(db: Session) -> list[SlaPolicy]:
    return list(db.scalars(select(SlaPolicy).order_by(SlaPolicy.priority, SlaPolicy.position,
                                                      SlaPolicy.name)))


def create_calendar(db: Session, *, data: CalendarCreate, actor: User) -> BusinessCalendar:
    cal = BusinessCalendar(id=uuid.uuid4(), holidays=[])
    _apply_calendar(db, cal, data, set(CALENDAR_FIELDS))
    db.add(cal)
    db.flush()
    audit.record(db, actor_id=actor.id, action="create", entity_type="business_calendar",
                 entity_id=cal.id, changes=audit.diff({}, _snapshot(cal, CALENDAR_FIELDS)))
    return cal


def update_calendar(db: Session, *, calendar: BusinessCalendar, data: CalendarUpdate,
                    actor: User, expected_version: int | None = None) -> BusinessCalendar:
    _check_version(data.version, expected_version, calendar.version)
    before = _snapshot(calendar, CALENDAR_FIELDS)
    _apply_calendar(db, calendar, data, set(data.model_fields_set) - {"version"})
    changes = audit.diff(before, _snapshot(calendar, CALENDAR_FIELDS))
    if changes:
        calendar.updated_at = now()
        db.flush()
        audit.record(db, actor_id=actor.id, action="update", entity_type="business_calendar",
                     entity_id=calendar.id, changes=changes)
    return calendar


def delete_calendar(db: Session, *, calendar: BusinessCalendar, actor: User) -> None:
    used = db.scalar(select(SlaPolicy.name).where(SlaPolicy.calendar_id == calendar.id)
                     .limit(1))
    if used is not None:
        raise Conflict("calendar.in_use", f"The SLA policy '{used}' uses this calendar; "
                       "change or delete it first")
    audit.record(db, actor_id=actor.id, action="delete", entity_type="business_calendar",
                 entity_id=calendar.id, changes=audit.diff(_snapshot(calendar, CALENDAR_FIELDS),
                                                           {}))
    db.delete(calendar)
    db.flush()


def _apply_policy(db: Session, p: SlaPolicy, data: PolicyCreate | PolicyUpdate,
                  fields: set[str]) -> None:
    for key in POLICY_FIELDS:
        if key in fields:
            setattr(p, key, getattr(data, key))
    if "name" in fields:
        _unique_name(db, SlaPolicy, p.name, p.id)
    if "calendar_id" in fields and p.calendar_id is not None \
            and db.get(BusinessCalendar, p.calendar_id) is None:
        raise ValidationFailed("calendar.not_found", "No such business calendar", "calendar_id")
    if (p.match_field is None) != (p.match_value is None):
        raise ValidationFailed("policy.match", "Give match_field and match_value together",
                               "match_value" if p.match_field else "match_field")
    if p.resolution_minutes < p.first_response_minutes:
        raise ValidationFailed("policy.targets", "The resolution target cannot come before the "
                               "first-response target", "resolution_minutes")


def create_policy(db: Session, *, data: PolicyCreate, actor: User) -> SlaPolicy:
    p = SlaPolicy(id=uuid.uuid4())
    with db.no_autoflush:
        _apply_policy(db, p, data, set(POLICY_FIELDS))
    db.add(p)
    db.flush()
    audit.record(db, actor_id=actor.id, action="create", entity_type="sla_policy",
                 entity_id=p.id, changes=audit.diff({}, _snapshot(p, POLICY_FIELDS)))
    return p


def update_policy(db: Session, *, policy: SlaPolicy, data: PolicyUpdate, actor: User,
                  expected_version: int | None = None) -> SlaPolicy:
    _check_version(data.version, expected_version, policy.version)
    before = _snapshot(policy, POLICY_FIELDS)
    with db.no_autoflush:
        _apply_policy(db, policy, data, set(data.model_fields_set) - {"version"})
    changes = audit.diff(before, _snapshot(policy, POLICY_FIELDS))
    if changes:
        policy.updated_at = now()
        db.flush()
        audit.record(db, actor_id=actor.id, action="update", entity_type="sla_policy",
                     entity_id=policy.id, changes=changes)
    return policy


def delete_policy(db: Session, *, policy: SlaPolicy, actor: User) -> None:
    """Tickets keep the due times it gave them (their policy reference is cleared)."""
    audit.record(db, actor_id=actor.id, action="delete", entity_type="sla_policy",
                 entity_id=policy.id, changes=audit.diff(_snapshot(policy, POLICY_FIELDS), {}))
    db.delete(policy)
    db.flush()


def set_routing(db: Session, *, team: Team, data: RoutingUpdate, actor: User) -> TeamRouting:
    routing = routing_for(db, team.id, lock=True)
    if routing.mode != data.mode:
        audit.record(db, actor_id=actor.id, action="routing", entity_type="team",
                     entity_id=team.id, changes={"ticket_routing": [routing.mode, data.mode]})
        routing.mode = data.mode
        routing.updated_at = now()
        db.flush()
    return routing


def list_routing(db: Session) -> list[TeamRouting]:
    return list(db.scalars(select(TeamRouting).order_by(TeamRouting.team_id)))


def set_agent_status(db: Session, *, user_id: uuid.UUID, data: AgentUpdate,
                     actor: User) -> AgentStatus:
    user = db.get(User, user_id)
    if user is None:
        raise NotFound("user")
    if data.away_until is not None and data.away_until.tzinfo is None:
        raise ValidationFailed("datetime.naive", "Give times with a time zone, e.g. "
                               "2026-01-31T17:00:00Z", "away_until")
    status = db.get(AgentStatus, user_id) or AgentStatus(user_id=user_id, away=False)
    before = (status.away, status.away_until)
    status.away = data.away
    status.away_until = data.away_until if data.away else None
    status.updated_at = now()
    db.add(status)
    db.flush()
    if before != (status.away, status.away_until):
        audit.record(db, actor_id=actor.id, action="availability", entity_type="user",
                     entity_id=user_id, changes={"away": [before[0], status.away],
                                                 "away_until": [before[1], status.away_until]})
    return status


def list_agent_statuses(db: Session) -> list[AgentStatus]:
    return list(db.scalars(select(AgentStatus).order_by(AgentStatus.user_id)))
