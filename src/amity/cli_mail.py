"""``amity mailboxes list|poll NAME``: IMAP mailboxes from a terminal.

``poll`` reads the mailbox now, in this process, and prints what it stored (``--queue``
leaves it to a worker instead). Mailboxes are added and changed in Settings or the API.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console

if TYPE_CHECKING:
    from amity.core.db import Database

mailboxes_app = typer.Typer(help="IMAP mailboxes: list, poll.", no_args_is_help=True)
console = Console()
err = Console(stderr=True)


def _database() -> Database:
    import amity.models  # noqa: F401  (every model: relationships and foreign keys resolve)
    from amity.config import get_settings
    from amity.core.db import Database, make_engine

    s = get_settings()
    return Database(make_engine(s.database_url, pool_size=2, max_overflow=2,
                                busy_timeout_ms=s.sqlite_busy_timeout_ms))


@mailboxes_app.command("list")
def list_cmd() -> None:
    """Every mailbox with its purpose, cursor and last outcome."""
    from rich.table import Table

    from amity.mail import service

    database = _database()
    with database.transaction(write=False) as s:
        rows = service.list_mailboxes(s)
        table = Table("name", "purpose", "server", "folder", "enabled", "last UID",
                      "stored", "skipped", "quarantined", "last polled", "last error")
        for m in rows:
            table.add_row(m.name, m.purpose, f"{m.username}@{m.host}:{m.port} ({m.security})",
                          m.folder, "yes" if m.enabled else "no", str(m.last_uid),
                          str(m.stored_count), str(m.skipped_count), str(m.quarantined_count),
                          f"{m.last_polled_at:%Y-%m-%d %H:%M:%S}" if m.last_polled_at else "-",
                          (m.last_error or "")[:80])
    if rows:
        console.print(table)
    else:
        console.print("No mailboxes yet: add one in Settings > Mailboxes or POST /api/v1/"
                      "mailboxes")


@mailboxes_app.command("poll")
def poll_cmd(name: Annotated[str, typer.Argument(help="The mailbox's name")],
             queue: Annotated[bool, typer.Option("--queue",
                                                 help="Queue a poll for a worker")] = False,
             ) -> None:
    """Read the mailbox's new messages now."""
    from amity.config import get_settings
    from amity.core.errors import DomainError
    from amity.jobs.mail import enqueue_poll, poll_settings
    from amity.jobs.registry import load_handlers
    from amity.mail import service
    from amity.mail.imap import ImapFailed
    from amity.mail.poll import poll_mailbox

    settings = get_settings()
    database = _database()
    load_handlers(settings.jobs_modules)
    try:
        with database.transaction() as s:
            m = service.mailbox_named(s, name)
            if not m.enabled:
                err.print(f"[red]Mailbox {name} is disabled[/]")
                raise typer.Exit(2)
            mailbox_id = m.id
            if queue:
                job = enqueue_poll(s, mailbox_id)
                s.flush()
                console.print(f"Queued poll job {job.id}")
                return
    except DomainError as exc:
        err.print(f"[red]{exc.message}[/]")
        raise typer.Exit(2) from exc
    s = database.session()
    try:
        result = poll_mailbox(s, mailbox_id=mailbox_id, settings=poll_settings(settings))
    except ImapFailed as exc:
        err.print(f"[red]{name}: {exc}[/]")
        raise typer.Exit(1) from exc
    finally:
        s.close()
    if result is None:
        err.print(f"[red]Mailbox {name} is disabled or gone[/]")
        raise typer.Exit(2)
    console.print(f"{name}: {result.stored} stored, {result.duplicates} already known, "
                  f"{result.skipped} without a known contact, {result.quarantined} quarantined")
