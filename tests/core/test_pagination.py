"""Keyset pagination over a few thousand contacts: every sort, no repeats, no gaps, ties too."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta

import pytest

from amity.core.clock import set_clock
from tests.factories import assert_problem

N = 2500
FIRST = ["Ann", "Bo", "Cy"]
LAST = ["Smith", "Jones", "Ng", "O'Brien", "Zoë", "Åberg", "smith"]
T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
SORTS = ["name", "-name", "created_at", "-created_at", "updated_at", "-updated_at"]


@pytest.fixture
def many(client):
    """2,500 contacts in three bulk calls, each call at one frozen instant (massive ties)."""
    ids: list[str] = []
    try:
        for batch, size in enumerate((1000, 1000, 500)):
            set_clock(lambda b=batch: T0 + timedelta(minutes=b))
            items = []
            for i in range(len(ids), len(ids) + size):
                if i % 50 == 0:  # no name: sorted by email
                    items.append({"emails": [{"email": f"anon{i % 3}@example.com"}]})
                else:
                    items.append({"first_name": FIRST[i % len(FIRST)],
                                  "last_name": LAST[i % len(LAST)]})
            r = client.post("/api/v1/contacts/bulk", json={"items": items})
            assert r.status_code == 201, r.text[:300]
            ids += r.json()["ids"]
        # a few updates at one later instant, so updated_at has ties and differs from created_at
        set_clock(lambda: T0 + timedelta(hours=1))
        for cid in ids[::250]:
            assert client.patch(f"/api/v1/contacts/{cid}", json={"nickname": "x"}
                                ).status_code == 200
    finally:
        set_clock(None)
    return ids


def _walk(client, sort, limit, **params):
    seen: list[dict] = []
    cursor = None
    pages = 0
    while True:
        q = {"sort": sort, "limit": limit, **params, **({"cursor": cursor} if cursor else {})}
        r = client.get("/api/v1/contacts", params=q)
        assert r.status_code == 200, r.text
        body = r.json()
        pages += 1
        assert len(body["items"]) <= limit
        if body["next_cursor"]:
            assert len(body["items"]) == limit
        seen += body["items"]
        cursor = body["next_cursor"]
        if not cursor:
            return seen, pages
        assert pages < 1000, "pagination does not terminate"


@pytest.mark.parametrize("sort", SORTS)
def test_every_sort_walks_all_rows_once(client, many, sort):
    limit = 200 if sort.lstrip("-") != "name" else 173
    seen, pages = _walk(client, sort, limit)
    ids = [c["id"] for c in seen]
    assert len(ids) == len(set(ids)), "a row was returned twice"
    assert set(ids) == set(many), "a row was skipped"
    assert pages == -(-N // limit)
    field = sort.lstrip("-")
    if field != "name":
        values = [c[field] for c in seen]
        expected = sorted(values, reverse=sort.startswith("-"))
        assert [datetime.fromisoformat(v) for v in values] == [
            datetime.fromisoformat(v) for v in expected]
    else:
        # the same folded name always sits together: a sorted walk never revisits a name
        keys = [(c["last_name"] + " " + c["first_name"]).lower().strip() or
                c["emails"][0]["email"] for c in seen]
        runs = [k for i, k in enumerate(keys) if i == 0 or keys[i - 1] != k]
        assert len(runs) == len(set(runs)), runs


def test_small_pages_with_filter(client, many):
    seen, _ = _walk(client, "name", 37, lifecycle_stage="lead")
    assert len(seen) == N and len({c["id"] for c in seen}) == N


def test_walk_is_stable_under_inserts(client, many):
    """Rows created while a client pages through -created_at do not shift what it sees."""
    first = client.get("/api/v1/contacts", params={"sort": "created_at", "limit": 100}).json()
    seen = [c["id"] for c in first["items"]]
    cursor = first["next_cursor"]
    client.post("/api/v1/contacts", json={"first_name": "Late", "last_name": "Arrival"})
    while cursor:
        page = client.get("/api/v1/contacts", params={"sort": "created_at", "limit": 200,
                                                      "cursor": cursor}).json()
        seen += [c["id"] for c in page["items"]]
        cursor = page["next_cursor"]
    assert len(seen) == len(set(seen)) == N + 1  # the new row comes last in ascending order


def _cursor(parts):
    return base64.urlsafe_b64encode(json.dumps(parts).encode()).decode().rstrip("=")


@pytest.mark.parametrize("cursor", [
    "garbage", "!!!", "e30", _cursor(["name", False, "x"]),
    _cursor(["name", False, "x", "not-a-uuid"]),
    _cursor(["created_at", False, {"t": "yesterday"}, "00000000-0000-4000-8000-000000000000"]),
    _cursor(["created_at", True, "x", "00000000-0000-4000-8000-000000000000"]),
    _cursor(["updated_at", False, {"t": "2026-01-01T00:00:00+00:00"},
             "00000000-0000-4000-8000-000000000000"]),
    # right sort, wrong kind of value: must be refused, not sent to the database
    _cursor(["created_at", False, "x", "00000000-0000-4000-8000-000000000000"]),
    _cursor(["created_at", False, 5, "00000000-0000-4000-8000-000000000000"]),
    _cursor(["created_at", False, None, "00000000-0000-4000-8000-000000000000"]),
    _cursor(["created_at", False, {"t": "2026-01-01T00:00:00"},
             "00000000-0000-4000-8000-000000000000"]),
    _cursor(["created_at", False, {"t": "2026-01-01T00:00:00+00:00"}, 5]),
    _cursor(["created_at", False, {"t": "2026-01-01T00:00:00+00:00"}]),
    _cursor({"a": 1}),
])
def test_bad_cursor_is_422(client, cursor):
    r = client.get("/api/v1/contacts", params={"sort": "created_at", "cursor": cursor})
    assert_problem(r, 422, field="cursor", code="cursor.invalid")


@pytest.mark.parametrize("cursor", [
    _cursor(["name", False, 5, "00000000-0000-4000-8000-000000000000"]),
    _cursor(["name", False, {"t": "2026-01-01T00:00:00+00:00"},
             "00000000-0000-4000-8000-000000000000"]),
    _cursor(["name", False, None, "00000000-0000-4000-8000-000000000000"]),
    _cursor(["name", False, ["x"], "00000000-0000-4000-8000-000000000000"]),
])
def test_bad_name_cursor_is_422(client, cursor):
    r = client.get("/api/v1/contacts", params={"sort": "name", "cursor": cursor})
    assert_problem(r, 422, field="cursor", code="cursor.invalid")


def test_cursor_from_another_sort_is_422(client):
    for i in range(3):
        client.post("/api/v1/contacts", json={"first_name": f"P{i}"})
    cur = client.get("/api/v1/contacts", params={"sort": "name", "limit": 1}).json()
    assert cur["next_cursor"]
    assert_problem(client.get("/api/v1/contacts", params={"sort": "-name",
                                                          "cursor": cur["next_cursor"]}),
                   422, field="cursor")
    assert_problem(client.get("/api/v1/contacts", params={"sort": "created_at",
                                                          "cursor": cur["next_cursor"]}),
                   422, field="cursor")
