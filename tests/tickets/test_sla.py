"""SLA due times through the API (hand-computed), the pause while waiting on the customer, and
warnings and breaches recorded by the periodic check with a controlled clock."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from amity.core.db import Database
from amity.tickets.sla import check_breaches
from tests.factories import assert_problem, define_field, make_company, make_contact
from tests.tickets.support import (
    Clock,
    at,
    comment,
    events,
    make_calendar,
    make_policy,
    make_ticket,
    patch_ticket,
    utc,
)

WEEKDAYS = {d: [["09:00", "17:00"]] for d in ("mon", "tue", "wed", "thu", "fri")}


def _check(database: Database, clock: Clock) -> list[tuple[str, str]]:
    with database.transaction() as s:
        return [(r.target, r.kind) for r in check_breaches(s, clock.at)]


def _sla(client: TestClient, ticket_id: str) -> dict[str, Any]:
    r = client.get(f"/api/v1/tickets/{ticket_id}")
    assert r.status_code == 200, r.text
    return dict(r.json()["sla"])


def test_due_times_skip_the_weekend_and_a_holiday(client: TestClient, clock: Clock) -> None:
    cal = make_calendar(client, hours=WEEKDAYS, holidays=["2026-03-09"])
    policy = make_policy(client, calendar_id=cal["id"], first_response_minutes=120,
                         resolution_minutes=480, warning_percent=50)
    clock.set(at("2026-03-06T16:00:00+01:00"))  # Friday 16:00 in Paris
    t = make_ticket(client)
    sla = t["sla"]
    assert sla["policy_id"] == policy["id"]
    # first response, 120 min: 60 on Friday, Monday is a holiday, 60 on Tuesday: 10:00 CET
    assert utc(sla["first_response"]["due_at"]) == at("2026-03-10T10:00:00+01:00")
    # warning at 50% = 60 min: Friday 17:00
    assert utc(sla["first_response"]["warn_at"]) == at("2026-03-06T17:00:00+01:00")
    # resolution, 480 min: 60 on Friday + 420 on Tuesday = Tuesday 16:00; warning at 240 min:
    # 60 on Friday + 180 on Tuesday = Tuesday 12:00
    assert utc(sla["resolution"]["due_at"]) == at("2026-03-10T16:00:00+01:00")
    assert utc(sla["resolution"]["warn_at"]) == at("2026-03-10T12:00:00+01:00")


def test_due_time_across_the_change_to_summer_time(client: TestClient, clock: Clock) -> None:
    cal = make_calendar(client, time_zone="America/New_York", hours=WEEKDAYS)
    make_policy(client, calendar_id=cal["id"], first_response_minutes=120)
    clock.set(at("2026-03-06T16:00:00-05:00"))  # Friday 16:00 EST; clocks go forward Sunday
    t = make_ticket(client)
    # 60 min on Friday, 60 on Monday from 09:00 EDT: 10:00 EDT = 14:00Z (not 15:00Z)
    assert utc(t["sla"]["first_response"]["due_at"]) == at("2026-03-09T10:00:00-04:00")
    assert t["sla"]["first_response"]["due_at"].startswith("2026-03-09T14:00:00")


def test_waiting_on_the_customer_pauses_the_clock(client: TestClient, database: Database,
                                                  clock: Clock) -> None:
    cal = make_calendar(client, hours=WEEKDAYS)
    make_policy(client, calendar_id=cal["id"], first_response_minutes=120,
                resolution_minutes=480)
    contact = make_contact(client)
    clock.set(at("2026-03-02T09:00:00+01:00"))  # Monday 09:00
    t = make_ticket(client, contact_id=contact["id"])
    assert utc(t["sla"]["resolution"]["due_at"]) == at("2026-03-02T17:00:00+01:00")
    clock.set(at("2026-03-02T10:00:00+01:00"))
    comment(client, t["id"], body="Could you send a photo?")
    clock.set(at("2026-03-02T10:30:00+01:00"))
    paused = patch_ticket(client, t["id"], status="pending_customer")
    assert utc(paused["sla"]["paused_at"]) == clock.at
    # the original due time passes while paused: nothing is breached
    clock.set(at("2026-03-02T17:30:00+01:00"))
    assert _check(database, clock) == []
    r = client.get("/api/v1/tickets", params={"queue": "breached"})
    assert r.json()["items"] == []
    # the customer answers on Tuesday 10:00: paused 6h30 on Monday + 1h on Tuesday = 450 min
    clock.set(at("2026-03-03T10:00:00+01:00"))
    comment(client, t["id"], author="customer", body="Here it is")
    sla = _sla(client, t["id"])
    assert sla["paused_at"] is None and sla["paused_seconds"] == 450 * 60
    # 390 min were left at the pause: Tuesday 10:00 + 390 min = 16:30
    assert utc(sla["resolution"]["due_at"]) == at("2026-03-03T16:30:00+01:00")
    assert utc(sla["first_response"]["met_at"]) == at("2026-03-02T10:00:00+01:00")
    assert client.get(f"/api/v1/tickets/{t['id']}").json()["status"] == "open"
    # the 80% warning moved too: 384 + 450 min after Monday 09:00 = Tuesday 14:54
    assert utc(sla["resolution"]["warn_at"]) == at("2026-03-03T14:54:00+01:00")
    clock.set(at("2026-03-03T16:29:00+01:00"))
    assert _check(database, clock) == [("resolution", "warning")]
    clock.set(at("2026-03-03T16:31:00+01:00"))
    assert _check(database, clock) == [("resolution", "breach")]


def test_warning_then_breach_recorded_once_each(client: TestClient, database: Database,
                                                clock: Clock) -> None:
    cal = make_calendar(client, hours=WEEKDAYS)
    make_policy(client, calendar_id=cal["id"], first_response_minutes=120,
                resolution_minutes=480, warning_percent=50)
    clock.set(at("2026-03-02T09:00:00+01:00"))
    t = make_ticket(client)
    clock.set(at("2026-03-02T09:59:00+01:00"))
    assert _check(database, clock) == []
    clock.set(at("2026-03-02T10:01:00+01:00"))
    assert _check(database, clock) == [("first_response", "warning")]
    assert _check(database, clock) == []
    soon = client.get("/api/v1/tickets", params={"queue": "breaching_soon"}).json()["items"]
    assert [x["id"] for x in soon] == [t["id"]]
    warning = events(database, "ticket.sla_warning")
    assert warning == [{"ticket_id": t["id"], "target": "first_response",
                        "due_at": "2026-03-02T10:00:00+00:00",
                        "warned_at": "2026-03-02T09:00:00+00:00"}]
    clock.set(at("2026-03-02T11:00:01+01:00"))
    assert _check(database, clock) == [("first_response", "breach")]
    assert _check(database, clock) == []
    breach = events(database, "ticket.sla_breached")
    assert breach == [{"ticket_id": t["id"], "target": "first_response",
                       "due_at": "2026-03-02T10:00:00+00:00",
                       "breached_at": "2026-03-02T10:00:00+00:00"}]
    sla = _sla(client, t["id"])
    assert utc(sla["first_response"]["breached_at"]) == at("2026-03-02T11:00:00+01:00")
    breached = client.get("/api/v1/tickets", params={"queue": "breached"}).json()["items"]
    assert [x["id"] for x in breached] == [t["id"]]
    assert client.get("/api/v1/tickets/queues").json()["breached"] == 1
    # the late reply meets the target without a second breach; the history shows both
    comment(client, t["id"], body="Sorry for the wait")
    assert len(events(database, "ticket.sla_breached")) == 1
    actions = [e["action"] for e in client.get(f"/api/v1/tickets/{t['id']}/history").json()]
    assert "sla_breach" in actions and "sla_warning" in actions


def test_a_late_first_reply_records_its_breach_at_once(client: TestClient, database: Database,
                                                       clock: Clock) -> None:
    make_policy(client, first_response_minutes=30, resolution_minutes=600)  # around the clock
    clock.set(at("2026-03-02T09:00:00+00:00"))
    t = make_ticket(client)
    assert utc(t["sla"]["first_response"]["due_at"]) == at("2026-03-02T09:30:00+00:00")
    clock.set(at("2026-03-02T09:45:00+00:00"))
    comment(client, t["id"], body="Looking into it")
    breach = events(database, "ticket.sla_breached")
    assert [(b["target"], b["due_at"]) for b in breach] == [
        ("first_response", "2026-03-02T09:30:00+00:00")]
    assert _check(database, clock) == []


def test_an_internal_note_is_not_a_first_response(client: TestClient, clock: Clock) -> None:
    make_policy(client, first_response_minutes=30, resolution_minutes=600)
    t = make_ticket(client)
    comment(client, t["id"], body="Customer is grumpy", public=False)
    after = client.get(f"/api/v1/tickets/{t['id']}").json()
    assert after["first_responded_at"] is None and after["status"] == "new"
    comment(client, t["id"], body="Hello!")
    after = client.get(f"/api/v1/tickets/{t['id']}").json()
    assert after["first_responded_at"] is not None and after["status"] == "open"


def test_tier_policies_win_over_the_general_one(client: TestClient, clock: Clock) -> None:
    general = make_policy(client, first_response_minutes=120)
    vip = make_policy(client, first_response_minutes=30, match_tag="VIP", position=5)
    define_field(client, entity="company", key="tier", type="select", options=["gold", "std"])
    gold = make_policy(client, first_response_minutes=15, match_field="tier",
                       match_value="gold", position=9)
    high = make_policy(client, priority="high", first_response_minutes=10)
    plain = make_contact(client)
    tagged = make_contact(client, tags=["vip"])
    company = make_company(client, custom_fields={"tier": "gold"})
    staff = make_contact(client, company_id=company["id"])
    assert make_ticket(client, contact_id=plain["id"])["sla"]["policy_id"] == general["id"]
    assert make_ticket(client, contact_id=tagged["id"])["sla"]["policy_id"] == vip["id"]
    by_company = make_ticket(client, contact_id=staff["id"])
    assert by_company["company_id"] == company["id"]  # taken from the contact
    assert by_company["sla"]["policy_id"] == gold["id"]
    # raising the priority changes the policy and the due times
    clock.set(at("2026-03-02T09:00:00+00:00"))
    t = make_ticket(client, contact_id=plain["id"])
    raised = patch_ticket(client, t["id"], priority="high")
    assert raised["sla"]["policy_id"] == high["id"]
    assert utc(raised["sla"]["first_response"]["due_at"]) == at("2026-03-02T09:10:00+00:00")


def test_no_policy_means_no_due_times(client: TestClient) -> None:
    t = make_ticket(client, priority="low")
    assert t["sla"]["policy_id"] is None
    assert t["sla"]["first_response"]["due_at"] is None


def test_resolving_meets_the_resolution_target(client: TestClient, database: Database,
                                               clock: Clock) -> None:
    make_policy(client, first_response_minutes=30, resolution_minutes=60)
    clock.set(at("2026-03-02T09:00:00+00:00"))
    t = make_ticket(client)
    comment(client, t["id"])
    clock.set(at("2026-03-02T09:50:00+00:00"))
    done = patch_ticket(client, t["id"], status="resolved", resolution_notes="Rebooted")
    assert utc(done["sla"]["resolution"]["met_at"]) == clock.at
    assert done["resolution_notes"] == "Rebooted"
    clock.set(at("2026-03-02T12:00:00+00:00"))
    assert _check(database, clock) == []
    # reopened, the resolution target runs again (and is now late)
    patch_ticket(client, t["id"], status="open")
    assert _check(database, clock) == [("resolution", "breach")]


def test_calendar_and_policy_validation(client: TestClient) -> None:
    r = client.post("/api/v1/business-calendars", json={
        "name": "Bad", "time_zone": "Mars/Base", "hours": WEEKDAYS})
    assert_problem(r, 422, "time_zone", "calendar.time_zone")
    r = client.post("/api/v1/business-calendars", json={
        "name": "Bad", "time_zone": "UTC", "hours": {"mon": [["10:00", "09:00"]]}})
    assert_problem(r, 422, "hours", "calendar.hours")
    r = client.post("/api/v1/business-calendars", json={
        "name": "Bad", "time_zone": "UTC", "hours": {"mon": [["9am", "5pm"]]}})
    assert_problem(r, 422)
    r = client.post("/api/v1/sla-policies", json={
        "name": "P", "priority": "critical", "first_response_minutes": 5,
        "resolution_minutes": 10})
    assert_problem(r, 422, "priority")
    r = client.post("/api/v1/sla-policies", json={
        "name": "P", "priority": "low", "first_response_minutes": 50, "resolution_minutes": 10})
    assert_problem(r, 422, "resolution_minutes", "policy.targets")
    r = client.post("/api/v1/sla-policies", json={
        "name": "P", "priority": "low", "first_response_minutes": 5, "resolution_minutes": 10,
        "match_field": "tier"})
    assert_problem(r, 422, "match_value", "policy.match")
    cal = make_calendar(client)
    make_policy(client, calendar_id=cal["id"])
    assert_problem(client.delete(f"/api/v1/business-calendars/{cal['id']}"), 409,
                   code="calendar.in_use")
    r = client.patch(f"/api/v1/business-calendars/{cal['id']}", json={"name": "Renamed"},
                     headers={"If-Match": '"v99"'})
    assert_problem(r, 412)
