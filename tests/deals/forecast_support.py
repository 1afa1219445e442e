"""Deals for forecast and statistics tests at controlled times: through the deals API (``Api``),
or written as rows (``add_deal``: the deal, its status copied from the stage kind, its first
stage-history row) where a test needs many deals or a creation time in the past."""

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


def money(rows: list[dict[str, Any]], *keys: str) -> dict[tuple[Any, ...], dict[str, str]]:
    """Forecast rows by (period, currency) -> the named amounts, as JSON strings."""
    return {(r["period"], r["currency"]): {k: r[k] for k in keys} for r in rows}


class Api:
    """Deals made and moved through the deals API at controlled times (the services record
    status, closing time and stage history themselves)."""

    def __init__(self, client: Any, clock: Clock) -> None:
        self.client, self.clock = client, clock
        r = client.get("/api/v1/pipelines")
        assert r.status_code == 200, r.text
        default = next(p for p in r.json() if p["is_default"])
        self.stages: dict[str, str] = {s["name"]: s["id"] for s in default["stages"]}

    def deal(self, stage: str, amount: str, currency: str = "EUR", *, when: datetime,
             **fields: Any) -> str:
        self.clock.now = when
        if stage == "Lost":
            fields.setdefault("lost_reason_text", "Price")
        r = self.client.post("/api/v1/deals", json={
            "name": f"Deal {uuid.uuid4().hex[:6]}", "stage_id": self.stages[stage],
            "amount": amount, "currency": currency, **fields})
        assert r.status_code == 201, r.text
        return str(r.json()["id"])

    def move(self, deal_id: str, stage: str, when: datetime) -> None:
        self.clock.now = when
        body: dict[str, Any] = {"stage_id": self.stages[stage]}
        if stage == "Lost":
            body["lost_reason_text"] = "Price"
        r = self.client.post(f"/api/v1/deals/{deal_id}/move", json=body)
        assert r.status_code == 200, r.text

    def delete(self, deal_id: str) -> None:
        assert self.client.delete(f"/api/v1/deals/{deal_id}").status_code == 204
