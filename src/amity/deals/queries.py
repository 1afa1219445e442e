"""Reading deals: pipelines and lost reasons, filtered keyset lists, stalled deals, stage
history and sales-cycle length. The Kanban board is in ``deals.board``.

A deal is *stalled* when it is open, its stage has ``stall_days``, it has no open task and its
``last_activity_at`` is older than ``stall_days`` before the time asked about. The flag is one
SQL expression (``stalled_condition``), so lists compute it in their own query.
"""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, TypeVar, cast

from sqlalchemy import (
    BigInteger,
    Select,
    and_,
    exists,
    func,
    literal,
    or_,
    select,
    type_coerce,
)
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from amity.activities.models import Task
from amity.core.clock import now
from amity.core.db import UTCDateTime, is_postgres
from amity.core.errors import NotFound, ValidationFailed
from amity.core.pagination import Page, Sort, keyset, page_of
from amity.core.text import fold
from amity.deals.models import Deal, DealContact, DealStageChange, LostReason, Pipeline, Stage
from amity.deals.schemas import DealRead

R = TypeVar("R", bound=DealRead)
AnySelect = Select[*tuple[Any, ...]]
Visible = Callable[[AnySelect], AnySelect]


# -- pipelines, stages, lost reasons ------------------------------------------------------

def list_pipelines(db: Session, *, include_archived: bool = False) -> list[Pipeline]:
    stmt = select(Pipeline).order_by(Pipeline.position, Pipeline.name)
    if not include_archived:
        stmt = stmt.where(Pipeline.archived_at.is_(None))
    return list(db.scalars(stmt))


def get_pipeline(db: Session, pipeline_id: uuid.UUID) -> Pipeline:
    pipeline = db.get(Pipeline, pipeline_id)
    if pipeline is None:
        raise NotFound("pipeline")
    return pipeline


def get_stage(db: Session, stage_id: uuid.UUID) -> Stage:
    stage = db.get(Stage, stage_id)
    if stage is None:
        raise NotFound("stage")
    return stage


def default_pipeline(db: Session) -> Pipeline | None:
    return db.scalar(select(Pipeline).where(Pipeline.is_default.is_(True),
                                            Pipeline.archived_at.is_(None)))


def list_lost_reasons(db: Session, *, include_inactive: bool = False) -> list[LostReason]:
    stmt = select(LostReason).order_by(LostReason.position, LostReason.name)
    if not include_inactive:
        stmt = stmt.where(LostReason.active.is_(True))
    return list(db.scalars(stmt))


def get_lost_reason(db: Session, reason_id: uuid.UUID) -> LostReason:
    reason = db.get(LostReason, reason_id)
    if reason is None:
        raise NotFound("lost_reason")
    return reason


# -- stalled ------------------------------------------------------------------------------

def _days_before(db: Session, at: datetime, days: Any) -> ColumnElement[Any]:
    """``at`` minus ``days`` (a column) whole days, comparable with stored times."""
    moment = literal(at, UTCDateTime())
    if is_postgres(db):
        return cast(ColumnElement[Any], moment - func.make_interval(0, 0, 0, days))
    # SQLite stores 'YYYY-MM-DD HH:MM:SS.ffffff'; this yields the same layout (to the ms)
    return func.strftime("%Y-%m-%d %H:%M:%f", moment, func.printf("-%d days", days))


def has_open_task() -> ColumnElement[bool]:
    return exists().where(Task.deal_id == Deal.id, Task.status == "open",
                          Task.deleted_at.is_(None))


def stalled_condition(db: Session, at: datetime) -> ColumnElement[bool]:
    """True for stalled deals in a select that joins ``Stage`` on ``Deal.stage_id``."""
    return and_(Deal.status == "open", Stage.stall_days.is_not(None),
                Deal.last_activity_at < _days_before(db, at, Stage.stall_days),
                ~has_open_task())


def is_stalled(db: Session, deal_id: uuid.UUID, at: datetime | None = None) -> bool:
    cond = stalled_condition(db, at or now())
    return bool(db.scalar(select(cond).select_from(Deal).join(Stage, Stage.id == Deal.stage_id)
                          .where(Deal.id == deal_id)))


def find_stalled_deals(db: Session, at: datetime) -> list[uuid.UUID]:
    """Ids of the live deals stalled at ``at`` (for a periodic reminder job)."""
    return list(db.scalars(select(Deal.id).join(Stage, Stage.id == Deal.stage_id)
                           .where(Deal.deleted_at.is_(None), stalled_condition(db, at))
                           .order_by(Deal.last_activity_at, Deal.id)))


def _cannot_be_stalled(db: Session, deal: Deal, at: datetime,
                       stage: Stage | None = None) -> bool:
    """True when the deal's own row rules stalling out (closed, a stage that never stalls,
    or activity within the stage's stall days), so no statement is needed. The stage is the
    one given (a move has it), else the session's, else read."""
    if deal.status != "open" or deal.stage_id is None:
        return True
    if stage is None or stage.id != deal.stage_id:
        stage = db.get(Stage, deal.stage_id)
    if stage is None or stage.stall_days is None:
        return True
    return deal.last_activity_at is not None and \
        deal.last_activity_at >= at - timedelta(days=stage.stall_days)


def deal_read(db: Session, deal: Deal, at: datetime | None = None,
              stalled: bool | None = None, stage: Stage | None = None,
              model: type[R] = DealRead, **extra: Any) -> R:  # type: ignore[assignment]
    """The API's view of one deal, its stalled flag computed if not given: from the deal's
    row when that settles it (a deal just moved or touched is not stalled), else by one
    statement that also looks for an open task. ``model`` is DealRead or a subclass of it,
    filled with ``extra`` (validated once)."""
    if stalled is None:
        at = at or now()
        stalled = False if _cannot_be_stalled(db, deal, at, stage) \
            else is_stalled(db, deal.id, at)
    return model.model_validate(deal).model_copy(update={"stalled": stalled, **extra})


# -- the deal list ------------------------------------------------------------------------

@dataclass
class DealFilters:
    """Every filter the deal list offers; each maps to an indexed column or an EXISTS."""

    pipeline_id: uuid.UUID | None = None
    stage_id: uuid.UUID | None = None
    status: str | None = None
    owner_id: uuid.UUID | None = None
    contact_id: uuid.UUID | None = None  # the primary contact or one of the others
    company_id: uuid.UUID | None = None
    source: str | None = None
    campaign: str | None = None
    close_from: date | None = None  # expected close date, inclusive
    close_to: date | None = None
    stalled: bool | None = None
    q: str | None = None
    deleted: str = "exclude"


def _raw_amount() -> Any:
    # Amounts are integers of cents in the database; sorting and cursors use them as such
    return type_coerce(Deal.amount, BigInteger)


SORTS: dict[str, Sort] = {
    "name": Sort("name", Deal.sort_name),
    "-name": Sort("name", Deal.sort_name, descending=True),
    "amount": Sort("amount", _raw_amount()),
    "-amount": Sort("amount", _raw_amount(), descending=True),
    "created_at": Sort("created_at", Deal.created_at),
    "-created_at": Sort("created_at", Deal.created_at, descending=True),
    "updated_at": Sort("updated_at", Deal.updated_at),
    "-updated_at": Sort("updated_at", Deal.updated_at, descending=True),
    "rank": Sort("rank", Deal.rank),
}
DATE_SORTS = {"expected_close_date": False, "-expected_close_date": True}
SORT_KEYS = tuple(SORTS) + tuple(DATE_SORTS)
RANK = SORTS["rank"]


def _sort_value(sort: Sort, deal: Deal) -> Any:
    if sort.name == "amount":
        return int(deal.amount.scaleb(2))
    return getattr(deal, sort.column.key)


def apply_filters(db: Session, stmt: Select[Any], f: DealFilters,
                  at: datetime) -> Select[Any]:
    if f.deleted == "exclude":
        stmt = stmt.where(Deal.deleted_at.is_(None))
    elif f.deleted == "only":
        stmt = stmt.where(Deal.deleted_at.is_not(None))
    for column, value in ((Deal.pipeline_id, f.pipeline_id), (Deal.stage_id, f.stage_id),
                          (Deal.status, f.status), (Deal.owner_id, f.owner_id),
                          (Deal.company_id, f.company_id), (Deal.source, f.source),
                          (Deal.campaign, f.campaign)):
        if value is not None:
            stmt = stmt.where(column == value)
    if f.contact_id is not None:
        stmt = stmt.where(or_(Deal.contact_id == f.contact_id, exists().where(
            DealContact.deal_id == Deal.id, DealContact.contact_id == f.contact_id)))
    if f.close_from is not None:
        stmt = stmt.where(Deal.expected_close_date >= f.close_from)
    if f.close_to is not None:
        stmt = stmt.where(Deal.expected_close_date <= f.close_to)
    if f.q and f.q.strip():
        pattern = "%" + fold(f.q).replace("\\", "\\\\").replace("%", "\\%").replace(
            "_", "\\_") + "%"
        stmt = stmt.where(Deal.sort_name.like(pattern, escape="\\"))
    if f.stalled is not None:
        cond = stalled_condition(db, at)
        stmt = stmt.where(cond if f.stalled else ~cond)
    return stmt


def _encode_date_cursor(descending: bool, value: date | None, row_id: uuid.UUID) -> str:
    raw = json.dumps(["expected_close_date", descending,
                      value.isoformat() if value else None, str(row_id)])
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def _decode_date_cursor(cursor: str, descending: bool) -> tuple[date | None, uuid.UUID]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        name, desc, value, row_id = json.loads(base64.urlsafe_b64decode(padded))
        if name != "expected_close_date" or bool(desc) != descending:
            raise ValueError("cursor belongs to another sort order")
        return (date.fromisoformat(value) if value is not None else None,
                uuid.UUID(str(row_id)))
    except (ValueError, TypeError, AttributeError, json.JSONDecodeError) as exc:
        raise ValidationFailed("cursor.invalid", "The cursor is not valid for this list; "
                               "start again without it", "cursor") from exc


def _date_keyset(stmt: Select[Any], descending: bool, cursor: str | None,
                 limit: int) -> Select[Any]:
    """Keyset on the nullable expected close date: deals without one come last ascending
    and first descending (PostgreSQL's own NULL order, so its index serves both)."""
    col = Deal.expected_close_date
    if cursor:
        value, last = _decode_date_cursor(cursor, descending)
        if not descending:
            after = (and_(col.is_(None), Deal.id > last) if value is None else
                     or_(col > value, and_(col == value, Deal.id > last), col.is_(None)))
        else:
            after = (or_(and_(col.is_(None), Deal.id < last), col.is_not(None))
                     if value is None else or_(col < value, and_(col == value, Deal.id < last)))
        stmt = stmt.where(after)
    order = ((col.desc().nulls_first(), Deal.id.desc()) if descending
             else (col.asc().nulls_last(), Deal.id.asc()))
    return stmt.order_by(*order).limit(limit + 1)


def list_deals(db: Session, base: Select[Any], *, filters: DealFilters, sort: str,
               cursor: str | None, limit: int,
               at: datetime | None = None) -> Page[tuple[Deal, bool]]:
    """One page of (deal, stalled) in a stable order; ``base`` is the caller's access-scoped
    ``select(Deal)``. One statement for the page (stalled included) plus the selectin loads of
    contacts and lines."""
    if sort not in SORT_KEYS:
        raise ValidationFailed("sort.invalid", f"sort must be one of {sorted(SORT_KEYS)}",
                               "sort")
    at = at or now()
    stmt = apply_filters(db, base.join(Stage, Stage.id == Deal.stage_id), filters, at)
    stmt = stmt.add_columns(stalled_condition(db, at).label("stalled"))
    if sort in DATE_SORTS:
        descending = DATE_SORTS[sort]
        rows = db.execute(_date_keyset(stmt, descending, cursor, limit)).all()
        items = [(r[0], bool(r[1])) for r in rows[:limit]]
        nxt = None
        if len(rows) > limit and items:
            last = items[-1][0]
            nxt = _encode_date_cursor(descending, last.expected_close_date, last.id)
        return Page(items=items, next_cursor=nxt)
    s = SORTS[sort]
    rows = db.execute(keyset(stmt, s, Deal.id, cursor, limit)).all()
    flags = {r[0].id: bool(r[1]) for r in rows}
    page = page_of([r[0] for r in rows], s, limit, key=lambda d: _sort_value(s, d))
    return Page(items=[(d, flags[d.id]) for d in page.items], next_cursor=page.next_cursor)


def rank_cursor(deal_rank: float, deal_id: uuid.UUID) -> str:
    """The cursor of ``GET /deals?sort=rank`` continuing after this deal (board columns)."""
    from amity.core.pagination import encode_cursor

    return encode_cursor(RANK, deal_rank, deal_id)


# -- stage history ------------------------------------------------------------------------

@dataclass(frozen=True)
class StageSpell:
    change: DealStageChange
    stage_name: str
    seconds: float


def _in_chain_order(rows: list[tuple[DealStageChange, str]]) -> list[tuple[DealStageChange,
                                                                           str]]:
    """By time; changes made in the same instant follow each other's from/to stages."""
    out: list[tuple[DealStageChange, str]] = []
    pending = sorted(rows, key=lambda r: r[0].changed_at)
    while pending:
        first_at = pending[0][0].changed_at
        tied = [r for r in pending if r[0].changed_at == first_at]
        pending = pending[len(tied):]
        while tied:
            prev = out[-1][0].to_stage_id if out else None
            nxt = next((r for r in tied if r[0].from_stage_id == prev), tied[0])
            tied.remove(nxt)
            out.append(nxt)
    return out


def stage_history(db: Session, deal_id: uuid.UUID,
                  at: datetime | None = None) -> list[StageSpell]:
    """Every stage change of the deal, oldest first, with the time spent in the stage it
    entered: until the next change, or until ``at`` (now) for the current one."""
    at = at or now()
    rows = [(c, name) for c, name in db.execute(
        select(DealStageChange, Stage.name).join(Stage, Stage.id == DealStageChange.to_stage_id)
        .where(DealStageChange.deal_id == deal_id))]
    ordered = _in_chain_order(rows)
    spells = []
    for i, (change, name) in enumerate(ordered):
        end = ordered[i + 1][0].changed_at if i + 1 < len(ordered) else at
        spells.append(StageSpell(change=change, stage_name=name,
                                 seconds=max((end - change.changed_at).total_seconds(), 0.0)))
    return spells


def sales_cycle_seconds(deal: Deal) -> float | None:
    """Seconds from the deal's creation to its closing (won or lost); None while open."""
    if deal.closed_at is None:
        return None
    return max((deal.closed_at - deal.created_at).total_seconds(), 0.0)

