"""/contacts/{id}/timeline: everything that happened with one person, newest first."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query

from amity.activities.schemas import Channel, TimelineKind, TimelinePage
from amity.activities.timeline import timeline
from amity.api.deps import AppSettings, CurrentUser, Cursor, DbSession, Limit
from amity.auth.access import Permission, access_record
from amity.contacts.models import Contact

router = APIRouter(tags=["contacts"])


@router.get("/contacts/{contact_id}/timeline", response_model=TimelinePage,
            summary="Interactions, notes, tasks, deals and orders merged, newest first")
def contact_timeline(
    contact_id: uuid.UUID, db: DbSession, user: CurrentUser, settings: AppSettings,
    kinds: Annotated[list[TimelineKind] | None, Query(description=(
        "Only these kinds (repeat the parameter)"))] = None,
    channels: Annotated[list[Channel] | None, Query(description=(
        "Only interactions on these channels (other kinds only if named in kinds)"))] = None,
    cursor: Cursor = None, limit: Limit = None,
) -> TimelinePage:
    c = access_record(db, user, Contact, contact_id, Permission.CONTACTS_VIEW, entity="contact")
    items, nxt = timeline(db, user, contact_id=c.id, kinds=list(kinds or []) or None,
                          channels=list(channels or []), cursor=cursor,
                          limit=limit or settings.page_size_default)
    return TimelinePage(items=items, next_cursor=nxt)
