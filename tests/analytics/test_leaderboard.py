"""The leaderboard on dataset.py, January 2026 in New York, by hand, on both databases.

Una (U1): won D1, D3, D6 -> 3, USD 1000 + 300 + 200 = 1500.00; activities: calls Jan 5, Jan 20,
Feb 1 04:30Z (Jan 31 in New York), emails Jan 7, 8, 9, meeting Jan 10 -> 7 (the deleted call
and December's do not count). Dos (U2): won D5 (EUR: 0.00 in USD); resolved T1, T2; CSAT
(5 + 2) / 2 = 3.50 from 2 answers. The admin: nothing.
"""

from __future__ import annotations

import re
from typing import Any

from fastapi.testclient import TestClient

from amity.core.db import Database
from tests.analytics.dataset import build

JAN = {"from": "2026-01-01", "to": "2026-01-31", "tz": "America/New_York", "currency": "USD"}


def test_leaderboard_by_hand(client: TestClient, database: Database) -> None:
    build(database)
    r = client.get("/api/v1/analytics/leaderboard", params=JAN)
    assert r.status_code == 200, r.text
    rows: list[dict[str, Any]] = r.json()["rows"]
    got = [(x["name"], x["deals_won"], x["won_amount"], x["activities"], x["tickets_resolved"],
            x["csat"], x["csat_responses"]) for x in rows]
    assert got == [("Una", 3, "1500.00", 7, 0, None, 0), ("Dos", 1, "0.00", 0, 2, "3.50", 2),
                   ("Test User", 0, "0.00", 0, 0, None, 0)]


def test_leaderboard_page(signed_in: TestClient, database: Database) -> None:
    build(database)
    r = signed_in.get("/analytics/leaderboard", params={"from": "2026-01-01",
                                                         "to": "2026-01-31"})
    assert r.status_code == 200, r.text
    text = re.sub(r"\s+", " ", r.text)
    # the page uses the reader's time zone (UTC here): D6 and the Feb 1 call fall outside
    assert ('<th scope="row">Una</th><td>2</td><td>1,300.00</td><td>6</td><td>0</td>'
            '<td>\u2013</td>') in text
