"""Reminders, delivered by the scheduled jobs with a controlled clock and a real SMTP server:
a task's reminder once in the app and once by email; important dates once per year."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select, update

from amity.activities.models import Notification, Task
from amity.activities.reminders import deliver_task_reminder
from amity.auth.models import User
from amity.config import Settings
from amity.contacts.models import Contact
from amity.core.db import Database
from amity.jobs.schedule import Scheduler
from amity.jobs.worker import run_until_idle
from tests.activities.conftest import Clock, Inbox, smtp_settings, task
from tests.factories import make_contact

START = datetime(2030, 3, 4, 9, 0, tzinfo=UTC)


def _iso(dt: datetime) -> str:
    return dt.isoformat().replace("+00:00", "Z")


def _run(database: Database, settings: Settings) -> None:
    """One scheduler tick and every job it leads to, as a worker would."""
    Scheduler(database).tick()
    run_until_idle(database, settings)


def _notes(database: Database, kind: str) -> list[Notification]:
    with database.transaction(write=False) as s:
        return list(s.scalars(select(Notification).where(Notification.kind == kind)
                              .order_by(Notification.created_at, Notification.title)))


@pytest.fixture
def mail_settings(app: Any, settings: Settings, inbox: Inbox) -> Settings:
    app.state.settings = smtp_settings(settings, inbox)
    return app.state.settings


def test_a_task_reminder_is_delivered_exactly_once(client: Any, database: Database,
                                                   clock: Clock, inbox: Inbox,
                                                   mail_settings: Settings,
                                                   admin_user: Any) -> None:
    clock.at = START
    t = task(client, title="Call Ada about the quote", due_at=_iso(START + timedelta(hours=1)))
    assert t["reminder_at"] == _iso(START + timedelta(minutes=45))
    _run(database, mail_settings)
    assert _notes(database, "task_reminder") == [] and inbox.messages == []
    clock.advance(minutes=46)
    _run(database, mail_settings)
    [note] = _notes(database, "task_reminder")
    assert note.user_id == admin_user[0].id and note.entity_id == uuid.UUID(t["id"])
    assert note.title == "Reminder: Call Ada about the quote"
    assert note.body == "due 2030-03-04 10:00 (UTC)"
    [mail] = inbox.messages
    assert mail["To"] == "admin@example.com"
    assert mail["Subject"] == "Reminder: Call Ada about the quote"
    assert f"https://crm.example.com/api/v1/tasks/{t['id']}" in mail.get_payload()
    got = client.get(f"/api/v1/tasks/{t['id']}").json()
    assert got["reminded_at"] == _iso(START + timedelta(minutes=46))
    assert got["version"] == 1  # delivering is not an edit
    for _ in range(3):  # later scans, and a direct second delivery, change nothing
        clock.advance(minutes=1)
        _run(database, mail_settings)
    with database.transaction() as s:
        assert deliver_task_reminder(s, task_id=uuid.UUID(t["id"]),
                                     reminder_at=START + timedelta(minutes=45)) is not None
    _run(database, mail_settings)
    assert len(_notes(database, "task_reminder")) == 1 and len(inbox.messages) == 1
    # a new reminder time re-arms it, once more
    client.patch(f"/api/v1/tasks/{t['id']}", json={"reminder_at": _iso(clock.at)})
    clock.advance(minutes=1)
    _run(database, mail_settings)
    _run(database, mail_settings)
    assert len(_notes(database, "task_reminder")) == 2 and len(inbox.messages) == 2


def test_done_and_deleted_tasks_do_not_remind(client: Any, database: Database, clock: Clock,
                                              inbox: Inbox, mail_settings: Settings) -> None:
    clock.at = START
    done = task(client, due_at=_iso(START + timedelta(minutes=20)))
    gone = task(client, due_at=_iso(START + timedelta(minutes=20)))
    client.post(f"/api/v1/tasks/{done['id']}/complete")
    client.delete(f"/api/v1/tasks/{gone['id']}")
    clock.advance(minutes=30)
    _run(database, mail_settings)
    assert _notes(database, "task_reminder") == [] and inbox.messages == []


def test_notifications_api(client: Any, database: Database, clock: Clock,
                           mail_settings: Settings) -> None:
    clock.at = START
    for i in range(3):
        task(client, title=f"T{i}", due_at=_iso(START + timedelta(minutes=10 + i)))
    clock.advance(minutes=5)
    _run(database, mail_settings)
    items = client.get("/api/v1/notifications").json()["items"]
    assert len(items) == 3 and all(n["read_at"] is None for n in items)
    r = client.post("/api/v1/notifications/read", json={"ids": [items[0]["id"]]})
    assert r.json() == {"marked": 1}
    assert len(client.get("/api/v1/notifications", params={"unread": True}).json()["items"]) == 2
    assert client.post("/api/v1/notifications/read", json={"all": True}).json() == {"marked": 2}
    assert client.post("/api/v1/notifications/read", json={}).status_code == 422


def _owner_in(database: Database, user_id: uuid.UUID, zone: str) -> None:
    with database.transaction() as s:
        s.execute(update(User).where(User.id == user_id).values(time_zone=zone))


def test_important_dates_once_a_year_on_the_owners_day(client: Any, database: Database,
                                                       clock: Clock, admin_user: Any,
                                                       mail_settings: Settings) -> None:
    """Lead 7 days. At 2030-03-02 12:00 UTC it is already 3 March in Auckland (UTC+13): a
    birthday on 10 March is 7 days away there, 8 days away in UTC."""
    clock.at = datetime(2030, 3, 2, 12, 0, tzinfo=UTC)
    ada = make_contact(client, first_name="Ada", last_name="Byron", birthday="1990-03-10",
                       important_dates=[{"label": "Contract renewal", "date": "2030-03-06",
                                         "recurring": False},
                                        {"label": "Leap day", "date": "2000-02-29"}])
    _run(database, mail_settings)
    assert [n.title for n in _notes(database, "important_date")] == [
        "Ada Byron: Contract renewal on 06 March"]
    _owner_in(database, admin_user[0].id, "Pacific/Auckland")
    clock.advance(hours=1)
    _run(database, mail_settings)
    titles = [n.title for n in _notes(database, "important_date")]
    assert titles == ["Ada Byron: Contract renewal on 06 March",
                      "Ada Byron: Birthday on 10 March"]
    birthday = _notes(database, "important_date")[1]
    assert birthday.body == "in 7 day(s)" and birthday.entity_id == uuid.UUID(ada["id"])
    for _ in range(3):  # the hourly runs after that add nothing
        clock.advance(hours=1)
        _run(database, mail_settings)
    assert len(_notes(database, "important_date")) == 2
    # next year: the birthday again (the one-off renewal not); 29 February falls on the 28th
    clock.at = datetime(2031, 2, 25, 12, 0, tzinfo=UTC)
    _run(database, mail_settings)
    clock.at = datetime(2031, 3, 5, 12, 0, tzinfo=UTC)
    _run(database, mail_settings)
    titles = [n.title for n in _notes(database, "important_date")][2:]
    assert titles == ["Ada Byron: Leap day on 28 February", "Ada Byron: Birthday on 10 March"]


def test_deleted_contacts_and_inactive_owners_get_no_dates(client: Any, database: Database,
                                                           clock: Clock,
                                                           mail_settings: Settings) -> None:
    clock.at = datetime(2030, 3, 9, 12, 0, tzinfo=UTC)
    gone = make_contact(client, birthday="1990-03-10")
    client.delete(f"/api/v1/contacts/{gone['id']}")
    kept = make_contact(client, birthday="1990-03-10")
    with database.transaction() as s:
        someone = User(email="left@example.com", name="Left", is_active=False)
        s.add(someone)
        s.flush()
        s.execute(update(Contact).where(Contact.id == uuid.UUID(kept["id"]))
                  .values(owner_id=someone.id))
    _run(database, mail_settings)
    assert _notes(database, "important_date") == []
    assert date(2030, 3, 10) > clock.at.date()


def test_tasks_without_assignee_are_skipped(database: Database, client: Any, clock: Clock,
                                            mail_settings: Settings) -> None:
    clock.at = START
    t = task(client, due_at=_iso(START + timedelta(minutes=5)))
    with database.transaction() as s:
        s.execute(update(Task).where(Task.id == uuid.UUID(t["id"])).values(assignee_id=None))
    clock.advance(minutes=10)
    _run(database, mail_settings)
    assert _notes(database, "task_reminder") == []
