"""Interactions: every channel in one record, validation, de-duplication by external id, and
the contacts' last contacted / last activity times."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from amity.activities.models import Interaction, InteractionParticipant
from amity.core.db import Database
from amity.deals.models import Deal
from tests.activities.conftest import call
from tests.factories import assert_problem, count, make_company, make_contact

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def _iso(dt: datetime) -> str:
    return dt.isoformat().replace("+00:00", "Z")


def _contact(client: Any, cid: str) -> dict[str, Any]:
    r = client.get(f"/api/v1/contacts/{cid}")
    assert r.status_code == 200
    return dict(r.json())


def test_crud_on_every_channel(client: Any, database: Database, admin_user: Any) -> None:
    c = make_contact(client)
    bodies = [
        {"channel": "email", "direction": "inbound", "subject": "Order question",
         "body": "Where is my parcel?", "message_id": "<a1@mail.example>",
         "thread_key": "t-1"},
        {"channel": "call", "duration_s": 340, "outcome": "connected"},
        {"channel": "meeting", "occurred_at": _iso(T0), "ends_at": _iso(T0 + timedelta(hours=1)),
         "location": "Their office"},
        {"channel": "chat", "body": "hi"},
        {"channel": "social", "network": "linkedin", "handle": "@ada", "social_type": "mention",
         "url": "https://example.com/p/1"},
        {"channel": "visit", "location": "Shop, rue Cler"},
        {"channel": "sms", "direction": "outbound", "body": "See you at 10"},
    ]
    made = [call(client, c["id"], **b) for b in bodies]
    assert [m["channel"] for m in made] == ["email", "call", "meeting", "chat", "social",
                                            "visit", "sms"]
    assert made[0]["participants"] == [{"contact_id": c["id"], "user_id": None,
                                        "address": None, "name": None, "role": "to"}]
    assert made[1]["duration_s"] == 340 and made[1]["owner_id"] == str(admin_user[0].id)
    one = made[1]["id"]
    r = client.get(f"/api/v1/interactions/{one}")
    assert r.status_code == 200 and r.headers["etag"] == '"v1"'
    r = client.patch(f"/api/v1/interactions/{one}", json={"outcome": "voicemail"},
                     headers={"If-Match": '"v1"'})
    assert r.status_code == 200 and r.json()["outcome"] == "voicemail"
    r = client.patch(f"/api/v1/interactions/{one}", json={"outcome": "busy"},
                     headers={"If-Match": '"v1"'})
    assert_problem(r, 412)
    listed = client.get("/api/v1/interactions", params={"contact_id": c["id"]}).json()
    assert len(listed["items"]) == 7
    calls = client.get("/api/v1/interactions", params={"channel": ["call", "sms"]}).json()
    assert sorted(i["channel"] for i in calls["items"]) == ["call", "sms"]
    assert client.get("/api/v1/interactions", params={"thread_key": "t-1"}
                      ).json()["items"][0]["id"] == made[0]["id"]
    assert client.delete(f"/api/v1/interactions/{one}").status_code == 204
    assert_problem(client.get(f"/api/v1/interactions/{one}"), 404)
    assert len(client.get("/api/v1/interactions", params={"contact_id": c["id"]}
                          ).json()["items"]) == 6
    r = client.post(f"/api/v1/interactions/{one}/restore")
    assert r.status_code == 200 and r.json()["deleted_at"] is None
    assert count(database, Interaction) == 7


def test_participants_users_and_bare_addresses(client: Any, admin_user: Any) -> None:
    c = make_contact(client)
    me = str(admin_user[0].id)
    r = client.post("/api/v1/interactions", json={
        "channel": "email", "direction": "outbound", "participants": [
            {"user_id": me, "role": "from"}, {"contact_id": c["id"], "role": "to"},
            {"address": "unknown@example.org", "role": "cc"},
            {"contact_id": c["id"], "role": "cc"}]})  # named twice: the first role stays
    assert r.status_code == 201, r.text
    roles = [(p["user_id"] or p["contact_id"] or p["address"], p["role"])
             for p in r.json()["participants"]]
    assert roles == [(me, "from"), (c["id"], "to"), ("unknown@example.org", "cc")]
    mine = client.get("/api/v1/interactions", params={"user_id": me}).json()["items"]
    assert [i["id"] for i in mine] == [r.json()["id"]]


def test_bad_input_is_refused_and_changes_nothing(client: Any, database: Database) -> None:
    c = make_contact(client)
    other = make_company(client)
    to = [{"contact_id": c["id"]}]
    cases = [
        ({"channel": "fax", "participants": to}, "channel", None),
        ({"channel": "call", "duration_s": -5, "participants": to}, "duration_s", None),
        ({"channel": "meeting", "occurred_at": _iso(T0), "ends_at": _iso(T0 - timedelta(
            minutes=1)), "participants": to}, "ends_at", "interaction.ends_before_start"),
        ({"channel": "email", "outcome": "connected", "participants": to}, "outcome",
         "interaction.field_channel"),
        ({"channel": "social", "participants": to}, "network", "interaction.network_required"),
        ({"channel": "call", "participants": [{"contact_id": str(other["id"])}]},
         "participants.0.contact_id", "contact.not_found"),
        ({"channel": "call", "participants": [{"role": "to"}]}, "participants.0", None),
        ({"channel": "call", "occurred_at": "2026-03-02T09:00:00", "participants": to},
         "occurred_at", None),
        ({"channel": "call", "participants": to, "company_id": c["id"]}, "company_id",
         "company.not_found"),
        ({"channel": "call", "external_id": "x", "participants": to}, None, None),
        ({"channel": "call", "participants": to, "custom_fields": {"nope": 1}},
         "custom_fields.nope", "custom_field.unknown"),
    ]
    for body, field, code in cases:
        assert_problem(client.post("/api/v1/interactions", json=body), 422, field, code)
    assert count(database, Interaction) == 0 and count(database, InteractionParticipant) == 0


def test_same_external_id_is_recorded_once(client: Any, database: Database) -> None:
    c = make_contact(client)
    body = {"channel": "email", "direction": "inbound", "subject": "Re: quote",
            "external_source": "imap:sales", "external_id": "<m-42@example.com>",
            "participants": [{"contact_id": c["id"], "role": "from"}]}
    first = client.post("/api/v1/interactions", json=body)
    again = client.post("/api/v1/interactions", json={**body, "subject": "changed"})
    assert first.status_code == 201 and again.status_code == 200
    assert again.json()["id"] == first.json()["id"] and again.json()["subject"] == "Re: quote"
    other_source = client.post("/api/v1/interactions", json={**body, "external_source": "x"})
    assert other_source.status_code == 201
    assert count(database, Interaction) == 2


def test_idempotency_key_replays_the_create(client: Any, database: Database) -> None:
    c = make_contact(client)
    body = {"channel": "call", "participants": [{"contact_id": c["id"]}]}
    h = {"Idempotency-Key": "call-1"}
    a = client.post("/api/v1/interactions", json=body, headers=h)
    b = client.post("/api/v1/interactions", json=body, headers=h)
    assert a.status_code == b.status_code == 201 and a.json()["id"] == b.json()["id"]
    assert b.headers["idempotent-replayed"] == "true" and count(database, Interaction) == 1


def test_last_contacted_and_last_activity(client: Any) -> None:
    c = make_contact(client)
    cid = c["id"]
    assert _contact(client, cid)["last_activity_at"] is None
    # they wrote to us: activity, but we have not contacted them
    call(client, cid, channel="email", direction="inbound", occurred_at=_iso(T0))
    got = _contact(client, cid)
    assert got["last_activity_at"] == _iso(T0) and got["last_contacted_at"] is None
    # an internal meeting about them: activity only
    call(client, cid, channel="meeting", direction="internal",
         occurred_at=_iso(T0 + timedelta(hours=1)))
    got = _contact(client, cid)
    assert got["last_activity_at"] == _iso(T0 + timedelta(hours=1))
    assert got["last_contacted_at"] is None
    # they called us: a two-way conversation counts
    inbound_call = call(client, cid, channel="call", direction="inbound",
                        occurred_at=_iso(T0 + timedelta(hours=2)))
    assert _contact(client, cid)["last_contacted_at"] == _iso(T0 + timedelta(hours=2))
    # our email, older than the call: nothing moves backwards
    call(client, cid, channel="email", direction="outbound",
         occurred_at=_iso(T0 - timedelta(days=1)))
    got = _contact(client, cid)
    assert got["last_contacted_at"] == _iso(T0 + timedelta(hours=2))
    # a meeting planned next year is not activity yet
    call(client, cid, channel="meeting", occurred_at="2099-01-01T10:00:00Z")
    assert _contact(client, cid)["last_activity_at"] == _iso(T0 + timedelta(hours=2))
    # deleting the call recomputes both from what is left
    assert client.delete(f"/api/v1/interactions/{inbound_call['id']}").status_code == 204
    got = _contact(client, cid)
    assert got["last_activity_at"] == _iso(T0 + timedelta(hours=1))
    assert got["last_contacted_at"] == _iso(T0 - timedelta(days=1))
    # moving an interaction in time recomputes too; the contact's version does not change
    version = got["version"]
    call_back = client.post(f"/api/v1/interactions/{inbound_call['id']}/restore").json()
    r = client.patch(f"/api/v1/interactions/{call_back['id']}",
                     json={"occurred_at": _iso(T0 - timedelta(days=3))})
    assert r.status_code == 200
    got = _contact(client, cid)
    assert got["last_contacted_at"] == _iso(T0 - timedelta(days=1))
    assert got["last_activity_at"] == _iso(T0 + timedelta(hours=1))
    assert got["version"] == version


def test_an_interaction_on_a_deal_touches_it(client: Any, database: Database) -> None:
    c = make_contact(client)
    r = client.post("/api/v1/deals", json={"name": "Bakery fit-out", "amount": "1000.00",
                                           "currency": "EUR", "contact_id": c["id"]})
    assert r.status_code == 201, r.text
    deal = r.json()
    later = datetime.now(UTC) - timedelta(seconds=1)
    with database.transaction() as s:
        row = s.get(Deal, uuid.UUID(deal["id"]))
        assert row is not None
        row.last_activity_at = later - timedelta(days=30)
    call(client, c["id"], deal_id=deal["id"], occurred_at=_iso(later))
    with database.transaction(write=False) as s:
        row = s.get(Deal, uuid.UUID(deal["id"]))
        assert row is not None and abs((row.last_activity_at - later).total_seconds()) < 1e-3


def test_custom_fields_on_interactions(client: Any) -> None:
    r = client.post("/api/v1/custom-fields", json={"entity": "interaction", "key": "campaign",
                                                    "label": "Campaign", "type": "select",
                                                    "options": ["spring", "autumn"]})
    assert r.status_code == 201, r.text
    c = make_contact(client)
    made = call(client, c["id"], custom_fields={"campaign": "spring"})
    assert made["custom_fields"] == {"campaign": "spring"}
    r = client.patch(f"/api/v1/interactions/{made['id']}",
                     json={"custom_fields": {"campaign": "winter"}})
    assert_problem(r, 422, "custom_fields.campaign", "custom_field.invalid")


def test_a_users_time_zone_is_set_by_user_managers(client: Any, admin_user: Any) -> None:
    me = str(admin_user[0].id)
    assert client.get("/api/v1/users/me").json()["time_zone"] == "UTC"
    r = client.patch(f"/api/v1/users/{me}", json={"time_zone": "America/New_York"})
    assert r.status_code == 200 and r.json()["time_zone"] == "America/New_York"
    assert client.get("/api/v1/agenda").json()["time_zone"] == "America/New_York"
    assert_problem(client.patch(f"/api/v1/users/{me}", json={"time_zone": "Nowhere/Land"}),
                   422, "time_zone")
