"""Jobs of imports and exports: run an import (batched, resumable), roll one back, and write a
large export (or the whole database, as a zip) to a file.

``dataio.import`` commits after every batch together with the import's position, so a job
re-run after a crash or a lost lease continues after the last committed batch. Rollback undoes
idempotently and may simply run again. A finished contact or company import that created or
changed records queues one duplicate scan (``dedupe.scan``), so near-duplicates it brought in
are suggested for review without slowing the import.
"""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from amity.auth.models import User
from amity.config import Settings
from amity.core.clock import now
from amity.dataio import service
from amity.dataio.export import SUFFIX, write_file
from amity.dataio.export_records import exporter_for, write_all
from amity.dataio.models import DataExport, DataImport
from amity.jobs import queue
from amity.jobs.context import JobContext
from amity.jobs.dedupe import SCAN
from amity.jobs.registry import job

RUN_IMPORT = "dataio.import"
ROLLBACK_IMPORT = "dataio.rollback"
EXPORT = "dataio.export"


def import_store(settings: Settings) -> service.ImportStore:
    return service.ImportStore(root=Path(settings.import_dir),
                               max_bytes=settings.import_max_bytes)


def enqueue_import(db: Session, imp: DataImport) -> uuid.UUID:
    return queue.enqueue(db, RUN_IMPORT, {"import_id": str(imp.id)},
                         idempotency_key=f"import:{imp.id}").id


def enqueue_rollback(db: Session, imp: DataImport) -> uuid.UUID:
    return queue.enqueue(db, ROLLBACK_IMPORT, {"import_id": str(imp.id)},
                         idempotency_key=f"import-rollback:{imp.id}").id


def enqueue_export(db: Session, exp: DataExport) -> uuid.UUID:
    return queue.enqueue(db, EXPORT, {"export_id": str(exp.id)},
                         idempotency_key=f"export:{exp.id}").id


def _commit(db: Session, ctx: JobContext | None) -> None:
    db.commit()
    if ctx is not None:
        ctx.heartbeat()


def run_import(db: Session, settings: Settings, import_id: uuid.UUID,
               ctx: JobContext | None = None) -> DataImport | None:
    imp = db.get(DataImport, import_id)
    if imp is None:
        return None
    done = service.run(db, imp=imp, store=import_store(settings),
                       default_region=settings.default_region,
                       batch_size=settings.import_batch_size, commit=lambda: _commit(db, ctx),
                       default_currency=settings.default_currency)
    if done.status == "done" and done.entity in ("contacts", "companies") and (
            done.created_count or done.updated_count):
        # fuzzy duplicates (names, company, address, with blocking) among the imported and
        # the stored records become suggestions for review, in the background: the import's
        # own matching stays exact (email) and fast
        queue.enqueue(db, SCAN, {"entity": "contact" if done.entity == "contacts"
                                 else "company"}, idempotency_key=f"import-scan:{done.id}")
    return done


@job(RUN_IMPORT, max_attempts=5)
def import_job(payload: dict[str, Any], db: Session, ctx: JobContext) -> None:
    run_import(db, ctx.settings, uuid.UUID(str(payload["import_id"])), ctx)


@job(ROLLBACK_IMPORT, max_attempts=5)
def rollback_job(payload: dict[str, Any], db: Session, ctx: JobContext) -> None:
    imp = db.get(DataImport, uuid.UUID(str(payload["import_id"])))
    if imp is None or imp.status != "rolling_back":
        return
    service.rollback(db, imp=imp, actor=None, default_region=ctx.settings.default_region,
                     commit=lambda: _commit(db, ctx))


@job(EXPORT, max_attempts=3)
def export_job(payload: dict[str, Any], db: Session, ctx: JobContext) -> None:
    exp = db.get(DataExport, uuid.UUID(str(payload["export_id"])))
    if exp is None or exp.status != "queued":
        return
    user = db.get(User, exp.owner_id) if exp.owner_id else None
    if user is None or not user.is_active:
        exp.status, exp.message, exp.finished_at = "failed", "The user is gone", now()
        return
    root = Path(ctx.settings.export_dir)
    root.mkdir(parents=True, exist_ok=True)
    if exp.entity == "all":  # the whole database: a zip with one file per entity
        name = f"{exp.id}.zip"
        exp.row_count = sum(write_all(db, user, exp.format, root / name).values())
        exp.stored_name, exp.status, exp.finished_at = name, "done", now()
        return
    name = f"{exp.id}.{SUFFIX[exp.format]}"
    exporter = exporter_for(db, user, exp.entity, dict(exp.filters))
    write_file(exporter, exp.format, root / name)  # type: ignore[arg-type]
    exp.row_count = exporter.count()
    exp.stored_name, exp.status, exp.finished_at = name, "done", now()
