"""Stored report results (reports.stored), on both databases: a report runs live until someone
keeps a result; then it answers from it with its "as of" (stale after a change, exact again
after a refresh or the job), per reader scope (a rep never reads the administrator's numbers),
with exact decimals; the job drops results whose reader may no longer see the report."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from amity.auth.models import User
from amity.commerce.models import Order
from amity.core.db import Database
from amity.jobs.reports import REFRESH_RESULTS
from amity.jobs.schedule import SCHEDULES
from amity.reports import service, stored
from amity.reports.models import SavedReport, StoredResult
from tests.analytics.dataset import build, t
from tests.deals.deal_support import user_client

DEFINITION = {"entity": "orders", "dimensions": [{"field": "status"}],
              "measures": [{"op": "count"}, {"op": "sum", "field": "total"}],
              "filters": [{"field": "currency", "op": "eq", "value": "USD"}]}
UTC = {"tz": "UTC"}


def save(client: TestClient, visibility: str = "everyone") -> str:
    r = client.post("/api/v1/reports", json={"name": "Orders by status", "visibility": visibility,
                                             "definition": DEFINITION})
    assert r.status_code == 201, r.text
    return str(r.json()["id"])


def rows(out: dict[str, Any]) -> dict[str, list[Any]]:
    return {r[0]: r[1:] for r in out["rows"]}


def add_order(database: Database, owner: Any = None) -> None:
    with database.transaction() as s:
        s.add(Order(ordered_at=t("2026-01-25 12:00"), total=Decimal("0.01"),
                    subtotal=Decimal("0.01"), currency="USD", status="paid", owner_id=owner))


def test_kept_result_answers_until_refreshed(client: TestClient, database: Database) -> None:
    build(database)
    rid = save(client)
    live = client.get(f"/api/v1/reports/{rid}/run", params=UTC).json()
    assert live["as_of"] is None
    # A 100 + C 40 + C 60 + D 10 + D 25 paid; A 50 fulfilled; B 200 placed; E 999 cancelled
    assert rows(live) == {"cancelled": [1, "999.00"], "fulfilled": [1, "50.00"],
                          "paid": [5, "235.00"], "placed": [1, "200.00"]}
    kept = client.post(f"/api/v1/reports/{rid}/refresh", params=UTC)
    assert kept.status_code == 200, kept.text
    assert kept.json()["as_of"] is not None and rows(kept.json()) == rows(live)
    add_order(database)
    again = client.get(f"/api/v1/reports/{rid}/run", params=UTC).json()
    assert again["as_of"] == kept.json()["as_of"] and rows(again) == rows(live)  # as of then
    now = client.get(f"/api/v1/reports/{rid}/run", params={**UTC, "fresh": "true"}).json()
    assert now["as_of"] is None and rows(now)["paid"] == [6, "235.01"]
    with database.transaction() as s:
        assert stored.refresh_all(s) == (1, 0)
    after = client.get(f"/api/v1/reports/{rid}/run", params=UTC).json()
    assert rows(after) == rows(now) and after["as_of"] > kept.json()["as_of"]
    # another time zone is another statement: computed live, not the UTC result
    assert client.get(f"/api/v1/reports/{rid}/run",
                      params={"tz": "America/New_York"}).json()["as_of"] is None
    with database.transaction(write=False) as s:  # decimals come back exact, as Decimals
        report = s.get(SavedReport, uuid.UUID(rid))
        user = s.get(User, s.scalar(select(StoredResult.user_id)))
        assert report is not None and user is not None
        result = service.run_report(s, user, report, "UTC")
        assert result.as_of is not None
        assert {r[0]: r[2] for r in result.rows}["paid"] == Decimal("235.01")
    assert REFRESH_RESULTS in {x.kind for x in SCHEDULES}


def test_each_reader_scope_has_its_own_result(app: Any, client: TestClient,
                                              database: Database) -> None:
    build(database)
    rid = save(client)
    client.post(f"/api/v1/reports/{rid}/refresh", params=UTC)
    rep, rep_id = user_client(app, database, "sales_rep", name="Rep")
    with rep:
        add_order(database, owner=rep_id)
        mine = rep.get(f"/api/v1/reports/{rid}/run", params=UTC).json()
        assert mine["as_of"] is None  # the administrator's stored numbers are not the rep's
        assert rows(mine) == {"paid": [1, "0.01"]}  # only the order the rep owns
        assert rep.post(f"/api/v1/reports/{rid}/refresh", params=UTC).status_code == 200
        assert rows(rep.get(f"/api/v1/reports/{rid}/run", params=UTC).json()) == rows(mine)
    with database.transaction() as s:
        assert s.scalar(select(func.count()).select_from(StoredResult)) == 2
    # the owner makes the report private: the rep may no longer see it, the job drops theirs
    assert client.patch(f"/api/v1/reports/{rid}", json={"visibility": "private"}).status_code \
        == 200
    with database.transaction() as s:
        assert stored.refresh_all(s) == (1, 1)
        assert s.scalar(select(StoredResult.user_id)) != rep_id


def test_the_page_says_as_of_and_refreshes(signed_in: TestClient, database: Database) -> None:
    build(database)
    page = signed_in.get("/reports/new")
    assert page.status_code == 200
    with database.transaction() as s:
        user = s.scalar(select(User).where(User.is_admin.is_(True)))
        assert user is not None
        report = SavedReport(owner_id=user.id, name="Kept", visibility="private",
                             definition=DEFINITION, chart="table", digest="none")
        s.add(report)
        s.flush()
        rid = report.id
    html = signed_in.get(f"/reports/{rid}").text
    assert "Computed now." in html and "Keep a stored result" in html
    token = html.split('name="csrf_token" value="')[1].split('"')[0]
    r = signed_in.post(f"/reports/{rid}/refresh", data={"csrf_token": token},
                       follow_redirects=False)
    assert r.status_code == 303, r.text
    html = signed_in.get(f"/reports/{rid}").text
    assert "Stored result, exact as of" in html and "Refresh now" in html
