"""``amity forms list`` and ``amity channels create|list|rotate-secret`` on both databases:
the secret is printed once and works for the webhook; bad input exits 2 and stores nothing."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from amity import cli_forms
from amity.activities.forms_models import Form, IngestChannel
from amity.auth import service as auth
from amity.cli import app
from amity.config import get_settings
from amity.core.db import Database
from tests.factories import count

runner = CliRunner()


@pytest.fixture
def cli_db(database: Database, monkeypatch: pytest.MonkeyPatch) -> Iterator[Database]:
    monkeypatch.setenv("AMITY_DATABASE_URL",
                       database.engine.url.render_as_string(hide_password=False))
    monkeypatch.setattr(cli_forms.console, "width", 200)
    get_settings.cache_clear()
    with database.transaction() as s:
        auth.create_user(s, email="boss@example.com", name="Boss", is_admin=True)
        s.add(Form(name="Contact us", public_key="contact-us-key",
                   fields=[{"maps_to": "email", "label": "Email", "type": "email",
                            "required": True}], consents=[], tags=[]))
    yield database
    get_settings.cache_clear()


def test_forms_list(cli_db: Database) -> None:
    r = runner.invoke(app, ["forms", "list"])
    assert r.exit_code == 0, r.output
    assert "Contact us" in r.output and "/f/contact-us-key" in r.output


def test_channel_create_prints_the_secret_once(cli_db: Database, anon: Any) -> None:
    r = runner.invoke(app, ["channels", "create", "Support chat", "--kind", "chat"])
    assert r.exit_code == 0, r.output
    secret = next(line.strip() for line in r.output.splitlines()
                  if line.strip().startswith("whsec_"))
    with cli_db.transaction(write=False) as s:
        ch = s.scalar(select(IngestChannel))
        assert ch is not None and ch.kind == "chat" and ch.secret == secret
        cid = ch.id
    listed = runner.invoke(app, ["channels", "list"])
    assert "Support chat" in listed.output and secret not in listed.output
    body = json.dumps({"external_id": "m1", "occurred_at": "2025-01-01T10:00:00Z",
                       "from": {"email": "x@example.com"}, "body": "hi"}).encode()
    ts = str(int(time.time()))
    sig = hmac.new(secret.encode(), ts.encode() + b"." + body, hashlib.sha256).hexdigest()
    r2 = anon.post(f"/hooks/channels/{cid}", content=body, headers={
        "Content-Type": "application/json", "X-Amity-Timestamp": ts,
        "X-Amity-Signature": f"sha256={sig}"})
    assert r2.status_code == 200, r2.text
    rotated = runner.invoke(app, ["channels", "rotate-secret", str(cid)])
    assert rotated.exit_code == 0 and secret not in rotated.output


def test_bad_channel_input_exits_2(cli_db: Database) -> None:
    r = runner.invoke(app, ["channels", "create", "X", "--kind", "pigeon"])
    assert r.exit_code == 2 and "--kind" in r.output
    r = runner.invoke(app, ["channels", "rotate-secret", "not-an-id"])
    assert r.exit_code == 2
    assert count(cli_db, IngestChannel) == 0
