"""The 360 view names the referrer as Contact.display_name does, from a one-statement read."""

from __future__ import annotations

from tests.factories import make_contact


def _referred_by(client, referrer_id):
    c = make_contact(client, first_name="Referred", referred_by_id=referrer_id)
    r = client.get(f"/api/v1/contacts/{c['id']}/360")
    assert r.status_code == 200, r.text
    return r.json()["referred_by"]


def test_referrer_without_a_name_is_shown_by_first_email(client):
    ref = make_contact(client, first_name="", last_name="",
                       emails=[{"email": "second@example.com"},
                               {"email": "first@example.com", "primary": True}])
    # display_name takes the first email in the order given, not the primary one
    assert _referred_by(client, ref["id"]) == {"id": ref["id"],
                                               "display_name": "second@example.com"}


def test_referrer_with_only_a_phone_has_the_placeholder_name(client):
    ref = make_contact(client, first_name="", last_name="",
                       phones=[{"number": "+1 415 555 0199"}])
    assert _referred_by(client, ref["id"])["display_name"] == "(no name)"
    assert client.get(f"/api/v1/contacts/{ref['id']}").json()["display_name"] == "(no name)"


def test_deleted_referrer_is_not_shown(client):
    ref = make_contact(client, first_name="Gone", last_name="Soon")
    c = make_contact(client, first_name="Referred", referred_by_id=ref["id"])
    assert client.delete(f"/api/v1/contacts/{ref['id']}").status_code == 204
    assert client.get(f"/api/v1/contacts/{c['id']}/360").json()["referred_by"] is None
