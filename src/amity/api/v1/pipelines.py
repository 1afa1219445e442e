"""/pipelines, /stages and /lost-reasons: the shape of the sales process (admins edit it),
and each pipeline's Kanban board."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Query, Response
from fastapi.responses import JSONResponse
from sqlalchemy import false

from amity.api.deps import CurrentUser, DbSession, IdempotencyKey, IfMatch, etag, parse_if_match
from amity.api.idempotency import idempotent
from amity.auth.access import Permission, require, scope_for, scoped
from amity.auth.models import User
from amity.companies.models import Company
from amity.contacts.models import Contact
from amity.deals import pipelines as service
from amity.deals import queries
from amity.deals.board import BOARD_LIMIT_DEFAULT, BOARD_LIMIT_MAX, pipeline_board
from amity.deals.models import Deal, Pipeline, Stage
from amity.deals.schemas import (
    BoardRead,
    LostReasonCreate,
    LostReasonRead,
    LostReasonUpdate,
    PipelineCreate,
    PipelineRead,
    PipelineUpdate,
    StageAdd,
    StageOrder,
    StageRead,
    StageUpdate,
)

router = APIRouter(tags=["pipelines"])


def _pipeline(db: DbSession, user: User, pipeline_id: uuid.UUID,
              permission: Permission) -> Pipeline:
    require(user, permission)
    return queries.get_pipeline(db, pipeline_id)


def _stage(db: DbSession, user: User, stage_id: uuid.UUID,
           permission: Permission) -> tuple[Stage, Pipeline]:
    require(user, permission)
    stage = queries.get_stage(db, stage_id)
    return stage, queries.get_pipeline(db, stage.pipeline_id)


def _read(pipeline: Pipeline, response: Response) -> PipelineRead:
    response.headers["ETag"] = etag(pipeline.version)
    return PipelineRead.model_validate(pipeline)


@router.get("/pipelines", response_model=list[PipelineRead], summary="Pipelines, in order")
def list_pipelines(db: DbSession, user: CurrentUser,
                   include_archived: bool = False) -> list[PipelineRead]:
    require(user, Permission.DEALS_VIEW)
    return [PipelineRead.model_validate(p)
            for p in queries.list_pipelines(db, include_archived=include_archived)]


@router.post("/pipelines", status_code=201, response_model=PipelineRead)
def create_pipeline(body: PipelineCreate, db: DbSession, user: CurrentUser,
                    idempotency_key: IdempotencyKey = None) -> JSONResponse:
    require(user, Permission.SETTINGS_MANAGE)
    return idempotent(db, user, idempotency_key, "/pipelines", body,
                      lambda: service.create_pipeline(db, data=body, actor=user), PipelineRead)


@router.get("/pipelines/{pipeline_id}", response_model=PipelineRead)
def get_pipeline(pipeline_id: uuid.UUID, response: Response, db: DbSession,
                 user: CurrentUser) -> PipelineRead:
    return _read(_pipeline(db, user, pipeline_id, Permission.DEALS_VIEW), response)


@router.patch("/pipelines/{pipeline_id}", response_model=PipelineRead,
              summary="Rename, reposition or make the default")
def update_pipeline(pipeline_id: uuid.UUID, body: PipelineUpdate, response: Response,
                    db: DbSession, user: CurrentUser, if_match: IfMatch = None) -> PipelineRead:
    p = _pipeline(db, user, pipeline_id, Permission.SETTINGS_MANAGE)
    p = service.update_pipeline(db, pipeline=p, data=body, actor=user,
                                expected_version=parse_if_match(if_match))
    db.flush()
    return _read(p, response)


@router.delete("/pipelines/{pipeline_id}", status_code=204,
               summary="Archive (409 while it holds open deals; not the default)")
def archive_pipeline(pipeline_id: uuid.UUID, db: DbSession, user: CurrentUser,
                     if_match: IfMatch = None) -> Response:
    p = _pipeline(db, user, pipeline_id, Permission.SETTINGS_MANAGE)
    service.archive_pipeline(db, pipeline=p, actor=user,
                             expected_version=parse_if_match(if_match))
    return Response(status_code=204)


@router.get("/pipelines/{pipeline_id}/stages", response_model=list[StageRead])
def list_stages(pipeline_id: uuid.UUID, db: DbSession, user: CurrentUser,
                include_archived: bool = False) -> list[StageRead]:
    p = _pipeline(db, user, pipeline_id, Permission.DEALS_VIEW)
    return [StageRead.model_validate(s) for s in sorted(p.stages, key=lambda s: s.position)
            if include_archived or s.archived_at is None]


@router.post("/pipelines/{pipeline_id}/stages", status_code=201, response_model=StageRead)
def add_stage(pipeline_id: uuid.UUID, body: StageAdd, db: DbSession, user: CurrentUser,
              idempotency_key: IdempotencyKey = None) -> JSONResponse:
    p = _pipeline(db, user, pipeline_id, Permission.SETTINGS_MANAGE)
    return idempotent(db, user, idempotency_key, f"/pipelines/{p.id}/stages", body,
                      lambda: service.add_stage(db, pipeline=p, data=body,
                                                position=body.position, actor=user),
                      StageRead)


@router.put("/pipelines/{pipeline_id}/stages", response_model=PipelineRead,
            summary="Reorder the live stages")
def reorder_stages(pipeline_id: uuid.UUID, body: StageOrder, response: Response,
                   db: DbSession, user: CurrentUser, if_match: IfMatch = None) -> PipelineRead:
    p = _pipeline(db, user, pipeline_id, Permission.SETTINGS_MANAGE)
    p = service.reorder_stages(db, pipeline=p, stage_ids=body.stage_ids, actor=user,
                               expected_version=parse_if_match(if_match),
                               sent_version=body.version)
    db.flush()
    return _read(p, response)


@router.get("/pipelines/{pipeline_id}/board", response_model=BoardRead,
            summary="The Kanban board: live stages with counts, sums and first deals")
def board(pipeline_id: uuid.UUID, db: DbSession, user: CurrentUser,
          owner_id: uuid.UUID | None = None,
          limit: Annotated[int, Query(ge=1, le=BOARD_LIMIT_MAX)] = BOARD_LIMIT_DEFAULT,
          ) -> BoardRead:
    p = _pipeline(db, user, pipeline_id, Permission.DEALS_VIEW)

    def visible(model: type[Any], permission: Permission) -> queries.Visible:
        def apply(stmt: queries.AnySelect) -> queries.AnySelect:
            if scope_for(user, permission) == "none":
                return stmt.where(false())
            return scoped(db, stmt, user, model, permission)
        return apply

    return pipeline_board(db, p, visible=visible(Deal, Permission.DEALS_VIEW),
                          visible_contacts=visible(Contact, Permission.CONTACTS_VIEW),
                          visible_companies=visible(Company, Permission.COMPANIES_VIEW),
                          owner_id=owner_id, limit=limit)


@router.get("/stages/{stage_id}", response_model=StageRead)
def get_stage(stage_id: uuid.UUID, response: Response, db: DbSession,
              user: CurrentUser) -> StageRead:
    stage, _ = _stage(db, user, stage_id, Permission.DEALS_VIEW)
    response.headers["ETag"] = etag(stage.version)
    return StageRead.model_validate(stage)


@router.patch("/stages/{stage_id}", response_model=StageRead,
              summary="Rename; change kind, probability, forecast category or stall days")
def update_stage(stage_id: uuid.UUID, body: StageUpdate, response: Response, db: DbSession,
                 user: CurrentUser, if_match: IfMatch = None) -> StageRead:
    stage, p = _stage(db, user, stage_id, Permission.SETTINGS_MANAGE)
    stage = service.update_stage(db, stage=stage, pipeline=p, data=body, actor=user,
                                 expected_version=parse_if_match(if_match))
    db.flush()
    response.headers["ETag"] = etag(stage.version)
    return StageRead.model_validate(stage)


@router.delete("/stages/{stage_id}", status_code=204,
               summary="Archive (409 while it holds open deals)")
def archive_stage(stage_id: uuid.UUID, db: DbSession, user: CurrentUser,
                  if_match: IfMatch = None) -> Response:
    stage, p = _stage(db, user, stage_id, Permission.SETTINGS_MANAGE)
    service.archive_stage(db, stage=stage, pipeline=p, actor=user,
                          expected_version=parse_if_match(if_match))
    return Response(status_code=204)


@router.get("/lost-reasons", response_model=list[LostReasonRead])
def list_lost_reasons(db: DbSession, user: CurrentUser,
                      include_inactive: bool = False) -> list[LostReasonRead]:
    require(user, Permission.DEALS_VIEW)
    return [LostReasonRead.model_validate(r)
            for r in queries.list_lost_reasons(db, include_inactive=include_inactive)]


@router.post("/lost-reasons", status_code=201, response_model=LostReasonRead)
def create_lost_reason(body: LostReasonCreate, db: DbSession, user: CurrentUser,
                       idempotency_key: IdempotencyKey = None) -> JSONResponse:
    require(user, Permission.SETTINGS_MANAGE)
    return idempotent(db, user, idempotency_key, "/lost-reasons", body,
                      lambda: service.create_lost_reason(db, data=body, actor=user),
                      LostReasonRead)


@router.patch("/lost-reasons/{lost_reason_id}", response_model=LostReasonRead)
def update_lost_reason(lost_reason_id: uuid.UUID, body: LostReasonUpdate, db: DbSession,
                       user: CurrentUser) -> LostReasonRead:
    require(user, Permission.SETTINGS_MANAGE)
    reason = queries.get_lost_reason(db, lost_reason_id)
    return LostReasonRead.model_validate(
        service.update_lost_reason(db, reason=reason, data=body, actor=user))


@router.delete("/lost-reasons/{lost_reason_id}", status_code=204,
               summary="Deactivate (deals lost for it keep it)")
def deactivate_lost_reason(lost_reason_id: uuid.UUID, db: DbSession,
                           user: CurrentUser) -> Response:
    require(user, Permission.SETTINGS_MANAGE)
    reason = queries.get_lost_reason(db, lost_reason_id)
    service.deactivate_lost_reason(db, reason=reason, actor=user)
    return Response(status_code=204)
