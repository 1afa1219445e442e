"""The sales roll-ups on Tableau's "Sample - Superstore" orders (data/README.md), both databases.

Each CSV line becomes an order line (unit price = list price, discount = the line's discount, so
quantity x price x (1 - discount) is the line's sales exactly); each Order ID an order whose
custom fields keep its region and segment as sold. The SQL totals must equal, to the cent, the
published figures and an independent sum of the CSV's Sales column with ``csv`` + ``Decimal``.
"""

from __future__ import annotations

import csv
import gzip
import uuid
from collections import defaultdict
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from amity.commerce.models import Order, OrderLine
from amity.contacts.models import Contact
from amity.core.db import Database

DATA = Path(__file__).parent / "data" / "superstore.csv.gz"
CENT = Decimal("0.01")
PUBLISHED = {
    None: {"total": Decimal("2297200.86")},
    "field:region": {"West": Decimal("725457.82"), "East": Decimal("678781.24"),
                     "Central": Decimal("501239.89"), "South": Decimal("391721.91")},
    "field:segment": {"Consumer": Decimal("1161401.35"), "Corporate": Decimal("706146.37"),
                      "Home Office": Decimal("429653.15")},
    "category": {"Technology": Decimal("836154.03"), "Furniture": Decimal("741999.80"),
                 "Office Supplies": Decimal("719047.03")},
}
COLUMN = {"field:region": "Region", "field:segment": "Segment", "category": "Category"}


def rows() -> list[dict[str, str]]:
    with gzip.open(DATA, "rt", encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def load(database: Database, lines: list[dict[str, str]]) -> None:
    """Bulk inserts (the rows are plain data; no service logic is under test here)."""
    customers = {c: uuid.uuid4() for c in sorted({r["Customer ID"] for r in lines})}
    orders: dict[str, dict[str, Any]] = {}
    order_lines = []
    for i, r in enumerate(lines):
        oid = r["Order ID"]
        if oid not in orders:
            orders[oid] = {
                "id": uuid.uuid4(), "number": oid, "external_ref": f"superstore:{oid}",
                "contact_id": customers[r["Customer ID"]], "currency": "USD",
                "status": "fulfilled", "channel": "store",
                "ordered_at": datetime.fromisoformat(r["Order Date"]).replace(
                    hour=12, tzinfo=UTC),
                "custom_fields": {"region": r["Region"], "segment": r["Segment"]},
                "subtotal": Decimal(0), "total": Decimal(0)}
        qty, disc, sales = Decimal(r["Quantity"]), Decimal(r["Discount"]), Decimal(r["Sales"])
        rounded = sales.quantize(CENT, ROUND_HALF_UP)
        orders[oid]["total"] += rounded
        orders[oid]["subtotal"] += rounded
        order_lines.append({
            "id": uuid.uuid4(), "order_id": orders[oid]["id"], "sku": r["Product ID"],
            "description": r["Product Name"][:500], "category": r["Category"],
            "quantity": qty, "unit_price": sales / (qty * (1 - disc)),
            "discount_percent": disc * 100, "total": rounded, "position": i})
    with database.transaction() as s:
        s.execute(Contact.__table__.insert(), [
            {"id": cid, "first_name": code, "last_name": "", "custom_fields": {},
             "addresses": [], "social_profiles": [], "important_dates": []}
            for code, cid in customers.items()])
        s.execute(Order.__table__.insert(), list(orders.values()))
        s.execute(OrderLine.__table__.insert(), order_lines)


def reference(lines: list[dict[str, str]], column: str) -> dict[str, Decimal]:
    sums: dict[str, Decimal] = defaultdict(Decimal)
    for r in lines:
        sums[r[column]] += Decimal(r["Sales"])
    return {k: v.quantize(CENT, ROUND_HALF_UP) for k, v in sums.items()}


def test_superstore_totals_match_the_published_figures(client: TestClient,
                                                       database: Database) -> None:
    lines = rows()
    assert len(lines) == 9994
    load(database, lines)
    for by in ("field:region", "field:segment", "category"):
        r = client.get("/api/v1/analytics/sales", params={"by": by, "currency": "USD"})
        assert r.status_code == 200, r.text
        body = r.json()
        assert Decimal(body["total_rounded"]) == PUBLISHED[None]["total"]
        got = {row["key"]: Decimal(row["sales_rounded"]) for row in body["rows"]}
        assert got == PUBLISHED[by], by
        assert got == reference(lines, COLUMN[by]), by
        assert sum(row["lines"] for row in body["rows"]) == 9994
    orders = client.get("/api/v1/analytics/sales", params={"by": "channel"}).json()
    assert orders["rows"][0]["orders"] == 5009


def test_sales_by_refuses_an_unknown_dimension(client: TestClient) -> None:
    r = client.get("/api/v1/analytics/sales", params={"by": "field:a b"})
    assert r.status_code == 422 and r.json()["field"] == "by"
