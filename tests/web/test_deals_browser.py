"""The pipeline board in Debian's Chromium at desktop and phone widths: drag a card to another
column and find it there after a reload; a move refused because someone else changed the deal
puts the card back and says so; a lost deal asks for its reason. Screenshots to artifacts/."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select

from amity.auth.models import User
from amity.core.db import Database
from amity.deals import queries
from amity.deals.models import Deal
from amity.deals.schemas import DealCreate, DealUpdate
from amity.deals.service import create_deal, update_deal
from tests.browser import E2E, VIEWPORTS, LiveServer, open_page, shot
from tests.conftest import make_user
from tests.web.conftest import PASSWORD

pytestmark = E2E


@pytest.fixture
def board_server(app: Any, database: Database) -> Iterator[tuple[LiveServer, dict[str, Any]]]:
    user, _ = make_user(database, admin=True, email="sam@example.com")
    with database.transaction() as s:
        actor = s.get(User, user.id)
        assert actor is not None
        pipeline = queries.default_pipeline(s)
        assert pipeline is not None
        stages = {st.name: st.id for st in pipeline.stages}
        for name, amount in (("Wedding cake", "1200"), ("Café supply", "800"),
                             ("Birthday party", "150")):
            create_deal(s, data=DealCreate(name=name, amount=Decimal(amount), currency="EUR"),
                        actor=actor)
    with LiveServer(app) as server:
        yield server, {"stages": stages, "user": user.id}


def _stage_of(database: Database, name: str) -> uuid.UUID:
    with database.transaction() as s:
        deal = s.scalar(select(Deal).where(Deal.name == name))
        assert deal is not None
        return deal.stage_id


def _col(page: Any, stage_id: uuid.UUID) -> Any:
    return page.locator(f'section.board-col[data-stage-id="{stage_id}"]')


def _drag(page: Any, card: Any, column: Any) -> None:
    """Press on the card, move in steps to the visible part of the column's list, release
    (on a phone only the left edge of the next column shows)."""
    src, dst = card.locator(".amount").bounding_box(), column.locator(".board-cards").bounding_box()
    assert src is not None and dst is not None
    width = page.viewport_size["width"]
    x = min(dst["x"] + dst["width"] / 2, dst["x"] + (width - dst["x"]) / 2)
    page.mouse.move(src["x"] + src["width"] / 2, src["y"] + src["height"] / 2)
    page.mouse.down()
    page.mouse.move(src["x"] + src["width"] / 2 + 5, src["y"] + 5, steps=3)
    page.mouse.move(x, dst["y"] + 30, steps=12)
    page.mouse.up()


@pytest.mark.parametrize("size", list(VIEWPORTS))
def test_drag_a_card_conflict_and_lost(browser: Any, board_server: Any,
                                       database: Database, backend: str, size: str) -> None:
    from playwright.sync_api import expect

    server, world = board_server
    stages = world["stages"]
    with open_page(browser, server.url, size=size,
                   expected_statuses=(412, 422)) as (page, problems):
        page.goto("/login?next=/deals")
        page.get_by_label("Email").fill("sam@example.com")
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        expect(page).to_have_url(f"{server.url}/deals")
        qual = _col(page, stages["Qualification"])
        expect(qual.locator(".deal-card")).to_have_count(3)
        expect(qual.locator("[data-count]")).to_have_text("3")
        shot(page, backend, size, "deals-1-board")

        # Drag "Wedding cake" into the next column; it is stored there (seen after a reload).
        target = stages["Needs analysis"]
        card = qual.locator(".deal-card", has_text="Wedding cake")
        _drag(page, card, _col(page, target))
        expect(_col(page, target).locator("[data-count]")).to_have_text("1")
        expect(_col(page, target).locator(".deal-card")).to_contain_text("Wedding cake")
        page.reload()
        expect(_col(page, target).locator(".deal-card")).to_contain_text("Wedding cake")
        expect(_col(page, stages["Qualification"]).locator("[data-count]")).to_have_text("2")
        assert _stage_of(database, "Wedding cake") == target
        shot(page, backend, size, "deals-2-after-drag")

        # Someone else edits "Café supply" meanwhile: the drag is refused, the card goes back.
        with database.transaction() as s:
            actor = s.get(User, world["user"])
            deal = s.scalar(select(Deal).where(Deal.name == "Café supply"))
            assert actor is not None and deal is not None
            update_deal(s, deal=deal, data=DealUpdate(name="Café supply (big)"), actor=actor)
        qual = _col(page, stages["Qualification"])
        _drag(page, qual.locator(".deal-card", has_text="Café supply"), _col(page, target))
        expect(page.locator("#board-message")).to_be_visible()
        expect(page.locator("#board-message")).to_contain_text("Someone else changed")
        expect(qual.locator(".deal-card", has_text="Café supply")).to_have_count(1)
        expect(_col(page, target).locator(".deal-card")).to_have_count(1)
        assert _stage_of(database, "Café supply (big)") == stages["Qualification"]
        shot(page, backend, size, "deals-3-conflict")
        page.get_by_role("button", name="Reload the board").click()
        expect(page.locator(".deal-card", has_text="Café supply (big)")).to_have_count(1)

        # Lost asks why: with the "Move to…" select on a phone, by dragging on a desktop.
        qual = _col(page, stages["Qualification"])
        birthday = qual.locator(".deal-card", has_text="Birthday party")
        if size == "phone":
            birthday.locator("select.move-select").select_option(label="Lost")
        else:
            _drag(page, birthday, _col(page, stages["Lost"]))
        dialog = page.locator("#lost-dialog")
        expect(dialog).to_be_visible()
        dialog.get_by_label("Reason").select_option(index=1)
        dialog.get_by_label("In your words").fill("Chose the supermarket cake")
        shot(page, backend, size, "deals-4-lost-reason")
        dialog.get_by_role("button", name="Mark as lost").click()
        expect(_col(page, stages["Lost"]).locator("[data-count]")).to_have_text("1")
        expect(_col(page, stages["Lost"]).locator(".deal-card")).to_contain_text("Birthday")
        with database.transaction() as s:
            lost = s.scalar(select(Deal).where(Deal.name == "Birthday party"))
            assert lost is not None
            assert (lost.status, lost.lost_reason_text) == ("lost", "Chose the supermarket cake")
        if size == "phone":  # the columns scroll sideways, one screen each
            board = page.locator("#board")
            assert board.evaluate("e => getComputedStyle(e).scrollSnapType").startswith("x")
            assert board.evaluate("e => e.scrollWidth > e.clientWidth")
        assert problems == [], problems
