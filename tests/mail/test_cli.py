"""``amity mailboxes list|poll NAME`` run as a user would, in a subprocess, on both databases
against the real IMAP server."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import select

from amity.core.db import Database
from amity.tickets.models import Ticket
from tests.mail.conftest import Imap, add_mailbox, email

AMITY = [sys.executable, "-m", "amity.cli"]


def amity(database: Database, tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    env.pop("AMITY_ENVIRONMENT", None)
    env.update({"AMITY_DATABASE_URL": database.engine.url.render_as_string(hide_password=False),
                "AMITY_ATTACHMENT_DIR": str(tmp_path / "files"),
                "AMITY_INBOUND_QUARANTINE_DIR": str(tmp_path / "quarantine"),
                "COLUMNS": "250"})
    return subprocess.run([*AMITY, "mailboxes", *args], env=env, capture_output=True,
                          text=True, timeout=120)


def test_list_and_poll(client: TestClient, database: Database, tmp_path: Path,
                       imap_server: Imap) -> None:
    empty = amity(database, tmp_path, "list")
    assert empty.returncode == 0 and "No mailboxes yet" in empty.stdout
    folder = imap_server.new_folder()
    imap_server.append(folder, email("ann@example.com", "help@example.com", "Broken tap"))
    box = add_mailbox(client, imap_server, folder, "tickets")
    done = amity(database, tmp_path, "poll", box["name"])
    assert done.returncode == 0, done.stderr
    assert "1 stored, 0 already known" in done.stdout
    again = amity(database, tmp_path, "poll", box["name"])
    assert "0 stored" in again.stdout
    with database.transaction(write=False) as s:
        assert list(s.scalars(select(Ticket.subject))) == ["Broken tap"]
    listed = amity(database, tmp_path, "list")
    assert box["name"] in listed.stdout and "tickets" in listed.stdout
    assert "imap-secret" not in listed.stdout
    missing = amity(database, tmp_path, "poll", "nope")
    assert missing.returncode == 2 and "No mailbox named 'nope'" in missing.stderr
    client.patch(f"/api/v1/mailboxes/{box['id']}", json={"password": "wrong"})
    failed = amity(database, tmp_path, "poll", box["name"])
    assert failed.returncode == 1 and "login refused" in failed.stderr
