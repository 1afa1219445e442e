"""GET /api/v1/audit: administrators read the whole log, filtered and keyset-paged."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient

from amity.auth.models import User
from amity.core.db import Database
from tests.conftest import make_user
from tests.factories import assert_problem, make_company, make_contact


def _all_pages(client: TestClient, params: dict[str, str | int]) -> list[dict[str, object]]:
    items: list[dict[str, object]] = []
    cursor = None
    for _ in range(50):
        r = client.get("/api/v1/audit", params={**params, **({"cursor": cursor} if cursor
                                                            else {})})
        assert r.status_code == 200, r.text
        items += r.json()["items"]
        cursor = r.json()["next_cursor"]
        if cursor is None:
            return items
    raise AssertionError("paging did not end")


def test_filters_and_keyset_pagination(client: TestClient, database: Database,
                                       admin_user: tuple[User, str]) -> None:
    start = datetime.now(UTC) - timedelta(seconds=1)
    contacts = [make_contact(client) for _ in range(7)]
    company = make_company(client)
    client.patch(f"/api/v1/contacts/{contacts[0]['id']}", json={"job_title": "Baker"})
    other, token = make_user(database, admin=True)
    with TestClient(client.app) as c2:
        c2.headers["Authorization"] = f"Bearer {token}"
        by_other = make_contact(c2)

    everything = _all_pages(client, {"limit": 3})
    ats = [(e["at"], e["id"]) for e in everything]
    assert ats == sorted(ats, reverse=True)
    assert len({e["id"] for e in everything}) == len(everything)

    contact_creates = _all_pages(client, {"entity_type": "contact", "action": "create",
                                          "limit": 2})
    assert {e["entity_id"] for e in contact_creates} == {c["id"] for c in [*contacts,
                                                                           by_other]}
    one = _all_pages(client, {"entity_id": contacts[0]["id"]})
    assert [e["action"] for e in one] == ["update", "create"]
    assert one[0]["changes"] == {"job_title": [None, "Baker"]}
    mine = _all_pages(client, {"actor_id": str(other.id)})
    assert {(e["entity_type"], e["entity_id"]) for e in mine} >= {("contact", by_other["id"])}
    assert all(e["actor_id"] == str(other.id) for e in mine)
    assert admin_user[0].id != other.id
    companies = _all_pages(client, {"entity_type": "company"})
    assert [e["entity_id"] for e in companies] == [company["id"]]

    assert _all_pages(client, {"at_from": start.isoformat(), "entity_type": "contact",
                               "action": "create"}) == contact_creates
    assert _all_pages(client, {"at_to": start.isoformat()}) == []
    future = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
    assert _all_pages(client, {"at_from": future}) == []


def test_bad_filters_are_clear_4xx(client: TestClient) -> None:
    assert_problem(client.get("/api/v1/audit", params={"at_from": "2026-01-01T00:00:00"}),
                   422, field="at_from")
    assert_problem(client.get("/api/v1/audit", params={"cursor": "garbage"}), 422,
                   field="cursor")
    assert client.get("/api/v1/audit", params={"actor_id": "nope"}).status_code == 422


def test_non_admins_are_denied(app: object, database: Database) -> None:
    for role in ("manager", "sales_rep", "support_agent", "read_only"):
        with database.transaction() as s:
            from amity.auth import service as auth

            user = auth.create_user(s, email=f"{role}@example.com", name=role,
                                    password="correct horse battery", role=role)
            _, token = auth.create_api_token(s, user=user, name="t")
        with TestClient(app) as c:  # type: ignore[arg-type]
            c.headers["Authorization"] = f"Bearer {token}"
            assert_problem(c.get("/api/v1/audit"), 403)
    with TestClient(app) as c:  # type: ignore[arg-type]
        assert_problem(c.get("/api/v1/audit"), 401)


def test_no_route_edits_or_deletes_audit_entries(client: TestClient) -> None:
    from fastapi.routing import APIRoute

    for route in client.app.routes:  # type: ignore[attr-defined]
        if isinstance(route, APIRoute) and ("audit" in route.path
                                            or route.path.endswith("/history")):
            assert route.methods <= {"GET", "HEAD"}, (route.path, route.methods)
    c = make_contact(client)
    entry = client.get("/api/v1/audit", params={"entity_id": c["id"]}).json()["items"][0]
    for method in ("DELETE", "PATCH", "PUT", "POST"):
        for path in ("/api/v1/audit", f"/api/v1/audit/{entry['id']}",
                     f"/api/v1/contacts/{c['id']}/history"):
            r = client.request(method, path, json={})
            assert r.status_code in (404, 405), (method, path, r.status_code)
    again = client.get("/api/v1/audit", params={"entity_id": c["id"]}).json()["items"][0]
    assert again == entry
