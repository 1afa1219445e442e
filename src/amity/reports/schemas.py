"""Report definitions, saved reports and results in and out.

The shape is checked here (types, lengths, known words); what depends on the entity (does the
field exist, may it be summed, is the filter's value a number ...) is checked by
``compiler.compile_report``, which names the offending place, e.g.
``definition.measures[1].field``.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import Field, StringConstraints

from amity.core.schemas import Input, Output
from amity.reports.fields import EntityName

Name = Annotated[str, StringConstraints(min_length=1, max_length=120, strip_whitespace=True)]
FieldKey = Annotated[str, StringConstraints(min_length=1, max_length=80)]
Bucket = Literal["day", "week", "month", "quarter", "year"]
MeasureOp = Literal["count", "sum", "avg", "min", "max"]
FilterOp = Literal["eq", "ne", "in", "not_in", "contains", "gt", "gte", "lt", "lte",
                   "is_null", "not_null"]
Scalar = Annotated[str, StringConstraints(max_length=200)] | int | Decimal
Visibility = Literal["private", "team", "everyone"]
Chart = Literal["table", "bar", "line"]
Digest = Literal["none", "daily", "weekly"]


class Dimension(Input):
    field: FieldKey  # a field key, or ``custom.<key>`` for a custom field
    bucket: Bucket | None = None  # required for time fields, refused for the others


class Measure(Input):
    op: MeasureOp = "count"
    field: FieldKey | None = None  # a number field; none for count (rows)

    @property
    def key(self) -> str:
        return self.op if self.field is None else f"{self.op}:{self.field}"


class Filter(Input):
    field: FieldKey
    op: FilterOp = "eq"
    value: Scalar | Annotated[list[Scalar], Field(max_length=200)] | None = None


class Sort(Input):
    by: FieldKey  # a dimension's field or a measure's key (``count``, ``sum:amount``)
    direction: Literal["asc", "desc"] = "asc"


class ReportDefinition(Input):
    entity: EntityName
    dimensions: list[Dimension] = Field(default_factory=list, max_length=2)
    measures: list[Measure] = Field(default_factory=lambda: [Measure()], min_length=1,
                                    max_length=6)
    filters: list[Filter] = Field(default_factory=list, max_length=20)
    sort: list[Sort] = Field(default_factory=list, max_length=3)
    limit: int = Field(default=100, ge=1, le=1000)


class ReportCreate(Input):
    name: Name
    definition: ReportDefinition
    visibility: Visibility = "private"
    team_id: uuid.UUID | None = None
    chart: Chart = "bar"
    digest: Digest = "none"


class ReportUpdate(Input):
    name: Name | None = None
    definition: ReportDefinition | None = None
    visibility: Visibility | None = None
    team_id: uuid.UUID | None = None
    chart: Chart | None = None
    digest: Digest | None = None


class ReportRead(Output):
    id: uuid.UUID
    owner_id: uuid.UUID
    name: str
    visibility: str
    team_id: uuid.UUID | None
    definition: ReportDefinition
    chart: str
    digest: str
    version: int
    created_at: datetime
    updated_at: datetime


class Column(Output):
    key: str  # the dimension's field or the measure's key
    label: str
    kind: Literal["dimension", "measure"]


Cell = str | int | Decimal | None


class ReportResult(Output):
    entity: str
    time_zone: str
    columns: list[Column]
    rows: list[list[Cell]]
    truncated: bool  # more groups than ``limit``: only the first ``limit`` are here
    # None: computed now; else the stored result's time (reports.stored), exact as of then
    as_of: datetime | None = None
