"""What the API accepts and returns for pipelines, stages, lost reasons, deals and the board.

Money is ``Decimal`` with a fixed number of places (more places is a 422, never a silent
rounding); JSON carries it as a string on the way out. Currencies are ISO 4217 codes.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import AwareDatetime, Field, StringConstraints, model_validator

from amity.core.schemas import CustomFieldValues, Input, LongText, Output

Kind = Literal["open", "won", "lost"]
Category = Literal["pipeline", "best_case", "commit", "closed", "omitted"]
Role = Literal["decision_maker", "champion", "influencer", "evaluator", "economic_buyer",
               "technical_buyer", "user", "other"]
Status = Literal["open", "won", "lost"]
Currency = Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$"),
                     Field(description="ISO 4217 code in capitals, e.g. 'EUR'")]
# < 10^13: sums of many deals stay inside 64-bit integers of cents on both databases
Amount = Annotated[Decimal, Field(ge=0, max_digits=15, decimal_places=2,
                                  description="Up to 2 decimal places, e.g. '1250.00'")]
Price = Annotated[Decimal, Field(ge=0, max_digits=15, decimal_places=4,
                                 description="Up to 4 decimal places, e.g. '19.9900'")]
Quantity = Annotated[Decimal, Field(gt=0, max_digits=12, decimal_places=3,
                                    description="More than 0, up to 3 decimal places")]
Percent = Annotated[Decimal, Field(ge=0, le=100, max_digits=5, decimal_places=2)]
Probability = Annotated[int, Field(ge=0, le=100, description="Chance to win, 0-100")]
StallDays = Annotated[int, Field(ge=1, le=3650, description=(
    "An open deal without an open task and without activity for this many days is stalled"))]
Name = Annotated[str, StringConstraints(min_length=1, max_length=120)]
DealName = Annotated[str, StringConstraints(min_length=1, max_length=300)]
Text200 = Annotated[str, StringConstraints(max_length=200)]
Text500 = Annotated[str, StringConstraints(max_length=500)]
Text1000 = Annotated[str, StringConstraints(max_length=1000)]
Version = Annotated[int | None, Field(None, description="The version you read; 412 if it "
                                                        "changed")]


def _not_null(model: Input, keys: tuple[str, ...]) -> None:
    for key in keys:
        if key in model.model_fields_set and getattr(model, key) is None:
            raise ValueError(f"{key} cannot be null")


# -- pipelines, stages, lost reasons ------------------------------------------------------

class StageCreate(Input):
    name: Name
    kind: Kind = "open"
    probability: Probability | None = Field(None, description=(
        "Default win chance of deals in this stage; won stages are 100, lost stages 0"))
    forecast_category: Category | None = Field(None, description=(
        "Defaults to pipeline (open), closed (won) or omitted (lost)"))
    stall_days: StallDays | None = None


class StageAdd(StageCreate):
    position: int | None = Field(None, ge=0, le=1000, description=(
        "Index among the pipeline's live stages (0 = first); absent = last"))


class StageUpdate(Input):
    name: Name | None = None
    kind: Kind | None = None
    probability: Probability | None = None
    forecast_category: Category | None = None
    stall_days: StallDays | None = None
    version: Version = None

    @model_validator(mode="after")
    def _required_not_null(self) -> StageUpdate:
        _not_null(self, ("name", "kind", "probability", "forecast_category"))
        return self


class StageRead(Output):
    id: uuid.UUID
    version: int
    pipeline_id: uuid.UUID
    name: str
    position: int
    kind: str
    probability: int
    forecast_category: str
    stall_days: int | None
    archived_at: datetime | None
    created_at: datetime
    updated_at: datetime


class PipelineCreate(Input):
    name: Name
    is_default: bool = False
    position: int | None = Field(None, ge=0, le=10_000)
    stages: list[StageCreate] = Field(min_length=3, max_length=50, description=(
        "In board order; at least one open, one won and one lost stage"))


class PipelineUpdate(Input):
    name: Name | None = None
    is_default: bool | None = Field(None, description=(
        "true makes this the default pipeline (the previous default stops being one)"))
    position: int | None = Field(None, ge=0, le=10_000)
    version: Version = None

    @model_validator(mode="after")
    def _required_not_null(self) -> PipelineUpdate:
        _not_null(self, ("name", "is_default", "position"))
        return self


class StageOrder(Input):
    stage_ids: list[uuid.UUID] = Field(min_length=1, max_length=50, description=(
        "Every live stage of the pipeline, in the new order"))
    version: Version = None


class PipelineRead(Output):
    id: uuid.UUID
    version: int
    name: str
    position: int
    is_default: bool
    archived_at: datetime | None
    created_at: datetime
    updated_at: datetime
    stages: list[StageRead] = Field(description="The live stages, in order")

    @model_validator(mode="before")
    @classmethod
    def _live_stages(cls, data: Any) -> Any:
        if not isinstance(data, dict) and hasattr(data, "stages"):
            return {**{k: getattr(data, k) for k in cls.model_fields if k != "stages"},
                    "stages": [s for s in data.stages if s.archived_at is None]}
        return data


class LostReasonCreate(Input):
    name: Name
    position: int | None = Field(None, ge=0, le=10_000)


class LostReasonUpdate(Input):
    name: Name | None = None
    position: int | None = Field(None, ge=0, le=10_000)
    active: bool | None = None

    @model_validator(mode="after")
    def _required_not_null(self) -> LostReasonUpdate:
        _not_null(self, ("name", "position", "active"))
        return self


class LostReasonRead(Output):
    id: uuid.UUID
    name: str
    position: int
    active: bool
    created_at: datetime
    updated_at: datetime


# -- deals --------------------------------------------------------------------------------

class DealFields(Input):
    name: DealName | None = None
    amount: Amount | None = Field(None, description=(
        "Ignored in favour of the sum of the lines when the deal has lines"))
    currency: Currency | None = None
    expected_close_date: date | None = None
    probability: Probability | None = Field(None, description=(
        "Overrides the stage's default (null goes back to the stage's)"))
    forecast_category: Category | None = Field(None, description=(
        "Overrides the stage's forecast category (null goes back to the stage's)"))
    contact_id: uuid.UUID | None = Field(None, description="The primary contact")
    company_id: uuid.UUID | None = None
    owner_id: uuid.UUID | None = None
    source: Annotated[str, StringConstraints(max_length=120)] | None = None
    campaign: Text200 | None = None
    next_step: Text500 | None = None
    description: LongText | None = None
    closed_at: AwareDatetime | None = Field(None, description=(
        "When a won or lost deal closed (defaults to the time it reached the stage)"))
    lost_reason_id: uuid.UUID | None = None
    lost_reason_text: Text1000 | None = None
    custom_fields: CustomFieldValues | None = Field(None, description=(
        "Values by key, checked against the deal custom fields (null removes a value)"))


class DealCreate(DealFields):
    name: DealName
    currency: Currency
    amount: Amount = Decimal("0")
    pipeline_id: uuid.UUID | None = Field(None, description="Defaults to the default pipeline")
    stage_id: uuid.UUID | None = Field(None, description=(
        "Defaults to the pipeline's first open stage"))


class DealUpdate(DealFields):
    version: Version = None

    @model_validator(mode="after")
    def _required_not_null(self) -> DealUpdate:
        _not_null(self, ("name", "amount", "currency"))
        return self


class DealContactIn(Input):
    contact_id: uuid.UUID
    role: Role = "other"


class DealContactsIn(Input):
    contacts: list[DealContactIn] = Field(max_length=50)
    version: Version = None


class DealLineIn(Input):
    product_id: uuid.UUID | None = Field(None, description=(
        "A catalogue product: its name is the default description and its price the default "
        "unit price when the currencies match"))
    description: Text500 | None = None
    quantity: Quantity
    unit_price: Price | None = Field(None, description=(
        "Required without a product, or when the product is priced in another currency"))
    discount_percent: Percent = Decimal("0")


class DealLinesIn(Input):
    lines: list[DealLineIn] = Field(max_length=200, description=(
        "Replaces every line; the deal's amount becomes their sum (no lines: it stays)"))
    version: Version = None


class DealMove(Input):
    stage_id: uuid.UUID
    position: int | None = Field(None, ge=0, le=100_000, description=(
        "Index in the target stage's column as you see it (0 = top); absent = bottom"))
    pipeline_id: uuid.UUID | None = Field(None, description=(
        "Required to move the deal to a stage of another pipeline"))
    lost_reason_id: uuid.UUID | None = None
    lost_reason_text: Text1000 | None = None
    create_order: bool = Field(False, description="With a won stage: also place the order")
    version: Version = None


class NextStepIn(Input):
    title: Annotated[str, StringConstraints(min_length=1, max_length=300)]
    due_at: AwareDatetime | None = None
    assignee_id: uuid.UUID | None = Field(None, description="Defaults to you")


class DealContactRead(Output):
    contact_id: uuid.UUID
    role: str


class DealLineRead(Output):
    id: uuid.UUID
    product_id: uuid.UUID | None
    description: str
    quantity: Decimal
    unit_price: Decimal
    discount_percent: Decimal
    total: Decimal


class DealRead(Output):
    id: uuid.UUID
    version: int
    name: str
    amount: Decimal
    currency: str
    expected_close_date: date | None
    probability: int
    probability_overridden: bool
    forecast_category: str | None
    pipeline_id: uuid.UUID
    stage_id: uuid.UUID
    rank: float
    status: str
    stage_entered_at: datetime
    contact_id: uuid.UUID | None
    company_id: uuid.UUID | None
    contacts: list[DealContactRead]
    lines: list[DealLineRead]
    owner_id: uuid.UUID | None
    source: str | None
    campaign: str | None
    next_step: str | None
    description: str | None
    closed_at: datetime | None
    lost_reason_id: uuid.UUID | None
    lost_reason_text: str | None
    custom_fields: dict[str, Any]
    last_activity_at: datetime
    stalled: bool = Field(False, description=(
        "Open, in a stage with stall_days, no open task, no activity for that long"))
    created_at: datetime
    updated_at: datetime
    deleted_at: datetime | None


class DealMoved(DealRead):
    order_id: uuid.UUID | None = Field(None, description="The order placed (create_order)")


class TaskBrief(Output):
    id: uuid.UUID
    title: str
    due_at: datetime | None
    assignee_id: uuid.UUID | None
    status: str


class NextStepRead(Output):
    deal: DealRead
    task: TaskBrief


class StageChangeRead(Output):
    id: uuid.UUID
    from_stage_id: uuid.UUID | None
    to_stage_id: uuid.UUID
    to_stage_name: str
    from_pipeline_id: uuid.UUID | None
    to_pipeline_id: uuid.UUID
    changed_at: datetime
    actor_id: uuid.UUID | None
    seconds_in_stage: float = Field(description=(
        "Until the next change; for the current stage, until now"))


class StageHistoryRead(Output):
    items: list[StageChangeRead]
    sales_cycle_seconds: float | None = Field(description="Created to closed; null while open")


# -- the board ----------------------------------------------------------------------------

class CurrencyTotal(Output):
    currency: str
    amount: Decimal
    weighted_amount: Decimal = Field(description=(
        "Sum of amount x probability / 100, rounded half to even to cents once"))


class BoardCard(Output):
    id: uuid.UUID
    version: int
    name: str
    amount: Decimal
    currency: str
    probability: int
    rank: float
    status: str
    owner_id: uuid.UUID | None
    owner_name: str | None
    contact_id: uuid.UUID | None
    contact_name: str | None = Field(description="Only when you may see the contact")
    company_id: uuid.UUID | None
    company_name: str | None = Field(description="Only when you may see the company")
    expected_close_date: date | None
    stalled: bool


class BoardColumn(Output):
    stage: StageRead
    count: int
    totals: list[CurrencyTotal]
    deals: list[BoardCard]
    next_cursor: str | None = Field(description=(
        "More of this column: GET /deals?stage_id=<id>&sort=rank&cursor=<this> (with the same "
        "owner_id)"))


class BoardRead(Output):
    pipeline_id: uuid.UUID
    pipeline_name: str
    pipeline_version: int
    columns: list[BoardColumn]
