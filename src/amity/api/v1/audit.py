"""/audit: the whole audit log for administrators, filtered and keyset-paged. Read only.

Access: ``settings.edit`` in scope ``all`` (administrators by default). The log spans every
record in the system, so holding it only within a team (managers) would still show changes to
records outside that team; they read per-record history (``/contacts/{id}/history``) instead.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query

from amity.api.deps import AppSettings, CurrentUser, Cursor, DbSession, Limit
from amity.auth.access import Permission, scope_for
from amity.auth.models import User
from amity.core import audit
from amity.core.errors import Forbidden
from amity.core.schemas import Output, PageOut

router = APIRouter(prefix="/audit", tags=["audit"])


def require_audit_reader(user: User) -> None:
    if scope_for(user, Permission.SETTINGS_MANAGE) != "all":
        raise Forbidden("Reading the audit log needs the 'settings.edit' permission for all "
                        "records (administrators)")


class AuditEntryRead(Output):
    id: uuid.UUID
    at: datetime
    actor_id: uuid.UUID | None
    action: str
    entity_type: str
    entity_id: uuid.UUID | None
    changes: dict[str, Any]


@router.get("", response_model=PageOut[AuditEntryRead], summary="The audit log, newest first")
def list_audit(
    db: DbSession, user: CurrentUser, settings: AppSettings,
    actor_id: uuid.UUID | None = None,
    entity_type: Annotated[str | None, Query(max_length=40)] = None,
    entity_id: uuid.UUID | None = None,
    action: Annotated[str | None, Query(max_length=40)] = None,
    at_from: Annotated[datetime | None, Query(description="Entries at or after this time")]
    = None,
    at_to: Annotated[datetime | None, Query(description="Entries before this time")] = None,
    cursor: Cursor = None, limit: Limit = None,
) -> dict[str, Any]:
    """Filters combine with AND. Sensitive values appear as "***"."""
    require_audit_reader(user)
    filters = audit.AuditFilters(actor_id=actor_id, entity_type=entity_type,
                                 entity_id=entity_id, action=action, at_from=at_from,
                                 at_to=at_to)
    page = audit.list_entries(db, filters=filters, cursor=cursor,
                              limit=limit or settings.page_size_default)
    return {"items": page.items, "next_cursor": page.next_cursor}
