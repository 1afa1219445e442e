"""What the API accepts and returns for sequences, their steps and enrolments."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

from pydantic import Field, StringConstraints, model_validator

from amity.core.schemas import Input, Output

Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]


class StepIn(Input):
    """``email`` (template_id; ``at_best_hour`` waits for the contact's best hour of the
    week), ``task`` (task_title, task_due_days) or ``wait`` (wait_hours, or wait_days)."""

    kind: Literal["email", "task", "wait"]
    template_id: uuid.UUID | None = None
    task_title: Annotated[str, StringConstraints(min_length=1, max_length=300)] | None = None
    task_due_days: Annotated[int, Field(ge=0, le=365)] | None = None
    wait_hours: Annotated[int, Field(ge=1, le=24 * 365)] | None = None
    wait_days: Annotated[int, Field(ge=1, le=365)] | None = None
    at_best_hour: bool = Field(False, description=(
        "Email steps only: when the step falls due, send at the start of the contact's best "
        "hour of the week (from their responses, else everyone's) instead of at once"))

    @model_validator(mode="after")
    def _fields(self) -> StepIn:
        if self.kind == "email" and self.template_id is None:
            raise ValueError("an email step needs template_id")
        if self.kind == "task" and not self.task_title:
            raise ValueError("a task step needs task_title")
        if self.kind == "wait" and (self.wait_hours is None) == (self.wait_days is None):
            raise ValueError("a wait step needs wait_hours or wait_days (one of them)")
        if self.at_best_hour and self.kind != "email":
            raise ValueError("only an email step can wait for the contact's best hour")
        return self

    def as_values(self) -> dict[str, object]:
        hours = self.wait_hours if self.wait_days is None else self.wait_days * 24
        return {"kind": self.kind, "template_id": self.template_id,
                "task_title": self.task_title, "task_due_days": self.task_due_days,
                "wait_hours": hours, "at_best_hour": self.at_best_hour}


class SequenceCreate(Input):
    name: Name
    description: Annotated[str, StringConstraints(max_length=5000)] | None = None
    enabled: bool = True
    steps: list[StepIn] = Field(default_factory=list, max_length=50)


class SequenceUpdate(Input):
    name: Name | None = None
    description: Annotated[str, StringConstraints(max_length=5000)] | None = None
    enabled: bool | None = None
    steps: list[StepIn] | None = Field(None, max_length=50,
                                       description="Replaces every step when given")
    version: int | None = Field(None, description="The version you read; 412 if it changed")


class StepRead(Output):
    position: int
    kind: str
    template_id: uuid.UUID | None
    task_title: str | None
    task_due_days: int | None
    wait_hours: int | None
    at_best_hour: bool


class SequenceRead(Output):
    id: uuid.UUID
    version: int
    name: str
    description: str | None
    enabled: bool
    steps: list[StepRead]
    created_at: datetime
    updated_at: datetime


class EnrolIn(Input):
    contact_id: uuid.UUID
    reason: Annotated[str, StringConstraints(max_length=500)] | None = None


class StopIn(Input):
    reason: Literal["manual"] = "manual"


class EnrolmentRead(Output):
    id: uuid.UUID
    sequence_id: uuid.UUID
    contact_id: uuid.UUID
    status: str
    current_step: int
    next_run_at: datetime | None = Field(description=(
        "When the next step runs; for a step sent at the contact's best hour, that hour once "
        "the step has fallen due"))
    enrolled_at: datetime
    enrolled_by_id: uuid.UUID | None
    reason: str | None
    stopped_at: datetime | None
    stop_reason: str | None
    finished_at: datetime | None
