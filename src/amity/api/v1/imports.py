"""/imports: upload a file of contacts, companies, deals, products, orders or interactions,
map its columns, dry-run, run, follow, download refused rows, roll back."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Coroutine, Iterator
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Query, Request, Response, UploadFile
from fastapi.responses import StreamingResponse
from fastapi.routing import APIRoute
from sqlalchemy import select

from amity.api.deps import AppSettings, CurrentUser, DbSession
from amity.api.errors import problem
from amity.auth.access import Permission, require, require_any, scope_for
from amity.auth.models import User
from amity.core.errors import NotFound, ValidationFailed
from amity.dataio import mapping as maps
from amity.dataio import service
from amity.dataio.models import ENTITIES, DataImport
from amity.dataio.records_runner import import_permission
from amity.dataio.schemas import ImportRead, ImportUploaded, MappingIn, PreviewOut
from amity.jobs.dataio import enqueue_import, enqueue_rollback, import_store

router = APIRouter(prefix="/imports", tags=["imports"])
MULTIPART_OVERHEAD = 64 * 1024
GONE: dict[int | str, dict[str, Any]] = {
    410: {"description": "The uploaded file is no longer stored"}}


def _perm(entity: str) -> Permission:
    return import_permission(entity)


def load_import(db: DbSession, user: User, import_id: uuid.UUID) -> DataImport:
    """An import its owner (or someone with the create permission in scope 'all') may use."""
    imp = db.get(DataImport, import_id)
    if imp is None:
        raise NotFound("import")
    perm = _perm(imp.entity)
    require(user, perm)
    if imp.owner_id != user.id and scope_for(user, perm) != "all":
        raise NotFound("import")
    return imp


class ImportUploadRoute(APIRoute):
    """Refuse an upload over the size limit by its Content-Length (413) before it is read."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def limited(request: Request) -> Response:
            max_bytes = request.app.state.settings.import_max_bytes
            length = request.headers.get("content-length", "")
            if not length.isdigit():
                return problem(411, "length.required", "Send the upload with a Content-Length")
            if int(length) > max_bytes + MULTIPART_OVERHEAD:
                return problem(413, "import.too_large", f"An import file is at most "
                               f"{max_bytes:,} bytes", "file")
            return await handler(request)

        return limited


def upload_import(db: DbSession, user: CurrentUser, settings: AppSettings,
                  file: Annotated[UploadFile | None, File()] = None,
                  entity: Annotated[str | None, Form(max_length=20)] = None) -> ImportUploaded:
    if entity in ENTITIES:
        require(user, _perm(entity))
    else:
        require_any(user, *{import_permission(e) for e in ENTITIES})
        raise ValidationFailed("import.entity", f"entity is one of {', '.join(ENTITIES)}",
                               "entity")
    if file is None:
        raise ValidationFailed("import.file_required", "Send the file as multipart/form-data "
                               "in a field named 'file'", "file")
    store = import_store(settings)
    imp = service.create_import(db, entity=entity, filename=file.filename, stream=file.file,
                                store=store, actor=user)
    return ImportUploaded.model_validate({**ImportRead.model_validate(imp).model_dump(),
                                          "sample": service.sample(store, imp),
                                          "fields": _fields(db, imp.entity)})


def _fields(db: DbSession, entity: str) -> list[str]:
    return [*maps.fields_for(entity), *[f"custom:{k}" for k in maps.custom_keys(db, entity)],
            maps.IGNORE]


router.add_api_route(
    "", upload_import, methods=["POST"], status_code=201, response_model=ImportUploaded,
    route_class_override=ImportUploadRoute,
    summary="Upload a CSV, XLSX or vCard file (multipart: 'file' and 'entity': contacts, "
            "companies, deals, products, orders or interactions)",
    description="The file is stored and read: format, encoding, delimiter, headers (made "
                "unique), a sample and a suggested mapping come back. Nothing is imported yet.",
    responses={411: {"description": "No Content-Length"},
               413: {"description": "Over the size limit"}})


@router.get("", response_model=list[ImportRead], summary="Your imports, newest first")
def list_imports(db: DbSession, user: CurrentUser,
                 limit: Annotated[int, Query(ge=1, le=200)] = 50) -> list[DataImport]:
    return list(db.scalars(select(DataImport).where(DataImport.owner_id == user.id)
                           .order_by(DataImport.created_at.desc()).limit(limit)))


@router.get("/{import_id}", response_model=ImportRead,
            summary="Status, progress and counts of an import")
def get_import(import_id: uuid.UUID, db: DbSession, user: CurrentUser) -> DataImport:
    return load_import(db, user, import_id)


@router.put("/{import_id}/mapping", response_model=ImportRead,
            summary="Map columns to fields and set the options",
            responses={409: {"description": "The import has already run"}})
def put_mapping(import_id: uuid.UUID, body: MappingIn, db: DbSession,
                user: CurrentUser) -> DataImport:
    imp = load_import(db, user, import_id)
    return service.set_mapping(db, imp=imp, mapping=dict(body.mapping),
                               options=body.options.model_dump(), actor=user)


@router.post("/{import_id}/preview", response_model=PreviewOut, responses=GONE,
             summary="Dry run: what each row would do, nothing written")
def preview_import(import_id: uuid.UUID, db: DbSession, user: CurrentUser,
                   settings: AppSettings,
                   limit: Annotated[int, Query(ge=1, le=1000)] = 100) -> dict[str, Any]:
    imp = load_import(db, user, import_id)
    store = import_store(settings)
    if not store.path_of(imp).exists():
        raise service.FileGone()
    return service.preview(db, imp=imp, store=store, actor=user,
                           default_region=settings.default_region, limit=limit,
                           default_currency=settings.default_currency)


@router.post("/{import_id}/run", status_code=202, response_model=ImportRead,
             summary="Run the import in the background",
             responses={409: {"description": "The import has already run"}})
def run_import(import_id: uuid.UUID, db: DbSession, user: CurrentUser) -> DataImport:
    imp = load_import(db, user, import_id)
    return service.start(db, imp=imp, actor=user, enqueue=lambda i: enqueue_import(db, i))


@router.post("/{import_id}/rollback", status_code=202, response_model=ImportRead,
             summary="Undo the import: remove what it created, restore what it updated",
             responses={409: {"description": "The import has not finished"}})
def rollback_import(import_id: uuid.UUID, db: DbSession, user: CurrentUser) -> DataImport:
    imp = load_import(db, user, import_id)
    return service.request_rollback(db, imp=imp, actor=user,
                                    enqueue=lambda i: enqueue_rollback(db, i))


@router.get("/{import_id}/errors.csv", response_class=StreamingResponse,
            summary="The refused rows: original values, row number and errors",
            responses={200: {"content": {"text/csv": {}}, "description": "CSV file"}})
def import_errors(import_id: uuid.UUID, request: Request, db: DbSession,
                  user: CurrentUser) -> StreamingResponse:
    imp = load_import(db, user, import_id)
    database = request.app.state.database

    def chunks() -> Iterator[bytes]:
        with database.transaction(write=False) as s:
            current = s.get(DataImport, import_id)
            if current is not None:
                for text in service.error_rows(s, current):
                    yield text.encode()

    return StreamingResponse(chunks(), media_type="text/csv; charset=utf-8",
                             headers={"Content-Disposition":
                                      f'attachment; filename="import-{imp.id}-errors.csv"'})
