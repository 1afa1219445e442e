"""Talking to an IMAP server with the standard library's imaplib (read-only).

``open_folder`` connects (TLS from the start, STARTTLS, or plain on loopback only), logs in and
selects the folder read-only; ``Folder`` lists UIDs above a cursor and fetches messages with
``BODY.PEEK[]`` so nothing on the server changes (not even the \\Seen flag).
"""

from __future__ import annotations

import imaplib
import ipaddress
import re
import ssl
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass

TIMEOUT_S = 30.0
_UID = re.compile(rb"UID (\d+)")
_SIZE = re.compile(rb"RFC822\.SIZE (\d+)")


class ImapFailed(Exception):
    """The server could not be reached, refused the login, or has no such folder."""


def is_loopback(host: str) -> bool:
    if host.lower() in ("localhost", "localhost.localdomain"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@dataclass(frozen=True)
class Account:
    host: str
    port: int
    security: str
    username: str
    password: str
    folder: str


def _quote(folder: str) -> str:
    return '"' + folder + '"'


class Folder:
    def __init__(self, conn: imaplib.IMAP4, uid_validity: int, exists: int) -> None:
        self.conn = conn
        self.uid_validity = uid_validity
        self.exists = exists

    def _ok(self, typ: str, data: list[object], what: str) -> list[object]:
        if typ != "OK":
            raise ImapFailed(f"{what} failed: {_text(data)}")
        return data

    def sizes_after(self, last_uid: int) -> list[tuple[int, int]]:
        """(uid, size) of the messages with a UID above ``last_uid``, oldest first."""
        if self.exists == 0:
            return []
        typ, data = self.conn.uid("FETCH", f"{last_uid + 1}:*", "(UID RFC822.SIZE)")
        found = {}
        for item in self._ok(typ, data, "listing messages"):
            line = item[0] if isinstance(item, tuple) else item
            if not isinstance(line, bytes):
                continue
            uid, size = _UID.search(line), _SIZE.search(line)
            # "n:*" names the last message even when its UID is below n: keep only newer ones
            if uid and int(uid.group(1)) > last_uid:
                found[int(uid.group(1))] = int(size.group(1)) if size else 0
        return sorted(found.items())

    def fetch(self, uid: int, *, headers_only: bool = False) -> bytes:
        part = "BODY.PEEK[HEADER]" if headers_only else "BODY.PEEK[]"
        typ, data = self.conn.uid("FETCH", str(uid), f"({part})")
        for item in self._ok(typ, data, f"fetching message {uid}"):
            if isinstance(item, tuple) and isinstance(item[1], bytes):
                return item[1]
        raise ImapFailed(f"message {uid} is no longer in the folder")


def _text(data: object) -> str:
    if isinstance(data, list):
        data = b" ".join(d for d in data if isinstance(d, bytes))
    if isinstance(data, bytes):
        return data.decode("utf-8", "replace")
    return str(data)


def _connect(account: Account) -> imaplib.IMAP4:
    if account.security == "ssl":
        return imaplib.IMAP4_SSL(account.host, account.port,
                                 ssl_context=ssl.create_default_context(), timeout=TIMEOUT_S)
    conn = imaplib.IMAP4(account.host, account.port, timeout=TIMEOUT_S)
    if account.security == "starttls":
        conn.starttls(ssl.create_default_context())
    elif not is_loopback(account.host):
        conn.shutdown()
        raise ImapFailed("an unencrypted connection is only allowed to a loopback host")
    return conn


@contextmanager
def open_folder(account: Account) -> Iterator[Folder]:
    """Log in and select the folder read-only; ``ImapFailed`` says what went wrong."""
    try:
        conn = _connect(account)
    except (OSError, imaplib.IMAP4.error) as exc:
        raise ImapFailed(f"cannot connect to {account.host}:{account.port}: {exc}") from exc
    try:
        try:
            conn.login(account.username, account.password)
        except imaplib.IMAP4.error as exc:
            raise ImapFailed(f"login refused: {_text(exc.args[0] if exc.args else exc)}") \
                from exc
        typ, data = conn.select(_quote(account.folder), readonly=True)
        if typ != "OK":
            raise ImapFailed(f"cannot open folder {account.folder!r}: {_text(data)}")
        exists = int(_text(data).strip() or 0)
        typ, validity = conn.response("UIDVALIDITY")
        if not validity or validity[0] is None:
            raise ImapFailed("the server did not give the folder's UIDVALIDITY")
        yield Folder(conn, int(_text(validity[0]).strip()), exists)
    except (OSError, imaplib.IMAP4.error) as exc:
        raise ImapFailed(f"IMAP error: {exc}") from exc
    finally:
        with suppress(OSError, imaplib.IMAP4.error):
            conn.logout()
