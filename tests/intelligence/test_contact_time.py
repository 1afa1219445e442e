"""Best time to contact: the population prior when a contact's own history is thin, their
own pattern once they have one, the neighbouring-hours blur, and the helper sequences use."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pytest
from sqlalchemy import select, text

from amity.activities.models import Interaction, InteractionParticipant
from amity.contacts.models import Contact
from amity.core.db import Database
from amity.intelligence import contact_time, queries
from amity.intelligence.models import CustomerPrediction
from tests.intelligence.conftest import seed_business

MON_9 = 9
TUE_20 = 24 + 20


def test_thin_history_follows_the_population_and_rich_history_its_own() -> None:
    # contacts 0-49 answer on Monday at 9 (50 responses each build the population's habit);
    # contact 50 answered once on Tuesday at 20; contact 51 twenty times on Tuesday at 20
    keys = np.r_[np.repeat(np.arange(50), 5), [50], np.full(20, 51)]
    hours = np.r_[np.full(250, MON_9), [TUE_20], np.full(20, TUE_20)]
    best, rate, totals = contact_time.best_hours(keys.astype(np.int64),
                                                 hours.astype(np.int64), 52)
    assert best[0] == MON_9 and best[50] == MON_9 and totals[50] == 1  # one reply is not enough
    assert best[51] == TUE_20 and totals[51] == 20
    assert 0 < rate[50] < rate[51] <= 1


def test_neighbouring_hours_share_the_evidence() -> None:
    # 4 replies in each of 8:00, 9:00, 10:00 outweigh 5 isolated ones at 15:00
    keys = np.zeros(17, dtype=np.int64)
    hours = np.r_[np.full(4, 8), np.full(4, 9), np.full(4, 10), np.full(5, 15)]
    best, _, _ = contact_time.best_hours(keys, hours.astype(np.int64), 1)
    assert best[0] == 9
    # Sunday 23:00 and Monday 00:00 are neighbours: together they beat Monday noon
    hours = np.r_[np.full(4, 167), np.full(4, 0), np.full(5, 12)]
    wrap, _, _ = contact_time.best_hours(np.zeros(13, dtype=np.int64),
                                         hours.astype(np.int64), 1)
    assert wrap[0] in (167, 0)


def test_describe_and_next_send_time(database: Database) -> None:
    assert contact_time.describe(MON_9) == "Monday 09:00-10:00 UTC"
    assert contact_time.describe(167) == "Sunday 23:00-00:00 UTC"
    biz = seed_business(database, customers=30, days=200)
    with database.transaction() as s:
        updated = contact_time.refresh(s, days=100_000)
    assert updated == 30
    with database.transaction(write=False) as s:
        rows = {p.contact_id: p for p in s.scalars(select(CustomerPrediction))}
        even = rows[biz.contacts[0]]  # the seeded even customers reply at 9:00 UTC
        assert even.contact_hour is not None and even.contact_hour % 24 == 9
        assert even.contact_hour_basis == "population"  # a handful of replies only
        wednesday = datetime(2026, 6, 3, 12, tzinfo=UTC)
        nxt = queries.next_contact_time(s, biz.contacts[0], wednesday)
        assert nxt >= wednesday and nxt.hour == 9 and (nxt - wednesday).days < 7
        assert nxt.weekday() * 24 + nxt.hour == even.contact_hour
        inside = datetime(2026, 6, 1, 9, 30, tzinfo=UTC) if even.contact_hour == 9 else nxt
        assert queries.next_contact_time(s, biz.contacts[0], inside) == inside


def test_refresh_reads_more_responding_contacts_than_a_statement_has_parameters(
        database: Database) -> None:
    """70,000 contacts answered: their ids once went into one statement as parameters, which
    PostgreSQL refuses past 65,535 (the scheduled job failed at a million contacts). A
    deleted contact's answers still count for nobody."""
    if database.engine.dialect.name != "postgresql":
        pytest.skip("the parameter limit is PostgreSQL's; SQLite's tests run the same query")
    at = datetime(2026, 6, 1, 9, 30, tzinfo=UTC)  # a Monday, 9:00-10:00
    with database.transaction() as s:
        base = Contact(first_name="Answer", last_name="Er")
        s.add(base)
        s.flush()
        inter = Interaction(channel="email", direction="inbound", subject="Re: hello",
                            occurred_at=at)
        s.add(inter)
        s.flush()
        s.add(InteractionParticipant(interaction_id=inter.id, contact_id=base.id, role="from",
                                     position=0, occurred_at=at, channel="email",
                                     direction="inbound"))
        s.flush()
        # clone the contact and its part in the interaction for 70,000 more contacts
        s.execute(text("CREATE TEMP TABLE more AS SELECT gen_random_uuid() AS id "
                       "FROM generate_series(1, 70000)"))
        cols = [c.name for c in Contact.__table__.columns if c.name != "id"]
        s.execute(text(f"INSERT INTO contacts (id, {', '.join(cols)}) SELECT m.id, "
                       f"{', '.join('c.' + c for c in cols)} FROM more m, contacts c "
                       "WHERE c.id = :base"), {"base": base.id})
        pcols = [c.name for c in InteractionParticipant.__table__.columns
                 if c.name not in ("id", "contact_id")]
        s.execute(text(f"INSERT INTO interaction_participants (id, contact_id, "
                       f"{', '.join(pcols)}) SELECT gen_random_uuid(), m.id, "
                       f"{', '.join('p.' + c for c in pcols)} FROM more m, "
                       "interaction_participants p WHERE p.contact_id = :base"),
                  {"base": base.id})
        s.execute(text("UPDATE contacts SET deleted_at = now() WHERE id = :base"),
                  {"base": base.id})
    with database.transaction() as s:
        updated = contact_time.refresh(s, days=100_000)
    assert updated == 70_000
    with database.transaction(write=False) as s:
        hours = dict(s.execute(select(CustomerPrediction.contact_id,
                                      CustomerPrediction.contact_hour)).all())
    assert len(hours) == 70_000 and base.id not in hours
    assert set(hours.values()) == {MON_9}
