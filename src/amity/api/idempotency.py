"""Replaying POST responses for a repeated ``Idempotency-Key``."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy.orm import Session

from amity.auth.models import User
from amity.core import idempotency

IDEMPOTENCY_TTL = "amity.idempotency_ttl"  # session.info key, set per request by get_db


class _JSONBytes(JSONResponse):
    """A JSON response whose body pydantic has already serialised (bytes pass through)."""

    def render(self, content: Any) -> bytes:
        return content if isinstance(content, bytes) else super().render(content)


def idempotent(db: Session, user: User, key: str | None, route: str, body: BaseModel,
               create: Callable[[], Any], out: type[BaseModel],
               status: int = 201) -> JSONResponse:
    """Run ``create`` once per key; a retry with the same key and body gets the same answer."""
    if key is None:  # nothing to remember: pydantic writes the JSON in one pass
        model = out.model_validate(create())
        version = getattr(model, "version", None)
        return _JSONBytes(model.model_dump_json().encode(), status_code=status,
                          headers={"ETag": f'"v{version}"'} if version is not None else None)
    fingerprint = idempotency.request_fingerprint("POST", route, body.model_dump_json().encode())
    ttl = db.info.get(IDEMPOTENCY_TTL, timedelta(hours=24))
    stored = idempotency.lookup(db, user.id, key, fingerprint, ttl=ttl)
    if stored is not None:
        return JSONResponse(stored.body, status_code=stored.status,
                            headers={"Idempotent-Replayed": "true"})
    result = out.model_validate(create()).model_dump(mode="json")
    idempotency.remember(db, user.id, key, fingerprint, status, result)
    headers = {"ETag": f'"v{result["version"]}"'} if "version" in result else None
    return JSONResponse(result, status_code=status, headers=headers)
