"""Next best actions in each user's agenda: their own live customers only, the most urgent
first (at risk by risk, then probably lost, top quarter by value, promoters), on the /agenda
page and in GET /api/v1/agenda, in a fixed number of statements."""

from __future__ import annotations

import re
import uuid
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import event

from amity.contacts.models import Contact
from amity.core.clock import now
from amity.core.db import Database
from amity.intelligence import queries
from amity.intelligence.models import CustomerPrediction
from amity.tickets.models import ContactSatisfaction
from tests.conftest import make_user
from tests.web.conftest import sign_in

ORDER = ["Riskier", "Risky", "Lost", "Top", "Fan"]


def _customers(database: Database) -> tuple[Any, str]:
    me, token = make_user(database, admin=True, email="owner@example.com")
    other, _ = make_user(database, admin=True, email="other@example.com")

    def customer(s: Any, name: str, owner: Any, *, deleted: bool = False,
                 **values: Any) -> uuid.UUID:
        c = Contact(first_name=name, last_name="Customer", owner_id=owner.id,
                    deleted_at=now() if deleted else None)
        s.add(c)
        s.flush()
        s.add(CustomerPrediction(contact_id=c.id, **{"at_risk": False, "churn_reasons": [],
                                                    "p_alive": 0.9, "clv": 10.0, **values}))
        return c.id

    with database.transaction() as s:
        customer(s, "Risky", me, at_risk=True, churn_risk=0.7,
                 churn_reasons=["a long time since the last purchase"])
        customer(s, "Riskier", me, at_risk=True, churn_risk=0.9)
        customer(s, "Lost", me, p_alive=0.1, clv=1.0)
        customer(s, "Top", me, clv=900.0)
        fan = customer(s, "Fan", me, clv=5.0)
        s.add(ContactSatisfaction(contact_id=fan, responses=2, score_total=10))
        for i in range(6):  # the rest of the business, so that "top quarter" means something
            customer(s, f"Plain{i}", me, clv=2.0 + i)
        customer(s, "Someone", other, at_risk=True, churn_risk=0.99)  # not mine
        customer(s, "Gone", me, deleted=True, at_risk=True, churn_risk=0.95)  # deleted
    return me, token


def test_agenda_page_lists_my_customers_most_urgent_first(app: Any,
                                                          database: Database) -> None:
    _customers(database)
    with TestClient(app, follow_redirects=False) as web:
        assert sign_in(web, "owner@example.com").status_code == 303
        r = web.get("/agenda")
    assert r.status_code == 200
    section = re.search(r'<section[^>]*id="next-actions".*?</section>', r.text, re.S)
    assert section, "no next-best-actions section on the agenda"
    html = section.group(0)
    names = re.findall(r'<a href="/contacts/[0-9a-f-]+">(\w+) Customer</a>', html)
    assert names == ORDER
    assert "Call them: churn risk 90%" in html
    assert "Call them: churn risk 70% (a long time since the last purchase)" in html
    assert "Send a win-back offer: only 10% likely to still be a customer" in html
    assert "Send the upgrade offer: in the top quarter by expected value" in html
    assert "Ask for a referral: average satisfaction 5.0 of 5" in html
    assert "Someone" not in html and "Gone" not in html


def test_agenda_api_carries_the_same_actions(app: Any, database: Database) -> None:
    _, token = _customers(database)
    with TestClient(app) as api:
        r = api.get("/api/v1/agenda", headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 200, r.text
    items = r.json()["next_best_actions"]
    assert [i["name"] for i in items] == [f"{n} Customer" for n in ORDER]
    assert items[0]["churn_risk"] == 0.9 and items[0]["actions"] == [
        "Call them: churn risk 90%"]
    assert items[3]["clv"] == 900.0


def test_nothing_to_suggest_says_so(app: Any, database: Database) -> None:
    make_user(database, admin=True, email="new@example.com")
    with TestClient(app, follow_redirects=False) as web:
        assert sign_in(web, "new@example.com").status_code == 303
        html = web.get("/agenda").text
    assert "Nothing suggested for your customers" in html


def test_limited_and_a_fixed_number_of_statements(database: Database) -> None:
    me, _ = _customers(database)
    statements: list[str] = []

    def count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if statement.strip().split(None, 1)[0].upper() == "SELECT":
            statements.append(statement)

    event.listen(database.engine, "before_cursor_execute", count)
    try:
        with database.transaction(write=False) as s:
            two = queries.agenda_actions(s, me.id, limit=2)
            first = len(statements)
            every = queries.agenda_actions(s, me.id, limit=50)
    finally:
        event.remove(database.engine, "before_cursor_execute", count)
    assert [a.name for a in two] == ["Riskier Customer", "Risky Customer"]
    assert [a.name for a in every][:5] == [f"{n} Customer" for n in ORDER]
    assert first == 3 and len(statements) == 6  # whatever the number of customers
