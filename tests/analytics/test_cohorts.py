"""Cohort retention and repeat purchases on dataset.py, by hand, on both databases.

New York months November 2025 to January 2026. First counted USD orders: C Nov 10 -> November;
A Dec 10, B Dec 15, D Jan 1 04:00Z (Dec 31 in New York) -> December. Months with an order:
A Dec, Jan; B Dec; C Nov, Jan; D Dec, Jan (Feb 1 03:00Z is Jan 31).
  November: 1 customer, retained [1, 0, 1] -> C lapses in December and returns in January.
  December: 3 customers, retained [3, 2] (A and D in January).
In UTC, D's first order is on Jan 1 and its second in February: December [A, B] -> [2, 1],
January [D] -> [1].

Repeat purchases, first purchase of the category from Nov 1 to Jan 31 (New York):
  Tea: A (Dec 10), C (Nov 10); both bought again later, only A Tea again -> 2, 2, 1.
  Cups: B (Dec 15), C (Jan 15), D (Dec 31); only D again (Cups, Feb 1 03:00Z) -> 3, 1, 1.
"""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from amity.core.db import Database
from tests.analytics.dataset import build
from tests.factories import assert_problem

PARAMS = {"from": "2025-11-01", "to": "2026-01-31", "tz": "America/New_York",
          "currency": "USD"}


def table(r: Any) -> dict[str, tuple[int, list[int], list[str | None]]]:
    assert r.status_code == 200, r.text
    return {row["cohort"]: (row["customers"], row["retained"], row["rates"])
            for row in r.json()["rows"]}


def test_cohorts_by_first_purchase_month_in_new_york(client: TestClient,
                                                     database: Database) -> None:
    build(database)
    assert table(client.get("/api/v1/analytics/cohorts", params=PARAMS)) == {
        "2025-11-01": (1, [1, 0, 1], ["1.0000", "0.0000", "1.0000"]),
        "2025-12-01": (3, [3, 2], ["1.0000", "0.6667"]),
    }
    assert table(client.get("/api/v1/analytics/cohorts", params={**PARAMS, "tz": "UTC"})) == {
        "2025-11-01": (1, [1, 0, 1], ["1.0000", "0.0000", "1.0000"]),
        "2025-12-01": (2, [2, 1], ["1.0000", "0.5000"]),
        "2026-01-01": (1, [1], ["1.0000"]),
    }


def test_repeat_purchases_per_category(client: TestClient, database: Database) -> None:
    build(database)
    r = client.get("/api/v1/analytics/repeat-purchases", params=PARAMS)
    assert r.status_code == 200, r.text
    got = {row["category"]: (row["customers"], row["repeaters"], row["same_category"],
                             row["repeat_rate"], row["same_category_rate"]) for row in r.json()}
    assert got == {"Tea": (2, 2, 1, "1.0000", "0.5000"),
                   "Cups": (3, 1, 1, "0.3333", "0.3333")}


def test_bad_months_are_refused(client: TestClient) -> None:
    assert_problem(client.get("/api/v1/analytics/cohorts",
                              params={**PARAMS, "from": "2026-02-01"}), 422, "from")
