"""Sequences: steps run in order at their times (email through the outreach job to a real
SMTP server, waits, tasks), each once; an email step can wait for the contact's best hour;
enrolments stop when the contact replies, unsubscribes or wins a deal, and no later step runs;
bad input is refused with nothing stored."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from sqlalchemy import select

from amity.activities.models import Task
from amity.config import Settings
from amity.core.db import Database
from amity.intelligence import contact_time
from amity.intelligence.models import CustomerPrediction
from amity.jobs.worker import run_until_idle
from amity.sequences.models import Sequence, SequenceEnrolment, SequenceStepRun
from tests.activities.conftest import Inbox, call
from tests.activities.test_email import mail_settings, person
from tests.deals.deal_support import make_deal, move, stages
from tests.factories import assert_problem, count, make_contact
from tests.jobs.conftest import Clock, clock, inbox

__all__ = ["clock", "inbox", "mail_settings"]


def template(client: Any, subject: str = "Hello {{ first_name }}") -> str:
    r = client.post("/api/v1/email-templates", json={
        "name": f"T {uuid.uuid4().hex[:6]}", "subject": subject, "body": "Hi {{ first_name }}"})
    assert r.status_code == 201, r.text
    return str(r.json()["id"])


def sequence(client: Any, steps: list[dict[str, Any]], **fields: Any) -> dict[str, Any]:
    r = client.post("/api/v1/sequences", json={"name": f"S {uuid.uuid4().hex[:6]}",
                                               "steps": steps, **fields})
    assert r.status_code == 201, r.text
    return dict(r.json())


def enrol(client: Any, seq: dict[str, Any], contact: dict[str, Any]) -> dict[str, Any]:
    r = client.post(f"/api/v1/sequences/{seq['id']}/enrol", json={"contact_id": contact["id"]})
    assert r.status_code == 201, r.text
    return dict(r.json())


def enrolment(database: Database, enrolment_id: Any) -> SequenceEnrolment:
    with database.transaction(write=False) as s:
        e = s.get(SequenceEnrolment, uuid.UUID(str(enrolment_id)))
        assert e is not None
        return e


def runs(database: Database, enrolment_id: Any) -> list[SequenceStepRun]:
    with database.transaction(write=False) as s:
        return list(s.scalars(select(SequenceStepRun).where(
            SequenceStepRun.enrolment_id == uuid.UUID(str(enrolment_id)))
            .order_by(SequenceStepRun.position)))


def tasks(database: Database, contact_id: Any) -> list[Task]:
    with database.transaction(write=False) as s:
        return list(s.scalars(select(Task).where(Task.contact_id == uuid.UUID(str(contact_id)))))


def test_email_wait_task_run_in_order_at_their_times(
        client: Any, database: Database, inbox: Inbox, mail_settings: Settings,
        clock: Clock) -> None:
    start = clock.at
    tpl = template(client)
    seq = sequence(client, [{"kind": "email", "template_id": tpl},
                            {"kind": "wait", "wait_days": 2},
                            {"kind": "task", "task_title": "Call back", "task_due_days": 1}])
    c = person(client, first_name="Ada")
    e = enrol(client, seq, c)
    assert e["status"] == "active" and e["current_step"] == 0
    run_until_idle(database, mail_settings)
    assert [m["Subject"] for m in inbox.messages] == ["Hello Ada"]
    got = enrolment(database, e["id"])
    assert got.current_step == 2 and got.next_run_at == start + timedelta(days=2)
    assert tasks(database, c["id"]) == []
    clock.advance(hours=47)
    run_until_idle(database, mail_settings)
    assert tasks(database, c["id"]) == [] and enrolment(database, e["id"]).status == "active"
    clock.advance(hours=1, seconds=1)
    run_until_idle(database, mail_settings)
    [t] = tasks(database, c["id"])
    assert t.title == "Call back" and t.due_at == clock.at + timedelta(days=1)
    done = enrolment(database, e["id"])
    assert done.status == "finished" and done.active_key is None
    assert [(r.position, r.kind, r.outcome) for r in runs(database, e["id"])] == [
        (0, "email", "done"), (1, "wait", "done"), (2, "task", "done")]
    assert [r.ran_at for r in runs(database, e["id"])] == [start, start, clock.at]
    # running the jobs again (a retry, the minute scan) repeats nothing
    run_until_idle(database, mail_settings)
    assert len(inbox.messages) == 1 and len(tasks(database, c["id"])) == 1
    listed = client.get(f"/api/v1/sequences/{seq['id']}/enrolments").json()
    assert [x["status"] for x in listed] == ["finished"]


def test_an_email_step_waits_for_the_contacts_best_hour(
        client: Any, database: Database, inbox: Inbox, mail_settings: Settings,
        clock: Clock) -> None:
    monday_9 = clock.at  # 2030-01-07 09:00 UTC, a Monday
    wednesday_14 = monday_9 + timedelta(days=2, hours=5)
    seq = sequence(client, [
        {"kind": "email", "template_id": template(client), "at_best_hour": True},
        {"kind": "wait", "wait_hours": 1},
        {"kind": "email", "template_id": template(client, "Second"), "at_best_hour": True}])
    assert [st["at_best_hour"] for st in seq["steps"]] == [True, False, True]
    # before anyone's best hour is known, the email goes at once
    cy = person(client, first_name="Cy")
    first = enrol(client, seq, cy)
    run_until_idle(database, mail_settings)
    assert [m["Subject"] for m in inbox.messages] == ["Hello Cy"]
    client.post(f"/api/v1/sequences/enrolments/{first['id']}/stop", json={})
    # Ada answers her calls on Wednesdays between 14:00 and 15:00 UTC
    ada = person(client, first_name="Ada")
    for weeks in range(1, 13):
        call(client, ada["id"], outcome="connected",
             occurred_at=(wednesday_14 - timedelta(weeks=weeks, minutes=-20)).isoformat())
    with database.transaction() as s:
        assert contact_time.refresh(s) == 1
    e = enrol(client, seq, ada)
    run_until_idle(database, mail_settings)
    got = enrolment(database, e["id"])
    assert len(inbox.messages) == 1 and got.current_step == 0
    assert got.next_run_at == wednesday_14 and got.timed_step == 0
    listed = {x["id"]: x for x in client.get(f"/api/v1/sequences/{seq['id']}/enrolments").json()}
    assert listed[e["id"]]["next_run_at"].startswith("2030-01-09T14:00:00")
    clock.advance(days=2, hours=4, minutes=59)  # Wednesday 13:59: not yet
    run_until_idle(database, mail_settings)
    assert len(inbox.messages) == 1 and runs(database, e["id"]) == []
    clock.advance(minutes=1)
    run_until_idle(database, mail_settings)
    assert [m["Subject"] for m in inbox.messages] == ["Hello Cy", "Hello Ada"]
    # the hour's wait ends at 15:00, past her hour this week: the second email waits a week
    clock.advance(hours=1)
    run_until_idle(database, mail_settings)
    got = enrolment(database, e["id"])
    assert got.current_step == 2 and got.next_run_at == wednesday_14 + timedelta(days=7)
    assert len(inbox.messages) == 2
    clock.advance(days=7, hours=-1)
    run_until_idle(database, mail_settings)
    assert [m["Subject"] for m in inbox.messages][-1] == "Second"
    done = enrolment(database, e["id"])
    assert done.status == "finished"
    assert [(r.position, r.outcome, r.ran_at) for r in runs(database, e["id"])] == [
        (0, "done", wednesday_14), (1, "done", wednesday_14),
        (2, "done", wednesday_14 + timedelta(days=7))]
    # Bo has no history of his own: he gets everyone's best hour (Ada's), put off once only
    bo = person(client, first_name="Bo")
    clock.advance(hours=2)  # Wednesday 16:00
    later = enrol(client, seq, bo)
    run_until_idle(database, mail_settings)
    assert enrolment(database, later["id"]).next_run_at == wednesday_14 + timedelta(days=14)
    with database.transaction() as s:
        s.execute(CustomerPrediction.__table__.update().values(contact_hour=0))
    clock.advance(days=6, hours=22)  # next Wednesday 14:00, no longer anyone's best hour
    run_until_idle(database, mail_settings)
    assert [m["Subject"] for m in inbox.messages][-1] == "Hello Bo"


def _two_emails(client: Any) -> dict[str, Any]:
    return sequence(client, [{"kind": "email", "template_id": template(client, "First")},
                             {"kind": "wait", "wait_hours": 24},
                             {"kind": "email", "template_id": template(client, "Second")}])


def test_a_reply_stops_the_sequence_before_the_next_email(
        client: Any, database: Database, inbox: Inbox, mail_settings: Settings,
        clock: Clock) -> None:
    seq = _two_emails(client)
    c = person(client)
    e = enrol(client, seq, c)
    run_until_idle(database, mail_settings)
    assert [m["Subject"] for m in inbox.messages] == ["First"]
    clock.advance(hours=3)
    r = client.post("/api/v1/interactions", json={
        "channel": "email", "direction": "inbound", "subject": "Re: First",
        "participants": [{"contact_id": c["id"], "role": "from"}]})
    assert r.status_code == 201, r.text
    run_until_idle(database, mail_settings)
    got = enrolment(database, e["id"])
    assert (got.status, got.stop_reason, got.next_run_at) == ("stopped", "replied", None)
    clock.advance(days=2)
    run_until_idle(database, mail_settings)
    assert [m["Subject"] for m in inbox.messages] == ["First"]
    assert [r.position for r in runs(database, e["id"])] == [0, 1]


def test_an_old_reply_recorded_late_does_not_stop_it(
        client: Any, database: Database, inbox: Inbox, mail_settings: Settings,
        clock: Clock) -> None:
    seq = _two_emails(client)
    c = person(client)
    e = enrol(client, seq, c)
    r = client.post("/api/v1/interactions", json={
        "channel": "email", "direction": "inbound", "subject": "Last year",
        "occurred_at": (clock.at - timedelta(days=300)).isoformat(),
        "participants": [{"contact_id": c["id"], "role": "from"}]})
    assert r.status_code == 201, r.text
    run_until_idle(database, mail_settings)
    assert enrolment(database, e["id"]).status == "active"
    clock.advance(days=1, seconds=1)
    run_until_idle(database, mail_settings)
    assert enrolment(database, e["id"]).status == "finished"
    assert sorted(m["Subject"] for m in inbox.messages) == ["First", "Second"]


def test_unsubscribe_and_deal_won_stop_enrolments(
        client: Any, database: Database, inbox: Inbox, mail_settings: Settings,
        clock: Clock) -> None:
    seq = _two_emails(client)
    leaving, buying = person(client), person(client)
    e1, e2 = enrol(client, seq, leaving), enrol(client, seq, buying)
    run_until_idle(database, mail_settings)
    assert len(inbox.messages) == 2
    r = client.post(f"/api/v1/contacts/{leaving['id']}/consents",
                    json={"purpose": "marketing", "channel": "email", "status": "withdrawn"})
    assert r.status_code == 201, r.text
    ids = stages(client)
    deal = make_deal(client, contact_id=buying["id"], stage_id=ids["Proposal"])
    assert move(client, deal["id"], ids["Won"]).status_code == 200
    run_until_idle(database, mail_settings)
    assert enrolment(database, e1["id"]).stop_reason == "unsubscribed"
    assert enrolment(database, e2["id"]).stop_reason == "deal_won"
    clock.advance(days=2)
    run_until_idle(database, mail_settings)
    assert len(inbox.messages) == 2


def test_an_email_step_without_consent_stops_with_that_reason(
        client: Any, database: Database, inbox: Inbox, mail_settings: Settings) -> None:
    seq = _two_emails(client)
    c = person(client, consent=False)
    e = enrol(client, seq, c)
    run_until_idle(database, mail_settings)
    got = enrolment(database, e["id"])
    assert (got.status, got.stop_reason) == ("stopped", "unsubscribed")
    assert inbox.messages == [] and runs(database, e["id"])[0].outcome == "refused"


def test_bad_input_is_refused_and_nothing_changes(client: Any, database: Database) -> None:
    tpl = template(client)
    for steps in ([{"kind": "email"}], [{"kind": "email", "template_id": str(uuid.uuid4())}],
                  [{"kind": "wait", "wait_hours": 0}], [{"kind": "wait"}],
                  [{"kind": "task"}], [{"kind": "jump"}],
                  [{"kind": "wait", "wait_hours": 1, "wait_days": 1}],
                  [{"kind": "task", "task_title": "Call", "at_best_hour": True}],
                  [{"kind": "wait", "wait_hours": 1, "at_best_hour": True}]):
        assert_problem(client.post("/api/v1/sequences", json={"name": "Bad", "steps": steps}),
                       422)
    assert count(database, Sequence) == 0
    seq = sequence(client, [{"kind": "email", "template_id": tpl}])
    assert_problem(client.post("/api/v1/sequences", json={"name": seq["name"]}), 409)
    c = make_contact(client, first_name="Once")
    assert_problem(client.post(f"/api/v1/sequences/{seq['id']}/enrol",
                               json={"contact_id": str(uuid.uuid4())}), 422)
    assert_problem(client.post(f"/api/v1/sequences/{uuid.uuid4()}/enrol",
                               json={"contact_id": c["id"]}), 404)
    e = enrol(client, seq, c)
    assert_problem(client.post(f"/api/v1/sequences/{seq['id']}/enrol",
                               json={"contact_id": c["id"]}), 409)
    r = client.post(f"/api/v1/sequences/enrolments/{e['id']}/stop", json={})
    assert r.status_code == 200 and r.json()["stop_reason"] == "manual"
    assert_problem(client.post(f"/api/v1/sequences/enrolments/{e['id']}/stop", json={}), 409)
    assert_problem(client.post(f"/api/v1/sequences/enrolments/{e['id']}/stop",
                               json={"reason": "replied"}), 422)
    empty = sequence(client, [])
    assert_problem(client.post(f"/api/v1/sequences/{empty['id']}/enrol",
                               json={"contact_id": c["id"]}), 422)
    off = client.patch(f"/api/v1/sequences/{seq['id']}", json={"enabled": False})
    assert off.status_code == 200, off.text
    assert_problem(client.post(f"/api/v1/sequences/{seq['id']}/enrol",
                               json={"contact_id": c["id"]}), 422)
    assert count(database, SequenceEnrolment) == 1
