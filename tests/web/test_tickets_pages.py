"""The ticket screens through the web routes: queues with counts, filters, sort and pages,
the new ticket form, the ticket page (conversation, attachments, changes with the version,
resolve), the contact page's Tickets panel, who sees what, escaping and query counts."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from amity.auth import service as auth
from amity.auth.models import Team, User
from amity.config import Settings
from amity.contacts.models import Contact
from amity.contacts.schemas import ContactCreate
from amity.contacts.service import create_contact
from amity.core.clock import now
from amity.core.db import Database
from amity.tickets import service
from amity.tickets.models import SlaPolicy, Ticket, TicketAttachment, TicketComment
from amity.tickets.schemas import CommentCreate, TicketCreate, TicketUpdate
from tests.web.conftest import PASSWORD, page_csrf, sign_in

HTMX = {"HX-Request": "true"}


@pytest.fixture
def settings(database: Database, tmp_path: Path) -> Settings:
    return Settings(environment="test", database_url=str(database.engine.url),
                    secret_key="test-secret-key-that-is-long-enough-0123456789",
                    default_region="US", attachment_dir=tmp_path / "attachments",
                    attachment_max_bytes=64 * 1024)


def person(database: Database, owner_id: uuid.UUID, first: str, last: str,
           email: str | None = None) -> uuid.UUID:
    with database.transaction() as s:
        actor = s.get(User, owner_id)
        assert actor is not None
        emails = [{"email": email}] if email else []
        c = create_contact(s, data=ContactCreate.model_validate(
            {"first_name": first, "last_name": last, "emails": emails}), actor=actor,
            region="US")
        return c.id


def ticket(database: Database, actor_id: uuid.UUID, subject: str, **fields: Any) -> Ticket:
    with database.transaction() as s:
        actor = s.get(User, actor_id)
        assert actor is not None
        t = service.create_ticket(s, data=TicketCreate(subject=subject, **fields), actor=actor)
        s.flush()
        s.expunge(t)
        return t


def read(database: Database, ticket_id: uuid.UUID) -> Ticket:
    with database.transaction() as s:
        t = s.get(Ticket, ticket_id)
        assert t is not None
        s.expunge(t)
        return t


def sla_policy(database: Database, priority: str = "normal") -> None:
    with database.transaction() as s:
        s.add(SlaPolicy(name=f"Std {priority}", priority=priority, first_response_minutes=60,
                        resolution_minutes=480, warning_percent=80, position=0, active=True))


def user_with(database: Database, email: str, role: str, team: str | None = None) -> User:
    with database.transaction() as s:
        u = auth.create_user(s, email=email, name=email.split("@")[0].title(),
                             password=PASSWORD, role=role)
        if team:
            s.add(Team(name=team, members=[u]))
        s.flush()
        s.expunge(u)
        return u


@pytest.fixture
def world(database: Database, web_user: User) -> Iterator[dict[str, Any]]:
    ada = person(database, web_user.id, "Ada", "Lovelace", "ada@example.com")
    yield {"ada": ada, "me": web_user.id}


def test_queue_views_counts_filters_sort_and_pages(signed_in: TestClient, web_user: User,
                                                   database: Database, world: dict[str, Any],
                                                   settings: Settings) -> None:
    sla_policy(database)
    mine = ticket(database, web_user.id, "Oven broken", contact_id=world["ada"],
                  assignee_id=web_user.id, priority="normal")
    urgent = ticket(database, web_user.id, "Shop on fire", priority="urgent")
    late = ticket(database, web_user.id, "Late delivery", contact_id=world["ada"])
    waiting = ticket(database, web_user.id, "Waiting on photos")
    done = ticket(database, web_user.id, "Old question")
    with database.transaction() as s:
        lt = s.get(Ticket, late.id)
        assert lt is not None
        lt.first_response_due_at = lt.sla_due_at = now() - timedelta(minutes=5)
        lt.first_response_breached_at = lt.sla_breached_at = now() - timedelta(minutes=5)
        actor = s.get(User, web_user.id)
        assert actor is not None
        for tid, status in ((waiting.id, "pending_customer"), (done.id, "resolved")):
            t = s.get(Ticket, tid)
            assert t is not None
            service.update_ticket(s, ticket=t, data=TicketUpdate(status=status), actor=actor)

    r = signed_in.get("/tickets")
    assert r.status_code == 200, r.text
    assert 'href="/tickets" aria-current="page"' in r.text  # the nav entry

    def count(view: str) -> int:
        m = re.search(rf'data-view="{view}">[^<]*<span class="count" data-count>(\d+)<', r.text)
        assert m, view
        return int(m.group(1))

    assert (count("open"), count("mine"), count("unassigned"), count("breached"),
            count("pending"), count("all")) == (4, 1, 3, 1, 1, 5)
    rows = re.findall(r'<tr class="tk-row" data-ref="(T-\d+)"', r.text)
    assert rows == [waiting.reference, late.reference, urgent.reference, mine.reference]
    assert done.reference not in rows
    # SLA badges: breached, paused, running (due in ...), none for the urgent (no policy)
    row = {ref: r.text.split(f'data-ref="{ref}"')[1].split("</tr>")[0] for ref in rows}
    assert 'data-sla="breached"' in row[late.reference]
    assert 'data-sla="paused"' in row[waiting.reference]
    assert 'data-sla="ok"' in row[mine.reference]
    assert re.search(r"Due in (59 min|1 h 0 min)", row[mine.reference])
    assert "data-sla" not in row[urgent.reference]
    assert "Ada Lovelace" in row[mine.reference]

    def refs(url: str, **headers: str) -> list[str]:
        resp = signed_in.get(url, headers=headers)
        assert resp.status_code == 200, resp.text
        return re.findall(r'data-ref="(T-\d+)"', resp.text)

    assert refs("/tickets?view=mine") == [mine.reference]
    assert refs("/tickets?view=breached") == [late.reference]
    assert refs("/tickets?view=pending") == [waiting.reference]
    assert refs("/tickets?view=all&sort=number") == [mine.reference, urgent.reference,
                                                      late.reference, waiting.reference,
                                                      done.reference]
    assert refs("/tickets?priority=urgent") == [urgent.reference]
    assert refs("/tickets?assignee=none&sort=number") == [urgent.reference, late.reference,
                                                         waiting.reference]
    assert refs(f"/tickets?assignee={web_user.id}") == [mine.reference]
    assert refs("/tickets?view=all&status=resolved") == [done.reference]
    assert refs("/tickets?q=fire") == [urgent.reference]
    assert refs(f"/tickets?q={late.reference}") == [late.reference]
    # the filter form asks HTMX for the results alone
    frag = signed_in.get("/tickets?priority=urgent", headers=HTMX)
    assert frag.text.lstrip().startswith('<div id="ticket-results">')
    assert "<html" not in frag.text
    # bad input is a 4xx page, not a 500
    assert signed_in.get("/tickets?priority=extreme").status_code == 422
    assert signed_in.get("/tickets?assignee=nobody-at-all").status_code == 422
    assert signed_in.get("/tickets?sort=subject").status_code == 422
    assert signed_in.get("/tickets?cursor=garbage").status_code in (400, 422)

    # keyset pages of two
    settings.page_size_default = 2
    first = signed_in.get("/tickets?view=all&sort=number")
    got = re.findall(r'data-ref="(T-\d+)"', first.text)
    assert got == [mine.reference, urgent.reference]
    nxt = re.search(r'<a href="([^"]+)" rel="next">', first.text)
    assert nxt
    second = signed_in.get(nxt.group(1).replace("&amp;", "&"))
    assert second.status_code == 200, (nxt.group(1), second.text[-800:])
    assert re.findall(r'data-ref="(T-\d+)"', second.text) == [late.reference,
                                                                waiting.reference]


def test_new_ticket_form_with_contact_picker_and_inline_errors(
        signed_in: TestClient, web_user: User, database: Database,
        world: dict[str, Any]) -> None:
    r = signed_in.get(f"/tickets/new?contact_id={world['ada']}")
    assert r.status_code == 200
    assert f'value="{world["ada"]}" checked' in r.text and "Ada Lovelace" in r.text
    opts = signed_in.get("/tickets/contact-options?contact_q=lovel", headers=HTMX)
    assert opts.status_code == 200 and f'value="{world["ada"]}"' in opts.text
    assert "No contact matches" in signed_in.get(
        "/tickets/contact-options?contact_q=zzzzqqq", headers=HTMX).text
    token = page_csrf(signed_in, "/tickets/new")
    bad = signed_in.post("/tickets", data={"csrf_token": token, "subject": "  ",
                                           "priority": "extreme", "channel": "phone",
                                           "contact_id": str(world["ada"]),
                                           "description": "kept"})
    assert bad.status_code == 422
    assert 'id="subject-error"' in bad.text and 'id="priority-error"' in bad.text
    assert ">kept</textarea>" in bad.text  # what was typed is kept
    unknown = signed_in.post("/tickets", data={"csrf_token": token, "subject": "Hello",
                                               "contact_id": str(uuid.uuid4())})
    assert unknown.status_code == 422 and 'id="contact_id-error"' in unknown.text
    with database.transaction() as s:
        assert s.scalar(select(func.count()).select_from(Ticket)) == 0
    ok = signed_in.post("/tickets", data={"csrf_token": token, "subject": "Cake collapsed",
                                          "description": "It sank", "priority": "high",
                                          "channel": "phone", "category": "Quality",
                                          "contact_id": str(world["ada"])})
    assert ok.status_code == 303 and ok.headers["location"] == "/tickets/T-1001"
    with database.transaction() as s:
        t = s.scalar(select(Ticket))
        assert t is not None
        assert (t.subject, t.priority, t.channel, t.category, t.contact_id, t.owner_id) == (
            "Cake collapsed", "high", "phone", "Quality", world["ada"], web_user.id)
    # without CSRF nothing is made
    r = signed_in.post("/tickets", data={"subject": "No token"})
    assert r.status_code == 403


def test_ticket_page_conversation_attachments_and_customer(
        signed_in: TestClient, web_user: User, database: Database, world: dict[str, Any],
        settings: Settings) -> None:
    t = ticket(database, web_user.id, "Mixer noisy", contact_id=world["ada"],
               description="It rattles")
    other = ticket(database, web_user.id, "Earlier issue", contact_id=world["ada"])
    r = signed_in.get(f"/tickets/{t.reference}")
    assert r.status_code == 200, r.text
    assert "Mixer noisy" in r.text and "It rattles" in r.text
    assert f'href="/contacts/{world["ada"]}"' in r.text
    assert other.reference in r.text.split('id="others-h"')[1]
    assert "Lifetime spend" in r.text
    assert signed_in.get(f"/tickets/{t.id}").status_code == 200
    assert signed_in.get(f"/tickets/{t.reference.lower()}").status_code == 200
    assert signed_in.get("/tickets/T-999999").status_code == 404
    assert signed_in.get("/tickets/nonsense").status_code == 404

    token = page_csrf(signed_in, f"/tickets/{t.reference}")
    reply = signed_in.post(f"/tickets/{t.reference}/comments",
                           data={"csrf_token": token, "kind": "reply",
                                 "body": "We will send a technician"},
                           files={"file": ("notes.txt", b"serial 42\n", "text/plain")})
    assert reply.status_code == 303, reply.text
    note = signed_in.post(f"/tickets/{t.reference}/comments",
                          data={"csrf_token": token, "kind": "note",
                                "body": "Customer sounds upset"})
    assert note.status_code == 303
    empty = signed_in.post(f"/tickets/{t.reference}/comments",
                           data={"csrf_token": token, "kind": "note", "body": "  "})
    assert empty.status_code == 422 and "Write a reply or a note first" in empty.text
    wrong = signed_in.post(f"/tickets/{t.reference}/comments",
                           data={"csrf_token": token, "kind": "reply", "body": "see file"},
                           files={"file": ("evil.pdf", b"MZ\x90\x00binary", "application/pdf")})
    assert wrong.status_code == 422
    big = signed_in.post(f"/tickets/{t.reference}/comments",
                         data={"csrf_token": token, "kind": "reply", "body": "too big"},
                         files={"file": ("big.txt", b"a" * (settings.attachment_max_bytes
                                                          + 128 * 1024), "text/plain")})
    assert big.status_code == 413
    with database.transaction() as s:
        comments = list(s.scalars(select(TicketComment).order_by(TicketComment.created_at)))
        assert [(c.public, c.body) for c in comments] == [
            (True, "We will send a technician"), (False, "Customer sounds upset")]
        att = s.scalar(select(TicketAttachment))
        assert att is not None and att.filename == "notes.txt"
        att_id = att.id
    assert read(database, t.id).status == "open"  # the first public reply opens it
    page = signed_in.get(f"/tickets/{t.reference}").text
    assert re.search(r'class="tk-msg tk-msg-reply" data-kind="reply"', page)
    assert re.search(r'class="tk-msg tk-msg-note" data-kind="note"', page)
    assert "Internal note" in page
    link = f"/tickets/{t.reference}/attachments/{att_id}"
    assert link in page
    dl = signed_in.get(link)
    assert dl.status_code == 200 and dl.content == b"serial 42\n"
    assert dl.headers["content-disposition"].startswith("attachment")
    assert dl.headers["x-content-type-options"] == "nosniff"
    assert signed_in.get(f"/tickets/{other.reference}/attachments/{att_id}").status_code == 404


def test_changes_use_the_version_and_a_conflict_is_shown(
        signed_in: TestClient, web_user: User, database: Database,
        world: dict[str, Any]) -> None:
    t = ticket(database, web_user.id, "Fridge warm", contact_id=world["ada"])
    token = page_csrf(signed_in, f"/tickets/{t.reference}")
    r = signed_in.post(f"/tickets/{t.reference}/edit", headers=HTMX,
                       data={"csrf_token": token, "version": t.version, "status": "open",
                             "priority": "high", "assignee_id": str(web_user.id),
                             "team_id": ""})
    assert r.status_code == 200, r.text
    assert r.text.lstrip().startswith('<div id="ticket-head"') and "Saved." in r.text
    fresh = read(database, t.id)
    assert (fresh.status, fresh.priority, fresh.assignee_id) == ("open", "high", web_user.id)
    assert f'name="version" value="{fresh.version}"' in r.text
    # someone else saves meanwhile: the stale form is refused, shown, nothing written
    stale = signed_in.post(f"/tickets/{t.reference}/edit", headers=HTMX,
                           data={"csrf_token": token, "version": t.version,
                                 "status": "on_hold", "priority": "low", "assignee_id": "",
                                 "team_id": ""})
    assert stale.status_code == 412
    assert "Someone else changed this ticket" in stale.text
    again = read(database, t.id)
    assert (again.status, again.priority, again.version) == ("open", "high", fresh.version)
    # a status the ticket cannot move to is a 422 by the field
    with database.transaction() as s:
        actor = s.get(User, web_user.id)
        tt = s.get(Ticket, t.id)
        assert actor is not None and tt is not None
        service.update_ticket(s, ticket=tt, data=TicketUpdate(status="closed"), actor=actor)
    closed = read(database, t.id)
    bad = signed_in.post(f"/tickets/{t.reference}/edit", headers=HTMX,
                         data={"csrf_token": token, "version": closed.version,
                               "status": "open", "priority": "high",
                               "assignee_id": str(web_user.id), "team_id": ""})
    assert bad.status_code == 422 and "A closed ticket cannot become open" in bad.text
    assert read(database, t.id).status == "closed"
    junk = signed_in.post(f"/tickets/{t.reference}/edit",
                          data={"csrf_token": token, "version": "x"})
    assert junk.status_code == 422


def test_resolve_with_notes(signed_in: TestClient, web_user: User, database: Database,
                            world: dict[str, Any]) -> None:
    t = ticket(database, web_user.id, "Wrong size", contact_id=world["ada"])
    token = page_csrf(signed_in, f"/tickets/{t.reference}")
    r = signed_in.post(f"/tickets/{t.reference}/resolve", headers=HTMX,
                       data={"csrf_token": token, "version": t.version,
                             "resolution_notes": " "})
    assert r.status_code == 422 and 'id="resolution_notes-error"' in r.text
    assert read(database, t.id).status == "new"
    r = signed_in.post(f"/tickets/{t.reference}/resolve",
                       data={"csrf_token": token, "version": t.version,
                             "resolution_notes": "Exchanged for a larger one"})
    assert r.status_code == 303
    done = read(database, t.id)
    assert (done.status, done.resolution_notes) == ("resolved", "Exchanged for a larger one")
    page = signed_in.get(f"/tickets/{t.reference}").text
    assert "Exchanged for a larger one" in page and "Resolve ticket" not in page


def test_contact_page_tickets_panel(signed_in: TestClient, web_user: User, database: Database,
                                    world: dict[str, Any]) -> None:
    open_t = ticket(database, web_user.id, "Still broken", contact_id=world["ada"])
    old = ticket(database, web_user.id, "Fixed long ago", contact_id=world["ada"])
    with database.transaction() as s:
        actor = s.get(User, web_user.id)
        o = s.get(Ticket, old.id)
        assert actor is not None and o is not None
        o.created_at = now() - timedelta(hours=5)
        service.update_ticket(s, ticket=o, data=TicketUpdate(status="resolved",
                                                             resolution_notes="ok"),
                              actor=actor)
        o.satisfaction_score = 4
        from amity.tickets.models import ContactSatisfaction
        s.add(ContactSatisfaction(contact_id=world["ada"], responses=2, score_total=9))
    page = signed_in.get(f"/contacts/{world['ada']}")
    assert f'hx-get="/contacts/{world["ada"]}/tickets-panel"' in page.text
    r = signed_in.get(f"/contacts/{world['ada']}/tickets-panel", headers=HTMX)
    assert r.status_code == 200, r.text
    open_list = r.text.split('data-list="open"')[1].split("</ul>")[0]
    history = r.text.split('data-list="history"')[1].split("</ul>")[0]
    assert open_t.reference in open_list and old.reference not in open_list
    assert old.reference in history and "rated 4/5" in history
    assert "1 open · 2 in all" in r.text
    assert re.search(r'data-stat="satisfaction">4\.5\d*/5', r.text)
    assert re.search(r'data-stat="resolve">(4|5) h', r.text)
    assert f"/tickets/new?contact_id={world['ada']}" in r.text
    assert signed_in.get(f"/contacts/{uuid.uuid4()}/tickets-panel").status_code == 404


def test_user_text_is_escaped(signed_in: TestClient, web_user: User, database: Database,
                              world: dict[str, Any]) -> None:
    evil = '<script>alert(1)</script><img src=x onerror="alert(2)">'
    t = ticket(database, web_user.id, evil, description=evil, contact_id=world["ada"])
    with database.transaction() as s:
        actor = s.get(User, web_user.id)
        tt = s.get(Ticket, t.id)
        assert actor is not None and tt is not None
        service.add_comment(s, ticket=tt, data=CommentCreate(body=evil, public=False),
                            actor=actor)
        service.add_comment(s, ticket=tt, data=CommentCreate(body=evil), actor=actor)
    for url in ("/tickets", f"/tickets/{t.reference}", f"/contacts/{world['ada']}/tickets-panel"):
        html = signed_in.get(url).text
        assert "<script>alert" not in html and "<img src=x" not in html, url
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html, url
    page = signed_in.get(f"/tickets/{t.reference}").text
    assert page.count("&lt;img src=x onerror=&#34;alert(2)&#34;&gt;") >= 4  # title, desc, 2


def test_who_sees_what(web: TestClient, database: Database, web_user: User,
                       world: dict[str, Any]) -> None:
    rep = user_with(database, "rita@example.com", "sales_rep", "North")
    agent = user_with(database, "alex@example.com", "support_agent")
    with database.transaction() as s:
        actor = s.get(User, web_user.id)
        assert actor is not None
        from amity.auth.roles import create_role
        role = create_role(s, name="No service", description=None,
                           permissions={"contacts": {"view": "all"}}, actor=actor)
        nobody = auth.create_user(s, email="nora@example.com", name="Nora",
                                  password=PASSWORD)
        nobody.role_id = role.id
    theirs = ticket(database, web_user.id, "Someone else's ticket")
    with database.transaction() as s:
        t = s.get(Ticket, theirs.id)
        assert t is not None
        t.owner_id = agent.id  # owned outside Rita's team
    team_ticket = ticket(database, web_user.id, "Team ticket")
    with database.transaction() as s:
        t = s.get(Ticket, team_ticket.id)
        assert t is not None
        t.owner_id = rep.id

    assert sign_in(web, rep.email).status_code == 303
    r = web.get("/tickets")
    assert r.status_code == 200
    assert team_ticket.reference in r.text and theirs.reference not in r.text
    assert web.get(f"/tickets/{theirs.reference}").status_code == 404
    assert web.get(f"/tickets/{team_ticket.reference}").status_code == 200
    assert web.get("/tickets/new").status_code == 403
    token = page_csrf(web, "/tickets")
    r = web.post(f"/tickets/{team_ticket.reference}/edit",
                 data={"csrf_token": token, "version": 1, "status": "open"})
    assert r.status_code == 403
    r = web.post(f"/tickets/{team_ticket.reference}/comments",
                 data={"csrf_token": token, "body": "hi"})
    assert r.status_code == 403
    assert read(database, team_ticket.id).status == "new"
    with database.transaction() as s:
        assert s.scalar(select(func.count()).select_from(TicketComment)) == 0
    web.post("/logout", data={"csrf_token": token})

    web.cookies.clear()
    assert sign_in(web, "nora@example.com").status_code == 303
    r = web.get("/contacts")
    assert 'href="/tickets"' not in r.text  # no nav entry without ticket access
    assert web.get("/tickets").status_code == 403
    assert web.get(f"/tickets/{team_ticket.reference}").status_code in (403, 404)
    contact = web.get(f"/contacts/{world['ada']}")
    assert contact.status_code == 200 and "tickets-panel" not in contact.text
    assert web.get(f"/contacts/{world['ada']}/tickets-panel").status_code == 403


def test_queue_page_runs_a_fixed_number_of_queries(signed_in: TestClient, web_user: User,
                                                   database: Database, world: dict[str, Any],
                                                   queries: Any) -> None:
    with database.transaction() as s:
        s.add(Team(name="Desk", members=[s.get(User, web_user.id)]))
    with database.transaction() as s:
        desk = s.scalar(select(Team.id))
    ticket(database, web_user.id, "First", contact_id=world["ada"], team_id=desk,
           assignee_id=web_user.id)
    signed_in.get("/tickets")  # the session's first request loads what it caches
    queries.reset()
    assert signed_in.get("/tickets").status_code == 200
    few = queries.count
    others = [person(database, web_user.id, f"P{i}", "Customer") for i in range(4)]
    for i in range(12):
        ticket(database, web_user.id, f"Ticket {i}", contact_id=others[i % 4], team_id=desk,
               assignee_id=web_user.id if i % 2 else None,
               priority=("low", "normal", "high", "urgent")[i % 4])
    queries.reset()
    r = signed_in.get("/tickets")
    assert r.status_code == 200
    assert len(re.findall(r'class="tk-row"', r.text)) == 13
    assert queries.count == few, queries.statements
    with database.transaction() as s:
        assert s.scalar(select(func.count()).select_from(Contact)) == 5


def test_ticket_page_runs_a_fixed_number_of_queries(signed_in: TestClient, web_user: User,
                                                    database: Database, world: dict[str, Any],
                                                    settings: Settings, queries: Any) -> None:
    import io

    from amity.api.v1.tickets import attachment_store
    from amity.tickets.attachments import add_attachment

    t = ticket(database, web_user.id, "Counted", contact_id=world["ada"])
    ticket(database, web_user.id, "Another of hers", contact_id=world["ada"])

    def comment(n: int) -> None:
        with database.transaction() as s:
            actor = s.get(User, web_user.id)
            tt = s.get(Ticket, t.id)
            assert actor is not None and tt is not None
            c = service.add_comment(s, ticket=tt, data=CommentCreate(
                body=f"Comment {n}", public=n % 2 == 0), actor=actor)
            add_attachment(s, ticket=tt, comment=c, filename=f"f{n}.txt",
                           content_type="text/plain", stream=io.BytesIO(f"file {n}".encode()),
                           store=attachment_store(settings), actor=actor)

    comment(0)
    url = f"/tickets/{t.reference}"
    signed_in.get(url)
    queries.reset()
    assert signed_in.get(url).status_code == 200
    few = queries.count
    for n in range(1, 9):
        comment(n)
    ticket(database, web_user.id, "Third of hers", contact_id=world["ada"])
    queries.reset()
    page = signed_in.get(url)
    assert page.status_code == 200 and page.text.count('class="tk-msg tk-msg-') == 9
    assert queries.count == few, queries.statements
