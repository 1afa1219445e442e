"""A person's orders and deals: exported with everything, erased of what is written about them,
while revenue, forecasts and stage history stay exactly the same."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from amity.commerce.models import Order
from amity.core.db import Database
from amity.deals.models import DealStageChange
from tests.commerce.support import make_order
from tests.deals.deal_support import make_deal, move, stages
from tests.factories import make_contact
from tests.privacy.test_erase import _dump_all_tables


def _customer(client: TestClient) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    zeb = make_contact(client, first_name="Zebulon", last_name="Quagmire")
    other = make_contact(client, first_name="Olga", last_name="Other")
    make_order(client, zeb, {"description": "Laptop", "quantity": "1",
                                     "unit_price": "999.90"},
                       {"description": "Mouse", "quantity": "2", "unit_price": "0.10"},
                       notes="Zebulon wants it gift-wrapped for his daughter's wedding")
    make_order(client, other, notes="Olga pays by card")
    deal = make_deal(client, name="Zebulon Quagmire yacht refit", amount="0.30",
                     contact_id=zeb["id"], description="Met Zebulon at the marina",
                     next_step="Call Quagmire on Tuesday")
    r = client.put(f"/api/v1/deals/{deal['id']}/contacts",
                   json={"contacts": [{"contact_id": other["id"], "role": "decision_maker"}]})
    assert r.status_code == 200, r.text
    s = stages(client)
    assert move(client, deal["id"], s["Proposal"]).status_code == 200
    return zeb, other, deal


def test_export_has_orders_with_lines_and_deals(client: TestClient) -> None:
    zeb, other, deal = _customer(client)
    data = client.get(f"/api/v1/contacts/{zeb['id']}/export").json()
    [order] = data["orders"]
    assert order["total"] == "1000.10" and order["currency"] == "EUR"
    assert [(ln["description"], ln["quantity"], ln["total"]) for ln in order["lines"]] == [
        ("Laptop", "1.000", "999.90"), ("Mouse", "2.000", "0.20")]
    assert order["notes"].startswith("Zebulon wants")
    [d] = data["deals"]
    assert d["id"] == deal["id"] and d["primary_contact"] is True and d["amount"] == "0.30"
    assert d["next_step"] == "Call Quagmire on Tuesday"
    # the other person is in the deal through a role, and sees it in their own export
    theirs = client.get(f"/api/v1/contacts/{other['id']}/export").json()
    assert [(x["id"], x["primary_contact"], x["role"]) for x in theirs["deals"]] == [
        (deal["id"], False, "decision_maker")]
    assert [o["notes"] for o in theirs["orders"]] == ["Olga pays by card"]
    page = client.get(f"/api/v1/contacts/{zeb['id']}/export", params={"format": "html"}).text
    assert "Laptop" in page and "1000.10 EUR" in page and "yacht refit" in page


def test_erasure_keeps_revenue_and_history_and_forgets_the_person(
        client: TestClient, database: Database) -> None:
    zeb, other, deal = _customer(client)

    def revenue() -> Decimal:
        with database.transaction(write=False) as s:
            return Decimal(s.scalar(select(func.sum(Order.total))) or 0)

    def stage_rows() -> int:
        with database.transaction(write=False) as s:
            return int(s.scalar(select(func.count()).select_from(DealStageChange)) or 0)

    total, history = revenue(), stage_rows()
    forecast = client.get("/api/v1/forecast", params={"period": "quarter"}).json()
    orders = client.get("/api/v1/orders", params={"contact_id": zeb["id"]}).json()["items"]
    assert [o["total"] for o in orders] == ["1000.10"]
    assert total == Decimal("1001.30")

    r = client.post(f"/api/v1/contacts/{zeb['id']}/erase", json={"confirm": zeb["id"]})
    assert r.status_code == 200, r.text

    assert revenue() == total and stage_rows() == history
    assert client.get("/api/v1/forecast", params={"period": "quarter"}).json() == forecast
    kept = client.get(f"/api/v1/orders/{orders[0]['id']}").json()
    assert kept["total"] == "1000.10" and kept["notes"] == "[erased]"
    assert [ln["total"] for ln in kept["lines"]] == ["999.90", "0.20"]
    d = client.get(f"/api/v1/deals/{deal['id']}").json()
    assert d["amount"] == "0.30" and d["description"] == "[erased]"
    assert d["next_step"] == "[erased]" and d["name"] == "[erased] [erased] yacht refit"
    dump = _dump_all_tables(database)
    for table, blob in dump.items():
        low = blob.lower()
        for marker in ("zebulon", "quagmire", "gift-wrapped", "marina"):
            assert marker not in low, f"{marker} still in {table}"
    # the other customer's order and their part in the deal are untouched
    theirs = client.get(f"/api/v1/contacts/{other['id']}/export").json()
    assert [o["notes"] for o in theirs["orders"]] == ["Olga pays by card"]
    assert [x["role"] for x in theirs["deals"]] == ["decision_maker"]
