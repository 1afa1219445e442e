"""What the API accepts and returns for companies."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import Field, StringConstraints, model_validator

from amity.core.schemas import Address, CustomFieldValues, Input, LongText, Output

Size = Literal["1-10", "11-50", "51-200", "201-500", "501-1000", "1001-5000", "5001+"]
Tag = Annotated[str, StringConstraints(min_length=1, max_length=80)]
Domain = Annotated[str, StringConstraints(max_length=253,
                                          pattern=r"^([a-zA-Z0-9-]{1,63}\.)+[a-zA-Z]{2,63}$")]


class CompanyFields(Input):
    name: Annotated[str, StringConstraints(min_length=1, max_length=300)] | None = None
    domain: Domain | None = None
    website: Annotated[str, StringConstraints(max_length=500)] | None = None
    industry: Annotated[str, StringConstraints(max_length=120)] | None = None
    size: Size | None = None
    employee_count: int | None = Field(None, ge=0, le=10_000_000)
    phone: Annotated[str, StringConstraints(max_length=40)] | None = None
    address: Address | None = None
    description: LongText | None = None
    parent_id: uuid.UUID | None = None
    owner_id: uuid.UUID | None = None
    tags: list[Tag] | None = Field(None, max_length=100)
    custom_fields: CustomFieldValues | None = None


class CompanyCreate(CompanyFields):
    name: Annotated[str, StringConstraints(min_length=1, max_length=300)]


class CompanyUpdate(CompanyFields):
    version: int | None = None

    @model_validator(mode="after")
    def _name_not_null(self) -> CompanyUpdate:
        if "name" in self.model_fields_set and not self.name:
            raise ValueError("name cannot be empty")
        return self


class CompanyRead(Output):
    id: uuid.UUID
    version: int
    name: str
    domain: str | None
    website: str | None
    industry: str | None
    size: str | None
    employee_count: int | None
    phone: str | None
    address: dict[str, Any] | None
    description: str | None
    parent_id: uuid.UUID | None
    owner_id: uuid.UUID | None
    tags: list[str]
    custom_fields: dict[str, Any]
    created_at: datetime
    updated_at: datetime
    deleted_at: datetime | None

    @model_validator(mode="before")
    @classmethod
    def _tag_names(cls, data: Any) -> Any:
        if not isinstance(data, dict) and hasattr(data, "tags"):
            return {**{k: getattr(data, k) for k in cls.model_fields if k != "tags"},
                    "tags": [t.name for t in data.tags]}
        return data


