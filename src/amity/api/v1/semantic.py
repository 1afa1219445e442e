"""/search/semantic: notes and interactions about a question, within what the caller may see;
/search/semantic/index (settings.manage) queues the embedding job now."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse

from amity.api.deps import CurrentUser, DbSession
from amity.auth.access import Permission, require
from amity.jobs import semantic as semantic_jobs
from amity.semantic import SemanticResults, semantic_search

router = APIRouter(prefix="/search", tags=["search"])


@router.get("/semantic", response_model=SemanticResults,
            summary="Notes and interactions by meaning",
            description="The question is compared by meaning with the stored embeddings of "
                        "the notes and interactions the caller may see (``mode: semantic``, "
                        "``score`` = cosine similarity). Without the semantic model or before "
                        "anything is indexed the answer comes from a keyword search "
                        "(``mode: keyword``, ``reason`` says why).")
def semantic(db: DbSession, user: CurrentUser,
             q: Annotated[str, Query(max_length=200,
                                     description="A question or a few words, e.g. "
                                                 "'who mentioned a wedding?'; empty finds "
                                                 "nothing")] = "",
             limit: Annotated[int, Query(ge=1, le=50)] = 10,
             min_score: Annotated[float, Query(ge=-1.0, le=1.0,
                                               description="Least cosine similarity "
                                                           "kept")] = 0.3,
             mode: Annotated[str, Query(pattern="^(auto|keyword)$",
                                        description="'keyword' skips the model")] = "auto",
             ) -> SemanticResults:
    return semantic_search(db, user=user, q=q, limit=limit, min_score=min_score,
                           use_model=mode == "auto")


@router.post("/semantic/index", status_code=202, summary="Embed new and changed text now",
             description="Queues the embedding job (it also runs every five minutes).")
def index(db: DbSession, user: CurrentUser) -> JSONResponse:
    require(user, Permission.SETTINGS_MANAGE)
    semantic_jobs.request_embedding(db)
    return JSONResponse({"status": "queued"}, status_code=202)
