"""Request signatures: what a receiver checks (tampering, wrong secret, replays, header case)."""

from __future__ import annotations

import hashlib
import hmac

from amity.webhooks.signing import sign, verify

BODY = b'{"id":"1","type":"deal.won"}'


def test_the_signature_is_hmac_sha256_over_timestamp_dot_body() -> None:
    headers = sign("whsec_x", BODY, 1_900_000_000)
    want = hmac.new(b"whsec_x", b"1900000000." + BODY, hashlib.sha256).hexdigest()
    assert headers == {"X-Amity-Timestamp": "1900000000", "X-Amity-Signature": "sha256=" + want}


def test_verify_accepts_the_genuine_request_only() -> None:
    headers = sign("whsec_x", BODY, 1_900_000_000)
    assert verify("whsec_x", BODY, headers, now=1_900_000_100)
    assert verify("whsec_x", BODY, {k.lower(): v for k, v in headers.items()},
                  now=1_900_000_000)
    assert not verify("whsec_y", BODY, headers, now=1_900_000_000)  # another secret
    assert not verify("whsec_x", BODY + b" ", headers, now=1_900_000_000)  # body changed
    assert not verify("whsec_x", BODY, headers, now=1_900_000_301)  # too old: a replay
    assert not verify("whsec_x", BODY, headers, now=1_899_999_699)  # from the future
    moved = {**headers, "X-Amity-Timestamp": "1900000001"}  # timestamp changed
    assert not verify("whsec_x", BODY, moved, now=1_900_000_000)
    assert not verify("whsec_x", BODY, {"X-Amity-Timestamp": "1900000000"}, now=1_900_000_000)
    assert not verify("whsec_x", BODY, {**headers, "X-Amity-Timestamp": "soon"},
                      now=1_900_000_000)
    assert not verify("whsec_x", BODY, {**headers, "X-Amity-Signature": "sha1=abc"},
                      now=1_900_000_000)
