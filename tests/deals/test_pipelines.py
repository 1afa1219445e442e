"""Pipelines, stages and lost reasons through the API: the seeded pipeline, creation, editing
without losing history, archiving rules, one default, versions."""

from __future__ import annotations

from sqlalchemy import select

from amity.core.audit import AuditEntry
from amity.deals.models import Pipeline, Stage
from tests.deals.deal_support import make_deal, make_pipeline, move, pipeline, stages
from tests.factories import assert_problem, counts


def test_seeded_pipeline_and_lost_reasons(client):
    ps = client.get("/api/v1/pipelines").json()
    assert [p["name"] for p in ps] == ["New business"]
    p = ps[0]
    assert p["is_default"] is True
    assert [(s["name"], s["kind"], s["probability"], s["forecast_category"], s["stall_days"])
            for s in p["stages"]] == [
        ("Qualification", "open", 10, "pipeline", 14),
        ("Needs analysis", "open", 25, "pipeline", 14),
        ("Proposal", "open", 50, "best_case", 10),
        ("Negotiation", "open", 80, "commit", 7),
        ("Won", "won", 100, "closed", None), ("Lost", "lost", 0, "omitted", None)]
    r = client.get(f"/api/v1/pipelines/{p['id']}")
    assert r.status_code == 200 and r.headers["etag"] == f'"v{p["version"]}"'
    reasons = client.get("/api/v1/lost-reasons").json()
    assert [x["name"] for x in reasons][:3] == ["Price", "Chose a competitor", "No budget"]


def test_create_pipeline_with_defaults_per_kind(client, database):
    r = client.post("/api/v1/pipelines", json={"name": "Renewals", "stages": [
        {"name": "Due", "probability": 60, "stall_days": 30},
        {"name": "Renewed", "kind": "won"}, {"name": "Churned", "kind": "lost"}]})
    assert r.status_code == 201, r.text
    body = r.json()
    assert r.headers["etag"] == '"v1"' and body["is_default"] is False
    assert [(s["name"], s["position"], s["probability"], s["forecast_category"])
            for s in body["stages"]] == [("Due", 0, 60, "pipeline"), ("Renewed", 1, 100, "closed"),
                                         ("Churned", 2, 0, "omitted")]
    assert [p["name"] for p in client.get("/api/v1/pipelines").json()] == ["New business",
                                                                           "Renewals"]
    with database.transaction(write=False) as s:
        entry = s.scalar(select(AuditEntry).where(AuditEntry.entity_type == "pipeline"))
        assert entry.action == "create" and len(entry.changes["stages"][1]) == 3


def test_pipeline_needs_open_won_and_lost_stages(client, database):
    before = counts(database, Pipeline, Stage)
    body = assert_problem(client.post("/api/v1/pipelines", json={"name": "Half", "stages": [
        {"name": "A"}, {"name": "B"}, {"name": "Won", "kind": "won"}]}), 422, "stages",
        "pipeline.stages_incomplete")
    assert "lost" in body["detail"]
    assert_problem(client.post("/api/v1/pipelines", json={"name": "Odd", "stages": [
        {"name": "A"}, {"name": "Won", "kind": "won", "probability": 90},
        {"name": "Lost", "kind": "lost"}]}), 422, "stages.1.probability", "stage.probability")
    assert_problem(client.post("/api/v1/pipelines", json={"name": "X", "stages": [
        {"name": "A", "probability": 101}, {"name": "W", "kind": "won"},
        {"name": "L", "kind": "lost"}]}), 422, "stages.0.probability")
    assert_problem(client.post("/api/v1/pipelines", json={"name": "New business", "stages": [
        {"name": "A"}, {"name": "W", "kind": "won"}, {"name": "L", "kind": "lost"}]}), 409,
        "name", "pipeline.name_taken")
    assert counts(database, Pipeline, Stage) == before


def test_one_default_pipeline(client):
    seeded = pipeline(client)
    other = make_pipeline(client, "Partners")
    r = client.patch(f"/api/v1/pipelines/{other['id']}", json={"is_default": True})
    assert r.status_code == 200 and r.json()["is_default"] is True
    assert pipeline(client)["is_default"] is False
    deal = make_deal(client)  # new deals go to the default pipeline's first open stage
    assert deal["pipeline_id"] == other["id"]
    assert deal["stage_id"] == other["stages"][0]["id"]
    assert_problem(client.patch(f"/api/v1/pipelines/{other['id']}",
                                json={"is_default": False}), 422, "is_default")
    assert_problem(client.delete(f"/api/v1/pipelines/{other['id']}"), 422, code="pipeline.default")
    assert client.patch(f"/api/v1/pipelines/{seeded['id']}",
                        json={"is_default": True}).status_code == 200
    assert [p["is_default"] for p in client.get("/api/v1/pipelines").json()] == [True, False]


def test_rename_reorder_and_probability_keep_history(client):
    p = pipeline(client)
    ids = stages(client)
    deal = make_deal(client)
    assert move(client, deal["id"], ids["Proposal"]).status_code == 200
    overridden = make_deal(client, stage_id=ids["Proposal"], probability=65)

    r = client.patch(f"/api/v1/stages/{ids['Proposal']}", json={"name": "Offer sent",
                                                                 "probability": 55})
    assert r.status_code == 200 and r.json()["version"] == 2 and r.headers["etag"] == '"v2"'
    # deals that follow the stage's default follow the change; an override stays
    assert client.get(f"/api/v1/deals/{deal['id']}").json()["probability"] == 55
    assert client.get(f"/api/v1/deals/{overridden['id']}").json()["probability"] == 65
    history = client.get(f"/api/v1/deals/{deal['id']}/stage-history").json()["items"]
    assert [h["to_stage_name"] for h in history] == ["Qualification", "Offer sent"]

    order = [ids["Negotiation"], ids["Qualification"], ids["Needs analysis"], ids["Proposal"],
             ids["Won"], ids["Lost"]]
    r = client.put(f"/api/v1/pipelines/{p['id']}/stages", json={"stage_ids": order},
                   headers={"If-Match": f'"v{p["version"]}"'})
    assert r.status_code == 200, r.text
    assert [s["id"] for s in r.json()["stages"]] == order
    assert r.json()["version"] == p["version"] + 1
    assert_problem(client.put(f"/api/v1/pipelines/{p['id']}/stages", json={"stage_ids": order},
                              headers={"If-Match": f'"v{p["version"]}"'}), 412)
    assert_problem(client.put(f"/api/v1/pipelines/{p['id']}/stages",
                              json={"stage_ids": order[:-1]}), 422, "stage_ids",
                   "stage_order.incomplete")
    assert_problem(client.put(f"/api/v1/pipelines/{p['id']}/stages",
                              json={"stage_ids": [*order, order[0]]}), 422, "stage_ids",
                   "stage_order.duplicate")
    board = client.get(f"/api/v1/pipelines/{p['id']}/board").json()
    assert [c["stage"]["name"] for c in board["columns"]][:2] == ["Negotiation", "Qualification"]


def test_add_stage_at_a_position(client):
    p = pipeline(client)
    r = client.post(f"/api/v1/pipelines/{p['id']}/stages",
                    json={"name": "Demo", "probability": 40, "position": 2, "stall_days": 5})
    assert r.status_code == 201, r.text
    assert r.json()["position"] == 2
    names = [s["name"] for s in pipeline(client)["stages"]]
    assert names == ["Qualification", "Needs analysis", "Demo", "Proposal", "Negotiation", "Won",
                     "Lost"]
    assert_problem(client.post(f"/api/v1/pipelines/{p['id']}/stages",
                               json={"name": "Lost 2", "kind": "lost", "probability": 5}), 422,
                   "probability", "stage.probability")


def test_archiving_a_stage(client, database):
    ids = stages(client)
    deals = [make_deal(client, stage_id=ids["Needs analysis"]) for _ in range(2)]
    body = assert_problem(client.delete(f"/api/v1/stages/{ids['Needs analysis']}"), 409,
                          "stage_id", "stage.has_open_deals")
    assert "2 open deals" in body["detail"] and body["open_deals"] == 2
    for d in deals:
        assert move(client, d["id"], ids["Qualification"]).status_code == 200
    v = client.get(f"/api/v1/stages/{ids['Needs analysis']}").json()["version"]
    assert_problem(client.delete(f"/api/v1/stages/{ids['Needs analysis']}",
                                 headers={"If-Match": f'"v{v + 1}"'}), 412)
    assert client.delete(f"/api/v1/stages/{ids['Needs analysis']}").status_code == 204
    assert "Needs analysis" not in stages(client)
    listed = client.get(f"/api/v1/pipelines/{pipeline(client)['id']}/stages",
                        params={"include_archived": True}).json()
    assert [s["name"] for s in listed if s["archived_at"]] == ["Needs analysis"]
    # history keeps pointing at the archived stage; moving into it is refused
    hist = client.get(f"/api/v1/deals/{deals[0]['id']}/stage-history").json()["items"]
    assert hist[0]["to_stage_name"] == "Needs analysis"
    assert_problem(move(client, deals[0]["id"], ids["Needs analysis"]), 422, "stage_id",
                   "stage.not_found")
    # the last won / lost stage stays
    assert_problem(client.delete(f"/api/v1/stages/{ids['Won']}"), 422, "stage_id",
                   "pipeline.stages_incomplete")
    assert_problem(client.patch(f"/api/v1/stages/{ids['Lost']}", json={"kind": "open"}), 422,
                   "kind", "pipeline.stages_incomplete")


def test_stage_kind_changes_only_while_empty(client):
    ids = stages(client)
    make_deal(client, stage_id=ids["Negotiation"])
    assert_problem(client.patch(f"/api/v1/stages/{ids['Negotiation']}", json={"kind": "won"}),
                   409, "kind", "stage.has_deals")
    r = client.patch(f"/api/v1/stages/{ids['Proposal']}", json={"kind": "won"})
    assert r.status_code == 200, r.text
    assert (r.json()["probability"], r.json()["forecast_category"]) == (100, "closed")
    assert_problem(client.patch(f"/api/v1/stages/{ids['Proposal']}", json={"probability": 50}),
                   422, "probability", "stage.probability")
    assert_problem(client.patch(f"/api/v1/stages/{ids['Proposal']}", json={"name": None}), 422)


def test_archiving_a_pipeline(client):
    other = make_pipeline(client, "Partners", "Talk")
    deal = make_deal(client, pipeline_id=other["id"])
    body = assert_problem(client.delete(f"/api/v1/pipelines/{other['id']}"), 409,
                          "pipeline_id", "pipeline.has_open_deals")
    assert body["open_deals"] == 1
    lost = next(s["id"] for s in other["stages"] if s["kind"] == "lost")
    assert move(client, deal["id"], lost, lost_reason_text="Gone quiet").status_code == 200
    assert client.delete(f"/api/v1/pipelines/{other['id']}").status_code == 204
    assert [p["name"] for p in client.get("/api/v1/pipelines").json()] == ["New business"]
    archived = client.get("/api/v1/pipelines", params={"include_archived": True}).json()
    assert archived[1]["archived_at"] is not None
    assert_problem(client.post("/api/v1/deals", json={
        "name": "Late", "currency": "EUR", "pipeline_id": other["id"]}), 422, "pipeline_id",
        "pipeline.not_found")
    # its closed deal is still readable, with its history
    assert client.get(f"/api/v1/deals/{deal['id']}").json()["status"] == "lost"


def test_pipeline_versions(client):
    p = make_pipeline(client, "Versioned")
    r = client.patch(f"/api/v1/pipelines/{p['id']}", json={"name": "Renamed"},
                     headers={"If-Match": '"v1"'})
    assert r.status_code == 200 and r.json()["version"] == 2
    assert_problem(client.patch(f"/api/v1/pipelines/{p['id']}", json={"name": "Again"},
                                headers={"If-Match": '"v1"'}), 412, code="version.stale")
    assert_problem(client.patch(f"/api/v1/pipelines/{p['id']}",
                                json={"name": "Again", "version": 1}), 412)
    assert_problem(client.patch(f"/api/v1/pipelines/{p['id']}", json={"name": "New business"}),
                   409, "name")
    assert client.get(f"/api/v1/pipelines/{p['id']}").json()["name"] == "Renamed"
    assert_problem(client.get("/api/v1/pipelines/00000000-0000-0000-0000-000000000000"), 404)


def test_lost_reasons(client):
    r = client.post("/api/v1/lost-reasons", json={"name": "Went in-house"})
    assert r.status_code == 201, r.text
    rid = r.json()["id"]
    assert_problem(client.post("/api/v1/lost-reasons", json={"name": "went IN-HOUSE"}), 409,
                   "name", "lost_reason.name_taken")
    r = client.patch(f"/api/v1/lost-reasons/{rid}", json={"name": "Built it themselves",
                                                          "position": 0})
    assert r.status_code == 200 and r.json()["name"] == "Built it themselves"
    ids = stages(client)
    deal = make_deal(client)
    assert move(client, deal["id"], ids["Lost"], lost_reason_id=rid).status_code == 200
    assert client.delete(f"/api/v1/lost-reasons/{rid}").status_code == 204
    assert rid not in [x["id"] for x in client.get("/api/v1/lost-reasons").json()]
    everything = client.get("/api/v1/lost-reasons", params={"include_inactive": True}).json()
    assert [x["active"] for x in everything if x["id"] == rid] == [False]
    # the deal keeps its reason; a new loss cannot use it
    assert client.get(f"/api/v1/deals/{deal['id']}").json()["lost_reason_id"] == rid
    other = make_deal(client)
    assert_problem(move(client, other["id"], ids["Lost"], lost_reason_id=rid), 422,
                   "lost_reason_id", "lost_reason.not_found")


def test_settings_need_settings_edit(app, client, database):
    from tests.deals.deal_support import user_client

    rep, _ = user_client(app, database, "sales_rep")
    p = pipeline(client)
    assert rep.get("/api/v1/pipelines").status_code == 200
    assert rep.get(f"/api/v1/pipelines/{p['id']}/board").status_code == 200
    before = counts(database, Pipeline, Stage)
    assert_problem(rep.patch(f"/api/v1/pipelines/{p['id']}", json={"name": "Mine"}), 403)
    assert_problem(rep.post("/api/v1/lost-reasons", json={"name": "Nope"}), 403)
    assert_problem(rep.delete(f"/api/v1/stages/{p['stages'][0]['id']}"), 403)
    assert counts(database, Pipeline, Stage) == before
    support, _ = user_client(app, database, "support_agent")
    assert_problem(support.get("/api/v1/pipelines"), 403)
