"""/custom-fields: definitions of the extra fields records carry (contacts, companies, tickets,
interactions, deals, products, orders).

Definitions are edited (label, help, options, required, sensitive, type) without losing data: a
change that would leave stored values invalid is refused with 422. A definition with stored
values is archived (hidden from forms, values kept, new values refused) instead of deleted.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Response
from pydantic import Field, StringConstraints
from sqlalchemy import select

from amity.api.deps import CurrentUser, DbSession
from amity.auth.access import Permission, require
from amity.core import audit, fielddefs
from amity.core.customfields import CustomFieldDefinition, create_definition
from amity.core.schemas import Input, Output

router = APIRouter(prefix="/custom-fields", tags=["custom fields"])
Entity = Literal["contact", "company", "ticket", "interaction", "deal", "product", "order"]
FieldType = Literal["text", "number", "date", "select", "multi_select", "boolean"]
Label = Annotated[str, StringConstraints(min_length=1, max_length=200)]
Option = Annotated[str, StringConstraints(min_length=1, max_length=200)]
HelpText = Annotated[str, StringConstraints(max_length=500)]


class DefinitionCreate(Input):
    entity: Entity
    key: Annotated[str, StringConstraints(min_length=1, max_length=63)]
    label: Label
    type: FieldType
    required: bool = False
    sensitive: bool = False
    options: list[Option] = Field(default_factory=list, max_length=500)
    help_text: HelpText | None = None


class DefinitionUpdate(Input):
    """What may change; ``entity`` and ``key`` are fixed (values are stored under the key)."""
    label: Label | None = None
    type: FieldType | None = Field(None, description="Refused (422) if a stored value would "
                                   "not be valid under the new type")
    required: bool | None = None
    sensitive: bool | None = None
    options: list[Option] | None = Field(None, max_length=500, description=(
        "The whole list; removing an option that records still use is refused (422)"))
    help_text: HelpText | None = None


class DefinitionRead(Output):
    id: uuid.UUID
    entity: str
    key: str
    label: str
    type: str
    required: bool
    sensitive: bool
    options: list[Any]
    help_text: str | None
    archived_at: datetime | None


@router.get("", response_model=list[DefinitionRead])
def list_definitions(db: DbSession, user: CurrentUser,
                     entity: Annotated[Entity | None, Query()] = None,
                     archived: Annotated[Literal["exclude", "include", "only"], Query(
                         description="Archived fields are left out of forms")] = "exclude"
                     ) -> list[CustomFieldDefinition]:
    stmt = select(CustomFieldDefinition).order_by(CustomFieldDefinition.entity,
                                                  CustomFieldDefinition.key)
    if entity:
        stmt = stmt.where(CustomFieldDefinition.entity == entity)
    if archived == "exclude":
        stmt = stmt.where(CustomFieldDefinition.archived_at.is_(None))
    elif archived == "only":
        stmt = stmt.where(CustomFieldDefinition.archived_at.is_not(None))
    return list(db.scalars(stmt))


@router.post("", status_code=201, response_model=DefinitionRead)
def create(body: DefinitionCreate, db: DbSession, user: CurrentUser) -> CustomFieldDefinition:
    require(user, Permission.SETTINGS_MANAGE)
    d = create_definition(db, **body.model_dump())
    audit.record(db, actor_id=user.id, action="create", entity_type="custom_field",
                 entity_id=d.id, changes={"key": [None, d.key], "entity": [None, d.entity]})
    return d


@router.get("/{definition_id}", response_model=DefinitionRead)
def get(definition_id: uuid.UUID, db: DbSession, user: CurrentUser) -> CustomFieldDefinition:
    return fielddefs.get_definition(db, definition_id)


@router.patch("/{definition_id}", response_model=DefinitionRead)
def update(definition_id: uuid.UUID, body: DefinitionUpdate, db: DbSession,
           user: CurrentUser) -> CustomFieldDefinition:
    require(user, Permission.SETTINGS_MANAGE)
    return fielddefs.update_definition(
        db, definition=fielddefs.get_definition(db, definition_id), actor_id=user.id,
        changes=body.model_dump(exclude_unset=True))


@router.post("/{definition_id}/archive", response_model=DefinitionRead)
def archive(definition_id: uuid.UUID, db: DbSession, user: CurrentUser) -> CustomFieldDefinition:
    """Hide the field from forms and refuse new values; stored values are kept."""
    require(user, Permission.SETTINGS_MANAGE)
    return fielddefs.archive_definition(
        db, definition=fielddefs.get_definition(db, definition_id), actor_id=user.id)


@router.post("/{definition_id}/restore", response_model=DefinitionRead)
def restore(definition_id: uuid.UUID, db: DbSession, user: CurrentUser) -> CustomFieldDefinition:
    require(user, Permission.SETTINGS_MANAGE)
    return fielddefs.archive_definition(
        db, definition=fielddefs.get_definition(db, definition_id), actor_id=user.id,
        archived=False)


@router.delete("/{definition_id}", status_code=204)
def delete(definition_id: uuid.UUID, db: DbSession, user: CurrentUser) -> Response:
    """Only a field no record has a value for (409 otherwise: archive it instead)."""
    require(user, Permission.SETTINGS_MANAGE)
    fielddefs.delete_definition(db, definition=fielddefs.get_definition(db, definition_id),
                                actor_id=user.id)
    return Response(status_code=204)
