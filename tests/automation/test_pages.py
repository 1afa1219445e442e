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


def test_rows_show_the_fields_of_their_kind(signed_in: Any,  # noqa: F811
                                            database: Database) -> None:
    client = signed_in
    row = client.get("/automation/rows/condition", params={"c-ab12-type": "event_count"})
    assert row.status_code == 200 and 'id="c-ab12"' in row.text
    assert 'name="c-ab12-contains"' in row.text and 'name="c-ab12-days"' in row.text
    assert "at least" in row.text and 'name="c-ab12-field"' in row.text  # web / interactions
    tag = client.get("/automation/rows/condition", params={"c-ab12-type": "tag"}).text
    assert "does not have the tag" in tag and 'name="c-ab12-contains"' not in tag
    act = client.get("/automation/rows/action", params={"a-cd34-type": "wait"}).text
    assert 'name="a-cd34-number"' in act and 'name="a-cd34-unit"' in act
    assert 'name="a-cd34-text"' not in act
    owner = client.get("/automation/rows/action", params={"a-cd34-type": "change_owner"}).text
    assert "New owner" in owner and "Test User" in owner  # the users to pick from
    web_fields = client.get("/automation/rows/trigger", params={"trigger_type": "web"}).text
    assert 'name="trigger_url"' in web_fields and "Email opened" in web_fields
    assert 'name="trigger_event"' not in web_fields
    stalled = client.get("/automation/rows/trigger", params={"trigger_type": "deal_stalled"})
    assert 'name="trigger_time_zone"' in stalled.text and "trigger_days" not in stalled.text
    # a web-activity workflow saved through the form
    token = page_csrf(client, "/automation/new")
    ok = client.post("/automation", data={
        "csrf_token": token, "name": "Pricing", "trigger_type": "web",
        "trigger_web_kind": "page_view", "trigger_url": "/pricing", "match": "all",
        "c-x1-type": "event_count", "c-x1-field": "web", "c-x1-kind": "page_view",
        "c-x1-contains": "/pricing", "c-x1-op": "gte", "c-x1-value": "3", "c-x1-days": "7",
        "a-y1-type": "create_task", "a-y1-text": "Call about pricing", "a-y1-who": "owner"})
    assert ok.status_code == 303, ok.text
    page = client.get(ok.headers["location"]).text
    assert 'value="/pricing"' in page and "Call about pricing" in page
    with database.transaction(write=False) as s:
        w = s.scalar(select(Workflow))
        assert w is not None and w.trigger_key == "web:page_view"
