"""Public email tracking routes: the open pixel ``/t/o/{token}.gif``, click redirects
``/t/c/{token}`` and the unsubscribe link ``/u/{token}`` (GET asks, POST unsubscribes: the
RFC 8058 one-click POST a mail client sends, or the page's button).

The signed token is the only credential. A token that is forged or altered gets a 404 and no
redirect: the destination comes from the signed token, never from the request.
"""

from __future__ import annotations

import base64
from typing import Annotated

from fastapi import APIRouter, Path, Request, Response
from fastapi.responses import RedirectResponse

from amity.activities import tracking
from amity.api.deps import AppSettings, DbSession
from amity.core.errors import NotFound
from amity.web.errors import WebRoute
from amity.web.templating import render

router = APIRouter(route_class=WebRoute, include_in_schema=False)
Token = Annotated[str, Path(max_length=4000)]
PAGE = "tracking/unsubscribe.html"
PIXEL = base64.b64decode("R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7")
NO_STORE = {"Cache-Control": "no-store, private", "Referrer-Policy": "no-referrer"}


@router.get("/t/o/{token}.gif")
def open_pixel(token: Token, db: DbSession, settings: AppSettings) -> Response:
    try:
        tracking.record_open(db, secret=settings.secret_key, token=token)
    except NotFound:
        return Response(status_code=404, headers=NO_STORE)
    return Response(PIXEL, media_type="image/gif", headers=NO_STORE)


@router.get("/t/c/{token}")
def click(token: Token, db: DbSession, settings: AppSettings) -> Response:
    try:
        target = tracking.record_click(db, secret=settings.secret_key, token=token)
    except NotFound:
        return Response("This link is not valid", status_code=404, media_type="text/plain",
                        headers=NO_STORE)
    return RedirectResponse(target, status_code=302, headers=NO_STORE)


@router.get("/u/{token}")
def unsubscribe_page(request: Request, token: Token, db: DbSession,
                     settings: AppSettings) -> Response:
    try:
        contact = tracking.unsubscribe_target(db, secret=settings.secret_key, token=token)
    except NotFound:
        return render(request, PAGE, {"state": "invalid"}, status_code=404, headers=NO_STORE)
    return render(request, PAGE, {"state": "ask", "token": token,
                                  "email": contact.primary_email or ""}, headers=NO_STORE)


@router.post("/u/{token}")
def unsubscribe(request: Request, token: Token, db: DbSession,
                settings: AppSettings) -> Response:
    try:
        tracking.unsubscribe(db, secret=settings.secret_key, token=token)
    except NotFound:
        return render(request, PAGE, {"state": "invalid"}, status_code=404, headers=NO_STORE)
    return render(request, PAGE, {"state": "done"}, headers=NO_STORE)
