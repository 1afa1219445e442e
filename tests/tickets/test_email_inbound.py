"""Email to ticket: routing a received message (new ticket, threaded comment, duplicates,
contacts, bodies, attachments, unreadable input), on SQLite and PostgreSQL."""

from __future__ import annotations

from email.message import EmailMessage
from pathlib import Path

import pytest
from sqlalchemy import func, select

from amity.auth.models import User
from amity.contacts.models import Contact, ContactEmail
from amity.core.db import Database
from amity.core.events import EventRecord
from amity.tickets.attachments import AttachmentStore
from amity.tickets.inbound import (
    Delivery,
    Unreadable,
    html_to_text,
    parse,
    quarantine,
    receive_message,
)
from amity.tickets.models import Ticket, TicketAttachment, TicketComment
from tests.conftest import make_user

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def mail(*, subject: str = "Oven will not heat", body: str = "It stays cold since Monday.",
         sender: str = "Margaret Hale <margaret@example.com>",
         msgid: str | None = "<m1@example.com>",
         in_reply_to: str | None = None, html: str | None = None) -> EmailMessage:
    msg = EmailMessage()
    if sender:
        msg["From"] = sender
    msg["To"] = "support@desk.example.com"
    msg["Subject"] = subject
    if msgid:
        msg["Message-ID"] = msgid
    if in_reply_to:
        msg["In-Reply-To"] = in_reply_to
        msg["References"] = in_reply_to
    if html is not None:
        msg.set_content(html, subtype="html")
    else:
        msg.set_content(body)
    return msg


@pytest.fixture
def store(tmp_path: Path) -> AttachmentStore:
    return AttachmentStore(root=tmp_path / "files", max_bytes=64 * 1024,
                           allowed_types=("image/png", "application/pdf", "text/plain"))


@pytest.fixture
def actor(database: Database) -> User:
    return make_user(database, admin=True, email="desk@example.com")[0]


def deliver(database: Database, store: AttachmentStore, actor: User,
            msg: EmailMessage | bytes) -> Delivery:
    raw = msg if isinstance(msg, bytes) else msg.as_bytes()
    with database.transaction() as s:
        done = receive_message(s, raw=raw, store=store, actor=s.get(User, actor.id) or actor)
        s.expunge_all()
        return done


def counts(database: Database) -> tuple[int, int, int]:
    with database.transaction(write=False) as s:
        return (s.scalar(select(func.count()).select_from(Ticket)) or 0,
                s.scalar(select(func.count()).select_from(TicketComment)) or 0,
                s.scalar(select(func.count()).select_from(Contact)) or 0)


def test_new_message_opens_an_email_ticket_for_a_new_contact(database: Database,
                                                             store: AttachmentStore,
                                                             actor: User) -> None:
    done = deliver(database, store, actor, mail())
    assert done.outcome == "created"
    with database.transaction(write=False) as s:
        t = s.get(Ticket, done.ticket.id)
        assert t is not None
        assert (t.channel, t.subject, t.status) == ("email", "Oven will not heat", "new")
        assert t.description == "It stays cold since Monday."
        contact = s.get(Contact, t.contact_id)
        assert contact is not None
        assert (contact.first_name, contact.last_name, contact.source) == (
            "Margaret", "Hale", "email")
        assert s.scalar(select(ContactEmail.email).where(
            ContactEmail.contact_id == contact.id)) == "margaret@example.com"
        c = s.get(TicketComment, done.comment.id)
        assert c is not None
        assert (c.author_kind, c.public, c.contact_id, c.message_id) == (
            "customer", True, contact.id, "<m1@example.com>")


def test_replies_thread_by_subject_tag_and_by_in_reply_to(database: Database,
                                                          store: AttachmentStore,
                                                          actor: User) -> None:
    first = deliver(database, store, actor, mail())
    ref = first.ticket.reference
    by_tag = deliver(database, store, actor, mail(subject=f"Re: [#{ref}] Oven will not heat",
                                                  msgid="<m2@example.com>", body="Still cold."))
    by_header = deliver(database, store, actor, mail(subject="Re: something else",
                                                     msgid="<m3@example.com>",
                                                     in_reply_to="<m2@example.com>"))
    assert (by_tag.outcome, by_header.outcome) == ("commented", "commented")
    assert by_tag.ticket.id == by_header.ticket.id == first.ticket.id
    assert counts(database) == (1, 3, 1)
    with database.transaction(write=False) as s:
        c = s.get(TicketComment, by_header.comment.id)
        assert c is not None and c.in_reply_to == "<m2@example.com>"


def test_known_sender_is_linked_case_insensitively(database: Database, store: AttachmentStore,
                                                   actor: User, client: object) -> None:
    r = client.post("/api/v1/contacts", json={  # type: ignore[attr-defined]
        "first_name": "Peggy", "emails": [{"email": "margaret@example.com"}]})
    assert r.status_code == 201, r.text
    done = deliver(database, store, actor, mail(sender="MARGARET@Example.com"))
    assert str(done.ticket.contact_id) == r.json()["id"]
    assert counts(database)[2] == 1


def test_same_message_id_twice_is_a_no_op(database: Database, store: AttachmentStore,
                                          actor: User) -> None:
    first = deliver(database, store, actor, mail())
    again = deliver(database, store, actor, mail())
    assert again.outcome == "duplicate"
    assert (again.ticket.id, again.comment.id) == (first.ticket.id, first.comment.id)
    assert counts(database) == (1, 1, 1)


def test_reply_to_a_closed_ticket_opens_a_new_one(database: Database, store: AttachmentStore,
                                                  actor: User) -> None:
    first = deliver(database, store, actor, mail())
    with database.transaction() as s:
        t = s.get(Ticket, first.ticket.id)
        assert t is not None
        t.status = "closed"
    again = deliver(database, store, actor, mail(subject=f"Re: [#{first.ticket.reference}]",
                                                 msgid="<m2@example.com>"))
    assert again.outcome == "created" and again.ticket.id != first.ticket.id


def test_html_only_body_becomes_text(database: Database, store: AttachmentStore,
                                     actor: User) -> None:
    html = ("<html><head><style>p{color:red}</style></head><body><p>Hello&nbsp;team,</p>"
            "<ul><li>oven <b>cold</b></li><li>fan noisy</li></ul><script>x()</script></body>")
    done = deliver(database, store, actor, mail(html=html))
    with database.transaction(write=False) as s:
        c = s.get(TicketComment, done.comment.id)
        assert c is not None
        assert c.body == "Hello team,\n\n- oven cold\n\n- fan noisy"


def test_html_to_text_drops_tags_keeps_blocks() -> None:
    assert html_to_text("<div>a<br>b</div><p>c &amp; d</p>") == "a\nb\n\nc & d"


def test_disallowed_attachment_is_dropped_with_a_note(database: Database,
                                                      store: AttachmentStore,
                                                      actor: User) -> None:
    msg = mail()
    msg.add_attachment(PNG, maintype="image", subtype="png", filename="oven.png")
    msg.add_attachment(b"MZ\x90\x00binary", maintype="application", subtype="x-msdownload",
                       filename="fix.exe")
    msg.add_attachment(b"%PDF-1.4 but really a png?", maintype="image", subtype="png",
                       filename="fake.png")
    done = deliver(database, store, actor, msg)
    assert len(done.dropped) == 2
    with database.transaction(write=False) as s:
        kept = list(s.scalars(select(TicketAttachment)))
        assert [(a.filename, a.content_type, a.comment_id) for a in kept] == [
            ("oven.png", "image/png", done.comment.id)]
        note = s.scalar(select(TicketComment).where(TicketComment.public.is_(False)))
        assert note is not None and note.author_kind == "agent"
        assert "fix.exe" in note.body and "application/x-msdownload" in note.body
        assert "fake.png" in note.body and "not image/png" in note.body
    assert counts(database)[:2] == (1, 2)


@pytest.mark.parametrize(("raw", "reason"), [
    (mail(sender="").as_bytes(), "no From address"),
    (mail(sender="not an address").as_bytes(), "no From address"),
    (b"From: a@example.com\r\nSubject: x\r\nMIME-Version: 1.0\r\n"
     b"Content-Type: multipart/mixed; boundary=\"zz\"\r\n\r\nno parts at all\r\n",
     "MIME structure is broken"),
    (b"From: a@example.com\r\nSubject: x\r\nMIME-Version: 1.0\r\n"
     b"Content-Type: multipart/mixed\r\n\r\n--zz\r\n\r\nx\r\n--zz--\r\n",
     "MIME structure is broken"),
])
def test_unreadable_messages_change_nothing(database: Database, store: AttachmentStore,
                                            actor: User, raw: bytes, reason: str) -> None:
    with pytest.raises(Unreadable, match=reason):
        deliver(database, store, actor, raw)
    assert counts(database) == (0, 0, 0)


def test_parse_reads_threading_headers() -> None:
    raw = (b"From: \"Hale, M\" <m@example.com>\r\nSubject: =?utf-8?q?Caf=C3=A9?=\r\n"
           b"Message-ID: <a@x>\r\nIn-Reply-To: <b@x>\r\nReferences: <c@x> <b@x>\r\n\r\nhi\r\n")
    p = parse(raw)
    assert (p.sender, p.subject, p.message_id, p.in_reply_to) == ("m@example.com", "Caf\xe9",
                                                                  "<a@x>", "<b@x>")
    assert p.references[-1] == "<b@x>" and "<c@x>" in p.references


def test_quarantine_keeps_the_bytes_and_publishes_an_event(database: Database,
                                                           tmp_path: Path) -> None:
    with database.transaction() as s:
        path = quarantine(s, raw=b"garbage", reason="the message has no From address",
                          directory=tmp_path / "q")
    assert path.read_bytes() == b"garbage"
    assert path.with_suffix(".txt").read_text() == "the message has no From address\n"
    with database.transaction(write=False) as s:
        ev = s.scalar(select(EventRecord).where(EventRecord.type == "ticket.mail_quarantined"))
        assert ev is not None and ev.payload == {"file": path.name,
                                                 "reason": "the message has no From address"}
