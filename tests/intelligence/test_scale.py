"""The bulk read and write of the refresh: what one SQL statement per feature set reads gives
the same features as every event read one by one, the reasons coded as integers say what the
per-row explanation says, and tables never analysed get statistics before the job reads them."""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import pytest
from sqlalchemy import select, text

from amity.activities.models import InteractionParticipant
from amity.commerce.models import COUNTED_STATUSES, Order
from amity.core.db import Database
from amity.intelligence import churn
from amity.intelligence.data import analyse_if_never_analysed, day_number, load_history
from amity.intelligence.features import HORIZON_DAYS, NAMES, WORDS, History, features
from amity.intelligence.pipeline import score_churn
from amity.tickets.models import Ticket, TicketSurvey
from tests.intelligence.conftest import AT, seed_business


def _events(database: Database, keys: list[object]) -> History:
    """The same history as separate events, read row by row through the ORM columns."""
    index = {k: i for i, k in enumerate(keys)}
    with database.transaction(write=False) as s:
        orders = s.execute(select(Order.contact_id, Order.ordered_at, Order.total).where(
            Order.status.in_(COUNTED_STATUSES), Order.ordered_at < AT)).all()
        touches = s.execute(select(InteractionParticipant.contact_id,
                                   InteractionParticipant.occurred_at).where(
            InteractionParticipant.occurred_at < AT)).all()
        tickets = s.execute(select(Ticket.contact_id, Ticket.created_at).where(
            Ticket.created_at < AT)).all()
        surveys = s.execute(select(TicketSurvey.contact_id, TicketSurvey.answered_at,
                                   TicketSurvey.score).where(TicketSurvey.answered_at < AT)).all()

    def keyed(rows: list[object]) -> tuple[np.ndarray, np.ndarray]:
        mine = [r for r in rows if r[0] in index]  # type: ignore[index]
        return (np.array([index[r[0]] for r in mine], dtype=np.int64),  # type: ignore[index]
                np.array([day_number(r[1]) for r in mine]))  # type: ignore[index]

    h = History(keys=np.array(keys, dtype=object))
    h.order_key, h.order_day = keyed(orders)
    h.order_amount = np.array([float(r[2]) for r in orders])
    h.touch_key, h.touch_day = keyed(touches)
    h.ticket_key, h.ticket_day = keyed(tickets)
    h.survey_key, h.survey_day = keyed(surveys)
    h.survey_score = np.array([float(r[2]) for r in surveys])
    return h


def test_counted_history_gives_the_features_of_every_event(database: Database) -> None:
    biz = seed_business(database)
    with database.transaction() as s:
        loaded = load_history(s, currency="USD", base=None, at=AT)
    h = loaded.history
    assert sorted(h.keys.tolist()) == h.keys.tolist() and set(h.keys) == set(biz.contacts)
    raw = _events(database, h.keys.tolist())
    assert h.touch_weight is not None and h.touch_weight.sum() > 0
    assert h.survey_weight is not None and h.survey_weight.sum() > 0
    order = np.lexsort((h.order_day, h.order_key))
    raw_order = np.lexsort((raw.order_day, raw.order_key))
    assert np.array_equal(h.order_key[order], raw.order_key[raw_order])
    assert np.allclose(h.order_day[order], raw.order_day[raw_order], rtol=0, atol=1e-6)
    assert np.allclose(h.order_amount[order], raw.order_amount[raw_order])
    day = day_number(AT)
    for at in (day, day - HORIZON_DAYS, day - 2 * HORIZON_DAYS):  # today, hold-out, training
        X, active = features(h, at)
        Xr, active_r = features(raw, at)
        assert np.array_equal(active, active_r)
        assert np.allclose(X, Xr, rtol=0, atol=1e-6), [
            n for j, n in enumerate(NAMES) if not np.allclose(X[:, j], Xr[:, j], atol=1e-6)]
    # the counts are not trivially zero: some customers had tickets and answered surveys
    X, _ = features(h, day - HORIZON_DAYS)
    assert X[:, NAMES.index("tickets_90")].max() >= 1
    assert X[:, NAMES.index("csat_missing")].min() == 0


def test_orders_in_a_currency_without_rate_are_left_out_and_counted(
        database: Database) -> None:
    biz = seed_business(database, customers=30)
    with database.transaction() as s:
        s.add(Order(contact_id=biz.contacts[0], ordered_at=AT - timedelta(days=3),
                    currency="XTS", total=12, status="paid"))
    with database.transaction() as s:
        loaded = load_history(s, currency="USD", base=None, at=AT)
    assert loaded.skipped_orders == 1
    assert np.isfinite(loaded.history.order_amount).all()


def test_coded_reasons_say_what_the_per_row_explanation_says() -> None:
    rng = np.random.default_rng(3)
    X = rng.normal(size=(400, len(NAMES)))
    y = (X[:, 0] + 0.5 * X[:, 7] - 0.7 * X[:, 1] + rng.normal(size=400) > 0).astype(int)
    model = churn.fit(X, y, NAMES, seed=0)
    listed = churn.top_factors(model, X, WORDS)
    index, texts = churn.describe(model, churn.factor_codes(model, X), WORDS)
    assert [texts[i] for i in index] == listed
    assert len(texts) < len(listed)  # shared: one list per distinct combination
    assert any(len(r) == 3 for r in listed) and all(len(r) <= 3 for r in listed)
    expected = []  # written out: the features with the largest positive terms, in words
    terms = model.contributions(X)
    for row in range(5):
        words = []
        for j in np.argsort(-terms[row], kind="stable")[:3]:
            if terms[row, j] <= 0.05:
                break
            pair = WORDS[NAMES[j]]
            words.append(pair[0] if X[row, j] > model.mean[j] else pair[1])
        expected.append(words)
    assert listed[:5] == expected


def test_scores_carry_reasons_only_for_active_customers() -> None:
    h = History(keys=np.arange(3), order_key=np.array([0, 1, 1, 2]),
                order_day=np.array([10.0, 300.0, 390.0, 395.0]),
                order_amount=np.ones(4))
    risk, reasons = score_churn(h, 400.0, None)  # the rules: recent buyers only
    assert np.isnan(risk[0]) and reasons.of(0) == []
    assert 0 <= risk[1] <= 1 and reasons.texts[0] == []


@pytest.mark.parametrize("database", ["postgresql"], indirect=True)
def test_tables_never_analysed_are_analysed_first(database: Database) -> None:
    with database.transaction() as s:
        s.execute(text("CREATE TABLE intel_probe (n integer)"))
        s.execute(text("INSERT INTO intel_probe SELECT generate_series(1, 500)"))
    try:
        with database.transaction() as s:
            before = s.execute(text("SELECT reltuples FROM pg_class WHERE relname = "
                                    "'intel_probe'")).scalar()
            done = analyse_if_never_analysed(s, ("intel_probe", "no_such_table"))
            after = s.execute(text("SELECT reltuples FROM pg_class WHERE relname = "
                                   "'intel_probe'")).scalar()
            stats = s.execute(text("SELECT count(*) FROM pg_stats WHERE tablename = "
                                   "'intel_probe'")).scalar()
        assert before == -1  # never analysed: the planner has to guess
        assert done == ["intel_probe"]
        assert after == 500 and stats == 1
    finally:
        with database.transaction() as s:
            s.execute(text("DROP TABLE intel_probe"))


@pytest.mark.parametrize("database", ["sqlite"], indirect=True)
def test_sqlite_has_nothing_to_analyse(database: Database) -> None:
    with database.transaction() as s:
        assert analyse_if_never_analysed(s) == []
