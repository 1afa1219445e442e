"""Imports: upload and sniff a file, map its columns, dry-run it, run it in batches as a job,
list its refused rows, and roll it back. Every state change is audited."""

from __future__ import annotations

import csv
import io
import os
import tempfile
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

import phonenumbers
from sqlalchemy import select
from sqlalchemy.orm import Session

from amity.auth.access import FieldForbidden, can_see_sensitive
from amity.auth.models import User
from amity.core import audit
from amity.core.audit import sensitive_keys
from amity.core.clock import now
from amity.core.errors import Conflict, DomainError, ValidationFailed
from amity.dataio import bulk, record_custom
from amity.dataio import mapping as maps
from amity.dataio import records_runner as records
from amity.dataio.export import safe_cell
from amity.dataio.models import ENTITIES, DataImport, ImportChange, ImportRowError
from amity.dataio.reader import CARD_ERROR, Sniffed, count_rows, iter_rows, sniff
from amity.dataio.rows import Options
from amity.dataio.runner import Plan, Planner, carry_out, undo

CHUNK = 64 * 1024
MATCH_MODES = ("update_empty", "overwrite", "skip", "create")
RUNNABLE = ("uploaded", "mapped")
ROLLBACKABLE = ("done", "failed")


class TooLarge(DomainError):
    status = 413


class FileGone(DomainError):
    status = 410

    def __init__(self) -> None:
        super().__init__("import.file_gone", "The uploaded file is no longer stored; upload "
                         "it again")


@dataclass(frozen=True)
class ImportStore:
    root: Path
    max_bytes: int

    def path_of(self, imp: DataImport) -> Path:
        return self.root / imp.stored_name


def sniffed_of(imp: DataImport) -> Sniffed:
    return Sniffed(format=imp.format, encoding=imp.encoding, delimiter=imp.delimiter,
                   headers=list(imp.headers))


def _spool(store: ImportStore, stream: BinaryIO) -> tuple[Path, int]:
    store.root.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix="import-", dir=store.root)
    path, size = Path(name), 0
    try:
        with os.fdopen(fd, "wb") as out:
            while chunk := stream.read(CHUNK):
                size += len(chunk)
                if size > store.max_bytes:
                    raise TooLarge("import.too_large", f"An import file is at most "
                                   f"{store.max_bytes:,} bytes", "file")
                out.write(chunk)
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return path, size


def create_import(db: Session, *, entity: str, filename: str | None, stream: BinaryIO,
                  store: ImportStore, actor: User) -> DataImport:
    """Store the upload, sniff it (422 if unreadable, 413 if too large) and suggest a mapping."""
    if entity not in ENTITIES:
        raise ValidationFailed("import.entity", f"entity is one of {', '.join(ENTITIES)}",
                               "entity")
    name = (filename or "upload").replace("\\", "/").rsplit("/", 1)[-1][:255] or "upload"
    path, size = _spool(store, stream)
    try:
        found = sniff(path, name)
        total = count_rows(path, found)
    except (DomainError, OSError):
        path.unlink(missing_ok=True)
        raise
    except Exception as exc:  # csv.Error, zip damage: unreadable, not a server error
        path.unlink(missing_ok=True)
        raise ValidationFailed("import.unreadable", f"The file cannot be read: {exc}",
                               "file") from exc
    suggested = maps.suggest(entity, found.headers, maps.custom_keys(db, entity))
    imp = DataImport(id=uuid.uuid4(), owner_id=actor.id, entity=entity, filename=name,
                     stored_name=path.name, size_bytes=size, format=found.format,
                     encoding=found.encoding, delimiter=found.delimiter, headers=found.headers,
                     renamed_headers=found.renamed, mapping=suggested, options={},
                     status="uploaded", total_rows=total, position=0, created_count=0,
                     updated_count=0, skipped_count=0, error_count=0)
    db.add(imp)
    db.flush()
    audit.record(db, actor_id=actor.id, action="upload", entity_type="import",
                 entity_id=imp.id, changes={"filename": [None, name], "format": [None,
                                                                                 found.format]})
    return imp


def sample(store: ImportStore, imp: DataImport, n: int = 5) -> list[list[str]]:
    rows = iter_rows(store.path_of(imp), sniffed_of(imp))
    return [[v.removeprefix(CARD_ERROR) for v in raw] for _, raw in
            (next(rows, (0, [])) for _ in range(n)) if raw]


def set_mapping(db: Session, *, imp: DataImport, mapping: dict[str, str],
                options: dict[str, Any], actor: User) -> DataImport:
    if imp.status not in RUNNABLE:
        raise Conflict("import.not_editable", f"The import is {imp.status}; its mapping can no "
                       "longer change")
    clean = maps.validate(db, imp.entity, list(imp.headers), mapping)
    opts = check_options(options)
    if not can_see_sensitive(actor):
        hidden = {f"custom:{k}" for k in sensitive_keys(db, record_custom.KIND[imp.entity])}
        if imp.entity == "contacts":
            hidden.add("notes")
        for column, target in clean.items():
            if target in hidden:
                raise FieldForbidden(f"mapping.{column}", f"You may not write '{target}'")
    before = {"mapping": imp.mapping, "options": imp.options}
    imp.mapping, imp.options, imp.status = clean, opts, "mapped"
    audit.record(db, actor_id=actor.id, action="map", entity_type="import", entity_id=imp.id,
                 changes=audit.diff(before, {"mapping": clean, "options": opts}))
    return imp


def check_options(options: dict[str, Any]) -> dict[str, Any]:
    opts = dict(options)
    match = opts.get("match", "update_empty")
    if match not in MATCH_MODES:
        raise ValidationFailed("options.match", f"match is one of {', '.join(MATCH_MODES)}",
                               "options.match")
    region = opts.get("default_region")
    if region is not None and str(region).upper() not in phonenumbers.SUPPORTED_REGIONS:
        raise ValidationFailed("options.default_region", f"'{region}' is not a region code "
                               "such as US or FR", "options.default_region")
    if not isinstance(opts.get("bulk", False), bool | None):
        raise ValidationFailed("options.bulk", "bulk is true, false or null (by size)",
                               "options.bulk")
    currency = opts.get("default_currency")
    if currency is not None and not (isinstance(currency, str) and len(currency) == 3
                                     and currency.isascii() and currency.isupper()):
        raise ValidationFailed("options.default_currency", f"'{currency}' is not an ISO "
                               "currency code such as EUR", "options.default_currency")
    return {k: v for k, v in opts.items() if v is not None}


def _planner(db: Session, imp: DataImport, actor: User, opts: Options, *, dry_run: bool,
             default_currency: str) -> Any:
    if imp.entity in records.KIND:
        return records.RecordPlanner(db, imp, actor, opts, dry_run=dry_run,
                                     default_currency=default_currency)
    return Planner(db, imp, actor, opts, dry_run=dry_run)


def _batches(store: ImportStore, imp: DataImport, size: int,
             start: int = 0) -> Iterator[list[tuple[int, list[str]]]]:
    """The file's rows in batches; an order's lines (consecutive rows with one order
    reference) stay in one batch."""
    rows = iter_rows(store.path_of(imp), sniffed_of(imp), start=start)
    if imp.entity != "orders":
        return batches(rows, size)
    ref = next((i for i, h in enumerate(imp.headers) if imp.mapping.get(h) == "order_ref"),
               None)
    return records.order_batches(rows, size, ref)


def _carry_out(planner: Any, plans: list[Plan]) -> None:
    if isinstance(planner, records.RecordPlanner):
        records.carry_out(planner, plans)
    else:
        carry_out(planner, plans)


def preview(db: Session, *, imp: DataImport, store: ImportStore, actor: User,
            default_region: str, limit: int, batch_size: int = 500,
            default_currency: str = "USD") -> dict[str, Any]:
    """The dry run: every row planned, nothing written; the first ``limit`` rows listed."""
    planner = _planner(db, imp, actor, Options.of(imp.options, default_region), dry_run=True,
                       default_currency=default_currency)
    counts = {"create": 0, "update": 0, "skip": 0, "error": 0}
    listed: list[Plan] = []
    for batch in _batches(store, imp, batch_size):
        for p in planner.plan(batch):
            counts[p.action] += 1
            if len(listed) < limit:
                listed.append(p)
    return {"counts": counts, "rows": [
        {"row": p.row_number, "action": p.action, "errors": p.errors, "note": p.note,
         "values": _shown(p.data.values, p.data.company_name)} for p in listed]}


def _shown(values: dict[str, Any], company: str | None) -> dict[str, Any]:
    out = dict(values)
    if company:
        out["company"] = company
    return out


def batches(rows: Iterator[tuple[int, list[str]]],
            size: int) -> Iterator[list[tuple[int, list[str]]]]:
    batch: list[tuple[int, list[str]]] = []
    for item in rows:
        batch.append(item)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def start(db: Session, *, imp: DataImport, actor: User,
          enqueue: Callable[[DataImport], uuid.UUID] | None) -> DataImport:
    """Queue the import (``enqueue`` adds its job; None: the caller runs it in-process)."""
    if imp.status not in RUNNABLE:
        raise Conflict("import.not_runnable", f"The import is {imp.status}; it runs once")
    maps.validate(db, imp.entity, list(imp.headers), dict(imp.mapping))
    imp.status = "queued"
    imp.job_id = enqueue(imp) if enqueue is not None else None
    audit.record(db, actor_id=actor.id, action="run", entity_type="import", entity_id=imp.id)
    return imp


def run(db: Session, *, imp: DataImport, store: ImportStore, default_region: str,
        batch_size: int, commit: Callable[[], None],
        default_currency: str = "USD") -> DataImport:
    """Process the import from its ``position`` to the end, committing after each batch."""
    if imp.status in ("done", "failed", "rolling_back", "rolled_back"):
        return imp
    actor = db.get(User, imp.owner_id) if imp.owner_id else None
    if actor is None or not actor.is_active:
        imp.status, imp.message, imp.finished_at = "failed", "The importing user is gone", now()
        return imp
    opts = Options.of(imp.options, default_region)
    path, sniffed = store.path_of(imp), sniffed_of(imp)
    if imp.status != "running":
        imp.status, imp.started_at = "running", now()
        if opts.all_or_nothing and not _validate_all(db, imp, store, actor, opts, batch_size,
                                                     default_currency):
            imp.status, imp.finished_at = "failed", now()
            imp.message = (f"{imp.error_count} row(s) have errors; nothing was imported "
                           "(all-or-nothing)")
            return imp
        commit()
    planner = _planner(db, imp, actor, opts, dry_run=False, default_currency=default_currency)
    if bulk.wanted(imp.entity, imp.options, imp.total_rows):
        with bulk.BulkWriter(planner) as writer:
            for batch in writer.batches(iter_rows(path, sniffed, start=imp.position)):
                writer.write(batch)
                imp.position = batch[-1][0]
                commit()
    for batch in _batches(store, imp, batch_size, start=imp.position):
        _carry_out(planner, planner.plan(batch))
        imp.position = batch[-1][0]
        commit()
    if opts.all_or_nothing and imp.error_count:
        rollback(db, imp=imp, actor=actor, default_region=default_region, commit=commit,
                 final="failed")
        imp.message = f"{imp.error_count} row(s) failed; everything was undone (all-or-nothing)"
        return imp
    imp.status, imp.finished_at = "done", now()
    audit.record(db, actor_id=actor.id, action="import", entity_type="import",
                 entity_id=imp.id, changes={"created": [None, imp.created_count],
                                            "updated": [None, imp.updated_count],
                                            "errors": [None, imp.error_count]})
    return imp


def _validate_all(db: Session, imp: DataImport, store: ImportStore, actor: User,
                  opts: Options, batch_size: int, default_currency: str = "USD") -> bool:
    planner = _planner(db, imp, actor, opts, dry_run=True, default_currency=default_currency)
    ok = True
    for batch in _batches(store, imp, batch_size):
        for p in planner.plan(batch):
            if p.action == "error":
                ok = False
                db.add(ImportRowError(import_id=imp.id, row_number=p.row_number, raw=p.raw,
                                      errors=p.errors))
                imp.error_count += 1
    return ok


def request_rollback(db: Session, *, imp: DataImport, actor: User,
                     enqueue: Callable[[DataImport], uuid.UUID]) -> DataImport:
    if imp.status not in ROLLBACKABLE:
        raise Conflict("import.not_rollbackable", f"The import is {imp.status}; only a "
                       "finished import can be rolled back")
    imp.status = "rolling_back"
    imp.job_id = enqueue(imp)
    audit.record(db, actor_id=actor.id, action="rollback_requested", entity_type="import",
                 entity_id=imp.id)
    return imp


def rollback(db: Session, *, imp: DataImport, actor: User | None, default_region: str,
             commit: Callable[[], None], final: str = "rolled_back",
             batch_size: int = 500) -> DataImport:
    """Undo every change, newest first, in batches (each undo is idempotent: a resumed
    rollback repeats harmlessly)."""
    actor = actor or (db.get(User, imp.owner_id) if imp.owner_id else None)
    if actor is None:
        imp.message = "The importing user is gone; nothing was rolled back"
        return imp
    region = Options.of(imp.options, default_region).region
    in_bulk = bulk.wanted(imp.entity, imp.options, imp.total_rows)
    last: tuple[int, str] | None = None
    undone = 0
    while True:
        stmt = select(ImportChange).where(ImportChange.import_id == imp.id)
        if last is not None:
            stmt = stmt.where((ImportChange.row_number < last[0])
                              | ((ImportChange.row_number == last[0])
                                 & (ImportChange.entity_type > last[1])))
        chunk = list(db.scalars(stmt.order_by(ImportChange.row_number.desc(),
                                              ImportChange.entity_type).limit(batch_size)))
        if not chunk:
            break
        if in_bulk:
            undone += _undo_in_bulk(db, imp, chunk, actor, region)
        else:
            for change in chunk:
                undone += (records.undo(db, change, actor) if change.entity_type in
                           records.MODELS else undo(db, change, actor, region))
        last = (chunk[-1].row_number, chunk[-1].entity_type)
        commit()
    imp.status, imp.rolled_back_at = final, now()
    imp.finished_at = imp.finished_at or now()
    audit.record(db, actor_id=actor.id, action="rollback", entity_type="import",
                 entity_id=imp.id, changes={"undone": [None, undone]})
    return imp


def _undo_in_bulk(db: Session, imp: DataImport, chunk: list[ImportChange], actor: User,
                  region: str) -> int:
    """A bulk import's changes, newest first: runs of created records are soft-deleted a
    run at a time, updated records restored one by one in between, so the order of the row
    path's undo is kept."""
    undone, run = 0, []
    for change in chunk:
        if change.action == "created":
            run.append(change)
            continue
        if run:
            undone += bulk.undo_created(db, imp.id, run, actor.id)
            run = []
        undone += undo(db, change, actor, region)
    if run:
        undone += bulk.undo_created(db, imp.id, run, actor.id)
    return undone


def error_rows(db: Session, imp: DataImport) -> Iterator[str]:
    """The error file: the original columns, the row number and the errors (CSV, streamed;
    cells are neutralised against formula injection)."""
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow([*[safe_cell(h) for h in imp.headers], "Row", "Errors"])
    yield "\ufeff" + buf.getvalue()
    after = 0
    while True:
        chunk = list(db.scalars(select(ImportRowError).where(
            ImportRowError.import_id == imp.id, ImportRowError.row_number > after)
            .order_by(ImportRowError.row_number).limit(500)))
        if not chunk:
            return
        buf.seek(0)
        buf.truncate()
        for e in chunk:
            raw = [str(v).removeprefix(CARD_ERROR) for v in e.raw]
            message = "; ".join(f"{x['field']}: {x['message']}" for x in e.errors)
            writer.writerow([*[safe_cell(v) for v in raw], e.row_number, safe_cell(message)])
        yield buf.getvalue()
        after = chunk[-1].row_number
