"""/exports: contacts and companies as CSV, XLSX, vCard or JSON, with the list filters; deals,
products, orders, tickets and interactions as CSV, XLSX or JSON; the whole database as a zip.

Small exports stream in the response; one over ``export_sync_max_rows`` records is written by
a job and answered with 202 and the export's status URL (download when done).
"""

from __future__ import annotations

import dataclasses
import tempfile
import uuid
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import FileResponse, JSONResponse, StreamingResponse
from starlette.background import BackgroundTask

from amity.api.deps import AppSettings, CurrentUser, DbSession
from amity.auth.access import Permission, require, scope_for
from amity.auth.models import User
from amity.config import Settings
from amity.contacts.queries import ContactFilters
from amity.contacts.schemas import DeletedFilter, Stage
from amity.core import audit
from amity.core.contactinfo import normalise_phone
from amity.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from amity.dataio.export import MEDIA, SUFFIX, Exporter, stream, write_xlsx
from amity.dataio.export_records import ALL, RecordExporter, may_export
from amity.dataio.models import DataExport
from amity.dataio.schemas import ExportRead
from amity.jobs.dataio import enqueue_export

router = APIRouter(prefix="/exports", tags=["exports"])
Format = Literal["csv", "xlsx", "vcard", "json"]
FILE_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"description": "The export, as a download",
          "content": {m.split(";")[0]: {} for m in MEDIA.values()}},
    202: {"description": "Too large to stream: written in the background", "model": ExportRead}}


def _perm(entity: str) -> Permission:
    return Permission.CONTACTS_EXPORT if entity == "contacts" else Permission.COMPANIES_EXPORT


def _jsonable(filters: dict[str, Any]) -> dict[str, Any]:
    def plain(v: Any) -> Any:
        if isinstance(v, list):
            return [plain(x) for x in v]
        return str(v) if isinstance(v, uuid.UUID | datetime) else v

    # ids=[] (nothing chosen) is kept: it means no record, not every record
    return {k: plain(v) for k, v in filters.items()
            if v not in (None, [], {}, False) or k == "deleted" or (k == "ids" and v == [])}


def _export(request: Request, db: DbSession, user: User, settings: Settings, entity: str,
            fmt: str, filters: dict[str, Any]) -> Response:
    require(user, _perm(entity))
    exporter = Exporter(db, user, entity, filters)
    exporter.base()  # 403 now if the user may not export
    total = exporter.count()
    audit.record(db, actor_id=user.id, action="export", entity_type=entity[:-1] if
                 entity == "contacts" else "company", entity_id=None,
                 changes={"format": [None, fmt], "records": [None, total],
                          "filters": [None, filters]})
    if total > settings.export_sync_max_rows:
        exp = DataExport(id=uuid.uuid4(), owner_id=user.id, entity=entity, format=fmt,
                         filters=filters, status="queued")
        db.add(exp)
        db.flush()
        enqueue_export(db, exp)
        return JSONResponse(_read(exp).model_dump(mode="json"), status_code=202,
                            headers={"Location": f"/api/v1/exports/{exp.id}"})
    name = f"{entity}-{datetime.now().date().isoformat()}.{SUFFIX[fmt]}"
    disposition = {"Content-Disposition": f'attachment; filename="{name}"',
                   "Cache-Control": "private, no-store"}
    if fmt == "xlsx":
        with tempfile.NamedTemporaryFile(suffix=".xlsx", delete=False) as f:
            tmp = f.name
        write_xlsx(exporter, Path(tmp))
        return FileResponse(tmp, media_type=MEDIA[fmt], headers=disposition,
                            background=BackgroundTask(Path(tmp).unlink, missing_ok=True))
    database = request.app.state.database

    def chunks() -> Iterator[bytes]:
        with database.transaction(write=False) as s:
            yield from stream(Exporter(s, user, entity, filters), fmt)

    return StreamingResponse(chunks(), media_type=MEDIA[fmt], headers=disposition)


@router.get("/contacts", response_class=Response, responses=FILE_RESPONSES,
            summary="Export contacts (the list's filters apply)")
def export_contacts(
    request: Request, db: DbSession, user: CurrentUser, settings: AppSettings,
    format: Format = "csv",
    lifecycle_stage: Annotated[list[Stage] | None, Query()] = None,
    owner_id: uuid.UUID | None = None, unowned: bool = False,
    company_id: uuid.UUID | None = None,
    source: Annotated[str | None, Query(max_length=120)] = None,
    tag: Annotated[list[Annotated[str, Query(max_length=80)]] | None, Query()] = None,
    email: Annotated[str | None, Query(max_length=320)] = None,
    phone: Annotated[str | None, Query(max_length=40)] = None,
    referred_by_id: uuid.UUID | None = None, do_not_contact: bool | None = None,
    created_after: datetime | None = None, created_before: datetime | None = None,
    updated_after: datetime | None = None, updated_before: datetime | None = None,
    deleted: DeletedFilter = "exclude",
    id: Annotated[list[uuid.UUID] | None, Query(
        max_length=500, description="Only these contacts (the rows ticked in a list); "
        "the other filters still apply")] = None,
) -> Response:
    times = {"created_after": created_after, "created_before": created_before,
             "updated_after": updated_after, "updated_before": updated_before}
    for name, value in times.items():
        if value is not None and value.tzinfo is None:
            raise ValidationFailed("datetime.naive", "Give times with a time zone, e.g. "
                                   "2026-01-31T00:00:00Z", name)
    custom = {k[3:]: v for k, v in request.query_params.items() if k.startswith("cf.")}
    filters = ContactFilters(
        lifecycle_stage=list(lifecycle_stage or []), owner_id=owner_id, unowned=unowned,
        company_id=company_id, source=source, tags=tag or [], email=email,
        phone_e164=normalise_phone(phone, settings.default_region) if phone else None,
        referred_by_id=referred_by_id, do_not_contact=do_not_contact, custom=custom,
        deleted=deleted, created_after=created_after, created_before=created_before,
        updated_after=updated_after, updated_before=updated_before, ids=id)
    return _export(request, db, user, settings, "contacts", format,
                   _jsonable(dataclasses.asdict(filters)))


@router.get("/companies", response_class=Response, responses=FILE_RESPONSES,
            summary="Export companies (the list's filters apply)")
def export_companies(
    request: Request, db: DbSession, user: CurrentUser, settings: AppSettings,
    format: Format = "csv", q: Annotated[str | None, Query(max_length=200)] = None,
    industry: Annotated[str | None, Query(max_length=120)] = None,
    owner_id: uuid.UUID | None = None, tag: Annotated[str | None, Query(max_length=80)] = None,
    deleted: DeletedFilter = "exclude",
) -> Response:
    filters = {"q": q, "industry": industry, "owner_id": owner_id, "tag": tag,
               "deleted": deleted}
    return _export(request, db, user, settings, "companies", format, _jsonable(filters))


RecordEntity = Literal["deals", "products", "orders", "tickets", "interactions"]
RecordFormat = Literal["csv", "xlsx", "json"]


@router.get("/records/{entity}", response_class=Response, responses=FILE_RESPONSES,
            summary="Export deals, products, orders (one row per line), tickets or "
                    "interactions")
def export_records(request: Request, entity: RecordEntity, db: DbSession, user: CurrentUser,
                   settings: AppSettings, format: RecordFormat = "csv") -> Response:
    exporter = RecordExporter(db, user, entity)  # 403 if the user may not export them
    total = exporter.count()
    audit.record(db, actor_id=user.id, action="export", entity_type=entity[:-1],
                 entity_id=None, changes={"format": [None, format], "records": [None, total]})
    if total > settings.export_sync_max_rows:
        return _queued(db, user, entity, format)
    name = f"{entity}-{datetime.now().date().isoformat()}.{SUFFIX[format]}"
    disposition = {"Content-Disposition": f'attachment; filename="{name}"',
                   "Cache-Control": "private, no-store"}
    if format == "xlsx":
        with tempfile.NamedTemporaryFile(suffix=".xlsx", delete=False) as f:
            tmp = f.name
        write_xlsx(exporter, Path(tmp))  # type: ignore[arg-type]
        return FileResponse(tmp, media_type=MEDIA[format], headers=disposition,
                            background=BackgroundTask(Path(tmp).unlink, missing_ok=True))
    database = request.app.state.database

    def chunks() -> Iterator[bytes]:
        with database.transaction(write=False) as s:
            yield from stream(RecordExporter(s, user, entity), format)  # type: ignore[arg-type]

    return StreamingResponse(chunks(), media_type=MEDIA[format], headers=disposition)


def _queued(db: DbSession, user: User, entity: str, fmt: str) -> JSONResponse:
    exp = DataExport(id=uuid.uuid4(), owner_id=user.id, entity=entity, format=fmt,
                     filters={}, status="queued")
    db.add(exp)
    db.flush()
    enqueue_export(db, exp)
    return JSONResponse(_read(exp).model_dump(mode="json"), status_code=202,
                        headers={"Location": f"/api/v1/exports/{exp.id}"})


@router.post("/all", status_code=202, response_model=ExportRead,
             summary="Export the whole database: a zip with one file per entity, written in "
                     "the background (entities you may not export are left out)",
             responses={202: {"description": "Queued; follow the Location"}})
def export_all(db: DbSession, user: CurrentUser, format: RecordFormat = "csv") -> Response:
    if not any(may_export(user, e) for e in ALL):
        raise Forbidden("You may not export anything")
    audit.record(db, actor_id=user.id, action="export", entity_type="database",
                 entity_id=None, changes={"format": [None, format]})
    return _queued(db, user, "all", format)


def _read(exp: DataExport) -> ExportRead:
    out = ExportRead.model_validate(exp)
    if exp.status == "done":
        out.download_url = f"/api/v1/exports/{exp.id}/download"
    return out


def _load(db: DbSession, user: User, export_id: uuid.UUID) -> DataExport:
    exp = db.get(DataExport, export_id)
    if exp is None:
        raise NotFound("export")
    if exp.entity not in ("contacts", "companies"):  # their own exports only
        if exp.owner_id != user.id:
            raise NotFound("export")
        return exp
    perm = _perm(exp.entity)
    require(user, perm)
    if exp.owner_id != user.id and scope_for(user, perm) != "all":
        raise NotFound("export")
    return exp


@router.get("/{export_id}", response_model=ExportRead, summary="A background export's status")
def get_export(export_id: uuid.UUID, db: DbSession, user: CurrentUser) -> ExportRead:
    return _read(_load(db, user, export_id))


@router.get("/{export_id}/download", response_class=FileResponse,
            summary="Download a finished background export",
            responses={200: FILE_RESPONSES[200],
                       409: {"description": "Not finished yet"},
                       410: {"description": "The file is no longer stored"}})
def download_export(export_id: uuid.UUID, db: DbSession, user: CurrentUser,
                    settings: AppSettings) -> FileResponse:
    exp = _load(db, user, export_id)
    if exp.status != "done" or not exp.stored_name:
        raise Conflict("export.not_ready", f"The export is {exp.status}")
    path = Path(settings.export_dir) / exp.stored_name
    if not path.exists():
        raise ExportGone()
    suffix, media = ("zip", "application/zip") if exp.entity == "all" else (
        SUFFIX[exp.format], MEDIA[exp.format])
    return FileResponse(path, media_type=media, filename=f"{exp.entity}-{exp.id}.{suffix}",
                        headers={"Cache-Control": "private, no-store"})


class ExportGone(NotFound):
    status = 410

    def __init__(self) -> None:
        super().__init__("export", "The export file is no longer stored")
