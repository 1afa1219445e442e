"""/products and /exchange-rates: the catalogue and currency conversion."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(tags=["products"])
