"""Exports of deals, products, orders, tickets and interactions (CSV, XLSX, JSON, formula-safe)
and of the whole database as a zip written in the background; an export re-imports."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from typing import Any

from fastapi.testclient import TestClient
from openpyxl import load_workbook

from amity.config import Settings
from amity.core.db import Database
from amity.jobs.worker import run_until_idle
from tests.conftest import make_user
from tests.dataio.conftest import run_import, upload
from tests.factories import assert_problem, make_contact


def _seed(client: TestClient) -> dict[str, Any]:
    ada = make_contact(client, emails=[{"email": "ada@example.com"}])
    r = client.post("/api/v1/products", json={"sku": "=SKU1", "name": "+Anvil",
                                              "price": "10.5000", "currency": "EUR"})
    assert r.status_code == 201, r.text
    product = r.json()
    r = client.post("/api/v1/deals", json={"name": "@Big deal", "amount": "1234.56",
                                           "currency": "EUR", "contact_id": ada["id"]})
    assert r.status_code == 201, r.text
    r = client.post("/api/v1/orders", json={
        "contact_id": ada["id"], "currency": "EUR", "external_ref": "W-1",
        "lines": [{"product_id": product["id"], "quantity": "2"},
                  {"description": "-Wrap", "quantity": "1", "unit_price": "1.25"}]})
    assert r.status_code == 201, r.text
    r = client.post("/api/v1/interactions", json={
        "channel": "call", "direction": "inbound", "subject": "=cmd|' /C calc'!A0",
        "participants": [{"contact_id": ada["id"]}]})
    assert r.status_code == 201, r.text
    return ada


def _csv(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"))))


def test_csv_exports_are_exact_and_formula_safe(client: TestClient) -> None:
    _seed(client)
    r = client.get("/api/v1/exports/records/deals")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    [deal] = _csv(r.text)
    assert (deal["name"], deal["amount"], deal["currency"]) == ("'@Big deal", "1234.56", "EUR")
    assert (deal["pipeline"], deal["stage"]) == ("New business", "Qualification")
    assert deal["contact_email"] == "ada@example.com"

    lines = _csv(client.get("/api/v1/exports/records/orders").text)
    assert [(x["order_ref"], x["line_description"], x["line_quantity"], x["line_total"])
            for x in lines] == [("W-1", "'+Anvil", "2.000", "21.00"),
                                ("W-1", "'-Wrap", "1.000", "1.25")]
    assert {x["total"] for x in lines} == {"22.25"} and lines[0]["line_sku"] == "'=SKU1"

    [product] = _csv(client.get("/api/v1/exports/records/products").text)
    assert (product["sku"], product["price"]) == ("'=SKU1", "10.5000")
    [call] = _csv(client.get("/api/v1/exports/records/interactions").text)
    assert call["subject"].startswith("'=") and call["contact_email"] == "ada@example.com"
    r = client.get("/api/v1/exports/records/tickets")
    assert r.status_code == 200 and _csv(r.text) == []


def test_json_and_xlsx(client: TestClient) -> None:
    _seed(client)
    data = json.loads(client.get("/api/v1/exports/records/orders?format=json").content)
    assert [d["line_unit_price"] for d in data] == ["10.5000", "1.2500"]
    r = client.get("/api/v1/exports/records/deals?format=xlsx")
    assert r.status_code == 200
    ws = load_workbook(io.BytesIO(r.content)).active
    assert ws is not None
    rows = list(ws.iter_rows(values_only=True))
    assert rows[0][:3] == ("id", "name", "amount") and rows[1][1] == "'@Big deal"
    r = client.get("/api/v1/exports/records/deals?format=vcard")
    assert_problem(r, 422, "format")
    assert_problem(client.get("/api/v1/exports/records/spaceships"), 422, "entity")


def test_whole_database_zip_in_the_background(client: TestClient, database: Database,
                                              settings: Settings) -> None:
    _seed(client)
    r = client.post("/api/v1/exports/all?format=csv")
    assert r.status_code == 202, r.text
    location = r.headers["Location"]
    assert client.get(location).json()["status"] == "queued"
    r = client.get(f"{location}/download")
    assert_problem(r, 409)
    run_until_idle(database, settings)
    status = client.get(location).json()
    assert status["status"] == "done" and status["download_url"].endswith("/download")
    r = client.get(status["download_url"])
    assert r.status_code == 200 and r.headers["content-type"] == "application/zip"
    zf = zipfile.ZipFile(io.BytesIO(r.content))
    assert sorted(zf.namelist()) == sorted(f"{e}.csv" for e in (
        "contacts", "companies", "deals", "products", "orders", "tickets", "interactions"))
    counts = {n: len(_csv(zf.read(n).decode())) for n in zf.namelist()}
    assert counts == {"contacts.csv": 1, "companies.csv": 0, "deals.csv": 1,
                      "products.csv": 1, "orders.csv": 2, "tickets.csv": 0,
                      "interactions.csv": 1}
    assert status["row_count"] == 6


def test_exported_orders_import_again(client: TestClient, database: Database,
                                                settings: Settings) -> None:
    _seed(client)
    orders = client.get("/api/v1/exports/records/orders").content
    imp = upload(client, "orders.csv", orders, entity="orders")
    assert imp["mapping"]["order_ref"] == "order_ref"
    assert imp["mapping"]["line_quantity"] == "line_quantity"
    done = run_import(client, database, settings, imp["id"])
    # the order is stored already (same external ref): nothing is added
    assert (done["created_count"], done["skipped_count"], done["error_count"]) == (0, 1, 0)
    assert len(client.get("/api/v1/orders").json()["items"]) == 1


def test_what_a_sales_rep_may_import_and_export(app: Any, client: TestClient,
                                                database: Database, settings: Settings) -> None:
    _seed(client)  # the admin's contact, deal, order and call
    _, token = make_user(database, email="rep@example.com")
    with TestClient(app) as rep:
        rep.headers["Authorization"] = f"Bearer {token}"
        r = rep.post("/api/v1/imports", files={"file": ("p.csv", b"SKU,Name,Price\nA,B,1\n")},
                     data={"entity": "products"})
        assert_problem(r, 403)  # the catalogue is settings
        for entity in ("deals", "orders", "tickets", "interactions"):
            assert_problem(rep.get(f"/api/v1/exports/records/{entity}"), 403)
        [product] = _csv(rep.get("/api/v1/exports/records/products").text)
        assert product["name"] == "'+Anvil"
        # a deal naming a contact the rep cannot see is refused, not attached to it
        imp = upload(rep, "d.csv", b"Name,Contact Email\nMine,ada@example.com\nOk,\n",
                     entity="deals")
        done = run_import(rep, database, settings, imp["id"])
        assert (done["created_count"], done["error_count"]) == (1, 1)
        assert "No contact you can see" in rep.get(
            f"/api/v1/imports/{imp['id']}/errors.csv").text
        r = rep.post("/api/v1/exports/all")
        assert r.status_code == 202
        run_until_idle(database, settings)
        zf = zipfile.ZipFile(io.BytesIO(rep.get(f"{r.headers['Location']}/download").content))
        assert zf.namelist() == ["products.csv"]
        assert_problem(client.get(r.headers["Location"]), 404)  # not the admin's export
