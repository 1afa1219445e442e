"""Finding the stored deal a row of a deal import describes, so a re-import updates or skips
instead of adding the deal twice.

Deals carry no id from the system they came from, so a row and a deal are the same when they
have the same name (case, accents and spacing aside: the folded ``sort_name``), the same
pipeline (the default one when the row names none) and the same party: the row's contact, or
its company when it names no contact, or neither. The oldest live deal the importer can see
wins. The match policy is the import's (``update_empty``: fill what the deal leaves empty;
``overwrite``: replace what differs; ``skip``; ``create``: no matching at all). An update goes
through ``deals.service.update_deal`` and keeps the previous values, so rolling the import
back puts them back. Stage moves are not made by an import (they go through the board).
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from amity.auth.access import Permission, scope_for, scoped
from amity.auth.models import User
from amity.core.text import fold
from amity.dataio import record_custom
from amity.deals import service as deals
from amity.deals.models import Deal
from amity.deals.schemas import DealUpdate

# what a re-import may change on a stored deal
FIELDS = ("amount", "currency", "expected_close_date", "probability", "source", "campaign",
          "next_step", "description")


def _party(contact_id: Any, company_id: Any) -> str:
    if contact_id:
        return f"c:{contact_id}"
    return f"o:{company_id}" if company_id else "-"


def ident(values: dict[str, Any], default_pipeline: uuid.UUID | None) -> str | None:
    """The matching key of a row (None without a name)."""
    name = fold(values.get("name"))[:300]
    if not name:
        return None
    pipeline = values.get("pipeline_id") or default_pipeline
    return f"{name}\x1f{pipeline}\x1f{_party(values.get('contact_id'), values.get('company_id'))}"


def find(db: Session, actor: User, keys: set[str]) -> dict[str, Deal]:
    """The stored deals with these keys that ``actor`` may see, oldest first (one query)."""
    names = {k.split("\x1f", 1)[0] for k in keys}
    if not names:
        return {}
    stmt = scoped(db, select(Deal).where(Deal.sort_name.in_(names), Deal.deleted_at.is_(None)),
                  actor, Deal, Permission.DEALS_VIEW).order_by(Deal.created_at, Deal.id)
    out: dict[str, Deal] = {}
    for d in db.scalars(stmt):
        parties = [p for p in (_party(d.contact_id, None), _party(None, d.company_id))
                   if p != "-"] or ["-"]
        for party in parties:
            key = f"{d.sort_name}\x1f{d.pipeline_id}\x1f{party}"
            if key in keys:
                out.setdefault(key, d)
    return out


def editable(db: Session, actor: User, found: dict[str, Deal]) -> set[uuid.UUID]:
    """Which of the found deals ``actor`` may change."""
    ids = {d.id for d in found.values()}
    if not ids or scope_for(actor, Permission.DEALS_EDIT) == "none":
        return set()
    stmt = scoped(db, select(Deal.id).where(Deal.id.in_(ids)), actor, Deal,
                  Permission.DEALS_EDIT)
    return set(db.scalars(stmt))


def _json(v: Any) -> Any:
    if isinstance(v, Decimal):
        return str(v)
    if isinstance(v, date | datetime):
        return v.isoformat()
    return v


def _empty(deal: Deal, key: str, current: Any) -> bool:
    if key == "amount":
        return not current
    if key == "probability":
        return not deal.probability_overridden
    return current in (None, "")


def changes(deal: Deal, values: dict[str, Any], *,
            overwrite: bool) -> tuple[dict[str, Any], dict[str, Any]]:
    """What the row would change on ``deal`` and what those fields hold now (JSON-ready)."""
    new: dict[str, Any] = {}
    old: dict[str, Any] = {}
    for key in FIELDS:
        if values.get(key) is None:
            continue
        current, value = getattr(deal, key), values[key]
        if key == "amount":
            value = Decimal(value).quantize(deals.CENT)
        if current == value:  # a probability equal to the stage's stays the stage's
            continue
        if overwrite or _empty(deal, key, current):
            new[key] = _json(value)
            old[key] = None if key == "probability" and not deal.probability_overridden \
                else _json(current)
    record_custom.changes(deal.custom_fields, values.get("custom_fields"), overwrite=overwrite,
                          new=new, old=old)
    return new, old


def apply(db: Session, *, deal: Deal, values: dict[str, Any], actor: User) -> Deal:
    """Write ``values`` (``changes`` or the previous values kept for a rollback)."""
    return deals.update_deal(db, deal=deal, data=DealUpdate.model_validate(values),
                             actor=actor)
