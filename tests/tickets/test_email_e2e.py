"""Email to ticket end to end, over real SMTP conversations on 127.0.0.1: Amity's inbound
endpoint, a separate "outside world" server receiving the agents' replies, smtplib as the
customer's mail program."""

from __future__ import annotations

import smtplib
import socket
import uuid
from collections.abc import Iterator
from email import message_from_bytes, policy
from email.message import EmailMessage, Message
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.handlers import Message as MessageHandler
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from amity.config import Settings
from amity.contacts.models import ContactEmail
from amity.core.db import Database
from amity.core.events import EventRecord
from amity.jobs.models import Job
from amity.jobs.worker import run_until_idle
from amity.tickets.models import Ticket, TicketComment
from amity.tickets.smtpd import InboundServer
from tests.tickets.conftest import BASE_URL

DESK = "support@desk.example.com"
CUSTOMER = "margaret@example.com"


def free_port() -> int:
    with socket.socket() as probe:  # aiosmtpd's start() cannot use port 0
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Inbox(MessageHandler):
    def __init__(self) -> None:
        super().__init__()
        self.messages: list[Message] = []

    def handle_message(self, message: Message) -> None:
        self.messages.append(message)


@pytest.fixture
def outside() -> Iterator[tuple[Inbox, int]]:
    handler, port = Inbox(), free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield handler, port
    finally:
        controller.stop()


@pytest.fixture
def settings(database: Database, tmp_path: Path, outside: tuple[Inbox, int]) -> Settings:
    return Settings(environment="test", database_url=str(database.engine.url),
                    secret_key="test-secret-key-that-is-long-enough-0123456789",
                    base_url=BASE_URL, attachment_dir=tmp_path / "attachments",
                    attachment_max_bytes=64 * 1024, smtp_host="127.0.0.1",
                    smtp_port=outside[1], smtp_starttls=False,
                    smtp_from="Bakery Help Desk <noreply@desk.example.com>",
                    inbound_address=DESK, inbound_max_bytes=5 * 1024 * 1024,
                    inbound_quarantine_dir=tmp_path / "quarantine")


@pytest.fixture
def inbound(database: Database, settings: Settings,
            client: TestClient) -> Iterator[int]:  # client: an administrator exists
    server = InboundServer(database, settings, port=free_port())
    server.start()
    try:
        yield server.port
    finally:
        server.stop()


def customer_mail(subject: str, body: str, msgid: str, in_reply_to: str | None = None,
                  sender: str | None = f"Margaret Hale <{CUSTOMER}>") -> EmailMessage:
    msg = EmailMessage()
    if sender:
        msg["From"] = sender
    msg["To"] = DESK
    msg["Subject"] = subject
    msg["Message-ID"] = msgid
    if in_reply_to:
        msg["In-Reply-To"] = in_reply_to
        msg["References"] = in_reply_to
    msg.set_content(body)
    return msg


def send(port: int, msg: EmailMessage, to: str = DESK) -> tuple[int, bytes]:
    """Send through a real SMTP conversation; the server's answer to DATA."""
    with smtplib.SMTP("127.0.0.1", port, timeout=30) as smtp:
        smtp.ehlo()
        code, _ = smtp.mail(CUSTOMER)
        assert code == 250
        code, answer = smtp.rcpt(to)
        if code != 250:
            return code, answer
        return smtp.data(msg.as_bytes(policy=policy.SMTP))  # CRLF lines, as on the wire


def test_conversation_by_email(database: Database, settings: Settings, client: TestClient,
                               inbound: int, outside: tuple[Inbox, int]) -> None:
    code, answer = send(inbound, customer_mail("Oven will not heat", "Cold since Monday.",
                                               "<c1@example.com>"))
    assert code == 250 and answer.endswith(b"as T-1001"), answer
    with database.transaction(write=False) as s:
        t = s.scalar(select(Ticket))
        assert t is not None and (t.number, t.channel) == (1001, "email")
        assert s.scalar(select(ContactEmail.email).where(
            ContactEmail.contact_id == t.contact_id)) == CUSTOMER
        ticket_id, contact_id = t.id, t.contact_id

    code, answer = send(inbound, customer_mail("Re: [#T-1001] Oven will not heat",
                                               "A photo would not attach, sorry.",
                                               "<c2@example.com>"))
    assert code == 250 and answer.endswith(b"as T-1001")
    again = send(inbound, customer_mail("Re: [#T-1001] Oven will not heat", "(resent)",
                                        "<c2@example.com>"))
    assert again == (250, b"2.0.0 Already stored as T-1001")

    r = client.post(f"/api/v1/tickets/{ticket_id}/comments",
                    json={"body": "We will send an engineer on Thursday."})
    assert r.status_code == 201, r.text
    run_until_idle(database, settings)
    run_until_idle(database, settings)  # nothing left to send: exactly one email
    inbox = outside[0].messages
    assert len(inbox) == 1
    out = message_from_bytes(inbox[0].as_bytes(), policy=policy.default)
    assert out["Subject"] == "Re: Oven will not heat [#T-1001]"
    assert out["To"] == CUSTOMER
    assert out["From"] == f"Bakery Help Desk <{DESK}>"
    assert out["In-Reply-To"] == "<c2@example.com>"
    assert out["References"] == "<c2@example.com>"
    assert out.get_content().strip() == "We will send an engineer on Thursday."
    agent_msgid = str(out["Message-ID"]).strip()  # folded: a long header
    with database.transaction(write=False) as s:
        c = s.get(TicketComment, uuid.UUID(r.json()["id"]))
        assert c is not None and c.message_id == agent_msgid == \
            f"<ticket-comment-{c.id}@desk.example.com>"
        assert c.in_reply_to == "<c2@example.com>"

    # the customer answers the agent's email; their program keeps only the headers
    code, _ = send(inbound, customer_mail("Re: engineer", "Thursday suits me.",
                                          "<c3@example.com>", in_reply_to=agent_msgid))
    assert code == 250
    with database.transaction(write=False) as s:
        bodies = list(s.scalars(select(TicketComment.body).where(
            TicketComment.ticket_id == ticket_id, TicketComment.contact_id == contact_id)
            .order_by(TicketComment.created_at)))
        assert bodies == ["Cold since Monday.", "A photo would not attach, sorry.",
                          "Thursday suits me."]
        assert s.scalar(select(func.count()).select_from(Ticket)) == 1


def test_internal_notes_and_customer_comments_are_not_mailed(
        database: Database, settings: Settings, client: TestClient, inbound: int,
        outside: tuple[Inbox, int]) -> None:
    assert send(inbound, customer_mail("Hello", "Hi", "<c1@example.com>"))[0] == 250
    with database.transaction(write=False) as s:
        ticket_id = s.scalar(select(Ticket.id))
    for body in ({"body": "check the warranty", "public": False},
                 {"body": "called: she is fine", "author": "customer"}):
        assert client.post(f"/api/v1/tickets/{ticket_id}/comments", json=body).status_code == 201
    r = client.post("/api/v1/tickets", json={"subject": "By phone", "channel": "phone"})
    assert r.status_code == 201
    assert client.post(f"/api/v1/tickets/{r.json()['id']}/comments",
                       json={"body": "noted"}).status_code == 201
    run_until_idle(database, settings)
    assert outside[0].messages == []


def test_bad_input_is_refused_and_mail_keeps_flowing(database: Database, settings: Settings,
                                                     inbound: int) -> None:
    huge = customer_mail("Big", ("x" * 70 + "\n") * (10 * 1024 * 1024 // 71),
                         "<big@example.com>")
    try:
        code, answer = send(inbound, huge)
    except smtplib.SMTPDataError as exc:
        code, answer = exc.smtp_code, exc.smtp_error
    assert code == 552 and b"too much mail data" in answer.lower(), answer

    code, answer = send(inbound, customer_mail("Anonymous", "who am I", "<x1@example.com>",
                                               sender=None))
    assert code == 554 and b"no From address" in answer
    kept = sorted((Path(settings.inbound_quarantine_dir)).glob("*.eml"))
    assert len(kept) == 1 and b"who am I" in kept[0].read_bytes()

    code, answer = send(inbound, customer_mail("x", "y", "<x2@example.com>"),
                        to="someone@else.example.com")
    assert code == 550 and DESK.encode() in answer

    assert send(inbound, customer_mail("Fine", "ok", "<ok@example.com>"))[0] == 250
    with database.transaction(write=False) as s:
        assert s.scalar(select(func.count()).select_from(Ticket)) == 1
        assert s.scalar(select(func.count()).select_from(EventRecord).where(
            EventRecord.type == "ticket.mail_quarantined")) == 1


def test_reply_job_without_smtp_dies_instead_of_retrying(database: Database,
                                                         settings: Settings,
                                                         client: TestClient,
                                                         inbound: int) -> None:
    assert send(inbound, customer_mail("Hello", "Hi", "<c1@example.com>"))[0] == 250
    with database.transaction(write=False) as s:
        ticket_id = s.scalar(select(Ticket.id))
    client.post(f"/api/v1/tickets/{ticket_id}/comments", json={"body": "hello"})
    run_until_idle(database, settings.model_copy(update={"smtp_host": ""}))
    with database.transaction(write=False) as s:
        job = s.scalar(select(Job).where(Job.kind == "event:tickets.email_reply",
                                         Job.status == "dead"))
        assert job is not None and "AMITY_SMTP_HOST" in (job.last_error or "")
