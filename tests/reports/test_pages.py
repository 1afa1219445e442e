"""The report builder, a saved report's page and the dashboard's charts, through the web UI
(signed-in browser-like client, CSRF), on both databases."""

from __future__ import annotations

import re
from typing import Any

from amity.core.db import Database
from amity.reports.models import SavedReport
from tests.analytics.dataset import build
from tests.factories import count
from tests.web.conftest import page_csrf


def form(csrf: str, **fields: str) -> dict[str, str]:
    base = {"csrf_token": csrf, "entity": "order_lines", "name": "Lines by category",
            "dim1": "category", "op1": "sum", "mfield1": "total", "op2": "count",
            "ffield1": "currency", "fop1": "eq", "fvalue1": "USD",
            "ffield2": "status", "fop2": "in", "fvalue2": "paid, fulfilled, placed",
            "sort": "m_desc", "limit": "10", "chart": "bar", "visibility": "private",
            "digest": "none"}
    return base | fields


def test_build_save_and_view_a_report(signed_in: Any, database: Database) -> None:
    build(database)
    page = signed_in.get("/reports/new", params={"entity": "order_lines"})
    assert page.status_code == 200
    assert '<option value="category"' in page.text and '<option value="total"' in page.text
    csrf = page_csrf(signed_in, "/reports/new")
    r = signed_in.post("/reports", data=form(csrf))
    assert r.status_code == 303, r.text
    shown = signed_in.get(r.headers["location"])
    assert shown.status_code == 200
    # Cups: B 200 + C 60 + D 10 + D 25 = 295; Tea: A 100 + A 50 + C 40 (E's are cancelled/EUR)
    rows = re.findall(r"<tr><th scope=\"row\">(\w+)</th><td class=\"num\">([\d,.]+)</td>"
                      r"<td class=\"num\">(\d+)</td></tr>", shown.text)
    assert rows == [("Cups", "295.00", "4"), ("Tea", "190.00", "3")]
    assert 'role="img"' in shown.text and "Cups: 295.00" in shown.text
    csv_out = signed_in.get(r.headers["location"] + "/export.csv")
    assert csv_out.text.splitlines()[1] == "Cups,295.00,4"
    assert "Lines by category" in signed_in.get("/reports").text


def test_builder_refuses_bad_definitions(signed_in: Any, database: Database) -> None:
    build(database)
    csrf = page_csrf(signed_in, "/reports/new")
    bad = signed_in.post("/reports", data=form(csrf, ffield1="", fvalue1=""))
    assert bad.status_code == 422  # money summed across currencies
    assert "definition.measures[0].field" in bad.text and "currency" in bad.text
    bad = signed_in.post("/reports", data=form(csrf, dim1="ordered_at"))
    assert bad.status_code == 422 and "definition.dimensions[0].bucket" in bad.text
    bad = signed_in.post("/reports", data=form(csrf, limit="5000"))
    assert bad.status_code == 422 and "limit" in bad.text
    assert signed_in.post("/reports", data=form("wrong")).status_code == 403
    assert count(database, SavedReport) == 0


def test_dashboard_charts(signed_in: Any, database: Database) -> None:
    build(database)
    assert 'hx-get="/analytics/charts' in signed_in.get("/analytics").text
    out = signed_in.get("/analytics/charts", params={"to": "2026-01-31",
                                                    "tz": "America/New_York"})
    assert out.status_code == 200
    # default pipeline: D4 open in the first stage; D1, D3, D5, D6 won (D2 lost: left out)
    assert re.search(r"<title id=\"chart-t\d+\">Pipeline funnel", out.text)
    assert "Won: 4" in out.text
    # cohorts (USD, New York months): Nov C; Dec A, B, D (Dec 31); C came back in January
    assert "2025-11 +2: 100%" in out.text and "2025-12 +0: 100%" in out.text
    assert "2025-12 +1: 67%" in out.text  # A (Jan 20) and D (Jan 31) of A, B, D


def test_edit_a_saved_report(signed_in: Any, database: Database) -> None:
    build(database)
    csrf = page_csrf(signed_in, "/reports/new")
    location = signed_in.post("/reports", data=form(csrf)).headers["location"]
    page = signed_in.get(location + "/edit")
    assert page.status_code == 200
    assert 'value="paid, fulfilled, placed"' in page.text  # the form shows the saved filters
    assert '<option value="m_desc" selected>' in page.text
    r = signed_in.post(location, data=form(csrf, name="Lines, lowest first", sort="m_asc",
                                           fvalue2="paid"))
    assert r.status_code == 303, r.text
    shown = signed_in.get(location).text
    rows = re.findall(r"<tr><th scope=\"row\">(\w+)</th><td class=\"num\">([\d,.]+)</td>",
                      shown)
    # paid only: Tea A 100 + C 40 = 140; Cups C 60 + D 10 + D 25 = 95 (B's is only placed)
    assert rows == [("Cups", "95.00"), ("Tea", "140.00")]
    assert "<h1>Lines, lowest first</h1>" in shown
    bad = signed_in.post(location, data=form(csrf, dim1="ordered_at"))
    assert bad.status_code == 422 and "definition.dimensions[0].bucket" in bad.text
    assert "<h1>Lines, lowest first</h1>" in signed_in.get(location).text  # unchanged
