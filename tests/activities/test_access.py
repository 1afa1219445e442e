"""Who sees and changes interactions and tasks: it follows the records they concern."""

from __future__ import annotations

from typing import Any

from amity.activities.models import Interaction, Task
from amity.core.db import Database
from tests.auth.world import build_world, make_records
from tests.factories import assert_problem, count


def _h(world: Any, who: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {world.tokens[who]}"}


def test_a_sales_rep_cannot_see_another_teams_calls(anon: Any, database: Database) -> None:
    w = build_world(database)
    theirs = make_records(database, w.ids["outsider"])  # team B
    mate = make_records(database, w.ids["mate"])  # team A, like the sales rep
    rep = _h(w, "sales_rep")
    assert_problem(anon.get(f"/api/v1/interactions/{theirs['interaction_id']}", headers=rep),
                   404)
    listed = anon.get("/api/v1/interactions", headers=rep).json()["items"]
    assert [i["id"] for i in listed] == [str(mate["interaction_id"])]
    assert anon.get("/api/v1/interactions", headers=rep,
                    params={"contact_id": str(theirs["contact_id"])}).json()["items"] == []
    # a teammate's call: visible, not editable (sales reps edit their own contacts only)
    r = anon.patch(f"/api/v1/interactions/{mate['interaction_id']}", headers=rep,
                   json={"subject": "mine now"})
    assert_problem(r, 403)
    # naming another team's contact is refused like an unknown id, and nothing is written
    before = count(database, Interaction)
    r = anon.post("/api/v1/interactions", headers=rep, json={
        "channel": "call", "participants": [{"contact_id": str(theirs["contact_id"])}]})
    assert_problem(r, 422, "participants.0.contact_id", "contact.not_found")
    # a teammate's contact is visible but the rep may not log on it alone
    r = anon.post("/api/v1/interactions", headers=rep, json={
        "channel": "call", "participants": [{"contact_id": str(mate["contact_id"])}]})
    assert_problem(r, 403, "participants")
    assert count(database, Interaction) == before
    # the timeline of another team's contact is not found either
    assert_problem(anon.get(f"/api/v1/contacts/{theirs['contact_id']}/timeline", headers=rep),
                   404)


def test_a_manager_sees_the_teams_calls_and_support_sees_all(anon: Any,
                                                             database: Database) -> None:
    w = build_world(database)
    theirs = make_records(database, w.ids["outsider"])
    mate = make_records(database, w.ids["mate"])
    seen = {i["id"] for i in anon.get("/api/v1/interactions",
                                      headers=_h(w, "manager")).json()["items"]}
    assert seen == {str(mate["interaction_id"])}
    seen = {i["id"] for i in anon.get("/api/v1/interactions",
                                      headers=_h(w, "support_agent")).json()["items"]}
    assert seen == {str(mate["interaction_id"]), str(theirs["interaction_id"])}


def test_task_visibility_assignee_owner_and_related_record(anon: Any,
                                                           database: Database) -> None:
    w = build_world(database)
    theirs = make_records(database, w.ids["outsider"])
    rep, outsider = _h(w, "sales_rep"), _h(w, "outsider")
    # the outsider assigns a task about their own contact to the sales rep
    r = anon.post("/api/v1/tasks", headers=outsider, json={
        "title": "Call them back", "contact_id": str(theirs["contact_id"]),
        "assignee_id": str(w.ids["sales_rep"])})
    assert r.status_code == 201, r.text
    assigned = r.json()["id"]
    assert anon.get(f"/api/v1/tasks/{assigned}", headers=rep).status_code == 200
    r = anon.post(f"/api/v1/tasks/{assigned}/complete", headers=rep)
    assert r.status_code == 200 and r.json()["status"] == "done"
    # the world's task about that contact is neither the rep's nor about a visible record
    assert_problem(anon.get(f"/api/v1/tasks/{theirs['task_id']}", headers=rep), 404)
    ids = {t["id"] for t in anon.get("/api/v1/tasks", headers=rep).json()["items"]}
    assert assigned in ids and str(theirs["task_id"]) not in ids
    # a read-only user changes nothing, even on a task assigned to them
    ro = _h(w, "read_only")
    before = count(database, Task)
    assert_problem(anon.post("/api/v1/tasks", headers=ro, json={"title": "x"}), 403)
    assert count(database, Task) == before
