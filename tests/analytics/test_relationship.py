"""Relationship value on dataset.py plus referrals, a survey answer and mentions, by hand.

A refers B and D. From 2025-02-01 to 2026-01-31 in New York, in USD:
  own: A 100 + 50 = 150.00; referral: B 200, D 10 + 25 (Feb 1 03:00Z is Jan 31) = 235.00;
  one survey answered (25), one inbound social mention (50); an outbound social message and a
  mention in February do not count -> 150 + 235 + 25 + 50 = 460.00.
B, who spent more (200) but referred no one and said nothing: 200.00.
"""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from sqlalchemy import update

from amity.activities.models import Interaction, InteractionParticipant
from amity.contacts.models import Contact
from amity.core.db import Database
from amity.tickets.models import Ticket, TicketSurvey
from tests.analytics.dataset import World, build, t

PARAMS = {"from": "2025-02-01", "to": "2026-01-31", "tz": "America/New_York",
          "currency": "USD"}


def advocate(database: Database) -> World:
    world = build(database)
    a = world.contacts["A"]
    with database.transaction() as s:
        s.execute(update(Contact).where(Contact.id.in_([world.contacts["B"],
                                                         world.contacts["D"]]))
                  .values(referred_by_id=a))
        ticket = Ticket(number=99, subject="Help", contact_id=a)
        s.add(ticket)
        s.flush()
        s.add(TicketSurvey(ticket_id=ticket.id, contact_id=a, expires_at=t("2026-02-01 00:00"),
                           answered_at=t("2026-01-12 10:00"), score=5))
        for direction, kind, when in [("inbound", "mention", "2026-01-03 10:00"),
                                      ("outbound", "message", "2026-01-04 10:00"),
                                      ("inbound", "mention", "2026-02-02 10:00")]:
            at = t(when)
            s.add(Interaction(channel="social", direction=direction, social_type=kind,
                              occurred_at=at, participants=[InteractionParticipant(
                                  contact_id=a, role="from", occurred_at=at,
                                  channel="social", direction=direction)]))
    return world


def test_relationship_value_by_hand(client: TestClient, database: Database) -> None:
    world = advocate(database)
    url = "/api/v1/analytics/contacts/{}/relationship-value"
    r = client.get(url.format(world.contacts["A"]), params=PARAMS)
    assert r.status_code == 200, r.text
    v = r.json()
    assert (v["own_revenue"], v["referred_customers"], v["referral_revenue"],
            v["surveys_answered"], v["mentions"], v["score"]) == (
        "150.00", 2, "235.00", 1, 1, "460.00")
    b = client.get(url.format(world.contacts["B"]), params=PARAMS).json()
    assert (b["own_revenue"], b["score"]) == ("200.00", "200.00")
    weighted = client.get(url.format(world.contacts["A"]),
                          params={**PARAMS, "feedback_value": "0", "advocacy_value": "100"})
    assert weighted.json()["score"] == "485.00"
    assert client.get(url.format(world.contacts["A"]),
                      params={**PARAMS, "advocacy_value": "-1"}).status_code == 422


def test_contact_page_panel(signed_in: TestClient, database: Database) -> None:
    world = advocate(database)
    a = world.contacts["A"]
    assert f'hx-get="/contacts/{a}/relationship-panel"' in signed_in.get(f"/contacts/{a}").text
    panel = re.sub(r"\s+", " ", signed_in.get(f"/contacts/{a}/relationship-panel").text)
    # the panel covers the 365 days to today (money depends on the date it runs: checked by
    # the API test with fixed dates); referrals are counted over all time
    assert "Relationship value" in panel and "Customers referred (2)" in panel
    assert signed_in.get(f"/contacts/{world.u1}/relationship-panel").status_code == 404
