"""GET /api/v1/forecast: hand-computed sums on both databases.

The example (default pipeline: Qualification 10% pipeline, Needs analysis 25% pipeline,
Proposal 50% best_case, Negotiation 80% commit, Won closed, Lost omitted):

| # | deal | stage | category | expected close / won at | counts in |
|---|---|---|---|---|---|
| 1 | EUR 0.10 | Qualification | pipeline | 2026-04-10 | Q2 EUR |
| 2 | EUR 0.20 | Needs analysis | pipeline | 2026-06-30 | Q2 EUR |
| 3 | EUR 1000.00 | Proposal | best_case | 2026-05-01 | Q2 EUR |
| 4 | EUR 2000.00 | Negotiation | commit | 2026-05-20 | Q2 EUR |
| 5 | EUR 300.00 | Qualification, 10% | commit (override) | 2026-04-02 | Q2 EUR |
| 6 | EUR 400.00 | Negotiation | omitted (override) | 2026-05-05 | nowhere |
| 7 | EUR 500.00 | Won | closed | won 2026-04-15 10:00 | Q2 EUR |
| 8 | EUR 700.00 | Lost | omitted | lost 2026-04-20 | nowhere |
| 9 | USD 1234.56 | Proposal | best_case | 2026-08-01 | Q3 USD |
| 10 | USD 99.99 | Won | closed | won 2026-06-30 23:30 UTC | Q2 USD |
| 11 | EUR 50.00 | Qualification | pipeline | none | unscheduled EUR |
| 12 | EUR 10.00 | Qualification (deleted) | pipeline | 2026-05-05 | nowhere |
| 13 | USD 0.05 | Qualification | pipeline | 2026-11-01 | Q4 USD |

Q2 EUR: open 1-5 (count 5), pipeline 0.10+0.20+1000+2000+300 = 3300.30; best_case 1000+2000+300
+ won 500 = 3800.00; commit 2000+300+500 = 2800.00; closed 500.00; weighted 0.10x10% + 0.20x25%
+ 1000x50% + 2000x80% + 300x10% = 0.01+0.05+500+1600+30 = 2130.06.
Q4 USD weighted: 0.05 x 10% = 0.005, half to even -> 0.00 (half up would give 0.01).
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from fastapi.testclient import TestClient

from amity.auth.models import User
from amity.core.db import Database
from tests.conftest import make_user
from tests.deals.forecast_support import Api, Clock, add_deal, at, clock, default_stages, money
from tests.factories import assert_problem

__all__ = ["clock"]

API = "/api/v1/forecast"
ALL = ("count", "won_count", "pipeline", "best_case", "commit", "closed", "weighted")


def example(client: TestClient, clock: Clock, owner: Any = None, other: Any = None) -> None:
    """The deals of the table above, made through the deals API on 2026-01-02 (the won and
    lost ones at the time they closed)."""
    api = Api(client, clock)
    jan = at("2026-01-02")
    mine = {"owner_id": str(owner)} if owner else {}
    theirs = {"owner_id": str(other or owner)} if other or owner else {}
    api.deal("Qualification", "0.10", when=jan, expected_close_date="2026-04-10", **mine)
    api.deal("Needs analysis", "0.20", when=jan, expected_close_date="2026-06-30", **mine)
    api.deal("Proposal", "1000.00", when=jan, expected_close_date="2026-05-01", **theirs)
    api.deal("Negotiation", "2000.00", when=jan, expected_close_date="2026-05-20", **mine)
    api.deal("Qualification", "300.00", when=jan, expected_close_date="2026-04-02",
             forecast_category="commit", **mine)
    api.deal("Negotiation", "400.00", when=jan, expected_close_date="2026-05-05",
             forecast_category="omitted", **mine)
    api.deal("Won", "500.00", when=at("2026-04-15", 10), **mine)
    api.deal("Lost", "700.00", when=at("2026-04-20"), **mine)
    api.deal("Proposal", "1234.56", "USD", when=jan, expected_close_date="2026-08-01", **mine)
    usd = api.deal("Negotiation", "99.99", "USD", when=jan, **mine)
    api.move(usd, "Won", at("2026-06-30", 23, 30))
    api.deal("Qualification", "50.00", when=jan, **mine)
    api.delete(api.deal("Qualification", "10.00", when=jan, expected_close_date="2026-05-05",
                        **mine))
    api.deal("Qualification", "0.05", "USD", when=jan, expected_close_date="2026-11-01", **mine)
    clock.now = at("2026-05-15", 12)


def rows_of(r: Any) -> dict[tuple[Any, ...], dict[str, Any]]:
    assert r.status_code == 200, r.text
    return {(x["period"], x["currency"]): {k: x[k] for k in ALL} for x in r.json()["rows"]}


def test_quarters_by_currency_hand_computed(client: TestClient, database: Database,
                                            clock: Clock) -> None:
    example(client, clock)
    r = client.get(API, params={"period": "quarter"})
    body = r.json()
    assert body["base_currency"] is None and body["totals"] == []
    got = rows_of(r)
    assert got == {
        ("2026-Q2", "EUR"): {"count": 5, "won_count": 1, "pipeline": "3300.30",
                             "best_case": "3800.00", "commit": "2800.00", "closed": "500.00",
                             "weighted": "2130.06"},
        ("2026-Q2", "USD"): {"count": 0, "won_count": 1, "pipeline": "0.00",
                             "best_case": "99.99", "commit": "99.99", "closed": "99.99",
                             "weighted": "0.00"},
        ("2026-Q3", "USD"): {"count": 1, "won_count": 0, "pipeline": "1234.56",
                             "best_case": "1234.56", "commit": "0.00", "closed": "0.00",
                             "weighted": "617.28"},
        ("2026-Q4", "USD"): {"count": 1, "won_count": 0, "pipeline": "0.05",
                             "best_case": "0.00", "commit": "0.00", "closed": "0.00",
                             "weighted": "0.00"},
        ("unscheduled", "EUR"): {"count": 1, "won_count": 0, "pipeline": "50.00",
                                 "best_case": "0.00", "commit": "0.00", "closed": "0.00",
                                 "weighted": "5.00"},
    }
    # chronological, unscheduled last; periods carry their first and last day
    assert [(x["period"], x["start"], x["end"]) for x in body["rows"]] == [
        ("2026-Q2", "2026-04-01", "2026-06-30"), ("2026-Q2", "2026-04-01", "2026-06-30"),
        ("2026-Q3", "2026-07-01", "2026-09-30"), ("2026-Q4", "2026-10-01", "2026-12-31"),
        ("unscheduled", None, None)]


def test_a_tenth_and_a_fifth_make_three_tenths(client: TestClient, database: Database) -> None:
    with database.transaction() as s:
        st = default_stages(s)
        add_deal(s, st["Qualification"], "0.10", close="2026-02-01")
        add_deal(s, st["Qualification"], "0.20", close="2026-02-02")
    got = rows_of(client.get(API, params={"period": "month"}))
    assert got[("2026-02", "EUR")]["pipeline"] == "0.30"
    assert got[("2026-02", "EUR")]["weighted"] == "0.03"  # 0.01 + 0.02


def test_months(client: TestClient, database: Database, clock: Clock) -> None:
    example(client, clock)
    got = money(client.get(API, params={"period": "month"}).json()["rows"],
                "count", "pipeline", "best_case", "commit", "closed", "weighted")
    assert got == {
        ("2026-04", "EUR"): {"count": 2, "pipeline": "300.10", "best_case": "800.00",
                             "commit": "800.00", "closed": "500.00", "weighted": "30.01"},
        ("2026-05", "EUR"): {"count": 2, "pipeline": "3000.00", "best_case": "3000.00",
                             "commit": "2000.00", "closed": "0.00", "weighted": "2100.00"},
        ("2026-06", "EUR"): {"count": 1, "pipeline": "0.20", "best_case": "0.00",
                             "commit": "0.00", "closed": "0.00", "weighted": "0.05"},
        ("2026-06", "USD"): {"count": 0, "pipeline": "0.00", "best_case": "99.99",
                             "commit": "99.99", "closed": "99.99", "weighted": "0.00"},
        ("2026-08", "USD"): {"count": 1, "pipeline": "1234.56", "best_case": "1234.56",
                             "commit": "0.00", "closed": "0.00", "weighted": "617.28"},
        ("2026-11", "USD"): {"count": 1, "pipeline": "0.05", "best_case": "0.00",
                             "commit": "0.00", "closed": "0.00", "weighted": "0.00"},
        ("unscheduled", "EUR"): {"count": 1, "pipeline": "50.00", "best_case": "0.00",
                                 "commit": "0.00", "closed": "0.00", "weighted": "5.00"},
    }


def test_from_to_limits_dated_deals_and_keeps_unscheduled(client: TestClient,
                                                          clock: Clock) -> None:
    example(client, clock)
    body = client.get(API, params={"from": "2026-04-01", "to": "2026-06-30"}).json()
    assert (body["start"], body["end"]) == ("2026-04-01", "2026-06-30")
    assert sorted({(x["period"], x["currency"]) for x in body["rows"]}) == [
        ("2026-Q2", "EUR"), ("2026-Q2", "USD"), ("unscheduled", "EUR")]
    # the last day is inclusive: USD 99.99 was won at 23:30 UTC on 30 June
    q2usd = next(x for x in body["rows"] if x["currency"] == "USD")
    assert q2usd["closed"] == "99.99"
    body = client.get(API, params={"from": "2026-07-01", "to": "2026-07-31"}).json()
    assert [(x["period"], x["currency"]) for x in body["rows"]] == [("unscheduled", "EUR")]


def test_group_by_owner_and_pipeline(client: TestClient, database: Database,
                                     admin_user: tuple[User, str], clock: Clock) -> None:
    other, _ = make_user(database, email="other-rep@example.com")
    example(client, clock, owner=admin_user[0].id, other=other.id)
    body = client.get(API, params={"group_by": "owner", "from": "2026-04-01",
                                   "to": "2026-06-30"}).json()
    got = {(x["period"], x["group"], x["currency"]): (x["group_label"], x["pipeline"],
                                                      x["best_case"], x["weighted"])
           for x in body["rows"]}
    me, them = str(admin_user[0].id), str(other.id)
    assert got == {
        ("2026-Q2", me, "EUR"): ("Test User", "2300.30", "2800.00", "1630.06"),
        ("2026-Q2", them, "EUR"): ("Test User", "1000.00", "1000.00", "500.00"),
        ("2026-Q2", me, "USD"): ("Test User", "0.00", "99.99", "0.00"),
        ("unscheduled", me, "EUR"): ("Test User", "50.00", "0.00", "5.00"),
    }
    body = client.get(API, params={"group_by": "pipeline", "period": "quarter"}).json()
    assert {x["group_label"] for x in body["rows"]} == {"New business"}
    assert client.get(API, params={"owner_id": them}).json()["rows"][0]["pipeline"] == \
        "1000.00"


def test_pipeline_filter(client: TestClient, database: Database, clock: Clock) -> None:
    example(client, clock)
    with database.transaction() as s:
        pipeline_id = default_stages(s)["Won"].pipeline_id
    everything = client.get(API, params={"pipeline_id": str(pipeline_id)}).json()["rows"]
    assert len(everything) == 5
    assert client.get(API, params={"pipeline_id": str(uuid.uuid4())}).json()["rows"] == []


def test_bad_parameters_are_422(client: TestClient) -> None:
    for params, field in (({"period": "year"}, "period"), ({"group_by": "stage"}, "group_by"),
                          ({"from": "2026-13-01"}, "from"), ({"to": "yesterday"}, "to"),
                          ({"pipeline_id": "nope"}, "pipeline_id"),
                          ({"owner_id": "1"}, "owner_id")):
        assert_problem(client.get(API, params=params), 422, field)
    body = assert_problem(client.get(API, params={"from": "2026-05-01", "to": "2026-04-30"}),
                          422, "from", "period.invalid")
    assert "after" in body["detail"]


def test_empty(client: TestClient) -> None:
    r = client.get(API)
    assert r.status_code == 200
    assert r.json()["rows"] == [] and r.json()["period"] == "quarter"


def test_query_count_does_not_grow_with_deals(client: TestClient, database: Database,
                                              queries: Any) -> None:
    with database.transaction() as s:
        st = default_stages(s)
        add_deal(s, st["Proposal"], "10.00", close="2026-02-01")
    client.get(API, params={"group_by": "owner"})
    queries.reset()
    client.get(API, params={"group_by": "owner"})
    few = queries.count
    with database.transaction() as s:
        st = default_stages(s)
        for i in range(30):
            add_deal(s, st["Proposal"], f"{i}.00", "USD" if i % 2 else "EUR",
                     close=date(2026, 1 + i % 12, 1).isoformat())
    queries.reset()
    r = client.get(API, params={"group_by": "owner", "period": "month"})
    assert len(r.json()["rows"]) > 12
    assert queries.count == few
