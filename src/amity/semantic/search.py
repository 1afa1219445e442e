"""Finding notes and interactions by meaning, within what the reader may see.

With the model installed and vectors stored, the question is embedded and compared (cosine,
numpy) with the most recent ``scan`` visible vectors of each kind; hits below ``min_score``
are dropped. Otherwise (no package, nothing indexed yet) the keyword fallback matches the
question's words (case-insensitive substrings, small words left out) and ranks by how many
matched. Either way a fixed number of statements runs, whatever the number of hits.
"""

from __future__ import annotations

import re
import uuid
from datetime import datetime
from typing import Any

import numpy as np
from pydantic import BaseModel
from sqlalchemy import (
    ColumnElement,
    Integer,
    String,
    and_,
    case,
    cast,
    false,
    or_,
    select,
    true,
    type_coerce,
)
from sqlalchemy.orm import Session

from amity.activities.models import Interaction, InteractionParticipant
from amity.activities.visibility import interaction_condition
from amity.auth.access import Permission, scope_for, scoped
from amity.auth.models import User
from amity.companies.models import Company
from amity.contacts.models import Contact
from amity.notes.models import Note
from amity.semantic import encoder
from amity.semantic.models import TextEmbedding as E

MAX_QUERY = 200
SCAN = 20_000  # per kind: the most recent vectors compared with the question
MIN_SCORE = 0.3
SNIPPET = 240
_PAGES = {"contact": "contacts", "company": "companies"}
_STOP = ("a an and any are as at be but by did do does for from had has have he her him his how "
         "i in is it its me my of on or our she so that the their them they this to was we were "
         "what when where which who whom why will with you your about mentioned mention said "
         "says anyone someone talked told")
STOP_WORDS = frozenset(_STOP.split(" "))


class SemanticHit(BaseModel):
    kind: str  # note or interaction
    id: uuid.UUID
    score: float | None  # cosine similarity; None in keyword mode
    text: str
    occurred_at: datetime
    about: str | None = None  # the contact or company it belongs to
    url: str | None = None


class SemanticResults(BaseModel):
    q: str
    mode: str  # semantic | keyword
    model: str | None = None
    reason: str | None = None  # why the keyword fallback answered
    hits: list[SemanticHit] = []


def _note_condition(db: Session, user: User) -> ColumnElement[bool]:
    parts: list[ColumnElement[bool]] = []
    for entity, model, perm in (("contact", Contact, Permission.CONTACTS_VIEW),
                                ("company", Company, Permission.COMPANIES_VIEW)):
        if scope_for(user, perm) != "none":
            ids = scoped(db, select(model.id), user, model, perm)
            parts.append(and_(Note.entity_type == entity, Note.entity_id.in_(ids)))
    return or_(*parts) if parts else false()


def _visible(db: Session, user: User | None,
             ) -> dict[str, tuple[Any, ColumnElement[bool], Any]]:
    """Per kind: the model, the reader's scope (everything for the operator's CLI: no user)
    and the text column."""
    if user is None:
        return {"note": (Note, true(), Note.body),
                "interaction": (Interaction, true(), Interaction.body)}
    return {"note": (Note, _note_condition(db, user), Note.body),
            "interaction": (Interaction, interaction_condition(db, user), Interaction.body)}


def _rank(db: Session, user: User | None, q: str, limit: int, min_score: float,
          scan: int) -> list[tuple[str, uuid.UUID, float]] | None:
    """Top hits by cosine similarity, or None when nothing visible has been embedded."""
    query = encoder.encode([q])[0]
    if not np.any(query):
        return []
    found: list[tuple[str, uuid.UUID, float]] = []
    seen = 0
    for kind, (model, visible, _) in _visible(db, user).items():
        # the id as text: only the few hits become UUID objects, not every candidate
        rows = db.execute(select(cast(E.source_id, String), E.vector)
                          .join(model, model.id == E.source_id)
                          .where(E.source_type == kind, E.model == encoder.MODEL_NAME,
                                 model.deleted_at.is_(None), visible)
                          .order_by(E.occurred_at.desc()).limit(scan)).all()
        seen += len(rows)
        if not rows:
            continue
        scores = encoder.from_bytes([r[1] for r in rows]) @ query
        best = np.argsort(-scores)[:limit]
        found += [(kind, uuid.UUID(rows[i][0]), float(scores[i])) for i in best
                  if scores[i] >= min_score]
    if not seen:
        return None
    return sorted(found, key=lambda h: -h[2])[:limit]


def keywords(q: str) -> list[str]:
    """The question's searchable words: lower-case, small and common words left out, a
    plural's final s dropped so "weddings" also finds "wedding"."""
    words = []
    for w in re.findall(r"\w+", q.lower()):
        if len(w) < 3 or w in STOP_WORDS:
            continue
        w = w[:-1] if len(w) > 4 and w.endswith("s") and not w.endswith("ss") else w
        if w not in words:
            words.append(w)
    return words[:8]


def _like(word: str) -> str:
    return "%" + word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def _keyword(db: Session, user: User | None, q: str,
             limit: int) -> list[tuple[str, uuid.UUID, float | None]]:
    words = keywords(q)
    if not words:
        return []
    found: list[tuple[str, uuid.UUID, float | None, int, datetime]] = []
    for kind, (model, visible, body) in _visible(db, user).items():
        texts = [body] + ([Interaction.subject] if model is Interaction else [])
        matches = [or_(*(t.ilike(_like(w), escape="\\") for t in texts)) for w in words]
        hits = sum((type_coerce(case((m, 1), else_=0), Integer) for m in matches),
                   type_coerce(0, Integer))
        when = Note.created_at if model is Note else Interaction.occurred_at
        rows = db.execute(select(model.id, hits.label("hits"), when)
                          .where(model.deleted_at.is_(None), visible, or_(*matches))
                          .order_by(hits.desc(), when.desc()).limit(limit)).all()
        found += [(kind, r[0], None, int(r[1]), r[2]) for r in rows]
    found.sort(key=lambda h: (-h[3], -h[4].timestamp()))
    return [(k, i, s) for k, i, s, _, _ in found[:limit]]


def _snippet(text: str | None) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= SNIPPET else text[:SNIPPET - 1] + "…"


def _details(db: Session, ranked: list[tuple[str, uuid.UUID, float | None]],
             ) -> list[SemanticHit]:
    note_ids = [i for k, i, _ in ranked if k == "note"]
    inter_ids = [i for k, i, _ in ranked if k == "interaction"]
    notes = {n.id: n for n in db.scalars(select(Note).where(Note.id.in_(note_ids)))} \
        if note_ids else {}
    inters = {x.id: x for x in db.scalars(select(Interaction)
                                          .where(Interaction.id.in_(inter_ids)))} \
        if inter_ids else {}
    first_contact: dict[uuid.UUID, uuid.UUID] = {}
    if inter_ids:
        for iid, cid in db.execute(
                select(InteractionParticipant.interaction_id, InteractionParticipant.contact_id)
                .where(InteractionParticipant.interaction_id.in_(inter_ids),
                       InteractionParticipant.contact_id.is_not(None))
                .order_by(InteractionParticipant.position.desc())):
            if cid is not None:  # the lowest position is written last and stays
                first_contact[iid] = cid
    contact_ids = {n.entity_id for n in notes.values() if n.entity_type == "contact"}
    contact_ids |= set(first_contact.values())
    company_ids = {n.entity_id for n in notes.values() if n.entity_type == "company"}
    company_ids |= {x.company_id for x in inters.values() if x.company_id}
    names: dict[uuid.UUID, str] = {}
    if contact_ids:
        names.update((r[0], f"{r[1] or ''} {r[2] or ''}".strip()) for r in db.execute(
            select(Contact.id, Contact.first_name, Contact.last_name)
            .where(Contact.id.in_(contact_ids))))
    if company_ids:
        names.update((r[0], r[1]) for r in db.execute(
            select(Company.id, Company.name).where(Company.id.in_(company_ids))))
    out: list[SemanticHit] = []
    for kind, rid, score in ranked:
        if kind == "note" and rid in notes:
            n = notes[rid]
            out.append(SemanticHit(kind=kind, id=rid, score=score, text=_snippet(n.body),
                                   occurred_at=n.created_at, about=names.get(n.entity_id),
                                   url=f"/{_PAGES[n.entity_type]}/{n.entity_id}"))
        elif kind == "interaction" and rid in inters:
            x = inters[rid]
            cid = first_contact.get(rid)
            target = (f"/contacts/{cid}" if cid else
                      f"/companies/{x.company_id}" if x.company_id else None)
            text = " — ".join(t for t in (x.subject, _snippet(x.body)) if t)
            out.append(SemanticHit(kind=kind, id=rid, score=score, text=_snippet(text),
                                   occurred_at=x.occurred_at,
                                   about=names.get(cid or x.company_id or rid), url=target))
    return out


def semantic_search(db: Session, *, user: User | None, q: str, limit: int = 20,
                    min_score: float = MIN_SCORE, scan: int = SCAN,
                    use_model: bool = True) -> SemanticResults:
    """Notes and interactions ``user`` may see (None: all, for the operator's command line)
    that are about ``q``, most related first."""
    q = q.strip()[:MAX_QUERY]
    if not q:
        return SemanticResults(q=q, mode="semantic" if encoder.available() else "keyword")
    reason = None
    if not use_model:
        reason = "keyword search asked for"
    elif not encoder.available():
        reason = "the semantic model is not installed (pip install 'amity[semantic]')"
    else:
        ranked = _rank(db, user, q, limit, min_score, scan)
        if ranked is not None:
            return SemanticResults(q=q, mode="semantic", model=encoder.MODEL_NAME,
                                   hits=_details(db, list(ranked)))
        reason = "nothing has been indexed yet (amity semantic index)"
    return SemanticResults(q=q, mode="keyword", reason=reason,
                           hits=_details(db, _keyword(db, user, q, limit)))
