"""Calendars: a user's secret iCalendar feed (their meetings and task due times) and importing
meeting invitations (.ics).

The feed's URL carries a random token; only its SHA-256 is stored, so the URL can be shown once
and regenerated (which ends the old one), never read back. An imported event becomes a meeting
keyed by its UID (``external_source`` "ical"): importing the same invitation again changes
nothing. Attendees are matched by email to users and to the contacts the importer may see;
other addresses stay as bare participants.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from typing import Any

from icalendar import Calendar, Event
from sqlalchemy import Select, delete, func, select
from sqlalchemy.orm import Session

from amity.activities.interactions import record_interaction
from amity.activities.models import CalendarFeed, Interaction, InteractionParticipant, Task
from amity.activities.queries import zone
from amity.activities.schemas import InteractionCreate, ParticipantIn
from amity.auth.models import User
from amity.contacts.models import Contact, ContactEmail
from amity.core.clock import now
from amity.core.errors import ValidationFailed

P = InteractionParticipant
PRODID = "-//Amity//Amity CRM//EN"
FEED_PAST = timedelta(days=90)
FEED_FUTURE = timedelta(days=400)
FEED_LIMIT = 2000
MAX_EVENTS = 200
TASK_SLOT = timedelta(minutes=15)


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_feed(db: Session, *, user: User) -> tuple[CalendarFeed, str]:
    """A new secret token for the user's feed (any previous URL stops working)."""
    db.execute(delete(CalendarFeed).where(CalendarFeed.user_id == user.id))
    token = secrets.token_urlsafe(32)
    feed = CalendarFeed(id=uuid.uuid4(), user_id=user.id, token_hash=_hash(token))
    db.add(feed)
    db.flush()
    return feed, token


def feed_of(db: Session, *, user: User) -> CalendarFeed | None:
    return db.scalar(select(CalendarFeed).where(CalendarFeed.user_id == user.id))


def delete_feed(db: Session, *, user: User) -> None:
    db.execute(delete(CalendarFeed).where(CalendarFeed.user_id == user.id))


def user_for_feed(db: Session, token: str) -> User | None:
    if not token or len(token) > 200:
        return None
    feed = db.scalar(select(CalendarFeed).where(CalendarFeed.token_hash == _hash(token)))
    user = db.get(User, feed.user_id) if feed else None
    return user if user is not None and user.is_active else None


def _meeting_event(i: Interaction, stamp: datetime) -> Event:
    ev = Event()
    ev.add("uid", f"interaction-{i.id}@amity")
    ev.add("dtstamp", stamp)
    ev.add("dtstart", i.occurred_at)
    end = i.ends_at or (i.occurred_at + timedelta(seconds=i.duration_s) if i.duration_s
                        else i.occurred_at + timedelta(hours=1))
    ev.add("dtend", end)
    ev.add("summary", i.subject or "Meeting")
    if i.location:
        ev.add("location", i.location)
    if i.body:
        ev.add("description", i.body[:4000])
    ev.add("sequence", i.version)
    ev.add("last-modified", i.updated_at)
    return ev


def _task_event(t: Task, stamp: datetime) -> Event:
    assert t.due_at is not None
    ev = Event()
    ev.add("uid", f"task-{t.id}@amity")
    ev.add("dtstamp", stamp)
    ev.add("dtstart", t.due_at)
    ev.add("dtend", t.due_at + TASK_SLOT)
    ev.add("summary", f"Due: {t.title}")
    if t.description:
        ev.add("description", t.description[:4000])
    ev.add("categories", ["Task"])
    ev.add("sequence", t.version)
    return ev


def feed_ics(db: Session, *, user: User) -> bytes:
    """The user's meetings and open tasks' due times from 90 days ago to 400 days ahead."""
    at = now()
    start, end = at - FEED_PAST, at + FEED_FUTURE
    meetings = db.scalars(
        select(Interaction).join(P, P.interaction_id == Interaction.id)
        .where(P.user_id == user.id, P.channel == "meeting", P.active.is_(True),
               P.occurred_at >= start, P.occurred_at < end)
        .order_by(Interaction.occurred_at).limit(FEED_LIMIT))
    tasks = db.scalars(select(Task).where(
        Task.assignee_id == user.id, Task.status == "open", Task.deleted_at.is_(None),
        Task.due_at >= start, Task.due_at < end).order_by(Task.due_at).limit(FEED_LIMIT))
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("x-wr-calname", f"Amity: {user.name}")
    for i in meetings:
        cal.add_component(_meeting_event(i, at))
    for t in tasks:
        cal.add_component(_task_event(t, at))
    ics: bytes = cal.to_ical()
    return ics


def _bad(message: str) -> ValidationFailed:
    return ValidationFailed("ics.invalid", message, "ics")


def _aware(value: Any, tz_name: str, field: str) -> datetime:
    if isinstance(value, datetime):
        return value if value.tzinfo is not None else value.replace(tzinfo=zone(tz_name))
    if isinstance(value, date):
        return datetime.combine(value, time.min, tzinfo=zone(tz_name))
    raise _bad(f"the event's {field} is not a date or time")


def _emails(value: Any) -> list[str]:
    items = value if isinstance(value, list) else ([value] if value is not None else [])
    out = []
    for item in items:
        text = str(item).strip()
        if text.lower().startswith("mailto:"):
            text = text[7:]
        if "@" in text and len(text) <= 320:
            out.append(text.lower())
    return out


AnySelect = Select[*tuple[Any, ...]]
VisibleContacts = Callable[[AnySelect], AnySelect]


def _matches(db: Session, emails: set[str], visible: VisibleContacts
             ) -> tuple[dict[str, uuid.UUID], dict[str, uuid.UUID]]:
    if not emails:
        return {}, {}
    users: dict[str, uuid.UUID] = {}
    for row in db.execute(select(User.id, User.email)
                          .where(func.lower(User.email).in_(emails))):
        users[str(row[1]).lower()] = row[0]
    contacts: dict[str, uuid.UUID] = {}
    stmt: AnySelect = (select(Contact.id, ContactEmail.email).join(ContactEmail)
                         .where(ContactEmail.email.in_(emails), Contact.deleted_at.is_(None))
                         .order_by(Contact.created_at))
    for row in db.execute(visible(stmt)):
        contacts.setdefault(str(row[1]), row[0])
    return users, contacts


def _event_data(ev: Any, actor: User, users: dict[str, uuid.UUID],
                contacts: dict[str, uuid.UUID], external_id: str) -> InteractionCreate:
    start = _aware(ev.decoded("DTSTART"), actor.time_zone, "DTSTART")
    if ev.get("DTEND") is not None:
        end: datetime | None = _aware(ev.decoded("DTEND"), actor.time_zone, "DTEND")
    elif ev.get("DURATION") is not None:
        end = start + ev.decoded("DURATION")
    else:
        end = None
    organiser = _emails(ev.get("ORGANIZER"))
    people: list[ParticipantIn] = []
    seen: set[Any] = set()
    for role, email in [("organiser", e) for e in organiser] + [
            ("attendee", e) for e in _emails(ev.get("ATTENDEE"))]:
        who = (("user_id", users[email]) if email in users else
               ("contact_id", contacts[email]) if email in contacts else ("address", email))
        if who not in seen:
            seen.add(who)
            people.append(ParticipantIn.model_validate({"role": role, who[0]: who[1]}))
    if ("user_id", actor.id) not in seen:
        people.append(ParticipantIn(role="attendee", user_id=actor.id))
    mine = bool(organiser) and users.get(organiser[0]) == actor.id
    return InteractionCreate(
        channel="meeting", direction="outbound" if mine else "inbound",
        subject=str(ev.get("SUMMARY") or "Meeting")[:998],
        body=str(ev.get("DESCRIPTION"))[:100_000] if ev.get("DESCRIPTION") else None,
        location=str(ev.get("LOCATION"))[:500] if ev.get("LOCATION") else None,
        occurred_at=start, ends_at=end if end and end >= start else None,
        participants=people, external_source="ical", external_id=external_id[:500])


def import_ics(db: Session, *, text: str, actor: User, visible_contacts: VisibleContacts
               ) -> tuple[list[Interaction], list[Interaction]]:
    """Meetings from an invitation: (created, already imported). Cancelled events are not
    imported."""
    try:
        cal = Calendar.from_ical(text)
    except (ValueError, KeyError, IndexError, TypeError) as exc:
        raise _bad(f"not an iCalendar file: {exc}") from exc
    events = [e for e in cal.walk("VEVENT")
              if str(e.get("STATUS", "")).upper() != "CANCELLED"]
    if len(events) > MAX_EVENTS:
        raise _bad(f"at most {MAX_EVENTS} events per import")
    emails: set[str] = set()
    for ev in events:
        emails.update(_emails(ev.get("ORGANIZER")) + _emails(ev.get("ATTENDEE")))
    users, contacts = _matches(db, emails, visible_contacts)
    created: list[Interaction] = []
    existing: list[Interaction] = []
    for ev in events:
        uid = str(ev.get("UID") or "").strip()
        if not uid or ev.get("DTSTART") is None:
            raise _bad("every event needs a UID and a DTSTART")
        rid = ev.get("RECURRENCE-ID")
        key = f"{uid}#{ev.decoded('RECURRENCE-ID').isoformat()}" if rid is not None else uid
        try:
            data = _event_data(ev, actor, users, contacts, key)
        except (ValueError, TypeError) as exc:
            raise _bad(f"event {uid}: {exc}") from exc
        interaction, made = record_interaction(db, data=data, actor=actor)
        (created if made else existing).append(interaction)
    return created, existing
