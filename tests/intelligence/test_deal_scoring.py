"""Deal scoring on a real database: learned from closed deals with a time-based hold-out,
reproducible for a seed, explained in plain words, and the stage-probability fallback."""

from __future__ import annotations

import numpy as np
from sqlalchemy import select

from amity.core.db import Database
from amity.deals.models import Deal
from amity.intelligence import deal_scoring
from amity.intelligence.deal_data import load_deals
from amity.intelligence.tables import DealPrediction
from tests.intelligence.predictive_support import AT, seed_deals


def _refresh(database: Database, seed: int = 0) -> deal_scoring.DealScoringResult:
    with database.transaction() as s:
        return deal_scoring.refresh_deal_scores(s, at=AT, seed=seed)


def _stored(database: Database) -> dict:  # type: ignore[type-arg]
    with database.transaction(write=False) as s:
        return {p.deal_id: (p.probability, p.model, list(p.factors))
                for p in s.scalars(select(DealPrediction))}


def test_learns_from_closed_deals_and_scores_open_ones(database: Database) -> None:
    deals = seed_deals(database)
    result = _refresh(database)
    fit = result.fit
    assert fit.kind == "deal" and fit.status == "fitted" and fit.message is None
    assert result.model == "deal-1" and result.scored == len(deals.open_ids)
    holdout = fit.diagnostics["holdout"]
    # the latest quarter of the 90 closed deals, never seen by the model it checks
    assert fit.diagnostics["holdout_rows"] == 22 and fit.diagnostics["train_rows"] == 68
    assert holdout["rows"] == 22
    assert 0.7 <= holdout["roc_auc"] <= 1.0  # activity before closing separates them well
    assert 0.0 < holdout["brier"] < 0.25  # better than always saying 50%
    weights = {w["feature"]: w["coef"] for w in fit.diagnostics["weights"]}
    assert weights["deal_activities"] > 0
    stored = _stored(database)
    assert set(stored) == set(deals.open_ids)  # closed deals are not scored
    busy, quiet = stored[deals.open_busy], stored[deals.open_quiet]
    assert busy[0] > quiet[0] + 0.3
    assert all(m == "deal-1" and 0 <= p <= 1 for p, m, _ in stored.values())
    assert "much activity logged in the last 30 days (raises the chance)" in busy[2]
    assert "little activity logged in the last 30 days (lowers the chance)" in quiet[2]


def test_the_same_seed_gives_the_same_model_and_scores(database: Database) -> None:
    seed_deals(database)
    first = _refresh(database)
    before = _stored(database)
    again = _refresh(database)
    assert again.fit.version == 2
    assert again.fit.params["coef"] == first.fit.params["coef"]
    assert again.fit.params["cal_a"] == first.fit.params["cal_a"]
    assert again.fit.diagnostics["holdout"] == first.fit.diagnostics["holdout"]
    after = _stored(database)
    assert {k: v[0] for k, v in after.items()} == {k: v[0] for k, v in before.items()}
    assert {k: v[1] for k, v in after.items()} == dict.fromkeys(before, "deal-2")


def test_features_use_only_what_happened_before_the_close(database: Database) -> None:
    seed_deals(database, closed=40)
    with database.transaction(write=False) as s:
        rows = load_deals(s, at=AT)
        closed = [i for i, w in enumerate(rows.won) if w >= 0]
        deals = {d.id: d for d in s.scalars(select(Deal))}
    col = rows.names.index("stage_probability")
    # a won deal is described by the open stage it was in, never by "Won" (100%)
    assert all(rows.X[i, col] < 1.0 for i in closed)
    age = rows.names.index("age_days")
    for i in closed[:5]:
        d = deals[rows.ids[i]]
        assert d.closed_at is not None
        assert np.isclose(rows.X[i, age], (d.closed_at - d.created_at).total_seconds() / 86400)
    win = rows.names.index("owner_win_rate")
    assert np.allclose(rows.X[:, win], 0.5)  # no owners: the smoothed 50%
    assert rows.names[-2:] == ["source:Referral", "source:Website"]


def test_too_few_closed_deals_falls_back_to_stage_probability(database: Database) -> None:
    deals = seed_deals(database, closed=12)
    result = _refresh(database)
    assert result.fit.status == "insufficient" and result.model == "rules"
    assert result.fit.message is not None and "Too few closed deals" in result.fit.message
    assert "at least 30 closed deals" in result.fit.message
    stored = _stored(database)
    assert set(stored) == set(deals.open_ids)
    p, model, factors = stored[deals.open_busy]
    assert model == "rules" and p == 0.5  # Proposal's default probability
    assert factors == ["stage “Proposal” wins 50% by default (too few closed deals to learn "
                       "from)"]
    with database.transaction(write=False) as s:
        open_deals = {d.id: d for d in s.scalars(select(Deal).where(Deal.status == "open"))}
        stage_p = {i: open_deals[i].probability / 100 for i in open_deals}
    assert {k: v[0] for k, v in stored.items()} == stage_p


def test_no_closed_deals_and_no_open_deals(database: Database) -> None:
    result = _refresh(database)
    assert result.fit.status == "insufficient" and result.scored == 0
    assert "0 won and 0 lost" in (result.fit.message or "")
