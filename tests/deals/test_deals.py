"""Deals through the API: CRUD, defaults from the stage, validation, contacts, exact lines,
soft delete, history, events, idempotent creation, access."""

from __future__ import annotations

import uuid
from decimal import Decimal

import pytest
from sqlalchemy import select

from amity.core.audit import AuditEntry
from amity.core.events import EventRecord
from amity.deals.models import Deal, DealContact, DealLine, DealStageChange
from tests.deals.deal_support import events, make_deal, move, stages, user_client
from tests.factories import assert_problem, counts, make_company, make_contact

TABLES = (Deal, DealLine, DealContact, DealStageChange, AuditEntry, EventRecord)


def test_deal_crud(client, database, admin_user):
    ids = stages(client)
    person, firm = make_contact(client), make_company(client)
    r = client.post("/api/v1/deals", json={
        "name": "Bakery ovens", "amount": "12500.5", "currency": "EUR",
        "expected_close_date": "2026-06-30", "contact_id": person["id"],
        "company_id": firm["id"], "source": "referral", "campaign": "spring",
        "next_step": "Call", "description": "Three ovens"})
    assert r.status_code == 201, r.text
    assert r.headers["etag"] == '"v1"'
    d = r.json()
    assert d["amount"] == "12500.50" and d["currency"] == "EUR"
    assert (d["stage_id"], d["status"], d["probability"], d["probability_overridden"]) == (
        ids["Qualification"], "open", 10, False)
    assert d["owner_id"] == str(admin_user[0].id) and d["stalled"] is False
    assert d["closed_at"] is None and d["contacts"] == [] and d["lines"] == []

    got = client.get(f"/api/v1/deals/{d['id']}")
    assert got.status_code == 200 and got.json() == d
    r = client.patch(f"/api/v1/deals/{d['id']}", json={"probability": 35, "amount": "13000"},
                     headers={"If-Match": '"v1"'})
    assert r.status_code == 200, r.text
    assert (r.json()["probability"], r.json()["probability_overridden"]) == (35, True)
    assert r.json()["amount"] == "13000.00" and r.headers["etag"] == '"v2"'
    assert_problem(client.patch(f"/api/v1/deals/{d['id']}", json={"name": "Stale"},
                                headers={"If-Match": '"v1"'}), 412, code="version.stale")
    assert_problem(client.patch(f"/api/v1/deals/{d['id']}", json={"name": "Stale",
                                                                   "version": 1}), 412)
    r = client.patch(f"/api/v1/deals/{d['id']}", json={"probability": None})
    assert (r.json()["probability"], r.json()["probability_overridden"]) == (10, False)

    assert_problem(client.delete(f"/api/v1/deals/{d['id']}", headers={"If-Match": '"v1"'}), 412)
    assert client.delete(f"/api/v1/deals/{d['id']}").status_code == 204
    assert_problem(client.get(f"/api/v1/deals/{d['id']}"), 404)
    assert client.get(f"/api/v1/deals/{d['id']}", params={"include_deleted": True}).json()[
        "deleted_at"]
    assert [x["id"] for x in client.get("/api/v1/deals", params={"deleted": "only"}).json()[
        "items"]] == [d["id"]]
    r = client.post(f"/api/v1/deals/{d['id']}/restore")
    assert r.status_code == 200 and r.json()["deleted_at"] is None

    history = client.get(f"/api/v1/deals/{d['id']}/history").json()
    assert [h["action"] for h in history] == ["restore", "delete", "update", "update", "create"]
    assert history[3]["changes"]["probability"] == [10, 35]
    assert history[3]["changes"]["amount"] == ["12500.50", "13000.00"]
    assert sorted(t for t, _ in events(database, d["id"])) == [
        *["deal.changed"] * 5, "deal.stage_changed"]
    with database.transaction(write=False) as s:
        first = s.scalar(select(DealStageChange).where(DealStageChange.deal_id ==
                                                       uuid.UUID(d["id"])))
        assert first.from_stage_id is None and str(first.to_stage_id) == ids["Qualification"]


def test_deal_in_a_named_stage_or_pipeline(client):
    ids = stages(client)
    d = make_deal(client, stage_id=ids["Proposal"])
    assert (d["probability"], d["rank"]) == (50, 1.0)
    assert make_deal(client, stage_id=ids["Proposal"])["rank"] == 2.0
    won = make_deal(client, stage_id=ids["Won"], closed_at="2026-01-10T12:00:00Z")
    assert (won["status"], won["probability"]) == ("won", 100)
    assert won["closed_at"] == "2026-01-10T12:00:00Z"
    lost = make_deal(client, stage_id=ids["Lost"], lost_reason_text="Budget cut")
    assert (lost["status"], lost["probability"], lost["lost_reason_text"]) == ("lost", 0,
                                                                               "Budget cut")
    assert_problem(client.post("/api/v1/deals", json={
        "name": "L", "currency": "EUR", "stage_id": ids["Lost"]}), 422, "lost_reason_id",
        "deal.lost_reason_required")


BAD_INPUT = [
    ({"currency": "eur"}, "currency"),
    ({"currency": "EURO"}, "currency"),
    ({"amount": "-1"}, "amount"),
    ({"amount": "10.005"}, "amount"),
    ({"amount": "NaN"}, "amount"),
    ({"amount": "10000000000000"}, "amount"),
    ({"probability": 101}, "probability"),
    ({"probability": -1}, "probability"),
    ({"stage_id": str(uuid.uuid4())}, "stage_id"),
    ({"pipeline_id": str(uuid.uuid4())}, "pipeline_id"),
    ({"contact_id": str(uuid.uuid4())}, "contact_id"),
    ({"company_id": str(uuid.uuid4())}, "company_id"),
    ({"owner_id": str(uuid.uuid4())}, "owner_id"),
    ({"forecast_category": "maybe"}, "forecast_category"),
    ({"expected_close_date": "2026-02-30"}, "expected_close_date"),
    ({"closed_at": "2026-01-01T00:00:00Z"}, "closed_at"),
    ({"lost_reason_text": "why"}, "lost_reason_id"),
    ({"name": ""}, "name"),
    ({"status": "won"}, "status"),
    ({"rank": 3}, "rank"),
]


@pytest.mark.parametrize(("extra", "field"), BAD_INPUT)
def test_bad_input_is_refused_and_changes_nothing(client, database, extra, field):
    before = counts(database, *TABLES)
    body = {"name": "Bad", "currency": "EUR", "amount": "1.00", **extra}
    assert_problem(client.post("/api/v1/deals", json=body), 422, field)
    assert counts(database, *TABLES) == before


def test_patch_rules(client):
    ids = stages(client)
    d = make_deal(client)
    assert_problem(client.patch(f"/api/v1/deals/{d['id']}", json={"stage_id": ids["Won"]}),
                   422, "stage_id")
    assert_problem(client.patch(f"/api/v1/deals/{d['id']}", json={"currency": None}), 422)
    assert_problem(client.patch(f"/api/v1/deals/{d['id']}", json={"lost_reason_text": "x"}),
                   422, "lost_reason_text", "deal.not_lost")
    assert_problem(client.patch(f"/api/v1/deals/{d['id']}",
                                json={"closed_at": "2026-01-01T00:00:00Z"}), 422, "closed_at")
    won = make_deal(client, stage_id=ids["Won"])
    assert_problem(client.patch(f"/api/v1/deals/{won['id']}", json={"probability": 50}), 422,
                   "probability", "deal.probability_closed")
    r = client.patch(f"/api/v1/deals/{won['id']}", json={"closed_at": "2026-02-01T08:00:00Z"})
    assert r.json()["closed_at"] == "2026-02-01T08:00:00Z"
    assert_problem(client.patch(f"/api/v1/deals/{won['id']}", json={"closed_at": None}), 422)
    lost = make_deal(client, stage_id=ids["Lost"], lost_reason_text="Price")
    assert_problem(client.patch(f"/api/v1/deals/{lost['id']}", json={"lost_reason_text": ""}),
                   422, "lost_reason_id", "deal.lost_reason_required")
    assert client.get(f"/api/v1/deals/{lost['id']}").json()["lost_reason_text"] == "Price"


def test_other_contacts_with_roles(client, database):
    d = make_deal(client)
    a, b = make_contact(client), make_contact(client)
    url = f"/api/v1/deals/{d['id']}/contacts"
    r = client.put(url, json={"contacts": [{"contact_id": a["id"], "role": "champion"},
                                           {"contact_id": b["id"], "role": "decision_maker"}]})
    assert r.status_code == 200, r.text
    assert [(c["contact_id"], c["role"]) for c in r.json()["contacts"]] == [
        (a["id"], "champion"), (b["id"], "decision_maker")]
    assert r.json()["version"] == 2
    r = client.put(url, json={"contacts": [{"contact_id": b["id"], "role": "user"}],
                              "version": 2})
    assert [(c["contact_id"], c["role"]) for c in r.json()["contacts"]] == [(b["id"], "user")]
    # a deal is found by any of its contacts
    found = client.get("/api/v1/deals", params={"contact_id": b["id"]}).json()["items"]
    assert [x["id"] for x in found] == [d["id"]]
    assert_problem(client.put(url, json={"contacts": [{"contact_id": a["id"]}],
                                         "version": 2}), 412)
    assert_problem(client.put(url, json={"contacts": [{"contact_id": a["id"]},
                                                      {"contact_id": a["id"]}]}), 422,
                   "contacts", "deal.contact_twice")
    assert_problem(client.put(url, json={"contacts": [{"contact_id": str(uuid.uuid4())}]}),
                   422, "contacts.0.contact_id", "contact.not_found")
    assert_problem(client.put(url, json={"contacts": [{"contact_id": a["id"],
                                                       "role": "boss"}]}), 422)
    assert counts(database, DealContact)["deal_contacts"] == 1


def test_lines_are_exact(client, database):
    d = make_deal(client, amount="5.00")
    url = f"/api/v1/deals/{d['id']}/lines"
    r = client.put(url, json={"lines": [
        {"description": "A", "quantity": "1", "unit_price": "0.10"},
        {"description": "B", "quantity": "1", "unit_price": "0.20"}]})
    assert r.status_code == 200, r.text
    assert r.json()["amount"] == "0.30"
    with database.transaction(write=False) as s:
        assert s.get(Deal, uuid.UUID(d["id"])).amount == Decimal("0.30")
    # hand-computed: 3 x 19.99 x (1 - 12.5%) = 52.47375 -> 52.47; 2.5 x 0.333 -> 0.8325 -> 0.83
    # (half to even); 1 x 0.125 -> 0.12 (half to even) ; total 53.42
    r = client.put(url, json={"lines": [
        {"description": "Flour", "quantity": "3", "unit_price": "19.99",
         "discount_percent": "12.5"},
        {"description": "Yeast", "quantity": "2.5", "unit_price": "0.333"},
        {"description": "Salt", "quantity": "1", "unit_price": "0.125"}]})
    assert [ln["total"] for ln in r.json()["lines"]] == ["52.47", "0.83", "0.12"]
    assert r.json()["amount"] == "53.42"
    assert r.json()["lines"][1]["quantity"] == "2.500"
    assert r.json()["lines"][1]["unit_price"] == "0.3330"
    assert client.get(f"/api/v1/deals/{d['id']}").json()["lines"] == r.json()["lines"]
    # the amount follows the lines, it cannot be set beside them
    assert_problem(client.patch(f"/api/v1/deals/{d['id']}", json={"amount": "99"}), 422,
                   "amount", "deal.amount_from_lines")
    for bad, field in (({"quantity": "0", "unit_price": "1"}, "lines.0.quantity"),
                       ({"quantity": "1.0001", "unit_price": "1"}, "lines.0.quantity"),
                       ({"quantity": "1", "unit_price": "1.00001"}, "lines.0.unit_price"),
                       ({"quantity": "1", "unit_price": "1", "discount_percent": "101"},
                        "lines.0.discount_percent"),
                       ({"quantity": "1"}, "lines.0.unit_price"),
                       ({"quantity": "1", "unit_price": "1",
                         "product_id": str(uuid.uuid4())}, "lines.0.product_id"),
                       ({"quantity": "999999999", "unit_price": "99999999999"},
                        "lines.0.quantity")):
        assert_problem(client.put(url, json={"lines": [{"description": "x", **bad}]}), 422,
                       field)
    assert client.get(f"/api/v1/deals/{d['id']}").json()["amount"] == "53.42"
    r = client.put(url, json={"lines": []})
    assert r.json()["lines"] == [] and r.json()["amount"] == "53.42"


def test_line_from_a_product(client, database):
    from amity.commerce.models import Product

    with database.transaction() as s:
        p = Product(sku="OVEN-1", name="Deck oven", sort_name="deck oven",
                    price=Decimal("4999.9900"), currency="EUR", custom_fields={})
        usd = Product(sku="OVEN-US", name="US oven", sort_name="us oven",
                      price=Decimal("5000"), currency="USD", custom_fields={})
        s.add_all([p, usd])
        s.flush()
        pid, usd_id = str(p.id), str(usd.id)
    d = make_deal(client)
    r = client.put(f"/api/v1/deals/{d['id']}/lines", json={"lines": [
        {"product_id": pid, "quantity": "2", "discount_percent": "10"}]})
    assert r.status_code == 200, r.text
    line = r.json()["lines"][0]
    assert (line["description"], line["unit_price"], line["total"]) == ("Deck oven",
                                                                        "4999.9900", "8999.98")
    assert_problem(client.put(f"/api/v1/deals/{d['id']}/lines", json={"lines": [
        {"product_id": usd_id, "quantity": "1"}]}), 422, "lines.0.unit_price",
        "line.unit_price_required")


def test_idempotent_creation(client, database):
    headers = {"Idempotency-Key": "deal-123"}
    body = {"name": "Once", "currency": "EUR", "amount": "10"}
    first = client.post("/api/v1/deals", json=body, headers=headers)
    again = client.post("/api/v1/deals", json=body, headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.headers["idempotent-replayed"] == "true"
    assert first.json() == again.json()
    assert counts(database, Deal)["deals"] == 1
    assert client.post("/api/v1/deals", json={**body, "amount": "11"},
                       headers=headers).status_code == 422


def test_sales_rep_sees_team_deals_and_edits_own(app, client, database):
    rep, rep_id = user_client(app, database, "sales_rep", team="North", name="Rep")
    mate, mate_id = user_client(app, database, "sales_rep", team="North", name="Mate")
    other, _ = user_client(app, database, "sales_rep", team="South", name="Other")
    mine = make_deal(rep, name="Mine")
    assert mine["owner_id"] == str(rep_id)
    theirs = make_deal(mate, name="Mate's")
    far = make_deal(other, name="Far")
    listed = {x["name"] for x in rep.get("/api/v1/deals").json()["items"]}
    assert listed == {"Mine", "Mate's"}
    assert rep.patch(f"/api/v1/deals/{mine['id']}", json={"name": "Mine!"}).status_code == 200
    far_contact = make_contact(other)
    before = counts(database, *TABLES)
    assert_problem(rep.patch(f"/api/v1/deals/{theirs['id']}", json={"name": "x"}), 403)
    assert_problem(move(rep, theirs["id"], stages(client)["Proposal"]), 403)
    assert_problem(rep.get(f"/api/v1/deals/{far['id']}"), 404)
    assert_problem(rep.delete(f"/api/v1/deals/{far['id']}"), 404)
    # references: a contact of another team is as unknown; the owner stays the rep
    assert_problem(rep.patch(f"/api/v1/deals/{mine['id']}",
                             json={"contact_id": far_contact["id"]}), 422, "contact_id",
                   "contact.not_found")
    assert_problem(rep.put(f"/api/v1/deals/{mine['id']}/contacts",
                           json={"contacts": [{"contact_id": far_contact["id"]}]}), 422,
                   "contacts.0.contact_id")
    # deals.edit is 'own' for a rep: a deal cannot be handed to someone else
    assert_problem(rep.patch(f"/api/v1/deals/{mine['id']}", json={"owner_id": str(mate_id)}),
                   403, "owner_id")
    assert counts(database, *TABLES) == before
    # a manager of the team sees both, not the other team's
    manager, _ = user_client(app, database, "manager", team="North", name="Boss")
    assert {x["name"] for x in manager.get("/api/v1/deals").json()["items"]} == {"Mine!",
                                                                                 "Mate's"}
