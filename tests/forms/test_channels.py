"""Signed channel webhooks: a valid signature stores interactions matched to contacts, a bad,
missing or stale one stores nothing (401), a replay of the same external id is a no-op, a
batch is all or nothing; unknown senders kept unlinked or created as contacts; the
authenticated ingestion API for internal integrations."""

from __future__ import annotations

import hashlib
import hmac
import json
import uuid
from typing import Any

from sqlalchemy import select

from amity.activities.models import Interaction, InteractionParticipant
from amity.contacts.models import Contact
from amity.core.db import Database
from tests.factories import assert_problem, count, make_contact
from tests.forms.conftest import Clock


def channel(client: Any, **fields: Any) -> dict[str, Any]:
    r = client.post("/api/v1/channels", json={"name": "Chat", "kind": "chat", **fields})
    assert r.status_code == 201, r.text
    return dict(r.json())


def push(anon: Any, ch: dict[str, Any], payload: Any, *, at: int, secret: str | None = None,
         signature: str | None = None, timestamp: str | None = None) -> Any:
    """Sign the body the way a provider does: HMAC-SHA256 over "<timestamp>.<body>"."""
    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    ts = timestamp if timestamp is not None else str(at)
    mac = hmac.new((secret or ch["secret"]).encode(), ts.encode() + b"." + body,
                   hashlib.sha256).hexdigest()
    headers = {"Content-Type": "application/json", "X-Amity-Timestamp": ts,
               "X-Amity-Signature": signature if signature is not None else f"sha256={mac}"}
    return anon.post(f"/hooks/channels/{ch['id']}", content=body, headers=headers)


def chat(external_id: str = "msg-1", **fields: Any) -> dict[str, Any]:
    return {"external_id": external_id, "occurred_at": "2030-01-07T08:59:00Z",
            "body": "Hi, is my order shipped?", "from": {"email": "Ada@Example.com",
                                                         "name": "Ada Lovelace"}, **fields}


def now_s(clock: Clock) -> int:
    return int(clock.at.timestamp())


def test_signed_push_is_stored_and_matched(client: Any, anon: Any, database: Database,
                                           clock: Clock) -> None:
    ada = make_contact(client, first_name="Ada", emails=[{"email": "ada@example.com"}])
    ch = channel(client)
    r = push(anon, ch, chat(), at=now_s(clock))
    assert r.status_code == 200, r.text
    [res] = r.json()["results"]
    assert res["created"] and res["contact_ids"] == [ada["id"]]
    with database.transaction(write=False) as s:
        i = s.get(Interaction, uuid.UUID(res["interaction_id"]))
        assert i is not None
        assert (i.channel, i.direction, i.body) == ("chat", "inbound",
                                                    "Hi, is my order shipped?")
        assert (i.external_source, i.external_id) == (f"channel:{ch['id']}", "msg-1")


def test_bad_missing_and_stale_signatures_store_nothing(client: Any, anon: Any,
                                                        database: Database,
                                                        clock: Clock) -> None:
    ch = channel(client)
    at = now_s(clock)
    cases = [
        push(anon, ch, chat(), at=at, secret="whsec_wrong"),
        push(anon, ch, chat(), at=at, signature=""),
        push(anon, ch, chat(), at=at, signature="sha256=" + "0" * 64),
        push(anon, ch, chat(), at=at - 301),  # stale: a captured request replayed later
        push(anon, ch, chat(), at=at + 301),
        push(anon, ch, chat(), at=at, timestamp="yesterday"),
    ]
    for r in cases:
        assert_problem(r, 401)
    body = json.dumps(chat()).encode()
    good = push(anon, ch, body, at=at).request.headers["X-Amity-Signature"]
    r = anon.post(f"/hooks/channels/{ch['id']}", content=body.replace(b"shipped", b"lost"),
                  headers={"Content-Type": "application/json", "X-Amity-Timestamp": str(at),
                           "X-Amity-Signature": good})
    assert_problem(r, 401, code="hook.signature_invalid")  # a changed body
    assert count(database, Interaction) == 1  # only the good push
    old = ch["secret"]
    client.post(f"/api/v1/channels/{ch['id']}/rotate-secret")
    assert_problem(push(anon, ch, chat("msg-9"), at=at, secret=old), 401)


def test_replay_of_the_same_external_id_is_a_no_op(client: Any, anon: Any,
                                                   database: Database, clock: Clock) -> None:
    ch = channel(client)
    first = push(anon, ch, chat(), at=now_s(clock))
    clock.advance(seconds=30)
    again = push(anon, ch, chat(body="changed"), at=now_s(clock))
    assert first.status_code == again.status_code == 200
    a, b = first.json()["results"][0], again.json()["results"][0]
    assert b["interaction_id"] == a["interaction_id"] and not b["created"]
    assert count(database, Interaction) == 1


def test_batch_is_stored_all_or_nothing(client: Any, anon: Any, database: Database,
                                        clock: Clock) -> None:
    ch = channel(client, kind="other")
    batch = {"interactions": [
        chat("a-1", channel="chat"),
        chat("a-2", channel="sms", **{"from": {"phone": "+1 415 555 0100"}}),
        chat("a-3", channel="social", **{"from": {"handle": "@ada", "network": "twitter"}}),
        chat("a-4", channel="call", duration_s=120, outcome="connected")]}
    bad = {"interactions": [*batch["interactions"], chat("a-5")]}  # no channel for 'other'
    r = push(anon, ch, bad, at=now_s(clock))
    assert_problem(r, 422, field="interactions.4.channel")
    assert count(database, Interaction) == 0
    assert_problem(push(anon, ch, {"interactions": [{"external_id": "x"}]}, at=now_s(clock)),
                   422)
    assert_problem(push(anon, ch, b"{nope", at=now_s(clock)), 422)
    assert_problem(push(anon, ch, {"interactions": [chat(str(n), channel="chat")
                                                    for n in range(101)]}, at=now_s(clock)),
                   422)
    big = {"interactions": [chat("big", channel="chat", body="x" * 100_000)] * 11}
    assert_problem(push(anon, ch, big, at=now_s(clock)), 413)
    assert count(database, Interaction) == 0
    r = push(anon, ch, batch, at=now_s(clock))
    assert r.status_code == 200, r.text
    assert [x["external_id"] for x in r.json()["results"]] == ["a-1", "a-2", "a-3", "a-4"]
    with database.transaction(write=False) as s:
        rows = {i.external_id: i for i in s.scalars(select(Interaction))}
        assert rows["a-3"].network == "twitter" and rows["a-3"].handle == "@ada"
        assert rows["a-4"].duration_s == 120 and rows["a-4"].outcome == "connected"
        # no contact matched and the channel does not create any: bare addresses
        addresses = set(s.scalars(select(InteractionParticipant.address)))
        assert addresses == {"ada@example.com", "+14155550100", "twitter:@ada"}
        assert count(database, Contact) == 0


def test_unknown_senders_become_contacts_when_the_channel_says_so(
        client: Any, anon: Any, database: Database, clock: Clock) -> None:
    ch = channel(client, kind="sms", create_contacts=True)
    r = push(anon, ch, chat(**{"from": {"phone": "+1 415 555 0100", "name": "Ada L"}}),
             at=now_s(clock))
    assert r.status_code == 200, r.text
    with database.transaction(write=False) as s:
        c = s.scalar(select(Contact))
        assert c is not None and [p.e164 for p in c.phones] == ["+14155550100"]
        assert (c.first_name, c.last_name) == ("Ada", "L")
        i = s.scalar(select(Interaction))
        assert i is not None and i.channel == "sms" and i.contact_ids == [c.id]
    # the next message from the same number finds that contact
    r = push(anon, ch, chat("msg-2", **{"from": {"phone": "4155550100"}}), at=now_s(clock))
    assert r.json()["results"][0]["contact_ids"] == [str(c.id)]
    assert count(database, Contact) == 1


def test_disabled_and_unknown_channels(client: Any, anon: Any, database: Database,
                                       clock: Clock) -> None:
    ch = channel(client)
    client.patch(f"/api/v1/channels/{ch['id']}", json={"enabled": False})
    assert_problem(push(anon, ch, chat(), at=now_s(clock)), 403)
    assert_problem(push(anon, {**ch, "id": "00000000-0000-0000-0000-000000000000"}, chat(),
                        at=now_s(clock)), 404)
    assert count(database, Interaction) == 0


def test_ingest_api_for_internal_integrations(client: Any, anon: Any,
                                              database: Database) -> None:
    body = {"source": "phone-system", "create_contacts": True, "interactions": [
        chat("call-1", channel="call", direction="outbound", duration_s=60,
             **{"from": None, "to": [{"phone": "+1 415 555 0100"}]})]}
    body["interactions"][0].pop("from")
    r = client.post("/api/v1/interactions/ingest", json=body)
    assert r.status_code == 200, r.text
    again = client.post("/api/v1/interactions/ingest", json=body)
    assert again.json()["results"][0]["interaction_id"] == r.json()["results"][0][
        "interaction_id"] and not again.json()["results"][0]["created"]
    with database.transaction(write=False) as s:
        i = s.scalar(select(Interaction))
        assert i is not None and i.external_source == "api:phone-system"
    assert_problem(client.post("/api/v1/interactions/ingest",
                               json={**body, "source": "channel-x"}), 422, field="source")
    assert_problem(anon.post("/api/v1/interactions/ingest", json=body), 401)
    assert count(database, Interaction) == 1
