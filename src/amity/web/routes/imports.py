"""/imports: upload a file, map its columns, preview, run with a live progress bar, download
the refused rows, roll back; and /export/<entity>, the contact list's Export button.

Same services and permissions as /api/v1/imports and /api/v1/exports.
"""

from __future__ import annotations

import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import APIRouter, File, Form, Query, Request, Response, UploadFile
from fastapi.responses import FileResponse, RedirectResponse, StreamingResponse
from sqlalchemy import select
from starlette.background import BackgroundTask

from amity.api.deps import AppSettings, DbSession
from amity.auth.access import Permission, require, require_any, scope_for
from amity.auth.models import User
from amity.core import audit
from amity.core.errors import DomainError, Forbidden, NotFound
from amity.dataio import mapping as maps
from amity.dataio import service
from amity.dataio.export import MEDIA, SUFFIX, stream, write_xlsx
from amity.dataio.export_records import ALL, RecordExporter, may_export
from amity.dataio.export_records import ENTITIES as RECORD_ENTITIES
from amity.dataio.models import ENTITIES, DataExport, DataImport
from amity.dataio.records_runner import import_permission
from amity.jobs.dataio import (
    enqueue_export,
    enqueue_import,
    enqueue_rollback,
    import_store,
)
from amity.web.auth import CsrfChecked, WebUser
from amity.web.errors import WebRoute
from amity.web.exporting import export_response
from amity.web.templating import render, templates

router = APIRouter(route_class=WebRoute)
FINISHED = ("done", "failed", "rolled_back")


def can_export_contacts(user: User | None) -> bool:
    return user is not None and scope_for(user, Permission.CONTACTS_EXPORT) != "none"


def can_import(user: User | None) -> bool:
    return user is not None and scope_for(user, Permission.CONTACTS_CREATE) != "none"


def importable(user: User) -> list[str]:
    """The entities this user may import, for the upload form."""
    return [e for e in ENTITIES if scope_for(user, import_permission(e)) != "none"]


templates.env.globals["can_export_contacts"] = can_export_contacts
templates.env.globals["can_import"] = can_import


def _load(db: DbSession, user: User, import_id: uuid.UUID) -> DataImport:
    imp = db.get(DataImport, import_id)
    if imp is None:
        raise NotFound("import")
    perm = import_permission(imp.entity)
    require(user, perm)
    if imp.owner_id != user.id and scope_for(user, perm) != "all":
        raise NotFound("import")
    return imp


def _list(request: Request, db: DbSession, user: User, *, error: str | None = None,
          status_code: int = 200) -> Response:
    items = list(db.scalars(select(DataImport).where(DataImport.owner_id == user.id)
                            .order_by(DataImport.created_at.desc()).limit(50)))
    return render(request, "imports/list.html", {
        "imports": items, "error": error, "entities": importable(user),
        "exportable": [e for e in RECORD_ENTITIES if may_export(user, e)]},
        status_code=status_code)


def _page(request: Request, db: DbSession, imp: DataImport, *, error: str | None = None,
          preview: dict[str, Any] | None = None, status_code: int = 200) -> Response:
    fields = [*maps.fields_for(imp.entity),
              *[f"custom:{k}" for k in maps.custom_keys(db, imp.entity)], maps.IGNORE]
    return render(request, "imports/detail.html", {
        "imp": imp, "fields": fields, "error": error, "preview": preview,
        "editable": imp.status in service.RUNNABLE}, status_code=status_code)


@router.get("/imports")
def imports_page(request: Request, db: DbSession, user: WebUser) -> Response:
    require_any(user, *{import_permission(e) for e in ENTITIES})
    return _list(request, db, user)


@router.post("/imports", dependencies=[CsrfChecked])
def upload(request: Request, db: DbSession, user: WebUser, settings: AppSettings,
           file: Annotated[UploadFile | None, File()] = None,
           entity: Annotated[Literal["contacts", "companies", "deals", "products", "orders",
                                     "interactions"], Form()] = "contacts") -> Response:
    require(user, import_permission(entity))
    try:
        if file is None or not file.filename:
            raise DomainError("import.file_required", "Choose a file to upload", "file")
        imp = service.create_import(db, entity=entity, filename=file.filename,
                                    stream=file.file, store=import_store(settings), actor=user)
    except DomainError as exc:
        db.rollback()
        return _list(request, db, user, error=exc.message, status_code=exc.status)
    return RedirectResponse(f"/imports/{imp.id}", status_code=303)


@router.get("/imports/{import_id}")
def import_page(request: Request, import_id: uuid.UUID, db: DbSession,
                user: WebUser) -> Response:
    return _page(request, db, _load(db, user, import_id))


async def _mapping_of(request: Request, imp: DataImport) -> tuple[dict[str, str],
                                                                   dict[str, Any]]:
    form = await request.form()
    mapping = {h: str(form.get(f"col-{i}", maps.IGNORE)) for i, h in enumerate(imp.headers)}
    options = {"match": str(form.get("match", "update_empty")),
               "default_region": str(form.get("default_region") or "") or None,
               "all_or_nothing": form.get("all_or_nothing") == "on",
               "bulk": {"on": True, "off": False}.get(str(form.get("bulk", ""))),
               "default_currency": str(form.get("default_currency") or "").upper() or None}
    return mapping, options


@router.post("/imports/{import_id}/mapping", dependencies=[CsrfChecked])
async def save_mapping(request: Request, import_id: uuid.UUID, db: DbSession, user: WebUser,
                       settings: AppSettings) -> Response:
    imp = _load(db, user, import_id)
    mapping, options = await _mapping_of(request, imp)
    action = (await request.form()).get("action", "save")
    try:
        service.set_mapping(db, imp=imp, mapping=mapping, options=options, actor=user)
        if action == "preview":
            result = service.preview(db, imp=imp, store=import_store(settings), actor=user,
                                     default_region=settings.default_region, limit=50,
                                     default_currency=settings.default_currency)
            return _page(request, db, imp, preview=result)
        if action == "run":
            service.start(db, imp=imp, actor=user, enqueue=lambda i: enqueue_import(db, i))
    except DomainError as exc:
        db.rollback()
        db.refresh(imp)
        return _page(request, db, imp, error=exc.message, status_code=exc.status)
    return RedirectResponse(f"/imports/{imp.id}", status_code=303)


@router.get("/imports/{import_id}/progress")
def progress(request: Request, import_id: uuid.UUID, db: DbSession, user: WebUser) -> Response:
    imp = _load(db, user, import_id)
    return render(request, "imports/_progress.html", {"imp": imp,
                                                      "finished": imp.status in FINISHED})


@router.post("/imports/{import_id}/rollback", dependencies=[CsrfChecked])
def rollback(request: Request, import_id: uuid.UUID, db: DbSession, user: WebUser) -> Response:
    imp = _load(db, user, import_id)
    try:
        service.request_rollback(db, imp=imp, actor=user,
                                 enqueue=lambda i: enqueue_rollback(db, i))
    except DomainError as exc:
        db.rollback()
        db.refresh(imp)
        return _page(request, db, imp, error=exc.message, status_code=exc.status)
    return RedirectResponse(f"/imports/{imp.id}", status_code=303)


@router.get("/imports/{import_id}/errors.csv")
def errors_file(request: Request, import_id: uuid.UUID, db: DbSession,
                user: WebUser) -> Response:
    imp = _load(db, user, import_id)
    body = "".join(service.error_rows(db, imp)).encode()
    return Response(body, media_type="text/csv; charset=utf-8", headers={
        "Content-Disposition": f'attachment; filename="import-{imp.id}-errors.csv"'})


@router.get("/export/{entity}")
def export(request: Request, entity: Literal["contacts", "companies"], db: DbSession,
           user: WebUser, settings: AppSettings,
           format: Annotated[Literal["csv", "xlsx", "vcard", "json"], Query()] = "csv",
           lifecycle_stage: Annotated[list[str] | None, Query()] = None,
           tag: Annotated[list[str] | None, Query()] = None) -> Response:
    """The contact list's Export button: the records this user may export."""
    filters: dict[str, Any] = {"deleted": "exclude"}
    if entity == "contacts":
        filters.update({"lifecycle_stage": lifecycle_stage or [], "tags": tag or []})
    return export_response(request, db, user, settings, entity=entity, fmt=format,
                           filters=filters)


@router.get("/export/records/{entity}")
def export_records(request: Request,
                   entity: Literal["deals", "products", "orders", "tickets", "interactions"],
                   db: DbSession, user: WebUser, settings: AppSettings,
                   format: Annotated[Literal["csv", "xlsx", "json"], Query()] = "csv"
                   ) -> Response:
    """Deals, products, orders, tickets or interactions, as the API's export gives them."""
    exporter = RecordExporter(db, user, entity)
    total = exporter.count()
    audit.record(db, actor_id=user.id, action="export", entity_type=entity[:-1],
                 entity_id=None, changes={"format": [None, format], "records": [None, total]})
    if total > settings.export_sync_max_rows:
        return render(request, "imports/export_queued.html",
                      {"exp": _queue(db, user, entity, format)})
    disposition = {"Content-Disposition": f'attachment; filename="{entity}.{SUFFIX[format]}"'}
    if format == "xlsx":
        with tempfile.NamedTemporaryFile(suffix=".xlsx", delete=False) as f:
            tmp = Path(f.name)
        write_xlsx(exporter, tmp)  # type: ignore[arg-type]
        return FileResponse(tmp, media_type=MEDIA[format], headers=disposition,
                            background=BackgroundTask(tmp.unlink, missing_ok=True))
    database = request.app.state.database

    def chunks() -> Iterator[bytes]:
        with database.transaction(write=False) as s:
            yield from stream(RecordExporter(s, user, entity), format)  # type: ignore[arg-type]

    return StreamingResponse(chunks(), media_type=MEDIA[format], headers=disposition)


def _queue(db: DbSession, user: User, entity: str, fmt: str) -> DataExport:
    exp = DataExport(id=uuid.uuid4(), owner_id=user.id, entity=entity, format=fmt,
                     filters={}, status="queued")
    db.add(exp)
    db.flush()
    enqueue_export(db, exp)
    return exp


@router.post("/export/all", dependencies=[CsrfChecked])
def export_all(request: Request, db: DbSession, user: WebUser,
               format: Annotated[Literal["csv", "xlsx", "json"], Form()] = "csv") -> Response:
    """The whole database as a zip, written in the background; the page links to it."""
    if not any(may_export(user, e) for e in ALL):
        raise Forbidden("You may not export anything")
    audit.record(db, actor_id=user.id, action="export", entity_type="database",
                 entity_id=None, changes={"format": [None, format]})
    return render(request, "imports/export_queued.html", {"exp": _queue(db, user, "all",
                                                                        format)})


@router.get("/export/file/{export_id}")
def export_file(export_id: uuid.UUID, db: DbSession, user: WebUser,
                settings: AppSettings) -> Response:
    exp = db.get(DataExport, export_id)
    if exp is None or exp.owner_id != user.id:
        raise NotFound("export")
    if exp.status != "done" or not exp.stored_name:
        return Response("The export is not ready yet; reload in a moment.", status_code=409)
    suffix, media = ("zip", "application/zip") if exp.entity == "all" else (
        SUFFIX[exp.format], MEDIA[exp.format])
    return FileResponse(Path(settings.export_dir) / exp.stored_name, media_type=media,
                        filename=f"{exp.entity}.{suffix}")
