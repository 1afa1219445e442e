"""/search: one query across people, companies, deals and tickets the caller may see."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query

from amity.api.deps import CurrentUser, DbSession
from amity.core.clock import now
from amity.search import SearchResults, global_search

router = APIRouter(prefix="/search", tags=["search"])


@router.get("", response_model=SearchResults)
def search(db: DbSession, user: CurrentUser,
           q: Annotated[str, Query(max_length=200,
                                   description="Words, a name (typos tolerated for people), "
                                               "an email, a phone or a ticket number; "
                                               "empty finds nothing")] = "",
           group: Annotated[Literal["contacts", "companies", "deals", "tickets"] | None,
                            Query(description="Only this group")] = None,
           limit: Annotated[int, Query(ge=1, le=50, description="Hits per group")] = 5,
           ) -> SearchResults:
    """Grouped hits, best first; a group the caller may not see is always empty."""
    return global_search(db, user=user, q=q, limit=limit, at=now(), only=group)
