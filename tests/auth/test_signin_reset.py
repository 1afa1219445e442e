"""Password reset by emailed link, over a real SMTP server (aiosmtpd on 127.0.0.1)."""

from __future__ import annotations

import logging
import re
import socket
from collections.abc import Iterator
from email import message_from_bytes
from email.message import Message
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.handlers import Message as MessageHandler
from fastapi.testclient import TestClient

from amity.auth.models import PasswordResetToken
from amity.jobs.worker import run_until_idle
from tests.auth.signin_support import csrf_of, is_signed_in, sign_in
from tests.factories import count

NEW = "tulips in the window 7"


class Inbox(MessageHandler):
    def __init__(self) -> None:
        super().__init__()
        self.messages: list[Message] = []

    def handle_message(self, message: Message) -> None:
        self.messages.append(message)


@pytest.fixture
def inbox() -> Iterator[tuple[Inbox, int]]:
    handler = Inbox()
    with socket.socket() as probe:  # a free port (aiosmtpd's start() cannot use port 0)
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield handler, port
    finally:
        controller.stop()


@pytest.fixture
def mail_app(app: Any, inbox: tuple[Inbox, int]) -> Any:
    app.state.settings = app.state.settings.model_copy(update={
        "smtp_host": "127.0.0.1", "smtp_port": inbox[1], "smtp_starttls": False,
        "smtp_from": "Amity <crm@example.com>", "base_url": "https://crm.example.com"})
    return app


@pytest.fixture
def web(mail_app: Any) -> Iterator[TestClient]:
    with TestClient(mail_app, follow_redirects=False) as c:
        yield c


def _forgot(web: TestClient, email: str) -> Any:
    """Ask for a link, then run the queued jobs (the email is sent by a job)."""
    page = web.get("/password/forgot")
    r = web.post("/password/forgot", data={"email": email, "csrf_token": csrf_of(page.text)})
    state = web.app.state  # type: ignore[attr-defined]
    run_until_idle(state.database, state.settings)
    return r


def _link(inbox: Inbox) -> str:
    msg = inbox.messages[-1]
    body = msg.get_payload(decode=True) if not msg.is_multipart() else b""
    text = (body or b"").decode() if isinstance(body, bytes) else str(msg.get_payload())
    match = re.search(r"https://crm\.example\.com(/password/reset\?token=[\w-]+)", text)
    assert match, text
    return match.group(1)


def _reset(web: TestClient, path: str, password: str = NEW, again: str | None = None) -> Any:
    page = web.get(path)
    if 'name="csrf_token"' not in page.text:  # the invalid-link page has no form
        page = web.get("/password/forgot")
    token = path.split("token=", 1)[1]
    return web.post("/password/reset", data={"token": token, "password": password,
                                             "password2": again or password,
                                             "csrf_token": csrf_of(page.text)})


def test_reset_flow_over_real_smtp(web, app, inbox, sam, other_browser, database):
    handler, _ = inbox
    sign_in(other_browser, sam.email)  # a session that the reset must end
    r = _forgot(web, "SAM@example.com")
    assert r.status_code == 200 and "If an account uses that address" in r.text
    assert len(handler.messages) == 1
    msg = handler.messages[0]
    assert msg["To"] == "sam@example.com" and msg["From"] == "Amity <crm@example.com>"
    assert "reset" in msg["Subject"].lower()
    path = _link(handler)
    with database.transaction(write=False) as s:
        stored = s.query(PasswordResetToken).one()
    assert path.split("token=")[1] not in (stored.token_hash,)  # only a hash at rest

    assert "Set a new password" in web.get(path).text
    weak = _reset(web, path, "qwertyuiop")
    assert weak.status_code == 422 and "most common" in weak.text
    r = _reset(web, path)
    assert r.status_code == 200 and "Sign in with the new one" in r.text
    assert not is_signed_in(other_browser)
    assert sign_in(web, sam.email).status_code == 401
    assert sign_in(web, sam.email, NEW).status_code == 303
    # single use
    web.cookies.clear()
    again = _reset(web, path, "another fresh password 9")
    assert again.status_code == 400 and "invalid" in again.text


def test_unknown_email_gets_the_same_answer_and_no_mail(web, inbox, sam, database):
    handler, _ = inbox
    known = _forgot(web, sam.email)
    unknown = _forgot(web, "nobody@example.com")
    assert unknown.status_code == known.status_code == 200
    strip = re.compile(r'value="[^"]*"')
    assert strip.sub("", unknown.text) == strip.sub("", known.text)
    assert len(handler.messages) == 1
    assert count(database, PasswordResetToken) == 1


def test_expired_and_tampered_tokens_are_refused(web, inbox, sam, clock):
    handler, _ = inbox
    _forgot(web, sam.email)
    path = _link(handler)
    assert web.get(path[:-3] + "xyz").status_code == 400
    assert _reset(web, path[:-3] + "xyz").status_code == 400
    assert web.get("/password/reset?token=").status_code == 400
    clock.advance(hours=1, seconds=1)
    assert web.get(path).status_code == 400
    assert _reset(web, path).status_code == 400
    assert sign_in(web, sam.email).status_code == 303  # the old password still works


def test_a_newer_link_replaces_the_older_one(web, inbox, sam, clock):
    handler, _ = inbox
    _forgot(web, sam.email)
    first = _link(handler)
    clock.advance(seconds=5)
    _forgot(web, sam.email)
    second = _link(handler)
    assert first != second
    assert web.get(first).status_code == 400
    assert _reset(web, second).status_code == 200


def test_reset_requests_are_rate_limited_per_email(web, inbox, sam):
    handler, _ = inbox
    for _ in range(5):
        assert _forgot(web, sam.email).status_code == 200
    assert len(handler.messages) == 3


def test_without_smtp_the_page_answers_the_same_and_logs_a_warning(app, sam, caplog):
    with TestClient(app, follow_redirects=False) as web:
        caplog.set_level(logging.WARNING, logger="amity.jobs")
        r = _forgot(web, sam.email)
    assert r.status_code == 200 and "If an account uses that address" in r.text
    assert any("AMITY_SMTP_HOST" in rec.getMessage() for rec in caplog.records)


def test_send_mail_without_host_raises_a_clear_error(settings):
    from amity.core.mail import MailNotConfigured, send_mail

    with pytest.raises(MailNotConfigured, match="AMITY_SMTP_HOST"):
        send_mail(settings, to="a@example.com", subject="x", body="y")


def test_message_parses(inbox, settings):
    from amity.core.mail import send_mail

    handler, port = inbox
    send_mail(settings.model_copy(update={"smtp_host": "127.0.0.1", "smtp_port": port,
                                          "smtp_starttls": False}),
              to="a@example.com", subject="Hello", body="Line one\nLine two\n")
    raw = handler.messages[0].as_bytes()
    parsed = message_from_bytes(raw)
    assert parsed["Subject"] == "Hello" and "Line two" in parsed.get_payload()
