"""Saved views in and out. ``params`` is the list's query: filters, sort and columns."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from amity.core.schemas import Input, Output

Name = Annotated[str, StringConstraints(min_length=1, max_length=120)]
Visibility = Literal["private", "team", "everyone"]
Entity = Literal["contacts", "companies"]
Stage = Literal["subscriber", "lead", "qualified", "opportunity", "customer", "evangelist",
                "churned"]
ContactColumn = Literal["company", "stage", "reach", "tags", "owner", "created"]
CONTACT_COLUMNS: tuple[ContactColumn, ...] = ("company", "stage", "reach", "tags", "owner",
                                              "created")
DEFAULT_COLUMNS: tuple[ContactColumn, ...] = ("company", "stage", "reach", "tags")
ContactSort = Literal["name", "-name", "created_at", "-created_at", "updated_at", "-updated_at"]
Short = Annotated[str, StringConstraints(max_length=200)]


class ViewParams(BaseModel):
    """The list query a view stores; unknown keys are refused."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    q: Short = ""
    lifecycle_stage: list[Stage] = Field(default_factory=list, max_length=7)
    owner_id: uuid.UUID | None = None
    tag: Annotated[str, StringConstraints(max_length=80)] = ""
    company_id: uuid.UUID | None = None
    created_from: date | None = None
    created_to: date | None = None
    sort: ContactSort = "name"
    columns: list[ContactColumn] = Field(default_factory=lambda: list(DEFAULT_COLUMNS),
                                         max_length=len(CONTACT_COLUMNS))

    @model_validator(mode="after")
    def _range(self) -> ViewParams:
        if self.created_from and self.created_to and self.created_from > self.created_to:
            raise ValueError("created_from must not be after created_to")
        return self


class ViewCreate(Input):
    entity: Entity = "contacts"
    name: Name
    visibility: Visibility = "private"
    team_id: uuid.UUID | None = None
    params: ViewParams = Field(default_factory=ViewParams)


class ViewUpdate(Input):
    name: Name | None = None
    visibility: Visibility | None = None
    team_id: uuid.UUID | None = None
    params: ViewParams | None = None


class ViewRead(Output):
    id: uuid.UUID
    version: int
    entity: str
    name: str
    visibility: str
    team_id: uuid.UUID | None
    owner_id: uuid.UUID
    params: ViewParams
    created_at: datetime
    updated_at: datetime
