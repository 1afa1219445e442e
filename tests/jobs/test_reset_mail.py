"""The password-reset email is a job: pages never wait for SMTP, the link is mailed once."""

from __future__ import annotations

import re
import socket
import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from amity.config import Settings
from amity.core.db import Database
from amity.jobs.accounts import RESET_MAIL
from amity.jobs.worker import run_until_idle
from tests.auth.signin_support import csrf_of
from tests.conftest import make_user
from tests.jobs.conftest import Clock, Inbox, jobs, smtp_settings


def _body(msg: Any) -> str:
    return bytes(msg.get_payload(decode=True)).decode()


@pytest.fixture
def user_email(database: Database) -> str:
    return make_user(database, email="sam@example.com")[0].email


def _forgot(app: Any, email: str) -> tuple[int, float]:
    with TestClient(app, follow_redirects=False) as web:
        page = web.get("/password/forgot")
        t0 = time.perf_counter()
        r = web.post("/password/forgot", data={"email": email,
                                               "csrf_token": csrf_of(page.text)})
        return r.status_code, time.perf_counter() - t0


@pytest.fixture
def silent_smtp() -> Iterator[int]:
    """A server that accepts connections and never says a word (a hung SMTP relay)."""
    with socket.socket() as srv:
        srv.bind(("127.0.0.1", 0))
        srv.listen(8)
        yield srv.getsockname()[1]


def test_a_hung_smtp_server_does_not_hold_the_page(app: Any, database: Database,
                                                   settings: Settings, user_email: str,
                                                   silent_smtp: int, clock: Clock) -> None:
    app.state.settings = settings.model_copy(update={
        "smtp_host": "127.0.0.1", "smtp_port": silent_smtp, "smtp_starttls": False,
        "smtp_timeout_s": 10.0})
    status, took = _forgot(app, user_email)
    assert status == 200 and took < 1.0, took
    [job] = jobs(database, kind=RESET_MAIL)
    assert job.status == "queued"
    assert set(job.payload) == {"token_id"}  # an id: neither the link nor the address
    quick = app.state.settings.model_copy(update={"smtp_timeout_s": 0.3})
    run_until_idle(database, quick)
    [job] = jobs(database, kind=RESET_MAIL)
    assert (job.status, job.attempts) == ("failed", 1)  # retried later, with backoff
    assert "Could not send email" in job.last_error and job.run_at > clock.at


def test_without_smtp_the_job_is_dead_and_a_retry_after_configuring_sends_once(
        app: Any, client: TestClient, database: Database, settings: Settings, inbox: Inbox,
        user_email: str, clock: Clock) -> None:
    assert _forgot(app, user_email)[0] == 200
    run_until_idle(database, settings)  # no AMITY_SMTP_HOST
    [job] = jobs(database, kind=RESET_MAIL)
    assert job.status == "dead" and "AMITY_SMTP_HOST" in job.last_error
    assert client.post(f"/api/v1/jobs/{job.id}/retry").status_code == 200
    configured = smtp_settings(settings, inbox)
    run_until_idle(database, configured)
    run_until_idle(database, configured)
    assert len(inbox.messages) == 1
    msg = inbox.messages[0]
    assert msg["To"] == "sam@example.com" and "reset" in msg["Subject"].lower()
    link = re.search(r"https://crm\.example\.com/password/reset\?token=[\w-]+", _body(msg))
    assert link, _body(msg)
    # the Message-ID comes from the job's effect, so a resend after a crash is the same message
    stable = uuid.uuid5(uuid.NAMESPACE_URL, f"{job.id}:mail").hex
    assert msg["Message-ID"] == f"<amity-{stable}@localhost>", msg["Message-ID"]  # smtp_from
    assert jobs(database, kind=RESET_MAIL)[0].status == "done"
    assert client.post(f"/api/v1/jobs/{job.id}/retry").status_code == 409


def test_a_link_replaced_before_its_email_went_out_is_not_sent(
        app: Any, database: Database, settings: Settings, inbox: Inbox, user_email: str,
        clock: Clock) -> None:
    app.state.settings = smtp_settings(settings, inbox)
    _forgot(app, user_email)
    clock.advance(seconds=5)
    _forgot(app, user_email)
    assert run_until_idle(database, app.state.settings) == 2
    assert len(inbox.messages) == 1  # only the newer link works, so only it is mailed
    with TestClient(app) as web:
        path = re.search(r"/password/reset\?token=[\w-]+", _body(inbox.messages[0])).group(0)
        assert web.get(path).status_code == 200
    assert {j.status for j in jobs(database, kind=RESET_MAIL)} == {"done"}
