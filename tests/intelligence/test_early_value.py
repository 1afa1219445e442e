"""Early-value signals on a business whose lifts are known (see ``early_value_data``): the
SQL aggregates respect the 90-day window and the first year, the lifts match the
construction, the intervals come from a seeded bootstrap, and the segment lists the
customers inside their window who show or lack a signal."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import numpy as np
import pytest
from sqlalchemy import true

from amity.core.db import Database
from amity.intelligence import early_value as ev
from amity.intelligence.early_value_report import analyse_early_value, latest_report
from amity.intelligence.early_value_stats import Options, bootstrap
from tests.intelligence.early_value_data import AT, LIFT, TOP_LIFT, seed_early


def _signal(report: Any, key: str) -> dict[str, Any]:
    return dict(next(r for r in report.diagnostics["signals"] if r["key"] == key))


def test_lifts_match_the_construction(database: Database) -> None:
    groups = seed_early(database)
    with database.transaction() as s:
        report = analyse_early_value(s, currency="USD", base=None, at=AT)
    assert report.status == "fitted" and report.version == 1 and report.samples == 40
    d = report.diagnostics
    assert d["customers"] == 40 and d["inside_window"] == 3
    assert d["top_quarter_threshold"] == pytest.approx(400.0)
    assert d["mean_value"] == "220.00"  # (300 + 140) / 2: the day-400 orders left out
    cats = _signal(report, "categories_2")
    assert (cats["with_n"], cats["without_n"]) == (20, 20)
    assert cats["with_mean"] == pytest.approx(300.0)
    assert cats["without_mean"] == pytest.approx(140.0)
    assert cats["lift"] == pytest.approx(LIFT)
    assert cats["top_lift"] == pytest.approx(TOP_LIFT)
    top_lo, top_hi = cats["top_lift_ci"]  # 2 of 20 on top without: some resamples have none
    assert top_lo is not None and 1 < top_lo < TOP_LIFT and top_hi is None
    assert "no upper limit" in cats["sentence"]
    lo, hi = cats["lift_ci"]
    assert 1 < lo < LIFT < hi and cats["significant"] is True
    assert "2.1 times the first-year value" in cats["sentence"]
    assert "(20 of 40)" in cats["sentence"]
    repeat = _signal(report, "repeat_orders")  # the broad customers ordered twice in 90 days
    assert repeat["lift"] == pytest.approx(LIFT)
    three = _signal(report, "categories_3")  # nobody: no comparison
    assert three["with_n"] == 0 and three["lift"] is None and "too few" in three["sentence"]
    ticket = _signal(report, "support_ticket")
    assert (ticket["with_n"], ticket["without_n"]) == (20, 20)
    assert ticket["with_mean"] == pytest.approx(200.0)
    assert ticket["without_mean"] == pytest.approx(240.0)
    assert ticket["lift_ci"][0] < 1 < ticket["lift_ci"][1] and not ticket["significant"]
    assert "no clear difference" in ticket["sentence"]
    referral = _signal(report, "referral")
    assert referral["with_n"] == 1  # the friend referred within the window
    assert report.diagnostics["signals"][0]["significant"]  # significant ones first
    with database.transaction() as s:
        again = analyse_early_value(s, currency="USD", base=None, at=AT)
        assert again.version == 2
        assert _signal(again, "categories_2")["lift_ci"] == [lo, hi]  # fixed seed
        assert latest_report(s).version == 2  # type: ignore[union-attr]
    assert groups["broad"]


def test_window_features_and_the_segment(database: Database) -> None:
    groups = seed_early(database)
    with database.transaction() as s:
        f = ev.first_orders(AT)
        rows = {r[0]: r for r in s.execute(ev.features_query(f, at=AT))}
        broad, narrow = rows[groups["broad"][0]], rows[groups["narrow"][0]]
        assert (broad.orders, broad.categories, broad.tickets, broad.referrals) == (2, 2, 1, 1)
        assert (narrow.orders, narrow.categories) == (1, 1)  # Kitchen came on day 120
        sig = ev.signal_by_key("categories_2")

        def page(has: bool) -> Any:
            return ev.window_customers(s, lambda q: q.where(true()), signal=sig, has=has,
                                       at=AT, cursor=None, limit=10)

        assert [c.id for c in page(True).items] == groups["new_broad"]
        lacking = page(False)
        assert [c.id for c in lacking.items] == groups["new_narrow"]  # newest first
        assert lacking.items[0].days_left == 80 and lacking.items[1].days_left == 79
        first = ev.window_customers(s, lambda q: q.where(true()), signal=sig, has=False,
                                    at=AT, cursor=None, limit=1)
        assert first.next_cursor
        rest = ev.window_customers(s, lambda q: q.where(true()), signal=sig, has=False,
                                   at=AT, cursor=first.next_cursor, limit=1)
        assert [c.id for c in rest.items] == groups["new_narrow"][1:]
        later = AT + timedelta(days=200)  # everyone's window has closed
        assert ev.window_customers(s, lambda q: q.where(true()), signal=sig, has=False,
                                   at=later, cursor=None, limit=10).items == []


def test_too_little_history_says_so(database: Database) -> None:
    with database.transaction() as s:
        report = analyse_early_value(s, currency="USD", base=None, at=AT)
    assert report.status == "insufficient" and "at least 20" in (report.message or "")
    assert report.diagnostics["signals"] == []


def test_bootstrap_is_reproducible_and_covers_the_truth() -> None:
    rng = np.random.default_rng(1)
    values = np.concatenate([rng.exponential(300, 400), rng.exponential(100, 400)])
    flags = np.arange(800) < 400
    top = (values >= np.percentile(values, 75)).astype(float)
    one = bootstrap(values, top, flags, resamples=500, confidence=0.95, seed=3)
    two = bootstrap(values, top, flags, resamples=500, confidence=0.95, seed=3)
    assert one == two
    lo, hi = one["mean"]
    assert lo is not None and hi is not None and lo < 3.0 < hi and hi - lo < 1.5
    assert Options().window_days == 90


def test_workflow_condition_selects_the_segment(database: Database) -> None:
    from pydantic import ValidationError
    from sqlalchemy import select

    from amity.automation import conditions
    from amity.automation.definition import ConditionGroup
    from amity.contacts.models import Contact

    groups = seed_early(database)
    lacking = ConditionGroup.model_validate(
        {"rules": [{"type": "early_value", "signal": "categories_2", "has": False}]})
    showing = ConditionGroup.model_validate(
        {"rules": [{"type": "early_value", "signal": "categories_2", "has": True}]})
    with database.transaction() as s:
        assert set(s.scalars(select(Contact.id).where(conditions.group_sql(lacking, AT)))) \
            == set(groups["new_narrow"])
        assert set(s.scalars(select(Contact.id).where(conditions.group_sql(showing, AT)))) \
            == set(groups["new_broad"])
    with pytest.raises(ValidationError):
        ConditionGroup.model_validate({"rules": [{"type": "early_value", "signal": "x"}]})
