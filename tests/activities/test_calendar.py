"""The secret calendar feed (parsed back with icalendar) and importing invitations."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from icalendar import Calendar

from amity.activities.models import CalendarFeed, Interaction
from amity.core.clock import set_clock
from amity.core.db import Database
from tests.activities.conftest import call, task
from tests.factories import assert_problem, count, make_contact

INVITE = """BEGIN:VCALENDAR\r
VERSION:2.0\r
PRODID:-//Example Corp//Mail//EN\r
METHOD:REQUEST\r
BEGIN:VTIMEZONE\r
TZID:Europe/Paris\r
BEGIN:STANDARD\r
DTSTART:19701025T030000\r
TZOFFSETFROM:+0200\r
TZOFFSETTO:+0100\r
RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU\r
END:STANDARD\r
BEGIN:DAYLIGHT\r
DTSTART:19700329T020000\r
TZOFFSETFROM:+0100\r
TZOFFSETTO:+0200\r
RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU\r
END:DAYLIGHT\r
END:VTIMEZONE\r
BEGIN:VEVENT\r
UID:{uid}\r
DTSTAMP:20300101T090000Z\r
DTSTART;TZID=Europe/Paris:20300115T100000\r
DTEND;TZID=Europe/Paris:20300115T113000\r
SUMMARY:Tasting of the spring menu\r
LOCATION:Boulangerie Cler\r
DESCRIPTION:Bring the samples\r
ORGANIZER;CN=Ada:mailto:ada@client.example\r
ATTENDEE;CN=Admin:mailto:ADMIN@example.com\r
ATTENDEE;CN=Bob:mailto:bob@client.example\r
ATTENDEE:mailto:stranger@elsewhere.example\r
END:VEVENT\r
END:VCALENDAR\r
"""


def _feed(client: Any) -> str:
    r = client.post("/api/v1/calendar/feed")
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["url"] == f"http://127.0.0.1:8000/calendar/{body['token']}.ics"
    return f"/calendar/{body['token']}.ics"


def test_feed_lists_meetings_and_task_due_times(client: Any, anon: Any, database: Database,
                                                admin_user: Any) -> None:
    set_clock(lambda: datetime(2030, 1, 10, 8, 0, tzinfo=UTC))
    try:
        c = make_contact(client)
        me = {"user_id": str(admin_user[0].id), "role": "organiser"}
        meet = call(client, c["id"], channel="meeting", subject="Kick-off",
                    occurred_at="2030-01-12T14:00:00Z", ends_at="2030-01-12T15:30:00Z",
                    location="Room 2", participants=[{"contact_id": c["id"]}, me])
        call(client, c["id"], channel="meeting", subject="Not mine",
             occurred_at="2030-01-12T16:00:00Z")  # the admin does not attend
        t = task(client, title="Send the contract", due_at="2030-01-13T09:00:00Z")
        done = task(client, title="Done already", due_at="2030-01-13T10:00:00Z")
        client.post(f"/api/v1/tasks/{done['id']}/complete")
        url = _feed(client)
        r = anon.get(url)  # no bearer token: the URL is the credential
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/calendar")
        cal = Calendar.from_ical(r.content)
        events = {str(e["UID"]): e for e in cal.walk("VEVENT")}
        assert set(events) == {f"interaction-{meet['id']}@amity", f"task-{t['id']}@amity"}
        m = events[f"interaction-{meet['id']}@amity"]
        assert str(m["SUMMARY"]) == "Kick-off" and str(m["LOCATION"]) == "Room 2"
        assert m.decoded("DTSTART") == datetime(2030, 1, 12, 14, 0, tzinfo=UTC)
        assert m.decoded("DTEND") == datetime(2030, 1, 12, 15, 30, tzinfo=UTC)
        d = events[f"task-{t['id']}@amity"]
        assert str(d["SUMMARY"]) == "Due: Send the contract"
        assert d.decoded("DTSTART") == datetime(2030, 1, 13, 9, 0, tzinfo=UTC)
        assert client.get("/api/v1/calendar/feed").json()["exists"] is True
    finally:
        set_clock(None)


def test_bad_and_replaced_tokens_are_not_found(client: Any, anon: Any,
                                               database: Database) -> None:
    old = _feed(client)
    assert anon.get(old).status_code == 200
    assert_problem(anon.get("/calendar/not-a-real-token.ics"), 404)
    new = _feed(client)  # regenerating ends the old URL
    assert_problem(anon.get(old), 404)
    assert anon.get(new).status_code == 200
    assert count(database, CalendarFeed) == 1
    with database.transaction(write=False) as s:
        feed = s.query(CalendarFeed).one()
        assert new.split("/")[-1].removesuffix(".ics") not in feed.token_hash  # hashed
    assert client.delete("/api/v1/calendar/feed").status_code == 204
    assert_problem(anon.get(new), 404)
    assert client.get("/api/v1/calendar/feed").json() == {"exists": False, "created_at": None}


def test_import_an_invitation_twice_is_a_no_op(client: Any, database: Database,
                                               admin_user: Any) -> None:
    ada = make_contact(client, first_name="Ada", emails=[{"email": "ada@client.example"}])
    bob = make_contact(client, first_name="Bob", emails=[{"email": "bob@client.example"}])
    ics = INVITE.replace("{uid}", "spring-menu-1@client.example")
    r = client.post("/api/v1/calendar/import", content=ics.encode(),
                    headers={"Content-Type": "text/calendar"})
    assert r.status_code == 201, r.text
    [meeting_id] = r.json()["created"]
    m = client.get(f"/api/v1/interactions/{meeting_id}").json()
    assert m["channel"] == "meeting" and m["subject"] == "Tasting of the spring menu"
    assert m["occurred_at"] == "2030-01-15T09:00:00Z" and m["ends_at"] == "2030-01-15T10:30:00Z"
    assert m["location"] == "Boulangerie Cler" and m["direction"] == "inbound"
    assert m["external_source"] == "ical" and m["external_id"] == "spring-menu-1@client.example"
    people = [(p["contact_id"] or p["user_id"] or p["address"], p["role"])
              for p in m["participants"]]
    assert people == [(ada["id"], "organiser"), (str(admin_user[0].id), "attendee"),
                      (bob["id"], "attendee"), ("stranger@elsewhere.example", "attendee")]
    again = client.post("/api/v1/calendar/import", json={"ics": ics})
    assert again.status_code == 200 and again.json() == {"created": [],
                                                          "existing": [meeting_id]}
    assert count(database, Interaction) == 1
    day = client.get("/api/v1/agenda", params={"date": "2030-01-15"}).json()
    assert [x["id"] for x in day["meetings"]] == [meeting_id]


def test_bad_invitations(client: Any, database: Database) -> None:
    assert_problem(client.post("/api/v1/calendar/import", content=b"hello",
                               headers={"Content-Type": "text/calendar"}), 422, "ics")
    no_uid = INVITE.replace("UID:{uid}\r\n", "")
    assert_problem(client.post("/api/v1/calendar/import", json={"ics": no_uid}), 422, "ics")
    assert_problem(client.post("/api/v1/calendar/import", json={"nope": 1}), 422, "ics")
    huge = b"BEGIN:VCALENDAR\r\n" + b"X" * 1_000_001
    assert_problem(client.post("/api/v1/calendar/import", content=huge,
                               headers={"Content-Type": "text/calendar"}), 413, "ics")
    assert count(database, Interaction) == 0
