"""Settings > Pipelines: rename a stage, change its probability and stalled days, reorder,
add and archive stages, create a pipeline, lost reasons; refusals shown inline, nothing kept;
every change in the audit log; deals keep their stage history."""

from __future__ import annotations

import uuid

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from amity.auth.models import User
from amity.auth.service import create_user
from amity.core.audit import AuditEntry
from amity.core.db import Database
from amity.deals import queries
from amity.deals.models import LostReason, Pipeline, Stage
from amity.deals.schemas import DealCreate
from amity.deals.service import create_deal
from tests.conftest import make_user
from tests.web.conftest import PASSWORD, page_csrf, sign_in


def _stages(database: Database) -> list[tuple[uuid.UUID, str, str, int, int | None]]:
    with database.transaction() as s:
        p = queries.default_pipeline(s)
        assert p is not None
        return [(st.id, st.name, st.kind, st.probability, st.stall_days)
                for st in sorted(p.stages, key=lambda x: x.position) if st.archived_at is None]


def _audit(database: Database, entity_type: str) -> int:
    with database.transaction() as s:
        return int(s.scalar(select(func.count()).select_from(AuditEntry)
                            .where(AuditEntry.entity_type == entity_type)) or 0)


def test_edit_stages_reorder_and_archive(signed_in: TestClient, database: Database) -> None:
    token = page_csrf(signed_in, "/settings/pipelines")
    first, second = _stages(database)[:2]
    r = signed_in.post(f"/settings/stages/{first[0]}", data={
        "csrf_token": token, "name": "First call", "kind": "open", "probability": "15",
        "stall_days": "9"})
    assert r.status_code == 303
    assert _stages(database)[0][1:] == ("First call", "open", 15, 9)
    r = signed_in.post(f"/settings/stages/{first[0]}/move",
                       data={"csrf_token": token, "direction": "down"})
    assert r.status_code == 303
    assert [s[0] for s in _stages(database)[:2]] == [second[0], first[0]]

    r = signed_in.post(f"/settings/pipelines/{_pipeline_id(database)}/stages", data={
        "csrf_token": token, "name": "Site visit", "kind": "open", "probability": "70"})
    assert r.status_code == 303
    after = _stages(database)
    added = next(s for s in after if s[1] == "Site visit")
    # a new open stage goes before the won and lost stages
    assert [s[2] for s in after[after.index(added) + 1:]] and all(
        s[2] != "open" for s in after[after.index(added) + 1:])
    r = signed_in.post(f"/settings/stages/{added[0]}/archive", data={"csrf_token": token})
    assert r.status_code == 303
    assert "Site visit" not in [s[1] for s in _stages(database)]
    with database.transaction() as s:
        assert s.get(Stage, added[0]) is not None  # archived, kept for history
    assert _audit(database, "stage") == 3 and _audit(database, "pipeline") == 1
    page = signed_in.get("/settings/pipelines").text
    assert 'value="First call"' in page


def _pipeline_id(database: Database) -> uuid.UUID:
    with database.transaction() as s:
        p = queries.default_pipeline(s)
        assert p is not None
        return p.id


def test_refusals_are_inline_and_change_nothing(signed_in: TestClient, database: Database,
                                                web_user: User) -> None:
    token = page_csrf(signed_in, "/settings/pipelines")
    before = _stages(database)
    open_stage = before[0]
    r = signed_in.post(f"/settings/stages/{open_stage[0]}", data={
        "csrf_token": token, "name": "X", "kind": "open", "probability": "150"})
    assert r.status_code == 422 and f'id="stage-{open_stage[0]}-error"' in r.text
    with database.transaction() as s:
        create_deal(s, data=DealCreate(name="Held", stage_id=open_stage[0], currency="EUR"),
                    actor=s.get(User, web_user.id))
    r = signed_in.post(f"/settings/stages/{open_stage[0]}/archive", data={"csrf_token": token})
    assert r.status_code == 409 and "open deal" in r.text
    r = signed_in.post("/settings/pipelines", data={"csrf_token": token, "name": ""})
    assert r.status_code == 422 and 'id="new-pipeline-error"' in r.text
    assert _stages(database) == before
    assert _audit(database, "stage") == 0


def test_new_pipeline_and_lost_reasons(signed_in: TestClient, database: Database) -> None:
    token = page_csrf(signed_in, "/settings/pipelines")
    r = signed_in.post("/settings/pipelines", data={
        "csrf_token": token, "name": "Wholesale", "open_stages": "Lead, Sample sent"})
    assert r.status_code == 303
    with database.transaction() as s:
        p = s.scalar(select(Pipeline).where(Pipeline.name == "Wholesale"))
        assert p is not None
        assert [(st.name, st.kind) for st in sorted(p.stages, key=lambda x: x.position)] == [
            ("Lead", "open"), ("Sample sent", "open"), ("Won", "won"), ("Lost", "lost")]
    r = signed_in.post("/settings/lost-reasons", data={"csrf_token": token,
                                                       "name": "Too far away"})
    assert r.status_code == 303
    with database.transaction() as s:
        reason = s.scalar(select(LostReason).where(LostReason.name == "Too far away"))
        assert reason is not None and reason.active
        rid = reason.id
    r = signed_in.post(f"/settings/lost-reasons/{rid}", data={"csrf_token": token,
                                                             "name": "Too far"})
    assert r.status_code == 303
    with database.transaction() as s:
        reason = s.get(LostReason, rid)
        assert reason is not None and reason.name == "Too far" and not reason.active
    r = signed_in.post("/settings/lost-reasons", data={"csrf_token": token, "name": "too far"})
    assert r.status_code == 409 and 'id="new-reason-error"' in r.text


def test_a_manager_sees_but_cannot_edit_and_a_rep_cannot_see(web: TestClient,
                                                            database: Database) -> None:
    with database.transaction() as s:
        create_user(s, email="manager@example.com", name="Mo", password=PASSWORD,
                    role="manager")
    rep, _ = make_user(database, email="rep@example.com")
    assert sign_in(web, "manager@example.com").status_code == 303
    page = web.get("/settings/pipelines")
    assert page.status_code == 200 and "Proposal" in page.text and "Add stage" not in page.text
    token = page_csrf(web, "/contacts")
    stage = _stages(database)[0]
    r = web.post(f"/settings/stages/{stage[0]}", data={"csrf_token": token, "name": "Hacked",
                                                     "kind": "open"})
    assert r.status_code == 403
    assert _stages(database)[0][1] == stage[1]
    web.cookies.clear()
    assert sign_in(web, rep.email).status_code == 303
    assert web.get("/settings/pipelines").status_code == 403
