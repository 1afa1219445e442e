"""Every write to tickets and their comments: validated, audited, announced.

Statuses move along ``models.TRANSITIONS`` only. Waiting on the customer pauses the SLA
clock; resolving (or closing) meets the resolution target and, for a ticket with a contact,
issues a satisfaction survey whose link the ``ticket.resolved`` event carries. The first
public reply of an agent meets the first-response target and opens a new ticket; a customer's
reply on a ticket waiting for them, or on a resolved one, opens it again.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from amity.auth.models import User
from amity.commerce.models import Order, Product
from amity.companies.models import Company
from amity.contacts.models import Contact
from amity.core import audit
from amity.core.clock import now
from amity.core.customfields import validate_custom_fields
from amity.core.db import is_postgres
from amity.core.errors import Conflict, PreconditionFailed, ValidationFailed
from amity.core.events import publish
from amity.core.tags import get_or_create_tags
from amity.tickets import assignment, sla
from amity.tickets.events import (
    TicketAssigned,
    TicketChanged,
    TicketCommented,
    TicketResolved,
    TicketStatusChanged,
)
from amity.tickets.models import TRANSITIONS, Ticket, TicketComment, TicketCounter
from amity.tickets.schemas import Assign, CommentCreate, TicketCreate, TicketUpdate
from amity.tickets.survey import SurveyConfig, issue_survey

FIRST_NUMBER = 1001
SCALARS = ("subject", "description", "priority", "channel", "category", "contact_id",
           "company_id", "assignee_id", "team_id", "order_id", "product_id", "owner_id",
           "resolution_notes")
SLA_INPUTS = {"priority", "contact_id", "company_id"}


def snapshot(t: Ticket) -> dict[str, Any]:
    data = {k: getattr(t, k) for k in (*SCALARS, "status")}
    data["tags"] = [tag.name for tag in t.tags]
    data["custom_fields"] = dict(t.custom_fields or {})
    return data


def next_number(db: Session) -> int:
    """The next ticket number. The counter row stays locked until the transaction ends, so
    concurrent creations get consecutive numbers and a rolled-back one leaves no gap."""
    bump = (update(TicketCounter).where(TicketCounter.name == "ticket")
            .values(value=TicketCounter.value + 1).returning(TicketCounter.value))
    value = db.execute(bump, execution_options={"synchronize_session": False}).scalar()
    if value is None:
        ins = (postgresql.insert(TicketCounter) if is_postgres(db)
               else sqlite.insert(TicketCounter))
        db.execute(ins.values(name="ticket", value=FIRST_NUMBER - 1)
                   .on_conflict_do_nothing(index_elements=["name"]))
        value = db.execute(bump, execution_options={"synchronize_session": False}).scalar()
    assert value is not None
    return int(value)


def _exists(db: Session, model: type[Any], record_id: uuid.UUID | None, field: str,
            code: str, message: str) -> Any:
    if record_id is None:
        return None
    record = db.get(model, record_id)
    if record is None or getattr(record, "deleted_at", None) is not None:
        raise ValidationFailed(code, message, field)
    return record


def _apply(db: Session, t: Ticket, data: TicketCreate | TicketUpdate, fields: set[str]) -> None:
    # no autoflush until references are checked: a dangling id would otherwise surface as an
    # IntegrityError (409) instead of a 422 naming the field
    with db.no_autoflush:
        for key in SCALARS:
            if key in fields and hasattr(data, key):
                setattr(t, key, getattr(data, key))
        if "tags" in fields:
            t.tags = get_or_create_tags(db, data.tags or [])
        if "custom_fields" in fields:
            t.custom_fields = validate_custom_fields(db, "ticket", data.custom_fields,
                                                     existing=t.custom_fields)
        contact = _exists(db, Contact, t.contact_id, "contact_id", "contact.not_found",
                          "No such contact") if "contact_id" in fields else None
        if "company_id" in fields:
            _exists(db, Company, t.company_id, "company_id", "company.not_found",
                    "No such company")
        elif contact is not None and t.company_id is None:
            t.company_id = contact.company_id
        if "order_id" in fields:
            _exists(db, Order, t.order_id, "order_id", "order.not_found", "No such order")
        if "product_id" in fields:
            _exists(db, Product, t.product_id, "product_id", "product.not_found",
                    "No such product")
        if "assignee_id" in fields:
            assignment.check_assignee(db, t.assignee_id)
        if "team_id" in fields:
            assignment.check_team(db, t.team_id)
        if "owner_id" in fields:
            assignment.check_assignee(db, t.owner_id, "owner_id")


def _auto_assign(db: Session, t: Ticket, at: datetime, *, forced: bool) -> bool:
    """Let the team's routing pick an agent; False if the team assigns by hand (unless
    ``forced``) or nobody is available."""
    if t.team_id is None:
        return False
    routing = assignment.routing_for(db, t.team_id, lock=True)
    if routing.mode == "manual" and not forced:
        return False
    chosen = assignment.choose_agent(db, team_id=t.team_id, at=at,
                                     mode="round_robin" if routing.mode == "manual" else None)
    if chosen is None:
        return False
    t.assignee_id = chosen
    return True


def create_ticket(db: Session, *, data: TicketCreate, actor: User) -> Ticket:
    at = now()
    t = Ticket(id=uuid.uuid4(), number=next_number(db), status="new", owner_id=actor.id,
               custom_fields={}, tags=[], created_at=at, updated_at=at, sla_paused_seconds=0)
    fields = set(data.model_fields_set) | {"subject", "priority", "channel"}
    _apply(db, t, data, fields)
    if "custom_fields" not in fields:
        t.custom_fields = validate_custom_fields(db, "ticket", {}, existing={})
    sla.schedule(db, t)
    automatic = t.assignee_id is None and _auto_assign(db, t, at, forced=False)
    db.add(t)
    db.flush()
    audit.record(db, actor_id=actor.id, action="create", entity_type="ticket", entity_id=t.id,
                 changes=audit.diff({}, snapshot(t)))
    publish(db, TicketChanged(ticket_id=t.id, action="create"))
    if t.assignee_id is not None or t.team_id is not None:
        publish(db, TicketAssigned(ticket_id=t.id, assignee_id=t.assignee_id,
                                   team_id=t.team_id, automatic=automatic))
    return t


def _move(db: Session, t: Ticket, to: str, at: datetime,
          survey: SurveyConfig | None) -> None:
    """Change the status along an allowed transition, with its SLA consequences."""
    frm = t.status
    if to == frm:
        return
    if to not in TRANSITIONS[frm]:
        allowed = ", ".join(TRANSITIONS[frm]) or "none (closed is final)"
        raise ValidationFailed("ticket.status_transition",
                               f"A {frm} ticket cannot become {to}; allowed: {allowed}",
                               "status")
    if frm == "pending_customer":
        sla.resume(db, t, at)
    if to == "pending_customer":
        sla.pause(t, at)
    if frm == "resolved" and to == "open":
        t.resolved_at = None
    if to in ("resolved", "closed") and t.resolved_at is None:
        if t.first_responded_at is None:
            sla.met_late(db, t, "first_response", at)
        sla.met_late(db, t, "resolution", at)
        t.resolved_at = at
    if to == "closed":
        t.closed_at = at
    t.status = to
    sla.refresh_derived(t)
    publish(db, TicketStatusChanged(ticket_id=t.id, from_status=frm, to_status=to))
    if to == "resolved":
        issued = (issue_survey(db, ticket=t, config=survey, at=at)
                  if survey is not None and t.contact_id is not None else None)
        publish(db, TicketResolved(ticket_id=t.id, contact_id=t.contact_id,
                                   survey_id=issued[0].id if issued else None,
                                   survey_url=issued[1] if issued else None))


def update_ticket(db: Session, *, ticket: Ticket, data: TicketUpdate, actor: User,
                  expected_version: int | None = None,
                  survey: SurveyConfig | None = None) -> Ticket:
    version = data.version if data.version is not None else expected_version
    if version is not None and version != ticket.version:
        raise PreconditionFailed()
    at = now()
    before = snapshot(ticket)
    fields = set(data.model_fields_set) - {"version", "status"}
    with db.no_autoflush:  # one UPDATE (one version) for the whole change
        _apply(db, ticket, data, fields)
        if any(before[k] != getattr(ticket, k) for k in SLA_INPUTS):
            sla.schedule(db, ticket)
        if "status" in data.model_fields_set and data.status is not None:
            _move(db, ticket, data.status, at, survey)
    return _finish(db, ticket, before, actor, at, action="update")


def _finish(db: Session, t: Ticket, before: dict[str, Any], actor: User, at: datetime, *,
            action: str, automatic: bool = False) -> Ticket:
    changes = audit.diff(before, snapshot(t))
    if changes:
        t.updated_at = at
        db.flush()
        audit.record(db, actor_id=actor.id, action=action, entity_type="ticket",
                     entity_id=t.id, changes=changes)
        publish(db, TicketChanged(ticket_id=t.id, action=action))
        if {"assignee_id", "team_id"} & changes.keys():
            publish(db, TicketAssigned(ticket_id=t.id, assignee_id=t.assignee_id,
                                       team_id=t.team_id, automatic=automatic))
    return t


def assign_ticket(db: Session, *, ticket: Ticket, data: Assign, actor: User) -> Ticket:
    """Assign by hand, or with ``auto`` let the team's routing choose (422 if the ticket has
    no team or nobody in it is available)."""
    if ticket.status == "closed":
        raise Conflict("ticket.closed", "A closed ticket cannot be reassigned", "status")
    at = now()
    before = snapshot(ticket)
    sent = data.model_fields_set
    with db.no_autoflush:
        if "team_id" in sent:
            assignment.check_team(db, data.team_id)
            ticket.team_id = data.team_id
        if data.auto:
            if ticket.team_id is None:
                raise ValidationFailed("ticket.no_team", "Automatic assignment needs a team",
                                       "team_id")
            if not _auto_assign(db, ticket, at, forced=True):
                raise ValidationFailed("team.nobody_available", "Nobody in this team is "
                                       "available (all inactive or away)", "team_id")
        elif "assignee_id" in sent:
            assignment.check_assignee(db, data.assignee_id)
            ticket.assignee_id = data.assignee_id
    return _finish(db, ticket, before, actor, at, action="assign", automatic=data.auto)


def delete_ticket(db: Session, *, ticket: Ticket, actor: User,
                  expected_version: int | None = None) -> Ticket:
    if expected_version is not None and expected_version != ticket.version:
        raise PreconditionFailed()
    if ticket.deleted_at is None:
        ticket.deleted_at = now()
        db.flush()
        audit.record(db, actor_id=actor.id, action="delete", entity_type="ticket",
                     entity_id=ticket.id)
        publish(db, TicketChanged(ticket_id=ticket.id, action="delete"))
    return ticket


def restore_ticket(db: Session, *, ticket: Ticket, actor: User) -> Ticket:
    if ticket.deleted_at is not None:
        ticket.deleted_at = None
        db.flush()
        audit.record(db, actor_id=actor.id, action="restore", entity_type="ticket",
                     entity_id=ticket.id)
        publish(db, TicketChanged(ticket_id=ticket.id, action="restore"))
    return ticket


def add_comment(db: Session, *, ticket: Ticket, data: CommentCreate, actor: User) -> TicketComment:
    """A public reply or internal note; see the module doc for what it does to the status."""
    if ticket.status == "closed":
        raise Conflict("ticket.closed", "A closed ticket takes no more comments; open a new "
                       "ticket instead", "status")
    at = now()
    before = snapshot(ticket)
    contact_id = None
    if data.author == "customer":
        contact_id = data.contact_id or ticket.contact_id
        if contact_id is None:
            raise ValidationFailed("contact.required", "Say which customer wrote this "
                                   "(the ticket has no contact)", "contact_id")
        _exists(db, Contact, contact_id, "contact_id", "contact.not_found", "No such contact")
    comment = TicketComment(id=uuid.uuid4(), ticket_id=ticket.id, author_kind=data.author,
                            author_id=actor.id, contact_id=contact_id, public=data.public,
                            body=data.body, message_id=data.message_id,
                            in_reply_to=data.in_reply_to, created_at=at)
    db.add(comment)
    with db.no_autoflush:
        if data.author == "agent" and data.public:
            if ticket.first_responded_at is None:
                sla.met_late(db, ticket, "first_response", at)
                ticket.first_responded_at = at
                sla.refresh_derived(ticket)
            if ticket.status == "new":
                _move(db, ticket, "open", at, None)
        elif data.author == "customer" and ticket.status in ("pending_customer", "resolved"):
            _move(db, ticket, "open", at, None)
        ticket.updated_at = at
    db.flush()
    changes = audit.diff(before, snapshot(ticket))
    changes["comment_id"] = [None, str(comment.id)]
    changes["public"] = [None, data.public]
    audit.record(db, actor_id=actor.id, action="comment", entity_type="ticket",
                 entity_id=ticket.id, changes=changes)
    publish(db, TicketCommented(ticket_id=ticket.id, comment_id=comment.id,
                                author_kind=data.author, public=data.public))
    return comment
