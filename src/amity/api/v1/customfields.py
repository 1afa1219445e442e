"""/custom-fields: definitions of the extra fields contacts and companies carry."""

from __future__ import annotations

import uuid
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from pydantic import Field, StringConstraints
from sqlalchemy import select

from amity.api.deps import CurrentUser, DbSession
from amity.auth.access import Permission, require
from amity.core import audit
from amity.core.customfields import CustomFieldDefinition, create_definition
from amity.core.schemas import Input, Output

router = APIRouter(prefix="/custom-fields", tags=["custom fields"])
Entity = Literal["contact", "company", "ticket", "interaction"]


class DefinitionCreate(Input):
    entity: Entity
    key: Annotated[str, StringConstraints(min_length=1, max_length=63)]
    label: Annotated[str, StringConstraints(min_length=1, max_length=200)]
    type: Literal["text", "number", "date", "select", "multi_select", "boolean"]
    required: bool = False
    sensitive: bool = False
    options: list[Annotated[str, StringConstraints(min_length=1, max_length=200)]] = Field(
        default_factory=list, max_length=500)
    help_text: Annotated[str, StringConstraints(max_length=500)] | None = None


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


@router.get("", response_model=list[DefinitionRead])
def list_definitions(db: DbSession, user: CurrentUser,
                     entity: Annotated[Entity | None, Query()] = None
                     ) -> list[CustomFieldDefinition]:
    stmt = select(CustomFieldDefinition).order_by(CustomFieldDefinition.entity,
                                                  CustomFieldDefinition.key)
    if entity:
        stmt = stmt.where(CustomFieldDefinition.entity == entity)
    return list(db.scalars(stmt))


@router.post("", status_code=201, response_model=DefinitionRead)
def create(body: DefinitionCreate, db: DbSession, user: CurrentUser) -> CustomFieldDefinition:
    require(user, Permission.SETTINGS_MANAGE)
    d = create_definition(db, **body.model_dump())
    audit.record(db, actor_id=user.id, action="create", entity_type="custom_field",
                 entity_id=d.id, changes={"key": [None, d.key], "entity": [None, d.entity]})
    return d
