"""Settings > Custom fields: the definitions per entity (contact, company, ticket,
interaction, deal, product, order) with their type, options and sensitive flag, a form to
add one, and a page to edit, archive, restore or delete one.

Viewing needs ``settings.view``; changing needs ``settings.edit``. Input is checked by the
API's own schemas and stored by ``core.customfields`` / ``core.fielddefs`` with the same audit
entries as the API; a refused change is shown next to its field and changes nothing.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request, Response
from fastapi.responses import RedirectResponse
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from amity.api.deps import DbSession
from amity.api.v1.customfields import DefinitionCreate, DefinitionUpdate
from amity.auth.access import Permission, require, scope_for
from amity.auth.models import User
from amity.core import audit, fielddefs
from amity.core.customfields import CustomFieldDefinition, create_definition
from amity.core.errors import DomainError
from amity.web import flash
from amity.web.auth import CsrfChecked, WebUser
from amity.web.errors import WebRoute
from amity.web.templating import render

router = APIRouter(prefix="/settings/fields", route_class=WebRoute)
Text = Annotated[str, Form(max_length=10_000)]
ENTITIES = ("contact", "company", "ticket", "interaction", "deal", "product", "order")
TYPES = ("text", "number", "date", "select", "multi_select", "boolean")
FIELDS = ("entity", "key", "label", "type", "options", "help_text")
EDIT_FIELDS = ("label", "type", "options", "help_text", "required", "sensitive")


def _errors_of(exc: ValidationError, known: tuple[str, ...]) -> dict[str, str]:
    errors: dict[str, str] = {}
    for e in exc.errors():
        name = str(e["loc"][0]) if e.get("loc") else "_form"
        errors.setdefault(name if name in known else "_form",
                          str(e["msg"]).removeprefix("Value error, "))
    return errors


def _page(request: Request, db: Session, user: User, *, errors: dict[str, str] | None = None,
          form: dict[str, str] | None = None, status_code: int = 200) -> Response:
    rows = db.scalars(select(CustomFieldDefinition).order_by(CustomFieldDefinition.entity,
                                                             CustomFieldDefinition.key))
    by_entity: dict[str, list[CustomFieldDefinition]] = {e: [] for e in ENTITIES}
    for d in rows:
        by_entity.setdefault(d.entity, []).append(d)
    return render(request, "settings/fields.html", {
        "tab": "fields", "by_entity": by_entity, "entities": ENTITIES, "types": TYPES,
        "may_edit": scope_for(user, Permission.SETTINGS_MANAGE) != "none",
        "errors": errors or {},
        "form": form or {**dict.fromkeys(FIELDS, ""), "entity": "contact", "type": "text"}},
        status_code=status_code)


@router.get("")
def fields_page(request: Request, db: DbSession, user: WebUser) -> Response:
    require(user, Permission.SETTINGS_VIEW)
    return _page(request, db, user)


@router.post("", dependencies=[CsrfChecked])
def add_field(request: Request, db: DbSession, user: WebUser, entity: Text = "",
              key: Text = "", label: Text = "", type: Text = "", options: Text = "",
              help_text: Text = "", required: Text = "", sensitive: Text = "") -> Response:
    require(user, Permission.SETTINGS_MANAGE)
    form = {"entity": entity, "key": key, "label": label, "type": type, "options": options,
            "help_text": help_text}
    try:
        body = DefinitionCreate.model_validate({
            "entity": entity, "key": key.strip(), "label": label.strip(), "type": type,
            "options": [o.strip() for o in options.split(",") if o.strip()],
            "help_text": help_text.strip() or None, "required": required == "on",
            "sensitive": sensitive == "on"})
        d = create_definition(db, **body.model_dump())
        audit.record(db, actor_id=user.id, action="create", entity_type="custom_field",
                     entity_id=d.id, changes={"key": [None, d.key], "entity": [None, d.entity]})
    except ValidationError as exc:
        return _page(request, db, user, errors=_errors_of(exc, FIELDS), form=form,
                     status_code=422)
    except DomainError as exc:
        db.rollback()
        field = (exc.field or "").split(".", 1)[0]
        return _page(request, db, user, form=form, status_code=exc.status,
                     errors={field if field in FIELDS else "_form": exc.message})
    return RedirectResponse(f"/settings/fields#{d.entity}", status_code=303)


def _edit_page(request: Request, db: Session, d: CustomFieldDefinition, *,
               errors: dict[str, str] | None = None, form: dict[str, Any] | None = None,
               status_code: int = 200) -> Response:
    return render(request, "settings/field_edit.html", {
        "tab": "fields", "d": d, "types": TYPES, "errors": errors or {},
        "in_use": fielddefs.values_stored(db, d),
        "form": form or {"label": d.label, "type": d.type, "options": ", ".join(d.options),
                         "help_text": d.help_text or "", "required": d.required,
                         "sensitive": d.sensitive}}, status_code=status_code)


@router.get("/{definition_id}")
def edit_page(definition_id: uuid.UUID, request: Request, db: DbSession,
              user: WebUser) -> Response:
    require(user, Permission.SETTINGS_MANAGE)
    return _edit_page(request, db, fielddefs.get_definition(db, definition_id))


@router.post("/{definition_id}", dependencies=[CsrfChecked])
def edit_field(definition_id: uuid.UUID, request: Request, db: DbSession, user: WebUser,
               label: Text = "", type: Text = "", options: Text = "", help_text: Text = "",
               required: Text = "", sensitive: Text = "") -> Response:
    require(user, Permission.SETTINGS_MANAGE)
    d = fielddefs.get_definition(db, definition_id)
    form = {"label": label, "type": type, "options": options, "help_text": help_text,
            "required": required == "on", "sensitive": sensitive == "on"}
    try:
        body = DefinitionUpdate.model_validate({
            "label": label, "type": type,
            "options": [o.strip() for o in options.split(",") if o.strip()],
            "help_text": help_text.strip() or None, "required": required == "on",
            "sensitive": sensitive == "on"})
        fielddefs.update_definition(db, definition=d, actor_id=user.id,
                                    changes=body.model_dump(exclude_unset=True))
    except ValidationError as exc:
        return _edit_page(request, db, d, errors=_errors_of(exc, EDIT_FIELDS), form=form,
                          status_code=422)
    except DomainError as exc:
        db.rollback()
        field = (exc.field or "").split(".", 1)[0]
        return _edit_page(request, db, fielddefs.get_definition(db, definition_id), form=form,
                          status_code=exc.status,
                          errors={field if field in EDIT_FIELDS else "_form": exc.message})
    return flash.flash(request, RedirectResponse(f"/settings/fields#{d.entity}",
                                                 status_code=303), f"Saved '{d.label}'.")


@router.post("/{definition_id}/archive", dependencies=[CsrfChecked])
def archive_field(definition_id: uuid.UUID, request: Request, db: DbSession, user: WebUser,
                  restore: Text = "") -> Response:
    require(user, Permission.SETTINGS_MANAGE)
    d = fielddefs.archive_definition(db, definition=fielddefs.get_definition(db, definition_id),
                                     actor_id=user.id, archived=restore != "1")
    done = "Restored" if restore == "1" else "Archived (values kept, hidden from forms)"
    return flash.flash(request, RedirectResponse(f"/settings/fields#{d.entity}",
                                                 status_code=303), f"{done}: '{d.label}'.")


@router.post("/{definition_id}/delete", dependencies=[CsrfChecked])
def delete_field(definition_id: uuid.UUID, request: Request, db: DbSession,
                 user: WebUser) -> Response:
    require(user, Permission.SETTINGS_MANAGE)
    d = fielddefs.get_definition(db, definition_id)
    entity, label = d.entity, d.label
    try:
        fielddefs.delete_definition(db, definition=d, actor_id=user.id)
    except DomainError as exc:
        db.rollback()
        return _edit_page(request, db, fielddefs.get_definition(db, definition_id),
                          errors={"_form": exc.message}, status_code=exc.status)
    return flash.flash(request, RedirectResponse(f"/settings/fields#{entity}",
                                                 status_code=303), f"Deleted '{label}'.")
