"""Deals, products, orders and interactions on the /imports screen, their export links and the
whole-database export there, and `amity import --entity orders` / `amity export all`."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from typer.testing import CliRunner

from amity.cli import app as cli_app
from amity.commerce.models import Order, Product
from amity.config import Settings, get_settings
from amity.core.db import Database
from amity.dataio.models import DataImport
from amity.jobs.worker import run_until_idle
from tests.conftest import make_user
from tests.factories import count
from tests.web.conftest import csrf_of, page_csrf, sign_in

PRODUCTS = "SKU;Name;Price\nP-1;Pen;1,50\nP-2;Pad;2\n"


@pytest.fixture
def signed_in(app: Any, database: Database) -> Any:
    with TestClient(app, follow_redirects=False) as web:
        user, _ = make_user(database, admin=True, email="sam@example.com")
        assert sign_in(web, user.email).status_code == 303
        yield web


def test_product_import_and_exports_on_the_screen(signed_in: TestClient, database: Database,
                                                  settings: Settings) -> None:
    page = signed_in.get("/imports").text
    assert '<option value="products">Products</option>' in page
    assert 'href="/export/records/orders?format=csv"' in page
    token = page_csrf(signed_in, "/imports")
    r = signed_in.post("/imports", data={"csrf_token": token, "entity": "products"},
                       files={"file": ("products.csv", PRODUCTS.encode())})
    assert r.status_code == 303, r.text
    url = r.headers["location"]
    page = signed_in.get(url).text
    assert '<option value="sku" selected>' in page and '<option value="price" selected>' in page
    form = {"csrf_token": csrf_of(page), "col-0": "sku", "col-1": "name", "col-2": "price",
            "match": "update_empty"}
    r = signed_in.post(f"{url}/mapping", data={**form, "action": "preview"})
    assert r.status_code == 200 and count(database, Product) == 0
    r = signed_in.post(f"{url}/mapping", data={**form, "action": "run"})
    assert r.status_code == 303
    run_until_idle(database, settings)
    assert count(database, Product) == 2

    r = signed_in.get("/export/records/products?format=csv")
    assert r.status_code == 200 and "P-1,Pen,,,1.5000,USD" in r.text
    token = page_csrf(signed_in, "/imports")
    r = signed_in.post("/export/all", data={"csrf_token": token, "format": "json"})
    assert r.status_code == 200 and "/export/file/" in r.text
    link = r.text.split('href="/export/file/')[1].split('"')[0]
    assert signed_in.get(f"/export/file/{link}").status_code == 409  # not written yet
    run_until_idle(database, settings)
    r = signed_in.get(f"/export/file/{link}")
    assert r.status_code == 200
    names = zipfile.ZipFile(io.BytesIO(r.content)).namelist()
    assert "products.json" in names and "orders.json" in names


def test_cli_imports_orders_and_exports_everything(database: Database, tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    make_user(database, admin=True, email="boss@example.com")
    for key, value in (("DATABASE_URL", str(database.engine.url.render_as_string(
            hide_password=False))), ("IMPORT_DIR", str(tmp_path / "imp")),
                       ("ENVIRONMENT", "test"), ("DEFAULT_CURRENCY", "EUR")):
        monkeypatch.setenv(f"AMITY_{key}", value)
    get_settings.cache_clear()
    runner = CliRunner()
    r = runner.invoke(cli_app, ["import", str(_write(tmp_path / "c.csv",
                                                     "Email\nada@example.com\n")),
                                "--entity", "contacts"])
    assert r.exit_code == 0, r.output
    orders = _write(tmp_path / "o.csv", "Order ID,Email,Item Name,Qty,Item Cost\n"
                                        "7,ada@example.com,Pen,2,1.50\n"
                                        "7,,Pad,1,2\n")
    r = runner.invoke(cli_app, ["import", str(orders), "--entity", "orders", "--dry-run"])
    assert r.exit_code == 0 and "create 2" in r.output, r.output
    for _ in range(2):  # the second run finds order 7 stored and adds nothing
        r = runner.invoke(cli_app, ["import", str(orders), "--entity", "orders"])
        assert r.exit_code == 0, r.output
    said = " ".join(r.output.split())  # rich wraps long lines
    assert "created 0" in said and "skipped 1" in said, said
    assert count(database, Order) == 1
    with database.transaction(write=False) as s:
        [order] = s.query(Order).all()
        assert (order.currency, str(order.total)) == ("EUR", "5.00")
    out = tmp_path / "all.zip"
    r = runner.invoke(cli_app, ["export", "all", "-o", str(out)])
    assert r.exit_code == 0, r.output
    with zipfile.ZipFile(out) as zf:
        assert zf.read("orders.csv").decode("utf-8-sig").count("\n") == 3
    r = runner.invoke(cli_app, ["export", "deals", "--format", "vcard"])
    assert r.exit_code != 0 and "vCard is for contacts" in r.output
    get_settings.cache_clear()


def _write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


def test_deal_import_screen_refuses_a_bad_currency(signed_in: TestClient,
                                                   database: Database) -> None:
    token = page_csrf(signed_in, "/imports")
    r = signed_in.post("/imports", data={"csrf_token": token, "entity": "deals"},
                       files={"file": ("deals.csv", b"Deal Name,Amount\nBig,12\n")})
    assert r.status_code == 303, r.text
    url = r.headers["location"]
    page = signed_in.get(url).text
    assert "Every row makes a new deal." in page and 'name="default_currency"' in page
    form = {"csrf_token": csrf_of(page), "col-0": "name", "col-1": "amount",
            "default_currency": "euro", "action": "run"}
    r = signed_in.post(f"{url}/mapping", data=form)
    assert r.status_code == 422 and "is not an ISO currency code" in r.text
    with database.transaction(write=False) as s:
        [imp] = s.scalars(select(DataImport)).all()
        assert imp.status == "uploaded" and imp.options == {}
    form["default_currency"] = "eur"
    r = signed_in.post(f"{url}/mapping", data=form)
    assert r.status_code == 303
    with database.transaction(write=False) as s:
        [imp] = s.scalars(select(DataImport)).all()
        assert imp.status == "queued" and imp.options["default_currency"] == "EUR"
