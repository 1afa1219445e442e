"""Global search: the suggestions under the shell's search box and the full results page."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from amity.api.deps import DbSession
from amity.core.clock import now
from amity.search import GROUPS, global_search
from amity.web.auth import WebUser
from amity.web.errors import WebRoute
from amity.web.templating import render

router = APIRouter(route_class=WebRoute)

SUGGEST_LIMIT = 5  # per group: the drop-down stays short enough to read at a glance
PAGE_LIMIT = 25


@router.get("/search/suggest")
def suggest(request: Request, db: DbSession, user: WebUser,
            q: Annotated[str, Query(max_length=200)] = "") -> Response:
    results = global_search(db, user=user, q=q, limit=SUGGEST_LIMIT, at=now())
    return render(request, "search/_suggest.html", {"results": results})


@router.get("/search")
def search_page(request: Request, db: DbSession, user: WebUser,
                q: Annotated[str, Query(max_length=200)] = "",
                group: Annotated[str, Query(max_length=20)] = "") -> Response:
    only = group if group in GROUPS else None
    results = global_search(db, user=user, q=q, limit=PAGE_LIMIT, at=now(), only=only)
    return render(request, "search/page.html", {"results": results, "group": only or ""})
