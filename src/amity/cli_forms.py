"""``amity forms list`` and ``amity channels list|create|rotate-secret``: web-to-lead forms and
ingestion channels from a terminal.

Changes are recorded in the audit log as made by ``--by`` (an email), or by the
longest-serving active administrator. A channel's signing secret is printed once, when it is
made or rotated; it cannot be shown again.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console

from amity.cli_tickets import _database, _fail, _user

if TYPE_CHECKING:
    from amity.activities.forms_models import IngestChannel

forms_app = typer.Typer(help="Web-to-lead forms.", no_args_is_help=True)
channels_app = typer.Typer(help="Ingestion channels (signed provider webhooks).",
                           no_args_is_help=True)
console = Console()


@forms_app.command("list")
def list_forms() -> None:
    """Every form: its hosted URL, whether it is open, and how many submissions it has."""
    from rich.table import Table
    from sqlalchemy import func, select

    from amity.activities import forms
    from amity.activities.forms_models import FormSubmission
    from amity.config import get_settings

    base = get_settings().base_url.rstrip("/")
    database = _database()
    with database.transaction(write=False) as s:
        rows = forms.list_forms(s)
        counts = {row[0]: row[1] for row in s.execute(
            select(FormSubmission.form_id, func.count()).group_by(FormSubmission.form_id))}
        table = Table("Name", "URL", "Enabled", "Submissions", "ID")
        for f in rows:
            table.add_row(f.name, f"{base}/f/{f.public_key}", "yes" if f.enabled else "no",
                          str(counts.get(f.id, 0)), str(f.id))
    database.dispose()
    console.print(table if rows else "No forms yet.")


def _print_secret(ch: IngestChannel) -> None:
    from amity.config import get_settings

    base = get_settings().base_url.rstrip("/")
    console.print(f"Channel [bold]{ch.name}[/] ({ch.kind})  id {ch.id}")
    console.print(f"Webhook URL: {base}/hooks/channels/{ch.id}")
    console.print("Signing secret (shown once, keep it now):")
    print(ch.secret)


@channels_app.command("list")
def list_channels() -> None:
    from rich.table import Table

    from amity.activities import channels

    database = _database()
    with database.transaction(write=False) as s:
        rows = channels.list_channels(s)
        table = Table("Name", "Kind", "Enabled", "Creates contacts", "ID")
        for ch in rows:
            table.add_row(ch.name, ch.kind, "yes" if ch.enabled else "no",
                          "yes" if ch.create_contacts else "no", str(ch.id))
    database.dispose()
    console.print(table if rows else "No channels yet.")


@channels_app.command("create")
def create_channel(
    name: str,
    kind: Annotated[str, typer.Option(help="chat, social, sms, call or other")] = "chat",
    create_contacts: Annotated[bool, typer.Option(
        help="Create a contact for senders nobody matches")] = False,
    by: Annotated[str | None, typer.Option(help="Record the change as this user")] = None,
) -> None:
    """Create a channel and print its webhook URL and signing secret (once)."""
    from amity.activities import channels
    from amity.activities.forms_models import CHANNEL_KINDS
    from amity.core.errors import DomainError

    if kind not in CHANNEL_KINDS:
        raise _fail(f"--kind must be one of {', '.join(CHANNEL_KINDS)}")
    if not name.strip() or len(name) > 200:
        raise _fail("Give a name of 1 to 200 characters")
    database = _database()
    try:
        with database.transaction() as s:
            ch = channels.create_channel(s, values={"name": name.strip(), "kind": kind,
                                                    "create_contacts": create_contacts},
                                         actor=_user(s, by))
            _print_secret(ch)
    except DomainError as exc:
        raise _fail(exc.message) from exc
    finally:
        database.dispose()


@channels_app.command("rotate-secret")
def rotate_secret(
    channel_id: str,
    by: Annotated[str | None, typer.Option(help="Record the change as this user")] = None,
) -> None:
    """Replace a channel's secret (the old one stops working at once); prints the new one."""
    from amity.activities import channels
    from amity.core.errors import DomainError

    database = _database()
    try:
        with database.transaction() as s:
            ch = channels.rotate_secret(s, channel=channels.live_channel(s, uuid.UUID(channel_id)),
                                        actor=_user(s, by))
            _print_secret(ch)
    except ValueError as exc:
        raise _fail(f"No channel {channel_id}") from exc
    except DomainError as exc:
        raise _fail(exc.message) from exc
    finally:
        database.dispose()
