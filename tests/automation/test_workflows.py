"""Workflows end to end on both databases: events start runs once, conditions, actions,
waits, versions, dry-run and refusals."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import func, select

from amity.activities.models import Task
from amity.automation.models import Workflow, WorkflowRun, WorkflowVersion
from amity.config import Settings
from amity.contacts.models import Contact
from amity.core.db import Database
from tests.automation.conftest import Clock, flow, runs, scan
from tests.deals.deal_support import make_deal, move, stages
from tests.factories import assert_problem, make_contact


def tasks(database: Database, contact_id: Any = None) -> list[Task]:
    with database.transaction(write=False) as s:
        stmt = select(Task).order_by(Task.created_at)
        if contact_id is not None:
            stmt = stmt.where(Task.contact_id == uuid.UUID(str(contact_id)))
        return list(s.scalars(stmt))


def tags_of(client: Any, contact_id: str) -> list[str]:
    return list(client.get(f"/api/v1/contacts/{contact_id}").json()["tags"])


def test_deal_won_creates_a_task_for_the_owner_and_tags_the_contact(
        client: Any, database: Database, settings: Settings, clock: Clock,
        admin_user: Any) -> None:
    w = flow(client, {"type": "event", "event": "deal.stage_changed",
                      "filters": [{"path": "to_stage_name", "op": "eq", "value": "won"}]},
             [{"type": "create_task", "title": "Send the welcome pack", "due_in_days": 2},
              {"type": "add_tag", "tag": "Customer 2030"}])
    c = make_contact(client, first_name="Ada")
    other = make_contact(client, first_name="Bob")
    st = stages(client)
    deal = make_deal(client, contact_id=c["id"])
    lost = make_deal(client, contact_id=other["id"])
    assert move(client, deal["id"], st["Won"]).status_code == 200
    open_stage = next(v for k, v in st.items() if k not in ("Won", "Lost"))
    assert move(client, lost["id"], open_stage).status_code == 200
    scan(database, settings)
    scan(database, settings)  # again: the same event starts nothing twice
    [task] = tasks(database)
    assert task.title == "Send the welcome pack" and str(task.contact_id) == c["id"]
    assert task.assignee_id == admin_user[0].id and str(task.deal_id) == deal["id"]
    assert task.due_at is not None and (task.due_at - clock.at).days == 2
    assert tags_of(client, c["id"]) == ["Customer 2030"] and tags_of(client, other["id"]) == []
    [run] = runs(database, w["id"])
    assert run.status == "done" and run.step_index == 2 and run.version_number == 1
    assert [e["action"] for e in run.log] == ["trigger", "conditions", "create_task",
                                             "add_tag", "done"]
    r = client.get(f"/api/v1/contacts/{c['id']}/workflow-runs")
    assert r.status_code == 200 and [x["id"] for x in r.json()["items"]] == [str(run.id)]
    assert r.json()["items"][0]["workflow_name"] == "Flow"
    assert client.get(f"/api/v1/workflows/{w['id']}/runs").json()["items"][0]["status"] == \
        "done"


def test_conditions_decide_per_contact(client: Any, database: Database, settings: Settings,
                                       clock: Clock) -> None:
    w = flow(client, {"type": "event", "event": "contact.lifecycle_stage_changed",
                      "filters": [{"path": "to_stage", "value": "customer"}]},
             [{"type": "create_task", "title": "Thank them"}],
             conditions={"match": "all", "rules": [
                 {"type": "tag", "op": "has", "tag": "vip"},
                 {"type": "field", "field": "job_title", "op": "contains", "value": "chef"}]})
    yes = make_contact(client, first_name="Yes", tags=["VIP"], job_title="Head Chef")
    no_tag = make_contact(client, first_name="NoTag", job_title="Chef")
    no_title = make_contact(client, first_name="NoTitle", tags=["vip"], job_title="Baker")
    for c in (yes, no_tag, no_title):
        r = client.patch(f"/api/v1/contacts/{c['id']}", json={"lifecycle_stage": "customer"})
        assert r.status_code == 200, r.text
    scan(database, settings)
    assert [str(t.contact_id) for t in tasks(database)] == [yes["id"]]
    by_contact = {str(r.contact_id): r for r in runs(database, w["id"])}
    assert by_contact[yes["id"]].status == "done"
    assert by_contact[no_tag["id"]].status == "skipped"
    assert by_contact[no_title["id"]].log[-1]["outcome"] == "conditions not met"


def test_wait_two_days_then_continue(client: Any, database: Database, settings: Settings,
                                     clock: Clock) -> None:
    w = flow(client, {"type": "event", "event": "contact.created"},
             [{"type": "add_tag", "tag": "new"}, {"type": "wait", "amount": 2, "unit": "days"},
              {"type": "create_task", "title": "Follow up"}])
    c = make_contact(client, first_name="Wendy")
    scan(database, settings)
    [run] = runs(database, w["id"])
    assert run.status == "waiting" and run.step_index == 2 and tasks(database) == []
    clock.advance(days=1, hours=23)
    scan(database, settings)
    assert tasks(database) == [] and runs(database)[0].status == "waiting"
    clock.advance(hours=1, seconds=1)
    scan(database, settings)
    [task] = tasks(database)
    assert task.title == "Follow up" and str(task.contact_id) == c["id"]
    [run] = runs(database, w["id"])
    assert run.status == "done" and run.finished_at is not None


def test_editing_makes_a_new_version_and_old_runs_keep_theirs(
        client: Any, database: Database, settings: Settings, clock: Clock) -> None:
    w = flow(client, {"type": "event", "event": "contact.created"},
             [{"type": "wait", "amount": 1, "unit": "hours"},
              {"type": "create_task", "title": "Version one"}])
    make_contact(client, first_name="Early")
    scan(database, settings)
    new_def = {"trigger": {"type": "event", "event": "contact.created"},
               "actions": [{"type": "create_task", "title": "Version two"}]}
    r = client.patch(f"/api/v1/workflows/{w['id']}", json={"definition": new_def,
                                                           "name": "Renamed"})
    assert r.status_code == 200, r.text
    assert r.json()["current_version"] == 2 and r.json()["name"] == "Renamed"
    same = client.patch(f"/api/v1/workflows/{w['id']}", json={"definition": new_def})
    assert same.json()["current_version"] == 2  # nothing changed: no new version
    versions = client.get(f"/api/v1/workflows/{w['id']}/versions").json()
    assert [v["number"] for v in versions] == [2, 1]
    assert client.get(f"/api/v1/workflows/{w['id']}/versions/1").json()["definition"][
        "actions"][1]["title"] == "Version one"
    make_contact(client, first_name="Late")
    clock.advance(hours=1, seconds=1)
    scan(database, settings)
    assert sorted(t.title for t in tasks(database)) == ["Version one", "Version two"]
    assert sorted(r.version_number for r in runs(database, w["id"])) == [1, 2]


def test_dry_run_lists_exactly_the_matching_contacts_and_acts_on_none(
        client: Any, database: Database, settings: Settings, clock: Clock) -> None:
    w = flow(client, {"type": "event", "event": "contact.updated"},
             [{"type": "add_tag", "tag": "touched"}],
             conditions={"match": "any", "rules": [
                 {"type": "lifecycle_stage", "stages": ["customer"]},
                 {"type": "tag", "tag": "hot"}]})
    a = make_contact(client, first_name="Anna", lifecycle_stage="customer")
    b = make_contact(client, first_name="Bea", tags=["Hot"])
    make_contact(client, first_name="Carl", lifecycle_stage="lead")
    scan(database, settings)
    with database.transaction(write=False) as s:
        versions_before = s.scalar(select(func.count()).select_from(Contact.__table__)
                                   .where(Contact.version > 1))
    r = client.post(f"/api/v1/workflows/{w['id']}/dry-run", json={})
    assert r.status_code == 200, r.text
    out = r.json()
    assert out["matching"] == 2
    assert {m["id"] for m in out["sample"]} == {a["id"], b["id"]}
    assert runs(database) == [] and tasks(database) == []
    assert all(tags_of(client, x["id"]) in ([], ["Hot"]) for x in (a, b))
    with database.transaction(write=False) as s:
        assert s.scalar(select(func.count()).select_from(Contact.__table__)
                        .where(Contact.version > 1)) == versions_before
    narrower = {"trigger": {"type": "event", "event": "contact.updated"},
                "conditions": {"rules": [{"type": "tag", "tag": "hot"}]},
                "actions": [{"type": "add_tag", "tag": "x"}]}
    r = client.post(f"/api/v1/workflows/{w['id']}/dry-run", json={"definition": narrower})
    assert r.json()["matching"] == 1 and r.json()["sample"][0]["id"] == b["id"]


def test_web_page_views_count_in_a_window(client: Any, database: Database,
                                          settings: Settings, clock: Clock) -> None:
    from amity.activities.outreach_models import WebEvent

    hot = make_contact(client, first_name="Hot")
    cold = make_contact(client, first_name="Cold")
    with database.transaction() as s:
        for i in range(3):
            s.add(WebEvent(type="page_view", contact_id=uuid.UUID(hot["id"]),
                           url=f"https://shop.example/pricing?x={i}", occurred_at=clock.at))
        s.add(WebEvent(type="page_view", contact_id=uuid.UUID(cold["id"]),
                       url="https://shop.example/pricing", occurred_at=clock.at))
        for _ in range(3):  # too old
            s.add(WebEvent(type="page_view", contact_id=uuid.UUID(cold["id"]),
                           url="https://shop.example/pricing", occurred_at=clock.at
                           .replace(year=2029)))
    w = flow(client, {"type": "event", "event": "contact.updated"},
             [{"type": "add_tag", "tag": "x"}], conditions={"rules": [
                 {"type": "event_count", "source": "web", "kind": "page_view",
                  "path_contains": "/pricing", "within_days": 7, "op": "gte", "count": 3}]})
    r = client.post(f"/api/v1/workflows/{w['id']}/dry-run", json={})
    assert [m["id"] for m in r.json()["sample"]] == [hot["id"]]


def test_invalid_definitions_are_422_and_store_nothing(client: Any, database: Database) -> None:
    good_trigger = {"type": "event", "event": "deal.won"}
    bad = [
        {"trigger": {"type": "event", "event": "Not An Event"},
         "actions": [{"type": "add_tag", "tag": "x"}]},
        {"trigger": {"type": "teleport"}, "actions": [{"type": "add_tag", "tag": "x"}]},
        {"trigger": good_trigger, "actions": []},
        {"trigger": good_trigger, "actions": [{"type": "explode"}]},
        {"trigger": good_trigger, "actions": [{"type": "send_email"}]},
        {"trigger": good_trigger, "actions": [{"type": "create_task", "title": "x",
                                               "assignee": "user"}]},
        {"trigger": good_trigger, "actions": [{"type": "send_email",
                                               "template_id": str(uuid.uuid4())}]},
        {"trigger": good_trigger, "actions": [{"type": "change_owner",
                                               "user_id": str(uuid.uuid4())}]},
        {"trigger": good_trigger, "actions": [{"type": "update_field",
                                               "field": "lifecycle_stage", "value": "king"}]},
        {"trigger": good_trigger, "actions": [{"type": "webhook", "url": "ftp://x",
                                               "secret": "s" * 20}]},
        {"trigger": {"type": "birthday", "time_zone": "Mars/Base"},
         "actions": [{"type": "add_tag", "tag": "x"}]},
        {"trigger": good_trigger, "conditions": {"rules": [
            {"type": "field", "field": "birthday", "op": "eq", "value": "not a date"}]},
         "actions": [{"type": "add_tag", "tag": "x"}]},
    ]
    for definition in bad:
        r = client.post("/api/v1/workflows", json={"name": "Bad", "definition": definition})
        assert_problem(r, 422)
    with database.transaction(write=False) as s:
        for model in (Workflow, WorkflowVersion, WorkflowRun):
            assert s.scalar(select(func.count()).select_from(model)) == 0
    w = flow(client, good_trigger, [{"type": "add_tag", "tag": "x"}])
    r = client.patch(f"/api/v1/workflows/{w['id']}", json={"definition": bad[3]})
    assert_problem(r, 422)
    assert client.get(f"/api/v1/workflows/{w['id']}/versions").json()[0]["number"] == 1
    assert client.get(f"/api/v1/workflows/{uuid.uuid4()}").status_code == 404


def test_enable_disable_and_delete(client: Any, database: Database, settings: Settings,
                                   clock: Clock) -> None:
    w = flow(client, {"type": "event", "event": "contact.created"},
             [{"type": "add_tag", "tag": "seen"}], enabled=False)
    make_contact(client, first_name="Off")
    scan(database, settings)
    assert runs(database) == []
    assert client.post(f"/api/v1/workflows/{w['id']}/enable").json()["enabled"] is True
    c = make_contact(client, first_name="On")
    clock.advance(seconds=1)
    scan(database, settings)
    assert tags_of(client, c["id"]) == ["seen"]
    assert client.post(f"/api/v1/workflows/{w['id']}/disable").json()["enabled"] is False
    assert client.delete(f"/api/v1/workflows/{w['id']}").status_code == 204
    assert client.get(f"/api/v1/workflows/{w['id']}").status_code == 404
    assert client.get("/api/v1/workflows").json()["items"] == []
