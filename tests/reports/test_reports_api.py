"""Report builder through the API, on both databases, over the analytics test history
(tests/analytics/dataset.py; every expected number below is worked out from its table).

Time zone America/New_York: D's order at 2026-01-01 04:00Z is on Dec 31 there and its order at
2026-02-01 03:00Z on Jan 31, so month buckets differ from UTC's."""

from __future__ import annotations

import csv
import io
from decimal import Decimal
from typing import Any

from openpyxl import load_workbook

from amity.auth import service as auth
from amity.core.db import Database
from tests.analytics.dataset import build
from tests.conftest import make_user
from tests.factories import assert_problem

NY = "America/New_York"


def run(client: Any, definition: dict[str, Any], tz: str = NY) -> dict[str, Any]:
    r = client.post("/api/v1/reports/run", params={"tz": tz}, json=definition)
    assert r.status_code == 200, r.text
    return dict(r.json())


def usd_orders_by_month() -> dict[str, Any]:
    return {"entity": "orders", "dimensions": [{"field": "ordered_at", "bucket": "month"}],
            "measures": [{"op": "count"}, {"op": "sum", "field": "total"},
                         {"op": "min", "field": "total"}, {"op": "max", "field": "total"}],
            "filters": [{"field": "currency", "op": "eq", "value": "USD"}]}


def test_month_buckets_in_the_time_zone(client: Any, database: Database) -> None:
    build(database)
    out = run(client, usd_orders_by_month())
    assert [c["key"] for c in out["columns"]] == ["ordered_at", "count", "sum:total",
                                                 "min:total", "max:total"]
    assert out["time_zone"] == NY and out["truncated"] is False
    # Nov: C 40; Dec: A 100, B 200, D 10 (Dec 31 in New York); Jan: A 50, C 60, E 999
    # (cancelled, not filtered out here), D 25 (Jan 31 in New York)
    assert out["rows"] == [["2025-11-01", 1, "40.00", "40.00", "40.00"],
                           ["2025-12-01", 3, "310.00", "10.00", "200.00"],
                           ["2026-01-01", 4, "1134.00", "25.00", "999.00"]]
    utc = run(client, usd_orders_by_month(), tz="UTC")
    assert utc["rows"] == [["2025-11-01", 1, "40.00", "40.00", "40.00"],
                           ["2025-12-01", 2, "300.00", "100.00", "200.00"],
                           ["2026-01-01", 4, "1119.00", "10.00", "999.00"],
                           ["2026-02-01", 1, "25.00", "25.00", "25.00"]]


def test_filters_avg_and_quarter(client: Any, database: Database) -> None:
    build(database)
    d = usd_orders_by_month()
    d["measures"] = [{"op": "count"}, {"op": "avg", "field": "total"}]
    d["filters"].append({"field": "status", "op": "ne", "value": "cancelled"})
    d["filters"].append({"field": "ordered_at", "op": "gte", "value": "2025-12-01"})
    # Dec: 310 / 3 = 103.3333; Jan: (50 + 60 + 25) / 3 = 45
    assert run(client, d)["rows"] == [["2025-12-01", 3, "103.3333"],
                                      ["2026-01-01", 3, "45.0000"]]
    d["dimensions"] = [{"field": "ordered_at", "bucket": "quarter"}]
    d["filters"][-1] = {"field": "ordered_at", "op": "lte", "value": "2025-12-31"}
    # Q4 2025 (New York): C 40, A 100, B 200, D 10 -> 350 / 4
    assert run(client, d)["rows"] == [["2025-10-01", 4, "87.5000"]]


def test_order_lines_by_category_sorted_by_sum(client: Any, database: Database) -> None:
    build(database)
    out = run(client, {
        "entity": "order_lines", "dimensions": [{"field": "category"}],
        "measures": [{"op": "sum", "field": "total"}, {"op": "count"}],
        "filters": [{"field": "currency", "op": "eq", "value": "USD"},
                    {"field": "status", "op": "not_in", "value": ["cancelled"]}],
        "sort": [{"by": "sum:total", "direction": "desc"}]})
    # Cups: B 200 + C 60 + D 10 + D 25; Tea: A 100 + A 50 + C 40
    assert out["rows"] == [["Cups", "295.00", 4], ["Tea", "190.00", 3]]


def test_deals_by_owner_and_currency_with_names(client: Any, database: Database) -> None:
    build(database)
    d = {"entity": "deals", "dimensions": [{"field": "owner"}, {"field": "currency"}],
         "measures": [{"op": "count"}, {"op": "sum", "field": "amount"}],
         "sort": [{"by": "sum:amount", "direction": "desc"}], "limit": 1}
    out = run(client, d)
    # Una: D1 1000 + D2 500 + D3 300 + D4 700 + D6 200 (USD); Dos: D5 800 EUR
    assert out["rows"] == [["Una", "USD", 5, "2700.00"]] and out["truncated"] is True
    d["limit"] = 10
    assert run(client, d)["rows"][1] == ["Dos", "EUR", 1, "800.00"]
    by_stage = run(client, {"entity": "deals", "dimensions": [{"field": "status"}],
                            "sort": [{"by": "status"}]})
    assert by_stage["rows"] == [["lost", 1], ["open", 1], ["won", 4]]


def test_tickets_interactions_and_weeks(client: Any, database: Database) -> None:
    build(database)
    out = run(client, {"entity": "tickets", "dimensions": [{"field": "assignee"}],
                       "measures": [{"op": "count"}, {"op": "avg", "field": "satisfaction_score"},
                                    {"op": "count", "field": "resolved_at"}]})
    assert out["rows"] == [["Dos", 3, "3.5000", 2]]  # scores 5 and 2; T3 unresolved
    out = run(client, {"entity": "interactions", "dimensions": [{"field": "channel"}],
                       "sort": [{"by": "count", "direction": "desc"}]})
    assert out["rows"] == [["call", 4], ["email", 3], ["meeting", 1]]  # one call deleted
    weeks = run(client, {"entity": "interactions",
                         "dimensions": [{"field": "occurred_at", "bucket": "week"}],
                         "filters": [{"field": "channel", "op": "in",
                                      "value": ["email", "meeting"]}]})
    assert weeks["rows"] == [["2026-01-05", 4]]  # Monday 5 January 2026
    none = run(client, {"entity": "contacts", "measures": [{"op": "count"}],
                        "filters": [{"field": "owner", "op": "eq", "value": "me"}]})
    assert none["rows"] == [[0]]  # every contact belongs to Una, not to the admin


def test_invalid_definitions_are_422_naming_the_field(client: Any, database: Database) -> None:
    build(database)
    cases = [
        ({"entity": "deals", "measures": [{"op": "sum", "field": "amount"}]},
         "definition.measures[0].field", "report.currency_mixed"),
        ({"entity": "deals", "dimensions": [{"field": "colour"}]},
         "definition.dimensions[0].field", "report.field_unknown"),
        ({"entity": "deals", "dimensions": [{"field": "created_at"}]},
         "definition.dimensions[0].bucket", "report.bucket_invalid"),
        ({"entity": "deals", "dimensions": [{"field": "status", "bucket": "month"}]},
         "definition.dimensions[0].bucket", "report.bucket_invalid"),
        ({"entity": "deals", "measures": [{"op": "sum", "field": "status"}]},
         "definition.measures[0].field", "report.measure_invalid"),
        ({"entity": "deals", "filters": [{"field": "amount", "op": "gt", "value": "1.234"}]},
         "definition.filters[0].value", "report.value_invalid"),
        ({"entity": "deals", "filters": [{"field": "amount", "op": "contains", "value": "1"}]},
         "definition.filters[0].op", "report.op_invalid"),
        ({"entity": "deals", "filters": [{"field": "owner", "op": "eq", "value": "bob"}]},
         "definition.filters[0].value", "report.value_invalid"),
        ({"entity": "deals", "filters": [{"field": "closed_at", "op": "gte", "value": "May"}]},
         "definition.filters[0].value", "report.value_invalid"),
        ({"entity": "deals", "filters": [{"field": "status", "op": "in", "value": "won"}]},
         "definition.filters[0].value", "report.value_invalid"),
        ({"entity": "deals", "sort": [{"by": "amount"}]}, "definition.sort[0].by",
         "report.sort_invalid"),
        ({"entity": "deals", "dimensions": [{"field": "custom.region"}]},
         "definition.dimensions[0].field", "report.field_unknown"),
    ]
    for definition, field, code in cases:
        assert_problem(client.post("/api/v1/reports/run", json=definition), 422, field, code)
        assert_problem(client.post("/api/v1/reports", json={"name": "Bad",
                                                           "definition": definition}),
                       422, field, code)
    assert_problem(client.post("/api/v1/reports/run", params={"tz": "Mars/Olympus"},
                               json={"entity": "deals"}), 422, "tz")
    r = client.post("/api/v1/reports/run", json={"entity": "planets"})
    assert r.status_code == 422
    r = client.post("/api/v1/reports/run", json={"entity": "deals", "limit": 5000})
    assert r.status_code == 422
    assert client.get("/api/v1/reports").json() == []  # nothing was saved


def test_saved_report_crud_share_and_export(client: Any, database: Database,
                                            app: Any) -> None:
    build(database)
    body = {"name": "USD orders by month", "definition": usd_orders_by_month(),
            "chart": "line", "visibility": "everyone"}
    r = client.post("/api/v1/reports", json=body)
    assert r.status_code == 201, r.text
    rid = r.json()["id"]
    assert r.json()["definition"]["entity"] == "orders"
    ran = client.get(f"/api/v1/reports/{rid}/run", params={"tz": NY}).json()
    assert ran["rows"][1] == ["2025-12-01", 3, "310.00", "10.00", "200.00"]
    csv_out = client.get(f"/api/v1/reports/{rid}/export", params={"tz": NY})
    assert csv_out.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(csv_out.text)))
    assert rows[0] == ["Ordered (month)", "Count", "Sum of total", "Lowest total",
                       "Highest total"]
    assert rows[2] == ["2025-12-01", "3", "310.00", "10.00", "200.00"]
    xlsx = client.get(f"/api/v1/reports/{rid}/export", params={"format": "xlsx", "tz": NY})
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    assert sheet is not None
    assert [c.value for c in sheet[3]] == ["2025-12-01", 3, 310, 10, 200]
    svg = client.get(f"/api/v1/reports/{rid}/chart.svg", params={"tz": NY})
    assert svg.headers["content-type"].startswith("image/svg+xml")
    assert "<title" in svg.text and "2025-12-01: 3" in svg.text and "<polyline" in svg.text
    # shared with everyone: another reader sees it, runs it in their own scope, cannot change it
    with database.transaction() as s:
        rep = auth.create_user(s, email="rep@example.com", name="Rep", password=None,
                               role="sales_rep")
        _, token = auth.create_api_token(s, user=rep, name="t")
    other = {"Authorization": f"Bearer {token}"}
    assert [x["id"] for x in client.get("/api/v1/reports", headers=other).json()] == [rid]
    mine = client.get(f"/api/v1/reports/{rid}/run", headers=other)
    assert mine.status_code == 200, mine.text
    assert mine.json()["rows"] == []  # a sales rep sees only their own orders: none
    assert_problem(client.patch(f"/api/v1/reports/{rid}", headers=other,
                                json={"name": "Mine"}), 403)
    # private again: gone for the other reader
    r = client.patch(f"/api/v1/reports/{rid}", json={"visibility": "private"},
                     headers={"If-Match": '"v1"'})
    assert r.status_code == 200, r.text
    assert_problem(client.get(f"/api/v1/reports/{rid}", headers=other), 404)
    assert_problem(client.patch(f"/api/v1/reports/{rid}", json={"name": "x"},
                                headers={"If-Match": '"v1"'}), 412)
    assert_problem(client.patch(f"/api/v1/reports/{rid}", json={"visibility": "team"}), 422,
                   "team_id")
    assert client.delete(f"/api/v1/reports/{rid}").status_code == 204
    assert_problem(client.get(f"/api/v1/reports/{rid}"), 404)


def test_one_statement_per_run(database: Database, queries: Any) -> None:
    from amity.auth.models import User
    from amity.reports.schemas import ReportDefinition
    from amity.reports.service import run_definition

    build(database)
    admin, _ = make_user(database, admin=True, email="boss@example.com")
    d = ReportDefinition.model_validate({
        "entity": "orders", "dimensions": [{"field": "ordered_at", "bucket": "week"},
                                           {"field": "owner"}],
        "measures": [{"op": "count"}, {"op": "avg", "field": "total"}],
        "filters": [{"field": "currency", "op": "eq", "value": "USD"}]})
    with database.transaction(write=False) as s:
        boss = s.get(User, admin.id)  # scope 'all': no team lookup to make
        assert boss is not None
        queries.reset()
        out = run_definition(s, boss, d, NY)
        assert queries.count == 1, queries.statements
        assert "GROUP BY" in queries.statements[0]
        # weeks (from Monday, New York) with a USD order, all Una's: Nov 10, Dec 8, Dec 15,
        # Dec 29 (D's, Dec 31), Jan 5 (E's cancelled one), Jan 12, Jan 19, Jan 26 (D's, Jan 31)
        assert [r[0] for r in out.rows] == ["2025-11-10", "2025-12-08", "2025-12-15",
                                            "2025-12-29", "2026-01-05", "2026-01-12",
                                            "2026-01-19", "2026-01-26"]
        assert out.rows[3][1:] == ["Una", 1, Decimal("10.0000")]


def test_rows_outside_the_readers_scope_are_not_counted(client: Any,
                                                       database: Database) -> None:
    from sqlalchemy import update

    from amity.commerce.models import Order

    world = build(database)
    with database.transaction() as s:
        rep = auth.create_user(s, email="rep@example.com", name="Rep", password=None,
                               role="sales_rep")
        _, token = auth.create_api_token(s, user=rep, name="t")
        # B's December order (200.00 USD) now belongs to the rep
        s.execute(update(Order).where(Order.contact_id == world.contacts["B"])
                  .values(owner_id=rep.id))
    d = usd_orders_by_month()
    rep_view = client.post("/api/v1/reports/run", params={"tz": NY}, json=d,
                           headers={"Authorization": f"Bearer {token}"})
    assert rep_view.status_code == 200, rep_view.text
    assert rep_view.json()["rows"] == [["2025-12-01", 1, "200.00", "200.00", "200.00"]]
    # the administrator still counts everything
    assert run(client, d)["rows"][1] == ["2025-12-01", 3, "310.00", "10.00", "200.00"]


def test_sharing_with_a_team(client: Any, database: Database) -> None:
    tokens = {}
    with database.transaction() as s:
        for name in ("member", "outsider"):
            u = auth.create_user(s, email=f"{name}@example.com", name=name, password=None,
                                 role="sales_rep")
            _, token = auth.create_api_token(s, user=u, name="t")
            tokens[name] = ({"Authorization": f"Bearer {token}"}, str(u.id))
    team = client.post("/api/v1/teams", json={"name": "North"})
    assert team.status_code == 201, team.text
    r = client.put(f"/api/v1/teams/{team.json()['id']}/members",
                   json={"member_ids": [tokens["member"][1]]})
    assert r.status_code == 200, r.text
    rid = client.post("/api/v1/reports", json={
        "name": "Team report", "visibility": "team", "team_id": team.json()["id"],
        "definition": {"entity": "contacts"}}).json()["id"]
    member, outsider = tokens["member"][0], tokens["outsider"][0]
    assert [x["id"] for x in client.get("/api/v1/reports", headers=member).json()] == [rid]
    assert client.get(f"/api/v1/reports/{rid}/run", headers=member).json()["rows"] == [[0]]
    assert client.get("/api/v1/reports", headers=outsider).json() == []
    assert_problem(client.get(f"/api/v1/reports/{rid}", headers=outsider), 404)
    # the member may not share their own report with a team they are not in
    own = client.post("/api/v1/reports", headers=outsider, json={
        "name": "Mine", "visibility": "team", "team_id": team.json()["id"],
        "definition": {"entity": "contacts"}})
    assert_problem(own, 422, "team_id")
