"""Importing deals, products, orders and interactions through the API: messy files (BOM,
semicolons, decimal commas, Excel dates, quoted newlines), exact results, re-imports that add
nothing, all-or-nothing, and rollback of exactly what an import added."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from amity.activities.models import Interaction
from amity.commerce.models import Order, Product
from amity.config import Settings
from amity.core.db import Database
from amity.dataio import service
from amity.dataio.models import ImportChange
from amity.deals.models import Deal, Stage
from amity.jobs import dataio as jobs
from amity.jobs.worker import run_until_idle
from tests.dataio.conftest import run_import, upload
from tests.factories import assert_problem, make_company, make_contact


def _live(database: Database, model: Any) -> list[Any]:
    with database.transaction(write=False) as s:
        rows = list(s.scalars(select(model).where(model.deleted_at.is_(None))))
        for r in rows:
            if isinstance(r, Order):
                _ = list(r.lines)
            if isinstance(r, Interaction):
                _ = list(r.participants)
        return rows


DEALS = ("\ufeffDeal Name;Amount;Currency;Pipeline;Deal Stage;Contact Email;Company;"
         "Close Date;Description\r\n"
         "Big renewal;1.234,50;EUR;New business;Proposal;ADA@example.com;Acme;45658;"
         "\"Two lines\r\nof notes\"\r\n"
         "Small one;€ 99;;;;;;2025-02-01;\r\n"
         "Bad stage;10;USD;New business;Nowhere;;;;\r\n"
         "Bad amount;lots;USD;;;nobody@example.com;;;\r\n").encode("utf-8")


def test_deals_from_a_messy_semicolon_file(client: TestClient, database: Database,
                                           settings: Settings) -> None:
    ada = make_contact(client, emails=[{"email": "ada@example.com"}])
    acme = make_company(client, name="Acme")
    imp = upload(client, "deals.csv", DEALS, entity="deals")
    assert (imp["delimiter"], imp["total_rows"]) == (";", 4)
    assert imp["mapping"] == {"Deal Name": "name", "Amount": "amount", "Currency": "currency",
                              "Pipeline": "pipeline", "Deal Stage": "stage",
                              "Contact Email": "contact_email", "Company": "company",
                              "Close Date": "expected_close_date",
                              "Description": "description"}
    preview = client.post(f"/api/v1/imports/{imp['id']}/preview").json()
    assert preview["counts"] == {"create": 2, "update": 0, "skip": 0, "error": 2}
    errors = {r["row"]: sorted(e["field"] for e in r["errors"]) for r in preview["rows"]
              if r["errors"]}
    assert errors == {3: ["stage"], 4: ["amount", "contact_email"]}
    assert _live(database, Deal) == []

    done = run_import(client, database, settings, imp["id"])
    assert (done["status"], done["created_count"], done["error_count"]) == ("done", 2, 2)
    deals = {d.name: d for d in _live(database, Deal)}
    assert set(deals) == {"Big renewal", "Small one"}
    big, small = deals["Big renewal"], deals["Small one"]
    assert (big.amount, big.currency) == (Decimal("1234.50"), "EUR")
    assert isinstance(big.amount, Decimal)
    assert big.expected_close_date == date(2025, 1, 1)  # Excel serial 45658
    assert big.description == "Two lines\r\nof notes"
    assert (str(big.contact_id), str(big.company_id)) == (ada["id"], acme["id"])
    with database.transaction(write=False) as s:
        stage = s.get(Stage, big.stage_id)
        assert stage is not None and stage.name == "Proposal"
    assert (small.amount, small.currency) == (Decimal("99"), "EUR")
    assert small.expected_close_date == date(2025, 2, 1)

    r = client.get(f"/api/v1/imports/{imp['id']}/errors.csv")
    assert r.status_code == 200 and r.text.count("\n") == 3  # header + 2 refused rows

    before = {d.id for d in _live(database, Deal)}
    r = client.post(f"/api/v1/imports/{imp['id']}/rollback")
    assert r.status_code == 202, r.text
    run_until_idle(database, settings)
    assert client.get(f"/api/v1/imports/{imp['id']}").json()["status"] == "rolled_back"
    assert _live(database, Deal) == [] and len(before) == 2


PRODUCTS = ("SKU,Title,Variant Price,Type,Status\n"
            "A-1,Anvil,\"1,299.00\",Tools,active\n"
            "B-2,Bucket,12.5,,draft\n"
            "B-2,Bucket (dup),13,,\n"
            ",No sku,1,,\n")


def test_products_by_sku_and_reimport_updates(client: TestClient, database: Database,
                                              settings: Settings) -> None:
    imp = upload(client, "shopify.csv", PRODUCTS.encode(), entity="products")
    assert imp["mapping"] == {"SKU": "sku", "Title": "name", "Variant Price": "price",
                              "Type": "category", "Status": "active"}
    done = run_import(client, database, settings, imp["id"], options={"match": "overwrite"})
    assert (done["created_count"], done["updated_count"], done["error_count"]) == (2, 1, 1)
    products = {p.sku: p for p in _live(database, Product)}
    assert set(products) == {"A-1", "B-2"}
    assert (products["A-1"].price, products["A-1"].currency, products["A-1"].active) == (
        Decimal("1299.0000"), "USD", True)
    assert (products["B-2"].name, products["B-2"].price) == ("Bucket (dup)", Decimal("13"))

    again = upload(client, "prices.csv", b"SKU,Price\nA-1,1400\nC-3,5\n", entity="products")
    r = client.put(f"/api/v1/imports/{again['id']}/mapping",
                   json={"mapping": again["mapping"], "options": {"match": "overwrite"}})
    assert_problem(r, 422, "mapping")  # a new product needs a name: the mapping says so
    re_imp = upload(client, "prices.csv", b"SKU,Name,Price\nA-1,Anvil,1400\n",
                    entity="products")
    done = run_import(client, database, settings, re_imp["id"],
                      options={"match": "overwrite"})
    assert (done["created_count"], done["updated_count"]) == (0, 1)
    anvil = next(p for p in _live(database, Product) if p.sku == "A-1")
    assert anvil.price == Decimal("1400") and len(_live(database, Product)) == 2

    client.post(f"/api/v1/imports/{re_imp['id']}/rollback")
    run_until_idle(database, settings)
    anvil = next(p for p in _live(database, Product) if p.sku == "A-1")
    assert anvil.price == Decimal("1299.0000")  # the update is undone, the product stays


ORDERS = ("Name,Email,Created at,Currency,Lineitem quantity,Lineitem name,Lineitem price,"
          "Lineitem sku,Financial Status\n"
          "#1001,ada@example.com,2025-03-01 14:30:00 +0100,EUR,2,Anvil,,A-1,paid\n"
          "#1001,,,,1,Gift wrap,\"3,50\",,\n"
          "#1002,ada@example.com,45717.5,EUR,1,Rope,10,,pending\n")


def test_orders_group_lines_and_reimport_adds_nothing(client: TestClient, database: Database,
                                                      settings: Settings) -> None:
    ada = make_contact(client, emails=[{"email": "ada@example.com"}])
    r = client.post("/api/v1/products", json={"sku": "A-1", "name": "Anvil", "price": "100",
                                              "currency": "EUR"})
    assert r.status_code == 201, r.text
    imp = upload(client, "orders.csv", ORDERS.encode(), entity="orders")
    assert imp["mapping"]["Name"] == "order_ref"
    assert imp["mapping"]["Lineitem sku"] == "line_sku"
    done = run_import(client, database, settings, imp["id"])
    assert (done["status"], done["created_count"], done["error_count"]) == ("done", 2, 0)
    orders = {o.external_ref: o for o in _live(database, Order)}
    first, second = orders["#1001"], orders["#1002"]
    assert str(first.contact_id) == ada["id"]
    assert first.ordered_at == datetime(2025, 3, 1, 13, 30, tzinfo=UTC)
    assert first.status == "paid" and second.status == "placed"
    assert [(ln.description, ln.quantity, ln.unit_price, ln.total) for ln in first.lines] == [
        ("Anvil", Decimal("2"), Decimal("100"), Decimal("200")),
        ("Gift wrap", Decimal("1"), Decimal("3.5"), Decimal("3.5"))]
    assert first.lines[0].product_id is not None and first.total == Decimal("203.50")
    assert second.ordered_at == datetime(2025, 3, 1, 12, 0, tzinfo=UTC)  # Excel serial .5

    again = upload(client, "orders.csv", ORDERS.encode(), entity="orders")
    done = run_import(client, database, settings, again["id"])
    assert (done["created_count"], done["skipped_count"], done["error_count"]) == (0, 2, 0)
    assert len(_live(database, Order)) == 2

    # rolling the first import back removes exactly the two orders it placed
    with database.transaction(write=False) as s:
        added = {c.record_id for c in s.scalars(select(ImportChange).where(
            ImportChange.import_id == uuid.UUID(imp["id"])))}
    assert added == {first.id, second.id}
    assert client.post(f"/api/v1/imports/{imp['id']}/rollback").status_code == 202
    run_until_idle(database, settings)
    assert _live(database, Order) == []
    assert client.get(f"/api/v1/imports/{again['id']}/errors.csv").text.count("\n") == 1


def test_orders_all_or_nothing_leaves_nothing(client: TestClient, database: Database,
                                              settings: Settings) -> None:
    make_contact(client, emails=[{"email": "ada@example.com"}])
    bad = ORDERS.replace("\"3,50\"", "free")
    imp = upload(client, "orders.csv", bad.encode(), entity="orders")
    done = run_import(client, database, settings, imp["id"], options={"all_or_nothing": True})
    assert done["status"] == "failed" and done["created_count"] == 0
    assert done["error_count"] == 2  # both lines of order #1001
    assert _live(database, Order) == []
    with database.transaction(write=False) as s:
        assert list(s.scalars(select(ImportChange))) == []
    # without it, the good order goes in and the bad one is reported whole
    imp = upload(client, "orders.csv", bad.encode(), entity="orders")
    done = run_import(client, database, settings, imp["id"])
    assert (done["created_count"], done["error_count"]) == (1, 2)
    assert [o.external_ref for o in _live(database, Order)] == ["#1002"]


INTERACTIONS = ("Activity ID,Type,Direction,Activity Date,Subject,Notes,Email,Phone,Duration\n"
                "x1,Phone call,incoming,2025-01-02T09:00:00Z,Intro,\"Said hi\nand bye\",,"
                "(415) 555-0123,5 min\n"
                "x2,E-mail,sent,02/01/2025,Proposal,Attached,ada@example.com,,\n"
                "x3,Fax,,2025-01-03,,,ada@example.com,,\n"
                "x4,Meeting,,2025-01-04,Lunch,,ghost@example.com,,\n")


def test_interactions_match_contacts_by_email_or_phone(client: TestClient,
                                                       database: Database,
                                                       settings: Settings) -> None:
    ada = make_contact(client, emails=[{"email": "ada@example.com"}],
                       phones=[{"number": "+14155550123"}])
    imp = upload(client, "activities.csv", INTERACTIONS.encode(), entity="interactions")
    done = run_import(client, database, settings, imp["id"])
    assert (done["created_count"], done["error_count"]) == (2, 2)
    found = {i.external_id: i for i in _live(database, Interaction)}
    call, mail = found["x1"], found["x2"]
    assert (call.channel, call.direction, call.duration_s) == ("call", "inbound", 300)
    assert call.body == "Said hi\nand bye"
    assert call.occurred_at == datetime(2025, 1, 2, 9, 0, tzinfo=UTC)
    assert [str(p.contact_id) for p in call.participants] == [ada["id"]]
    assert (mail.channel, mail.direction, mail.subject) == ("email", "outbound", "Proposal")
    assert mail.occurred_at == datetime(2025, 2, 1, tzinfo=UTC)  # US: month first
    errors = client.get(f"/api/v1/imports/{imp['id']}/errors.csv").text
    assert "channel: 'Fax' is not a channel" in errors and "ghost@example.com" in errors

    again = upload(client, "activities.csv", INTERACTIONS.encode(), entity="interactions")
    done = run_import(client, database, settings, again["id"])
    assert (done["created_count"], done["skipped_count"]) == (0, 2)
    assert len(_live(database, Interaction)) == 2

    other = client.post("/api/v1/interactions", json={
        "channel": "chat", "participants": [{"contact_id": ada["id"]}]})
    assert other.status_code == 201, other.text
    assert client.post(f"/api/v1/imports/{imp['id']}/rollback").status_code == 202
    run_until_idle(database, settings)
    assert [str(i.id) for i in _live(database, Interaction)] == [other.json()["id"]]


def test_bad_entity_and_missing_required_mapping(client: TestClient) -> None:
    r = client.post("/api/v1/imports", files={"file": ("x.csv", b"a\n1\n")},
                    data={"entity": "spaceships"})
    assert_problem(r, 422, "entity")
    imp = upload(client, "d.csv", b"Amount\n12\n", entity="deals")
    r = client.post(f"/api/v1/imports/{imp['id']}/run")
    assert_problem(r, 422, "mapping")
    assert client.get(f"/api/v1/imports/{imp['id']}").json()["status"] == "uploaded"


def test_order_import_resumes_after_a_crash_without_splitting_orders(
        client: TestClient, database: Database, settings: Settings,
        monkeypatch: pytest.MonkeyPatch) -> None:
    make_contact(client, emails=[{"email": "ada@example.com"}])
    rows = ["Order ID,Email,Qty,Item Name,Item Cost"] + [
        f"R{n},ada@example.com,{line},Item {line},1.10" for n in range(40)
        for line in (1, 2, 3)]
    imp = upload(client, "orders.csv", "\n".join(rows).encode(), entity="orders")
    client.put(f"/api/v1/imports/{imp['id']}/mapping", json={"mapping": imp["mapping"]})
    assert client.post(f"/api/v1/imports/{imp['id']}/run").status_code == 202
    real = service._carry_out
    seen: list[int] = []

    def crash_on_second_batch(planner: Any, plans: Any) -> None:
        seen.append(len(plans))
        real(planner, plans)
        if len(seen) == 2:
            raise RuntimeError("worker killed mid-batch")

    monkeypatch.setattr(service, "_carry_out", crash_on_second_batch)
    with pytest.raises(RuntimeError), database.transaction() as s:
        jobs.run_import(s, settings, uuid.UUID(imp["id"]))
    assert seen == [51, 51]  # batches of 50 rows grow to the end of the order in hand
    state = client.get(f"/api/v1/imports/{imp['id']}").json()
    assert (state["status"], state["position"], state["created_count"]) == ("running", 51, 17)
    monkeypatch.setattr(service, "_carry_out", real)
    with database.transaction() as s:
        jobs.run_import(s, settings, uuid.UUID(imp["id"]))
    state = client.get(f"/api/v1/imports/{imp['id']}").json()
    assert (state["status"], state["position"], state["created_count"]) == ("done", 120, 40)
    orders = _live(database, Order)
    assert sorted(o.external_ref for o in orders) == sorted(f"R{n}" for n in range(40))
    assert {len(o.lines) for o in orders} == {3}
    assert {o.total for o in orders} == {Decimal("6.60")}
