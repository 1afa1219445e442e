"""Daily-work pages: My day, the task list and edit page, notifications and the bell, quick-add
on the contact page, the calendar panel of the account page."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select

from amity.activities import reminders
from amity.activities.models import (
    CalendarFeed,
    Interaction,
    InteractionParticipant,
    Notification,
    Task,
)
from amity.activities.outreach_models import EmailTemplate
from amity.auth import passwords
from amity.auth import service as auth
from amity.auth.models import User
from amity.core.audit import AuditEntry
from amity.core.clock import now
from amity.core.db import Database
from amity.jobs.models import Job
from tests.auth.world import build_world, make_records
from tests.conftest import make_user
from tests.factories import count, make_contact
from tests.web.conftest import PASSWORD, page_csrf, sign_in

XSS_TITLE = "<script>alert(1)</script>"
XSS_NOTES = '<img src=x onerror="alert(2)">'
HX = {"HX-Request": "true"}


def _task(client: TestClient, **fields: Any) -> dict[str, Any]:
    r = client.post("/api/v1/tasks", json={"title": f"Task {uuid.uuid4().hex[:6]}", **fields})
    assert r.status_code == 201, r.text
    return dict(r.json())


def _at(days: float = 0, hours: float = 0) -> str:
    return (now() + timedelta(days=days, hours=hours)).isoformat()


def _me(database: Database, email: str = "sam@example.com") -> User:
    with database.transaction() as s:
        user = s.scalar(select(User).where(User.email == email))
        assert user is not None
        s.expunge(user)
        return user


def _row(html: str, task_id: str) -> str:
    match = re.search(rf'<li class="task-row[^"]*" id="task-{task_id}">.*?</li>', html, re.S)
    assert match, f"no row for {task_id}"
    return match.group(0)


def _as_me(signed_in: TestClient, app: Any, database: Database) -> TestClient:
    """An API client acting as the signed-in web user (tasks default to their assignee)."""
    with database.transaction() as s:
        user = s.scalar(select(User).where(User.email == "sam@example.com"))
        _, token = auth.create_api_token(s, user=user, name="pages")
    c = TestClient(app)
    c.headers["Authorization"] = f"Bearer {token}"
    return c


# ---- My day ---------------------------------------------------------------------------------

def test_agenda_shows_overdue_today_upcoming_and_meetings(signed_in: TestClient, app: Any,
                                                          database: Database) -> None:
    me = _as_me(signed_in, app, database)
    contact = make_contact(me, first_name="Ada", last_name="Lovelace")
    late = _task(me, title="Send the late quote", due_at=_at(days=-2), priority="high")
    today = _task(me, title="Call back Ada", due_at=_at(hours=0.01),
                  contact_id=contact["id"])
    soon = _task(me, title="Prepare the review", due_at=_at(days=3))
    _task(me, title="Far away", due_at=_at(days=30))
    r = me.post("/api/v1/interactions", json={
        "channel": "meeting", "subject": "Tasting with Ada", "occurred_at": _at(hours=0.02),
        "participants": [{"contact_id": contact["id"], "role": "attendee"},
                         {"user_id": str(_me(database).id), "role": "organiser"}]})
    assert r.status_code == 201, r.text
    html = signed_in.get("/agenda").text
    overdue = html.split('id="overdue-tasks"')[1].split("</ul>")[0]
    today_list = html.split('id="today-tasks"')[1].split("</ul>")[0]
    upcoming = html.split('id="upcoming-tasks"')[1].split("</ul>")[0]
    assert late["id"] in overdue and "High" in overdue
    assert today["id"] in today_list and "Ada Lovelace" in today_list
    assert soon["id"] in upcoming and "Far away" not in html
    assert "Tasting with Ada" in html
    assert 'href="/agenda"' in html and "Agenda" in html  # the nav entry


def test_complete_in_one_click_then_undo(signed_in: TestClient, app: Any,
                                         database: Database) -> None:
    me = _as_me(signed_in, app, database)
    t = _task(me, title="Water the plants", due_at=_at(hours=0.01))
    token = page_csrf(signed_in, "/agenda")
    r = signed_in.post(f"/tasks/{t['id']}/complete", headers={**HX, "X-CSRF-Token": token})
    assert r.status_code == 200 and "<html" not in r.text
    assert "is-done" in r.text and "Undo" in r.text and f"/tasks/{t['id']}/reopen" in r.text
    with database.transaction() as s:
        assert s.get(Task, uuid.UUID(t["id"])).status == "done"
        assert s.scalar(select(AuditEntry).where(AuditEntry.entity_id == uuid.UUID(t["id"]),
                                                 AuditEntry.action == "update")) is not None
    r = signed_in.post(f"/tasks/{t['id']}/reopen", headers={**HX, "X-CSRF-Token": token})
    assert r.status_code == 200 and "is-done" not in r.text and "Reopened" in r.text
    with database.transaction() as s:
        assert s.get(Task, uuid.UUID(t["id"])).status == "open"


def test_complete_without_the_token_is_refused(signed_in: TestClient, app: Any,
                                               database: Database) -> None:
    t = _task(_as_me(signed_in, app, database))
    r = signed_in.post(f"/tasks/{t['id']}/complete", headers=HX)
    assert r.status_code == 403
    with database.transaction() as s:
        assert s.get(Task, uuid.UUID(t["id"])).status == "open"


def test_new_task_form_adds_a_row_and_a_fresh_form(signed_in: TestClient,
                                                   client: TestClient,
                                                   database: Database) -> None:
    contact = make_contact(client, first_name="Grace", last_name="Hopper")
    token = page_csrf(signed_in, "/agenda")
    r = signed_in.post("/agenda/tasks", headers={**HX, "X-CSRF-Token": token}, data={
        "title": "Ship the order", "due": "2030-01-02T10:30", "priority": "urgent",
        "related": f"contact:{contact['id']}"})
    assert r.status_code == 200, r.text
    assert "Ship the order" in r.text and "Urgent" in r.text and "Grace Hopper" in r.text
    assert 'hx-swap-oob="true"' in r.text
    with database.transaction() as s:
        task = s.scalars(select(Task)).one()
        assert (task.priority, task.contact_id) == ("urgent", uuid.UUID(contact["id"]))
        assert task.due_at == datetime(2030, 1, 2, 10, 30, tzinfo=UTC)  # the user's zone: UTC


def test_new_task_bad_input_is_422_and_writes_nothing(signed_in: TestClient,
                                                      database: Database) -> None:
    token = page_csrf(signed_in, "/agenda")
    for data in ({"title": " "}, {"title": "x", "due": "tomorrow-ish"},
                 {"title": "x", "priority": "whenever"},
                 {"title": "x", "related": f"contact:{uuid.uuid4()}"},
                 {"title": "x", "related": "planet:mars"}):
        r = signed_in.post("/agenda/tasks", headers={**HX, "X-CSRF-Token": token}, data=data)
        assert r.status_code == 422, data
        assert r.headers["HX-Retarget"] == "#new-task" and 'role="alert"' in r.text
    r = signed_in.post("/agenda/tasks", data={"title": "", "csrf_token": token})
    assert r.status_code == 422 and "<html" in r.text
    assert count(database, Task) == 0


def test_related_lookup_lists_contacts_and_deals(signed_in: TestClient,
                                                 client: TestClient) -> None:
    make_contact(client, first_name="Linus", last_name="Baker")
    html = signed_in.get("/agenda/related", params={"q": "Baker"}, headers=HX).text
    assert "Linus Baker" in html and 'value="contact:' in html


def test_team_filter_shows_teammates_tasks_only_when_permitted(anon: TestClient,
                                                               app: Any,
                                                               database: Database) -> None:
    w = build_world(database)
    mate = make_records(database, w.ids["mate"])
    outsider = make_records(database, w.ids["outsider"])
    with database.transaction() as s:  # due today, so they are on the agenda
        for tid in (mate["task_id"], outsider["task_id"]):
            s.get(Task, tid).due_at = now() + timedelta(minutes=1)
    with database.transaction() as s:
        for role in ("manager", "read_only"):
            passwords.set_password(s, user=s.get(User, w.ids[role]), password=PASSWORD,
                                   actor_id=None)
    with TestClient(app, follow_redirects=False) as web:
        manager = s_email(database, w.ids["manager"])
        assert sign_in(web, manager).status_code == 303
        mine = web.get("/agenda").text
        assert str(mate["task_id"]) not in mine and "My team" in mine
        team = web.get("/agenda", params={"who": "team"}).text
        assert str(mate["task_id"]) in team and str(outsider["task_id"]) not in team
    with TestClient(app, follow_redirects=False) as web:
        assert sign_in(web, s_email(database, w.ids["read_only"])).status_code == 303
        page = web.get("/agenda").text
        assert 'id="new-task"' not in page  # read-only: no form
        token = page_csrf(web, "/agenda")
        r = web.post("/agenda/tasks", data={"title": "Sneaky", "csrf_token": token})
        assert r.status_code == 403


def s_email(database: Database, user_id: uuid.UUID) -> str:
    with database.transaction() as s:
        return s.get(User, user_id).email


def test_completing_someone_elses_task_without_permission_is_refused(
        anon: TestClient, app: Any, database: Database) -> None:
    w = build_world(database)
    outsider = make_records(database, w.ids["outsider"])  # another team's task
    mate = make_records(database, w.ids["mate"])  # a teammate's: visible, not editable
    with database.transaction() as s:
        passwords.set_password(s, user=s.get(User, w.ids["sales_rep"]), password=PASSWORD,
                               actor_id=None)
    with TestClient(app, follow_redirects=False) as web:
        assert sign_in(web, s_email(database, w.ids["sales_rep"])).status_code == 303
        token = page_csrf(web, "/agenda")
        r = web.post(f"/tasks/{outsider['task_id']}/complete",
                     headers={**HX, "X-CSRF-Token": token})
        assert r.status_code == 404
        r = web.post(f"/tasks/{mate['task_id']}/complete",
                     headers={**HX, "X-CSRF-Token": token})
        assert r.status_code == 403
        assert web.get(f"/tasks/{outsider['task_id']}").status_code == 404
        readable = web.get(f"/tasks/{mate['task_id']}").text
        assert "may read this task but not change it" in readable and ">Save<" not in readable
    with database.transaction() as s:
        assert s.get(Task, outsider["task_id"]).status == "open"
        assert s.get(Task, mate["task_id"]).status == "open"


def test_agenda_and_task_list_run_a_fixed_number_of_queries(
        signed_in: TestClient, app: Any, database: Database, queries: Any,
        client: TestClient) -> None:
    me = _as_me(signed_in, app, database)
    contact = make_contact(client, first_name="Q", last_name="Count")

    def add(n: int) -> None:
        for i in range(n):
            _task(me, due_at=_at(days=(i % 10) - 3, hours=0.01), contact_id=contact["id"])

    def measure() -> tuple[int, int]:
        queries.reset()
        assert signed_in.get("/agenda").status_code == 200
        agenda = queries.count
        queries.reset()
        assert signed_in.get("/tasks").status_code == 200
        return agenda, queries.count

    add(3)
    few = measure()
    add(30)
    many = measure()
    assert many == few, queries.statements


# ---- Task list and edit page ----------------------------------------------------------------

def test_task_list_filters_and_load_more(signed_in: TestClient, app: Any,
                                         database: Database) -> None:
    app.state.settings = app.state.settings.model_copy(update={"page_size_default": 2})
    me = _as_me(signed_in, app, database)
    ids = [_task(me, title=f"T{i}", due_at=_at(days=i + 1))["id"] for i in range(3)]
    done = _task(me, title="Finished already")
    me.post(f"/api/v1/tasks/{done['id']}/complete")
    first = signed_in.get("/tasks").text
    assert ids[0] in first and ids[1] in first and ids[2] not in first
    assert "Finished already" not in first
    match = re.search(r'hx-get="(/tasks\?[^"]+)"', first)
    assert match, "no Load more"
    more = signed_in.get(match.group(1).replace("&amp;", "&"), headers=HX)
    assert ids[2] in more.text and ids[0] not in more.text and "<html" not in more.text
    assert "Finished already" in signed_in.get("/tasks", params={"status": "done"}).text
    assert signed_in.get("/tasks", params={"status": "bogus"}).status_code == 422
    assert signed_in.get("/tasks", params={"cursor": "garbage"}).status_code in (400, 422)


def test_edit_saves_and_a_stale_version_shows_the_conflict(signed_in: TestClient, app: Any,
                                                           database: Database) -> None:
    me = _as_me(signed_in, app, database)
    t = _task(me, title="Draft the contract")
    page = signed_in.get(f"/tasks/{t['id']}").text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
    version = re.search(r'name="version" value="(\d+)"', page).group(1)  # type: ignore[union-attr]
    # someone else edits meanwhile
    assert me.patch(f"/api/v1/tasks/{t['id']}", json={"title": "Their title"}).status_code == 200
    form = {"csrf_token": token, "title": "My title", "description": "", "due": "",
            "priority": "high", "status": "open", "assignee": str(_me(database).id),
            "version": version}
    r = signed_in.post(f"/tasks/{t['id']}", data=form)
    assert r.status_code == 409
    assert "changed this task" in r.text and "Their title" in r.text
    assert 'value="My title"' in r.text  # what they typed is kept
    with database.transaction() as s:
        assert s.get(Task, uuid.UUID(t["id"])).title == "Their title"
    newer = re.search(r'name="version" value="(\d+)"', r.text).group(1)  # type: ignore[union-attr]
    r = signed_in.post(f"/tasks/{t['id']}", data={**form, "version": newer})
    assert r.status_code == 303
    with database.transaction() as s:
        task = s.get(Task, uuid.UUID(t["id"]))
        assert (task.title, task.priority) == ("My title", "high")
    bad = signed_in.post(f"/tasks/{t['id']}", data={**form, "version": str(int(newer) + 1),
                                                     "title": "", "priority": "x"})
    assert bad.status_code == 422


# ---- Notifications --------------------------------------------------------------------------

def _notify(database: Database, user_id: uuid.UUID, n: int, **extra: Any) -> list[uuid.UUID]:
    ids = []
    with database.transaction() as s:
        for i in range(n):
            nid = uuid.uuid4()
            s.add(Notification(id=nid, user_id=user_id, kind="task_reminder",
                               title=f"Reminder {i} {XSS_TITLE}", body="due soon",
                               dedupe_key=f"test:{nid}", **extra))
            ids.append(nid)
    return ids


def test_bell_counts_unread_in_one_query(signed_in: TestClient, database: Database,
                                         queries: Any) -> None:
    me = _me(database)
    assert 'hx-get="/notifications/bell"' in signed_in.get("/contacts").text
    _notify(database, me.id, 3)
    other, _ = make_user(database)
    _notify(database, other.id, 2)
    queries.reset()
    r = signed_in.get("/notifications/bell", headers=HX)
    counted = [q for q in queries.statements if "notifications" in q.lower()]
    assert len(counted) == 1 and "count(" in counted[0].lower()
    assert '<span class="bell-count">3</span>' in r.text and "3 unread" in r.text


def test_notifications_page_mark_read_and_mark_all(signed_in: TestClient, app: Any,
                                                   database: Database) -> None:
    me = _me(database)
    t = _task(_as_me(signed_in, app, database), title="Linked task")
    ids = _notify(database, me.id, 2, entity_type="task", entity_id=uuid.UUID(t["id"]))
    mine = _notify(database, _other_user(database), 1)
    page = signed_in.get("/notifications").text
    assert f'href="/tasks/{t["id"]}"' in page
    assert XSS_TITLE not in page and "&lt;script&gt;" in page
    token = page_csrf(signed_in, "/notifications")
    r = signed_in.post(f"/notifications/{ids[0]}/read", headers={**HX, "X-CSRF-Token": token})
    assert r.status_code == 200 and "Mark read" not in r.text
    assert r.headers.get("HX-Trigger") == "notifications-changed"
    # another user's notification: not found, unchanged
    r = signed_in.post(f"/notifications/{mine[0]}/read", headers={**HX, "X-CSRF-Token": token})
    assert r.status_code == 404
    unread = signed_in.get("/notifications", params={"show": "unread"}).text
    assert str(ids[1]) in unread and str(ids[0]) not in unread
    r = signed_in.post("/notifications/read-all", data={"csrf_token": token})
    assert r.status_code == 303
    with database.transaction() as s:
        assert reminders.list_notifications(s, s.get(User, me.id), unread=True, cursor=None,
                                            limit=10).items == []
        assert s.get(Notification, mine[0]).read_at is None


def _other_user(database: Database) -> uuid.UUID:
    return make_user(database)[0].id


# ---- Quick-add on the contact page ----------------------------------------------------------

def test_contact_page_has_the_quick_add_forms(signed_in: TestClient, client: TestClient) -> None:
    c = make_contact(client, first_name="Ada")
    html = signed_in.get(f"/contacts/{c['id']}").text
    for form_id in ("quick-call", "quick-meeting", "quick-email", "quick-send", "quick-task"):
        assert f'id="{form_id}"' in html, form_id
    assert 'class="note-form"' in html


def test_log_a_call_prepends_it_and_escapes_notes(signed_in: TestClient, client: TestClient,
                                                  database: Database) -> None:
    c = make_contact(client, first_name="Ada")
    token = page_csrf(signed_in, f"/contacts/{c['id']}")
    r = signed_in.post(f"/contacts/{c['id']}/calls", headers={**HX, "X-CSRF-Token": token},
                       data={"direction": "outbound", "outcome": "voicemail", "minutes": "7",
                             "notes": XSS_NOTES})
    assert r.status_code == 200, r.text
    assert XSS_NOTES not in r.text and "&lt;img src=x onerror=" in r.text
    assert "Call" in r.text and "Voicemail" in r.text and 'hx-swap-oob="true"' in r.text
    with database.transaction() as s:
        call = s.scalars(select(Interaction)).one()
        assert (call.channel, call.outcome, call.duration_s) == ("call", "voicemail", 420)
        people = {(p.contact_id, p.user_id) for p in s.scalars(select(InteractionParticipant))}
        assert (uuid.UUID(c["id"]), None) in people
    page = signed_in.get(f"/contacts/{c['id']}").text
    assert XSS_NOTES not in page and "onerror=&#34;alert(2)&#34;" in page


def test_quick_add_refusals_are_422_by_the_form_and_write_nothing(
        signed_in: TestClient, client: TestClient, database: Database) -> None:
    c = make_contact(client, first_name="Ada")
    token = page_csrf(signed_in, f"/contacts/{c['id']}")
    h = {**HX, "X-CSRF-Token": token}
    for path, data, target in (
            ("calls", {"outcome": "exploded"}, "#quick-call"),
            ("calls", {"minutes": "-3"}, "#quick-call"),
            ("meetings", {"when": "not a time"}, "#quick-meeting"),
            ("logged-emails", {"subject": "", "body": ""}, "#quick-email"),
            ("tasks", {"title": "  "}, "#quick-task"),
            ("tasks", {"title": "x", "priority": "asap"}, "#quick-task")):
        r = signed_in.post(f"/contacts/{c['id']}/{path}", headers=h, data=data)
        assert r.status_code == 422, (path, data, r.text)
        assert r.headers["HX-Retarget"] == target and 'role="alert"' in r.text
    assert (count(database, Interaction), count(database, Task)) == (0, 0)
    r = signed_in.post(f"/contacts/{uuid.uuid4()}/calls", headers=h, data={})
    assert r.status_code == 404


def test_meeting_email_and_task_from_the_contact_page(signed_in: TestClient,
                                                      client: TestClient,
                                                      database: Database) -> None:
    c = make_contact(client, first_name="Ada")
    token = page_csrf(signed_in, f"/contacts/{c['id']}")
    h = {**HX, "X-CSRF-Token": token}
    r = signed_in.post(f"/contacts/{c['id']}/meetings", headers=h, data={
        "subject": "Tasting", "minutes": "45", "location": "Shop"})
    assert r.status_code == 200 and "Tasting" in r.text
    r = signed_in.post(f"/contacts/{c['id']}/logged-emails", headers=h, data={
        "direction": "inbound", "subject": "Order question", "body": "Hi"})
    assert r.status_code == 200 and "Order question" in r.text and "(in)" in r.text
    r = signed_in.post(f"/contacts/{c['id']}/tasks", headers=h, data={
        "title": XSS_TITLE, "due": "2030-05-01T09:00", "priority": "high"})
    assert r.status_code == 200 and XSS_TITLE not in r.text and "&lt;script&gt;" in r.text
    with database.transaction() as s:
        meeting = s.scalar(select(Interaction).where(Interaction.channel == "meeting"))
        assert meeting is not None and meeting.duration_s == 2700
        assert meeting.ends_at == meeting.occurred_at + timedelta(minutes=45)
        assert any(p.user_id for p in meeting.participants)  # on the organiser's agenda
        task = s.scalars(select(Task)).one()
        assert task.contact_id == uuid.UUID(c["id"]) and task.priority == "high"
    agenda = signed_in.get("/agenda").text
    assert "Tasting" in agenda
    page = signed_in.get(f"/contacts/{c['id']}").text
    assert XSS_TITLE not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_send_email_form_needs_templates_and_shows_consent_refusals(
        signed_in: TestClient, client: TestClient, database: Database) -> None:
    c = make_contact(client, first_name="Ada", emails=[{"email": "ada@example.com"}])
    form = signed_in.get(f"/contacts/{c['id']}/send-email", headers=HX).text
    assert "No email templates yet" in form
    r = client.post("/api/v1/email-templates", json={
        "name": "Welcome", "subject": "Hello {{ first_name }}", "body": "Welcome!",
        "purpose": "marketing"})
    assert r.status_code == 201, r.text
    template_id = r.json()["id"]
    form = signed_in.get(f"/contacts/{c['id']}/send-email", headers=HX).text
    assert "Welcome (marketing)" in form
    token = page_csrf(signed_in, f"/contacts/{c['id']}")
    h = {**HX, "X-CSRF-Token": token}
    # no marketing consent recorded: refused by the form, nothing recorded or queued
    r = signed_in.post(f"/contacts/{c['id']}/send-email", headers=h,
                       data={"template_id": template_id})
    assert r.status_code == 422 and "consent" in r.text and r.headers["HX-Retarget"] == \
        "#quick-send"
    assert (count(database, Interaction), count(database, Job)) == (0, 0)
    r = signed_in.post(f"/contacts/{c['id']}/send-email", headers=h, data={
        "template_id": "", "subject": "Your order", "body": "It shipped.",
        "purpose": "transactional"})
    assert r.status_code == 202, r.text
    assert "Your order" in r.text
    with database.transaction() as s:
        sent = s.scalar(select(Interaction).where(Interaction.channel == "email"))
        assert sent is not None and sent.direction == "outbound"
        assert s.scalar(select(Job).where(Job.kind == "outreach.send_email")) is not None
        assert s.scalar(select(EmailTemplate)) is not None


# ---- Account: calendar ----------------------------------------------------------------------

ICS = """BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//Test//EN
BEGIN:VEVENT
UID:quarterly-review-1@example.com
DTSTAMP:20300101T090000Z
DTSTART:20300110T100000Z
DTEND:20300110T110000Z
SUMMARY:Quarterly review
END:VEVENT
END:VCALENDAR
"""


def test_calendar_feed_url_is_shown_once_and_can_be_rotated(signed_in: TestClient,
                                                             database: Database) -> None:
    account = signed_in.get("/account").text
    assert 'hx-get="/account/calendar"' in account and "/static/daywork.js" in account
    panel = signed_in.get("/account/calendar", headers=HX).text
    assert "Get my calendar address" in panel
    token = page_csrf(signed_in, "/account")
    h = {**HX, "X-CSRF-Token": token}
    first = signed_in.post("/account/calendar/feed", headers=h).text
    url = re.search(r'id="feed-url" readonly value="([^"]+)"', first).group(1)  # type: ignore[union-attr]
    assert 'data-copy="feed-url"' in first
    path = url.split("://", 1)[1].split("/", 1)[1]
    assert signed_in.get("/" + path).status_code == 200
    assert url not in signed_in.get("/account/calendar", headers=HX).text  # shown once
    second = signed_in.post("/account/calendar/feed", headers=h).text
    assert "Make a new address" in second
    assert signed_in.get("/" + path).status_code == 404  # the old address stopped working
    assert count(database, CalendarFeed) == 1


def test_ics_upload_imports_meetings_and_refuses_bad_files(signed_in: TestClient,
                                                           database: Database) -> None:
    token = page_csrf(signed_in, "/account")
    h = {**HX, "X-CSRF-Token": token}
    r = signed_in.post("/account/calendar/import", headers=h,
                       files={"file": ("invite.ics", ICS.encode(), "text/calendar")})
    assert r.status_code == 200 and "Imported 1 meeting" in r.text
    again = signed_in.post("/account/calendar/import", headers=h,
                           files={"file": ("invite.ics", ICS.encode(), "text/calendar")})
    assert "1 already known" in again.text
    for content in (b"", b"not a calendar", b"\xff\xfe\x00"):
        r = signed_in.post("/account/calendar/import", headers=h,
                           files={"file": ("x.ics", content, "text/calendar")})
        assert r.status_code == 422 and 'role="alert"' in r.text, content
    assert count(database, Interaction) == 1
