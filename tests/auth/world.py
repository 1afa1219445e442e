"""A small organisation for access tests: one user per built-in role in team A, a teammate in
team A and an outsider in team B, and helpers that make records owned by any of them.

Expectations are computed from ``BUILTIN_ROLES`` (the specification of the built-in roles) by
``expected``, written independently of ``amity.auth.access``.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlalchemy import select

from amity.activities.models import (
    CalendarFeed,
    Interaction,
    InteractionParticipant,
    Notification,
    Task,
)
from amity.auth import service as auth
from amity.auth.models import ApiToken, Role, Team, User, team_members
from amity.auth.permissions import BUILTIN_ROLES
from amity.commerce.models import ExchangeRate, Order, OrderLine, Product
from amity.companies import service as companies
from amity.companies.models import Company
from amity.companies.schemas import CompanyCreate
from amity.contacts import service as contacts
from amity.contacts.models import Contact, ContactConsent
from amity.contacts.schemas import ContactCreate
from amity.core.audit import AuditEntry
from amity.core.clock import now
from amity.core.customfields import CustomFieldDefinition
from amity.core.db import Database
from amity.core.events import EventRecord
from amity.deals.models import (
    Deal,
    DealContact,
    DealLine,
    DealStageChange,
    LostReason,
    Pipeline,
    Stage,
)
from amity.notes import service as notes
from amity.notes.models import Note
from amity.notes.schemas import NoteCreate
from tests.auth.matrix_tickets import (
    raw_rows,
    row_counts,
    ticket_fingerprint,
    ticket_records,
)

ROLES = tuple(BUILTIN_ROLES)  # admin, manager, sales_rep, support_agent, read_only
RELATIONS = ("own", "mate", "other")  # record owned by the actor, a teammate, another team


@dataclass
class World:
    ids: dict[str, uuid.UUID] = field(default_factory=dict)  # role or name -> user id
    tokens: dict[str, str] = field(default_factory=dict)
    team_a: uuid.UUID | None = None
    team_b: uuid.UUID | None = None

    def owner(self, role: str, relation: str) -> uuid.UUID:
        return {"own": self.ids[role], "mate": self.ids["mate"],
                "other": self.ids["outsider"]}[relation]


def _user(s: Any, name: str, role: str, admin: bool = False) -> tuple[User, str]:
    user = auth.create_user(s, email=f"{name}-{uuid.uuid4().hex[:6]}@example.com", name=name,
                            password=None, is_admin=admin, role=role)
    _, token = auth.create_api_token(s, user=user, name="tests")
    return user, token


def build_world(database: Database) -> World:
    w = World()
    with database.transaction() as s:
        team_a_members = []
        for role in ROLES:
            user, token = _user(s, role, role, admin=role == "admin")
            w.ids[role], w.tokens[role] = user.id, token
            team_a_members.append(user)
        for name in ("mate", "outsider", "root"):
            user, token = _user(s, name, "admin" if name == "root" else "sales_rep",
                                admin=name == "root")
            w.ids[name], w.tokens[name] = user.id, token
        mate, outsider = s.get(User, w.ids["mate"]), s.get(User, w.ids["outsider"])
        a = Team(name="Team A", members=[*team_a_members, mate])
        b = Team(name="Team B", members=[outsider])
        s.add_all([a, b])
        s.flush()
        w.team_a, w.team_b = a.id, b.id
    return w


def make_records(database: Database, owner_id: uuid.UUID) -> dict[str, uuid.UUID]:
    """A contact (with a note), a company (with a note) owned by ``owner_id``."""
    with database.transaction() as s:
        owner = s.get(User, owner_id)
        assert owner is not None
        c = contacts.create_contact(s, data=ContactCreate(first_name="Rec",
                                                          last_name=uuid.uuid4().hex[:6]),
                                    actor=owner)
        co = companies.create_company(s, data=CompanyCreate(name=f"Co {uuid.uuid4().hex[:6]}"),
                                      actor=owner)
        n = notes.add_note(s, entity_type="contact", entity_id=c.id,
                           data=NoteCreate(body="a note"), actor=owner)
        cn = notes.add_note(s, entity_type="company", entity_id=co.id,
                            data=NoteCreate(body="a company note"), actor=owner)
        deal, order = _deal_and_order(s, owner_id, c.id, co.id)
        interaction, task = _interaction_and_task(s, owner_id, c.id)
        tickets = ticket_records(s, owner_id, c.id, co.id)
        return {**tickets, "contact_id": c.id, "company_id": co.id, "note_id": n.id,
                "company_note_id": cn.id, "deal_id": deal, "order_id": order,
                "interaction_id": interaction, "task_id": task,
                "deal_stage_id": s.get(Deal, deal).stage_id}


def _deal_and_order(s: Any, owner_id: uuid.UUID, contact_id: uuid.UUID,
                    company_id: uuid.UUID) -> tuple[uuid.UUID, uuid.UUID]:
    """An open deal in the default pipeline's first stage and an order with one line, written
    as rows (what the services would store) so the world does not depend on them."""
    pipeline = s.scalar(select(Pipeline).where(Pipeline.is_default.is_(True)))
    stage = pipeline.stages[0]
    deal = Deal(id=uuid.uuid4(), name=f"Deal {uuid.uuid4().hex[:6]}", sort_name="deal",
                amount=Decimal("1000.00"), currency="EUR", pipeline_id=pipeline.id,
                stage_id=stage.id, probability=stage.probability, status="open",
                contact_id=contact_id, company_id=company_id, owner_id=owner_id,
                custom_fields={})
    s.add(deal)
    s.flush()
    s.add(DealStageChange(deal_id=deal.id, from_stage_id=None, to_stage_id=stage.id,
                          from_pipeline_id=None, to_pipeline_id=pipeline.id,
                          actor_id=owner_id))
    order = Order(id=uuid.uuid4(), contact_id=contact_id, company_id=company_id,
                  currency="EUR", subtotal=Decimal("20.00"), total=Decimal("20.00"),
                  owner_id=owner_id, custom_fields={}, channel="store", status="placed",
                  lines=[OrderLine(description="Croissant", quantity=Decimal("10"),
                                   unit_price=Decimal("2.00"), total=Decimal("20.00"))])
    s.add(order)
    s.flush()
    return deal.id, order.id


def _interaction_and_task(s: Any, owner_id: uuid.UUID,
                          contact_id: uuid.UUID) -> tuple[uuid.UUID, uuid.UUID]:
    """A call with the contact and a task about them, owned by and assigned to ``owner_id``,
    written as rows."""
    at = now()
    call = Interaction(id=uuid.uuid4(), channel="call", direction="outbound", subject="Call",
                       occurred_at=at, owner_id=owner_id, custom_fields={},
                       participants=[InteractionParticipant(
                           contact_id=contact_id, role="to", occurred_at=at, channel="call",
                           direction="outbound", active=True)])
    task = Task(id=uuid.uuid4(), title="Follow up", status="open", priority="normal",
                owner_id=owner_id, assignee_id=owner_id, contact_id=contact_id,
                custom_fields={})
    s.add_all([call, task])
    s.flush()
    return call.id, task.id


def fingerprint(database: Database) -> dict[str, Any]:
    """Everything a write could change: row counts, versions, owners, user and team state."""
    with database.transaction(write=False) as s:
        out: dict[str, Any] = {}
        out.update(row_counts(s, Contact, Company, Note, AuditEntry, EventRecord, User, Team,
                              Role, CustomFieldDefinition, ApiToken, ContactConsent, Deal,
                              DealContact, DealLine, DealStageChange, Pipeline, Stage,
                              LostReason, Product, Order, OrderLine, ExchangeRate, Task,
                              Interaction, InteractionParticipant, Notification, CalendarFeed))
        out["team_members"] = raw_rows(s, team_members.c.team_id, team_members.c.user_id)
        for model in (Contact, Company, Note, Deal, Order, Product, Pipeline, Stage):
            out[f"{model.__tablename__}.rows"] = raw_rows(
                s, model.id, model.version, getattr(model, "owner_id", model.id),
                getattr(model, "deleted_at", None) or model.archived_at)
        out["users.rows"] = raw_rows(s, User.id, User.name, User.is_active, User.role_id,
                                  User.is_admin)
        out["roles.rows"] = frozenset((name, json.dumps(grid, sort_keys=True)) for name, grid
                                      in s.execute(select(Role.name, Role.permissions)))
        out["tokens.rows"] = raw_rows(s, ApiToken.id, ApiToken.revoked_at)
        out.update(ticket_fingerprint(s))
        return out


def scope(role: str, permission: str) -> str:
    if role == "admin":
        return "all"
    entity, action = permission.split(".")
    grid: dict[str, Any] = BUILTIN_ROLES[role]["permissions"]
    return str((grid.get(entity) or {}).get(action, "none"))


def within(scope_name: str, relation: str) -> bool:
    return {"all": True, "team": relation in ("own", "mate"), "own": relation == "own",
            "none": False}[scope_name]


def expected(role: str, permission: str, relation: str | None, ok: int) -> int:
    """The status a built-in role should get: 404 for a record it may not see, 403 for one it
    may see but not change (or an action it lacks altogether), else ``ok``."""
    entity, action = permission.split(".")
    if relation is None:  # not about one record: holding the permission in any scope is enough
        return ok if scope(role, permission) != "none" else 403
    if not within(scope(role, f"{entity}.view"), relation):
        return 404
    if action != "view" and not within(scope(role, permission), relation):
        return 403
    return ok
