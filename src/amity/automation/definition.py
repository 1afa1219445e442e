"""The JSON definition of a workflow version, validated by Pydantic: trigger, conditions,
actions. A definition is stored as ``model_dump(mode="json")`` and never changed afterwards."""

from __future__ import annotations

import uuid
from typing import Annotated, Literal
from urllib.parse import urlsplit

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
    model_validator,
)

from amity.analytics.models import RfmSegment
from amity.core.schemas import TimeZoneName

Text200 = Annotated[str, StringConstraints(min_length=1, max_length=200, strip_whitespace=True)]
Tag = Annotated[str, StringConstraints(min_length=1, max_length=80, strip_whitespace=True)]
Stage = Literal["subscriber", "lead", "qualified", "opportunity", "customer", "evangelist",
                "churned"]
EVENT_TYPE = r"^[a-z0-9_]+(\.[a-z0-9_]+)+$"
# Contact columns a condition may compare, and those an action may set.
FIELDS = ("first_name", "last_name", "nickname", "job_title", "department", "lifecycle_stage",
          "source", "gender", "language", "time_zone", "preferred_channel", "do_not_contact",
          "birthday", "last_contacted_at", "last_activity_at", "created_at")
SETTABLE = ("first_name", "last_name", "nickname", "job_title", "department", "lifecycle_stage",
            "source", "gender", "language", "preferred_channel", "do_not_contact")
ConditionField = Literal[FIELDS]  # type: ignore[valid-type]
SettableField = Literal[SETTABLE]  # type: ignore[valid-type]
Scalar = str | int | float | bool | None


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


# ---- triggers ------------------------------------------------------------------------------

class EventFilter(Strict):
    """A test on the event's data: ``path`` is a key of the payload (dots go deeper); the
    engine adds names for ids where it can (``to_stage_name``, ``to_stage``, ``url``)."""

    path: Annotated[str, StringConstraints(pattern=r"^[a-z_][a-z0-9_]*(\.[a-z0-9_]+)*$",
                                           max_length=100)]
    op: Literal["eq", "ne", "contains", "in"] = "eq"
    value: Scalar | list[Scalar] = None


class EventTrigger(Strict):
    type: Literal["event"] = "event"
    event: Annotated[str, StringConstraints(pattern=EVENT_TYPE, max_length=80)] = Field(
        description="A domain event type, e.g. deal.won, contact.lifecycle_stage_changed")
    filters: list[EventFilter] = Field(default_factory=list, max_length=10)


class _DateTrigger(Strict):
    time_zone: TimeZoneName = Field("UTC", description="Whose calendar day the scan uses")


class BirthdayTrigger(_DateTrigger):
    type: Literal["birthday"]
    days_before: int = Field(0, ge=0, le=60)


class ImportantDateTrigger(_DateTrigger):
    type: Literal["important_date"]
    days_before: int = Field(0, ge=0, le=60)
    label: Annotated[str, StringConstraints(max_length=100)] | None = Field(
        None, description="Only dates with this label (any date when empty)")


class NoPurchaseTrigger(_DateTrigger):
    type: Literal["no_purchase"]
    days: int = Field(90, ge=1, le=3650)


class NoContactTrigger(_DateTrigger):
    type: Literal["no_contact"]
    days: int = Field(30, ge=1, le=3650)


class ReplacementDueTrigger(_DateTrigger):
    type: Literal["replacement_due"]
    days_before: int = Field(0, ge=0, le=60)


class DealStalledTrigger(_DateTrigger):
    """A deal that became stalled (open, no activity for its stage's ``stall_days``, no open
    task); once per deal and last activity."""

    type: Literal["deal_stalled"]


WEB_KINDS = ("page_view", "download", "form_submit", "email_open", "email_click")


class WebTrigger(Strict):
    """A contact's tracked web activity: a page viewed (``url_contains`` narrows it, e.g.
    "/pricing"), a download, a site form submitted, an email opened or a link in it clicked.
    Each such web event starts the workflow once for its contact."""

    type: Literal["web"]
    kind: Literal[WEB_KINDS] = "page_view"  # type: ignore[valid-type]
    url_contains: Annotated[str, StringConstraints(max_length=200)] | None = None


Trigger = Annotated[EventTrigger | BirthdayTrigger | ImportantDateTrigger | NoPurchaseTrigger
                    | NoContactTrigger | ReplacementDueTrigger | DealStalledTrigger
                    | WebTrigger, Field(discriminator="type")]
DATE_TRIGGERS = ("birthday", "important_date", "no_purchase", "no_contact", "replacement_due",
                 "deal_stalled")


# ---- conditions ----------------------------------------------------------------------------

class FieldCondition(Strict):
    type: Literal["field"]
    field: ConditionField
    op: Literal["eq", "ne", "gt", "lt", "contains", "is_empty", "is_not_empty", "in"] = "eq"
    value: Scalar | list[Scalar] = None


class TagCondition(Strict):
    type: Literal["tag"]
    op: Literal["has", "lacks"] = "has"
    tag: Tag


class StageCondition(Strict):
    type: Literal["lifecycle_stage"]
    stages: list[Stage] = Field(min_length=1, max_length=7)


class OwnerCondition(Strict):
    type: Literal["owner"]
    op: Literal["is", "is_not"] = "is"
    user_id: uuid.UUID | None = Field(None, description="Empty means unassigned")


class EventCountCondition(Strict):
    """Counts the contact's web events or interactions in the last ``within_days`` days."""

    type: Literal["event_count"]
    source: Literal["web", "interaction"] = "web"
    kind: Annotated[str, StringConstraints(max_length=20)] | None = Field(
        None, description="Web event type (page_view...) or interaction channel (email...)")
    path_contains: Annotated[str, StringConstraints(max_length=200)] | None = None
    direction: Literal["inbound", "outbound"] | None = None
    within_days: int = Field(7, ge=1, le=365)
    op: Literal["gte", "gt", "eq", "lte", "lt"] = "gte"
    count: int = Field(1, ge=0, le=1_000_000)


class OpenDealCondition(Strict):
    type: Literal["open_deal"]
    exists: bool = True


class RfmSegmentCondition(Strict):
    """The contact's RFM segment in the analytics roll-up (refreshed nightly); a contact
    without a counted order has none, so ``not_in`` matches them."""

    type: Literal["rfm_segment"]
    op: Literal["in", "not_in"] = "in"
    segments: list[RfmSegment] = Field(min_length=1, max_length=10)


class EarlyValueCondition(Strict):
    """The contact is inside their first ``window_days`` (from their first counted order) and
    shows, or lacks (``has: false``), an early-value signal (``intelligence.early_value``)."""

    type: Literal["early_value"]
    signal: Literal["categories_2", "categories_3", "repeat_orders", "multi_channel",
                    "referral", "support_ticket"]
    has: bool = False
    window_days: int = Field(90, ge=7, le=365)
    min_orders: int = Field(2, ge=2, le=20, description="The repeat-orders signal's threshold")


Condition = Annotated[FieldCondition | TagCondition | StageCondition | OwnerCondition
                      | EventCountCondition | OpenDealCondition | RfmSegmentCondition
                      | EarlyValueCondition,
                      Field(discriminator="type")]


class ConditionGroup(Strict):
    match: Literal["all", "any"] = "all"
    rules: list[Condition] = Field(default_factory=list, max_length=30)
    groups: list[ConditionGroup] = Field(default_factory=list, max_length=10)


# ---- actions -------------------------------------------------------------------------------

class SendEmail(Strict):
    type: Literal["send_email"]
    template_id: uuid.UUID | None = None
    subject: Annotated[str, StringConstraints(max_length=998)] | None = None
    body: Annotated[str, StringConstraints(max_length=100_000)] | None = None
    purpose: Literal["marketing", "newsletter", "transactional"] = "marketing"

    @model_validator(mode="after")
    def _content(self) -> SendEmail:
        if self.template_id is None and not (self.subject and self.body):
            raise ValueError("give a template_id, or a subject and a body")
        return self


Assignee = Literal["owner", "user", "team"]


class CreateTask(Strict):
    type: Literal["create_task"]
    title: Text200
    description: Annotated[str, StringConstraints(max_length=5000)] | None = None
    due_in_days: int | None = Field(None, ge=0, le=3650)
    priority: Literal["low", "normal", "high", "urgent"] = "normal"
    assignee: Assignee = "owner"
    user_id: uuid.UUID | None = None
    team_id: uuid.UUID | None = Field(None, description="Round robin over the team's members")

    @model_validator(mode="after")
    def _target(self) -> CreateTask:
        _check_target(self.assignee, self.user_id, self.team_id)
        return self


class Notify(Strict):
    type: Literal["notify"]
    to: Assignee = "owner"
    user_id: uuid.UUID | None = None
    team_id: uuid.UUID | None = None
    message: Text200
    email: bool = Field(True, description="Also by email")

    @model_validator(mode="after")
    def _target(self) -> Notify:
        _check_target(self.to, self.user_id, self.team_id)
        return self


class UpdateField(Strict):
    type: Literal["update_field"]
    field: SettableField
    value: Scalar = None


class AddTag(Strict):
    type: Literal["add_tag"]
    tag: Tag


class RemoveTag(Strict):
    type: Literal["remove_tag"]
    tag: Tag


class ChangeOwner(Strict):
    type: Literal["change_owner"]
    user_id: uuid.UUID


class CallWebhook(Strict):
    type: Literal["webhook"]
    url: Annotated[str, StringConstraints(max_length=2000)]
    secret: Annotated[str, StringConstraints(min_length=16, max_length=200)]

    @field_validator("url")
    @classmethod
    def _url(cls, value: str) -> str:
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError("an http(s) URL with a host")
        return value


class EnrolSequence(Strict):
    type: Literal["enrol_sequence"]
    sequence_id: uuid.UUID


class Wait(Strict):
    type: Literal["wait"]
    amount: int = Field(ge=1, le=100_000)
    unit: Literal["minutes", "hours", "days"] = "days"


Action = Annotated[SendEmail | CreateTask | Notify | UpdateField | AddTag | RemoveTag
                   | ChangeOwner | CallWebhook | EnrolSequence | Wait,
                   Field(discriminator="type")]


def _check_target(kind: str, user_id: uuid.UUID | None, team_id: uuid.UUID | None) -> None:
    if kind == "user" and user_id is None:
        raise ValueError("user_id is required for a user")
    if kind == "team" and team_id is None:
        raise ValueError("team_id is required for a team")


class Definition(Strict):
    trigger: Trigger
    conditions: ConditionGroup = Field(default_factory=ConditionGroup)
    actions: list[Action] = Field(min_length=1, max_length=50)


def trigger_key(definition: Definition) -> str:
    """What the workflow row is indexed by: the event type, ``web:<kind>`` or
    ``date:<kind>``."""
    t = definition.trigger
    if isinstance(t, WebTrigger):
        return f"web:{t.kind}"
    return t.event if isinstance(t, EventTrigger) else f"date:{t.type}"
