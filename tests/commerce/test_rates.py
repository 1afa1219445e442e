"""Exchange rates (quoted in the base currency) and conversion, by hand."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from amity.app import create_app
from amity.commerce.models import ExchangeRate
from amity.commerce.rates import convert, rates_on
from amity.config import Settings
from amity.core.audit import AuditEntry
from amity.core.db import Database
from tests.factories import assert_problem, count


@pytest.fixture
def settings(database: Database) -> Settings:
    return Settings(environment="test", database_url=str(database.engine.url),
                    secret_key="test-secret-key-that-is-long-enough-0123456789",
                    base_currency="EUR")


def _rate(client: Any, currency: str, rate: str, valid_from: str) -> dict[str, Any]:
    r = client.post("/api/v1/exchange-rates",
                    json={"currency": currency, "rate": rate, "valid_from": valid_from})
    assert r.status_code == 201, r.text
    return dict(r.json())


@pytest.fixture
def rates(client: Any) -> dict[str, Any]:
    """EUR is the base. A dollar buys 0.92 EUR from 1 Jan 2026 and 0.90 from 1 March; a pound
    1.16 from 1 January; a Swiss franc 0.5 (a round figure to show half-even rounding)."""
    return {"usd_jan": _rate(client, "USD", "0.92", "2026-01-01"),
            "usd_mar": _rate(client, "USD", "0.9", "2026-03-01"),
            "gbp": _rate(client, "GBP", "1.16", "2026-01-01"),
            "chf": _rate(client, "CHF", "0.5", "2026-01-01")}


def test_convert_by_hand(database: Database, rates: dict[str, Any]) -> None:
    with database.transaction(write=False) as s:
        def conv(amount: str, frm: str, to: str, on: str, **kw: Any) -> Decimal | None:
            return convert(s, Decimal(amount), frm, to, date.fromisoformat(on),
                           **{"base": "EUR", **kw})

        assert conv("100", "USD", "EUR", "2026-02-15") == Decimal("92.00")
        assert conv("100", "USD", "EUR", "2026-03-01") == Decimal("90.00")  # from that day
        assert conv("100", "EUR", "USD", "2026-03-05") == Decimal("111.11")  # 100 / 0.9
        assert conv("100", "USD", "GBP", "2026-02-01") == Decimal("79.31")  # 92 / 1.16
        assert conv("0.05", "CHF", "EUR", "2026-02-01") == Decimal("0.02")  # 0.025, half-even
        assert conv("0.07", "CHF", "EUR", "2026-02-01") == Decimal("0.04")  # 0.035, half-even
        assert conv("100", "USD", "EUR", "2025-12-31") is None  # no rate yet
        assert conv("100", "JPY", "EUR", "2026-02-01") is None
        assert conv("12.34", "JPY", "JPY", "2026-02-01") == Decimal("12.34")
        assert conv("100", "USD", "EUR", "2026-02-15", base=None) is None  # EUR has no row
        assert conv("100", "USD", "GBP", "2026-02-01", base=None) == Decimal("79.31")
        assert rates_on(s, ["USD", "GBP", "JPY"], date(2026, 3, 1)) == {
            "USD": Decimal("0.90000000"), "GBP": Decimal("1.16000000")}


def test_rates_api(client: Any, database: Database, rates: dict[str, Any]) -> None:
    listed = client.get("/api/v1/exchange-rates", params={"currency": "USD"}).json()["items"]
    assert [(r["rate"], r["valid_from"]) for r in listed] == [
        ("0.90000000", "2026-03-01"), ("0.92000000", "2026-01-01")]
    page = client.get("/api/v1/exchange-rates", params={"limit": 3}).json()
    rest = client.get("/api/v1/exchange-rates",
                      params={"limit": 3, "cursor": page["next_cursor"]}).json()
    assert len(page["items"]) == 3 and len(rest["items"]) == 1 and rest["next_cursor"] is None
    one = client.get(f"/api/v1/exchange-rates/{rates['gbp']['id']}")
    assert one.json()["rate"] == "1.16000000"
    assert_problem(client.post("/api/v1/exchange-rates", json={
        "currency": "USD", "rate": "0.93", "valid_from": "2026-03-01"}), 409, "valid_from",
        "exchange_rate.exists")
    assert client.delete(f"/api/v1/exchange-rates/{rates['usd_mar']['id']}").status_code == 204
    assert_problem(client.get(f"/api/v1/exchange-rates/{rates['usd_mar']['id']}"), 404)
    with database.transaction(write=False) as s:
        # the January rate applies again
        assert convert(s, Decimal(100), "USD", "EUR", date(2026, 3, 5),
                       base="EUR") == Decimal("92.00")
        actions = s.scalars(select(AuditEntry.action).where(
            AuditEntry.entity_type == "exchange_rate")).all()
        assert sorted(actions) == ["create"] * 4 + ["delete"]


@pytest.mark.parametrize(("body", "field", "code"), [
    ({"currency": "EUR"}, "currency", "exchange_rate.base_currency"),
    ({"currency": "usd"}, "currency", None),
    ({"rate": "0"}, "rate", None),
    ({"rate": "-1"}, "rate", None),
    ({"rate": "0.123456789"}, "rate", None),
    ({"valid_from": "2026-02-30"}, "valid_from", None),
])
def test_bad_rates_are_422(client: Any, database: Database, body: dict[str, Any], field: str,
                           code: str | None) -> None:
    full = {"currency": "USD", "rate": "0.9", "valid_from": "2026-01-01", **body}
    assert_problem(client.post("/api/v1/exchange-rates", json=full), 422, field, code)
    assert count(database, ExchangeRate) == 0


def test_no_rates_without_a_base_currency(database: Database,
                                          admin_user: tuple[Any, str]) -> None:
    app = create_app(Settings(environment="test", database_url=str(database.engine.url),
                              secret_key="test-secret-key-that-is-long-enough-0123456789"),
                     database=database)
    with TestClient(app) as c:
        r = c.post("/api/v1/exchange-rates", headers={"Authorization": f"Bearer {admin_user[1]}"},
                   json={"currency": "USD", "rate": "0.9", "valid_from": "2026-01-01"})
    assert_problem(r, 422, "currency", "exchange_rate.no_base_currency")
    assert count(database, ExchangeRate) == 0
