"""What the workflow API accepts and returns."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import Field, StringConstraints

from amity.automation.definition import Definition
from amity.core.schemas import Input, Output

WorkflowName = Annotated[str, StringConstraints(min_length=1, max_length=200)]
RunStatus = Literal["running", "waiting", "done", "failed", "skipped"]


class WorkflowCreate(Input):
    name: WorkflowName
    description: Annotated[str, StringConstraints(max_length=5000)] | None = None
    enabled: bool = False
    definition: Definition


class WorkflowUpdate(Input):
    """Only the fields sent change; a new definition makes a new version."""

    name: WorkflowName | None = None
    description: Annotated[str, StringConstraints(max_length=5000)] | None = None
    enabled: bool | None = None
    definition: Definition | None = None
    version: int | None = Field(None, description="The version you read; 412 if it changed")


class DryRunIn(Input):
    definition: Definition | None = Field(
        None, description="Try this definition instead of the current version")
    limit: int = Field(20, ge=1, le=100)


class WorkflowRead(Output):
    id: uuid.UUID
    name: str
    description: str | None
    enabled: bool
    current_version: int
    trigger_key: str
    owner_id: uuid.UUID | None
    version: int
    created_at: datetime
    updated_at: datetime
    definition: dict[str, Any] = Field(description="The current version's definition")


class VersionRead(Output):
    id: uuid.UUID
    number: int
    definition: dict[str, Any]
    created_by_id: uuid.UUID | None
    created_at: datetime


class LogEntry(Output):
    at: str
    step: int | None
    action: str
    outcome: str


class RunRead(Output):
    id: uuid.UUID
    workflow_id: uuid.UUID
    workflow_name: str | None = None
    version_number: int
    contact_id: uuid.UUID | None
    record_type: str | None
    record_id: uuid.UUID | None
    occasion: str
    trigger_event_id: uuid.UUID | None
    status: RunStatus
    step_index: int
    resume_at: datetime | None
    created_at: datetime
    finished_at: datetime | None
    log: list[LogEntry]


class MatchRead(Output):
    id: uuid.UUID
    display_name: str


class DryRunRead(Output):
    matching: int = Field(description="Contacts you may see that the conditions select now")
    sample: list[MatchRead]
    trigger: str
    note: str
