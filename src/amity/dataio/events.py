"""Events the import and export domain publishes."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from amity.core.events import DomainEvent


@dataclass(frozen=True)
class ContactsImported(DomainEvent):
    """A chunk of a bulk import stored ``count`` new contacts and ``companies`` new companies
    (rows ``first_row`` to ``last_row``); the bulk path publishes this once per chunk instead
    of a ``contact.created`` / ``company.changed`` per record. The import's changes list which
    records they are."""

    type = "contacts.imported"
    import_id: uuid.UUID
    count: int
    companies: int
    first_row: int
    last_row: int


@dataclass(frozen=True)
class ImportedRecordsDeleted(DomainEvent):
    """Rolling back a bulk import soft-deleted ``contacts`` contacts and ``companies``
    companies it had created (one event per batch instead of one per record)."""

    type = "import.records_deleted"
    import_id: uuid.UUID
    contacts: int
    companies: int
