"""Signatures on outbound webhook requests.

A request carries ``X-Amity-Timestamp`` (Unix seconds) and ``X-Amity-Signature``
(``"sha256=" + hex(HMAC-SHA256(secret, f"{timestamp}.".encode() + body))``). Signing the
timestamp together with the body lets a receiver reject replays of an old request.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping

TIMESTAMP_HEADER = "X-Amity-Timestamp"
SIGNATURE_HEADER = "X-Amity-Signature"
SCHEME = "sha256="


def _digest(secret: str, body: bytes, timestamp: int) -> str:
    message = f"{timestamp}.".encode() + body
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def sign(secret: str, body: bytes, timestamp: int) -> dict[str, str]:
    """The headers that sign ``body`` sent at ``timestamp`` (Unix seconds) with ``secret``."""
    return {
        TIMESTAMP_HEADER: str(int(timestamp)),
        SIGNATURE_HEADER: SCHEME + _digest(secret, body, int(timestamp)),
    }


def _header(headers: Mapping[str, str], name: str) -> str | None:
    value = headers.get(name)
    if value is not None:
        return value
    lowered = name.lower()
    for key, candidate in headers.items():
        if key.lower() == lowered:
            return candidate
    return None


def verify(
    secret: str,
    body: bytes,
    headers: Mapping[str, str],
    *,
    now: int | float,
    tolerance: int = 300,
) -> bool:
    """True when ``headers`` carry a valid signature of ``body`` made within ``tolerance`` s.

    Header names are matched case-insensitively; the comparison is constant-time.
    """
    raw_timestamp = _header(headers, TIMESTAMP_HEADER)
    signature = _header(headers, SIGNATURE_HEADER)
    if raw_timestamp is None or signature is None:
        return False
    try:
        timestamp = int(raw_timestamp.strip())
    except ValueError:
        return False
    if abs(float(now) - timestamp) > tolerance:
        return False
    expected = SCHEME + _digest(secret, body, timestamp)
    return hmac.compare_digest(expected.encode(), signature.strip().encode())
