"""Two requests making the same new tag at the same time both succeed, with one tag row."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event, func, select

from amity.core.tags import Tag
from tests.conftest import make_user


@pytest.mark.parametrize("round_", range(2))
def test_concurrent_first_use_of_a_tag(app, database, client, round_):
    """A listener holds each request right after it looked the tag up (and did not find it),
    so both go on to create it; before ON CONFLICT the second failed with 409 on PostgreSQL.

    Two users: requests with one token queue behind each other on the token's row."""
    tokens = {name: make_user(database, admin=True)[1] for name in ("Alice", "Bob")}
    tag = f"Launch {round_}"
    paused: list[str] = []

    def _pause(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if statement.lstrip().upper().startswith("SELECT") and "FROM tags" in statement:
            paused.append(statement)
            time.sleep(0.2)

    event.listen(database.engine, "after_cursor_execute", _pause)
    barrier = threading.Barrier(2)
    results: dict[str, Any] = {}

    def writer(name: str) -> None:
        with TestClient(app) as tc:
            barrier.wait()
            results[name] = tc.post("/api/v1/contacts",
                                    json={"first_name": name, "tags": [tag, "shared"]},
                                    headers={"Authorization": f"Bearer {tokens[name]}"})

    threads = [threading.Thread(target=writer, args=(n,)) for n in ("Alice", "Bob")]
    try:
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=60)
    finally:
        event.remove(database.engine, "after_cursor_execute", _pause)
    assert len(paused) >= 2
    assert sorted(r.status_code for r in results.values()) == [201, 201], \
        {k: (r.status_code, r.text) for k, r in results.items()}
    assert all(r.json()["tags"] == [tag, "shared"] for r in results.values())
    with database.transaction(write=False) as s:
        assert s.scalar(select(func.count()).select_from(Tag)
                        .where(Tag.key.in_([tag.lower(), "shared"]))) == 2
    listed = client.get("/api/v1/contacts", params={"tag": tag}).json()["items"]
    assert sorted(c["first_name"] for c in listed) == ["Alice", "Bob"]
