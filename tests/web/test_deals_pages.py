"""The pipeline board, moves through the web route, the deal forms and who sees what."""

from __future__ import annotations

import re
import uuid
from decimal import Decimal
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from amity.auth import service as auth
from amity.auth.models import Team, User
from amity.commerce.models import Order
from amity.contacts.schemas import ContactCreate
from amity.contacts.service import create_contact
from amity.core.db import Database
from amity.deals import queries as deal_queries
from amity.deals.models import Deal, DealStageChange, Stage
from amity.deals.schemas import DealCreate
from amity.deals.service import create_deal
from tests.web.conftest import PASSWORD, page_csrf, sign_in

JSON = {"Accept": "application/json"}


def stages(database: Database) -> dict[str, uuid.UUID]:
    with database.transaction() as s:
        pipeline = deal_queries.default_pipeline(s)
        assert pipeline is not None
        return {st.name: st.id for st in pipeline.stages}


def deal(database: Database, owner_id: uuid.UUID, name: str, amount: str, currency: str = "EUR",
         stage: uuid.UUID | None = None, **extra: Any) -> uuid.UUID:
    with database.transaction() as s:
        actor = s.get(User, owner_id)
        assert actor is not None
        d = create_deal(s, data=DealCreate(name=name, amount=Decimal(amount), currency=currency,
                                           stage_id=stage, **extra), actor=actor)
        return d.id


def read(database: Database, deal_id: uuid.UUID) -> Deal:
    with database.transaction() as s:
        d = s.get(Deal, deal_id)
        assert d is not None
        s.expunge(d)
        return d


def column(html: str, stage_id: uuid.UUID) -> str:
    start = html.index(f'data-stage-id="{stage_id}" data-kind')
    end = html.find('<section class="board-col', start)
    return html[start:end if end > 0 else len(html)]


def test_board_shows_counts_and_sums_per_currency(signed_in: TestClient, web_user: User,
                                                  database: Database) -> None:
    st = stages(database)
    deal(database, web_user.id, "Wedding cake", "100.50")
    deal(database, web_user.id, "Café order", "200.25")
    deal(database, web_user.id, "US bakery", "50", "USD")
    deal(database, web_user.id, "Big proposal", "1000", stage=st["Proposal"])
    r = signed_in.get("/deals")
    assert r.status_code == 200, r.text
    qual = column(r.text, st["Qualification"])
    assert re.search(r"data-count>3<", qual)
    assert "EUR 300.75" in qual and "USD 50.00" in qual  # 100.50 + 200.25, by hand
    assert "Wedding cake" in qual and "Big proposal" not in qual
    proposal = column(r.text, st["Proposal"])
    assert re.search(r"data-count>1<", proposal) and "EUR 1,000.00" in proposal
    assert re.search(r"data-count>0<", column(r.text, st["Won"]))
    assert "sortable-1.15.6.min.js" in r.text and "/static/board.js" in r.text
    # the list view, filtered and sorted
    r = signed_in.get("/deals?view=list&sort=-amount&q=caf")
    assert r.status_code == 200
    assert "Café order" in r.text and "Wedding cake" not in r.text
    r = signed_in.get("/deals?view=list&sort=-amount")
    assert r.text.index("Big proposal") < r.text.index("Café order") < r.text.index("US bakery")
    assert signed_in.get("/deals?view=list&sort=bogus").status_code == 422
    assert signed_in.get(f"/deals?pipeline={uuid.uuid4()}").status_code == 404


def test_move_through_the_web_route(signed_in: TestClient, web_user: User,
                                    database: Database) -> None:
    st = stages(database)
    a = deal(database, web_user.id, "A", "10")
    b = deal(database, web_user.id, "B", "20")
    token = page_csrf(signed_in, "/deals")
    version = read(database, a).version
    r = signed_in.post(f"/deals/{a}/move", headers={**JSON, "X-CSRF-Token": token},
                       data={"stage_id": str(st["Proposal"]), "version": str(version)})
    assert r.status_code == 200, r.text
    moved = read(database, a)
    assert moved.stage_id == st["Proposal"] and moved.probability == 50
    assert r.json()["version"] == moved.version > version
    with database.transaction() as s:
        assert s.scalar(select(func.count()).select_from(DealStageChange)
                        .where(DealStageChange.deal_id == a)) == 2
    # within the column: B goes above... itself alone; move A back to the top of Qualification
    r = signed_in.post(f"/deals/{a}/move", headers={**JSON, "X-CSRF-Token": token},
                       data={"stage_id": str(st["Qualification"]), "position": "0",
                             "version": str(moved.version)})
    assert r.status_code == 200
    assert read(database, a).rank < read(database, b).rank
    # a plain form post (the "Move to…" select without JavaScript) redirects to the board
    r = signed_in.post(f"/deals/{b}/move", data={"stage_id": str(st["Negotiation"]),
                                                 "version": str(read(database, b).version),
                                                 "csrf_token": token})
    assert r.status_code == 303 and r.headers["location"].startswith("/deals?pipeline=")
    assert read(database, b).stage_id == st["Negotiation"]


def test_conflicting_move_is_refused_and_changes_nothing(signed_in: TestClient, web_user: User,
                                                         database: Database) -> None:
    st = stages(database)
    a = deal(database, web_user.id, "Contested", "10")
    token = page_csrf(signed_in, "/deals")
    stale = read(database, a).version
    r = signed_in.post(f"/deals/{a}/move", headers={**JSON, "X-CSRF-Token": token},
                       data={"stage_id": str(st["Needs analysis"]), "version": str(stale)})
    assert r.status_code == 200
    # a second tab still holds the old version
    r = signed_in.post(f"/deals/{a}/move", headers={**JSON, "X-CSRF-Token": token},
                       data={"stage_id": str(st["Negotiation"]), "version": str(stale)})
    assert r.status_code == 412
    assert r.json()["code"] == "deal.changed" and "Reload" in r.json()["message"]
    assert read(database, a).stage_id == st["Needs analysis"]
    # without the token: refused
    r = signed_in.post(f"/deals/{a}/move", headers=JSON,
                       data={"stage_id": str(st["Negotiation"])})
    assert r.status_code == 403
    assert read(database, a).stage_id == st["Needs analysis"]


def test_lost_needs_a_reason_and_won_can_place_an_order(signed_in: TestClient, web_user: User,
                                                        database: Database) -> None:
    st = stages(database)
    a = deal(database, web_user.id, "Lost one", "10")
    b = deal(database, web_user.id, "Won one", "99.90")
    token = page_csrf(signed_in, "/deals")
    headers = {**JSON, "X-CSRF-Token": token}
    r = signed_in.post(f"/deals/{a}/move", headers=headers,
                       data={"stage_id": str(st["Lost"]),
                             "version": str(read(database, a).version)})
    assert r.status_code == 422
    assert r.json()["code"] == "deal.lost_reason_required"
    assert read(database, a).status == "open"
    r = signed_in.post(f"/deals/{a}/move", headers=headers,
                       data={"stage_id": str(st["Lost"]), "lost_reason_id": "not-a-uuid"})
    assert r.status_code == 422 and read(database, a).status == "open"
    with database.transaction() as s:
        reason = deal_queries.list_lost_reasons(s)[0].id
    r = signed_in.post(f"/deals/{a}/move", headers=headers,
                       data={"stage_id": str(st["Lost"]), "lost_reason_id": str(reason),
                             "lost_reason_text": "went with the supermarket",
                             "version": str(read(database, a).version)})
    assert r.status_code == 200, r.text
    lost = read(database, a)
    assert (lost.status, lost.lost_reason_id, lost.lost_reason_text) == (
        "lost", reason, "went with the supermarket")
    r = signed_in.post(f"/deals/{b}/move", headers=headers,
                       data={"stage_id": str(st["Won"]), "create_order": "true",
                             "version": str(read(database, b).version)})
    assert r.status_code == 200, r.text
    order_id = uuid.UUID(r.json()["order_id"])
    with database.transaction() as s:
        order = s.get(Order, order_id)
        assert order is not None and order.deal_id == b and order.total == Decimal("99.90")
    assert read(database, b).status == "won"


def test_deal_forms_show_the_services_errors(signed_in: TestClient, web_user: User,
                                             database: Database) -> None:
    with database.transaction() as s:
        actor = s.get(User, web_user.id)
        assert actor is not None
        contact = create_contact(s, data=ContactCreate(first_name="Ada", last_name="Baker"),
                                 actor=actor).id
    r = signed_in.get(f"/deals/new?contact_id={contact}")
    assert r.status_code == 200 and f'value="{contact}"' in r.text
    token = page_csrf(signed_in, "/deals/new")
    bad = {"csrf_token": token, "name": "", "amount": "12.345", "currency": "eu",
           "contact_id": str(contact)}
    r = signed_in.post("/deals", data=bad)
    assert r.status_code == 422
    for name in ("name", "amount", "currency"):
        assert f'id="{name}-error"' in r.text
    assert 'value="12.345"' in r.text  # what was typed stays
    with database.transaction() as s:
        assert s.scalar(select(func.count()).select_from(Deal)) == 0
    r = signed_in.post("/deals", data={**bad, "name": "Wedding <cake>", "amount": "1,250.5",
                                       "currency": "eur", "expected_close_date": "2026-12-24"})
    assert r.status_code == 303, r.text
    deal_id = uuid.UUID(r.headers["location"].rsplit("/", 1)[1])
    page = signed_in.get(f"/deals/{deal_id}")
    assert page.status_code == 200
    assert "Wedding &lt;cake&gt;" in page.text and "EUR 1,250.50" in page.text
    assert "Qualification" in page.text and "Ada Baker" in page.text
    version = read(database, deal_id).version
    r = signed_in.post(f"/deals/{deal_id}", data={
        "csrf_token": token, "name": "Wedding cake", "amount": "1250.50", "currency": "EUR",
        "probability": "150", "version": str(version)})
    assert r.status_code == 422 and 'id="probability-error"' in r.text
    assert read(database, deal_id).name == "Wedding <cake>"
    r = signed_in.post(f"/deals/{deal_id}", data={
        "csrf_token": token, "name": "Wedding cake", "amount": "1250.50", "currency": "EUR",
        "probability": "35", "version": str(version)})
    assert r.status_code == 303
    saved = read(database, deal_id)
    assert (saved.name, saved.probability, saved.probability_overridden) == (
        "Wedding cake", 35, True)
    r = signed_in.post(f"/deals/{deal_id}", data={  # the old version again: 412, unchanged
        "csrf_token": token, "name": "Other", "amount": "1", "currency": "EUR",
        "version": str(version)})
    assert r.status_code == 412 and "Someone else saved" in r.text
    assert read(database, deal_id).name == "Wedding cake"
    r = signed_in.post(f"/deals/{deal_id}/next-step", data={"csrf_token": token, "title": ""})
    assert r.status_code == 422 and 'id="next_step_title-error"' in r.text
    r = signed_in.post(f"/deals/{deal_id}/next-step", data={
        "csrf_token": token, "title": "Send the tasting menu", "due_on": "2026-12-01"})
    assert r.status_code == 303
    page = signed_in.get(f"/deals/{deal_id}").text
    assert "Send the tasting menu" in page and "Stage history" in page and "update" in page


def _rep(database: Database, email: str, team: str) -> User:
    with database.transaction() as s:
        user = auth.create_user(s, email=email, name=email.split("@")[0].title(),
                                password=PASSWORD, role="sales_rep")
        s.add(Team(name=team, members=[user]))
        s.flush()
        s.expunge(user)
        return user


def test_a_sales_rep_sees_only_their_teams_deals(web: TestClient, database: Database) -> None:
    rep = _rep(database, "rita@example.com", "North")
    other = _rep(database, "otto@example.com", "South")
    deal(database, rep.id, "Rita's deal", "10")
    deal(database, other.id, "Otto's secret deal", "999")
    assert sign_in(web, rep.email).status_code == 303
    r = web.get("/deals")
    assert r.status_code == 200
    assert "Rita&#39;s deal" in r.text and "Otto" not in r.text.split('id="board"')[1]
    assert 'href="/deals"' in r.text  # the nav shows Deals to those who may see deals
    assert re.search(r"data-count>1<", column(r.text, stages(database)["Qualification"]))
    otto_deal = deal(database, other.id, "Another", "1")
    assert web.get(f"/deals/{otto_deal}").status_code == 404
    token = page_csrf(web, "/deals")
    r = web.post(f"/deals/{otto_deal}/move", headers={**JSON, "X-CSRF-Token": token},
                 data={"stage_id": str(stages(database)["Proposal"])})
    assert r.status_code == 404
    assert read(database, otto_deal).stage_id == stages(database)["Qualification"]
    assert web.get("/settings/products").status_code == 403  # products are for admins


def test_stalled_badge_on_the_board(signed_in: TestClient, web_user: User,
                                    database: Database) -> None:
    st = stages(database)
    a = deal(database, web_user.id, "Sleepy", "10")
    with database.transaction() as s:
        stage = s.get(Stage, st["Qualification"])
        assert stage is not None
        stage.stall_days = 1
        d = s.get(Deal, a)
        assert d is not None
        d.last_activity_at = d.last_activity_at.replace(year=d.last_activity_at.year - 1)
    assert 'class="badge danger stalled"' in signed_in.get("/deals").text
    assert "Sleepy" in signed_in.get("/deals?view=list&stalled=true").text


def test_board_page_runs_a_fixed_number_of_queries(signed_in: TestClient, web_user: User,
                                                   database: Database, queries: Any) -> None:
    st = stages(database)
    deal(database, web_user.id, "One", "1")
    signed_in.get("/deals")  # the session's first request loads what it caches
    queries.reset()
    assert signed_in.get("/deals").status_code == 200
    few = queries.count
    for i in range(12):
        deal(database, web_user.id, f"Deal {i}", str(i + 1), "USD" if i % 2 else "EUR",
             stage=list(st.values())[i % 4])
    queries.reset()
    assert signed_in.get("/deals").status_code == 200
    assert queries.count == few, queries.statements
