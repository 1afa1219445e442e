"""Semantic search in the browser: the "Related notes and conversations" section of the
global search page, loaded by HTMX after the page (the reader's own scope applies)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from amity.api.deps import DbSession
from amity.semantic import semantic_search
from amity.web.auth import WebUser
from amity.web.errors import WebRoute
from amity.web.templating import render

router = APIRouter(route_class=WebRoute)
RELATED_LIMIT = 10


@router.get("/search/related")
def related(request: Request, db: DbSession, user: WebUser,
            q: Annotated[str, Query(max_length=200)] = "") -> Response:
    results = semantic_search(db, user=user, q=q, limit=RELATED_LIMIT)
    return render(request, "search/_related.html", {"results": results})
