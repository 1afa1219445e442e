"""An export as the answer to a web request: streamed when small, written by the export job
(and answered with a "download it in a moment" page) when larger than ``export_sync_max_rows``.

The records are those the user may export (``Exporter`` scopes by the export permission);
every export is audited with its format, filters and how many records it held.
"""

from __future__ import annotations

import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from fastapi import Request, Response
from fastapi.responses import FileResponse, StreamingResponse
from sqlalchemy.orm import Session
from starlette.background import BackgroundTask

from amity.auth.access import Permission, require
from amity.auth.models import User
from amity.config import Settings
from amity.core import audit
from amity.dataio.export import MEDIA, SUFFIX, Exporter, stream, write_xlsx
from amity.dataio.models import DataExport
from amity.jobs.dataio import enqueue_export
from amity.web.templating import render


def export_response(request: Request, db: Session, user: User, settings: Settings, *,
                    entity: str, fmt: str, filters: dict[str, Any]) -> Response:
    require(user, Permission.CONTACTS_EXPORT if entity == "contacts"
            else Permission.COMPANIES_EXPORT)
    exporter = Exporter(db, user, entity, filters)
    total = exporter.count()
    audit.record(db, actor_id=user.id, action="export",
                 entity_type="contact" if entity == "contacts" else "company", entity_id=None,
                 changes={"format": [None, fmt], "records": [None, total],
                          "filters": [None, filters]})
    if total > settings.export_sync_max_rows:
        exp = DataExport(id=uuid.uuid4(), owner_id=user.id, entity=entity, format=fmt,
                         filters=filters, status="queued")
        db.add(exp)
        db.flush()
        enqueue_export(db, exp)
        return render(request, "imports/export_queued.html", {"exp": exp})
    disposition = {"Content-Disposition": f'attachment; filename="{entity}.{SUFFIX[fmt]}"',
                   "Cache-Control": "private, no-store"}
    if fmt == "xlsx":
        with tempfile.NamedTemporaryFile(suffix=".xlsx", delete=False) as f:
            tmp = Path(f.name)
        write_xlsx(exporter, tmp)
        return FileResponse(tmp, media_type=MEDIA[fmt], headers=disposition,
                            background=BackgroundTask(tmp.unlink, missing_ok=True))
    database = request.app.state.database

    def chunks() -> Iterator[bytes]:
        with database.transaction(write=False) as s:
            yield from stream(Exporter(s, user, entity, filters), fmt)

    return StreamingResponse(chunks(), media_type=MEDIA[fmt], headers=disposition)
