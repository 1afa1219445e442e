"""Settings > Tags: every tag with how many contacts, companies and tickets carry it; rename,
merge into another tag, delete. Viewing needs ``settings.view``; changes ``settings.edit``.
The work is done by ``core.tag_admin`` (audited); a refusal is shown next to its tag."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Form, Request, Response
from fastapi.responses import RedirectResponse
from sqlalchemy.orm import Session

from amity.api.deps import DbSession
from amity.auth.access import Permission, require, scope_for
from amity.auth.models import User
from amity.core import tag_admin
from amity.core.errors import DomainError
from amity.web.auth import CsrfChecked, WebUser
from amity.web.errors import WebRoute
from amity.web.templating import render

router = APIRouter(prefix="/settings/tags", route_class=WebRoute)
Text = Annotated[str, Form(max_length=200)]


def _noun(kind: str, n: int) -> str:
    if n == 1:
        return kind
    return kind[:-1] + "ies" if kind.endswith("y") else kind + "s"


def _page(request: Request, db: Session, user: User, errors: dict[str, str] | None = None,
          status_code: int = 200, notice: str | None = None) -> Response:
    return render(request, "settings/tags.html", {
        "tab": "tags", "errors": errors or {},
        "tags": [(tag, ", ".join(f"{n} {_noun(kind, n)}" for kind, n in sorted(used.items())))
                 for tag, used in tag_admin.tag_usage(db)],
        "notice": notice, "may_edit": scope_for(user, Permission.SETTINGS_MANAGE) != "none"},
        status_code=status_code)


def _refused(request: Request, db: Session, user: User, tag_id: uuid.UUID,
             exc: DomainError) -> Response:
    db.rollback()
    return _page(request, db, user, {str(tag_id): exc.message}, exc.status)


@router.get("")
def tags_page(request: Request, db: DbSession, user: WebUser,
              notice: str | None = None) -> Response:
    require(user, Permission.SETTINGS_VIEW)
    notices = {"merged": "Tags merged.", "deleted": "Tag deleted.", "renamed": "Tag renamed."}
    return _page(request, db, user, notice=notices.get(notice or ""))


@router.post("/{tag_id}/rename", dependencies=[CsrfChecked])
def rename(tag_id: uuid.UUID, request: Request, db: DbSession, user: WebUser,
           name: Text = "") -> Response:
    require(user, Permission.SETTINGS_MANAGE)
    try:
        tag_admin.rename_tag(db, tag=tag_admin.get_tag(db, tag_id), name=name, actor_id=user.id)
    except DomainError as exc:
        return _refused(request, db, user, tag_id, exc)
    return RedirectResponse("/settings/tags?notice=renamed", status_code=303)


@router.post("/{tag_id}/merge", dependencies=[CsrfChecked])
def merge(tag_id: uuid.UUID, request: Request, db: DbSession, user: WebUser,
          into: Text = "") -> Response:
    require(user, Permission.SETTINGS_MANAGE)
    source = tag_admin.get_tag(db, tag_id)
    try:
        target = tag_admin.get_tag(db, uuid.UUID(into))
    except (ValueError, DomainError):
        return _refused(request, db, user, tag_id, DomainError(
            "tag.not_found", "Choose the tag to merge into from the list"))
    try:
        tag_admin.merge_tags(db, source=source, target=target, actor_id=user.id)
    except DomainError as exc:
        return _refused(request, db, user, tag_id, exc)
    return RedirectResponse("/settings/tags?notice=merged", status_code=303)


@router.post("/{tag_id}/delete", dependencies=[CsrfChecked])
def delete(tag_id: uuid.UUID, db: DbSession, user: WebUser) -> Response:
    require(user, Permission.SETTINGS_MANAGE)
    tag_admin.delete_tag(db, tag=tag_admin.get_tag(db, tag_id), actor_id=user.id)
    return RedirectResponse("/settings/tags?notice=deleted", status_code=303)
