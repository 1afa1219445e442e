"""Lead scoring and sequences in the browser.

The score panel on the contact page (``/contacts/{id}/score-panel``, loaded by HTMX: whoever
may see the contact), Settings > Lead scoring (rules, threshold; settings.view to read,
settings.edit to change) and /sequences (read with contacts.view; defined with settings.edit;
enrolling and stopping need contacts.edit on the contact). Plain forms; the same services as
the API do the work.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request, Response
from fastapi.responses import RedirectResponse
from pydantic import ValidationError
from sqlalchemy.orm import Session

from amity.api.deps import DbSession
from amity.auth.access import Permission, access_record, check_record, require, scope_for
from amity.auth.models import User
from amity.contacts.models import Contact
from amity.core.errors import DomainError, ValidationFailed
from amity.jobs import scoring as scoring_jobs
from amity.scoring import queries as score_queries
from amity.scoring import rules
from amity.scoring.models import BEHAVIOURS, OPERATORS, PROFILE_FIELDS
from amity.scoring.schemas import RuleCreate
from amity.sequences import queries as seq_queries
from amity.sequences import service as sequences
from amity.sequences.schemas import SequenceCreate, StepIn
from amity.web.auth import CsrfChecked, WebUser
from amity.web.errors import WebRoute
from amity.web.templating import render, templates

router = APIRouter(route_class=WebRoute)
Text = Annotated[str, Form(max_length=500)]


def can_view_sequences(user: User | None) -> bool:
    return user is not None and scope_for(user, Permission.CONTACTS_VIEW) != "none"


templates.env.globals["can_view_sequences"] = can_view_sequences


@router.get("/contacts/{contact_id}/score-panel")
def score_panel(contact_id: uuid.UUID, request: Request, db: DbSession,
                user: WebUser) -> Response:
    access_record(db, user, Contact, contact_id, Permission.CONTACTS_VIEW, entity="contact")
    return render(request, "scoring/_panel.html",
                  {"score": score_queries.score_view(db, contact_id, history=10)})


RULE_FIELDS = ("name", "kind", "points", "behaviour", "field", "operator", "value",
               "cap_points", "cap_period_days", "decay", "decay_days")


def _scoring_page(request: Request, db: Session, user: User, *,
                  errors: dict[str, str] | None = None, form: dict[str, str] | None = None,
                  threshold: str | None = None, status_code: int = 200) -> Response:
    return render(request, "scoring/settings.html", {
        "tab": "scoring", "rules": rules.list_rules(db),
        "threshold": threshold if threshold is not None else rules.current_threshold(db),
        "may_edit": scope_for(user, Permission.SETTINGS_MANAGE) != "none",
        "behaviours": BEHAVIOURS, "operators": OPERATORS, "profile_fields": PROFILE_FIELDS,
        "errors": errors or {},
        "form": form or {**dict.fromkeys(RULE_FIELDS, ""), "decay": "none", "kind": "behaviour"}},
        status_code=status_code)


@router.get("/settings/scoring")
def scoring_page(request: Request, db: DbSession, user: WebUser) -> Response:
    require(user, Permission.SETTINGS_VIEW)
    return _scoring_page(request, db, user)


def _opt(value: str) -> Any:
    return value.strip() or None


def _nth(values: list[str] | None, i: int) -> Any:
    return _opt(values[i]) if values and i < len(values) else None


@router.post("/settings/scoring/rules", dependencies=[CsrfChecked])
def add_rule(request: Request, db: DbSession, user: WebUser, name: Text = "", kind: Text = "",
             points: Text = "", behaviour: Text = "", field: Text = "", operator: Text = "",
             value: Text = "", cap_points: Text = "", cap_period_days: Text = "",
             decay: Text = "none", decay_days: Text = "") -> Response:
    """Add a rule; a refused one re-renders the form with each message next to its field."""
    require(user, Permission.SETTINGS_MANAGE)
    form = {"name": name, "kind": kind, "points": points, "behaviour": behaviour,
            "field": field, "operator": operator, "value": value, "cap_points": cap_points,
            "cap_period_days": cap_period_days, "decay": decay, "decay_days": decay_days}
    raw = {"name": name, "kind": kind, "points": points, "behaviour": _opt(behaviour),
           "field": _opt(field), "operator": _opt(operator), "value": _opt(value),
           "cap_points": _opt(cap_points), "cap_period_days": _opt(cap_period_days),
           "decay": decay or "none", "decay_days": _opt(decay_days)}
    try:
        body = RuleCreate.model_validate(raw)
        rules.create_rule(db, values=body.model_dump(), actor=user)
    except ValidationError as exc:
        errors: dict[str, str] = {}
        for e in exc.errors():
            where = str(e["loc"][0]) if e.get("loc") else "_form"
            errors.setdefault(where if where in RULE_FIELDS else "_form",
                              str(e["msg"]).removeprefix("Value error, "))
        return _scoring_page(request, db, user, errors=errors, form=form, status_code=422)
    except DomainError as exc:
        db.rollback()
        where = (exc.field or "").split(".", 1)[0]
        return _scoring_page(request, db, user, form=form, status_code=exc.status,
                             errors={where if where in RULE_FIELDS else "_form": exc.message})
    scoring_jobs.request_recompute(db)
    return RedirectResponse("/settings/scoring", status_code=303)


@router.post("/settings/scoring/rules/{rule_id}/delete", dependencies=[CsrfChecked])
def remove_rule(rule_id: uuid.UUID, db: DbSession, user: WebUser) -> Response:
    require(user, Permission.SETTINGS_MANAGE)
    rules.delete_rule(db, rule=rules.live_rule(db, rule_id), actor=user)
    scoring_jobs.request_recompute(db)
    return RedirectResponse("/settings/scoring", status_code=303)


@router.post("/settings/scoring/threshold", dependencies=[CsrfChecked])
def set_threshold(request: Request, db: DbSession, user: WebUser,
                  threshold: Text = "") -> Response:
    require(user, Permission.SETTINGS_MANAGE)
    try:
        number = int(threshold.strip())
        if not 1 <= number <= 1_000_000:
            raise ValueError
        rules.update_settings(db, values={"threshold": number}, actor=user)
    except (ValueError, DomainError):
        db.rollback()
        return _scoring_page(request, db, user, threshold=threshold, status_code=422, errors={
            "threshold": "Give a whole number of points from 1 to 1,000,000"})
    scoring_jobs.request_recompute(db)
    return RedirectResponse("/settings/scoring", status_code=303)


def _sequences_page(request: Request, db: Session, user: User, *,
                    errors: dict[str, str] | None = None, form: dict[str, Any] | None = None,
                    status_code: int = 200) -> Response:
    from amity.activities.email import list_templates
    from amity.auth.access import scoped

    listed = []
    for seq in seq_queries.list_sequences(db):
        rows = seq_queries.enrolments(
            db, sequence_id=seq.id, limit=50,
            visible=lambda stmt: scoped(db, stmt, user, Contact, Permission.CONTACTS_VIEW))
        listed.append((seq_queries.sequence_out(db, seq), rows))
    empty_step = {"kind": "", "template_id": "", "task_title": "", "wait_hours": "",
                  "timing": ""}
    return render(request, "sequences/index.html", {
        "sequences": listed, "templates_": list_templates(db),
        "may_define": scope_for(user, Permission.SETTINGS_MANAGE) != "none",
        "may_enrol": scope_for(user, Permission.CONTACTS_EDIT) != "none",
        "errors": errors or {},
        "form": form or {"name": "", "description": "", "steps": [empty_step] * 4}},
        status_code=status_code)


@router.get("/sequences")
def sequences_page(request: Request, db: DbSession, user: WebUser) -> Response:
    require(user, Permission.CONTACTS_VIEW)
    return _sequences_page(request, db, user)


@router.post("/sequences", dependencies=[CsrfChecked])
def add_sequence(request: Request, db: DbSession, user: WebUser, name: Text = "",
                 description: Text = "",
                 kind: Annotated[list[str] | None, Form()] = None,
                 template_id: Annotated[list[str] | None, Form()] = None,
                 task_title: Annotated[list[str] | None, Form()] = None,
                 wait_hours: Annotated[list[str] | None, Form()] = None,
                 timing: Annotated[list[str] | None, Form()] = None) -> Response:
    """One row per step (kind, template, task title, wait hours, timing: "" at once or
    "best_hour"); rows without a kind are ignored. A refused sequence re-renders the form with
    the message next to the name or under the step it is about."""
    require(user, Permission.SETTINGS_MANAGE)
    kinds = (kind or [])[:50]
    typed = [{"kind": k, "template_id": _nth(template_id, i) or "",
              "task_title": _nth(task_title, i) or "", "wait_hours": _nth(wait_hours, i) or "",
              "timing": _nth(timing, i) or ""}
             for i, k in enumerate(kinds)]
    blank = {"kind": "", "template_id": "", "task_title": "", "wait_hours": "", "timing": ""}
    form: dict[str, Any] = {"name": name, "description": description,
                            "steps": typed + [blank] * max(0, 4 - len(typed))}
    steps = []
    try:
        for i, k in enumerate(kinds):
            if not k:
                continue
            try:
                steps.append(StepIn.model_validate({
                    "kind": k, "template_id": _nth(template_id, i),
                    "task_title": _nth(task_title, i),
                    "wait_hours": _nth(wait_hours, i),
                    "at_best_hour": _nth(timing, i) == "best_hour"}).as_values())
            except ValidationError as exc:
                why = str(exc.errors()[0]["msg"]).removeprefix("Value error, ")
                raise ValidationFailed("sequence.step_invalid", f"Step {i + 1}: {why}",
                                       f"steps.{i}") from exc
        try:
            body = SequenceCreate.model_validate({"name": name, "description": _opt(description)})
        except ValidationError as exc:
            raise ValidationFailed("sequence.name", "A sequence needs a name (up to 200 "
                                   "characters)", "name") from exc
        sequences.create_sequence(db, values={"name": body.name,
                                              "description": body.description,
                                              "enabled": True}, steps=steps, actor=user)
    except DomainError as exc:
        db.rollback()
        where = exc.field or "_form"
        return _sequences_page(request, db, user, form=form, status_code=exc.status, errors={
            where if where == "name" or where.startswith("steps.") else "_form": exc.message})
    return RedirectResponse("/sequences", status_code=303)


@router.post("/sequences/{sequence_id}/enrol", dependencies=[CsrfChecked])
def enrol(sequence_id: uuid.UUID, db: DbSession, user: WebUser,
          contact_id: Annotated[uuid.UUID, Form()]) -> Response:
    sequences.live_sequence(db, sequence_id)
    contact = db.get(Contact, contact_id)
    if contact is not None and contact.deleted_at is None:
        check_record(db, user, contact, Permission.CONTACTS_EDIT, entity="contact")
    sequences.enrol(db, sequence_id=sequence_id, contact_id=contact_id, actor=user)
    return RedirectResponse("/sequences", status_code=303)


@router.post("/sequences/enrolments/{enrolment_id}/stop", dependencies=[CsrfChecked])
def stop(enrolment_id: uuid.UUID, db: DbSession, user: WebUser) -> Response:
    from amity.core.errors import NotFound
    from amity.sequences.models import SequenceEnrolment

    enr = db.get(SequenceEnrolment, enrolment_id)
    if enr is None:
        raise NotFound("enrolment")
    access_record(db, user, Contact, enr.contact_id, Permission.CONTACTS_EDIT,
                  entity="enrolment", include_deleted=True)
    sequences.stop_enrolment(db, enrolment=enr, actor=user)
    return RedirectResponse("/sequences", status_code=303)
