"""One-shot messages ("3 contacts tagged") carried across a redirect in a signed cookie."""

from __future__ import annotations

from typing import Any

from fastapi import Request, Response
from itsdangerous import BadSignature, URLSafeTimedSerializer

COOKIE = "amity_flash"
KINDS = ("ok", "error", "info")
MAX_AGE_S = 120  # a message read minutes later would describe something the user forgot


def _serializer(request: Request) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(request.app.state.settings.secret_key, salt="amity.flash")


def flash(request: Request, response: Response, message: str, kind: str = "ok") -> Response:
    """Show ``message`` on the next page this browser renders."""
    value = _serializer(request).dumps({"m": message[:500], "k": kind if kind in KINDS else "info"})
    response.set_cookie(COOKIE, value, max_age=MAX_AGE_S, path="/", httponly=True,
                        samesite="lax", secure=request.url.scheme == "https")
    return response


def take(request: Request) -> dict[str, Any] | None:
    """The pending message, if any (signed by us and recent); the caller clears the cookie."""
    raw = request.cookies.get(COOKIE)
    if not raw:
        return None
    try:
        data = _serializer(request).loads(raw, max_age=MAX_AGE_S)
    except BadSignature:
        return None
    if not isinstance(data, dict) or not isinstance(data.get("m"), str):
        return None
    return {"message": data["m"], "kind": data.get("k", "info")}
