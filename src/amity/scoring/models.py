"""Scoring rules, the scoring settings, each contact's score and its history.

A behaviour rule awards points for something the contact did (a page view, a download, an
email opened, a meeting ...), once per source row (``score_entries`` is unique on contact,
rule and source), optionally capped per period and decaying with age. A profile rule awards
points while a field of the contact matches. ``contact_scores`` keeps the current total and
whether the contact is above the hot threshold, so a crossing is noticed exactly once.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, UniqueConstraint, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from amity.activities.outreach_models import WebEvent
from amity.core.clock import now
from amity.core.db import Base, JSONType
from amity.core.mixins import SoftDelete, Timestamps, UUIDPk, Versioned

RULE_KINDS = ("behaviour", "profile")
BEHAVIOURS = ("page_view", "download", "form_submit", "email_open", "email_click",
              "unsubscribe", "inbound_email", "meeting", "call", "chat", "visit")
BEHAVIOUR_FIELDS = ("url", "title", "subject", "outcome")
PROFILE_FIELDS = ("job_title", "department", "lifecycle_stage", "source", "language",
                  "company_size", "company_industry")
OPERATORS = ("contains", "not_contains", "equals", "not_equals", "gt", "gte", "lt", "lte")
DECAYS = ("none", "half_life", "expire")


class ScoringRule(UUIDPk, Timestamps, Versioned, SoftDelete, Base):
    __tablename__ = "scoring_rules"

    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(12))
    behaviour: Mapped[str | None] = mapped_column(String(20))  # behaviour rules
    field: Mapped[str | None] = mapped_column(String(40))  # filter (behaviour) or profile field
    operator: Mapped[str | None] = mapped_column(String(16))
    value: Mapped[str | None] = mapped_column(String(500))
    points: Mapped[int] = mapped_column(Integer)
    cap_points: Mapped[int | None] = mapped_column(Integer)
    cap_period_days: Mapped[int | None] = mapped_column(Integer)
    decay: Mapped[str] = mapped_column(String(12), default="none")
    decay_days: Mapped[int | None] = mapped_column(Integer)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)


class ScoringSettings(UUIDPk, Timestamps, Versioned, Base):
    """One row: the hot threshold and who is alerted when a contact has no owner."""

    __tablename__ = "scoring_settings"

    threshold: Mapped[int] = mapped_column(Integer, default=50)
    fallback_user_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"))
    alert_enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    # web events received up to here have been scanned (they are not in the events outbox)
    web_cursor: Mapped[datetime | None] = mapped_column(default=None)


class ContactScore(Base):
    __tablename__ = "contact_scores"

    contact_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("contacts.id", ondelete="CASCADE"), primary_key=True)
    score: Mapped[int] = mapped_column(Integer, default=0, index=True)
    behaviour_points: Mapped[int] = mapped_column(Integer, default=0)
    profile_points: Mapped[int] = mapped_column(Integer, default=0)
    # profile rules matching now: rule id -> points (their entries are written on change)
    profile: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    hot: Mapped[bool] = mapped_column(Boolean, default=False)
    crossings: Mapped[int] = mapped_column(Integer, default=0)
    hot_since: Mapped[datetime | None] = mapped_column(default=None)
    computed_at: Mapped[datetime] = mapped_column(default=now)
    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)

    __mapper_args__ = {"version_id_col": version}


class ScoreEntry(UUIDPk, Base):
    """One change of a contact's score: which rule, how many points, caused by what, when."""

    __tablename__ = "score_entries"
    __table_args__ = (
        UniqueConstraint("contact_id", "rule_id", "source_key"),
        Index("ix_score_entries_contact_occurred", "contact_id", "occurred_at"),
    )

    contact_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"))
    rule_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("scoring_rules.id", ondelete="SET NULL"))
    rule_name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(12))  # behaviour or profile
    source_type: Mapped[str] = mapped_column(String(20))  # web_event, interaction, consent ...
    source_id: Mapped[uuid.UUID | None] = mapped_column(Uuid())
    source_key: Mapped[str] = mapped_column(String(120))
    points: Mapped[int] = mapped_column(Integer)  # awarded (after the cap)
    capped: Mapped[bool] = mapped_column(Boolean, default=False)
    occurred_at: Mapped[datetime] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=now)


# Web events reach scoring by a scan of what arrived since the last one (they are too many
# for the events outbox): the scan reads web_events by arrival time.
Index("ix_web_events_received_at", WebEvent.received_at)
