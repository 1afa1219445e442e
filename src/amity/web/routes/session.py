"""Signing in and out of the web UI."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request, Response
from fastapi.responses import RedirectResponse

from amity.api.deps import DbSession
from amity.auth.service import authenticate_password
from amity.web.auth import (
    CsrfChecked,
    end_session,
    safe_next,
    save_session,
    start_session,
    user_for_session,
    web_session,
)
from amity.web.errors import WebRoute
from amity.web.templating import render

router = APIRouter(route_class=WebRoute)

BAD_LOGIN = "That email and password do not match an active account."


@router.get("/login")
def login_page(request: Request, db: DbSession, next: str | None = None) -> Response:
    session = web_session(request)
    if session.user_id and user_for_session(db, session.user_id):
        return save_session(request, RedirectResponse(safe_next(next), status_code=303))
    return render(request, "login.html", {"next": safe_next(next), "email": "", "error": None})


@router.post("/login", dependencies=[CsrfChecked])
def login(request: Request, db: DbSession, email: Annotated[str, Form(max_length=320)] = "",
          password: Annotated[str, Form(max_length=1000)] = "",
          next: Annotated[str, Form(max_length=2000)] = "") -> Response:
    user = authenticate_password(db, email=email, password=password) if email and password \
        else None
    if user is None:
        return render(request, "login.html",
                      {"next": safe_next(next), "email": email, "error": BAD_LOGIN},
                      status_code=401)
    start_session(request, user)
    return save_session(request, RedirectResponse(safe_next(next), status_code=303))


@router.post("/logout", dependencies=[CsrfChecked])
def logout(request: Request) -> Response:
    end_session(request)
    return save_session(request, RedirectResponse("/login", status_code=303))
