"""Public web-to-lead forms: the hosted page ``GET /f/{key}``, its submission ``POST /f/{key}``
(urlencoded from the page, or JSON from a site's own page through fetch, with CORS for the
origins of the form's site) and ``GET /f/{key}/definition`` (fields, consents and a fresh
fill-time token for a form rendered by the site itself, as ``amity-form.js`` does).

No sign-in and no CSRF token: the form's public key names it, and what protects it is the
honeypot, the signed fill-time token and the rate limits (``activities.forms``). A browser's
Origin must be our own or one the form's site allows.
"""

from __future__ import annotations

import json
from typing import Annotated, Any
from urllib.parse import parse_qs, urlsplit

from fastapi import APIRouter, Depends, Header, Path, Request, Response
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse

from amity.activities import form_submit, forms
from amity.activities.forms_models import Form
from amity.api.deps import AppSettings, DbSession
from amity.api.errors import problem
from amity.config import Settings
from amity.core.errors import DomainError, NotFound
from amity.web.templating import templates

router = APIRouter(include_in_schema=False)
Key = Annotated[str, Path(max_length=64)]
MAX_BODY = 64 * 1024
PAGE = "forms/hosted.html"


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def _own_origins(request: Request, settings: Settings) -> set[str]:
    return {_origin(settings.base_url), _origin(str(request.base_url))}


def _cors(origin: str | None, allowed: list[str]) -> dict[str, str]:
    headers = {"Vary": "Origin"}
    if origin and origin in allowed:
        headers.update({"Access-Control-Allow-Origin": origin,
                        "Access-Control-Allow-Methods": "GET, POST, OPTIONS",
                        "Access-Control-Allow-Headers": "Content-Type, Idempotency-Key",
                        "Access-Control-Max-Age": "600"})
    return headers


def _page_headers(db: DbSession, form: Form) -> dict[str, str]:
    """The page may be framed by the form's site and may post (and be redirected) to the
    form's redirect URL; nothing else runs or loads from elsewhere."""
    sites = " ".join(forms.allowed_origins(db, form))
    target = f" {_origin(form.redirect_url)}" if form.redirect_url else ""
    return {"Content-Security-Policy": (
                "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
                f"object-src 'none'; base-uri 'none'; form-action 'self'{target}; "
                f"frame-ancestors 'self' {sites}".rstrip()),
            "X-Content-Type-Options": "nosniff", "Referrer-Policy": "strict-origin",
            "Cache-Control": "no-store"}


def _render(request: Request, db: DbSession, form: Form, settings: Settings, *,
            status: int = 200, errors: dict[str, str] | None = None,
            values: dict[str, Any] | None = None, done: str | None = None) -> HTMLResponse:
    response = templates.TemplateResponse(request, PAGE, {
        "form": form, "fields": _fields(form), "token": forms.fill_token(settings.secret_key, form),
        "errors": errors or {}, "values": values or {}, "done": done,
        "honeypot": form_submit.HONEYPOT},
        status_code=status)
    response.headers.update(_page_headers(db, form))
    return response


def _fields(form: Form) -> list[dict[str, Any]]:
    return [{"type": "text", "required": False, "options": [], **f,
             "name": form_submit.field_name(f)} for f in form.fields]


def _missing(request: Request) -> HTMLResponse:
    return templates.TemplateResponse(request, "forms/missing.html", {}, status_code=404,
                                      headers={"Cache-Control": "no-store"})


@router.get("/f/{key}")
def hosted_form(request: Request, key: Key, db: DbSession, settings: AppSettings) -> Response:
    try:
        form = forms.form_for_key(db, key)
    except NotFound:
        return _missing(request)
    return _render(request, db, form, settings)


@router.get("/f/{key}/definition")
def form_definition(key: Key, db: DbSession, settings: AppSettings,
                    origin: Annotated[str | None, Header()] = None) -> Response:
    form = forms.form_for_key(db, key)
    body = {"title": form.title or form.name, "description": form.description,
            "submit_label": form.submit_label,
            "fields": _fields(form),
            "consents": form.consents, "honeypot": form_submit.HONEYPOT,
            "token": forms.fill_token(settings.secret_key, form)}
    return JSONResponse(body, headers={**_cors(origin, forms.allowed_origins(db, form)),
                                       "Cache-Control": "no-store"})


@router.options("/f/{key}")
@router.options("/f/{key}/definition")
def form_preflight(key: Key, db: DbSession,
                   origin: Annotated[str | None, Header()] = None) -> Response:
    """Answered with CORS headers only for the origins of the form's site."""
    try:
        allowed = forms.allowed_origins(db, forms.form_for_key(db, key))
    except NotFound:
        return Response(status_code=404)
    if not origin or origin not in allowed:
        return Response(status_code=403, headers={"Vary": "Origin"})
    return Response(status_code=204, headers=_cors(origin, allowed))


class TooLarge(DomainError):
    status = 413

    def __init__(self) -> None:
        super().__init__("form.too_large", f"The submission is over {MAX_BODY} bytes")


class Malformed(DomainError):
    status = 400


async def _read(request: Request) -> tuple[dict[str, Any], bool]:
    """(the answers, sent as JSON?); 413 past MAX_BODY, 400 for a body that cannot be read."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > MAX_BODY:
        raise TooLarge()
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY:
            raise TooLarge()
        chunks.append(chunk)
    raw = b"".join(chunks)
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind == "application/json":
        try:
            data = json.loads(raw)
        except (ValueError, UnicodeDecodeError) as exc:
            raise Malformed("form.malformed", "The body is not valid JSON") from exc
        if not isinstance(data, dict):
            raise Malformed("form.malformed", "Send a JSON object of answers")
        return data, True
    try:
        parsed = parse_qs(raw.decode(), keep_blank_values=True, max_num_fields=200,
                          strict_parsing=False)
    except (UnicodeDecodeError, ValueError) as exc:
        raise Malformed("form.malformed", "The form could not be read") from exc
    return {k: v[-1] for k, v in parsed.items()}, False


Answers = Annotated[tuple[dict[str, Any], bool], Depends(_read)]


@router.post("/f/{key}")
def submit(request: Request, key: Key, answers: Answers, db: DbSession, settings: AppSettings,
                 origin: Annotated[str | None, Header()] = None,
                 user_agent: Annotated[str | None, Header()] = None,
                 idempotency_key: Annotated[str | None, Header(max_length=100)] = None
                 ) -> Response:
    wants_json = "application/json" in request.headers.get("content-type", "") or \
        "application/json" in request.headers.get("accept", "")
    try:
        form = forms.form_for_key(db, key)
    except NotFound as exc:
        return problem(404, exc.code, exc.message) if wants_json else _missing(request)
    allowed = forms.allowed_origins(db, form)
    cors = _cors(origin, allowed)
    if origin and origin not in allowed and origin not in _own_origins(request, settings):
        return problem(403, "form.origin_refused", "This origin may not post this form",
                       headers={"Vary": "Origin"})
    data, as_json = answers
    client_id = _text(data.get("submission_id")) or idempotency_key
    visitor = _text(data.get("visitor_id")) or None
    ip = request.client.host if request.client else None
    try:
        done = form_submit.submit_form(
            db, form=form, data=data, secret=settings.secret_key,
            region=settings.default_region, client_id=(client_id or None),
            visitor_key=visitor if visitor and 8 <= len(visitor) <= 64 else None, ip=ip,
            user_agent=user_agent, page_url=_text(data.get("page_url"), 2000) or None)
    except DomainError as exc:
        db.rollback()  # nothing of a refused submission is kept, nor counted
        headers = dict(cors)
        if isinstance(exc, forms.FormRateLimited):
            headers["Retry-After"] = str(exc.retry_after)
        if as_json or wants_json:
            return problem(exc.status, exc.code, exc.message, exc.field, headers=headers,
                           **{k: v for k, v in exc.extra.items() if k == "errors"})
        errors = {e["field"]: e["message"] for e in exc.extra.get("errors", [])}
        if not errors:
            errors = {"_form": exc.message}
        return _render(request, db, form, settings, status=exc.status, errors=errors,
                       values=data)
    message = form.success_message or forms.DEFAULT_SUCCESS
    status = 201 if done.new else 200
    if as_json or wants_json:
        return JSONResponse({"submission_id": str(done.submission.id), "message": message,
                             "redirect_url": form.redirect_url}, status_code=status,
                            headers=cors)
    if form.redirect_url:
        return RedirectResponse(form.redirect_url, status_code=303)
    return _render(request, db, form, settings, status=status, done=message)


def _text(value: Any, limit: int = 100) -> str:
    return value.strip()[:limit] if isinstance(value, str) else ""
