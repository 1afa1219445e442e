"""Deal scoring features, as of the day each deal closed (closed deals) or today (open ones).

Everything a deal is described by is read before that moment only, so a closed deal's row is
what the model would have seen just before the outcome: the last open stage it was in (its
default probability), its amount, its age, how many activities were logged on it in the
``ACTIVITY_DAYS`` before, how often its contact was in touch in the ``ENGAGEMENT_DAYS``
before, the contact's rule-based lead score then, the owner's win rate on deals closed
before, and its source (the most common ones, one column each).
"""

from __future__ import annotations

import uuid
from bisect import bisect_left
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np
from numpy.typing import NDArray
from sqlalchemy import select
from sqlalchemy.orm import Session

from amity.activities.models import Interaction, InteractionParticipant
from amity.deals.models import Deal, DealStageChange, Stage
from amity.intelligence.data import day_number
from amity.scoring.models import ScoreEntry

ACTIVITY_DAYS = 30
ENGAGEMENT_DAYS = 90
MAX_SOURCES = 5  # the most common sources get a column each; the rest count as "other"
BASE_NAMES = ["stage_probability", "log_amount", "age_days", "deal_activities",
              "contact_touches", "lead_score", "owner_win_rate"]
# (said when the value is above average, said when below)
WORDS: dict[str, tuple[str, str]] = {
    "stage_probability": ("at a late stage", "at an early stage"),
    "log_amount": ("a large amount", "a small amount"),
    "age_days": ("open for a long time", "recently opened"),
    "deal_activities": (f"much activity logged in the last {ACTIVITY_DAYS} days",
                        f"little activity logged in the last {ACTIVITY_DAYS} days"),
    "contact_touches": (f"the contact is often in touch (last {ENGAGEMENT_DAYS} days)",
                        f"the contact is rarely in touch (last {ENGAGEMENT_DAYS} days)"),
    "lead_score": ("a high lead score", "a low lead score"),
    "owner_win_rate": ("the owner wins often", "the owner's win rate is low"),
}

Array = NDArray[np.float64]


@dataclass
class DealRows:
    ids: list[uuid.UUID]
    X: Array  # one row per deal, columns named ``names``
    names: list[str]
    won: NDArray[np.int64]  # 1 won, 0 lost, -1 still open
    closed_day: Array  # NaN for open deals
    stage_probability: Array  # the current stage's default, 0-1 (the rule-based fallback)
    stage_names: list[str]


def _by_key(rows: list[Any]) -> dict[Any, list[float]]:
    out: dict[Any, list[float]] = defaultdict(list)
    for key, when in rows:
        out[key].append(day_number(when))
    for days in out.values():
        days.sort()
    return out


def _count_between(days: list[float] | None, lo: float, hi: float) -> int:
    if not days:
        return 0
    return bisect_left(days, hi) - bisect_left(days, lo)


def _sources(values: list[str | None], keep: list[str] | None) -> list[str]:
    if keep is not None:
        return keep
    counts: dict[str, int] = defaultdict(int)
    for v in values:
        if v:
            counts[v] += 1
    return sorted(counts, key=lambda s: (-counts[s], s))[:MAX_SOURCES]


def load_deals(db: Session, *, at: datetime, sources: list[str] | None = None) -> DealRows:
    """Every live won, lost and open deal with its features; ``sources`` fixes the source
    columns (a fitted model's), else the most common sources are chosen."""
    now_day = day_number(at)
    deals = list(db.execute(
        select(Deal.id, Deal.status, Deal.stage_id, Deal.pipeline_id, Deal.amount,
               Deal.created_at, Deal.closed_at, Deal.source, Deal.owner_id, Deal.contact_id)
        .where(Deal.deleted_at.is_(None), Deal.created_at < at,
               Deal.status.in_(("open", "won", "lost")))
        .order_by(Deal.created_at, Deal.id)).all())
    stages = {s.id: s for s in db.scalars(select(Stage))}
    first_open: dict[uuid.UUID, Stage] = {}
    for s in sorted(stages.values(), key=lambda s: s.position):
        if s.kind == "open":
            first_open.setdefault(s.pipeline_id, s)
    changes: dict[uuid.UUID, list[tuple[float, uuid.UUID]]] = defaultdict(list)
    for deal_id, to_stage, when in db.execute(
            select(DealStageChange.deal_id, DealStageChange.to_stage_id,
                   DealStageChange.changed_at).order_by(DealStageChange.changed_at)):
        changes[deal_id].append((day_number(when), to_stage))
    activity = _by_key(list(db.execute(
        select(Interaction.deal_id, Interaction.occurred_at)
        .where(Interaction.deal_id.is_not(None), Interaction.deleted_at.is_(None)))))
    touches = _by_key(list(db.execute(
        select(InteractionParticipant.contact_id, Interaction.occurred_at)
        .join(Interaction, Interaction.id == InteractionParticipant.interaction_id)
        .where(InteractionParticipant.contact_id.is_not(None),
               Interaction.deleted_at.is_(None)))))
    points: dict[uuid.UUID, list[tuple[float, int]]] = defaultdict(list)
    for contact_id, when, pts in db.execute(
            select(ScoreEntry.contact_id, ScoreEntry.occurred_at, ScoreEntry.points)
            .order_by(ScoreEntry.occurred_at)):
        points[contact_id].append((day_number(when), int(pts)))
    # each owner's closed deals in time order, for the win rate before a given day
    owner_closes: dict[Any, list[tuple[float, int]]] = defaultdict(list)
    for d in deals:
        if d.status != "open" and d.closed_at is not None and d.owner_id is not None:
            owner_closes[d.owner_id].append((day_number(d.closed_at), int(d.status == "won")))
    owner_days: dict[Any, list[float]] = {}
    owner_wins: dict[Any, list[int]] = {}
    for owner, closes in owner_closes.items():
        closes.sort()
        owner_days[owner] = [c[0] for c in closes]
        owner_wins[owner] = list(np.cumsum([0] + [c[1] for c in closes]))
    keep = _sources([d.source for d in deals], sources)
    rows: list[list[float]] = []
    won, closed_day, current_p, stage_names = [], [], [], []
    for d in deals:
        is_open = d.status == "open" or d.closed_at is None
        t = now_day if is_open else day_number(d.closed_at)
        stage = stages.get(d.stage_id)
        if not is_open:  # the last open stage it was in before the outcome
            last = [s for day, s in changes.get(d.id, []) if day <= t
                    and s in stages and stages[s].kind == "open"]
            stage = stages[last[-1]] if last else first_open.get(d.pipeline_id, stage)
        p = (stage.probability if stage is not None else 0) / 100.0
        k = bisect_left(owner_days.get(d.owner_id, []), t)
        wins = owner_wins[d.owner_id][k] if d.owner_id in owner_wins else 0
        score = sum(pts for day, pts in points.get(d.contact_id, []) if day < t) \
            if d.contact_id is not None else 0
        rows.append([
            p, float(np.log1p(max(float(d.amount or 0), 0.0))),
            max(t - day_number(d.created_at), 0.0),
            float(_count_between(activity.get(d.id), t - ACTIVITY_DAYS, t)),
            float(_count_between(touches.get(d.contact_id), t - ENGAGEMENT_DAYS, t)),
            float(score), (wins + 1.0) / (k + 2.0),  # smoothed: 50% with no history or no owner
            *[1.0 if d.source == s else 0.0 for s in keep]])
        won.append(-1 if is_open else int(d.status == "won"))
        closed_day.append(np.nan if is_open else t)
        here = stages.get(d.stage_id)
        current_p.append((here.probability if here is not None else 0) / 100.0)
        stage_names.append(here.name if here is not None else "")
    names = BASE_NAMES + [f"source:{s}" for s in keep]
    X = np.asarray(rows, dtype=np.float64).reshape(len(rows), len(names))
    return DealRows([d.id for d in deals], X, names, np.asarray(won, dtype=np.int64),
                    np.asarray(closed_day, dtype=np.float64),
                    np.asarray(current_p, dtype=np.float64), stage_names)
