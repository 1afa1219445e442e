"""Deals for forecast and statistics tests, written as rows (what the deals service stores:
the deal, its status copied from the stage kind, and its stage history) at controlled times."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from amity.core.clock import set_clock
from amity.deals.models import Deal, DealStageChange, Pipeline, Stage


def at(day: str, hour: int = 0, minute: int = 0) -> datetime:
    """'2026-01-05' -> 2026-01-05T<hour>:<minute> UTC."""
    d = date.fromisoformat(day)
    return datetime(d.year, d.month, d.day, hour, minute, tzinfo=UTC)


class Clock:
    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> Iterator[Clock]:
    c = Clock(at("2026-05-15", 12))
    set_clock(c)
    yield c
    set_clock(None)


def default_stages(s: Session) -> dict[str, Stage]:
    """The seeded pipeline's stages by name (Qualification 10% ... Won, Lost)."""
    pipeline = s.scalar(select(Pipeline).where(Pipeline.is_default.is_(True)))
    assert pipeline is not None
    return {st.name: st for st in pipeline.stages}


def add_deal(s: Session, stage: Stage, amount: str, currency: str = "EUR", *,
             owner_id: uuid.UUID | None = None, close: str | None = None,
             closed_at: datetime | None = None, category: str | None = None,
             probability: int | None = None, created_at: datetime | None = None,
             source: str | None = None, deleted: bool = False) -> Deal:
    """A deal in ``stage``, created (and entering the stage) at ``created_at``."""
    created = created_at or at("2026-01-01")
    closed = closed_at if stage.kind != "open" else None
    if stage.kind != "open" and closed is None:
        closed = created
    deal = Deal(id=uuid.uuid4(), name=f"Deal {uuid.uuid4().hex[:6]}", sort_name="deal",
                amount=Decimal(amount), currency=currency, pipeline_id=stage.pipeline_id,
                stage_id=stage.id, status=stage.kind,
                probability=stage.probability if probability is None else probability,
                forecast_category=category, owner_id=owner_id, source=source,
                expected_close_date=date.fromisoformat(close) if close else None,
                closed_at=closed, created_at=created, updated_at=created,
                stage_entered_at=created, last_activity_at=created, custom_fields={},
                deleted_at=created if deleted else None)
    s.add(deal)
    s.flush()
    s.add(DealStageChange(deal_id=deal.id, from_stage_id=None, to_stage_id=stage.id,
                          from_pipeline_id=None, to_pipeline_id=stage.pipeline_id,
                          changed_at=created))
    return deal


def move(s: Session, deal: Deal, stage: Stage, when: datetime) -> None:
    """Record a move as the deals service does (history row, status, closed_at)."""
    s.add(DealStageChange(deal_id=deal.id, from_stage_id=deal.stage_id, to_stage_id=stage.id,
                          from_pipeline_id=deal.pipeline_id, to_pipeline_id=stage.pipeline_id,
                          changed_at=when))
    deal.stage_id, deal.status, deal.stage_entered_at = stage.id, stage.kind, when
    deal.closed_at = when if stage.kind != "open" else None
    s.flush()


def money(rows: list[dict[str, Any]], *keys: str) -> dict[tuple[Any, ...], dict[str, str]]:
    """Forecast rows by (period, currency) -> the named amounts, as JSON strings."""
    return {(r["period"], r["currency"]): {k: r[k] for k in keys} for r in rows}
