"""A real IMAP server for the mailbox tests: Debian's dovecot on 127.0.0.1, one per test
session (and xdist worker), configured in a temporary directory. Each test reads its own
folder. Without dovecot the tests are skipped, except when AMITY_REQUIRE_DOVECOT is set (CI),
where a missing server fails the run."""

from __future__ import annotations

import imaplib
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from amity.config import Settings
from amity.core.db import Database
from tests.web.conftest import signed_in, web, web_user  # noqa: F401 (browser-like clients)

USER, PASSWORD = "desk", "imap-secret-1"
REQUIRED = bool(os.environ.get("AMITY_REQUIRE_DOVECOT"))


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _ids() -> tuple[int, int]:
    """Dovecot refuses to give mail to root: as root, the mail belongs to 'nobody'."""
    if os.getuid() != 0:
        return os.getuid(), os.getgid()
    nobody = pwd.getpwnam("nobody")
    return nobody.pw_uid, nobody.pw_gid


CONF = """\
protocols = imap
listen = 127.0.0.1
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
auth_failure_delay = 0
mail_location = maildir:{root}/mail/%u
first_valid_uid = 1
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/users
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={root}/mail/%u
}}
service imap-login {{
  chroot =
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service anvil {{
  chroot =
}}
"""


@dataclass
class Imap:
    port: int
    root: Path

    def connect(self) -> imaplib.IMAP4:
        conn = imaplib.IMAP4("127.0.0.1", self.port, timeout=10)
        conn.login(USER, PASSWORD)
        return conn

    def new_folder(self) -> str:
        name = f"T{uuid.uuid4().hex[:10]}"
        self.create(name)
        return name

    def create(self, folder: str) -> None:
        conn = self.connect()
        try:
            assert conn.create(folder)[0] == "OK"
        finally:
            conn.logout()

    def delete(self, folder: str) -> None:
        conn = self.connect()
        try:
            assert conn.delete(folder)[0] == "OK"
        finally:
            conn.logout()

    def append(self, folder: str, *messages: bytes | EmailMessage) -> None:
        conn = self.connect()
        try:
            for m in messages:
                raw = m if isinstance(m, bytes) else bytes(m)
                typ, data = conn.append(folder, None, None, raw)
                assert typ == "OK", data
        finally:
            conn.logout()

    def uid_validity(self, folder: str) -> int:
        conn = self.connect()
        try:
            conn.select(folder, readonly=True)
            return int(conn.response("UIDVALIDITY")[1][0])
        finally:
            conn.logout()


@pytest.fixture(scope="session")
def imap_server() -> Iterator[Imap]:
    binary = shutil.which("dovecot") or ("/usr/sbin/dovecot"
                                         if Path("/usr/sbin/dovecot").exists() else None)
    if binary is None:
        if REQUIRED:
            pytest.fail("AMITY_REQUIRE_DOVECOT is set but dovecot is not installed "
                        "(apt-get install dovecot-imapd)")
        pytest.skip("dovecot is not installed (apt-get install dovecot-imapd)")
    # dovecot's own users (auth, mail) must reach these files: not under pytest's
    # private (0700) temporary directory
    root = Path(tempfile.mkdtemp(prefix="amity-dovecot-"))
    root.chmod(0o755)
    uid, gid = _ids()
    for sub in ("run", "state", "mail"):
        (root / sub).mkdir()
    os.chown(root / "mail", uid, gid)
    (root / "users").write_text(f"{USER}:{{PLAIN}}{PASSWORD}::::::\n")
    port = _free_port()
    conf = root / "dovecot.conf"
    conf.write_text(CONF.format(root=root, uid=uid, gid=gid, port=port))
    proc = subprocess.Popen([binary, "-F", "-c", str(conf)], stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE)
    server = Imap(port, root)
    deadline = time.monotonic() + 15
    while True:
        try:
            server.connect().logout()
            break
        except (OSError, imaplib.IMAP4.error) as exc:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                log = (root / "dovecot.log").read_text() if (root / "dovecot.log").exists() \
                    else ""
                err = proc.stderr.read().decode() if proc.stderr else ""
                pytest.fail(f"dovecot did not start: {exc}\n{err}\n{log}")
            time.sleep(0.1)
    try:
        yield server
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def settings(database: Database, tmp_path: Path) -> Settings:
    return Settings(environment="test", database_url=str(database.engine.url),
                    secret_key="test-secret-key-that-is-long-enough-0123456789",
                    attachment_dir=tmp_path / "attachments", attachment_max_bytes=64 * 1024,
                    inbound_max_bytes=200 * 1024, inbound_quarantine_dir=tmp_path / "quarantine")


def email(sender: str, to: str, subject: str, body: str = "Hello", *, cc: str | None = None,
          message_id: str | None = None, in_reply_to: str | None = None,
          references: str | None = None) -> EmailMessage:
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = sender, to, subject
    if cc:
        msg["Cc"] = cc
    msg["Date"] = format_datetime(datetime(2026, 3, 2, 9, 30, tzinfo=UTC))
    msg["Message-ID"] = message_id or make_msgid(domain="mail.example.com")
    if in_reply_to:
        msg["In-Reply-To"] = in_reply_to
    if references:
        msg["References"] = references
    msg.set_content(body)
    return msg


def add_mailbox(client: TestClient, imap: Imap, folder: str, purpose: str,
                **extra: Any) -> dict[str, Any]:
    r = client.post("/api/v1/mailboxes", json={
        "name": f"{purpose} {folder}", "host": "127.0.0.1", "port": imap.port,
        "security": "none", "username": USER, "password": PASSWORD, "folder": folder,
        "purpose": purpose, **extra})
    assert r.status_code == 201, r.text
    return dict(r.json())
