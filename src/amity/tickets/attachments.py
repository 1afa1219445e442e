"""Files attached to ticket comments: size limit, type allow-list checked against the bytes,
sha256, storage under a configured directory.

The bytes are streamed to a temporary file in the storage directory while they are hashed
and counted (an upload over the limit stops there), then checked: the declared content type
must be allowed and must agree with what the first bytes say (a PNG declared as a PDF, or an
executable declared as text, is refused). The file is then named by its sha256
(``<dir>/ab/abcdef...``), so the same file uploaded twice is stored once. A transaction that
rolls back leaves at most an unreferenced file behind, never a row without its file.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import uuid
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import BinaryIO

from sqlalchemy import select
from sqlalchemy.orm import Session

from amity.auth.models import User
from amity.core import audit
from amity.core.clock import now
from amity.core.errors import ValidationFailed
from amity.tickets.errors import Gone, TooLarge
from amity.tickets.models import Ticket, TicketAttachment, TicketComment

CHUNK = 64 * 1024
OOXML = "application/vnd.openxmlformats-officedocument."
ZIP_FAMILY = {"application/zip", f"{OOXML}wordprocessingml.document",
              f"{OOXML}spreadsheetml.sheet", f"{OOXML}presentationml.presentation"}
TEXT_TYPES = {"text/plain", "text/csv"}
UNDECLARED = {"", "application/octet-stream"}
_SIGNATURES = ((b"\x89PNG\r\n\x1a\n", "image/png"), (b"\xff\xd8\xff", "image/jpeg"),
               (b"GIF87a", "image/gif"), (b"GIF89a", "image/gif"), (b"%PDF-", "application/pdf"),
               (b"PK\x03\x04", "application/zip"), (b"PK\x05\x06", "application/zip"))


@dataclass(frozen=True)
class AttachmentStore:
    root: Path
    max_bytes: int
    allowed_types: tuple[str, ...]

    def path_of(self, sha256: str) -> Path:
        return self.root / sha256[:2] / sha256


def sniff(head: bytes) -> str | None:
    """The type the first bytes announce, or None (no known signature: maybe text)."""
    for signature, kind in _SIGNATURES:
        if head.startswith(signature):
            return kind
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    return None


def is_text(data: bytes) -> bool:
    if b"\x00" in data:
        return False
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def checked_type(declared: str | None, data: bytes, allowed: tuple[str, ...]) -> str:
    """The content type to store, or a 422 naming why the file is refused."""
    kind = (declared or "").split(";", 1)[0].strip().lower()
    sniffed = sniff(data[:16])
    if kind in UNDECLARED:
        kind = sniffed or ("text/plain" if is_text(data) else "")
    if not kind or kind not in allowed:
        raise ValidationFailed("attachment.type_not_allowed",
                               f"Files of type '{kind or 'unknown'}' are not accepted; allowed: "
                               f"{', '.join(allowed)}", "file")
    agrees = (sniffed == kind or (sniffed == "application/zip" and kind in ZIP_FAMILY)
              if sniffed is not None else kind in TEXT_TYPES and is_text(data))
    if not agrees:
        raise ValidationFailed("attachment.type_mismatch",
                               f"The file's content is not {kind} (it looks like "
                               f"{sniffed or 'something else'})", "file")
    return kind


def clean_filename(name: str | None) -> str:
    """A plain file name: no directories, control or quoting characters, at most 255."""
    base = (name or "").replace("\\", "/").rsplit("/", 1)[-1]
    base = "".join(ch for ch in base if ch.isprintable() and ch not in '"<>:|?*')
    return base.strip(" .")[:255] or "attachment"


def _spool(store: AttachmentStore, stream: BinaryIO) -> tuple[Path, str, int]:
    """Copy the upload to a temporary file beside the store, hashing and counting it."""
    store.root.mkdir(parents=True, exist_ok=True)
    digest, size = hashlib.sha256(), 0
    fd, name = tempfile.mkstemp(prefix=".upload-", dir=store.root)
    tmp = Path(name)
    try:
        with os.fdopen(fd, "wb") as out:
            while chunk := stream.read(CHUNK):
                size += len(chunk)
                if size > store.max_bytes:
                    raise TooLarge("attachment.too_large", f"A file is at most "
                                   f"{store.max_bytes:,} bytes", "file")
                digest.update(chunk)
                out.write(chunk)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return tmp, digest.hexdigest(), size


def add_attachment(db: Session, *, ticket: Ticket, comment: TicketComment, filename: str | None,
                   content_type: str | None, stream: BinaryIO, store: AttachmentStore,
                   actor: User) -> TicketAttachment:
    tmp, sha, size = _spool(store, stream)
    try:
        if size == 0:
            raise ValidationFailed("attachment.empty", "The file is empty", "file")
        kind = checked_type(content_type, tmp.read_bytes(), store.allowed_types)
        final = store.path_of(sha)
        final.parent.mkdir(parents=True, exist_ok=True)
        if final.exists():
            tmp.unlink()
        else:
            os.replace(tmp, final)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    att = TicketAttachment(id=uuid.uuid4(), ticket_id=ticket.id, comment_id=comment.id,
                           filename=clean_filename(filename), content_type=kind, size=size,
                           sha256=sha, uploaded_by=actor.id, created_at=now())
    db.add(att)
    db.flush()
    audit.record(db, actor_id=actor.id, action="attach", entity_type="ticket",
                 entity_id=ticket.id, changes={"attachment_id": [None, str(att.id)],
                                               "content_type": [None, kind],
                                               "size": [None, size]})
    return att


def stored_file(store: AttachmentStore, att: TicketAttachment) -> Path:
    """Where the bytes are; 410 if they are missing from the store (restored without files)."""
    path = store.path_of(att.sha256)
    if not path.is_file():
        raise Gone("attachment.missing", "The file's content is no longer stored")
    return path


def sweep_unreferenced(db: Session, store: AttachmentStore, *, older_than: datetime) -> int:
    """Delete stored files no attachment row names any more (erased, or left by an upload
    whose transaction rolled back) and stale temporary uploads, last modified before
    ``older_than`` (so an upload in flight is never touched). Returns how many went."""
    if not store.root.is_dir():
        return 0
    cutoff = older_than.timestamp()
    removed = 0
    for tmp in store.root.glob(".upload-*"):
        if tmp.stat().st_mtime < cutoff:
            tmp.unlink(missing_ok=True)
            removed += 1
    for folder in sorted(p for p in store.root.iterdir() if p.is_dir() and len(p.name) == 2):
        files = {p.name: p for p in folder.iterdir()
                 if p.is_file() and p.stat().st_mtime < cutoff}
        names = sorted(files)
        for i in range(0, len(names), 500):
            chunk = names[i:i + 500]
            known = set(db.scalars(select(TicketAttachment.sha256)
                                   .where(TicketAttachment.sha256.in_(chunk))))
            for name in chunk:
                if name not in known:
                    files[name].unlink(missing_ok=True)
                    removed += 1
    return removed
