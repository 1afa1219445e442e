"""/pipelines and /lost-reasons: the shape of the sales process (admins edit it)."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(tags=["pipelines"])
