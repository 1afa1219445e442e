"""The workflow builder pages: list, save with inline errors (nothing stored), versions."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from amity.automation.models import Workflow
from amity.core.db import Database
from tests.web.conftest import page_csrf, signed_in, web, web_user  # noqa: F401 (fixtures)


def count(database: Database) -> int:
    with database.transaction(write=False) as s:
        return int(s.scalar(select(func.count()).select_from(Workflow)) or 0)


def test_builder_saves_and_shows_errors_inline(signed_in: Any,  # noqa: F811
                                                database: Database) -> None:
    client = signed_in
    assert client.get("/automation").status_code == 200
    page = client.get("/automation/new")
    assert page.status_code == 200 and 'name="trigger_type"' in page.text
    token = page_csrf(client, "/automation/new")
    row = client.get("/automation/rows/action")
    assert row.status_code == 200 and 'name="a-' in row.text
    form = {"csrf_token": token, "name": "Welcome", "trigger_type": "event",
            "trigger_event": "deal.won", "match": "all",
            "c-x1-type": "tag", "c-x1-op": "has", "c-x1-value": "vip",
            "a-y1-type": "create_task", "a-y1-text": "", "a-y1-who": "owner"}
    bad = client.post("/automation", data=form)
    assert bad.status_code == 422 and "not saved" in bad.text and "title" in bad.text
    assert count(database) == 0
    form["a-y1-text"] = "Call them"
    form["a-y2-type"] = "add_tag"
    form["a-y2-text"] = "won"
    ok = client.post("/automation", data=form)
    assert ok.status_code == 303, ok.text
    url = ok.headers["location"]
    page = client.get(url)
    assert page.status_code == 200 and "Call them" in page.text and "v1" in page.text
    form["a-y1-text"] = "Call them today"
    assert client.post(url, data={**form, "version": "1"}).status_code == 303
    page = client.get(url)
    assert "v2" in page.text and "Call them today" in page.text
    assert client.post(f"{url}/dry-run", data={"csrf_token": token},
                    headers={"X-CSRF-Token": token}).status_code == 200
