"""Forecast totals in the base currency (EUR) with exchange rates, on both databases.

Today is 2026-08-15. The example of test_forecast.py; USD rates: 0.9 EUR from 2026-01-01 and
0.8 EUR from 2026-07-01. A period that is over converts at the rate of its last day (Q2: 0.9),
the current and later ones and the unscheduled deals at today's (0.8). Each currency's exact sum
is converted, the results added, and rounded half to even to cents once:

Q2: pipeline 3300.30 + 0 = 3300.30; best case 3800.00 + 99.99 x 0.9 (89.991) = 3889.991 ->
3889.99; commit 2800.00 + 89.991 -> 2889.99; closed 500.00 + 89.991 -> 589.99; weighted
2130.06 + 0 = 2130.06.
Q3: 1234.56 x 0.8 = 987.648 -> 987.65; weighted 617.28 x 0.8 = 493.824 -> 493.82.
Q4: 0.05 x 0.8 = 0.04; weighted exactly 0.005 x 0.8 = 0.004 -> 0.00.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from fastapi.testclient import TestClient

from amity.app import create_app
from amity.auth.models import User
from amity.commerce.models import ExchangeRate
from amity.config import Settings
from amity.core.db import Database
from tests.deals.forecast_support import Clock, add_deal, at, clock, default_stages
from tests.deals.test_forecast import example

__all__ = ["clock"]

KEYS = ("count", "won_count", "pipeline", "best_case", "commit", "closed", "weighted",
        "rate_date", "missing_rates")


@pytest.fixture
def eur(settings: Settings, database: Database,
        admin_user: tuple[User, str]) -> Iterator[TestClient]:
    """An admin client of an installation whose base currency is EUR."""
    app = create_app(settings.model_copy(update={"base_currency": "EUR"}), database=database)
    with TestClient(app) as c:
        c.headers["Authorization"] = f"Bearer {admin_user[1]}"
        yield c


def rates(database: Database, *pairs: tuple[str, str, str]) -> None:
    with database.transaction() as s:
        for currency, valid_from, rate in pairs:
            s.add(ExchangeRate(currency=currency, valid_from=date.fromisoformat(valid_from),
                               rate=Decimal(rate)))


def totals(r: Any) -> dict[str, dict[str, Any]]:
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["base_currency"] == "EUR"
    assert all(t["currency"] == "EUR" for t in body["totals"])
    return {t["period"]: {k: t[k] for k in KEYS} for t in body["totals"]}


def test_totals_convert_per_currency_sums(eur: TestClient, database: Database,
                                          clock: Clock) -> None:
    example(eur, clock)
    clock.now = at("2026-08-15", 12)
    rates(database, ("USD", "2026-01-01", "0.9"), ("USD", "2026-07-01", "0.8"))
    r = eur.get("/api/v1/forecast")
    assert totals(r) == {
        "2026-Q2": {"count": 5, "won_count": 2, "pipeline": "3300.30", "best_case": "3889.99",
                    "commit": "2889.99", "closed": "589.99", "weighted": "2130.06",
                    "rate_date": "2026-06-30", "missing_rates": []},
        "2026-Q3": {"count": 1, "won_count": 0, "pipeline": "987.65", "best_case": "987.65",
                    "commit": "0.00", "closed": "0.00", "weighted": "493.82",
                    "rate_date": "2026-08-15", "missing_rates": []},
        "2026-Q4": {"count": 1, "won_count": 0, "pipeline": "0.04", "best_case": "0.00",
                    "commit": "0.00", "closed": "0.00", "weighted": "0.00",
                    "rate_date": "2026-08-15", "missing_rates": []},
        "unscheduled": {"count": 1, "won_count": 0, "pipeline": "50.00", "best_case": "0.00",
                        "commit": "0.00", "closed": "0.00", "weighted": "5.00",
                        "rate_date": "2026-08-15", "missing_rates": []},
    }
    # the per-currency rows are unchanged by conversion
    usd = [x for x in r.json()["rows"] if x["currency"] == "USD"]
    assert [x["best_case"] for x in usd] == ["99.99", "1234.56", "0.00"]


def test_without_a_rate_currencies_are_never_added(eur: TestClient, database: Database,
                                                   clock: Clock) -> None:
    example(eur, clock)
    clock.now = at("2026-08-15", 12)
    got = totals(eur.get("/api/v1/forecast"))
    assert got["2026-Q2"]["missing_rates"] == ["USD"]
    assert {got["2026-Q2"][k] for k in ("pipeline", "best_case", "commit", "closed",
                                        "weighted")} == {None}
    assert got["2026-Q2"]["count"] == 5  # counts still add up
    assert got["2026-Q3"]["pipeline"] is None
    assert got["unscheduled"]["pipeline"] == "50.00"  # EUR only: nothing to convert
    # a rate valid only from July converts Q3, not Q2 (converted at its last day, 30 June)
    rates(database, ("USD", "2026-07-01", "0.8"))
    got = totals(eur.get("/api/v1/forecast"))
    assert got["2026-Q2"]["missing_rates"] == ["USD"] and got["2026-Q2"]["closed"] is None
    assert got["2026-Q3"]["pipeline"] == "987.65"


def test_total_rounds_half_to_even_once(eur: TestClient, database: Database) -> None:
    """USD and GBP at 0.5 EUR. January: USD 0.05 and GBP 0.05 are 0.025 each; added exactly
    0.05 (rounding each first would give 0.02 + 0.02 = 0.04). February: USD 0.05 alone is 0.025
    -> 0.02 (half up would say 0.03)."""
    rates(database, ("USD", "2000-01-01", "0.5"), ("GBP", "2000-01-01", "0.5"))
    with database.transaction() as s:
        q = default_stages(s)["Qualification"]
        add_deal(s, q, "0.05", "USD", close="2026-01-10")
        add_deal(s, q, "0.05", "GBP", close="2026-01-11")
        add_deal(s, q, "0.05", "USD", close="2026-02-10")
    got = totals(eur.get("/api/v1/forecast", params={"period": "month"}))
    assert got["2026-01"]["pipeline"] == "0.05"
    assert got["2026-02"]["pipeline"] == "0.02"
