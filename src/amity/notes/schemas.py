"""What the API accepts and returns for notes."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from pydantic import StringConstraints

from amity.core.schemas import Input, Output

Body = Annotated[str, StringConstraints(min_length=1, max_length=100_000)]


class NoteCreate(Input):
    body: Body
    pinned: bool = False


class NoteUpdate(Input):
    body: Body | None = None
    pinned: bool | None = None
    version: int | None = None


class NoteRead(Output):
    id: uuid.UUID
    entity_type: str
    entity_id: uuid.UUID
    body: str
    pinned: bool
    author_id: uuid.UUID | None
    version: int
    created_at: datetime
    updated_at: datetime
