"""/duplicates, /contacts/merge, /companies/merge, /merges: review suggested duplicates, merge
records choosing field by field, undo a merge."""

from __future__ import annotations

import uuid
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse
from sqlalchemy import Select

from amity.api.deps import AppSettings, CurrentUser, Cursor, DbSession, IdempotencyKey, Limit
from amity.api.idempotency import idempotent
from amity.auth.access import Permission, access_record, check_record, require, scoped
from amity.auth.models import User
from amity.companies.models import Company
from amity.contacts.models import Contact
from amity.core.errors import NotFound
from amity.core.schemas import PageOut
from amity.dedupe import merge as merging
from amity.dedupe import queries, service
from amity.dedupe.models import DuplicateSuggestion, Merge
from amity.dedupe.schemas import MergeIn, MergeRead, ScanIn, ScanQueued, SuggestionRead
from amity.jobs.dedupe import enqueue_scan

router = APIRouter(tags=["duplicates"])
PERMS = {"contact": (Permission.CONTACTS_VIEW, Permission.CONTACTS_EDIT,
                     Permission.CONTACTS_DELETE),
         "company": (Permission.COMPANIES_VIEW, Permission.COMPANIES_EDIT,
                     Permission.COMPANIES_DELETE)}
MODELS: dict[str, Any] = {"contact": Contact, "company": Company}


def _out(db: DbSession, items: list[DuplicateSuggestion]) -> list[SuggestionRead]:
    by_entity: dict[str, set[uuid.UUID]] = {}
    for s in items:
        by_entity.setdefault(s.entity, set()).update((s.a_id, s.b_id))
    found = {k: v for entity, ids in by_entity.items()
             for k, v in queries.briefs(db, entity, ids).items()}
    return [SuggestionRead.model_validate(s).model_copy(
        update={"a": found.get(s.a_id), "b": found.get(s.b_id)}) for s in items]


@router.get("/duplicates", response_model=PageOut[SuggestionRead],
            summary="Suggested duplicate pairs, best first (keyset pages)")
def list_duplicates(db: DbSession, user: CurrentUser, settings: AppSettings,
                    entity: Literal["contact", "company"] = "contact",
                    status: Literal["open", "dismissed", "merged"] | None = "open",
                    min_score: Annotated[float | None, Query(ge=0, le=100)] = None,
                    record_id: uuid.UUID | None = None,
                    cursor: Cursor = None, limit: Limit = None) -> dict[str, Any]:
    view = PERMS[entity][0]

    def visible(stmt: Select[Any], model: Any) -> Select[Any]:
        return scoped(db, stmt, user, model, view)

    page = queries.list_suggestions(db, entity=entity, status=status, min_score=min_score,
                                    record_id=record_id, visible=visible, cursor=cursor,
                                    limit=limit or settings.page_size_default)
    return {"items": _out(db, page.items), "next_cursor": page.next_cursor}


def load_suggestion(db: DbSession, user: User, suggestion_id: uuid.UUID,
                action: int) -> DuplicateSuggestion:
    """The suggestion, if both its records are visible and ``action`` allowed on both."""
    s = service.get_suggestion(db, suggestion_id)
    model, perm = MODELS[s.entity], PERMS[s.entity][action]
    for record_id in (s.a_id, s.b_id):
        record = db.get(model, record_id)
        if record is None:
            raise NotFound("duplicate")
        try:
            check_record(db, user, record, PERMS[s.entity][0], entity="duplicate")
        except NotFound:
            raise NotFound("duplicate") from None
        check_record(db, user, record, perm, entity="duplicate")
    return s


@router.get("/duplicates/{suggestion_id}", response_model=SuggestionRead,
            summary="One suggested pair with both records in brief")
def get_duplicate(suggestion_id: uuid.UUID, db: DbSession, user: CurrentUser) -> SuggestionRead:
    return _out(db, [load_suggestion(db, user, suggestion_id, 0)])[0]


@router.post("/duplicates/{suggestion_id}/dismiss", response_model=SuggestionRead,
             summary="Not duplicates: later scans leave this pair dismissed",
             responses={409: {"description": "The pair has been merged"}})
def dismiss_duplicate(suggestion_id: uuid.UUID, db: DbSession,
                      user: CurrentUser) -> SuggestionRead:
    s = load_suggestion(db, user, suggestion_id, 1)
    return _out(db, [service.dismiss_suggestion(db, suggestion=s, actor=user)])[0]


@router.post("/duplicates/scan", status_code=202, response_model=ScanQueued,
             summary="Scan the whole database for duplicates now (a background job)")
def scan_duplicates(body: ScanIn, db: DbSession, user: CurrentUser) -> ScanQueued:
    require(user, PERMS[body.entity][1])
    return ScanQueued(job_id=enqueue_scan(db, body.entity), entity=body.entity)


def _merge(entity: str, body: MergeIn, db: DbSession, user: User,
           key: str | None) -> JSONResponse:
    merging.check_request(entity, body.survivor_id, body.loser_ids, body.choices)
    _, edit, delete = PERMS[entity]
    model = MODELS[entity]
    # deleted records load too: merge_records refuses them with a 422, after a replay of the
    # same Idempotency-Key (whose losers are deleted by the first call) has been answered
    survivor = access_record(db, user, model, body.survivor_id, edit, entity=entity,
                             include_deleted=True)
    losers = [access_record(db, user, model, i, delete, entity=entity, include_deleted=True)
              for i in body.loser_ids]
    return idempotent(db, user, key, f"/{entity}/merge", body,
                      lambda: merging.merge_records(db, entity=entity, survivor=survivor,
                                                    losers=losers, choices=body.choices,
                                                    actor=user), MergeRead)


@router.post("/contacts/merge", status_code=201, response_model=MergeRead,
             summary="Merge contacts into one, choosing field by field (undoable)")
def merge_contacts(body: MergeIn, db: DbSession, user: CurrentUser,
                   idempotency_key: IdempotencyKey = None) -> JSONResponse:
    return _merge("contact", body, db, user, idempotency_key)


@router.post("/companies/merge", status_code=201, response_model=MergeRead,
             summary="Merge companies into one, choosing field by field (undoable)")
def merge_companies(body: MergeIn, db: DbSession, user: CurrentUser,
                    idempotency_key: IdempotencyKey = None) -> JSONResponse:
    return _merge("company", body, db, user, idempotency_key)


def load_merge(db: DbSession, user: User, merge_id: uuid.UUID, action: int) -> Merge:
    """A merge is visible with its survivor; undoing needs edit on it, delete on the others."""
    m = merging.get_merge(db, merge_id)
    model = MODELS[m.entity]
    _, edit, delete = PERMS[m.entity]
    survivor = db.get(model, m.survivor_id)
    if survivor is None:
        raise NotFound("merge")
    try:
        check_record(db, user, survivor, PERMS[m.entity][0], entity="merge")
    except NotFound:
        raise NotFound("merge") from None
    if action:
        check_record(db, user, survivor, edit, entity="merge")
        for loser_id in m.loser_ids:
            loser = db.get(model, uuid.UUID(loser_id))
            if loser is not None:
                check_record(db, user, loser, delete, entity="merge")
    return m


@router.get("/merges/{merge_id}", response_model=MergeRead, summary="One merge")
def get_merge(merge_id: uuid.UUID, db: DbSession, user: CurrentUser) -> Merge:
    return load_merge(db, user, merge_id, 0)


@router.post("/merges/{merge_id}/undo", response_model=MergeRead,
             summary="Undo a merge: the records, their fields and every moved row come back",
             responses={409: {"description": "Already undone, or a record changed since"}})
def undo_merge(merge_id: uuid.UUID, db: DbSession, user: CurrentUser) -> Merge:
    m = load_merge(db, user, merge_id, 1)
    return merging.undo_merge(db, merge=m, actor=user)
