"""Settings > Pipelines: pipelines and their stages (add, rename, reorder, kind won/lost,
default probability, stalled-after days, archive) and the lost reasons.

Shown to users who may view settings; changes need ``settings.edit`` like the API, and go
through ``deals.pipelines``, the same services (audited; stages are archived, never deleted,
so deals and their stage history keep pointing at them). A refused change re-renders the page
with its message next to the form that caused it.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Form, Request, Response
from fastapi.responses import RedirectResponse
from pydantic import ValidationError
from sqlalchemy.orm import Session

from amity.api.deps import DbSession
from amity.auth.access import Permission, require, scope_for
from amity.auth.models import User
from amity.core.errors import DomainError
from amity.deals import pipelines as service
from amity.deals import queries
from amity.deals.schemas import (
    LostReasonCreate,
    LostReasonUpdate,
    PipelineCreate,
    PipelineUpdate,
    StageCreate,
    StageOrder,
    StageUpdate,
)
from amity.web.auth import CsrfChecked, WebUser
from amity.web.errors import WebRoute
from amity.web.templating import render

router = APIRouter(prefix="/settings", route_class=WebRoute)
Text = Annotated[str, Form(max_length=2000)]
PAGE = "/settings/pipelines"


def _page(request: Request, db: Session, user: User, errors: dict[str, str] | None = None,
          status_code: int = 200) -> Response:
    pipelines = queries.list_pipelines(db)
    stages = {p.id: sorted((s for s in p.stages if s.archived_at is None),
                           key=lambda s: s.position) for p in pipelines}
    return render(request, "settings/pipelines.html", {
        "tab": "pipelines", "pipelines": pipelines, "stages": stages,
        "reasons": queries.list_lost_reasons(db, include_inactive=True),
        "may_edit": scope_for(user, Permission.SETTINGS_MANAGE) != "none",
        "errors": errors or {}}, status_code=status_code)


def _message(exc: ValidationError | DomainError) -> str:
    if isinstance(exc, DomainError):
        return exc.message
    first = exc.errors()[0]
    where = ".".join(str(p) for p in first.get("loc", ()))
    text = str(first.get("msg", "invalid value")).removeprefix("Value error, ")
    return f"{where.replace('_', ' ')}: {text}" if where else text


def _refused(request: Request, db: Session, user: User, key: str,
             exc: ValidationError | DomainError) -> Response:
    db.rollback()  # nothing of the refused change is kept
    status = exc.status if isinstance(exc, DomainError) else 422
    return _page(request, db, user, {key: _message(exc)}, status)


def _done(anchor: str) -> Response:
    return RedirectResponse(f"{PAGE}#{anchor}", status_code=303)


def _stage_values(name: str, kind: str, probability: str, stall_days: str) -> dict[str, Any]:
    """Form strings to the API's fields: an empty probability means the kind's default, empty
    stalled days means never stalled."""
    values: dict[str, Any] = {"name": name.strip(), "kind": kind or "open",
                              "stall_days": stall_days.strip() or None}
    if probability.strip():
        values["probability"] = probability.strip()
    return values


@router.get("/pipelines")
def pipelines_page(request: Request, db: DbSession, user: WebUser) -> Response:
    require(user, Permission.SETTINGS_VIEW)
    return _page(request, db, user)


@router.post("/pipelines", dependencies=[CsrfChecked])
def create_pipeline(request: Request, db: DbSession, user: WebUser, name: Text = "",
                    open_stages: Text = "") -> Response:
    """A new pipeline from a name and its open stages in order; Won and Lost are added."""
    require(user, Permission.SETTINGS_MANAGE)
    names = [n.strip() for n in open_stages.split(",") if n.strip()] or ["New"]
    try:
        data = PipelineCreate.model_validate({"name": name.strip(), "stages": [
            *({"name": n} for n in names), {"name": "Won", "kind": "won"},
            {"name": "Lost", "kind": "lost"}]})
        pipeline = service.create_pipeline(db, data=data, actor=user)
    except (ValidationError, DomainError) as exc:
        return _refused(request, db, user, "new-pipeline", exc)
    return _done(f"pipeline-{pipeline.id}")


@router.post("/pipelines/{pipeline_id}", dependencies=[CsrfChecked])
def update_pipeline(pipeline_id: uuid.UUID, request: Request, db: DbSession, user: WebUser,
                    name: Text = "", is_default: Text = "", version: Text = "") -> Response:
    require(user, Permission.SETTINGS_MANAGE)
    pipeline = queries.get_pipeline(db, pipeline_id)
    values: dict[str, Any] = {"name": name.strip(), "version": version or None}
    if is_default == "on":
        values["is_default"] = True
    try:
        service.update_pipeline(db, pipeline=pipeline, actor=user,
                                data=PipelineUpdate.model_validate(values))
    except (ValidationError, DomainError) as exc:
        return _refused(request, db, user, f"pipeline-{pipeline_id}", exc)
    return _done(f"pipeline-{pipeline_id}")


@router.post("/pipelines/{pipeline_id}/stages", dependencies=[CsrfChecked])
def add_stage(pipeline_id: uuid.UUID, request: Request, db: DbSession, user: WebUser,
              name: Text = "", kind: Text = "open", probability: Text = "",
              stall_days: Text = "") -> Response:
    require(user, Permission.SETTINGS_MANAGE)
    pipeline = queries.get_pipeline(db, pipeline_id)
    try:
        data = StageCreate.model_validate(_stage_values(name, kind, probability, stall_days))
        # a new open stage goes before the won and lost ones, where a board reads it
        live = [s for s in pipeline.stages if s.archived_at is None]
        at = len([s for s in live if s.kind == "open"]) if data.kind == "open" else None
        service.add_stage(db, pipeline=pipeline, data=data, position=at, actor=user)
    except (ValidationError, DomainError) as exc:
        return _refused(request, db, user, f"new-stage-{pipeline_id}", exc)
    return _done(f"pipeline-{pipeline_id}")


@router.post("/stages/{stage_id}", dependencies=[CsrfChecked])
def update_stage(stage_id: uuid.UUID, request: Request, db: DbSession, user: WebUser,
                 name: Text = "", kind: Text = "open", probability: Text = "",
                 stall_days: Text = "", version: Text = "") -> Response:
    require(user, Permission.SETTINGS_MANAGE)
    stage = queries.get_stage(db, stage_id)
    values = _stage_values(name, kind, probability, stall_days)
    if "probability" not in values and values["kind"] == stage.kind:
        values["probability"] = stage.probability  # unchanged unless the kind changes
    try:
        service.update_stage(db, stage=stage, pipeline=queries.get_pipeline(db, stage.pipeline_id),
                             data=StageUpdate.model_validate({**values,
                                                              "version": version or None}),
                             actor=user)
    except (ValidationError, DomainError) as exc:
        return _refused(request, db, user, f"stage-{stage_id}", exc)
    return _done(f"stage-{stage_id}")


@router.post("/stages/{stage_id}/move", dependencies=[CsrfChecked])
def move_stage(stage_id: uuid.UUID, request: Request, db: DbSession, user: WebUser,
               direction: Annotated[Literal["up", "down"], Form()]) -> Response:
    """One place earlier or later among the pipeline's live stages."""
    require(user, Permission.SETTINGS_MANAGE)
    stage = queries.get_stage(db, stage_id)
    pipeline = queries.get_pipeline(db, stage.pipeline_id)
    order = [s.id for s in sorted(pipeline.stages, key=lambda s: s.position)
             if s.archived_at is None]
    i = order.index(stage.id) if stage.id in order else -1
    j = i - 1 if direction == "up" else i + 1
    if i >= 0 and 0 <= j < len(order):
        order[i], order[j] = order[j], order[i]
        try:
            service.reorder_stages(db, pipeline=pipeline, actor=user,
                                   stage_ids=StageOrder(stage_ids=order).stage_ids)
        except DomainError as exc:
            return _refused(request, db, user, f"stage-{stage_id}", exc)
    return _done(f"stage-{stage_id}")


@router.post("/stages/{stage_id}/archive", dependencies=[CsrfChecked])
def archive_stage(stage_id: uuid.UUID, request: Request, db: DbSession,
                  user: WebUser) -> Response:
    require(user, Permission.SETTINGS_MANAGE)
    stage = queries.get_stage(db, stage_id)
    try:
        service.archive_stage(db, stage=stage, actor=user,
                              pipeline=queries.get_pipeline(db, stage.pipeline_id))
    except DomainError as exc:
        return _refused(request, db, user, f"stage-{stage_id}", exc)
    return _done(f"pipeline-{stage.pipeline_id}")


@router.post("/lost-reasons", dependencies=[CsrfChecked])
def create_lost_reason(request: Request, db: DbSession, user: WebUser,
                       name: Text = "") -> Response:
    require(user, Permission.SETTINGS_MANAGE)
    try:
        service.create_lost_reason(db, data=LostReasonCreate(name=name.strip()), actor=user)
    except (ValidationError, DomainError) as exc:
        return _refused(request, db, user, "new-reason", exc)
    return _done("lost-reasons")


@router.post("/lost-reasons/{reason_id}", dependencies=[CsrfChecked])
def update_lost_reason(reason_id: uuid.UUID, request: Request, db: DbSession, user: WebUser,
                       name: Text = "", active: Text = "") -> Response:
    require(user, Permission.SETTINGS_MANAGE)
    reason = queries.get_lost_reason(db, reason_id)
    try:
        data = LostReasonUpdate(name=name.strip(), active=active == "on")
        service.update_lost_reason(db, reason=reason, data=data, actor=user)
    except (ValidationError, DomainError) as exc:
        return _refused(request, db, user, f"reason-{reason_id}", exc)
    return _done("lost-reasons")
