"""Tasks: CRUD, complete and reopen, filters, the due-date sort with keyset pages, default
reminders, and the agenda in the user's time zone."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import update

from amity.activities.models import Task
from amity.auth.models import User
from amity.core.clock import set_clock
from amity.core.db import Database
from tests.activities.conftest import call, task
from tests.factories import assert_problem, count, make_contact


def _iso(dt: datetime) -> str:
    return dt.isoformat().replace("+00:00", "Z")


def test_crud_complete_reopen(client: Any, database: Database, admin_user: Any) -> None:
    c = make_contact(client)
    due = datetime(2030, 5, 4, 15, 0, tzinfo=UTC)
    t = task(client, title="Send the quote", contact_id=c["id"], due_at=_iso(due),
             priority="high")
    assert t["assignee_id"] == t["owner_id"] == str(admin_user[0].id)
    assert t["reminder_at"] == _iso(due - timedelta(minutes=15))  # the default lead
    r = client.patch(f"/api/v1/tasks/{t['id']}", json={"title": "Send the revised quote"},
                     headers={"If-Match": '"v1"'})
    assert r.status_code == 200 and r.headers["etag"] == '"v2"'
    assert_problem(client.patch(f"/api/v1/tasks/{t['id']}", json={"title": "x"},
                                headers={"If-Match": '"v1"'}), 412)
    done = client.post(f"/api/v1/tasks/{t['id']}/complete").json()
    assert done["status"] == "done" and done["completed_at"] is not None
    again = client.post(f"/api/v1/tasks/{t['id']}/reopen").json()
    assert again["status"] == "open" and again["completed_at"] is None
    assert client.delete(f"/api/v1/tasks/{t['id']}").status_code == 204
    assert_problem(client.get(f"/api/v1/tasks/{t['id']}"), 404)
    assert client.post(f"/api/v1/tasks/{t['id']}/restore").json()["deleted_at"] is None


def test_reminder_defaults_and_moves(client: Any) -> None:
    due = datetime(2030, 5, 4, 15, 0, tzinfo=UTC)
    t = task(client, due_at=_iso(due))
    moved = client.patch(f"/api/v1/tasks/{t['id']}",
                         json={"due_at": _iso(due + timedelta(days=1))}).json()
    assert moved["reminder_at"] == _iso(due + timedelta(days=1, minutes=-15))
    none = task(client, due_at=_iso(due), reminder_at=None)
    assert none["reminder_at"] is None
    custom = task(client, due_at=_iso(due), reminder_at=_iso(due - timedelta(days=2)))
    kept = client.patch(f"/api/v1/tasks/{custom['id']}",
                        json={"due_at": _iso(due + timedelta(days=1))}).json()
    assert kept["reminder_at"] == _iso(due - timedelta(days=2))  # set by hand: it stays


def test_bad_input(client: Any, database: Database) -> None:
    cases = [({"title": ""}, "title"), ({"title": "x", "priority": "asap"}, "priority"),
             ({"title": "x", "due_at": "2030-01-01T10:00:00"}, "due_at"),
             ({"title": "x", "assignee_id": "00000000-0000-0000-0000-000000000001"},
              "assignee_id"),
             ({"title": "x", "contact_id": "00000000-0000-0000-0000-000000000001"},
              "contact_id")]
    for body, field in cases:
        assert_problem(client.post("/api/v1/tasks", json=body), 422, field)
    assert_problem(client.get("/api/v1/tasks", params={"assignee": "someone"}), 422,
                   "assignee")
    assert_problem(client.get("/api/v1/tasks", params={"sort": "title"}), 422, "sort")
    assert count(database, Task) == 0


def test_filters_sort_and_pages(client: Any, database: Database, admin_user: Any) -> None:
    set_clock(lambda: datetime(2030, 1, 10, 12, 0, tzinfo=UTC))
    try:
        c = make_contact(client)
        base = datetime(2030, 1, 8, 9, 0, tzinfo=UTC)
        made = [task(client, title=f"T{i}", due_at=_iso(base + timedelta(days=i)),
                     contact_id=c["id"] if i % 2 else None) for i in range(6)]
        undated = task(client, title="Someday")
        client.post(f"/api/v1/tasks/{made[0]['id']}/complete")
        order = [t["title"] for t in client.get("/api/v1/tasks").json()["items"]]
        assert order == ["T0", "T1", "T2", "T3", "T4", "T5", "Someday"]
        seen, cursor = [], None
        while True:
            page = client.get("/api/v1/tasks", params={"limit": 3, "cursor": cursor,
                                                       "sort": "-due_at"}).json()
            seen += [t["title"] for t in page["items"]]
            cursor = page["next_cursor"]
            if not cursor:
                break
        assert seen == ["Someday", "T5", "T4", "T3", "T2", "T1", "T0"]
        overdue = client.get("/api/v1/tasks", params={"overdue": True}).json()["items"]
        assert [t["title"] for t in overdue] == ["T1", "T2"]  # T0 is done; T3 due after now
        mine = client.get("/api/v1/tasks", params={"assignee": "me", "status": "open",
                                                   "contact_id": c["id"]}).json()["items"]
        assert [t["title"] for t in mine] == ["T1", "T3", "T5"]
        window = client.get("/api/v1/tasks", params={
            "due_after": _iso(base + timedelta(days=2)),
            "due_before": _iso(base + timedelta(days=4))}).json()["items"]
        assert [t["title"] for t in window] == ["T2", "T3"]
        assert undated["id"] not in {t["id"] for t in overdue}
    finally:
        set_clock(None)


def test_agenda_in_the_users_time_zone(client: Any, database: Database,
                                       admin_user: Any) -> None:
    """Paris is UTC+1 in January: the day 2030-01-10 runs 09-23:00Z to 10-23:00Z."""
    user = admin_user[0]
    with database.transaction() as s:
        s.execute(update(User).where(User.id == user.id).values(time_zone="Europe/Paris"))
    set_clock(lambda: datetime(2030, 1, 10, 8, 0, tzinfo=UTC))
    try:
        c = make_contact(client)
        late = task(client, title="Late", due_at="2030-01-09T22:30:00Z")  # 9th, 23:30 Paris
        early = task(client, title="Early", due_at="2030-01-09T23:30:00Z")  # 10th, 00:30
        task(client, title="Tomorrow", due_at="2030-01-10T23:00:00Z")  # 11th, 00:00 Paris
        done = task(client, title="Done", due_at="2030-01-08T10:00:00Z")
        client.post(f"/api/v1/tasks/{done['id']}/complete")
        me = {"user_id": str(user.id), "role": "attendee"}
        meet = call(client, c["id"], channel="meeting", occurred_at="2030-01-10T13:00:00Z",
                    participants=[{"contact_id": c["id"]}, me])
        call(client, c["id"], channel="meeting", occurred_at="2030-01-10T23:30:00Z",
             participants=[{"contact_id": c["id"]}, me])  # the 11th in Paris
        call(client, c["id"], channel="call", occurred_at="2030-01-10T14:00:00Z",
             participants=[{"contact_id": c["id"]}, me])  # not a meeting
        day = client.get("/api/v1/agenda").json()
        assert day["date"] == "2030-01-10" and day["time_zone"] == "Europe/Paris"
        assert day["starts_at"] == "2030-01-10T00:00:00+01:00"  # local midnight
        assert [t["id"] for t in day["overdue"]] == [late["id"]]
        assert [t["id"] for t in day["due_today"]] == [early["id"]]
        assert [m["id"] for m in day["meetings"]] == [meet["id"]]
        utc = client.get("/api/v1/agenda", params={"date": "2030-01-09",
                                                   "time_zone": "UTC"}).json()
        assert [t["title"] for t in utc["due_today"]] == ["Late", "Early"]
        assert_problem(client.get("/api/v1/agenda", params={"time_zone": "Mars/Olympus"}),
                       422, "time_zone")
    finally:
        set_clock(None)
