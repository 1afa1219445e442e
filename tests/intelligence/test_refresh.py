"""The daily refresh on a real database: fits recorded with diagnostics, one prediction per
customer, the at-risk crossing announced once, and the fallbacks when history is thin."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from amity.core.db import Database
from amity.core.events import EventRecord
from amity.intelligence import service
from amity.intelligence.models import CustomerPrediction, ModelFit
from amity.intelligence.pipeline import Options
from tests.intelligence.conftest import AT, seed_business


def _refresh(database: Database, **kw: object) -> service.RefreshResult:
    with database.transaction() as s:
        return service.refresh(s, currency="USD", base=None, at=AT, **kw)  # type: ignore[arg-type]


def test_refresh_fits_both_models_and_stores_every_customer(database: Database) -> None:
    biz = seed_business(database)
    result = _refresh(database)
    assert result.clv.status == "fitted" and result.churn.status == "fitted"
    with database.transaction(write=False) as s:
        fits = {f.kind: f for f in s.scalars(select(ModelFit))}
        rows = {p.contact_id: p for p in s.scalars(select(CustomerPrediction))}
    assert set(rows) == set(biz.contacts)
    clv_fit = fits["clv"]
    assert clv_fit.version == 1 and clv_fit.params["bgnbd"]["r"] > 0
    assert clv_fit.diagnostics["holdout"]["by_frequency"]
    assert clv_fit.diagnostics["bgnbd_log_likelihood"] < 0
    churn_fit = fits["churn"]
    holdout = churn_fit.diagnostics["holdout"]
    assert holdout["roc_auc"] is not None and 0 <= holdout["roc_auc"] <= 1
    assert len(churn_fit.params["coef"]) == len(churn_fit.params["names"])
    for p in rows.values():
        assert p.clv_model == "clv-1" and p.currency == "USD"
        assert p.purchases_3m is not None and p.purchases_3m <= p.purchases_6m <= p.purchases_12m
        assert p.p_alive is not None and 0 <= p.p_alive <= 1
        assert p.clv is not None and p.clv >= 0
    scored = [p for p in rows.values() if p.churn_risk is not None]
    assert scored and all(p.churn_model == "churn-1" for p in scored)
    # who stopped buying long ago is expected to buy less than who is still buying
    gone = [rows[c].purchases_12m for c in biz.leavers]
    staying = [rows[c].purchases_12m for c in set(biz.contacts) - biz.leavers]
    assert sum(gone) / len(gone) < sum(staying) / len(staying)  # type: ignore[arg-type]
    at_risk = [p for p in scored if p.at_risk]
    assert all(p.churn_reasons for p in at_risk)


def test_crossing_is_announced_once_and_again_when_it_falls(database: Database) -> None:
    seed_business(database)
    first = _refresh(database)
    assert first.crossed_up > 0 and first.crossed_down == 0
    again = _refresh(database)
    assert again.crossed_up == 0 and again.crossed_down == 0  # nothing moved: no event
    assert again.clv.version == 2 and again.churn.version == 2
    lowered = _refresh(database, options=Options(at_risk_threshold=1.01))
    assert lowered.crossed_down == first.crossed_up
    with database.transaction(write=False) as s:
        evs = list(s.scalars(select(EventRecord).where(
            EventRecord.type == "contact.churn_risk_crossed")))
    assert [e.payload["direction"] for e in evs].count("up") == first.crossed_up
    assert [e.payload["direction"] for e in evs].count("down") == first.crossed_up


def test_too_little_history_falls_back_to_rules_with_a_clear_message(
        database: Database) -> None:
    seed_business(database, customers=8, days=120)
    result = _refresh(database)
    assert result.clv.status == "insufficient" and "at least 20 customers" in result.clv.message
    assert result.churn.status == "insufficient"
    assert "Too little history" in result.churn.message and "rules" in result.churn.message
    with database.transaction(write=False) as s:
        rows = list(s.scalars(select(CustomerPrediction)))
    assert rows and all(p.clv is None and p.churn_model == "rules" for p in rows)
    active = [p for p in rows if p.churn_risk is not None]
    assert active and all(0 <= p.churn_risk <= 1 for p in active)  # type: ignore[operator]


def test_empty_database_records_why_nothing_was_fitted(database: Database) -> None:
    result = _refresh(database)
    assert result.customers == 0
    assert result.clv.status == result.churn.status == "insufficient"


@pytest.mark.parametrize("database", ["sqlite"], indirect=True)
def test_same_history_same_predictions(database: Database) -> None:
    seed_business(database)
    _refresh(database)
    with database.transaction(write=False) as s:
        before = {p.contact_id: (p.clv, p.churn_risk) for p in s.scalars(
            select(CustomerPrediction))}
    _refresh(database)
    with database.transaction(write=False) as s:
        after = {p.contact_id: (p.clv, p.churn_risk) for p in s.scalars(
            select(CustomerPrediction))}
    assert before == after

