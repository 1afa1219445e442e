"""Jinja2 rendering for the web UI: one autoescaping environment, page and partial responses."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from jinja2 import Environment, FileSystemLoader, StrictUndefined

from amity import __version__
from amity.web import flash
from amity.web.auth import save_session, web_session

HTMX_VERSION = "2.0.11"
TEMPLATE_DIR = Path(__file__).parent / "templates"  # = amity.web.TEMPLATE_DIR

# Scripts only from our own origin: a stored <script> that slipped past escaping still would
# not run. htmx is configured (base.html) not to eval, not to run swapped-in scripts and not to
# inject its inline indicator style, so nothing here needs 'unsafe-inline' or 'unsafe-eval'.
SECURITY_HEADERS = {
    "Content-Security-Policy": ("default-src 'self'; script-src 'self'; style-src 'self'; "
                                "img-src 'self' data:; object-src 'none'; base-uri 'none'; "
                                "form-action 'self'; frame-ancestors 'none'"),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
    "Cache-Control": "no-store",
}

STAGE_LABELS = {
    "subscriber": "Subscriber", "lead": "Lead", "qualified": "Qualified",
    "opportunity": "Opportunity", "customer": "Customer", "evangelist": "Evangelist",
    "churned": "Churned",
}
CHANNEL_LABELS = {
    "email": "Email", "phone": "Phone", "sms": "SMS", "chat": "Chat", "social": "Social",
    "in_person": "In person", "mail": "Mail",
}


def _when(value: datetime | None) -> str:
    return value.strftime("%d %b %Y, %H:%M UTC") if value else ""


def _day(value: date | str | None) -> str:
    if isinstance(value, str):
        try:
            return date.fromisoformat(value).strftime("%d %b %Y")
        except ValueError:
            return value
    return value.strftime("%d %b %Y") if value else ""


def _environment() -> Environment:
    env = Environment(loader=FileSystemLoader(TEMPLATE_DIR), autoescape=True,
                      undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    env.filters["when"] = _when
    env.filters["day"] = _day
    env.filters["stage"] = lambda s: STAGE_LABELS.get(s, s)
    env.filters["channel"] = lambda s: CHANNEL_LABELS.get(s, s)
    env.globals.update(app_version=__version__, htmx_version=HTMX_VERSION,
                       stage_labels=STAGE_LABELS)
    return env


templates = Jinja2Templates(env=_environment())


def is_htmx(request: Request) -> bool:
    """An HTMX request wanting a fragment (a history restore wants the whole page)."""
    return (request.headers.get("HX-Request") == "true"
            and request.headers.get("HX-History-Restore-Request") != "true")


def render(request: Request, name: str, context: dict[str, Any] | None = None, *,
           status_code: int = 200, headers: dict[str, str] | None = None) -> HTMLResponse:
    """Render a template with the session's CSRF token and signed-in user available."""
    session = web_session(request)
    ctx: dict[str, Any] = {"csrf_token": session.csrf,
                           "user": getattr(request.state, "user", None)}
    # a fragment must not consume the message meant for the next whole page
    pending = None if is_htmx(request) else flash.take(request)
    ctx["flash"] = pending
    ctx.update(context or {})
    response = templates.TemplateResponse(request, name, ctx, status_code=status_code)
    response.headers.update(SECURITY_HEADERS)
    response.headers["Vary"] = "HX-Request, Cookie"
    if headers:
        response.headers.update(headers)
    if pending is not None:
        response.delete_cookie(flash.COOKIE, path="/")
    save_session(request, response)
    return response
