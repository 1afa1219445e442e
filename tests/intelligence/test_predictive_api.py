"""Deal win chances and product offers through the API, the jobs and the command line."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from typer.testing import CliRunner

from amity import cli_predictive
from amity.cli import app as cli_app
from amity.config import Settings, get_settings
from amity.core.db import Database
from amity.deals.models import Deal
from amity.intelligence import deal_scoring, queries, recommendations
from amity.intelligence.models import ModelFit
from amity.intelligence.tables import DealPrediction, ProductAssociation
from amity.jobs.models import Job
from amity.jobs.worker import run_until_idle
from tests.conftest import make_user
from tests.intelligence.predictive_support import AT, seed_deals, seed_shop

PROBLEM = "application/problem+json"


def test_win_chance_before_and_after_scoring(client: Any, database: Database) -> None:
    deals = seed_deals(database)
    url = f"/api/v1/deals/{deals.open_busy}/win-chance"
    before = client.get(url)
    assert before.status_code == 200 and before.json() == {
        "deal_id": str(deals.open_busy), "computed": False, "probability": None,
        "model": None, "factors": [], "computed_at": None}
    with database.transaction() as s:
        deal_scoring.refresh_deal_scores(s, at=AT)
    busy = client.get(url).json()
    quiet = client.get(f"/api/v1/deals/{deals.open_quiet}/win-chance").json()
    assert busy["computed"] is True and busy["model"] == "deal-1"
    assert busy["probability"] > quiet["probability"]
    assert any("activity" in f for f in busy["factors"])
    models = {m["kind"]: m for m in client.get("/api/v1/intelligence/models").json()}
    assert models["deal"]["diagnostics"]["holdout"]["roc_auc"] is not None
    assert models["deal"]["diagnostics"]["holdout"]["brier"] is not None
    missing = client.get("/api/v1/deals/00000000-0000-0000-0000-000000000000/win-chance")
    assert missing.status_code == 404 and missing.headers["content-type"].startswith(PROBLEM)
    bad = client.get("/api/v1/deals/not-a-uuid/win-chance")
    assert bad.status_code == 422 and bad.headers["content-type"].startswith(PROBLEM)
    with database.transaction() as s:  # won since the last run: no stale chance is shown
        won = s.get(Deal, deals.open_busy)
        assert won is not None
        won.status = "won"
    assert client.get(url).json()["computed"] is False


def test_win_chances_of_many_deals_at_once(app: Any, client: Any, database: Database,
                                           admin_user: Any) -> None:
    import uuid

    deals = seed_deals(database)
    with database.transaction() as s:
        deal_scoring.refresh_deal_scores(s, at=AT)
        closed = s.scalar(select(Deal.id).where(Deal.status == "lost").limit(1))
    asked = [*deals.open_ids, closed, uuid.uuid4()]
    r = client.get("/api/v1/intelligence/win-chances", params={"deal_id": [str(i) for i in asked]})
    assert r.status_code == 200, r.text
    got = r.json()
    # closed and unknown deals are left out; the rest in id order, as stored
    assert [g["deal_id"] for g in got] == sorted(str(i) for i in deals.open_ids)
    one = client.get(f"/api/v1/deals/{deals.open_busy}/win-chance").json()
    assert next(g for g in got if g["deal_id"] == str(deals.open_busy)) == one
    for bad in ({}, {"deal_id": "nope"}, {"deal_id": [str(uuid.uuid4())] * 201}):
        resp = client.get("/api/v1/intelligence/win-chances", params=bad)
        assert resp.status_code == 422 and resp.headers["content-type"].startswith(PROBLEM)
    # a sales rep reads the team's deals (and unowned ones): not one owned by the admin
    with database.transaction() as s:
        owned = s.get(Deal, deals.open_quiet)
        assert owned is not None
        owned.owner_id = admin_user[0].id
    _, token = make_user(database)  # the default role: sales_rep
    with TestClient(app) as other:
        other.headers["Authorization"] = f"Bearer {token}"
        mine = other.get("/api/v1/intelligence/win-chances",
                         params={"deal_id": [str(i) for i in deals.open_ids]})
        assert mine.status_code == 200
        assert {g["deal_id"] for g in mine.json()} == {
            str(i) for i in deals.open_ids if i != deals.open_quiet}
        assert other.get(f"/api/v1/deals/{deals.open_quiet}/win-chance").status_code in (403,
                                                                                         404)


def test_recommendations_through_the_api(client: Any, database: Database) -> None:
    shop = seed_shop(database)
    with database.transaction() as s:
        recommendations.refresh_associations(s, at=AT)
    r = client.get(f"/api/v1/contacts/{shop.customers['c3']}/recommendations")
    assert r.status_code == 200, r.text
    [only] = r.json()
    assert only["name"] == "Bravo" and only["kind"] == "co-purchase"
    assert only["confidence"] == pytest.approx(0.6) and only["lift"] == pytest.approx(1.05)
    assert only["because_product_id"] == str(shop.products["Alpha"])
    assert only["price"] == "10.0000" and only["currency"] == "EUR"  # money as a decimal string
    popular = client.get(f"/api/v1/contacts/{shop.customers['newcomer']}/recommendations",
                         params={"limit": 2}).json()
    assert [p["name"] for p in popular] == ["Alpha", "Bravo"]
    for bad in ({"limit": 0}, {"limit": 51}, {"limit": "many"}):
        resp = client.get(f"/api/v1/contacts/{shop.customers['c3']}/recommendations",
                          params=bad)
        assert resp.status_code == 422 and resp.headers["content-type"].startswith(PROBLEM)
    gone = client.get("/api/v1/contacts/00000000-0000-0000-0000-000000000000/recommendations")
    assert gone.status_code == 404


def test_offer_feeds_the_next_best_actions(client: Any, database: Database) -> None:
    shop = seed_shop(database)
    with database.transaction() as s:
        recommendations.refresh_associations(s, at=AT)
    with database.transaction(write=False) as s:
        target = queries.offer_actions(s, shop.customers["target"])
        c4 = queries.offer_actions(s, shop.customers["c4"])
        newcomer = queries.offer_actions(s, shop.customers["newcomer"])
    # the wall clock is months after the seeded orders: Echo is long due for the target
    assert target == ["Remind them to reorder Echo: due for replacement: last bought "
                      "2026-04-22, lasts about 30 days"]
    assert c4 == ["Send the upgrade offer: Alpha (75% of customers who bought Bravo also "
                  "bought it (1.1 times the usual rate))"]
    assert newcomer == []  # a best seller is no pattern of their own
    shown = client.get(f"/api/v1/contacts/{shop.customers['c4']}/predictions").json()
    assert shown["next_best_actions"] == c4


def test_rescoring_is_queued_and_run_by_the_workers(client: Any, app: Any,
                                                    database: Database,
                                                    settings: Settings) -> None:
    seed_deals(database, closed=10)
    seed_shop(database)
    r = client.post("/api/v1/intelligence/deal-scores/refresh")
    assert r.status_code == 202 and r.json() == {"status": "queued"}
    with database.transaction(write=False) as s:
        kinds = {j.kind for j in s.scalars(select(Job))}
    assert {"intelligence.deal_scores", "intelligence.product_associations"} <= kinds
    run_until_idle(database, settings)
    with database.transaction(write=False) as s:
        fits = {f.kind: f for f in s.scalars(select(ModelFit))}
        scored = list(s.scalars(select(DealPrediction)))
        pairs = s.scalar(select(ProductAssociation).limit(1))
    assert fits["deal"].status == "insufficient" and fits["products"].status == "fitted"
    assert scored and all(p.model == "rules" for p in scored)
    assert pairs is not None
    _, token = make_user(database)  # the default role: no settings
    with TestClient(app) as other:
        other.headers["Authorization"] = f"Bearer {token}"
        denied = other.post("/api/v1/intelligence/deal-scores/refresh")
        assert denied.status_code == 403


runner = CliRunner()


@pytest.fixture
def cli_db(database: Database, monkeypatch: pytest.MonkeyPatch) -> Iterator[Database]:
    monkeypatch.setenv("AMITY_DATABASE_URL",
                       database.engine.url.render_as_string(hide_password=False))
    monkeypatch.setattr(cli_predictive.console, "width", 250)
    get_settings.cache_clear()
    yield database
    get_settings.cache_clear()


@pytest.mark.parametrize("database", ["sqlite"], indirect=True)
def test_command_line(cli_db: Database) -> None:
    empty = runner.invoke(cli_app, ["intelligence", "deals", "score"])
    assert empty.exit_code == 0, empty.output
    assert "deal-1: insufficient - Too few closed deals" in empty.output
    assert "Scored 0 open deals (rules)." in empty.output
    seed_deals(cli_db)
    done = runner.invoke(cli_app, ["intelligence", "deals", "score", "--seed", "0"])
    assert done.exit_code == 0, done.output
    assert "deal-2: fitted" in done.output and "ROC AUC 0." in done.output
    assert "Scored 6 open deals (deal-2)." in done.output
    listed = runner.invoke(cli_app, ["intelligence", "deals", "list", "--limit", "3"])
    assert listed.exit_code == 0 and "deal-2" in listed.output and "%" in listed.output
    shop = seed_shop(cli_db)
    built = runner.invoke(cli_app, ["intelligence", "offers", "build"])
    assert built.exit_code == 0 and "4 product pairs from 7 customers" in built.output
    shown = runner.invoke(cli_app, ["intelligence", "offers", "show",
                                    str(shop.customers["c3"])])
    assert shown.exit_code == 0 and "Bravo" in shown.output and "co-purchase" in shown.output
    nobody = runner.invoke(cli_app, ["intelligence", "offers", "show", "nobody@example.com"])
    assert nobody.exit_code == 2 and "No contact" in nobody.output
    bad = runner.invoke(cli_app, ["intelligence", "offers", "show", "x", "--limit", "0"])
    assert bad.exit_code != 0
