"""Attribution on dataset.py with sources, by hand, on both databases.

First orders from Nov 1 to Jan 31 (New York): C Nov 10, A Dec 10, B Dec 15, D Dec 31 (01-01
04:00Z). Value = USD revenue in the 60 days from the first order: A 100 + 50 = 150, B 200, C 40
(its Jan 15 order is day 66), D 10 + 25 = 35 -> 425.00 over 4 customers.
Touches before the first order: A web (contact, Oct 1), event (deal D1, Dec 1); B referral
(contact); C none (its deal D2 comes later); D web (contact; deal D6 comes later).
  web: first A + D = 185, last D = 35, linear 150/2 + 35 = 110, first for 2 customers
  event: first 0, last 150, linear 75; referral: 200 each way; (none): 40 each way.
By campaign (D1 "winter"): winter 150 each way; (none) 200 + 40 + 35 = 275 for 3.
"""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import update

from amity.contacts.models import Contact
from amity.core.db import Database
from amity.deals.models import Deal
from tests.analytics.dataset import build, t

PARAMS = {"from": "2025-11-01", "to": "2026-01-31", "tz": "America/New_York",
          "currency": "USD", "value_days": 60}


def touches(database: Database) -> None:
    world = build(database)
    c, d = world.contacts, world.deals
    with database.transaction() as s:
        for name, source, created in [("A", "web", "2025-10-01 12:00"),
                                      ("B", "referral", "2025-12-01 12:00"),
                                      ("C", None, "2025-09-01 12:00"),
                                      ("D", "web", "2025-12-20 12:00")]:
            s.execute(update(Contact).where(Contact.id == c[name])
                      .values(source=source, created_at=t(created)))
        for deal, contact, source, campaign in [("D1", "A", "event", "winter"),
                                                ("D2", "C", "event", None),
                                                ("D6", "D", "ads", "spring")]:
            s.execute(update(Deal).where(Deal.id == d[deal])
                      .values(contact_id=c[contact], source=source, campaign=campaign))


def rows(r: Any) -> list[tuple[Any, ...]]:
    assert r.status_code == 200, r.text
    return [(x["key"], x["customers_first"], x["first_touch"], x["last_touch"], x["linear"])
            for x in r.json()["rows"]]


def test_attribution_by_source_and_campaign(client: TestClient, database: Database) -> None:
    touches(database)
    r = client.get("/api/v1/analytics/attribution", params=PARAMS)
    assert (r.json()["customers"], r.json()["value"]) == (4, "425.00")
    assert rows(r) == [("referral", 1, "200.00", "200.00", "200.00"),
                       ("web", 2, "185.00", "35.00", "110.00"),
                       (None, 1, "40.00", "40.00", "40.00"),
                       ("event", 0, "0.00", "150.00", "75.00")]
    r = client.get("/api/v1/analytics/attribution", params={**PARAMS, "by": "campaign"})
    assert rows(r) == [(None, 3, "275.00", "275.00", "275.00"),
                       ("winter", 1, "150.00", "150.00", "150.00")]
    assert client.get("/api/v1/analytics/attribution",
                      params={**PARAMS, "by": "medium"}).status_code == 422
