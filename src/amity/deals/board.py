"""The Kanban board of one pipeline: its live stages in order, each with the number of deals,
the sums per currency (amount and weighted amount) and the first deals by rank.

Three statements whatever the size of the pipeline: one aggregate, one page query (a UNION ALL
of one index-ordered, limited select per stage: the same plan on SQLite and PostgreSQL, each
part reading only its first rows of ``ix_deals_board``), and one for the names of the contacts
and companies shown (only those the reader may see).
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from datetime import datetime
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

from sqlalchemy import BigInteger, String, func, literal, select, type_coerce, union_all
from sqlalchemy.orm import Session

from amity.auth.models import User
from amity.companies.models import Company
from amity.contacts.models import Contact, ContactEmail
from amity.core.clock import now
from amity.deals.models import Deal, Pipeline, Stage
from amity.deals.queries import Visible, rank_cursor, stalled_condition
from amity.deals.schemas import BoardCard, BoardColumn, BoardRead, CurrencyTotal, StageRead

CENT = Decimal("0.01")
BOARD_LIMIT_DEFAULT, BOARD_LIMIT_MAX = 25, 100


def _totals(db: Session, pipeline_id: uuid.UUID, visible: Visible,
            owner_id: uuid.UUID | None) -> dict[uuid.UUID, tuple[int, list[CurrencyTotal]]]:
    """Per stage: deal count and per-currency sums. Grouping by probability too keeps the
    weighted sum exact: SQL sums integers of cents, Python multiplies by the probability."""
    stmt = (select(Deal.stage_id, Deal.currency, Deal.probability, func.count(),
                   func.sum(type_coerce(Deal.amount, BigInteger)))
            .where(Deal.pipeline_id == pipeline_id, Deal.deleted_at.is_(None))
            .group_by(Deal.stage_id, Deal.currency, Deal.probability))
    if owner_id is not None:
        stmt = stmt.where(Deal.owner_id == owner_id)
    counts: dict[uuid.UUID, int] = defaultdict(int)
    sums: dict[uuid.UUID, dict[str, list[Decimal]]] = defaultdict(dict)
    for stage_id, currency, probability, n, cents in db.execute(visible(stmt)):
        counts[stage_id] += int(n)
        amount = Decimal(int(cents)).scaleb(-2)
        acc = sums[stage_id].setdefault(currency, [Decimal(0), Decimal(0)])
        acc[0] += amount
        acc[1] += amount * probability / 100
    out = {}
    for stage_id, n in counts.items():
        totals = [CurrencyTotal(currency=c, amount=a.quantize(CENT),
                                weighted_amount=w.quantize(CENT, rounding=ROUND_HALF_EVEN))
                  for c, (a, w) in sorted(sums[stage_id].items())]
        out[stage_id] = (n, totals)
    return out


def _pages(db: Session, pipeline_id: uuid.UUID, stages: list[Stage], visible: Visible,
           owner_id: uuid.UUID | None, limit: int, at: datetime) -> list[Any]:
    """The first ``limit + 1`` deals of every stage by (rank, id), in one statement."""
    parts = []
    for stage in stages:
        one = (select(Deal.id, Deal.version, Deal.name, Deal.amount, Deal.currency,
                      Deal.probability, Deal.rank, Deal.status, Deal.owner_id,
                      User.name.label("owner_name"), Deal.contact_id, Deal.company_id,
                      Deal.expected_close_date, Deal.stage_id,
                      stalled_condition(db, at).label("stalled"))
               .join(Stage, Stage.id == Deal.stage_id)
               .outerjoin(User, User.id == Deal.owner_id)
               .where(Deal.pipeline_id == pipeline_id, Deal.stage_id == stage.id,
                      Deal.deleted_at.is_(None)))
        if owner_id is not None:
            one = one.where(Deal.owner_id == owner_id)
        parts.append(visible(one).order_by(Deal.rank, Deal.id).limit(limit + 1).subquery())
    if not parts:
        return []
    selects = [select(p) for p in parts]
    stmt = selects[0] if len(selects) == 1 else union_all(*selects)
    return list(db.execute(stmt))


def _names(db: Session, contact_ids: set[uuid.UUID], company_ids: set[uuid.UUID],
           visible_contacts: Visible,
           visible_companies: Visible) -> tuple[dict[uuid.UUID, str], dict[uuid.UUID, str]]:
    """Display names of the live contacts and companies the reader may see (one statement);
    a contact's is its name, else its first email."""
    if not contact_ids and not company_ids:
        return {}, {}
    first_email = (select(ContactEmail.email).where(ContactEmail.contact_id == Contact.id)
                   .order_by(ContactEmail.position).limit(1).scalar_subquery())
    people = visible_contacts(
        select(Contact.id, literal("contact").label("kind"), Contact.first_name.label("a"),
               Contact.last_name.label("b"), first_email.label("c"))
        .where(Contact.id.in_(sorted(contact_ids)), Contact.deleted_at.is_(None)))
    firms = visible_companies(
        select(Company.id, literal("company").label("kind"), Company.name.label("a"),
               literal("", String).label("b"), literal(None, String).label("c"))
        .where(Company.id.in_(sorted(company_ids)), Company.deleted_at.is_(None)))
    contacts: dict[uuid.UUID, str] = {}
    companies: dict[uuid.UUID, str] = {}
    for rid, kind, a, b, c in db.execute(union_all(people, firms)):
        if kind == "contact":
            contacts[rid] = f"{a} {b}".strip() or c or "(no name)"
        else:
            companies[rid] = a
    return contacts, companies


def pipeline_board(db: Session, pipeline: Pipeline, *, visible: Visible,
                   visible_contacts: Visible, visible_companies: Visible,
                   owner_id: uuid.UUID | None = None, limit: int = BOARD_LIMIT_DEFAULT,
                   at: datetime | None = None) -> BoardRead:
    """The board as the reader sees it: ``visible`` restricts a select on deals to theirs
    (the access layer's ``scoped``), ``visible_contacts`` / ``visible_companies`` the names
    shown. Each column's ``next_cursor`` continues it through ``GET /deals?sort=rank``."""
    at = at or now()
    stages = sorted((s for s in pipeline.stages if s.archived_at is None),
                    key=lambda s: s.position)
    totals = _totals(db, pipeline.id, visible, owner_id)
    rows = _pages(db, pipeline.id, stages, visible, owner_id, limit, at)
    by_stage: dict[uuid.UUID, list[Any]] = defaultdict(list)
    for row in rows:
        by_stage[row.stage_id].append(row)
    for stage_rows in by_stage.values():
        stage_rows.sort(key=lambda r: (r.rank, r.id))
    shown = [r for stage_rows in by_stage.values() for r in stage_rows[:limit]]
    contacts, companies = _names(db, {r.contact_id for r in shown if r.contact_id},
                                 {r.company_id for r in shown if r.company_id},
                                 visible_contacts, visible_companies)
    columns = []
    for stage in stages:
        stage_rows = by_stage.get(stage.id, [])
        cards = [BoardCard(id=r.id, version=r.version, name=r.name, amount=r.amount,
                           currency=r.currency, probability=r.probability, rank=r.rank,
                           status=r.status, owner_id=r.owner_id, owner_name=r.owner_name,
                           contact_id=r.contact_id, contact_name=contacts.get(r.contact_id),
                           company_id=r.company_id, company_name=companies.get(r.company_id),
                           expected_close_date=r.expected_close_date, stalled=bool(r.stalled))
                 for r in stage_rows[:limit]]
        nxt = rank_cursor(cards[-1].rank, cards[-1].id) if len(stage_rows) > limit else None
        count, money = totals.get(stage.id, (0, []))
        columns.append(BoardColumn(stage=StageRead.model_validate(stage), count=count,
                                   totals=money, deals=cards, next_cursor=nxt))
    return BoardRead(pipeline_id=pipeline.id, pipeline_name=pipeline.name,
                     pipeline_version=pipeline.version, columns=columns)
