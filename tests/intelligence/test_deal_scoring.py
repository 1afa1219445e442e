"""Deal scoring on a real database: learned from closed deals with a time-based hold-out,
reproducible for a seed, explained in plain words, and the stage-probability fallback."""

from __future__ import annotations

import numpy as np
import pytest
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


def test_owner_win_rate_lead_score_and_engagement_as_of_the_close(database: Database) -> None:
    """Hand-made: one owner closes won (day 10), lost (day 20), won (day 30); an open deal
    follows. Each deal sees only the outcomes, score entries and interactions before it."""
    from datetime import timedelta
    from decimal import Decimal

    from amity.activities.models import Interaction, InteractionParticipant
    from amity.contacts.models import Contact
    from amity.deals.models import Pipeline, Stage
    from amity.scoring.models import ScoreEntry
    from tests.conftest import make_user

    owner, _ = make_user(database)
    start = AT - timedelta(days=100)
    with database.transaction() as s:
        pipeline = s.scalar(select(Pipeline).where(Pipeline.is_default.is_(True)))
        assert pipeline is not None
        st = {x.name: x for x in s.scalars(select(Stage).where(
            Stage.pipeline_id == pipeline.id))}
        person = Contact(first_name="Lead", last_name="Person")
        s.add(person)
        s.flush()
        for day, points in ((5, 10), (25, 15), (50, 40)):
            s.add(ScoreEntry(contact_id=person.id, rule_name="r", kind="behaviour",
                             source_type="interaction", source_key=f"k{day}", points=points,
                             occurred_at=start + timedelta(days=day)))
        for day in (1, 15, 28, 60):
            inter = Interaction(channel="email", direction="inbound", subject="Hi",
                                occurred_at=start + timedelta(days=day))
            s.add(inter)
            s.flush()
            s.add(InteractionParticipant(interaction_id=inter.id, contact_id=person.id,
                                         role="from", position=0, occurred_at=inter.occurred_at,
                                         channel="email", direction="inbound"))
        for name, status, closed in (("A", "won", 10), ("B", "lost", 20), ("C", "won", 30),
                                     ("D", "open", None)):
            stage = st["Won"] if status == "won" else st["Lost"] if status == "lost" \
                else st["Proposal"]
            s.add(Deal(name=name, amount=Decimal("100"), currency="EUR",
                       pipeline_id=pipeline.id, stage_id=stage.id, status=status,
                       owner_id=owner.id, contact_id=person.id, created_at=start,
                       closed_at=start + timedelta(days=closed) if closed else None))
    with database.transaction(write=False) as s:
        rows = load_deals(s, at=AT)
        names = {d.id: d.name for d in s.scalars(select(Deal))}
    by_name = {names[i]: rows.X[k] for k, i in enumerate(rows.ids)}
    col = {n: rows.names.index(n) for n in ("owner_win_rate", "lead_score", "contact_touches",
                                             "stage_probability")}
    # (wins + 1) / (closed + 2) over the owner's deals closed before this one closed
    assert [by_name[n][col["owner_win_rate"]] for n in "ABCD"] == [
        pytest.approx(v) for v in (1 / 2, 2 / 3, 2 / 4, 3 / 5)]
    assert [by_name[n][col["lead_score"]] for n in "ABCD"] == [10, 10, 25, 65]
    # interactions in the 90 days before: A sees day 1; B days 1 and 15; C 1, 15, 28; D (at
    # day 100) sees days 15, 28 and 60 (day 1 is more than 90 days before)
    assert [by_name[n][col["contact_touches"]] for n in "ABCD"] == [1, 2, 3, 3]
    # no stage history: a closed deal counts as in its pipeline's first open stage
    assert by_name["A"][col["stage_probability"]] == pytest.approx(0.10)
    assert by_name["D"][col["stage_probability"]] == pytest.approx(0.50)
