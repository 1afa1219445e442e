"""The deal page's win-chance panel, the board cards, the contact page's product offers and
Settings > Predictions for the deal model, read from what the jobs stored; and the same
panels loaded by HTMX in Debian's Chromium at phone and desktop widths."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from amity.core.db import Database
from amity.deals.models import Deal
from amity.intelligence import deal_scoring, recommendations
from amity.jobs.models import Job
from tests.browser import CHROMIUM, MISSING, REQUIRED, LiveServer, open_page, shot
from tests.conftest import make_user
from tests.intelligence.predictive_support import AT, seed_deals, seed_shop
from tests.web.conftest import PASSWORD, page_csrf, signed_in, web, web_user

__all__ = ["signed_in", "web", "web_user"]


def _score(database: Database, **kw: Any) -> None:
    with database.transaction() as s:
        deal_scoring.refresh_deal_scores(s, at=AT, **kw)
        recommendations.refresh_associations(s, at=AT)


def test_deal_page_and_board_show_the_win_chance(signed_in: TestClient,
                                                 database: Database) -> None:
    deals = seed_deals(database)
    busy = deals.open_busy
    page = signed_in.get(f"/deals/{busy}")
    assert f'hx-get="/deals/{busy}/win-chance-panel"' in page.text
    before = signed_in.get(f"/deals/{busy}/win-chance-panel")
    assert before.status_code == 200 and 'data-testid="win-none"' in before.text
    _score(database)
    panel = signed_in.get(f"/deals/{busy}/win-chance-panel").text
    assert re.search(r'data-testid="win-probability">\d+%<', panel)
    assert "much activity logged in the last 30 days (raises the chance)" in panel
    assert "deal-1" in panel and "learned from the deals won and lost before" in panel
    board = signed_in.get("/deals").text
    assert board.count('data-testid="card-win"') == len(deals.open_ids)
    assert re.search(r'data-testid="card-win" title="Chance to win">\d+% to win<', board)
    with database.transaction(write=False) as s:
        closed = s.scalar(select(Deal.id).where(Deal.status == "won").limit(1))
    done = signed_in.get(f"/deals/{closed}/win-chance-panel")
    assert 'data-testid="win-closed"' in done.text and "only open deals are scored" in done.text
    assert signed_in.get("/deals/00000000-0000-0000-0000-000000000000/win-chance-panel"
                         ).status_code == 404


def test_fallback_is_said_on_the_panel_and_in_settings(signed_in: TestClient,
                                                       database: Database) -> None:
    deals = seed_deals(database, closed=6)
    _score(database)
    panel = signed_in.get(f"/deals/{deals.open_busy}/win-chance-panel").text
    assert 'data-testid="win-probability">50%<' in panel
    assert "the stage's default: too few closed deals to learn from yet" in panel
    assert "stage “Proposal” wins 50% by default" in panel
    board = signed_in.get("/deals").text
    assert 'title="Chance to win (stage default)">50% to win<' in board
    settings = signed_in.get("/settings/predictions").text
    assert 'data-testid="deal-message">Too few closed deals to learn from' in settings


def test_settings_show_the_hold_out_and_queue_a_rescoring(signed_in: TestClient,
                                                          database: Database) -> None:
    empty = signed_in.get("/settings/predictions").text
    assert "No deal model yet" in empty and "Not built yet." in empty
    seed_deals(database)
    seed_shop(database)
    _score(database)
    page = signed_in.get("/settings/predictions").text
    assert "deal-1 · fitted · 90 closed deals" in page
    assert re.search(r'data-testid="deal-auc">ROC AUC 0\.\d{3} · Brier score 0\.\d{3}', page)
    assert "the latest 22 closed deals, trained on the 68 before" in page
    assert "products-1 · 4 product pairs from 7 customers and 6 products" in page
    token = page_csrf(signed_in, "/settings/predictions")
    r = signed_in.post("/settings/predictions/deal-scores", data={"csrf_token": token})
    assert r.status_code == 303 and r.headers["location"].endswith("queued=1")
    with database.transaction(write=False) as s:
        kinds = {j.kind for j in s.scalars(select(Job))}
    assert {"intelligence.deal_scores", "intelligence.product_associations"} <= kinds
    assert signed_in.post("/settings/predictions/deal-scores", data={}).status_code in (400,
                                                                                       403)


def test_contact_page_offers(signed_in: TestClient, database: Database) -> None:
    shop = seed_shop(database)
    _score(database)
    target = shop.customers["target"]
    page = signed_in.get(f"/contacts/{target}")
    assert f'hx-get="/contacts/{target}/offers-panel"' in page.text
    panel = signed_in.get(f"/contacts/{target}/offers-panel").text
    names = re.findall(r'<li data-kind="([a-z-]+)"><strong>([^<]+)</strong>', panel)
    # the wall clock is months after the seeded orders: Echo is due, then the patterns
    assert names == [("replenish", "Echo"), ("co-purchase", "Bravo"), ("co-purchase", "Charlie")]
    assert "60% of customers who bought Alpha also bought it" in panel
    owns_all = signed_in.get(f"/contacts/{shop.customers['c2']}/offers-panel").text
    assert 'data-testid="offers-none"' in owns_all
    predictions = signed_in.get(f"/contacts/{target}/predictions-panel").text
    assert "Remind them to reorder Echo" in predictions
    assert signed_in.get("/contacts/00000000-0000-0000-0000-000000000000/offers-panel"
                         ).status_code == 404


@pytest.fixture
def scored_server(app: Any, database: Database) -> Iterator[tuple[LiveServer, Any, Any]]:
    make_user(database, admin=True, email="sam@example.com")
    deals = seed_deals(database)
    shop = seed_shop(database)
    _score(database)
    with LiveServer(app) as server:
        yield server, deals, shop


@pytest.mark.e2e
@pytest.mark.skipif(not CHROMIUM.exists() and not REQUIRED, reason=MISSING)
@pytest.mark.parametrize("size", ["phone", "desktop"])
def test_panels_load_in_the_browser(browser: Any, scored_server: Any,
                                    backend: str, size: str) -> None:
    from playwright.sync_api import expect

    server, deals, shop = scored_server
    with open_page(browser, server.url, size=size, console=False) as (page, problems):
        page.goto(f"/login?next=/deals/{deals.open_busy}")
        page.get_by_label("Email").fill("sam@example.com")
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        expect(page.get_by_test_id("win-probability")).to_have_text(re.compile(r"^\d+%$"))
        expect(page.get_by_test_id("win-factors")).to_contain_text("activity")
        shot(page, backend, size, "deal-win-chance")
        page.goto("/deals")
        expect(page.get_by_test_id("card-win")).to_have_count(len(deals.open_ids))
        page.goto(f"/contacts/{shop.customers['target']}")
        offers = page.get_by_test_id("offers").locator("li")
        expect(offers).to_have_count(3)
        expect(offers.first).to_contain_text("Echo")
        expect(page.get_by_test_id("next-actions")).to_contain_text("Remind them to reorder")
        shot(page, backend, size, "contact-offers")
        assert not problems, problems
