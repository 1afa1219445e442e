"""Settings > Custom fields: the definitions per entity (contact, company, ticket,
interaction) with their type, options and sensitive flag, and a form to add one.

Viewing needs ``settings.view``; adding needs ``settings.edit``. The definition is checked by
the API's own schema and stored by ``core.customfields`` with the same audit entry as the API.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request, Response
from fastapi.responses import RedirectResponse
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from amity.api.deps import DbSession
from amity.api.v1.customfields import DefinitionCreate
from amity.auth.access import Permission, require, scope_for
from amity.auth.models import User
from amity.core import audit
from amity.core.customfields import CustomFieldDefinition, create_definition
from amity.core.errors import DomainError
from amity.web.auth import CsrfChecked, WebUser
from amity.web.errors import WebRoute
from amity.web.templating import render

router = APIRouter(prefix="/settings/fields", route_class=WebRoute)
Text = Annotated[str, Form(max_length=10_000)]
ENTITIES = ("contact", "company", "ticket", "interaction")
TYPES = ("text", "number", "date", "select", "multi_select", "boolean")
FIELDS = ("entity", "key", "label", "type", "options", "help_text")


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
        errors: dict[str, str] = {}
        for e in exc.errors():
            name = str(e["loc"][0]) if e.get("loc") else "_form"
            errors.setdefault(name if name in FIELDS else "_form",
                              str(e["msg"]).removeprefix("Value error, "))
        return _page(request, db, user, errors=errors, form=form, status_code=422)
    except DomainError as exc:
        db.rollback()
        field = (exc.field or "").split(".", 1)[0]
        return _page(request, db, user, form=form, status_code=exc.status,
                     errors={field if field in FIELDS else "_form": exc.message})
    return RedirectResponse(f"/settings/fields#{d.entity}", status_code=303)
