"""Tracking of sent email: the open pixel and click redirects record web events, forged or
altered tokens are refused without a redirect, and the unsubscribe link withdraws consent."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from amity.activities.outreach_models import WebEvent
from amity.config import Settings
from amity.core.db import Database
from amity.jobs.worker import run_until_idle
from tests.activities.conftest import Inbox
from tests.activities.test_email import html_of, mail_settings, person, send, text_of

__all__ = ["mail_settings"]
BASE = "https://crm.example.com"


@pytest.fixture
def web(app: Any, mail_settings: Settings) -> Any:
    with TestClient(app, follow_redirects=False) as c:
        yield c


def _sent(client: Any, database: Database, settings: Settings, inbox: Inbox) -> tuple[
        dict[str, Any], dict[str, Any], Any]:
    c = person(client)
    r = send(client, c["id"], subject="News", body="Read https://example.org/a#top now")
    assert r.status_code == 202, r.text
    run_until_idle(database, settings)
    return c, r.json(), inbox.messages[-1]


def _events(database: Database) -> list[WebEvent]:
    with database.transaction(write=False) as s:
        return list(s.scalars(select(WebEvent).order_by(WebEvent.received_at)))


def _path(url: str) -> str:
    assert url.startswith(BASE), url
    return url[len(BASE):]


def test_open_pixel_and_click_record_events(client: Any, web: Any, database: Database,
                                            inbox: Inbox, mail_settings: Settings) -> None:
    c, sent, msg = _sent(client, database, mail_settings, inbox)
    pixel = re.search(r'src="([^"]+)"', html_of(msg))
    assert pixel
    r = web.get(_path(pixel.group(1).replace("&amp;", "&")))
    assert r.status_code == 200 and r.headers["content-type"] == "image/gif"
    assert r.content.startswith(b"GIF89a") and "no-store" in r.headers["cache-control"]
    link = re.search(rf"{BASE}/t/c/\S+", text_of(msg))
    assert link
    r = web.get(_path(link.group(0)))
    assert r.status_code == 302
    target = r.headers["location"]
    assert target.startswith("https://example.org/a?amity_id=") and target.endswith("#top")
    assert parse_qs(urlsplit(target).query)["amity_id"]
    events = _events(database)
    assert [(e.type, str(e.contact_id), str(e.interaction_id)) for e in events] == [
        ("email_open", c["id"], sent["id"]), ("email_click", c["id"], sent["id"])]
    assert events[1].url == "https://example.org/a#top"


def test_tampered_tokens_are_refused_and_never_redirect(client: Any, web: Any,
                                                        database: Database, inbox: Inbox,
                                                        mail_settings: Settings) -> None:
    _, _, msg = _sent(client, database, mail_settings, inbox)
    link = re.search(rf"{BASE}/t/c/(\S+)", text_of(msg))
    assert link
    token = link.group(1)
    payload, _, sig = token.rpartition(".")
    flipped = sig[:-2] + ("AA" if not sig.endswith("AA") else "BB")
    for bad in (f"{payload}.{flipped}", token[1:], "x" + token, "abc",
                f"{payload[:-3]}abc.{sig}"):
        r = web.get(f"/t/c/{bad}")
        assert r.status_code in (400, 404), (bad, r.status_code)
        assert "location" not in r.headers
    # a click token does not work as a pixel (salts differ); a redirect parameter added to
    # a good link changes nothing: the destination is the signed one
    r = web.get(f"/t/c/{token}", params={"url": "https://evil.example"})
    assert r.status_code == 302 and r.headers["location"].startswith("https://example.org/a")
    assert web.get("/t/o/abc.gif").status_code == 404
    assert web.get(f"/t/o/{token}.gif").status_code == 404
    assert [e.type for e in _events(database)] == ["email_click"]


def test_unsubscribe_one_click_withdraws_consent(client: Any, web: Any, database: Database,
                                                 inbox: Inbox, mail_settings: Settings) -> None:
    c, _, msg = _sent(client, database, mail_settings, inbox)
    url = _path(msg["List-Unsubscribe"].strip("<>"))
    page = web.get(url)
    assert page.status_code == 200 and "unsubscribe-confirm" in page.text
    assert client.get(f"/api/v1/contacts/{c['id']}/consents").json()["current"][0][
        "status"] == "given"  # GET only asks
    r = web.post(url, content=b"List-Unsubscribe=One-Click",
                 headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert r.status_code == 200 and "unsubscribed" in r.text
    state = client.get(f"/api/v1/contacts/{c['id']}/consents").json()
    assert [(x["purpose"], x["channel"], x["status"]) for x in state["current"]] == [
        ("marketing", "email", "withdrawn")]
    assert web.post(url).status_code == 200  # again: harmless, no second event
    assert len(client.get(f"/api/v1/contacts/{c['id']}/consents").json()["history"]) == 2
    # marketing mail is now refused
    r = send(client, c["id"], subject="More", body="x")
    assert r.status_code == 422 and r.json()["code"] == "email.no_consent"
    bad = web.post(url[:-3] + "xyz")
    assert bad.status_code == 404
    assert web.get("/u/nonsense").status_code == 404
