"""GET /api/v1/sales-stats on a small history at controlled times, on both databases.

Default pipeline; Q = Qualification, N = Needs analysis, P = Proposal. Times are 00:00 UTC.

| deal | owner | source | amount | history | closed | cycle (days) |
|---|---|---|---|---|---|---|
| A | U1 | web | EUR 1000.00 | Q 01-01, P 01-05, Won 01-11 | won 01-11 | 10 |
| B | U1 | web | USD 500.00 | Q 01-02, N 01-04, Won 01-22 | won 01-22 | 20 |
| C | U2 | referral | EUR 300.00 | Q 01-03, Lost 01-09 | lost 01-09 | |
| D | U2 | referral | EUR 200.00 | Q 01-01, P 01-03, Won 02-10 | won 02-10 | 40 |
| E | U1 | web | EUR 900.00 | Q 01-10, P 01-20 (still there) | open | |

All time: won 3, lost 1, win rate 0.75, cycle mean (10+20+40)/3 = 23.33, median 20.
January: A, B won, C lost: win rate 2/3 = 0.6667, mean 15, median (10+20)/2 = 15.
Stays in Qualification: A 4, B 2, C 6, D 2, E 10 days -> mean 24/5 = 4.8; 5 entered, A B D won
-> 0.6. Proposal: A 6, D 38 (E's stay has not ended) -> 22.0; 3 entered, 2 won -> 0.6667.
"""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from amity.core.db import Database
from tests.conftest import make_user
from tests.deals.forecast_support import Api, Clock, add_deal, at, clock, default_stages
from tests.factories import assert_problem

__all__ = ["clock"]

API = "/api/v1/sales-stats"


def history(client: TestClient, clock: Clock, database: Database) -> dict[str, Any]:
    """The table above, made and moved through the deals API at those times."""
    u1, _ = make_user(database, email="u1@example.com")
    u2, _ = make_user(database, email="u2@example.com")
    api = Api(client, clock)
    web1 = {"owner_id": str(u1.id), "source": "web"}
    ref2 = {"owner_id": str(u2.id), "source": "referral"}
    a = api.deal("Qualification", "1000.00", when=at("2026-01-01"), **web1)
    d = api.deal("Qualification", "200.00", when=at("2026-01-01"), **ref2)
    b = api.deal("Qualification", "500.00", "USD", when=at("2026-01-02"), **web1)
    c = api.deal("Qualification", "300.00", when=at("2026-01-03"), **ref2)
    api.move(d, "Proposal", at("2026-01-03"))
    api.move(b, "Needs analysis", at("2026-01-04"))
    api.move(a, "Proposal", at("2026-01-05"))
    api.move(c, "Lost", at("2026-01-09"))
    e = api.deal("Qualification", "900.00", when=at("2026-01-10"), **web1)
    api.move(a, "Won", at("2026-01-11"))
    api.move(e, "Proposal", at("2026-01-20"))
    api.move(b, "Won", at("2026-01-22"))
    api.move(d, "Won", at("2026-02-10"))
    clock.now = at("2026-03-01")
    ids = {"u1": str(u1.id), "u2": str(u2.id)}
    return ids | {name: api.stages[stage] for name, stage in (
        ("Q", "Qualification"), ("N", "Needs analysis"), ("P", "Proposal"))}


OUTCOME = ("won", "lost", "win_rate", "avg_cycle_days", "median_cycle_days", "won_amounts")


def outcomes(r: Any) -> dict[Any, tuple[Any, ...]]:
    assert r.status_code == 200, r.text
    return {o["group"]: tuple(o[k] for k in OUTCOME) for o in r.json()["outcomes"]}


def stages(r: Any) -> dict[str, tuple[Any, ...]]:
    return {s["stage"]: (s["entered"], s["avg_days_in_stage"], s["won_share"])
            for s in r.json()["stages"]}


def test_all_time(client: TestClient, database: Database, clock: Clock) -> None:
    history(client, clock, database)
    r = client.get(API)
    assert outcomes(r) == {None: (3, 1, 0.75, 23.33, 20.0, {"EUR": "1200.00", "USD": "500.00"})}
    assert stages(r) == {"Qualification": (5, 4.8, 0.6), "Needs analysis": (1, 18.0, 1.0),
                         "Proposal": (3, 22.0, 0.6667), "Won": (3, None, 1.0),
                         "Lost": (1, None, 0.0)}
    assert [s["position"] for s in r.json()["stages"]] == [0, 1, 2, 4, 5]


def test_january(client: TestClient, database: Database, clock: Clock) -> None:
    history(client, clock, database)
    r = client.get(API, params={"from": "2026-01-01", "to": "2026-01-31"})
    assert outcomes(r) == {None: (2, 1, 0.6667, 15.0, 15.0, {"EUR": "1000.00", "USD": "500.00"})}
    # D entered Proposal on 3 January and left on 10 February: its whole stay counts
    assert stages(r) == {"Qualification": (5, 4.8, 0.6), "Needs analysis": (1, 18.0, 1.0),
                         "Proposal": (3, 22.0, 0.6667), "Won": (2, None, 1.0),
                         "Lost": (1, None, 0.0)}


def test_february_and_an_empty_period(client: TestClient, database: Database,
                                       clock: Clock) -> None:
    history(client, clock, database)
    r = client.get(API, params={"from": "2026-02-01", "to": "2026-02-28"})
    assert outcomes(r) == {None: (1, 0, 1.0, 40.0, 40.0, {"EUR": "200.00"})}
    assert stages(r) == {"Won": (1, None, 1.0)}
    r = client.get(API, params={"from": "2026-03-01"})
    assert r.json()["outcomes"] == [] and r.json()["stages"] == []


def test_by_owner_source_pipeline_and_closing_stage(client: TestClient, database: Database,
                                                     clock: Clock) -> None:
    ids = history(client, clock, database)
    by_owner = outcomes(client.get(API, params={"group_by": "owner"}))
    assert by_owner == {
        ids["u1"]: (2, 0, 1.0, 15.0, 15.0, {"EUR": "1000.00", "USD": "500.00"}),
        ids["u2"]: (1, 1, 0.5, 40.0, 40.0, {"EUR": "200.00"})}
    assert outcomes(client.get(API, params={"group_by": "source"})) == {
        "web": (2, 0, 1.0, 15.0, 15.0, {"EUR": "1000.00", "USD": "500.00"}),
        "referral": (1, 1, 0.5, 40.0, 40.0, {"EUR": "200.00"})}
    r = client.get(API, params={"group_by": "pipeline"})
    assert [o["group_label"] for o in r.json()["outcomes"]] == ["New business"]
    # the stage each deal was closed from: A and D from Proposal, B from Needs analysis,
    # C (lost) from Qualification
    r = client.get(API, params={"group_by": "stage"})
    assert outcomes(r) == {
        ids["P"]: (2, 0, 1.0, 25.0, 25.0, {"EUR": "1200.00"}),
        ids["N"]: (1, 0, 1.0, 20.0, 20.0, {"USD": "500.00"}),
        ids["Q"]: (0, 1, 0.0, None, None, {})}
    assert {o["group_label"] for o in r.json()["outcomes"]} == {
        "Proposal", "Needs analysis", "Qualification"}


def test_median_of_an_odd_and_an_even_count(client: TestClient, database: Database) -> None:
    """Cycles 1, 2, 4, 9 days: median 3 (mean of the middle two); adding 30: median 4."""
    with database.transaction() as s:
        won = default_stages(s)["Won"]
        for days in (9, 1, 4, 2):
            add_deal(s, won, "1.00", created_at=at("2026-03-01"),
                     closed_at=at(f"2026-03-{1 + days:02d}"))
    assert outcomes(client.get(API))[None][3:5] == (4.0, 3.0)
    with database.transaction() as s:
        add_deal(s, default_stages(s)["Won"], "1.00", created_at=at("2026-03-01"),
                 closed_at=at("2026-03-31"))
    assert outcomes(client.get(API))[None][3:5] == (9.2, 4.0)


def test_deleted_deals_do_not_count(client: TestClient, database: Database) -> None:
    with database.transaction() as s:
        st = default_stages(s)
        add_deal(s, st["Won"], "5.00", created_at=at("2026-03-01"), closed_at=at("2026-03-02"))
        add_deal(s, st["Lost"], "5.00", created_at=at("2026-03-01"), deleted=True)
    assert outcomes(client.get(API))[None][:3] == (1, 0, 1.0)
    assert stages(client.get(API)) == {"Won": (1, None, 1.0)}


def test_bad_parameters_are_422(client: TestClient) -> None:
    for params, field in (({"group_by": "currency"}, "group_by"), ({"from": "soon"}, "from"),
                          ({"to": "2026-02-30"}, "to")):
        assert_problem(client.get(API, params=params), 422, field)
    assert_problem(client.get(API, params={"from": "2026-02-01", "to": "2026-01-31"}), 422,
                   "from", "period.invalid")


def test_query_count_does_not_grow_with_deals(client: TestClient, database: Database,
                                              queries: Any, admin_user: Any) -> None:
    """Three aggregates and, when grouped by owner or stage, one query for the names."""
    def deals(n: int) -> None:
        with database.transaction() as s:
            st = default_stages(s)
            for i in range(n):
                add_deal(s, st["Won" if i % 3 else "Lost"], f"{i}.00", "USD" if i % 2 else "EUR",
                         created_at=at("2026-03-01"), closed_at=at(f"2026-03-{2 + i % 27:02d}"),
                         source=f"source {i % 5}", owner_id=admin_user[0].id)

    deals(2)
    client.get(API, params={"group_by": "owner"})
    counts = {}
    for group_by in ("owner", "source", "stage"):
        queries.reset()
        assert client.get(API, params={"group_by": group_by}).status_code == 200
        counts[group_by] = queries.count
    assert counts["owner"] == counts["source"] + 1
    deals(40)
    for group_by in ("owner", "source", "stage"):
        queries.reset()
        r = client.get(API, params={"group_by": group_by})
        assert queries.count == counts[group_by], group_by
    assert len(r.json()["outcomes"]) >= 1
