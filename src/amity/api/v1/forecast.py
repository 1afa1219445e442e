"""/forecast and /sales-stats: weighted pipeline, win rates, cycle lengths."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(tags=["forecast"])
