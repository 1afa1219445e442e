"""GET /api/v1/analytics/kpis on the hand-built history of dataset.py, on both databases.

January 2026 in New York, N = 30 days (hand-computed):
- orders: A 50, C 60, D 25 (02-01 03:00Z is Jan 31 in New York) -> revenue 135.00, 3 orders,
  3 customers, AOV 45.00, frequency 1; lifetime to Feb 1: 485.00 / 4 customers = 121.25.
- retention: active at start (an order in [Dec 2, Jan 1) NY) A, B, D (01-01 04:00Z is Dec 31);
  active at end ([Jan 2, Feb 1)) A, D -> 2/3 = 0.6667, churn 0.3333. C, back in January after
  lapsing, is not in the base.
- deals: won D1, D3 (reopened after lost), D5, D6; lost D2 -> 0.8; cycle (40+41+10+10)/4 =
  25.25; won USD 1500.00 over 3 deals = 500; created in January D2 D4 D5 D6 -> velocity
  4 x 0.8 x 500 / 25.25 = 63.37; forecast D1 + D4 = 1700.00 -> 1500 / 1700 = 0.8824.
- activity: 3 calls / 31 days = 0.10; 2 emails sent; 1 meeting; 4 won / 3 active users = 1.33.
- tickets: 2 resolved; first response (2+4)/2 = 3.00 h; resolution (24+48)/2 = 36.00 h;
  CSAT (5+2)/2 = 3.50.
December 2025: A 100, B 200, D 10 -> 310.00, AOV 103.33; lifetime 350.00 / 4 = 87.50; only C
active at start and gone by the end -> retention 0, churn 1; nothing won; 1 call / 31 days;
T3 first answered after 24 h.
"""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from amity.core.db import Database
from tests.analytics.dataset import build
from tests.deals.deal_support import user_client
from tests.factories import assert_problem

API = "/api/v1/analytics/kpis"
JAN = {"from": "2026-01-01", "to": "2026-01-31", "tz": "America/New_York", "currency": "USD",
       "window_days": 30}

JANUARY = {
    "revenue": "135.00", "orders": "3", "customers": "3", "average_order_value": "45.00",
    "purchase_frequency": "1.0000", "historical_clv": "121.25",
    "customers_at_start": "3", "retention_rate": "0.6667", "churn_rate": "0.3333",
    "deals_won": "4", "win_rate": "0.8000", "sales_cycle_days": "25.25",
    "won_amount": "1500.00", "pipeline_velocity": "63.37", "forecast": "1700.00",
    "forecast_attainment": "0.8824",
    "calls_per_day": "0.10", "emails_sent": "2", "meetings": "1", "deals_won_per_rep": "1.33",
    "tickets_resolved": "2", "first_response_hours": "3.00", "resolution_hours": "36.00",
    "csat": "3.50",
}
DECEMBER = {
    "revenue": "310.00", "orders": "3", "customers": "3", "average_order_value": "103.33",
    "purchase_frequency": "1.0000", "historical_clv": "87.50",
    "customers_at_start": "1", "retention_rate": "0.0000", "churn_rate": "1.0000",
    "deals_won": "0", "win_rate": None, "sales_cycle_days": None,
    "won_amount": "0.00", "pipeline_velocity": None, "forecast": "0.00",
    "forecast_attainment": None,
    "calls_per_day": "0.03", "emails_sent": "0", "meetings": "0", "deals_won_per_rep": "0.00",
    "tickets_resolved": "0", "first_response_hours": "24.00", "resolution_hours": None,
    "csat": None,
}


def kpis(r: Any, field: str = "value") -> dict[str, Any]:
    assert r.status_code == 200, r.text
    return {k["key"]: k[field] for k in r.json()["kpis"]}


def test_january_in_new_york_against_hand_computed_values(client: TestClient,
                                                          database: Database) -> None:
    build(database)
    r = client.get(API, params=JAN)
    assert kpis(r) == JANUARY
    assert kpis(r, "previous") == DECEMBER
    body = r.json()
    assert (body["previous_start"], body["previous_end"]) == ("2025-12-01", "2025-12-31")
    by_key = {k["key"]: k for k in body["kpis"]}
    assert (by_key["revenue"]["change"], by_key["revenue"]["trend"]) == ("-175.00", "down")
    assert by_key["retention_rate"]["trend"] == "up"
    assert by_key["win_rate"]["trend"] is None  # nothing closed in December
    assert "30 days" in by_key["retention_rate"]["definition"]


def test_the_same_month_in_utc_moves_the_boundary_orders(client: TestClient,
                                                        database: Database) -> None:
    """In UTC, D's 02-01 03:00Z order leaves January and its 01-01 04:00Z order joins it."""
    build(database)
    values = kpis(client.get(API, params={**JAN, "tz": "UTC"}))
    assert (values["revenue"], values["orders"]) == ("120.00", "3")  # 50 + 60 + 10
    assert values["deals_won"] == "3"  # D6 (02-01 03:00Z) is won in February in UTC


def test_owner_filter_counts_that_owners_records(client: TestClient,
                                                 database: Database) -> None:
    world = build(database)
    values = kpis(client.get(API, params={**JAN, "owner": str(world.u1)}))
    assert (values["deals_won"], values["win_rate"]) == ("3", "0.7500")  # D5 is U2's
    assert values["sales_cycle_days"] == "30.33"  # (40 + 41 + 10) / 3
    assert values["deals_won_per_rep"] == "3.00"
    assert (values["tickets_resolved"], values["csat"]) == ("0", None)  # tickets are U2's
    assert values["revenue"] == "135.00"


def test_bad_input_is_a_problem(client: TestClient, database: Database) -> None:
    assert_problem(client.get(API, params={**JAN, "from": "2026-02-01"}), 422, "from")
    assert_problem(client.get(API, params={**JAN, "tz": "Mars/Olympus"}), 422, "tz")
    assert_problem(client.get(API, params={**JAN, "currency": "usd"}), 422)
    assert_problem(client.get(API, params={**JAN, "from": "2000-01-01"}), 422, "to")
    # the previous period and the day after must exist: far dates are refused, not a 500
    assert_problem(client.get(API, params={**JAN, "from": "9999-12-01", "to": "9999-12-31"}),
                   422, "from")
    assert_problem(client.get(API, params={**JAN, "from": "0001-01-01", "to": "0001-01-02"}),
                   422, "from")


def test_a_rep_sees_only_their_own_numbers(app: Any, client: TestClient,
                                           database: Database) -> None:
    world = build(database)
    rep, _ = user_client(app, database, "sales_rep", name="Rep")
    with rep:
        assert_problem(rep.get(API, params={**JAN, "owner": str(world.u1)}), 403)
        values = kpis(rep.get(API, params=JAN))
    assert (values["revenue"], values["deals_won"]) == ("0.00", "0")
