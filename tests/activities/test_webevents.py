"""Web events: sites and keys, ingestion (one event or batches), refusals that store nothing,
CORS, the per-key rate limit, visitors linked to contacts, and a burst without loss."""

from __future__ import annotations

import json
import uuid
from typing import Any

from sqlalchemy import func, select

from amity.activities.outreach_models import WebEvent, WebVisitor
from amity.activities.tracking import identity_token
from amity.core.db import Database
from tests.factories import assert_problem, make_contact

ORIGIN = "https://shop.example.com"


def site(client: Any, **fields: Any) -> dict[str, Any]:
    r = client.post("/api/v1/sites", json={"name": "Shop", "allowed_origins": [ORIGIN],
                                           **fields})
    assert r.status_code == 201, r.text
    return dict(r.json())


def ev(visitor: str = "visitor-0001", **fields: Any) -> dict[str, Any]:
    return {"type": "page_view", "url": "https://shop.example.com/p/1", "title": "Product",
            "referrer": "https://search.example/", "visitor_id": visitor, **fields}


def post(anon: Any, key: str | None, body: Any, **headers: str) -> Any:
    h = {"Content-Type": "application/json", **headers}
    if key is not None:
        h["X-Amity-Key"] = key
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    return anon.post("/api/v1/events", content=data, headers=h)


def events(database: Database) -> list[WebEvent]:
    with database.transaction(write=False) as s:
        return list(s.scalars(select(WebEvent).order_by(WebEvent.occurred_at, WebEvent.url)))


def n_events(database: Database) -> int:
    with database.transaction(write=False) as s:
        return int(s.scalar(select(func.count()).select_from(WebEvent)) or 0)


def test_site_crud(client: Any) -> None:
    s = site(client)
    assert s["public_key"].startswith("pk_") and len(s["public_key"]) > 20
    assert s["allowed_origins"] == [ORIGIN] and s["rate_limit_per_minute"] == 6000
    assert_problem(client.post("/api/v1/sites", json={"name": "x",
                                                      "allowed_origins": ["not a url"]}), 422)
    assert_problem(client.post("/api/v1/sites", json={"name": "x",
                                                      "rate_limit_per_minute": 0}), 422)
    r = client.patch(f"/api/v1/sites/{s['id']}", json={"name": "Shop 2"},
                     headers={"If-Match": '"v1"'})
    assert r.status_code == 200 and r.json()["version"] == 2
    assert_problem(client.patch(f"/api/v1/sites/{s['id']}", json={"name": "Shop 3"},
                                headers={"If-Match": '"v1"'}), 412)
    assert [x["name"] for x in client.get("/api/v1/sites").json()] == ["Shop 2"]
    assert client.delete(f"/api/v1/sites/{s['id']}").status_code == 204
    assert_problem(client.get(f"/api/v1/sites/{s['id']}"), 404)


def test_one_event_or_a_batch_is_stored(client: Any, anon: Any, database: Database) -> None:
    s = site(client)
    r = post(anon, s["public_key"], ev(occurred_at="2025-01-01T10:00:00Z"), Origin=ORIGIN)
    assert r.status_code == 202 and r.json() == {"accepted": 1, "linked": 0}
    assert r.headers["access-control-allow-origin"] == ORIGIN
    r = post(anon, None, {"key": s["public_key"], "events": [
        ev("visitor-0002", type="download", url="https://shop.example.com/a.pdf"),
        ev("visitor-0002", type="form_submit", url="https://shop.example.com/contact")]})
    assert r.status_code == 202 and r.json()["accepted"] == 2
    got = events(database)
    assert sorted(e.type for e in got) == ["download", "form_submit", "page_view"]
    first = next(e for e in got if e.type == "page_view")
    assert (first.title, first.referrer, first.visitor_key) == (
        "Product", "https://search.example/", "visitor-0001")
    assert first.occurred_at.isoformat().startswith("2025-01-01T10:00:00")
    assert all(e.contact_id is None and str(e.site_id) == s["id"] for e in got)
    with database.transaction(write=False) as db:
        assert db.scalar(select(func.count()).select_from(WebVisitor)) == 2


def test_refusals_store_nothing(client: Any, anon: Any, database: Database) -> None:
    s = site(client)
    key = s["public_key"]
    assert_problem(post(anon, None, ev()), 401)
    assert_problem(post(anon, "pk_unknown", ev()), 401)
    assert_problem(post(anon, key, ev(), Origin="https://evil.example"), 403)
    assert_problem(post(anon, key, b"{not json"), 400)
    assert_problem(post(anon, key, b"[1, 2]"), 400)
    assert_problem(post(anon, key, {"events": []}), 422)
    assert_problem(post(anon, key, {"events": [ev()] * 101}), 422)
    assert_problem(post(anon, key, {"events": [ev(), ev(type="purchase")]}), 422)
    assert_problem(post(anon, key, ev(visitor="bad id!")), 422)
    assert_problem(post(anon, key, ev(occurred_at="2030-01-01T10:00:00")), 422)  # naive
    long = "https://shop.example.com/" + "y" * 1900
    big = {"events": [ev(title="x" * 400, url=long, referrer=long)] * 100}  # ~440 KB
    assert_problem(post(anon, key, big), 413)
    other = site(client, name="Other")
    client.delete(f"/api/v1/sites/{other['id']}")
    assert_problem(post(anon, other["public_key"], ev()), 401)
    assert n_events(database) == 0


def test_cors_preflight(client: Any, anon: Any) -> None:
    r = anon.options("/api/v1/events", headers={
        "Origin": ORIGIN, "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "content-type, x-amity-key"})
    assert r.status_code == 204
    assert r.headers["access-control-allow-origin"] == ORIGIN
    assert "X-Amity-Key" in r.headers["access-control-allow-headers"]
    assert "POST" in r.headers["access-control-allow-methods"]


def test_rate_limit_per_key(client: Any, anon: Any, database: Database) -> None:
    s = site(client, rate_limit_per_minute=5)
    other = site(client, name="Other")
    assert post(anon, s["public_key"], {"events": [ev()] * 3}).status_code == 202
    assert post(anon, s["public_key"], {"events": [ev()] * 2}).status_code == 202
    r = post(anon, s["public_key"], ev())
    assert_problem(r, 429)
    assert int(r.headers["retry-after"]) >= 1
    assert post(anon, other["public_key"], ev()).status_code == 202  # its own window
    assert n_events(database) == 6


def test_visitor_linked_by_form_submit_then_events_carry_the_contact(
        client: Any, anon: Any, database: Database) -> None:
    c = make_contact(client, emails=[{"email": "Linda@Example.com", "primary": True}])
    s = site(client)
    key = s["public_key"]
    assert post(anon, key, {"events": [ev("anon-visitor-1"), ev("anon-visitor-1")]}
                ).json()["linked"] == 0
    post(anon, key, ev("someone-else-1"))
    r = post(anon, key, ev("anon-visitor-1", type="form_submit", email="linda@example.com"))
    assert r.json() == {"accepted": 1, "linked": 1}
    post(anon, key, ev("anon-visitor-1", url="https://shop.example.com/later"))
    mine = [e for e in events(database) if e.visitor_key == "anon-visitor-1"]
    assert len(mine) == 4 and {str(e.contact_id) for e in mine} == {c["id"]}
    assert [e.contact_id for e in events(database)
            if e.visitor_key == "someone-else-1"] == [None]
    # an unknown email links nobody
    r = post(anon, key, ev("someone-else-1", type="form_submit", email="nobody@example.com"))
    assert r.json()["linked"] == 0


def test_visitor_linked_by_email_click_identity(client: Any, anon: Any,
                                                database: Database) -> None:
    c = make_contact(client, emails=[{"email": "click@example.com"}])
    key = site(client)["public_key"]
    post(anon, key, ev("clicker-0001"))
    forged = identity_token("not-the-secret", uuid.UUID(c["id"]))
    assert post(anon, key, ev("clicker-0001", identity=forged)).json()["linked"] == 0
    good = identity_token(anon.app.state.settings.secret_key, uuid.UUID(c["id"]))
    assert post(anon, key, ev("clicker-0001", identity=good)).json()["linked"] == 1
    assert {str(e.contact_id) for e in events(database)} == {c["id"]}


def test_burst_of_10000_events_without_loss(client: Any, anon: Any, database: Database) -> None:
    key = site(client, rate_limit_per_minute=100_000)["public_key"]
    for b in range(100):
        batch = [ev(f"burst-{b:03d}-{i % 7}", url=f"https://shop.example.com/{b}/{i}")
                 for i in range(100)]
        r = post(anon, key, {"events": batch})
        assert r.status_code == 202 and r.json()["accepted"] == 100, r.text
    assert n_events(database) == 10_000
    with database.transaction(write=False) as s:
        assert s.scalar(select(func.count(func.distinct(WebEvent.url)))) == 10_000
        assert s.scalar(select(func.count()).select_from(WebVisitor)) == 700


def test_snippet_is_served_and_its_text_plain_beacon_is_accepted(client: Any, anon: Any,
                                                                 database: Database) -> None:
    js = anon.get("/static/amity-track.js")
    assert js.status_code == 200 and "sendBeacon" in js.text and len(js.content) < 4000
    key = site(client)["public_key"]
    body = json.dumps({"key": key, "events": [ev()]}).encode()
    r = anon.post("/api/v1/events", content=body,
                  headers={"Content-Type": "text/plain", "Origin": ORIGIN})
    assert r.status_code == 202 and n_events(database) == 1
