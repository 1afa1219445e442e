"""Forecast and sales statistics count only the deals the reader may see.

Deals (EUR, Proposal 50%, closing 2026-02-10; and one won on 2026-02-11): 100.00 owned by the
sales rep, 20.00 by a teammate, 3.00 unowned, 4000.00 by a rep of another team. A sales rep
(deals.view = team) sees 100 + 20 + 3 = 123.00; an admin or a read-only user all 4123.00.
"""

from __future__ import annotations

from typing import Any

import pytest

from amity.core.db import Database
from tests.auth.world import World, build_world
from tests.deals.forecast_support import add_deal, at, default_stages


def deals(database: Database, world: World) -> None:
    with database.transaction() as s:
        st = default_stages(s)
        for owner, amount in ((world.ids["sales_rep"], "100.00"), (world.ids["mate"], "20.00"),
                              (None, "3.00"), (world.ids["outsider"], "4000.00")):
            add_deal(s, st["Proposal"], amount, owner_id=owner, close="2026-02-10")
            add_deal(s, st["Won"], amount, owner_id=owner, created_at=at("2026-02-01"),
                     closed_at=at("2026-02-11"))


def as_role(anon: Any, world: World, role: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {world.tokens[role]}"}


@pytest.mark.parametrize(("role", "pipeline"), [("sales_rep", "123.00"), ("manager", "123.00"),
                                                ("admin", "4123.00"),
                                                ("read_only", "4123.00")])
def test_forecast_sums_only_visible_deals(role: str, pipeline: str, anon: Any,
                                          database: Database) -> None:
    world = build_world(database)
    deals(database, world)
    r = anon.get("/api/v1/forecast", headers=as_role(anon, world, role))
    assert r.status_code == 200, r.text
    [row] = r.json()["rows"]
    everything = pipeline == "4123.00"
    assert (row["pipeline"], row["closed"], row["count"]) == (pipeline, pipeline,
                                                              4 if everything else 3)
    by_owner = anon.get("/api/v1/forecast", params={"group_by": "owner"},
                        headers=as_role(anon, world, role)).json()["rows"]
    seen = {row["group"] for row in by_owner}
    assert (str(world.ids["outsider"]) in seen) == everything
    # filtering on another team's owner finds nothing rather than leaking their sums
    other = anon.get("/api/v1/forecast", params={"owner_id": str(world.ids["outsider"])},
                     headers=as_role(anon, world, role)).json()["rows"]
    assert bool(other) == everything


def test_forecast_needs_deals_view(anon: Any, database: Database) -> None:
    world = build_world(database)
    deals(database, world)
    r = anon.get("/api/v1/forecast", headers=as_role(anon, world, "support_agent"))
    assert r.status_code == 403


@pytest.mark.parametrize(("role", "won"), [("sales_rep", 3), ("manager", 3), ("admin", 4),
                                           ("read_only", 4), ("support_agent", 0)])
def test_sales_stats_count_only_visible_deals(role: str, won: int, anon: Any,
                                              database: Database) -> None:
    """A support agent holds reports.view but sees no deals: empty statistics."""
    world = build_world(database)
    deals(database, world)
    r = anon.get("/api/v1/sales-stats", headers=as_role(anon, world, role))
    assert r.status_code == 200, r.text
    body = r.json()
    assert sum(o["won"] for o in body["outcomes"]) == won
    entered = {s["stage"]: s["entered"] for s in body["stages"]}
    assert entered.get("Proposal", 0) == won and entered.get("Won", 0) == won
    if won == 3:
        assert body["outcomes"][0]["won_amounts"] == {"EUR": "123.00"}
