"""The analytics pages: the KPI dashboard renders the hand-computed January (dataset.py) for
people: percentages, money, the trend against December and each definition."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from amity.core.db import Database
from tests.analytics.dataset import build

JAN = {"from": "2026-01-01", "to": "2026-01-31", "tz": "America/New_York", "currency": "USD",
       "window_days": "30"}


def card(html: str, key: str) -> str:
    match = re.search(rf'data-key="{key}">(.*?)</li>', html, re.S)
    assert match, key
    return re.sub(r"\s+", " ", match.group(1))


def test_dashboard_shows_the_kpis_with_trend_and_definition(signed_in: TestClient,
                                                             database: Database) -> None:
    build(database)
    r = signed_in.get("/analytics", params=JAN)
    assert r.status_code == 200, r.text
    retention = card(r.text, "retention_rate")
    assert "66.7%" in retention and "▲ before: 0.0%" in retention
    assert 'class="kpi-prev good"' in retention
    revenue = card(r.text, "revenue")
    assert "135.00" in revenue and "▼ before: 310.00" in revenue and "kpi-prev bad" in revenue
    assert "N days" not in r.text and "in the 30 days before" in r.text
    churn = card(r.text, "churn_rate")
    assert "33.3%" in churn and "kpi-prev good" in churn  # churn going down is good


def test_dashboard_defaults_to_this_month_and_refuses_bad_input(signed_in: TestClient) -> None:
    r = signed_in.get("/analytics")
    assert r.status_code == 200 and "Retention rate" in r.text
    assert signed_in.get("/analytics", params={**JAN, "tz": "Nowhere/Land"}).status_code == 422
    assert signed_in.get("/analytics", params={**JAN, "from": "2026-13-01"}).status_code == 422
    assert signed_in.get("/analytics", params={**JAN, "window_days": "0"}).status_code == 422


def test_cohort_heat_map_and_repeat_table(signed_in: TestClient, database: Database) -> None:
    build(database)
    r = signed_in.get("/analytics/cohorts", params={
        "from": "2025-11-01", "to": "2026-01-31", "tz": "America/New_York", "currency": "USD"})
    assert r.status_code == 200, r.text
    text = re.sub(r"\s+", " ", r.text)
    # November: C only, gone in December, back in January (see test_cohorts.py)
    assert ('<th scope="row">2025-11</th><td>1</td> <td class="heat-10" title="1 of 1">100.0%'
            '</td><td class="heat-0" title="0 of 1">0.0%</td><td class="heat-10" '
            'title="1 of 1">100.0%</td>') in text
    assert '<td class="heat-6" title="2 of 3">66.7%</td>' in text
    assert '<th scope="row">Tea</th><td>2</td><td>100.0%</td><td>50.0%</td>' in text
    # sources (no touches in dataset.py): C, A, B, D's first 180 days, 485.00 in all
    assert ('<th scope="row">(none)</th><td>4</td><td>485.00</td><td>485.00</td>'
            '<td>485.00</td>') in text


def test_segments_page_before_and_after_a_refresh(signed_in: TestClient,
                                                  database: Database) -> None:
    from amity.analytics import rfm
    from tests.analytics.dataset import t
    build(database)
    assert "Not computed yet" in signed_in.get("/analytics/segments").text
    with database.transaction() as s:
        rfm.refresh(s, at=t("2026-02-01 05:00"), currency="USD")
    text = re.sub(r"\s+", " ", signed_in.get("/analytics/segments").text)
    assert "4 customers scored 2026-02-01 05:00 UTC in USD" in text
    assert '<th scope="row">Hibernating</th><td>2</td><td>50.0%</td>' in text
    assert 'width="100.0"' in text and 'width="50.0"' in text  # bars relative to the largest
