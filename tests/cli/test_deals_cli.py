"""``amity pipelines|deals|products|orders|forecast`` against the test database (both)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import func, select

from amity import cli_deals
from amity.auth import service as auth
from amity.auth.models import User
from amity.commerce.models import Order, OrderLine, Product
from amity.config import get_settings
from amity.contacts.schemas import ContactCreate
from amity.contacts.service import create_contact
from amity.core.db import Database
from amity.deals.models import Deal
from amity.deals.schemas import DealCreate
from amity.deals.service import create_deal
from tests.cli_support import point_cli_at, run


@pytest.fixture
def cli_db(database: Database, monkeypatch: pytest.MonkeyPatch) -> Iterator[Database]:
    point_cli_at(database, monkeypatch, cli_deals.console)
    with database.transaction() as s:
        admin = auth.create_user(s, email="boss@example.com", name="Boss", is_admin=True)
        for first, email in (("Grace", "grace@example.com"), ("Linus", "Linus@Example.org")):
            create_contact(s, data=ContactCreate.model_validate(
                {"first_name": first, "emails": [{"email": email}]}), actor=admin)
    yield database
    get_settings.cache_clear()


def test_products_add_list_and_orders_import_twice(cli_db: Database, tmp_path: Path) -> None:
    code, out = run("products", "add", "--sku", "CRO-1", "--name", "Croissant", "--price",
                    "1.85", "--category", "Pastry")
    assert code == 0, out
    code, out = run("products", "add", "--sku", "LAP-14", "--name", "Laptop", "--price",
                    "899", "--cycle-days", "1095")
    assert code == 0, out
    code, out = run("products", "add", "--sku", "CRO-1", "--name", "Again", "--price", "1")
    assert code == 2 and "CRO-1" in out  # the SKU is taken
    code, out = run("products", "add", "--sku", "X", "--name", "X", "--price", "1.00001")
    assert code == 2
    code, out = run("products", "list")
    assert code == 0 and "CRO-1" in out and "1095 d" in out and "X " not in out
    csv_file = tmp_path / "orders.csv"
    csv_file.write_text(
        "external_ref,email,date,sku,quantity,unit_price\n"
        "T-1,grace@example.com,2026-11-03,CRO-1,12,\n"
        "T-1,grace@example.com,2026-11-03,LAP-14,1,850.00\n"
        "T-2,linus@example.org,2026-11-10,CRO-1,6,1.70\n"
        "T-3,nobody@example.com,2026-11-10,CRO-1,1,\n"
        "T-4,grace@example.com,2026-11-17,NOPE,1,\n", encoding="utf-8")
    code, out = run("orders", "import", str(csv_file))
    assert code == 1, out  # two orders refused, reported
    assert "2 created, 0 already there, 2 refused" in out
    assert "nobody@example.com" in out and "NOPE" in out
    with cli_db.transaction() as s:
        totals = {r[0]: r[1] for r in s.execute(select(Order.external_ref, Order.total))}
        assert totals == {"T-1": Decimal("872.20"),  # 12 x 1.85 + 850.00, by hand
                          "T-2": Decimal("10.20")}  # 6 x 1.70
        lines = s.scalar(select(func.count()).select_from(OrderLine))
    code, out = run("orders", "import", str(csv_file))
    assert "0 created, 2 already there, 2 refused" in out
    with cli_db.transaction() as s:
        assert s.scalar(select(func.count()).select_from(Order)) == 2
        assert s.scalar(select(func.count()).select_from(OrderLine)) == lines == 3
    bad = tmp_path / "bad.csv"
    bad.write_text("ref,email\nx,y\n", encoding="utf-8")
    code, out = run("orders", "import", str(bad))
    assert code == 2 and "missing columns" in out


def test_pipelines_deals_move_and_forecast(cli_db: Database) -> None:
    with cli_db.transaction() as s:
        admin = s.scalar(select(User))
        assert admin is not None
        create_deal(s, data=DealCreate(name="Wedding cake", amount=Decimal("1200"),
                                       currency="EUR"), actor=admin)
        create_deal(s, data=DealCreate(name="Café supply", amount=Decimal("800"),
                                       currency="EUR"), actor=admin)
    code, out = run("pipelines", "list")
    assert code == 0 and "New business" in out and "Qualification (10%)" in out
    code, out = run("deals", "list", "--pipeline", "new business")
    assert code == 0 and "Wedding cake" in out and "Café supply" in out
    assert run("deals", "list", "--pipeline", "nope")[0] == 2
    code, out = run("deals", "move", "Wedding cake", "proposal")
    assert code == 0 and "now in Proposal" in out and "50%" in out
    code, out = run("deals", "move", "Café supply", "Lost")
    assert code == 2 and "lost" in out.lower()  # a reason is needed
    code, out = run("deals", "move", "Café supply", "Lost", "--reason", "Too expensive")
    assert code == 0, out
    code, out = run("deals", "move", "Café supply", "Nowhere")
    assert code == 2 and "Qualification" in out
    assert run("deals", "move", str(uuid.uuid4()), "Won")[0] == 2
    with cli_db.transaction() as s:
        statuses = {r[0]: r[1] for r in s.execute(select(Deal.name, Deal.status))}
    assert statuses == {"Wedding cake": "open", "Café supply": "lost"}
    code, out = run("deals", "list", "--stalled")
    assert code == 0 and "Wedding cake" not in out
    code, out = run("forecast", "--period", "quarter")
    assert code == 0, out
    # open: only Wedding cake, 1,200.00 at 50% -> weighted 600.00
    assert "1,200.00" in out and "600.00" in out and "unscheduled" in out
    assert run("forecast", "--period", "year")[0] == 2


def test_products_table_reads_the_catalogue(cli_db: Database) -> None:
    with cli_db.transaction() as s:
        s.add(Product(id=uuid.uuid4(), sku="BAG-1", name="Baguette", sort_name="baguette",
                      price=Decimal("1.2000"), currency="EUR", active=False, custom_fields={}))
    code, out = run("products", "list", "--q", "bag")
    assert code == 0 and "BAG-1" in out and "no" in out
