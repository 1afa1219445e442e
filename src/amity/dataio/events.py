"""Events the import and export domain publishes."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from amity.core.events import DomainEvent


@dataclass(frozen=True)
class ContactsImported(DomainEvent):
    """A chunk of a bulk import stored ``count`` new contacts (rows ``first_row`` to
    ``last_row``); the bulk path publishes this once per chunk instead of one
    ``contact.created`` per contact. The import's changes list which contacts they are."""

    type = "contacts.imported"
    import_id: uuid.UUID
    count: int
    first_row: int
    last_row: int
