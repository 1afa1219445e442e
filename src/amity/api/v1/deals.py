"""/deals: deals, their board (Kanban), moves, stage history, contacts, lines."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(prefix="/deals", tags=["deals"])
