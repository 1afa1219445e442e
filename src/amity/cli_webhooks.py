"""``amity broker status|replay|publish``: the event stream to the AMQP broker from a terminal."""

from __future__ import annotations

import json
import os
import socket
import uuid
from typing import Annotated

import typer
from rich.console import Console

from amity.cli_tickets import _database, _fail

broker_app = typer.Typer(help="The event stream to RabbitMQ (AMITY_BROKER_URL).",
                         no_args_is_help=True)
console = Console()


@broker_app.command("status")
def status(as_json: Annotated[bool, typer.Option("--json", help="Print JSON")] = False) -> None:
    """Where the publisher's cursor stands, how many events wait, the last error."""
    from amity.config import get_settings
    from amity.webhooks import broker

    settings = get_settings()
    st = broker.status(_database(), settings)
    data = {"configured": st.configured, "exchange": st.exchange,
            "last_event_id": str(st.last_event_id) if st.last_event_id else None,
            "last_occurred_at": st.last_occurred_at.isoformat() if st.last_occurred_at
            else None,
            "published": st.published, "pending": st.pending,
            "publisher": st.lease_owner,
            "last_published_at": st.last_published_at.isoformat() if st.last_published_at
            else None,
            "last_error": st.last_error,
            "last_error_at": st.last_error_at.isoformat() if st.last_error_at else None}
    if as_json:
        console.print_json(json.dumps(data))
        return
    if not st.configured:
        console.print("[yellow]AMITY_BROKER_URL is not set: nothing is published.[/]")
    for key, value in data.items():
        console.print(f"{key:>18}: {value if value is not None else '—'}")


@broker_app.command("replay")
def replay(from_event: Annotated[str, typer.Option("--from", help="Event id to start from")]
           ) -> None:
    """Publish this event and every later one again (consumers de-duplicate on message_id)."""
    from amity.core.errors import NotFound
    from amity.webhooks import broker

    try:
        event_id = uuid.UUID(from_event)
    except ValueError:
        raise _fail(f"'{from_event}' is not an event id") from None
    try:
        n = broker.replay_from(_database(), event_id)
    except NotFound:
        raise _fail(f"No event {event_id}") from None
    console.print(f"{n} event(s) will be published again by the workers.")


@broker_app.command("publish")
def publish() -> None:
    """Publish what is pending now, in this process (workers do it every few seconds)."""
    from amity.config import get_settings
    from amity.webhooks import broker

    settings = get_settings()
    if not settings.broker_url:
        raise _fail("AMITY_BROKER_URL is not set")
    try:
        n = broker.publish_pending(_database(), settings,
                                   owner=f"cli:{socket.gethostname()[:60]}:{os.getpid()}")
    except broker.BrokerUnavailable as exc:
        raise _fail(str(exc)) from None
    console.print(f"Published {n} event(s).")
