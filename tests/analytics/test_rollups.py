"""The dashboard read from the roll-ups gives exactly the numbers of the direct queries, on both
databases: on the hand-built history of dataset.py, in time zones whose months start at odd
UTC instants, per owner and team, and again after edits, moves and deletes once the roll-ups
were built (stale until the refresh, exact after it, and a rebuild agrees with the refresh).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from amity.activities.models import Interaction
from amity.analytics import kpis, periods, rollups
from amity.analytics.days import split
from amity.analytics.models import customer_first, order_days
from amity.cli_analytics import analytics_app
from amity.commerce.models import Order
from amity.config import Settings, get_settings
from amity.core.db import Database
from amity.jobs import queue
from amity.jobs.analytics import REFRESH_ROLLUPS
from amity.jobs.models import Job
from amity.jobs.schedule import SCHEDULES
from amity.jobs.worker import run_until_idle
from tests.analytics.dataset import World, build, t
from tests.analytics.test_pages import card
from tests.deals.deal_support import user_client

PERIODS = [  # (from, to, zone): months, a day, and zones at -5, +5:30, +13:45 and UTC
    ("2026-01-01", "2026-01-31", "America/New_York"),
    ("2025-12-01", "2025-12-31", "America/New_York"),
    ("2026-01-01", "2026-01-31", "Asia/Kolkata"),
    ("2026-01-01", "2026-01-31", "Pacific/Chatham"),
    ("2026-01-01", "2026-01-31", "UTC"),
    ("2026-01-31", "2026-01-31", "America/New_York"),
    ("2025-11-01", "2026-02-28", "Europe/Berlin"),
]


def settle(database: Database) -> World:
    """dataset.py's history, last changed long before now (so the first refresh's watermark,
    minus its look-back, is after every row and a later refresh reads only what changed)."""
    w = build(database)
    with database.transaction() as s:
        for model in (Order, Interaction):
            s.execute(update(model).values(updated_at=t("2026-02-02 00:00")))
    return w


def period(start: str, end: str, tz: str) -> periods.Period:
    return periods.Period.of(date.fromisoformat(start), date.fromisoformat(end), tz)


def values(board: kpis.Dashboard) -> dict[str, tuple[Decimal | None, Decimal | None]]:
    return {k.key: (k.value, k.previous) for k in board.kpis}


def scopes(w: World) -> list[tuple[uuid.UUID, ...] | None]:
    return [None, (w.u1,), (w.u2,), (w.u1, w.u2)]


def compare(database: Database, w: World) -> None:
    """Every KPI, now and in the previous period, for every period and scope: equal."""
    with database.transaction(write=False) as s:
        for start, end, tz in PERIODS:
            for owners in scopes(w):
                f = kpis.Filters(currency="USD", owners=owners, window_days=30)
                live = kpis.dashboard(s, period(start, end, tz), f, live=True)
                rolled = kpis.dashboard(s, period(start, end, tz), f)
                assert live.as_of is None and rolled.as_of is not None
                assert values(rolled) == values(live), (start, tz, owners)


def january(s: Session, *, live: bool = False,
            owners: tuple[uuid.UUID, ...] | None = None) -> dict[str, Any]:
    f = kpis.Filters(currency="USD", owners=owners, window_days=30)
    board = kpis.dashboard(s, period("2026-01-01", "2026-01-31", "America/New_York"), f,
                           live=live)
    return {k.key: k.value for k in board.kpis}


def test_rolled_up_equals_direct_and_the_hand_computed_values(database: Database) -> None:
    w = settle(database)
    with database.transaction() as s:
        assert rollups.as_of(s) is None  # never built: the dashboard reads the live tables
        stats = rollups.refresh(s)  # the first refresh builds everything
    assert [(x.source, x.full) for x in stats] == [("orders", True), ("interactions", True)]
    # orders: 9 rows; USD 4 customers + EUR 1, each once per owner and once over all owners
    assert (stats[0].rows, stats[0].customers) == (9, 5)
    assert stats[1].rows == 9
    compare(database, w)
    with database.transaction(write=False) as s:
        got = january(s)
        # tests/analytics/test_kpis.py's hand-computed January, now read from the roll-ups
        assert (got["revenue"], got["orders"], got["historical_clv"]) == (
            Decimal("135.00"), Decimal(3), Decimal("121.25"))
        assert (got["calls_per_day"], got["emails_sent"], got["meetings"]) == (
            Decimal("0.10"), Decimal(2), Decimal(1))
        assert s.scalar(select(func.count()).select_from(customer_first)) == 10


def edit(database: Database, w: World) -> None:
    """Edits after the roll-ups: moves across days, months and owners, a contact change, a
    cancellation, soft deletes, a restored interaction, new rows."""
    with database.transaction() as s:
        orders = {(o.contact_id, o.ordered_at): o for o in s.scalars(select(Order))}
        a_jan = orders[(w.contacts["A"], t("2026-01-20 12:00"))]
        a_jan.ordered_at = t("2026-01-01 04:30")  # NY: Dec 31 -> into December
        orders[(w.contacts["B"], t("2025-12-15 12:00"))].owner_id = w.u2
        orders[(w.contacts["C"], t("2026-01-15 12:00"))].status = "cancelled"
        d_feb = orders[(w.contacts["D"], t("2026-02-01 03:00"))]
        d_feb.contact_id = w.contacts["B"]  # D's first order stays; B gains one
        orders[(w.contacts["C"], t("2025-11-10 12:00"))].deleted_at = t("2026-02-02 00:00")
        orders[(w.contacts["E"], t("2026-01-10 12:00"))].status = "paid"  # E: a USD customer
        s.add(Order(contact_id=w.contacts["C"], ordered_at=t("2026-01-25 18:30"),
                    total=Decimal("12.34"), subtotal=Decimal("12.34"), currency="USD",
                    status="paid", owner_id=w.u2))
        calls = {i.occurred_at: i for i in s.scalars(select(Interaction))}
        calls[t("2026-01-05 12:00")].deleted_at = t("2026-02-02 00:00")
        calls[t("2026-01-06 12:00")].deleted_at = None  # restored
        calls[t("2026-01-20 12:00")].occurred_at = t("2026-02-01 04:00")  # NY: still Jan 31
        calls[t("2026-01-07 12:00")].owner_id = w.u2
        s.add(Interaction(channel="meeting", direction="internal",
                          occurred_at=t("2026-01-31 23:00"), owner_id=w.u2))


def test_edits_and_deletes_after_the_roll_up(database: Database) -> None:
    w = settle(database)
    with database.transaction() as s:
        rollups.refresh(s)
        before = january(s)
    edit(database, w)
    with database.transaction() as s:
        # until the refresh the roll-ups still give the numbers as of their watermark
        assert january(s)["revenue"] == before["revenue"] == Decimal("135.00")
        assert january(s, live=True)["revenue"] != before["revenue"]
        stats = rollups.refresh(s)
    assert not any(x.full for x in stats)
    assert stats[0].rows == 7 and stats[1].rows == 5  # only the changed rows were read
    with database.transaction() as s:
        again = rollups.refresh(s)  # within the look-back the same rows are read again...
    assert [(x.rows, x.days, x.customers) for x in again] == [(7, 0, 0), (5, 0, 0)]  # ...idly
    compare(database, w)
    with database.transaction(write=False) as s:
        got = january(s)
    # A's 50 left January, C's 60 was cancelled; D's 25, E's 999 and C's new 12.34 remain
    assert got["revenue"] == Decimal("1036.34") and got["orders"] == Decimal(3)
    # calls: 01-05 deleted, 01-06 restored, 01-20 moved to Jan 31 NY: still 3 in January
    assert (got["calls_per_day"], got["meetings"]) == (Decimal("0.10"), Decimal(2))
    with database.transaction() as s:
        rebuilt = rollups.rebuild(s)
        assert all(x.full for x in rebuilt)
        assert january(s) == got
    compare(database, w)


def test_a_refresh_with_nothing_changed_reads_nothing(database: Database) -> None:
    w = settle(database)
    with database.transaction() as s:
        rollups.refresh(s)
        rows = s.scalar(select(func.count()).select_from(order_days))
        again = rollups.refresh(s)
        assert [x.rows for x in again] == [0, 0]
        assert s.scalar(select(func.count()).select_from(order_days)) == rows
    compare(database, w)


def test_split_cuts_whole_utc_days_and_partial_ends() -> None:
    days, edges = split(t("2026-01-01 05:00"), t("2026-02-01 05:00"))
    assert days == (date(2026, 1, 2), date(2026, 2, 1))
    assert edges == [(t("2026-01-01 05:00"), t("2026-01-02 00:00")),
                     (t("2026-02-01 00:00"), t("2026-02-01 05:00"))]
    assert split(t("2026-01-01 00:00"), t("2026-02-01 00:00")) == (
        (date(2026, 1, 1), date(2026, 2, 1)), [])
    assert split(t("2026-01-01 05:00"), t("2026-01-01 23:00")) == (
        None, [(t("2026-01-01 05:00"), t("2026-01-01 23:00"))])


@pytest.fixture
def cli_env(database: Database, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("AMITY_DATABASE_URL",
                       database.engine.url.render_as_string(hide_password=False))
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def test_rebuild_and_refresh_from_the_command_line(database: Database, cli_env: None) -> None:
    w = settle(database)
    runner = CliRunner()
    out = runner.invoke(analytics_app, ["rebuild-rollups"], terminal_width=200)
    assert out.exit_code == 0, out.output
    assert "orders: rebuilt" in out.output and "9 rows read" in out.output
    edit(database, w)
    out = runner.invoke(analytics_app, ["refresh-rollups"], terminal_width=200)
    assert out.exit_code == 0, out.output
    assert "orders: refreshed" in out.output and "7 rows read" in out.output
    compare(database, w)


def test_a_rep_sees_only_their_numbers_from_the_roll_ups(app: Any, client: TestClient,
                                                         database: Database) -> None:
    w = settle(database)
    rep, rep_id = user_client(app, database, "sales_rep", name="Rep")
    with database.transaction() as s:
        s.add(Order(contact_id=w.contacts["A"], ordered_at=t("2026-01-12 12:00"),
                    total=Decimal("7.00"), subtotal=Decimal("7.00"), currency="USD",
                    status="paid", owner_id=rep_id))
    with database.transaction() as s:
        rollups.refresh(s)
        expected = january(s, live=True, owners=(rep_id,))
    params = {"from": "2026-01-01", "to": "2026-01-31", "tz": "America/New_York",
              "currency": "USD", "window_days": 30}
    with rep:
        r = rep.get("/api/v1/analytics/kpis", params=params)
        assert r.status_code == 200, r.text
        assert r.json()["as_of"] is not None
        got = {k["key"]: k["value"] for k in r.json()["kpis"]}
        live = rep.get("/api/v1/analytics/kpis", params={**params, "live": "true"}).json()
        assert live["as_of"] is None
        assert rep.post("/api/v1/analytics/rollups/rebuild").status_code == 403
    assert got == {k["key"]: k["value"] for k in live["kpis"]}
    assert (got["revenue"], got["orders"], got["historical_clv"]) == ("7.00", "1", "7.00")
    assert {k: None if v is None else Decimal(v) for k, v in got.items()} == expected
    queued = client.post("/api/v1/analytics/rollups/rebuild")
    assert queued.status_code == 202 and queued.json()["kind"] == "analytics.rebuild_rollups"


def test_the_page_reads_the_roll_ups_and_says_as_of_when(signed_in: TestClient,
                                                          database: Database) -> None:
    settle(database)
    params = {"from": "2026-01-01", "to": "2026-01-31", "tz": "America/New_York",
              "currency": "USD", "window_days": "30"}
    assert "as of" not in signed_in.get("/analytics", params=params).text
    with database.transaction() as s:
        rollups.refresh(s)
        s.execute(update(order_days).values(orders=order_days.c.orders + 1000))
    html = signed_in.get("/analytics", params=params).text
    assert "Orders and activities as of" in html
    # the orders card counts what the roll-up holds: January's two USD order rows in whole
    # UTC days (A 01-20, C 01-15) gained 1,000 each; D's 02-01 03:00Z is read live
    assert "2,003" in card(html, "orders")


def test_the_jobs_rebuild_and_refresh_through_the_worker(client: TestClient, database: Database,
                                                         settings: Settings) -> None:
    w = settle(database)
    r = client.post("/api/v1/analytics/rollups/rebuild")
    assert r.status_code == 202, r.text
    assert client.post("/api/v1/analytics/rollups/rebuild").json()["id"] == r.json()["id"]
    run_until_idle(database, settings)
    edit(database, w)
    with database.transaction() as s:
        refresh = queue.enqueue(s, REFRESH_ROLLUPS, {})
    run_until_idle(database, settings)
    with database.transaction(write=False) as s:
        for job_id in (uuid.UUID(r.json()["id"]), refresh.id):
            job = s.get(Job, job_id)
            assert job is not None and job.status == "done", job and job.last_error
        assert january(s)["revenue"] == Decimal("1036.34")  # the edits, from the roll-ups
    assert REFRESH_ROLLUPS in {x.kind for x in SCHEDULES}
    compare(database, w)
