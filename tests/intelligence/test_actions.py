"""Next best actions from the stored predictions: call the at-risk, win back the probably
lost, offer more to the top quarter by expected value, ask the satisfied for a referral."""

from __future__ import annotations

import uuid
from typing import Any

from amity.core.db import Database
from amity.intelligence.models import CustomerPrediction
from amity.tickets.models import ContactSatisfaction
from tests.factories import make_contact


def _prediction(database: Database, contact: dict[str, Any], **values: Any) -> None:
    with database.transaction() as s:
        s.add(CustomerPrediction(contact_id=uuid.UUID(contact["id"]), **{
            "at_risk": False, "churn_reasons": [], "p_alive": 0.9, **values}))


def _actions(client: Any, contact: dict[str, Any]) -> list[str]:
    r = client.get(f"/api/v1/contacts/{contact['id']}/predictions")
    assert r.status_code == 200, r.text
    return list(r.json()["next_best_actions"])


def test_each_rule(client: Any, database: Database) -> None:
    risky, lost, top, fan, plain = (make_contact(client, first_name=n) for n in
                                    ("Risky", "Lost", "Top", "Fan", "Plain"))
    _prediction(database, risky, churn_risk=0.8, at_risk=True, clv=50.0,
                churn_reasons=["a long time since the last purchase", "engagement falling"])
    _prediction(database, lost, p_alive=0.1, clv=1.0)
    _prediction(database, top, clv=900.0)
    _prediction(database, fan, clv=40.0)
    _prediction(database, plain, clv=30.0)
    with database.transaction() as s:
        s.add(ContactSatisfaction(contact_id=uuid.UUID(fan["id"]), responses=2, score_total=10))
        s.add(ContactSatisfaction(contact_id=uuid.UUID(plain["id"]), responses=2,
                                  score_total=6))
    assert _actions(client, risky) == [
        "Call them: churn risk 80% (a long time since the last purchase; engagement falling)"]
    assert _actions(client, lost) == [
        "Send a win-back offer: only 10% likely to still be a customer"]
    assert _actions(client, top) == [
        "Send the upgrade offer: in the top quarter by expected value"]
    assert _actions(client, fan) == ["Ask for a referral: average satisfaction 5.0 of 5"]
    assert _actions(client, plain) == []
    page = client.get(f"/api/v1/contacts/{make_contact(client)['id']}/predictions").json()
    assert page["computed"] is False and page["next_best_actions"] == []
