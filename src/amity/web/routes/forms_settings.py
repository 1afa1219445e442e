"""Settings → Forms: build web-to-lead forms (fields and consent checkboxes as rows of a form,
no JSON), see the hosted URL, copy the embed snippet, and read the latest submissions.

Viewing needs ``settings.view``, changing ``settings.edit``, as in the API; the work is done by
``activities.forms``.
"""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import RedirectResponse
from pydantic import ValidationError
from sqlalchemy import func, select

from amity.activities import forms
from amity.activities.forms_models import Form, FormSubmission
from amity.activities.forms_schemas import FormCreate, FormUpdate
from amity.activities.outreach_models import WebSite
from amity.api.deps import AppSettings, DbSession
from amity.auth.access import Permission, require, scope_for
from amity.auth.models import User
from amity.core.errors import DomainError, PreconditionFailed
from amity.web.auth import CsrfChecked, WebUser
from amity.web.errors import WebRoute
from amity.web.templating import render, templates

router = APIRouter(prefix="/settings/forms", route_class=WebRoute)
FIELD_ROWS = 12
CONSENT_ROWS = 4
MAPS_TO = (("first_name", "First name"), ("last_name", "Last name"), ("email", "Email"),
           ("phone", "Phone"), ("company_name", "Company name"), ("job_title", "Job title"),
           ("message", "Message"), ("custom", "Custom field"))
TYPES = ("text", "email", "tel", "textarea", "number", "date", "checkbox", "select")
PURPOSES = ("marketing", "newsletter", "transactional", "profiling", "third_party")
CONSENT_CHANNELS = ("email", "phone", "sms", "chat", "social", "in_person", "mail")
SCALARS = ("name", "title", "description", "submit_label", "lifecycle_stage", "source",
           "success_message", "redirect_url", "min_fill_seconds", "rate_limit_per_minute",
           "per_ip_per_hour")


def can_view_forms(user: User | None) -> bool:
    return user is not None and scope_for(user, Permission.SETTINGS_VIEW) != "none"


# settings/_tabs.html shows the Forms tab only to those who may open it
templates.env.globals["can_view_forms"] = can_view_forms


def _rows_of(form: Form | None) -> dict[str, Any]:
    """The editable values: a flat dict keyed by input name, as the page posts them."""
    out: dict[str, Any] = {"enabled": "on", "submit_label": "Send", "min_fill_seconds": "3",
                           "rate_limit_per_minute": "60", "per_ip_per_hour": "10"}
    if form is None:
        out.update({"field-0-maps_to": "first_name", "field-0-label": "First name",
                    "field-1-maps_to": "email", "field-1-label": "Email",
                    "field-1-type": "email", "field-1-required": "on"})
        return out
    for key in SCALARS:
        value = getattr(form, key)
        out[key] = "" if value is None else str(value)
    out.update({"enabled": "on" if form.enabled else "", "tags": ", ".join(form.tags or []),
                "site_id": str(form.site_id or ""), "owner_id": str(form.owner_id or ""),
                "version": str(form.version)})
    for n, f in enumerate(form.fields):
        out.update({f"field-{n}-maps_to": f["maps_to"], f"field-{n}-label": f["label"],
                    f"field-{n}-custom_field": f.get("custom_field") or "",
                    f"field-{n}-type": f.get("type", "text"),
                    f"field-{n}-required": "on" if f.get("required") else "",
                    f"field-{n}-options": ", ".join(f.get("options") or [])})
    for n, c in enumerate(form.consents):
        out.update({f"consent-{n}-key": c["key"], f"consent-{n}-purpose": c["purpose"],
                    f"consent-{n}-channel": c["channel"], f"consent-{n}-text": c["text"],
                    f"consent-{n}-required": "on" if c.get("required") else ""})
    return out


def _payload(v: dict[str, str]) -> dict[str, Any]:
    """The posted rows as the API's body: empty rows are left out."""
    data: dict[str, Any] = {k: v.get(k, "").strip() or None for k in SCALARS}
    for k in ("min_fill_seconds", "rate_limit_per_minute", "per_ip_per_hour"):
        data[k] = data[k] if data[k] is not None else None
    data["enabled"] = v.get("enabled") == "on"
    data["tags"] = [t.strip() for t in v.get("tags", "").split(",") if t.strip()]
    data["site_id"] = v.get("site_id") or None
    data["owner_id"] = v.get("owner_id") or None
    fields = []
    for n in range(FIELD_ROWS):
        label = v.get(f"field-{n}-label", "").strip()
        if not label:
            continue
        row: dict[str, Any] = {"maps_to": v.get(f"field-{n}-maps_to", "text"), "label": label,
                               "type": v.get(f"field-{n}-type", "text"),
                               "required": v.get(f"field-{n}-required") == "on"}
        if row["maps_to"] == "custom":
            row["custom_field"] = v.get(f"field-{n}-custom_field", "").strip() or None
        options = [o.strip() for o in v.get(f"field-{n}-options", "").split(",") if o.strip()]
        if options:
            row["options"] = options
        fields.append(row)
    consents = []
    for n in range(CONSENT_ROWS):
        text = v.get(f"consent-{n}-text", "").strip()
        if not text:
            continue
        consents.append({"key": v.get(f"consent-{n}-key", "").strip() or f"consent_{n + 1}",
                         "purpose": v.get(f"consent-{n}-purpose", "marketing"),
                         "channel": v.get(f"consent-{n}-channel", "email"), "text": text,
                         "required": v.get(f"consent-{n}-required") == "on"})
    data["fields"], data["consents"] = fields, consents
    return data


def _errors(exc: ValidationError | DomainError) -> dict[str, str]:
    if isinstance(exc, DomainError):
        return {exc.field or "_form": exc.message}
    out: dict[str, str] = {}
    for err in exc.errors():
        loc = [str(p) for p in err.get("loc", ())]
        key = "_form"
        if loc and loc[0] in ("fields", "consents") and len(loc) > 1:
            key = f"{loc[0][:-1]}-{loc[1]}"
        elif loc and loc[0] in (*SCALARS, "tags", "site_id", "owner_id"):
            key = loc[0]
        out.setdefault(key, str(err.get("msg", "invalid value")).removeprefix("Value error, "))
    return out


def _edit_page(request: Request, db: DbSession, values: dict[str, Any],
               errors: dict[str, str], form: Form | None = None,
               status_code: int = 200) -> Response:
    sites = list(db.scalars(select(WebSite).where(WebSite.deleted_at.is_(None))
                            .order_by(WebSite.name)))
    users = list(db.scalars(select(User).where(User.is_active.is_(True)).order_by(User.name)))
    return render(request, "forms/settings_edit.html", {
        "tab": "forms", "v": values, "errors": errors, "form": form, "sites": sites,
        "users": users, "field_rows": FIELD_ROWS, "consent_rows": CONSENT_ROWS,
        "maps_to": MAPS_TO, "types": TYPES, "purposes": PURPOSES,
        "consent_channels": CONSENT_CHANNELS}, status_code=status_code)


@router.get("")
def forms_list(request: Request, db: DbSession, user: WebUser,
               settings: AppSettings) -> Response:
    require(user, Permission.SETTINGS_VIEW)
    rows = forms.list_forms(db)
    counts = {row[0]: row[1] for row in db.execute(
        select(FormSubmission.form_id, func.count()).group_by(FormSubmission.form_id))}
    return render(request, "forms/settings_list.html", {
        "tab": "forms", "forms": rows, "counts": counts,
        "base": settings.base_url.rstrip("/"),
        "may_edit": scope_for(user, Permission.SETTINGS_MANAGE) != "none"})


@router.get("/new")
def new_form(request: Request, db: DbSession, user: WebUser) -> Response:
    require(user, Permission.SETTINGS_MANAGE)
    return _edit_page(request, db, _rows_of(None), {})


@router.post("", dependencies=[CsrfChecked])
async def create_form(request: Request, db: DbSession, user: WebUser) -> Response:
    require(user, Permission.SETTINGS_MANAGE)
    values = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
    try:
        body = FormCreate.model_validate(_payload(values))
        form = forms.create_form(db, values=_dump(body), actor=user)
    except (ValidationError, DomainError) as exc:
        db.rollback()
        status = exc.status if isinstance(exc, DomainError) else 422
        return _edit_page(request, db, values, _errors(exc), status_code=status)
    return RedirectResponse(f"/settings/forms/{form.id}?saved=1", status_code=303)


def _dump(body: FormCreate | FormUpdate) -> dict[str, Any]:
    data = body.model_dump(exclude_unset=True, exclude={"version"})
    for key in ("fields", "consents"):
        items = getattr(body, key)
        if key in data and items is not None:
            data[key] = [item.model_dump() for item in items]
    return data


@router.get("/{form_id}")
def edit_form(request: Request, form_id: uuid.UUID, db: DbSession, user: WebUser,
              settings: AppSettings) -> Response:
    require(user, Permission.SETTINGS_VIEW)
    form = forms.live_form(db, form_id)
    page = forms.list_submissions(db, form=form, cursor=None, limit=20)
    return render(request, "forms/settings_form.html", {
        "tab": "forms", "form": form, "submissions": page.items,
        "base": settings.base_url.rstrip("/"), "saved": "saved" in request.query_params,
        "may_edit": scope_for(user, Permission.SETTINGS_MANAGE) != "none"})


@router.get("/{form_id}/edit")
def edit_rows(request: Request, form_id: uuid.UUID, db: DbSession, user: WebUser) -> Response:
    require(user, Permission.SETTINGS_MANAGE)
    form = forms.live_form(db, form_id)
    return _edit_page(request, db, _rows_of(form), {}, form)


@router.post("/{form_id}", dependencies=[CsrfChecked])
async def save_form(request: Request, form_id: uuid.UUID, db: DbSession,
                    user: WebUser) -> Response:
    require(user, Permission.SETTINGS_MANAGE)
    form = forms.live_form(db, form_id)
    values = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
    version = values.get("version", "")
    try:
        body = FormUpdate.model_validate(_payload(values))
        forms.update_form(db, form=form, values=_dump(body), actor=user,
                          expected_version=int(version) if version.isdigit() else None)
    except PreconditionFailed:
        db.rollback()
        db.refresh(form)
        return _edit_page(request, db, _rows_of(form), {"_form": (
            "Someone else saved this form meanwhile; it now shows their version.")}, form,
            status_code=412)
    except (ValidationError, DomainError) as exc:
        db.rollback()
        status = exc.status if isinstance(exc, DomainError) else 422
        return _edit_page(request, db, values, _errors(exc), form, status_code=status)
    return RedirectResponse(f"/settings/forms/{form.id}?saved=1", status_code=303)


@router.post("/{form_id}/delete", dependencies=[CsrfChecked])
def delete_form(form_id: uuid.UUID, db: DbSession, user: WebUser) -> Response:
    require(user, Permission.SETTINGS_MANAGE)
    forms.delete_form(db, form=forms.live_form(db, form_id), actor=user)
    return RedirectResponse("/settings/forms", status_code=303)
