"""Duplicates review: suggested pairs side by side with their reasons, a merge screen choosing
field by field, dismissing, undoing a merge, and the contact page's "possible duplicates" link
(loaded into the page by HTMX)."""

from __future__ import annotations

import uuid
from typing import Any, Literal

from fastapi import APIRouter, Request, Response
from fastapi.responses import RedirectResponse
from sqlalchemy import Select

from amity.api.deps import DbSession
from amity.api.v1.duplicates import MODELS, PERMS, load_merge, load_suggestion
from amity.auth.access import Permission, access_record, scoped
from amity.auth.models import User
from amity.core.errors import DomainError
from amity.dedupe import merge as merging
from amity.dedupe import queries, service
from amity.web.auth import CsrfChecked, WebUser
from amity.web.errors import WebRoute
from amity.web.templating import render

router = APIRouter(route_class=WebRoute)
PAGE = 25
LABELS = {"first_name": "First name", "last_name": "Last name", "job_title": "Job title",
          "company_id": "Company", "referred_by_id": "Referred by", "owner_id": "Owner",
          "personal_notes": "Personal notes", "do_not_contact": "Do not contact",
          "lifecycle_stage": "Stage", "parent_id": "Parent company"}


def _pairs(db: DbSession, user: User, entity: str, record_id: uuid.UUID | None,
           cursor: str | None) -> tuple[Any, Any]:
    view = PERMS[entity][0]

    def visible(stmt: Select[Any], model: Any) -> Select[Any]:
        return scoped(db, stmt, user, model, view)

    page = queries.list_suggestions(db, entity=entity, status="open", min_score=None,
                                    record_id=record_id, visible=visible, cursor=cursor,
                                    limit=PAGE)
    ids = {i for s in page.items for i in (s.a_id, s.b_id)}
    return page, queries.briefs(db, entity, ids)


@router.get("/duplicates")
def duplicates_page(request: Request, db: DbSession, user: WebUser,
                    entity: Literal["contact", "company"] = "contact",
                    record_id: uuid.UUID | None = None,
                    cursor: str | None = None) -> Response:
    page, briefs = _pairs(db, user, entity, record_id, cursor)
    return render(request, "dedupe/list.html", {"page": page, "briefs": briefs,
                                                "entity": entity, "record_id": record_id})


def _value(record: Any, name: str) -> str:
    value = getattr(record, name, None)
    if value is None or value == "" or value == [] or value == {}:
        return ""
    return str(value)


@router.get("/duplicates/{suggestion_id}")
def merge_screen(request: Request, suggestion_id: uuid.UUID, db: DbSession, user: WebUser,
                 error: str | None = None, status_code: int = 200) -> Response:
    s = load_suggestion(db, user, suggestion_id, 0)
    model = MODELS[s.entity]
    a, b = db.get(model, s.a_id), db.get(model, s.b_id)
    assert a is not None and b is not None  # load_suggestion found both
    rows = [(name, LABELS.get(name, name.replace("_", " ").capitalize()),
             _value(a, name), _value(b, name)) for name in merging.FIELDS[s.entity]]
    custom = sorted({*(a.custom_fields or {}), *(b.custom_fields or {})})
    rows += [(f"custom_fields.{k}", k, str((a.custom_fields or {}).get(k, "")),
              str((b.custom_fields or {}).get(k, ""))) for k in custom]
    # only the fields where the two differ need a choice
    rows = [r for r in rows if r[2] != r[3]]
    return render(request, "dedupe/merge.html",
                  {"s": s, "a": a, "b": b, "rows": rows, "error": error,
                   "names": queries.briefs(db, s.entity, {s.a_id, s.b_id})},
                  status_code=status_code)


@router.post("/duplicates/{suggestion_id}/merge", dependencies=[CsrfChecked])
async def merge_pair(request: Request, suggestion_id: uuid.UUID, db: DbSession,
                     user: WebUser) -> Response:
    form = await request.form()
    s = load_suggestion(db, user, suggestion_id, 0)
    survivor_id = s.b_id if form.get("survivor") == "b" else s.a_id
    loser_id = s.a_id if survivor_id == s.b_id else s.b_id
    choices: dict[str, uuid.UUID] = {}
    for key, value in form.multi_items():
        if key.startswith("choice:") and value in ("a", "b"):
            choices[key.removeprefix("choice:")] = s.a_id if value == "a" else s.b_id
    _, edit, delete = PERMS[s.entity]
    model = MODELS[s.entity]
    try:
        survivor = access_record(db, user, model, survivor_id, edit, entity=s.entity)
        loser = access_record(db, user, model, loser_id, delete, entity=s.entity)
        m = merging.merge_records(db, entity=s.entity, survivor=survivor, losers=[loser],
                                  choices=choices, actor=user)
    except DomainError as exc:
        db.rollback()
        return merge_screen(request, suggestion_id, db, user, error=exc.message,
                            status_code=exc.status)
    return RedirectResponse(f"/merges/{m.id}", status_code=303)


@router.post("/duplicates/{suggestion_id}/dismiss", dependencies=[CsrfChecked])
def dismiss_pair(suggestion_id: uuid.UUID, db: DbSession, user: WebUser) -> Response:
    s = load_suggestion(db, user, suggestion_id, 1)
    service.dismiss_suggestion(db, suggestion=s, actor=user)
    return RedirectResponse(f"/duplicates?entity={s.entity}", status_code=303)


@router.get("/merges/{merge_id}")
def merge_done(request: Request, merge_id: uuid.UUID, db: DbSession, user: WebUser) -> Response:
    m = load_merge(db, user, merge_id, 0)
    path = "contacts" if m.entity == "contact" else "companies"
    return render(request, "dedupe/merged.html", {"m": m, "path": path})


@router.post("/merges/{merge_id}/undo", dependencies=[CsrfChecked])
def undo(request: Request, merge_id: uuid.UUID, db: DbSession, user: WebUser) -> Response:
    m = load_merge(db, user, merge_id, 1)
    merging.undo_merge(db, merge=m, actor=user)
    path = "contacts" if m.entity == "contact" else "companies"
    return RedirectResponse(f"/{path}/{m.survivor_id}", status_code=303)


@router.get("/contacts/{contact_id}/duplicates-link")
def contact_link(request: Request, contact_id: uuid.UUID, db: DbSession,
                 user: WebUser) -> Response:
    """'N possible duplicates' for the contact page, or nothing."""
    c = access_record(db, user, MODELS["contact"], contact_id, Permission.CONTACTS_VIEW,
                      entity="contact")
    count = queries.open_count_for(db, "contact", c.id)
    return render(request, "dedupe/_link.html", {"c": c, "count": count})
