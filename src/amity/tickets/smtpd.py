"""Amity's SMTP endpoint for email to ticket (aiosmtpd), run by ``amity mail-inbound``.

Only mail for ``Settings.inbound_address`` is taken (other recipients: 550). A message over
``inbound_max_bytes`` is refused with 552 while it arrives. Each message is stored in its own
database transaction (``inbound.receive_message``) and the answer is 250 only after that
commit, so a sender whose message was not stored (a database error: 451) sends it again. An
unreadable message (no From, broken MIME) is refused with 554 and the reason, and its bytes are
kept in the quarantine directory for the support team; the next message is unaffected.
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from amity.config import Settings
from amity.core.db import Database
from amity.core.errors import DomainError
from amity.tickets.attachments import AttachmentStore
from amity.tickets.inbound import Unreadable, intake_actor, quarantine, receive_message

log = logging.getLogger("amity.mail.inbound")


class InboundHandler:
    """aiosmtpd handler: RCPT checks the address, DATA stores the message."""

    def __init__(self, database: Database, settings: Settings) -> None:
        self.database = database
        self.settings = settings
        self.address = settings.inbound_address.strip().lower()
        self.store = AttachmentStore(root=Path(settings.attachment_dir),
                                     max_bytes=settings.attachment_max_bytes,
                                     allowed_types=tuple(settings.attachment_types))

    async def handle_RCPT(self, server: SMTP, session: Session, envelope: Envelope,
                          address: str, rcpt_options: list[str]) -> str:
        if address.strip().lower() != self.address:
            return f"550 5.1.1 No mailbox {address} here; support mail goes to {self.address}"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        raw = envelope.original_content or envelope.content or b""
        if isinstance(raw, str):
            raw = raw.encode("utf-8", "surrogateescape")
        if len(raw) > self.settings.inbound_max_bytes:
            return (f"552 5.3.4 Message too big: at most {self.settings.inbound_max_bytes:,} "
                    "bytes")
        return await asyncio.to_thread(self.deliver, raw)

    def deliver(self, raw: bytes) -> str:
        """Store one message; the SMTP reply to give."""
        try:
            with self.database.transaction() as db:
                actor = intake_actor(db)
                if actor is None:
                    log.error("inbound mail: no active administrator to record it as")
                    return "451 4.3.0 The help desk is not set up yet; try again later"
                done = receive_message(db, raw=raw, store=self.store, actor=actor)
                reference = done.ticket.reference
                outcome = done.outcome
        except (Unreadable, DomainError) as exc:
            reason = exc.reason if isinstance(exc, Unreadable) else exc.message
            return self._refuse(raw, reason)
        except Exception:
            log.exception("inbound mail: could not store a message")
            return "451 4.3.0 The message could not be stored now; try again later"
        log.info("inbound mail: %s %s", outcome, reference)
        return f"250 2.0.0 {'Already stored' if outcome == 'duplicate' else 'Stored'} " \
               f"as {reference}"

    def _refuse(self, raw: bytes, reason: str) -> str:
        try:
            with self.database.transaction() as db:
                path = quarantine(db, raw=raw, reason=reason,
                                  directory=Path(self.settings.inbound_quarantine_dir))
        except Exception:
            log.exception("inbound mail: could not quarantine a refused message")
            return f"554 5.6.0 Refused: {reason}"
        log.warning("inbound mail refused (%s), kept as %s", reason, path)
        return f"554 5.6.0 Refused: {reason} (kept as {path.name})"


class InboundServer:
    """The endpoint on ``host:port`` in a background thread: ``start()`` / ``stop()``."""

    def __init__(self, database: Database, settings: Settings, *, host: str | None = None,
                 port: int | None = None) -> None:
        self.handler = InboundHandler(database, settings)
        self.host = host or settings.inbound_host
        self.port = port or settings.inbound_port
        params: dict[str, Any] = {"data_size_limit": settings.inbound_max_bytes,
                                  "ident": "Amity inbound mail"}
        self.controller = Controller(self.handler, hostname=self.host, port=self.port,
                                     **params)

    def start(self) -> None:
        self.controller.start()

    def stop(self) -> None:
        self.controller.stop()
