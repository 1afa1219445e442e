"""/orders: purchases of contacts and companies, with their lines."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(prefix="/orders", tags=["orders"])
