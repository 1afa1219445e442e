"""Evaluating a contact: behaviour signals -> awarded entries, profile matches, the total.

``evaluate`` is idempotent: it awards each (rule, source) once (the entries' unique key), so
it can run for any reason, as often as wanted (an event, the web-event scan, the hourly decay
pass, ``amity scoring recompute``). It holds the contact's score row locked while it works, so
two workers evaluating the same contact take turns, and a crossing of the threshold is seen by
exactly one of them: ``contact.score_crossed`` is published once per crossing (up, and again
only after the score fell below and crossed again).
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from amity.activities.models import Interaction, InteractionParticipant
from amity.activities.outreach_models import WebEvent
from amity.companies.models import Company
from amity.contacts.models import Contact, ContactConsent
from amity.core import events
from amity.core.clock import now
from amity.core.db import is_postgres
from amity.core.events import DomainEvent
from amity.scoring.models import ContactScore, ScoreEntry, ScoringRule
from amity.scoring.rules import get_settings, list_rules

LOOKBACK = timedelta(days=365)  # behaviour older than this is not looked at
WEB_BEHAVIOURS = ("page_view", "download", "form_submit", "email_open", "email_click")
CHANNEL_BEHAVIOURS = ("meeting", "call", "chat", "visit")


@dataclass(frozen=True)
class ScoreCrossed(DomainEvent):
    """The contact's score reached the hot threshold (``direction`` up) or fell below it."""

    type = "contact.score_crossed"
    contact_id: uuid.UUID
    score: int = 0
    threshold: int = 0
    direction: str = "up"
    crossing: int = 0  # the n-th upward crossing of this contact


@dataclass(frozen=True)
class Signal:
    behaviour: str
    source_type: str
    source_id: uuid.UUID
    occurred_at: datetime
    fields: dict[str, str | None] = field(default_factory=dict)

    @property
    def key(self) -> str:
        return f"{self.source_type}:{self.source_id}"


def compare(actual: Any, operator: str | None, expected: str | None) -> bool:
    """A rule's test; text is compared case-insensitively, gt/gte/lt/lte as numbers."""
    if operator is None:
        return True
    if operator in ("gt", "gte", "lt", "lte"):
        if actual is None or expected is None:
            return False
        try:
            a, b = float(actual), float(expected)
        except (TypeError, ValueError):
            return False
        return {"gt": a > b, "gte": a >= b, "lt": a < b, "lte": a <= b}[operator]
    text = "" if actual is None else str(actual).casefold()
    want = (expected or "").casefold()
    if operator == "contains":
        return actual is not None and want in text
    if operator == "not_contains":
        return want not in text
    if operator == "equals":
        return actual is not None and text == want
    return text != want  # not_equals


def decayed(points: int, rule: ScoringRule, occurred_at: datetime, at: datetime) -> float:
    """What an award is worth at ``at``: halved every ``decay_days`` or gone after them."""
    if rule.decay == "none" or not rule.decay_days:
        return float(points)
    age_days = max(0.0, (at - occurred_at).total_seconds() / 86400)
    if rule.decay == "expire":
        return float(points) if age_days < rule.decay_days else 0.0
    return float(points * 0.5 ** (age_days / rule.decay_days))


def signals(db: Session, contact_id: uuid.UUID, wanted: set[str], since: datetime
            ) -> list[Signal]:
    """The contact's behaviour since ``since`` of the kinds some rule looks at, oldest first."""
    out: list[Signal] = []
    web = [b for b in WEB_BEHAVIOURS if b in wanted]
    if web:
        for wid, kind, url, title, at in db.execute(
                select(WebEvent.id, WebEvent.type, WebEvent.url, WebEvent.title,
                       WebEvent.occurred_at)
                .where(WebEvent.contact_id == contact_id, WebEvent.occurred_at >= since,
                       WebEvent.type.in_(web))):
            out.append(Signal(kind, "web_event", wid, at, {"url": url, "title": title}))
    channels = [c for c in CHANNEL_BEHAVIOURS if c in wanted]
    if channels or "inbound_email" in wanted:
        rows = db.execute(
            select(Interaction.id, Interaction.channel, Interaction.direction,
                   Interaction.subject, Interaction.outcome, Interaction.occurred_at)
            .join(InteractionParticipant, InteractionParticipant.interaction_id == Interaction.id)
            .where(InteractionParticipant.contact_id == contact_id,
                   InteractionParticipant.active.is_(True),
                   InteractionParticipant.occurred_at >= since,
                   Interaction.deleted_at.is_(None)).distinct())
        for iid, channel, direction, subject, outcome, at in rows:
            what: str | None = ("inbound_email" if channel == "email"
                                and direction == "inbound"
                                else channel if channel in channels else None)
            if what is not None and what in wanted:
                out.append(Signal(what, "interaction", iid, at,
                                  {"subject": subject, "outcome": outcome}))
    if "unsubscribe" in wanted:
        for cid, at in db.execute(
                select(ContactConsent.id, ContactConsent.recorded_at)
                .where(ContactConsent.contact_id == contact_id,
                       ContactConsent.channel == "email", ContactConsent.status == "withdrawn",
                       ContactConsent.recorded_at >= since)):
            out.append(Signal("unsubscribe", "consent", cid, at))
    out.sort(key=lambda s: (s.occurred_at, str(s.source_id)))
    return out


def profile_values(contact: Contact, company: Company | None) -> dict[str, Any]:
    return {"job_title": contact.job_title, "department": contact.department,
            "lifecycle_stage": contact.lifecycle_stage, "source": contact.source,
            "language": contact.language,
            "company_size": company.employee_count if company is not None else None,
            "company_industry": company.industry if company is not None else None}


def _capped(rule: ScoringRule, at: datetime, history: list[tuple[datetime, int]]) -> int:
    """The points the rule may still award at ``at`` under its cap for the period."""
    if rule.cap_points is None or not rule.cap_period_days:
        return rule.points
    start = at - timedelta(days=rule.cap_period_days)
    used = abs(sum(p for t, p in history if start < t <= at))
    room = max(0, rule.cap_points - used)
    size = min(abs(rule.points), room)
    return size if rule.points > 0 else -size


def _locked_score(db: Session, contact_id: uuid.UUID) -> ContactScore:
    ins = postgresql.insert(ContactScore) if is_postgres(db) else sqlite.insert(ContactScore)
    db.execute(ins.values(contact_id=contact_id, score=0, behaviour_points=0, profile_points=0,
                          profile={}, hot=False, crossings=0, computed_at=now(), version=1)
               .on_conflict_do_nothing(index_elements=["contact_id"]))
    row = db.scalar(select(ContactScore).where(ContactScore.contact_id == contact_id)
                    .with_for_update().execution_options(populate_existing=True))
    assert row is not None
    return row


@dataclass
class Outcome:
    score: int
    awarded: int  # new entries
    crossed: str | None  # "up", "down" or None


def behaviour_total(entries: list[ScoreEntry], rules: dict[uuid.UUID, ScoringRule],
                    at: datetime) -> dict[uuid.UUID, float]:
    """Current worth of each live rule's awards (a disabled or deleted rule's count 0)."""
    per_rule: dict[uuid.UUID, float] = defaultdict(float)
    for e in entries:
        rule = rules.get(e.rule_id) if e.rule_id is not None else None
        if rule is not None and e.kind == "behaviour":
            per_rule[rule.id] += decayed(e.points, rule, e.occurred_at, at)
    return per_rule


def evaluate(db: Session, contact_id: uuid.UUID) -> Outcome | None:
    """Bring one contact's score up to date (see the module doc); None if it is gone."""
    contact = db.get(Contact, contact_id)
    if contact is None or contact.deleted_at is not None:
        return None
    row = _locked_score(db, contact_id)
    at = now()
    since = at - LOOKBACK
    rules = list_rules(db, enabled_only=True)
    by_id = {r.id: r for r in rules}
    behaviour_rules = [r for r in rules if r.kind == "behaviour"]
    entries = list(db.scalars(select(ScoreEntry).where(ScoreEntry.contact_id == contact_id,
                                                       ScoreEntry.kind == "behaviour",
                                                       ScoreEntry.occurred_at >= since)))
    seen = {(e.rule_id, e.source_key) for e in entries}
    history: dict[uuid.UUID, list[tuple[datetime, int]]] = defaultdict(list)
    for e in entries:
        if e.rule_id is not None:
            history[e.rule_id].append((e.occurred_at, e.points))
    awarded = 0
    wanted = {r.behaviour for r in behaviour_rules if r.behaviour}
    for sig in signals(db, contact_id, wanted, since) if wanted else []:
        for rule in behaviour_rules:
            if rule.behaviour != sig.behaviour or (rule.id, sig.key) in seen:
                continue
            if rule.field is not None and not compare(sig.fields.get(rule.field),
                                                      rule.operator, rule.value):
                continue
            points = _capped(rule, sig.occurred_at, history[rule.id])
            entry = ScoreEntry(id=uuid.uuid4(), contact_id=contact_id, rule_id=rule.id,
                               rule_name=rule.name, kind="behaviour",
                               source_type=sig.source_type, source_id=sig.source_id,
                               source_key=sig.key, points=points,
                               capped=points != rule.points, occurred_at=sig.occurred_at,
                               created_at=at)
            db.add(entry)
            entries.append(entry)
            seen.add((rule.id, sig.key))
            history[rule.id].append((sig.occurred_at, points))
            awarded += 1
    behaviour = round(sum(behaviour_total(entries, by_id, at).values()))
    company = db.get(Company, contact.company_id) if contact.company_id else None
    values = profile_values(contact, company)
    profile = {str(r.id): r.points for r in rules
               if r.kind == "profile" and r.field is not None
               and compare(values.get(r.field), r.operator, r.value)}
    old = dict(row.profile or {})
    for rid in sorted(set(old) | set(profile)):
        if old.get(rid) == profile.get(rid):
            continue
        delta = profile.get(rid, 0) - int(old.get(rid, 0))
        prule = by_id.get(uuid.UUID(rid))
        db.add(ScoreEntry(id=uuid.uuid4(), contact_id=contact_id,
                          rule_id=prule.id if prule else None,
                          rule_name=prule.name if prule else "(rule removed)", kind="profile",
                          source_type="profile", source_id=contact_id,
                          source_key=f"profile:{at.isoformat()}:{uuid.uuid4().hex[:8]}",
                          points=delta, capped=False, occurred_at=at, created_at=at))
    total = behaviour + sum(profile.values())
    row.behaviour_points, row.profile_points, row.profile = (behaviour, sum(profile.values()),
                                                             profile)
    row.score, row.computed_at = total, at
    crossed = _crossing(db, row, total)
    db.flush()
    return Outcome(score=total, awarded=awarded, crossed=crossed)


def _crossing(db: Session, row: ContactScore, total: int) -> str | None:
    threshold = get_settings(db).threshold
    if total >= threshold and not row.hot:
        row.hot, row.hot_since, row.crossings = True, now(), row.crossings + 1
        events.publish(db, ScoreCrossed(contact_id=row.contact_id, score=total,
                                        threshold=threshold, direction="up",
                                        crossing=row.crossings))
        return "up"
    if total < threshold and row.hot:
        row.hot, row.hot_since = False, None
        events.publish(db, ScoreCrossed(contact_id=row.contact_id, score=total,
                                        threshold=threshold, direction="down",
                                        crossing=row.crossings))
        return "down"
    return None
