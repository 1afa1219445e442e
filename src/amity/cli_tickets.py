"""``amity tickets list|show|assign``: the service desk from a terminal.

The command line has no signed-in user: changes are recorded in the audit log as made by
``--by`` (an email), or by the longest-serving active administrator.
"""

from __future__ import annotations

import re
import uuid
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from amity.auth.models import User
    from amity.core.db import Database
    from amity.tickets.models import Ticket

# Services, models and SQLAlchemy are imported inside the commands: `amity --help` and every
# other command stay fast (docs/architecture.md, "The command line starts fast").

tickets_app = typer.Typer(help="Support tickets: list, show, assign.", no_args_is_help=True)
console = Console()
err = Console(stderr=True)
_REF = re.compile(r"^#?(?:t-?)?(\d{1,18})$", re.IGNORECASE)


def _database() -> Database:
    import amity.models  # noqa: F401  (every model: relationships and foreign keys resolve)
    from amity.config import get_settings
    from amity.core.db import Database, make_engine

    s = get_settings()
    return Database(make_engine(s.database_url, pool_size=2, max_overflow=2,
                                busy_timeout_ms=s.sqlite_busy_timeout_ms))


def _fail(message: str) -> typer.Exit:
    err.print(f"[red]{message}[/]")
    return typer.Exit(2)


def _user(s: Session, email: str | None) -> User:
    from sqlalchemy import func, select

    from amity.auth.models import User

    if email:
        user = s.scalar(select(User).where(func.lower(User.email) == email.strip().lower()))
    else:
        user = s.scalar(select(User).where(User.is_admin.is_(True), User.is_active.is_(True))
                        .order_by(User.created_at).limit(1))
    if user is None or not user.is_active:
        raise _fail(f"No active user {email}" if email else "No active administrator: "
                    "use --by EMAIL")
    return user


def _ticket(s: Session, ref: str) -> Ticket:
    from sqlalchemy import select

    from amity.tickets.models import Ticket

    match = _REF.match(ref.strip())
    if match:
        found = s.scalar(select(Ticket).where(Ticket.number == int(match.group(1))))
    else:
        try:
            found = s.get(Ticket, uuid.UUID(ref))
        except ValueError:
            found = None
    if found is None or found.deleted_at is not None:
        raise _fail(f"No ticket {ref}")
    return found


def _emails(s: Session, ids: set[uuid.UUID | None]) -> dict[uuid.UUID, str]:
    from sqlalchemy import select

    from amity.auth.models import User

    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    rows = s.execute(select(User.id, User.email).where(User.id.in_(wanted)))
    return {row[0]: row[1] for row in rows}


@tickets_app.command("list")
def list_tickets(
    queue: Annotated[str | None, typer.Option(help="unassigned, breaching_soon or breached")]
    = None,
    status: Annotated[list[str] | None, typer.Option(help="Repeat for several")] = None,
    limit: Annotated[int, typer.Option(min=1, max=200)] = 50,
) -> None:
    """The newest tickets (or one queue's)."""
    from rich.table import Table
    from sqlalchemy import select

    from amity.core.clock import now
    from amity.core.errors import DomainError
    from amity.tickets import queries
    from amity.tickets.models import Ticket

    if queue is not None and queue not in ("unassigned", "breaching_soon", "breached"):
        raise _fail("--queue must be unassigned, breaching_soon or breached")
    with _database().transaction(write=False) as s:
        try:
            page = queries.list_tickets(
                s, select(Ticket), filters=queries.TicketFilters(status=status or [],
                                                                 queue=queue),
                user_id=uuid.uuid4(), at=now(), sort="-number", cursor=None, limit=limit)
        except DomainError as exc:
            raise _fail(exc.message) from exc
        emails = _emails(s, {t.assignee_id for t in page.items})
        table = Table("Ref", "Status", "Priority", "Subject", "Assignee", "Due (UTC)")
        for t in page.items:
            table.add_row(t.reference, t.status, t.priority, t.subject[:60],
                          emails.get(t.assignee_id, "") if t.assignee_id else "",
                          t.sla_due_at.strftime("%Y-%m-%d %H:%M") if t.sla_due_at else "")
        console.print(table)


@tickets_app.command("show")
def show(ref: Annotated[str, typer.Argument(help="T-1042, 1042 or the ticket's id")]) -> None:
    """One ticket and its conversation."""
    from sqlalchemy import select

    from amity.tickets.models import TicketComment

    with _database().transaction(write=False) as s:
        t = _ticket(s, ref)
        comments = list(s.scalars(select(TicketComment).where(TicketComment.ticket_id == t.id)
                                  .order_by(TicketComment.created_at, TicketComment.id)))
        emails = _emails(s, {t.assignee_id, *(c.author_id for c in comments)})
        console.print(f"[bold]{t.reference}[/] {t.subject}")
        console.print(f"status {t.status} · priority {t.priority} · channel {t.channel} · "
                      f"assignee {emails.get(t.assignee_id, '-') if t.assignee_id else '-'}")
        for name, due in (("first response", t.first_response_due_at),
                          ("resolution", t.resolution_due_at)):
            if due is not None:
                console.print(f"{name} due {due:%Y-%m-%d %H:%M} UTC")
        if t.description:
            console.print(t.description)
        for c in comments:
            who = "customer" if c.author_kind == "customer" else emails.get(c.author_id, "agent") \
                if c.author_id else "agent"
            note = " (internal)" if not c.public else ""
            console.print(f"--- {c.created_at:%Y-%m-%d %H:%M} {who}{note}", markup=False)
            console.print(c.body, markup=False)


@tickets_app.command("assign")
def assign(
    ref: Annotated[str, typer.Argument(help="T-1042, 1042 or the ticket's id")],
    to: Annotated[str | None, typer.Option("--to", help="The agent's email")] = None,
    team: Annotated[str | None, typer.Option(help="The team's name")] = None,
    auto: Annotated[bool, typer.Option("--auto", help="Let the team's routing choose")]
    = False,
    by: Annotated[str | None, typer.Option("--by", help="Who does it (email)")] = None,
) -> None:
    """Give a ticket to an agent, a team, or the team's next available agent."""
    from sqlalchemy import select

    from amity.auth.models import Team
    from amity.core.errors import DomainError
    from amity.tickets import service
    from amity.tickets.schemas import Assign

    if not (to or team or auto):
        raise _fail("Say --to EMAIL, --team NAME and/or --auto")
    with _database().transaction() as s:
        actor = _user(s, by)
        t = _ticket(s, ref)
        fields: dict[str, object] = {"auto": auto}
        if to:
            fields["assignee_id"] = _user(s, to).id
        if team:
            found = s.scalar(select(Team.id).where(Team.name == team))
            if found is None:
                raise _fail(f"No team {team}")
            fields["team_id"] = found
        try:
            service.assign_ticket(s, ticket=t, data=Assign.model_validate(fields), actor=actor)
        except DomainError as exc:
            raise _fail(exc.message) from exc
        assignee = _emails(s, {t.assignee_id}).get(t.assignee_id, "nobody") \
            if t.assignee_id else "nobody"
        console.print(f"{t.reference} is assigned to {assignee}")
