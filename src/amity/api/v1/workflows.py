"""Workflows (``/workflows``): CRUD with a new version on every edit, versions, enable and
disable, dry-run and run logs; a contact's run log (``/contacts/{id}/workflow-runs``).

Reading needs automation.view, changing automation.manage (the ``automation.edit`` grid
entry). A dry-run counts only contacts the reader may see; a contact's run log follows the
contact's visibility."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Path, Response

from amity.api.deps import (
    AppSettings,
    CurrentUser,
    Cursor,
    DbSession,
    IfMatch,
    Limit,
    etag,
    parse_if_match,
)
from amity.auth.access import Permission, access_record, require, scoped
from amity.automation import service
from amity.automation.models import Workflow, WorkflowRun, WorkflowVersion
from amity.automation.schemas import (
    DryRunIn,
    DryRunRead,
    MatchRead,
    RunRead,
    RunStatus,
    VersionRead,
    WorkflowCreate,
    WorkflowRead,
    WorkflowUpdate,
)
from amity.contacts.models import Contact
from amity.core.schemas import PageOut

router = APIRouter(tags=["workflows"])


def _read(db: DbSession, w: Workflow) -> dict[str, Any]:
    out = WorkflowRead.model_validate({**{k: getattr(w, k) for k in (
        "id", "name", "description", "enabled", "current_version", "trigger_key", "owner_id",
        "version", "created_at", "updated_at")}, "definition": service.current_definition(db, w)})
    return out.model_dump(mode="json")


def _runs(db: DbSession, runs: list[WorkflowRun]) -> list[dict[str, Any]]:
    names = service.workflow_names(db, {r.workflow_id for r in runs})
    return [RunRead.model_validate(r).model_copy(
        update={"workflow_name": names.get(r.workflow_id)}).model_dump(mode="json")
        for r in runs]


@router.get("/workflows", response_model=PageOut[WorkflowRead], summary="Workflows, by name")
def list_workflows(db: DbSession, user: CurrentUser, settings: AppSettings,
                   enabled: bool | None = None, cursor: Cursor = None,
                   limit: Limit = None) -> dict[str, Any]:
    require(user, Permission.AUTOMATION_VIEW)
    page = service.list_workflows(db, enabled=enabled, cursor=cursor,
                                  limit=limit or settings.page_size_default)
    return {"items": [_read(db, w) for w in page.items], "next_cursor": page.next_cursor}


@router.post("/workflows", status_code=201, response_model=WorkflowRead,
             summary="Create a workflow (version 1)",
             description="An invalid definition (unknown trigger, condition or action, a "
                         "missing template, user or team) is a 422 and nothing is stored.")
def create_workflow(body: WorkflowCreate, response: Response, db: DbSession,
                    user: CurrentUser) -> dict[str, Any]:
    require(user, Permission.AUTOMATION_MANAGE)
    w = service.create_workflow(db, name=body.name, description=body.description,
                                definition=body.definition, enabled=body.enabled, actor=user)
    response.headers["ETag"] = etag(w.version)
    return _read(db, w)


@router.get("/workflows/{workflow_id}", response_model=WorkflowRead)
def get_workflow(workflow_id: uuid.UUID, response: Response, db: DbSession,
                 user: CurrentUser) -> dict[str, Any]:
    require(user, Permission.AUTOMATION_VIEW)
    w = service.get_workflow(db, workflow_id)
    response.headers["ETag"] = etag(w.version)
    return _read(db, w)


@router.patch("/workflows/{workflow_id}", response_model=WorkflowRead,
              summary="Edit a workflow; a changed definition becomes a new version",
              description="Runs already started keep the version they began with.")
def update_workflow(workflow_id: uuid.UUID, body: WorkflowUpdate, response: Response,
                    db: DbSession, user: CurrentUser, if_match: IfMatch = None
                    ) -> dict[str, Any]:
    require(user, Permission.AUTOMATION_MANAGE)
    w = service.get_workflow(db, workflow_id)
    version = body.version if body.version is not None else parse_if_match(if_match)
    w = service.update_workflow(db, workflow=w, actor=user, name=body.name,
                                description=body.description,
                                description_set="description" in body.model_fields_set,
                                definition=body.definition, enabled=body.enabled,
                                expected_version=version)
    response.headers["ETag"] = etag(w.version)
    return _read(db, w)


@router.delete("/workflows/{workflow_id}", status_code=204)
def delete_workflow(workflow_id: uuid.UUID, db: DbSession, user: CurrentUser) -> Response:
    require(user, Permission.AUTOMATION_MANAGE)
    service.delete_workflow(db, workflow=service.get_workflow(db, workflow_id), actor=user)
    return Response(status_code=204)


@router.post("/workflows/{workflow_id}/enable", response_model=WorkflowRead)
def enable_workflow(workflow_id: uuid.UUID, db: DbSession, user: CurrentUser
                    ) -> dict[str, Any]:
    require(user, Permission.AUTOMATION_MANAGE)
    w = service.set_enabled(db, workflow=service.get_workflow(db, workflow_id), enabled=True,
                            actor=user)
    return _read(db, w)


@router.post("/workflows/{workflow_id}/disable", response_model=WorkflowRead)
def disable_workflow(workflow_id: uuid.UUID, db: DbSession, user: CurrentUser
                     ) -> dict[str, Any]:
    require(user, Permission.AUTOMATION_MANAGE)
    w = service.set_enabled(db, workflow=service.get_workflow(db, workflow_id), enabled=False,
                            actor=user)
    return _read(db, w)


@router.get("/workflows/{workflow_id}/versions", response_model=list[VersionRead],
            summary="Every version, newest first")
def list_versions(workflow_id: uuid.UUID, db: DbSession, user: CurrentUser
                  ) -> list[WorkflowVersion]:
    require(user, Permission.AUTOMATION_VIEW)
    return service.list_versions(db, service.get_workflow(db, workflow_id))


@router.get("/workflows/{workflow_id}/versions/{number}", response_model=VersionRead)
def get_version(workflow_id: uuid.UUID,
                number: Annotated[int, Path(ge=1, le=2**31 - 1)], db: DbSession,
                user: CurrentUser) -> WorkflowVersion:
    require(user, Permission.AUTOMATION_VIEW)
    return service.get_version(db, service.get_workflow(db, workflow_id), number)


@router.post("/workflows/{workflow_id}/dry-run", response_model=DryRunRead,
             summary="Which contacts the conditions select now (nothing is done)",
             description="Counts the contacts you may see that match the current version's "
                         "conditions (or a definition sent in the body), with a sample by "
                         "name. No run starts, nothing changes.")
def dry_run(workflow_id: uuid.UUID, body: DryRunIn, db: DbSession,
            user: CurrentUser) -> DryRunRead:
    require(user, Permission.AUTOMATION_VIEW)
    w = service.get_workflow(db, workflow_id)
    definition = body.definition or service.parse_definition(service.current_definition(db, w))
    result = service.dry_run(db, definition=definition, limit=body.limit,
                             visible=lambda s: scoped(db, s, user, Contact,
                                                      Permission.CONTACTS_VIEW))
    return DryRunRead(matching=result.matching, trigger=result.trigger, note=result.note,
                      sample=[MatchRead(id=c.id, display_name=c.display_name)
                              for c in result.sample])


@router.get("/workflows/{workflow_id}/runs", response_model=PageOut[RunRead],
            summary="Runs of a workflow, newest first")
def list_runs(workflow_id: uuid.UUID, db: DbSession, user: CurrentUser, settings: AppSettings,
              status: RunStatus | None = None, cursor: Cursor = None, limit: Limit = None
              ) -> dict[str, Any]:
    require(user, Permission.AUTOMATION_VIEW)
    w = service.get_workflow(db, workflow_id)
    page = service.list_runs(db, workflow_id=w.id, status=status, cursor=cursor,
                             limit=limit or settings.page_size_default)
    return {"items": _runs(db, page.items), "next_cursor": page.next_cursor}


@router.get("/contacts/{contact_id}/workflow-runs", response_model=PageOut[RunRead],
            summary="The workflow runs about a contact, newest first")
def contact_runs(contact_id: uuid.UUID, db: DbSession, user: CurrentUser,
                 settings: AppSettings, cursor: Cursor = None, limit: Limit = None
                 ) -> dict[str, Any]:
    contact = access_record(db, user, Contact, contact_id, Permission.CONTACTS_VIEW,
                            entity="contact")
    page = service.list_runs(db, contact_id=contact.id, cursor=cursor,
                             limit=limit or settings.page_size_default)
    return {"items": _runs(db, page.items), "next_cursor": page.next_cursor}
