"""What a report may count: per entity, its table, the permission that scopes it, and its fields.

A field is a SQL expression with a kind: ``text`` (group, filter), ``ref`` (an id shown by its
name: owner, stage, team ...), ``number`` (also a measure), ``time`` (bucketed by day, week,
month, quarter or year in the reader's time zone) and ``date``. Money columns are
``number`` fields marked ``money``: they are stored as exact scaled integers (``core.db.Fixed``),
so their sums stay exact Decimals, and adding up amounts in different currencies is refused.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy.orm import aliased

from amity.activities.models import Interaction
from amity.auth.access import Permission
from amity.auth.models import Team, User
from amity.commerce.models import Order, OrderLine, Product
from amity.companies.models import Company
from amity.contacts.models import Contact
from amity.deals.models import Deal, LostReason, Pipeline, Stage
from amity.tickets.models import Ticket

Kind = Literal["text", "ref", "number", "time"]
EntityName = Literal["contacts", "companies", "deals", "orders", "order_lines", "tickets",
                     "interactions"]
ENTITY_NAMES: tuple[str, ...] = ("contacts", "companies", "deals", "orders", "order_lines",
                                 "tickets", "interactions")


@dataclass(frozen=True)
class Field:
    key: str
    label: str
    kind: Kind
    column: Callable[[], Any]  # the row's value (for ``ref``: the referenced id)
    target: Any = None  # ``ref``: the table whose ``name`` labels the id
    money: bool = False


@dataclass(frozen=True)
class Entity:
    name: str
    label: str
    model: Any  # the table whose ``owner_id`` and ``deleted_at`` scope the rows
    permission: Permission
    fields: dict[str, Field]
    custom_entity: str | None = None  # custom field definitions' entity name
    currency: Callable[[], Any] | None = None
    lines: bool = False  # order lines: rows of OrderLine joined to their order


def _f(key: str, label: str, kind: Kind, column: Callable[[], Any], target: Any = None,
       money: bool = False) -> tuple[str, Field]:
    return key, Field(key, label, kind, column, target, money)


def _owner(model: Any) -> tuple[str, Field]:
    return _f("owner", "Owner", "ref", lambda: model.owner_id, User)


def _created(model: Any) -> tuple[str, Field]:
    return _f("created_at", "Created", "time", lambda: model.created_at)


Assignee = aliased(User, name="assignee_user")

ENTITIES: dict[str, Entity] = {
    "contacts": Entity("contacts", "Contacts", Contact, Permission.CONTACTS_VIEW, dict([
        _owner(Contact), _created(Contact),
        _f("lifecycle_stage", "Lifecycle stage", "text", lambda: Contact.lifecycle_stage),
        _f("source", "Source", "text", lambda: Contact.source),
        _f("preferred_channel", "Preferred channel", "text", lambda: Contact.preferred_channel),
        _f("language", "Language", "text", lambda: Contact.language),
        _f("job_title", "Job title", "text", lambda: Contact.job_title),
        _f("department", "Department", "text", lambda: Contact.department),
        _f("last_activity_at", "Last activity", "time", lambda: Contact.last_activity_at),
    ]), custom_entity="contact"),
    "companies": Entity("companies", "Companies", Company, Permission.COMPANIES_VIEW, dict([
        _owner(Company), _created(Company),
        _f("industry", "Industry", "text", lambda: Company.industry),
        _f("size", "Size", "text", lambda: Company.size),
        _f("employee_count", "Employees", "number", lambda: Company.employee_count),
    ]), custom_entity="company"),
    "deals": Entity("deals", "Deals", Deal, Permission.DEALS_VIEW, dict([
        _owner(Deal), _created(Deal),
        _f("pipeline", "Pipeline", "ref", lambda: Deal.pipeline_id, Pipeline),
        _f("stage", "Stage", "ref", lambda: Deal.stage_id, Stage),
        _f("status", "Status", "text", lambda: Deal.status),
        _f("source", "Source", "text", lambda: Deal.source),
        _f("campaign", "Campaign", "text", lambda: Deal.campaign),
        _f("currency", "Currency", "text", lambda: Deal.currency),
        _f("lost_reason", "Lost reason", "ref", lambda: Deal.lost_reason_id, LostReason),
        _f("amount", "Amount", "number", lambda: Deal.amount, money=True),
        _f("probability", "Probability", "number", lambda: Deal.probability),
        _f("closed_at", "Closed", "time", lambda: Deal.closed_at),
        _f("stage_entered_at", "Entered stage", "time", lambda: Deal.stage_entered_at),
    ]), currency=lambda: Deal.currency, custom_entity="deal"),
    "orders": Entity("orders", "Orders", Order, Permission.ORDERS_VIEW, dict([
        _owner(Order), _created(Order),
        _f("channel", "Channel", "text", lambda: Order.channel),
        _f("status", "Status", "text", lambda: Order.status),
        _f("currency", "Currency", "text", lambda: Order.currency),
        _f("subtotal", "Subtotal", "number", lambda: Order.subtotal, money=True),
        _f("discount_total", "Discounts", "number", lambda: Order.discount_total, money=True),
        _f("total", "Total", "number", lambda: Order.total, money=True),
        _f("ordered_at", "Ordered", "time", lambda: Order.ordered_at),
    ]), currency=lambda: Order.currency, custom_entity="order"),
    "order_lines": Entity("order_lines", "Order lines", Order, Permission.ORDERS_VIEW, dict([
        _owner(Order),
        _f("channel", "Channel", "text", lambda: Order.channel),
        _f("status", "Order status", "text", lambda: Order.status),
        _f("currency", "Currency", "text", lambda: Order.currency),
        _f("category", "Category", "text", lambda: OrderLine.category),
        _f("sku", "SKU", "text", lambda: OrderLine.sku),
        _f("product", "Product", "ref", lambda: OrderLine.product_id, Product),
        _f("quantity", "Quantity", "number", lambda: OrderLine.quantity),
        _f("unit_price", "Unit price", "number", lambda: OrderLine.unit_price, money=True),
        _f("discount_percent", "Discount %", "number", lambda: OrderLine.discount_percent),
        _f("total", "Line total", "number", lambda: OrderLine.total, money=True),
        _f("ordered_at", "Ordered", "time", lambda: Order.ordered_at),
    ]), currency=lambda: Order.currency, lines=True, custom_entity="order"),
    "tickets": Entity("tickets", "Tickets", Ticket, Permission.TICKETS_VIEW, dict([
        _owner(Ticket), _created(Ticket),
        _f("assignee", "Assignee", "ref", lambda: Ticket.assignee_id, Assignee),
        _f("team", "Team", "ref", lambda: Ticket.team_id, Team),
        _f("status", "Status", "text", lambda: Ticket.status),
        _f("priority", "Priority", "text", lambda: Ticket.priority),
        _f("channel", "Channel", "text", lambda: Ticket.channel),
        _f("category", "Category", "text", lambda: Ticket.category),
        _f("satisfaction_score", "Satisfaction (CSAT)", "number",
           lambda: Ticket.satisfaction_score),
        _f("first_responded_at", "First response", "time", lambda: Ticket.first_responded_at),
        _f("resolved_at", "Resolved", "time", lambda: Ticket.resolved_at),
        _f("closed_at", "Closed", "time", lambda: Ticket.closed_at),
    ]), custom_entity="ticket"),
    "interactions": Entity("interactions", "Interactions", Interaction,
                           Permission.CONTACTS_VIEW, dict([
        _owner(Interaction), _created(Interaction),
        _f("channel", "Channel", "text", lambda: Interaction.channel),
        _f("direction", "Direction", "text", lambda: Interaction.direction),
        _f("outcome", "Outcome", "text", lambda: Interaction.outcome),
        _f("network", "Network", "text", lambda: Interaction.network),
        _f("duration_s", "Duration (s)", "number", lambda: Interaction.duration_s),
        _f("occurred_at", "Occurred", "time", lambda: Interaction.occurred_at),
    ]), custom_entity="interaction"),
}
