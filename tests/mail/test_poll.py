"""Polling real IMAP folders (dovecot on 127.0.0.1) into tickets and contact timelines, on
both databases: each message stored once, threads kept, the cursor and UIDVALIDITY honoured,
failures recorded on the mailbox."""

from __future__ import annotations

import socket
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import func, select, update

from amity.activities.models import Interaction
from amity.config import Settings
from amity.core.clock import now, set_clock
from amity.core.db import Database
from amity.jobs import queue
from amity.jobs.mail import POLL_ALL
from amity.jobs.models import Job
from amity.jobs.worker import run_until_idle
from amity.mail.models import Mailbox
from amity.tickets.models import Ticket, TicketComment
from tests.factories import make_contact
from tests.mail.conftest import Imap, add_mailbox, email

CUSTOMER = "margaret@example.com"


def poll(client: TestClient, database: Database, settings: Settings,
         mailbox: dict[str, Any]) -> Mailbox:
    r = client.post(f"/api/v1/mailboxes/{mailbox['id']}/poll")
    assert r.status_code == 202, r.text
    run_until_idle(database, settings)
    with database.transaction(write=False) as s:
        m = s.get(Mailbox, uuid.UUID(mailbox["id"]))
        assert m is not None
        return m


def tickets(database: Database) -> list[tuple[str, list[str]]]:
    """(subject, [comment bodies]) of every ticket, oldest first."""
    with database.transaction(write=False) as s:
        out = []
        for t in s.scalars(select(Ticket).order_by(Ticket.number)):
            bodies = s.scalars(select(TicketComment.body).where(TicketComment.ticket_id == t.id,
                                                                 TicketComment.author_kind
                                                                 == "customer")
                               .order_by(TicketComment.created_at))
            out.append((t.subject, [b.strip() for b in bodies]))
        return out


def test_messages_become_tickets_and_threaded_comments_once(
        client: TestClient, database: Database, settings: Settings,
        imap_server: Imap) -> None:
    folder = imap_server.new_folder()
    first = email(CUSTOMER, "help@desk.example.com", "Oven broken", "It does not heat.")
    imap_server.append(folder, first)
    mailbox = add_mailbox(client, imap_server, folder, "tickets")
    m = poll(client, database, settings, mailbox)
    assert tickets(database) == [("Oven broken", ["It does not heat."])]
    assert (m.last_uid, m.stored_count, m.last_error) == (1, 1, None)
    assert m.uid_validity == imap_server.uid_validity(folder)
    assert m.last_polled_at is not None
    with database.transaction(write=False) as s:
        ref = s.scalars(select(Ticket)).one().reference

    # threading by the subject tag, and by In-Reply-To alone
    imap_server.append(
        folder,
        email(CUSTOMER, "help@desk.example.com", f"Re: [#{ref}] Oven broken", "Still cold."),
        email(CUSTOMER, "help@desk.example.com", "About my oven", "Photo coming.",
              in_reply_to=str(first["Message-ID"])))
    poll(client, database, settings, mailbox)
    poll(client, database, settings, mailbox)  # nothing new: nothing stored twice
    assert tickets(database) == [("Oven broken",
                                  ["It does not heat.", "Still cold.", "Photo coming."])]

    # a message appended between polls is picked up
    imap_server.append(folder, email("ann@example.com", "help@desk.example.com", "Invoice",
                                     "Wrong amount."))
    m = poll(client, database, settings, mailbox)
    assert [t[0] for t in tickets(database)] == ["Oven broken", "Invoice"]
    assert (m.last_uid, m.stored_count) == (4, 4)


def test_refetching_after_a_lost_cursor_stores_nothing_twice(
        client: TestClient, database: Database, settings: Settings,
        imap_server: Imap) -> None:
    folder = imap_server.new_folder()
    imap_server.append(folder, email(CUSTOMER, "help@desk.example.com", "One", "1"),
                       email(CUSTOMER, "help@desk.example.com", "Two", "2"))
    mailbox = add_mailbox(client, imap_server, folder, "tickets")
    poll(client, database, settings, mailbox)
    # as if a crash had lost the cursor: every message is fetched again
    with database.transaction() as s:
        s.execute(update(Mailbox).values(last_uid=0))
    m = poll(client, database, settings, mailbox)
    assert [t[0] for t in tickets(database)] == ["One", "Two"]
    assert m.last_uid == 2 and m.stored_count == 2


def test_uidvalidity_change_starts_over_without_duplicates(
        client: TestClient, database: Database, settings: Settings,
        imap_server: Imap) -> None:
    folder = imap_server.new_folder()
    one = email(CUSTOMER, "help@desk.example.com", "One", "1")
    two = email(CUSTOMER, "help@desk.example.com", "Two", "2")
    imap_server.append(folder, one, two)
    mailbox = add_mailbox(client, imap_server, folder, "tickets")
    before = poll(client, database, settings, mailbox)
    # the folder is recreated: new UIDVALIDITY, the same messages under new UIDs, plus one
    imap_server.delete(folder)
    imap_server.create(folder)
    imap_server.append(folder, email(CUSTOMER, "help@desk.example.com", "Three", "3"), two, one)
    assert imap_server.uid_validity(folder) != before.uid_validity
    after = poll(client, database, settings, mailbox)
    assert [t[0] for t in tickets(database)] == ["One", "Two", "Three"]
    assert after.uid_validity == imap_server.uid_validity(folder)
    assert after.last_uid == 3 and after.stored_count == 3


def test_a_broken_message_is_quarantined_and_does_not_block(
        client: TestClient, database: Database, settings: Settings,
        imap_server: Imap) -> None:
    folder = imap_server.new_folder()
    imap_server.append(folder, b"Subject: no sender\r\nTo: help@desk.example.com\r\n\r\nHi\r\n",
                       email(CUSTOMER, "help@desk.example.com", "After", "still read"))
    mailbox = add_mailbox(client, imap_server, folder, "tickets")
    m = poll(client, database, settings, mailbox)
    assert [t[0] for t in tickets(database)] == ["After"]
    assert (m.last_uid, m.stored_count, m.quarantined_count) == (2, 1, 1)
    kept = list(Path(settings.inbound_quarantine_dir).glob("*.eml"))
    assert len(kept) == 1 and b"no sender" in kept[0].read_bytes()
    reason = kept[0].with_suffix(".txt").read_text()
    assert "UID 1" in reason and "no From" in reason


def test_wrong_password_records_the_error_and_stores_nothing(
        client: TestClient, database: Database, settings: Settings,
        imap_server: Imap) -> None:
    folder = imap_server.new_folder()
    imap_server.append(folder, email(CUSTOMER, "help@desk.example.com", "Hello", "x"))
    mailbox = add_mailbox(client, imap_server, folder, "tickets", password="wrong")
    check = client.post(f"/api/v1/mailboxes/{mailbox['id']}/test").json()
    assert check["ok"] is False and "login refused" in check["error"]
    m = poll(client, database, settings, mailbox)
    assert tickets(database) == []
    assert m.last_error is not None and "login refused" in m.last_error
    assert m.failures == 1 and m.next_poll_at is not None and m.last_uid == 0
    with database.transaction(write=False) as s:
        job = s.scalars(select(Job).where(Job.kind == "mail.poll")).one()
        assert job.status == "failed" and job.attempts == 1  # retried later, with backoff
    # the right password: the next poll works and clears the error
    r = client.patch(f"/api/v1/mailboxes/{mailbox['id']}", json={"password": "imap-secret-1"})
    assert r.status_code == 200 and r.json()["failures"] == 0
    assert client.post(f"/api/v1/mailboxes/{mailbox['id']}/test").json()["ok"] is True
    with database.transaction() as s:  # the failed job is not due yet: poll now
        s.execute(update(Job).values(run_at=Job.created_at))
    m = poll(client, database, settings, mailbox)
    assert [t[0] for t in tickets(database)] == ["Hello"]
    assert m.last_error is None and m.failures == 0


def test_unreachable_server_is_an_error_on_the_mailbox(
        client: TestClient, database: Database, settings: Settings,
        imap_server: Imap) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed = probe.getsockname()[1]
    mailbox = add_mailbox(client, imap_server, "INBOX", "tickets", port=closed)
    m = poll(client, database, settings, mailbox)
    assert m.last_error is not None and "cannot connect" in m.last_error


def test_timeline_logs_mail_of_known_contacts_threaded(
        client: TestClient, database: Database, settings: Settings,
        imap_server: Imap) -> None:
    ann = make_contact(client, first_name="Ann", emails=[{"email": "ann@example.com"}])
    bob = make_contact(client, first_name="Bob", emails=[{"email": "bob@example.com"}])
    folder = imap_server.new_folder()
    question = email("Ann <ann@example.com>", "admin@example.com", "Quote?", "How much?",
                     cc="bob@example.com, someone@else.example")
    answer = email("admin@example.com", "ann@example.com", "Re: Quote?", "100 EUR",
                   in_reply_to=str(question["Message-ID"]),
                   references=str(question["Message-ID"]))
    stranger = email("x@nowhere.example", "y@nowhere.example", "Spam", "buy")
    imap_server.append(folder, question, stranger, answer)
    mailbox = add_mailbox(client, imap_server, folder, "timeline")
    m = poll(client, database, settings, mailbox)
    assert (m.stored_count, m.skipped_count, m.last_uid) == (2, 1, 3)
    poll(client, database, settings, mailbox)
    with database.transaction(write=False) as s:
        rows = list(s.scalars(select(Interaction).where(Interaction.external_source == "imap")
                              .order_by(Interaction.subject)))
        assert [(i.subject, i.channel, i.direction) for i in rows] == [
            ("Quote?", "email", "inbound"), ("Re: Quote?", "email", "outbound")]
        q, a = rows
        assert q.external_id == str(question["Message-ID"])
        assert q.message_id == str(question["Message-ID"])
        assert a.in_reply_to == q.message_id and a.thread_key == q.thread_key == q.message_id
        assert {(str(p.contact_id), p.role) for p in q.participants if p.contact_id} == {
            (ann["id"], "from"), (bob["id"], "cc")}
        assert any(p.user_id is not None and p.role == "to" for p in q.participants)
        assert {str(p.contact_id) for p in a.participants if p.contact_id} == {ann["id"]}
        assert a.owner_id is not None
        assert q.occurred_at.year == 2026 and q.occurred_at.month == 3
        total = s.scalar(select(func.count()).select_from(Interaction))
        assert total == 2
    timeline = client.get(f"/api/v1/contacts/{bob['id']}/timeline").json()["items"]
    assert [i["title"] for i in timeline if i["kind"] == "interaction"] == ["Quote?"]


def test_scheduler_queues_one_poll_per_enabled_mailbox_not_backing_off(
        client: TestClient, database: Database, settings: Settings,
        imap_server: Imap) -> None:
    a = add_mailbox(client, imap_server, imap_server.new_folder(), "tickets")
    b = add_mailbox(client, imap_server, imap_server.new_folder(), "timeline",
                    enabled=False)
    c = add_mailbox(client, imap_server, imap_server.new_folder(), "timeline")
    with database.transaction() as s:
        s.execute(update(Mailbox).where(Mailbox.id == uuid.UUID(c["id"]))
                  .values(failures=3, next_poll_at=now() + timedelta(hours=1)))
    at = now().replace(second=5)
    set_clock(lambda: at)
    try:
        for _ in range(2):  # the same minute twice: one poll each
            with database.transaction() as s:
                queue.enqueue(s, POLL_ALL, {})
            run_until_idle(database, settings)
    finally:
        set_clock(None)
    with database.transaction(write=False) as s:
        polls = [j.payload["mailbox_id"] for j in s.scalars(select(Job)
                                                             .where(Job.kind == "mail.poll"))]
    assert polls == [a["id"]]
    assert b["id"] not in polls
