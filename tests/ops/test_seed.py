"""``amity bench seed``: consistent, searchable, deterministic scale data on both databases."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select, text
from typer.testing import CliRunner

from amity.cli_bench import bench_app
from amity.config import get_settings
from amity.contacts.models import Contact
from amity.core.db import Database
from amity.ops.seed import COLUMNS, SeedError, SeedPlan, seed
from amity.ops.seed_rows import Ratios, Ref, RowMaker

ANCHOR = datetime(2026, 6, 1, tzinfo=UTC)


def _count(database: Database, table: str) -> int:
    with database.engine.connect() as c:
        return int(c.execute(text(f'SELECT count(*) FROM "{table}"')).scalar_one())


def _scalar(database: Database, sql: str) -> Any:
    with database.engine.connect() as c:
        return c.execute(text(sql)).scalar_one()


def test_seeded_data_is_consistent_and_usable(database: Database, client: TestClient) -> None:
    report = seed(database, SeedPlan(contacts=300, interactions_per_contact=4, seed=7,
                                     anchor=ANCHOR, deals_per_contact=0.3, tickets_per_contact=0.2,
                                     chunk=64))
    for table, n in report.counts.items():
        assert n > 0, table
        assert _count(database, table) == n, table
    assert report.counts["contacts"] == 300
    assert report.counts["companies"] == 15
    assert 600 <= report.counts["interactions"] <= 1800

    # a contact's last activity is its latest interaction up to the anchor, and only its own
    assert _scalar(database, """
        SELECT count(*) FROM contacts c WHERE c.last_activity_at IS DISTINCT FROM (
          SELECT max(p.occurred_at) FROM interaction_participants p
          WHERE p.contact_id = c.id AND p.occurred_at <= '2026-06-01 00:00:00')""") == 0
    assert _scalar(database, "SELECT count(*) FROM contacts WHERE last_activity_at IS NOT NULL"
                   ) > 250
    # every interaction has its contact as a participant, with the interaction's copies
    assert _scalar(database, """
        SELECT count(*) FROM interactions i WHERE NOT EXISTS (
          SELECT 1 FROM interaction_participants p WHERE p.interaction_id = i.id
          AND p.contact_id IS NOT NULL AND p.occurred_at = i.occurred_at
          AND p.channel = i.channel AND p.direction = i.direction)""") == 0
    # orders add up: total = sum of line totals, subtotal - discount = total
    assert _scalar(database, """
        SELECT count(*) FROM orders o WHERE o.total <> (
          SELECT sum(l.total) FROM order_lines l WHERE l.order_id = o.id)
          OR o.subtotal - o.discount_total <> o.total""") == 0
    # a deal is in the stage its history ends with, and the history starts from nowhere
    assert _scalar(database, """
        SELECT count(*) FROM deals d WHERE d.stage_id <> (
          SELECT h.to_stage_id FROM deal_stage_changes h WHERE h.deal_id = d.id
          ORDER BY h.changed_at DESC LIMIT 1)""") == 0
    assert _scalar(database, """
        SELECT count(*) FROM deals d WHERE (SELECT count(*) FROM deal_stage_changes h
          WHERE h.deal_id = d.id AND h.from_stage_id IS NULL) <> 1""") == 0
    assert _scalar(database, "SELECT count(*) FROM deals d JOIN stages s ON s.id = d.stage_id "
                             "WHERE s.kind <> d.status") == 0
    # no reference points nowhere (PostgreSQL's load skips the per-row foreign-key triggers)
    for child, col, parent in (("contacts", "company_id", "companies"),
                               ("contact_emails", "contact_id", "contacts"),
                               ("interaction_participants", "interaction_id", "interactions"),
                               ("order_lines", "order_id", "orders"),
                               ("order_lines", "product_id", "products"),
                               ("tickets", "contact_id", "contacts"),
                               ("deals", "contact_id", "contacts")):
        assert _scalar(database, f"SELECT count(*) FROM {child} x LEFT JOIN {parent} y ON "
                                 f"y.id = x.{col} WHERE x.{col} IS NOT NULL AND y.id IS NULL"
                       ) == 0, (child, col)
    # ticket numbers are consecutive and the counter continues after them
    low, high, n = (_scalar(database, f"SELECT {f}(number) FROM tickets")
                    for f in ("min", "max", "count"))
    assert (low, high - low + 1) == (1001, n)
    assert _scalar(database, "SELECT value FROM ticket_counters WHERE name = 'ticket'") == high

    # the application reads it: search by name, the list, the 360 view, an order's money
    with database.transaction(write=False) as s:
        some = s.scalars(select(Contact).where(Contact.last_activity_at.is_not(None))
                         .order_by(Contact.id).limit(3)).all()
    for c in some:
        found = client.get("/api/v1/contacts", params={"q": f"{c.first_name} {c.last_name}",
                                                       "limit": 50})
        assert found.status_code == 200, found.text
        assert str(c.id) in {item["id"] for item in found.json()["items"]}
        view = client.get(f"/api/v1/contacts/{c.id}/360")
        assert view.status_code == 200, view.text
    page = client.get("/api/v1/contacts", params={"limit": 50})
    assert page.status_code == 200 and len(page.json()["items"]) == 50
    orders = client.get("/api/v1/orders", params={"limit": 5})
    assert orders.status_code == 200, orders.text
    for o in orders.json()["items"]:
        assert Decimal(o["subtotal"]) - Decimal(o["discount_total"]) == Decimal(o["total"])


def test_seeding_twice_is_refused_and_changes_nothing(database: Database) -> None:
    seed(database, SeedPlan(contacts=20, interactions_per_contact=1, anchor=ANCHOR))
    before = {t: _count(database, t) for t in COLUMNS}
    with pytest.raises(SeedError, match="already seeded"):
        seed(database, SeedPlan(contacts=20, anchor=ANCHOR))
    assert {t: _count(database, t) for t in COLUMNS} == before
    with pytest.raises(SeedError, match="at least 1"):
        seed(database, SeedPlan(contacts=0))
    with pytest.raises(SeedError, match="interactions"):
        seed(database, SeedPlan(contacts=5, interactions_per_contact=-1))


def _ref() -> Ref:
    u = [uuid.UUID(int=i, version=4) for i in range(1, 20)]
    return Ref(reps=u[:3], tags=u[3:6], pipeline=u[6], open_stages=[(u[7], 10), (u[8], 50)],
               won=u[9], lost=u[10],
               products=[(u[11], "S-1", "Bread", "Bread", Decimal("2.50")),
                         (u[12], "S-2", "Cake", "Pastry", Decimal("19.99"))],
               first_ticket=1001)


def _rows(seed_value: int) -> dict[str, list[tuple[Any, ...]]]:
    maker = RowMaker(Ratios(interactions=5, deals=0.5, orders=0.5, tickets=0.3,
                            seed=seed_value), ANCHOR, _ref())
    out: dict[str, list[tuple[Any, ...]]] = {name: [] for name in COLUMNS}
    for _ in range(5):
        maker.company(out)
    for _ in range(200):
        maker.contact(out)
    return out


def test_rows_depend_only_on_the_seed() -> None:
    first, again, other = _rows(3), _rows(3), _rows(4)
    assert first == again
    assert first["contacts"] != other["contacts"]
    assert all(first[name] for name in COLUMNS)
    for name, (_, columns) in COLUMNS.items():  # every row has a value for every column
        assert {len(r) for r in first[name]} == {len(columns)}, name


def test_cli_seeds_the_configured_database(database: Database,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    url = database.engine.url.render_as_string(hide_password=False)
    monkeypatch.setenv("AMITY_DATABASE_URL", url)
    get_settings.cache_clear()
    try:
        runner = CliRunner()
        done = runner.invoke(bench_app, ["--contacts", "40", "--interactions-per-contact", "2",
                                         "--seed", "5", "--anchor", "2026-06-01"])
        assert done.exit_code == 0, done.output
        assert "contacts" in done.output and "40" in done.output
        assert _count(database, "contacts") == 40
        bad = runner.invoke(bench_app, ["--contacts", "10", "--anchor", "June"])
        assert bad.exit_code == 2 and "YYYY-MM-DD" in bad.output
        again = runner.invoke(bench_app, ["--contacts", "10"])
        assert again.exit_code == 2 and "already seeded" in again.output
        assert _count(database, "contacts") == 40
    finally:
        get_settings.cache_clear()
    with database.transaction(write=False) as s:
        assert s.scalar(select(func.count()).select_from(Contact)) == 40
