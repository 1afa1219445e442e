"""Every API operation, as anonymous (401) and as each built-in role against records owned by
themselves, a teammate and a user of another team; a denied write changes nothing."""

from __future__ import annotations

import itertools
import uuid
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import delete, update

from amity.auth import service as auth
from amity.auth.models import Role, Team, User, team_members
from amity.commerce.models import ExchangeRate, Order, Product
from amity.companies.models import Company
from amity.contacts.models import Contact
from amity.core.clock import now
from amity.core.customfields import CustomFieldDefinition
from amity.core.db import Database
from amity.deals.models import Deal, LostReason, Pipeline, Stage
from amity.jobs.models import Job
from amity.tickets.models import Ticket
from tests.auth.matrix import ANY, CATALOGUE_READ, MATRIX, ROLES_READ, TEAMS_MANAGE, Op
from tests.auth.matrix_automation import AUTOMATION_IDS, automation_targets
from tests.auth.matrix_dataio import DATAIO_IDS, dataio_targets
from tests.auth.matrix_dataquality import DATAQUALITY_IDS, dataquality_targets
from tests.auth.matrix_dedupe import DEDUPE_IDS, dedupe_target
from tests.auth.matrix_forms import FORMS_IDS, forms_targets
from tests.auth.matrix_mailboxes import MAILBOX_IDS, mailbox_targets
from tests.auth.matrix_outreach import OUTREACH_IDS, outreach_targets
from tests.auth.matrix_reports import REPORTS_IDS, reports_targets
from tests.auth.matrix_scoring import SCORING_IDS, enrolment_target, scoring_targets
from tests.auth.matrix_tickets import TICKET_IDS, ticket_settings_targets
from tests.auth.matrix_views import VIEWS_IDS, views_targets
from tests.auth.matrix_webhooks import WEBHOOK_IDS, webhook_targets
from tests.auth.world import (
    RELATIONS,
    ROLES,
    World,
    build_world,
    expected,
    fingerprint,
    make_records,
    scope,
)
from tests.factories import PROBLEM

_RATE_DAYS = itertools.count()
METHODS = ("get", "post", "put", "patch", "delete")


def api_operations(app: Any) -> set[tuple[str, str]]:
    paths: dict[str, dict[str, Any]] = app.openapi()["paths"]
    return {(m.upper(), p) for p, ops in paths.items() if p.startswith("/api/v1/")
            for m in ops if m in METHODS}


def test_every_api_operation_has_a_matrix_entry(app: Any) -> None:
    ops = api_operations(app)
    missing = sorted(ops - MATRIX.keys())
    stale = sorted(MATRIX.keys() - ops)
    assert not missing, f"add these operations to tests/auth/matrix.py: {missing}"
    assert not stale, f"these matrix entries match no operation: {stale}"


def test_the_fingerprint_sees_each_kind_of_change(database: Database) -> None:
    """The check behind "a denied write changes nothing" can fail: every kind of change a
    denied write could make shows in the fingerprint."""
    world = build_world(database)
    ids = make_records(database, world.ids["sales_rep"])
    with database.transaction() as s:  # built-in roles outlive the test's data: change another
        s.add(Role(name="custom-fingerprint", builtin=False,
                   permissions={"contacts": {"view": "own"}}))
    changes: list[Any] = [
        update(Contact).where(Contact.id == ids["contact_id"]).values(version=Contact.version + 1),
        update(Contact).where(Contact.id == ids["contact_id"])
        .values(owner_id=world.ids["outsider"]),
        update(Company).where(Company.id == ids["company_id"]).values(deleted_at=now()),
        update(Deal).where(Deal.id == ids["deal_id"]).values(owner_id=world.ids["mate"]),
        update(Order).where(Order.id == ids["order_id"]).values(version=Order.version + 1),
        update(Ticket).where(Ticket.id == ids["ticket_id"]).values(status="solved"),
        update(User).where(User.id == world.ids["mate"]).values(is_active=False),
        update(Role).where(Role.name == "custom-fingerprint")
        .values(permissions={"contacts": {"view": "all"}}),
        delete(team_members).where(team_members.c.user_id == world.ids["mate"]),
    ]
    for change in changes:
        before = fingerprint(database)
        with database.transaction() as s:
            assert s.execute(change).rowcount == 1, change
        assert fingerprint(database) != before, change
    assert fingerprint(database) == fingerprint(database)


def _url(path: str, ids: dict[str, Any]) -> str:
    for key, value in ids.items():
        path = path.replace("{" + key + "}", str(value))
    assert "{" not in path, path
    return path


def test_anonymous_gets_401_everywhere(app: Any, anon: Any, database: Database) -> None:
    before = fingerprint(database)
    ids = {k: uuid.uuid4() for k in ("contact_id", "company_id", "note_id", "user_id",
                                     "team_id", "role_id", "token_id", *SETTINGS_IDS, *TICKET_IDS,
                                     *OUTREACH_IDS, *SCORING_IDS, *AUTOMATION_IDS,
                                     "deal_id", "order_id", "job_id", "interaction_id",
                                     "task_id", *MAILBOX_IDS)}
    ids.update({k: uuid.uuid4() for k in FORMS_IDS})
    ids.update({k: uuid.uuid4() for k in DATAIO_IDS})
    ids.update({k: uuid.uuid4() for k in DEDUPE_IDS})
    ids.update({k: uuid.uuid4() for k in WEBHOOK_IDS})
    ids.update({k: uuid.uuid4() for k in VIEWS_IDS})
    ids.update({k: uuid.uuid4() for k in REPORTS_IDS})
    ids.update({k: uuid.uuid4() for k in DATAQUALITY_IDS})
    for (method, path), op in MATRIX.items():
        body = op.body({**ids, "root": uuid.uuid4()}) if op.body else None
        r = anon.request(method, _url(path, ids), json=body)
        assert r.status_code == 401, (method, path, r.status_code, r.text)
        assert r.headers["content-type"].startswith(PROBLEM)
        assert r.headers["www-authenticate"] == "Bearer"
    assert fingerprint(database) == before


SETTINGS_IDS = ("pipeline_id", "stage_id", "lost_reason_id", "product_id", "rate_id",
                "definition_id")


def _settings_targets(s: Any, path: str) -> dict[str, Any]:
    """Fresh pipeline (two open stages, a won and a lost one: complete, and its first stage can
    be archived), lost reason, product, exchange rate."""
    ids: dict[str, Any] = {}
    if "{pipeline_id}" in path or "{stage_id}" in path:
        p = Pipeline(name=f"Pipeline {uuid.uuid4().hex[:8]}", position=9)
        p.stages = [Stage(name="Open", position=0, kind="open", probability=20),
                    Stage(name="Open 2", position=1, kind="open", probability=40),
                    Stage(name="Won", position=2, kind="won", probability=100,
                          forecast_category="closed"),
                    Stage(name="Lost", position=3, kind="lost", probability=0,
                          forecast_category="omitted")]
        s.add(p)
        s.flush()
        ids["pipeline_id"], ids["stage_id"] = p.id, p.stages[0].id
        ids["stage_ids"] = [st.id for st in p.stages]
    if "{definition_id}" in path:
        definition = CustomFieldDefinition(entity="contact", key=f"m_{uuid.uuid4().hex[:8]}",
                                           label="Matrix", type="text")
        s.add(definition)
        s.flush()
        ids["definition_id"] = definition.id
    if "{lost_reason_id}" in path:
        reason = LostReason(name=f"Reason {uuid.uuid4().hex[:8]}")
        s.add(reason)
        s.flush()
        ids["lost_reason_id"] = reason.id
    if "{product_id}" in path:
        product = Product(sku=f"SKU-{uuid.uuid4().hex[:8]}", name="Product", sort_name="product",
                          price=Decimal("9.99"), currency="EUR", custom_fields={})
        s.add(product)
        s.flush()
        ids["product_id"] = product.id
    if "{job_id}" in path:
        job = Job(kind="maintenance.purge", payload={}, status="dead", run_at=now(),
                  attempts=3, max_attempts=3, last_error="boom")
        s.add(job)
        s.flush()
        ids["job_id"] = job.id
    if "{rate_id}" in path:
        # a date of its own for each fresh rate: (currency, valid_from) is unique
        rate = ExchangeRate(currency="USD", rate=Decimal("0.9"),
                            valid_from=date(1900, 1, 1) + timedelta(days=next(_RATE_DAYS)))
        s.add(rate)
        s.flush()
        ids["rate_id"] = rate.id
    return ids


def _extra_targets(database: Database, world: World, actor_role: str, path: str,
                   op: Op) -> dict[str, Any]:
    """Fresh users, teams, roles and tokens for the operations about one of them."""
    ids: dict[str, Any] = {"root": world.ids["root"]}
    with database.transaction() as s:
        ids.update(_settings_targets(s, path))
        ids.update(ticket_settings_targets(s, path))
        ids.update(outreach_targets(s, path))
        ids.update(webhook_targets(s, path))
        ids.update(dataio_targets(s, path, world.ids[actor_role]))
        ids.update(mailbox_targets(s, path))
        ids.update(forms_targets(s, path))
        ids.update(scoring_targets(s, path))
        ids.update(automation_targets(s, path))
        ids.update(views_targets(s, path, world.ids[actor_role]))
        ids.update(reports_targets(s, path, world.ids[actor_role]))
        ids.update(dataquality_targets(s, path))
        if "{user_id}" in path:
            target = auth.create_user(s, email=f"t-{uuid.uuid4().hex[:8]}@example.com",
                                      name="Target", role="sales_rep")
            target.is_active = not op.inactive_user
            ids["user_id"] = target.id
        if "{team_id}" in path:
            team = Team(name=f"Team {uuid.uuid4().hex[:8]}")
            if "user_id" in ids:
                member = s.get(User, ids["user_id"])
                assert member is not None
                team.members = [member]
            s.add(team)
            s.flush()
            ids["team_id"] = team.id
        if "{role_id}" in path:
            role = Role(name=f"custom-{uuid.uuid4().hex[:8]}", builtin=False,
                        permissions={"contacts": {"view": "own"}})
            s.add(role)
            s.flush()
            ids["role_id"] = role.id
        if "{token_id}" in path:
            actor = s.get(User, world.ids[actor_role])
            assert actor is not None
            tok, _ = auth.create_api_token(s, user=actor, name="to revoke")
            ids["token_id"] = tok.id
    return ids


def _soft_delete(database: Database, ids: dict[str, Any]) -> None:
    with database.transaction() as s:
        for model, key in ((Contact, "contact_id"), (Company, "company_id"), (Deal, "deal_id"),
                           (Order, "order_id"), (Product, "product_id"), (Ticket, "ticket_id")):
            if key in ids:
                s.execute(update(model).where(model.id == ids[key]).values(deleted_at=now()))


def _expect(role: str, op: Op, relation: str | None) -> int:
    if op.perm == ANY:
        return op.ok
    if op.perm in (TEAMS_MANAGE, ROLES_READ, CATALOGUE_READ):
        either = {TEAMS_MANAGE: ("settings.edit", "users.edit"),
                  ROLES_READ: ("users.view", "settings.view"),
                  CATALOGUE_READ: ("deals.view", "orders.view")}[op.perm]
        return op.ok if any(scope(role, p) != "none" for p in either) else 403
    want = expected(role, op.perm, relation if op.record else None, op.ok)
    return 403 if op.admin_only and want == op.ok and role != "admin" else want


@pytest.mark.parametrize("role", ROLES)
def test_permission_matrix(role: str, app: Any, anon: Any, database: Database) -> None:
    world = build_world(database)
    headers = {"Authorization": f"Bearer {world.tokens[role]}"}
    wrong: list[str] = []
    checked = 0
    for (method, path), op in MATRIX.items():
        for relation in (RELATIONS if op.record else (None,)):
            ids = _extra_targets(database, world, role, path, op)
            if op.record:
                assert relation is not None
                ids.update(make_records(database, world.owner(role, relation)))
                ids.update(enrolment_target(database, path, ids))
                ids.update(dedupe_target(database, path, ids))
                if op.deleted:
                    _soft_delete(database, ids)
            want = _expect(role, op, relation)
            # A write that should be refused must leave everything as it was. (One that should
            # succeed but is refused is already wrong by its status.)
            before = fingerprint(database) if method != "GET" and want >= 400 else None
            r = anon.request(method, _url(path, ids), headers=headers,
                             json=op.body(ids) if op.body else None)
            checked += 1
            if r.status_code != want:
                wrong.append(f"{method} {path} [{relation}]: got {r.status_code}, "
                             f"want {want}: {r.text[:160]}")
            if before is not None and r.status_code >= 400 and fingerprint(database) != before:
                wrong.append(f"{method} {path} [{relation}]: denied ({r.status_code}) "
                             "but the database changed")
    assert checked >= len(MATRIX)
    assert not wrong, f"{role}:\n" + "\n".join(wrong)
