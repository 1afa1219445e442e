"""The workflow builder (``/automation``): the list with on/off toggles, and an edit page
where the trigger, condition rows and action rows are plain form fields (HTMX adds and removes
rows), with inline errors, version history, a dry-run and the run log. Reading needs
automation.view, saving automation.manage; the same services as the API do the work."""

from __future__ import annotations

import uuid
from typing import Any, get_args

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse
from pydantic import ValidationError

from amity.api.deps import DbSession
from amity.auth.access import Permission, require, scope_for, scoped
from amity.auth.models import User
from amity.automation import service
from amity.automation.definition import FIELDS, SETTABLE, Definition, Stage
from amity.automation.definition import WEB_KINDS as WEB_KIND_NAMES
from amity.contacts.models import Contact
from amity.core.errors import DomainError
from amity.web.auth import CsrfChecked, WebUser
from amity.web.errors import WebRoute
from amity.web.templating import render, templates

router = APIRouter(prefix="/automation", route_class=WebRoute)
STAGES = get_args(Stage)

# (event type, what a user reads); any other type can still be typed through the API.
EVENT_TYPES = (("contact.created", "Contact created"), ("contact.updated", "Contact updated"),
               ("contact.lifecycle_stage_changed", "Lifecycle stage changed"),
               ("contact.score_crossed", "Lead score crossed the hot threshold"),
               ("deal.stage_changed", "Deal moved to another stage"), ("deal.won", "Deal won"),
               ("deal.lost", "Deal lost"),
               ("ticket.changed", "Ticket created or changed (filter: action = create)"),
               ("ticket.status_changed", "Ticket status changed"),
               ("ticket.sla_breached", "Ticket SLA breached"),
               ("ticket.resolved", "Ticket resolved"), ("order.placed", "Order placed"),
               ("form.submitted", "Form submitted"),
               ("interaction.recorded", "Interaction recorded (email, call, meeting...)"),
               ("note.added", "Note added"))
WEB_KINDS = (("page_view", "Page viewed"), ("email_open", "Email opened"),
             ("email_click", "Link in an email clicked"), ("download", "File downloaded"),
             ("form_submit", "Form on the web site submitted"))
TRIGGERS = (("event", "Something happens in the CRM"),
            ("web", "Web activity (page viewed, email opened or clicked)"),
            ("birthday", "Birthday"), ("important_date", "Important date"),
            ("no_purchase", "Days since last purchase"),
            ("no_contact", "Days since last contact"), ("replacement_due", "Replacement due"),
            ("deal_stalled", "Deal stalled"))
CONDITIONS = (("field", "Field"), ("tag", "Tag"), ("lifecycle_stage", "Lifecycle stage"),
              ("owner", "Owner"), ("event_count", "Web visits / interactions"),
              ("open_deal", "Open deal"))
ACTIONS = (("create_task", "Create a task"), ("send_email", "Send an email"),
           ("notify", "Notify"), ("add_tag", "Add a tag"), ("remove_tag", "Remove a tag"),
           ("update_field", "Update a field"), ("change_owner", "Change owner"),
           ("webhook", "Call a webhook"), ("enrol_sequence", "Enrol in a sequence"),
           ("wait", "Wait"))


def can_view_automation(user: User | None) -> bool:
    return user is not None and scope_for(user, Permission.AUTOMATION_VIEW) != "none"


templates.env.globals["can_view_automation"] = can_view_automation


def _can_manage(user: User) -> bool:
    return scope_for(user, Permission.AUTOMATION_MANAGE) != "none"


# ---- form <-> definition -------------------------------------------------------------------

def _rows(form: dict[str, str], order: list[str], prefix: str) -> list[dict[str, str]]:
    """Rows named ``<prefix>-<token>-<field>``, in the order they appear on the page."""
    rows: dict[str, dict[str, str]] = {}
    for key in order:
        parts = key.split("-", 2)
        if len(parts) == 3 and parts[0] == prefix:
            rows.setdefault(parts[1], {})[parts[2]] = form[key].strip()
    return list(rows.values())


def _num(value: str | None) -> int | str | None:
    if value is None or value == "":
        return None
    return int(value) if value.lstrip("-").isdigit() else value


def _opt(value: str | None) -> str | None:
    return value or None


def _scalar(value: str | None) -> Any:
    if value in (None, ""):
        return None
    if value in ("true", "false"):
        return value == "true"
    return value


def condition_of(row: dict[str, str]) -> dict[str, Any]:
    t = row.get("type", "")
    if t == "field":
        value: Any = _scalar(row.get("value"))
        if row.get("op") == "in" and isinstance(value, str):
            value = [v.strip() for v in value.split(",") if v.strip()]
        return {"type": t, "field": row.get("field"), "op": row.get("op") or "eq",
                "value": value}
    if t == "tag":
        return {"type": t, "op": row.get("op") or "has", "tag": row.get("value", "")}
    if t == "lifecycle_stage":
        return {"type": t, "stages": [v.strip() for v in row.get("value", "").split(",")
                                      if v.strip()]}
    if t == "owner":
        return {"type": t, "op": row.get("op") if row.get("op") in ("is", "is_not") else "is",
                "user_id": _opt(row.get("value"))}
    if t == "event_count":
        return {"type": t, "source": row.get("field") or "web", "kind": _opt(row.get("kind")),
                "path_contains": _opt(row.get("contains")), "op": row.get("op") or "gte",
                "count": _num(row.get("value")) or 0,
                "within_days": _num(row.get("days")) or 7}
    if t == "open_deal":
        return {"type": t, "exists": row.get("op", "exists") != "none"}
    return {"type": t}


def action_of(row: dict[str, str]) -> dict[str, Any]:
    t = row.get("type", "")
    text, more = row.get("text", ""), row.get("more", "")
    if t == "create_task":
        return {"type": t, "title": text, "description": _opt(more),
                "due_in_days": _num(row.get("number")), "assignee": row.get("who") or "owner",
                "user_id": _opt(row.get("target")) if row.get("who") == "user" else None,
                "team_id": _opt(row.get("target")) if row.get("who") == "team" else None}
    if t == "send_email":
        return {"type": t, "subject": _opt(text), "body": _opt(more),
                "purpose": row.get("field") or "marketing"}
    if t == "notify":
        return {"type": t, "message": text, "to": row.get("who") or "owner",
                "user_id": _opt(row.get("target")) if row.get("who") == "user" else None,
                "team_id": _opt(row.get("target")) if row.get("who") == "team" else None}
    if t in ("add_tag", "remove_tag"):
        return {"type": t, "tag": text}
    if t == "update_field":
        return {"type": t, "field": row.get("field"), "value": _scalar(text)}
    if t == "change_owner":
        return {"type": t, "user_id": _opt(row.get("target"))}
    if t == "webhook":
        return {"type": t, "url": text, "secret": more}
    if t == "enrol_sequence":
        return {"type": t, "sequence_id": _opt(row.get("target"))}
    if t == "wait":
        return {"type": t, "amount": _num(row.get("number")), "unit": row.get("unit") or "days"}
    return {"type": t}


def trigger_of(form: dict[str, str]) -> dict[str, Any]:
    t = form.get("trigger_type", "event")
    if t == "event":
        out: dict[str, Any] = {"type": t, "event": form.get("trigger_event", "").strip(),
                               "filters": []}
        if form.get("filter_path", "").strip():
            out["filters"].append({"path": form["filter_path"].strip(),
                                   "op": form.get("filter_op") or "eq",
                                   "value": _scalar(form.get("filter_value", "").strip())})
        return out
    if t == "web":
        return {"type": t, "kind": form.get("trigger_web_kind") or "page_view",
                "url_contains": _opt(form.get("trigger_url", "").strip())}
    out = {"type": t, "time_zone": form.get("trigger_time_zone") or "UTC"}
    days = _num(form.get("trigger_days"))
    if days is not None and t != "deal_stalled":
        out["days" if t in ("no_purchase", "no_contact") else "days_before"] = days
    if t == "important_date" and form.get("trigger_label"):
        out["label"] = form["trigger_label"]
    return out


def definition_of(form: dict[str, str], order: list[str]) -> dict[str, Any]:
    return {"trigger": trigger_of(form),
            "conditions": {"match": form.get("match") or "all",
                           "rules": [condition_of(r) for r in _rows(form, order, "c")]},
            "actions": [action_of(r) for r in _rows(form, order, "a")]}


def _key(loc: list[str]) -> str:
    """The form place an error belongs to: an action row, a condition row, or a field."""
    if loc[:1] == ["actions"] and len(loc) > 1:
        return ".".join(loc[:2])
    if loc[:2] == ["conditions", "rules"] and len(loc) > 2:
        return ".".join(loc[:3])
    return loc[0] if loc else "_form"


def _errors(exc: ValidationError | DomainError) -> dict[str, str]:
    if isinstance(exc, DomainError):
        loc = (exc.field or "").removeprefix("definition.").split(".")
        return {_key([p for p in loc if p]): exc.message}
    out: dict[str, str] = {}
    for err in exc.errors():
        loc = [str(p) for p in err.get("loc", ())]
        msg = str(err.get("msg", "invalid")).removeprefix("Value error, ")
        field = loc[-1] if loc and not loc[-1].isdigit() else ""
        out.setdefault(_key(loc), f"{field}: {msg}" if field else msg)
    return out


def _form_rows(definition: dict[str, Any]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    return (list(definition.get("conditions", {}).get("rules", [])),
            list(definition.get("actions", [])))


def _lists(db: DbSession) -> dict[str, Any]:
    """What the rows' selects offer."""
    return {"fields": FIELDS, "settable": SETTABLE, "stages": STAGES, "event_types": EVENT_TYPES,
            "web_kinds": WEB_KIND_NAMES, "web_kinds_labelled": WEB_KINDS,
            "trigger_kinds": TRIGGERS, "condition_kinds": CONDITIONS, "action_kinds": ACTIONS,
            "choices": service.builder_choices(db)}


def _picked(request: Request, prefix: str, default: str) -> tuple[str, str]:
    """(row token, kind) from a row's kind select (``<prefix>-<token>-type``), sent by HTMX
    when it changes; a new token and ``default`` for an "add" button."""
    for name, value in request.query_params.items():
        parts = name.split("-", 2)
        if len(parts) == 3 and parts[0] == prefix and parts[2] == "type" and \
                parts[1].isalnum() and len(parts[1]) <= 16:
            return parts[1], value
    return uuid.uuid4().hex[:8], default


def _page(request: Request, db: DbSession, user: User, workflow: Any, definition: dict[str, Any],
          form: dict[str, Any], errors: dict[str, str], status: int = 200) -> Response:
    conds, acts = _form_rows(definition)
    ctx: dict[str, Any] = {
        "workflow": workflow, "definition": definition, "form": form, "errors": errors,
        "conditions": conds, "actions": acts,
        "can_manage": _can_manage(user), "token": lambda: uuid.uuid4().hex[:8],
        "versions": [], "runs": [], **_lists(db)}
    if workflow is not None:
        ctx["versions"] = service.list_versions(db, workflow)
        ctx["runs"] = service.list_runs(db, workflow_id=workflow.id, limit=20).items
    return render(request, "automation/edit.html", ctx, status_code=status)


@router.get("")
def workflows_page(request: Request, db: DbSession, user: WebUser) -> Response:
    require(user, Permission.AUTOMATION_VIEW)
    page = service.list_workflows(db, limit=200)
    return render(request, "automation/list.html",
                  {"workflows": page.items, "can_manage": _can_manage(user)})


@router.get("/new")
def new_page(request: Request, db: DbSession, user: WebUser) -> Response:
    require(user, Permission.AUTOMATION_MANAGE)
    blank = {"trigger": {"type": "event", "event": "deal.won", "filters": []},
             "conditions": {"match": "all", "rules": []},
             "actions": [{"type": "create_task", "title": "", "assignee": "owner"}]}
    return _page(request, db, user, None, blank, {"name": "", "description": "",
                                                 "enabled": False}, {})


@router.get("/rows/condition")
def condition_row(request: Request, db: DbSession, user: WebUser) -> Response:
    require(user, Permission.AUTOMATION_MANAGE)
    token, kind = _picked(request, "c", "field")
    kind = kind if kind in dict(CONDITIONS) else "field"
    return render(request, "automation/_condition.html",
                  {"c": {"type": kind}, "t": token, "errors": {}, "i": None, **_lists(db)})


@router.get("/rows/action")
def action_row(request: Request, db: DbSession, user: WebUser) -> Response:
    require(user, Permission.AUTOMATION_MANAGE)
    token, kind = _picked(request, "a", "create_task")
    kind = kind if kind in dict(ACTIONS) else "create_task"
    return render(request, "automation/_action.html",
                  {"a": {"type": kind}, "t": token, "errors": {}, "i": None, **_lists(db)})


@router.get("/rows/trigger")
def trigger_fields(request: Request, db: DbSession, user: WebUser,
                   trigger_type: str = "event") -> Response:
    require(user, Permission.AUTOMATION_MANAGE)
    kind = trigger_type if trigger_type in dict(TRIGGERS) else "event"
    return render(request, "automation/_trigger.html",
                  {"trig": {"type": kind}, "errors": {}, **_lists(db)})


@router.get("/rows/none")
def no_row(user: WebUser) -> Response:
    """What a removed row is replaced with: nothing."""
    return HTMLResponse("")


@router.get("/{workflow_id}")
def edit_page(workflow_id: uuid.UUID, request: Request, db: DbSession,
              user: WebUser) -> Response:
    require(user, Permission.AUTOMATION_VIEW)
    w = service.get_workflow(db, workflow_id)
    return _page(request, db, user, w, service.current_definition(db, w),
                 {"name": w.name, "description": w.description or "", "enabled": w.enabled,
                  "version": w.version}, {})


async def _read_form(request: Request) -> tuple[dict[str, str], list[str]]:
    data = await request.form()
    form = {k: str(v) for k, v in data.multi_items()}
    return form, [k for k, _ in data.multi_items()]


@router.post("", dependencies=[CsrfChecked])
@router.post("/{workflow_id}", dependencies=[CsrfChecked])
async def save(request: Request, db: DbSession, user: WebUser,
               workflow_id: uuid.UUID | None = None) -> Response:
    require(user, Permission.AUTOMATION_MANAGE)
    form, order = await _read_form(request)
    w = service.get_workflow(db, workflow_id) if workflow_id else None
    raw = definition_of(form, order)
    shown = {"name": form.get("name", ""), "description": form.get("description", ""),
             "enabled": form.get("enabled") == "on", "version": form.get("version")}
    errors: dict[str, str] = {}
    name = form.get("name", "").strip()
    if not name or len(name) > 200:
        errors["name"] = "A name of 1 to 200 characters"
    try:
        definition = Definition.model_validate(raw)
        service.check_definition(db, definition)
    except (ValidationError, DomainError) as exc:
        errors.update(_errors(exc))
    if errors:
        return _page(request, db, user, w, raw, shown, errors, status=422)
    enabled = form.get("enabled") == "on"
    description = form.get("description", "").strip()[:5000] or None
    try:
        if w is None:
            w = service.create_workflow(db, name=name, description=description,
                                        definition=definition, enabled=enabled, actor=user)
        else:
            version = _num(form.get("version"))
            w = service.update_workflow(
                db, workflow=w, actor=user, name=name, description=description,
                description_set=True, definition=definition, enabled=enabled,
                expected_version=version if isinstance(version, int) else None)
    except DomainError as exc:
        return _page(request, db, user, w, raw, shown, _errors(exc), status=422)
    return RedirectResponse(f"/automation/{w.id}", status_code=303)


@router.post("/{workflow_id}/toggle", dependencies=[CsrfChecked])
def toggle(workflow_id: uuid.UUID, db: DbSession, user: WebUser) -> Response:
    require(user, Permission.AUTOMATION_MANAGE)
    w = service.get_workflow(db, workflow_id)
    service.set_enabled(db, workflow=w, enabled=not w.enabled, actor=user)
    return RedirectResponse(f"/automation/{w.id}", status_code=303)


@router.post("/{workflow_id}/dry-run", dependencies=[CsrfChecked])
def dry_run(workflow_id: uuid.UUID, request: Request, db: DbSession,
            user: WebUser) -> Response:
    require(user, Permission.AUTOMATION_VIEW)
    w = service.get_workflow(db, workflow_id)
    result = service.dry_run(
        db, definition=service.parse_definition(service.current_definition(db, w)),
        visible=lambda s: scoped(db, s, user, Contact, Permission.CONTACTS_VIEW))
    return render(request, "automation/_dry_run.html", {"result": result})
