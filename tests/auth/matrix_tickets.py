"""Permission-matrix entries for the customer-service API (see matrix.py), the ticket records
the world makes for each owner, the fresh calendar and policy for the operations about one,
and what of the tickets' tables a denied write must leave unchanged."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import String, cast, func, select

from amity.tickets.models import (
    AgentStatus,
    BusinessCalendar,
    SlaPolicy,
    TeamRouting,
    Ticket,
    TicketAttachment,
    TicketComment,
    TicketSurvey,
)
from amity.tickets.service import next_number
from tests.auth.matrix_base import ANY, Op, _hex, _json

# path ids the matrix fills with fresh ticket rows (record ops) or settings rows
TICKET_IDS = ("ticket_id", "comment_id", "attachment_id", "calendar_id", "policy_id")
_T = "/api/v1/tickets/{ticket_id}"
_CAL = {"mon": [["09:00", "17:00"]], "tue": [["09:00", "17:00"]]}

TICKETS: dict[tuple[str, str], Op] = {
    ("GET", "/api/v1/tickets"): Op("tickets.view", 200),
    ("POST", "/api/v1/tickets"): Op("tickets.create", 201, body=_json({"subject": "Matrix"})),
    ("GET", "/api/v1/tickets/queues"): Op("tickets.view", 200),
    ("GET", _T): Op("tickets.view", 200, record=True),
    ("PATCH", _T): Op("tickets.edit", 200, record=True, body=_json({"category": "Billing"})),
    ("DELETE", _T): Op("tickets.delete", 204, record=True),
    ("POST", f"{_T}/restore"): Op("tickets.delete", 200, record=True, deleted=True),
    ("POST", f"{_T}/assign"): Op("tickets.edit", 200, record=True,
                                 body=_json({"assignee_id": None})),
    ("GET", f"{_T}/history"): Op("tickets.view", 200, record=True),
    ("GET", f"{_T}/comments"): Op("tickets.view", 200, record=True),
    ("POST", f"{_T}/comments"): Op("tickets.edit", 201, record=True,
                                   body=_json({"body": "A reply", "public": False})),
    # The matrix sends JSON, not multipart: a caller allowed through gets the 422 asking for
    # the file (tests/tickets cover real uploads); everyone else gets 403/404 as usual.
    ("POST", f"{_T}/comments/{{comment_id}}/attachments"): Op("tickets.edit", 422, record=True,
                                                              body=_json({})),
    # The world's attachment row has no stored bytes: an allowed reader gets the 410 that
    # says so (tests/tickets download real files).
    ("GET", f"{_T}/attachments/{{attachment_id}}"): Op("tickets.view", 410, record=True),
    ("GET", "/api/v1/contacts/{contact_id}/service-summary"): Op("tickets.view", 200,
                                                                 record=True),
    # service settings: read by everyone signed in, changed with settings.edit
    ("GET", "/api/v1/business-calendars"): Op(ANY, 200),
    ("POST", "/api/v1/business-calendars"): Op("settings.edit", 201, body=lambda ids: {
        "name": f"Cal {_hex()}", "time_zone": "Europe/Paris", "hours": _CAL}),
    ("GET", "/api/v1/business-calendars/{calendar_id}"): Op(ANY, 200),
    ("PATCH", "/api/v1/business-calendars/{calendar_id}"): Op(
        "settings.edit", 200, body=_json({"holidays": ["2026-12-25"]})),
    ("DELETE", "/api/v1/business-calendars/{calendar_id}"): Op("settings.edit", 204),
    ("GET", "/api/v1/sla-policies"): Op(ANY, 200),
    ("POST", "/api/v1/sla-policies"): Op("settings.edit", 201, body=lambda ids: {
        "name": f"Policy {_hex()}", "priority": "high", "first_response_minutes": 30,
        "resolution_minutes": 240}),
    ("GET", "/api/v1/sla-policies/{policy_id}"): Op(ANY, 200),
    ("PATCH", "/api/v1/sla-policies/{policy_id}"): Op("settings.edit", 200,
                                                      body=_json({"warning_percent": 75})),
    ("DELETE", "/api/v1/sla-policies/{policy_id}"): Op("settings.edit", 204),
    ("GET", "/api/v1/ticket-routing"): Op(ANY, 200),
    ("PUT", "/api/v1/ticket-routing/{team_id}"): Op("settings.edit", 200,
                                                    body=_json({"mode": "round_robin"})),
    ("GET", "/api/v1/ticket-agents"): Op(ANY, 200),
    ("PUT", "/api/v1/ticket-agents/{user_id}"): Op("tickets.edit", 200,
                                                   body=_json({"away": True})),
}


def ticket_records(s: Any, owner_id: uuid.UUID, contact_id: uuid.UUID,
                   company_id: uuid.UUID) -> dict[str, uuid.UUID]:
    """An open ticket of the contact owned by ``owner_id`` with a reply and an attachment row
    (no stored file), written as rows."""
    ticket = Ticket(id=uuid.uuid4(), number=next_number(s), subject="Matrix ticket",
                    status="open", priority="normal", channel="email", contact_id=contact_id,
                    company_id=company_id, owner_id=owner_id, custom_fields={},
                    sla_paused_seconds=0)
    s.add(ticket)
    s.flush()
    reply = TicketComment(id=uuid.uuid4(), ticket_id=ticket.id, author_kind="agent",
                          author_id=owner_id, public=True, body="We are on it")
    s.add(reply)
    s.flush()
    att = TicketAttachment(id=uuid.uuid4(), ticket_id=ticket.id, comment_id=reply.id,
                           filename="notes.txt", content_type="text/plain", size=5,
                           sha256="0" * 64, uploaded_by=owner_id)
    s.add(att)
    s.flush()
    return {"ticket_id": ticket.id, "comment_id": reply.id, "attachment_id": att.id}


def ticket_settings_targets(s: Any, path: str) -> dict[str, Any]:
    """A fresh, unused business calendar and SLA policy for the operations about one."""
    ids: dict[str, Any] = {}
    if "{calendar_id}" in path:
        cal = BusinessCalendar(name=f"Calendar {_hex()}", time_zone="Europe/Paris", hours=_CAL,
                               holidays=[])
        s.add(cal)
        s.flush()
        ids["calendar_id"] = cal.id
    if "{policy_id}" in path:
        policy = SlaPolicy(name=f"Policy {_hex()}", priority="low", first_response_minutes=60,
                           resolution_minutes=600, warning_percent=80, position=0, active=True)
        s.add(policy)
        s.flush()
        ids["policy_id"] = policy.id
    return ids


def raw_rows(s: Any, *columns: Any) -> frozenset[tuple[Any, ...]]:
    """The rows as a set of tuples of text (no ORM, no conversions), compared as a whole."""
    return frozenset(tuple(r) for r in s.execute(select(*(
        cast(c, String).label(f"c{i}") for i, c in enumerate(columns)))))


def row_counts(s: Any, *models: Any) -> dict[str, int]:
    """Each table's number of rows, read in one statement."""
    row = s.execute(select(*(select(func.count()).select_from(m).scalar_subquery()
                             .label(m.__tablename__) for m in models))).one()
    return {m.__tablename__: int(n) for m, n in zip(models, row, strict=True)}


def ticket_fingerprint(s: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    out.update(row_counts(s, Ticket, TicketComment, TicketAttachment, TicketSurvey,
                          BusinessCalendar, SlaPolicy, TeamRouting, AgentStatus))
    out["tickets.rows"] = raw_rows(s, Ticket.id, Ticket.version, Ticket.owner_id,
                                   Ticket.deleted_at, Ticket.assignee_id, Ticket.status)
    out["calendars.rows"] = raw_rows(s, BusinessCalendar.id, BusinessCalendar.version)
    out["policies.rows"] = raw_rows(s, SlaPolicy.id, SlaPolicy.version)
    out["routing.rows"] = raw_rows(s, TeamRouting.team_id, TeamRouting.mode)
    out["agents.rows"] = raw_rows(s, AgentStatus.user_id, AgentStatus.away)
    return out
