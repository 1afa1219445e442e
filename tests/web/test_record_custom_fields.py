"""Custom fields on the contact and company pages: the Details block (values formatted by type,
"—" when empty, archived fields left out, sensitive ones hidden from those who may not see
them) and the Edit details form (saved through the same services as the API; a refused value
is shown next to its field and changes nothing; archived values are kept)."""

from __future__ import annotations

import html
import re
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from amity.auth import service as auth
from amity.core.audit import AuditEntry
from amity.core.db import Database
from tests.factories import make_company, make_contact
from tests.web.conftest import PASSWORD, page_csrf, sign_in
from tests.web.test_inline_errors import message_next_to

CONTACT_FIELDS: list[dict[str, Any]] = [
    {"key": "tier", "label": "Tier", "type": "select", "options": ["gold", "silver"]},
    {"key": "revenue", "label": "Revenue", "type": "number"},
    {"key": "since", "label": "Customer since", "type": "date"},
    {"key": "vip", "label": "VIP", "type": "boolean"},
    {"key": "site", "label": "Site", "type": "text"},
    {"key": "hobbies", "label": "Hobbies", "type": "multi_select",
     "options": ["golf", "chess", "sailing"]},
    {"key": "nickname", "label": "Nickname", "type": "text"},
    {"key": "health", "label": "Health", "type": "text", "sensitive": True},
    {"key": "old_code", "label": "Old code", "type": "text"},
]


def _define(client: TestClient, entity: str, fields: list[dict[str, Any]]) -> dict[str, str]:
    ids = {}
    for body in fields:
        r = client.post("/api/v1/custom-fields", json={"entity": entity, **body})
        assert r.status_code == 201, r.text
        ids[body["key"]] = str(r.json()["id"])
    return ids


def _contact_with_fields(client: TestClient) -> dict[str, Any]:
    ids = _define(client, "contact", CONTACT_FIELDS)
    contact = make_contact(client, first_name="Grace", custom_fields={
        "tier": "gold", "revenue": "1234567.5", "since": "2024-03-01", "vip": True,
        "site": "https://grace.example/about", "hobbies": ["chess", "golf"],
        "health": "asthma", "old_code": "X-1"})
    r = client.post(f"/api/v1/custom-fields/{ids['old_code']}/archive")
    assert r.status_code == 200, r.text
    return contact


def _details(page: str) -> dict[str, str]:
    """The Details block as label -> value shown."""
    block = re.search(r'<section class="card facts custom-fields"[\s\S]*?</dl>', page)
    assert block, "no Details block"
    pairs = re.findall(r"<dt>([^<]+)</dt>\s*<dd[^>]*>([\s\S]*?)</dd>", block.group(0))
    return {html.unescape(k): html.unescape(re.sub(r"<[^>]+>", "", v)).strip()
            for k, v in pairs}


def _counts(database: Database) -> int:
    with database.transaction() as s:
        return int(s.scalar(select(func.count()).select_from(AuditEntry)) or 0)


def test_details_block_formats_values_by_type(signed_in: TestClient, client: TestClient) -> None:
    contact = _contact_with_fields(client)
    page = signed_in.get(f"/contacts/{contact['id']}").text
    assert _details(page) == {
        "Customer since": "01 Mar 2024", "Health": "asthma", "Hobbies": "chess, golf",
        "Nickname": "—", "Revenue": "1,234,567.5", "Site": "https://grace.example/about",
        "Tier": "gold", "VIP": "Yes"}
    assert '<a href="https://grace.example/about" rel="noopener' in page
    # the archived field is neither shown nor in the form
    assert "Old code" not in page and 'name="cf_old_code"' not in page
    # one input per field, by type, with the stored values
    assert re.search(r'<select name="cf_tier"[^>]*>[\s\S]*?<option value="gold" selected>',
                     page)
    assert re.search(r'<input type="date" name="cf_since" value="2024-03-01"', page)
    assert re.search(r'<input type="checkbox" name="cf_vip" value="true" checked', page)
    assert re.search(r'<input type="checkbox" name="cf_hobbies" value="chess" checked', page)
    assert re.search(r'<input type="checkbox" name="cf_hobbies" value="sailing">', page)


def test_sensitive_fields_are_hidden_from_those_who_may_not_see_them(
        web: TestClient, client: TestClient, database: Database) -> None:
    contact = _contact_with_fields(client)
    with database.transaction() as s:
        auth.create_user(s, email="rep@example.com", name="Rep", password=PASSWORD,
                         role="support_agent")
    assert sign_in(web, "rep@example.com").status_code == 303
    page = web.get(f"/contacts/{contact['id']}").text
    shown = _details(page)
    assert "Health" not in shown and "asthma" not in page and 'name="cf_health"' not in page
    assert shown["Tier"] == "gold"
    # saving the form as that user leaves the sensitive value untouched
    token = page_csrf(web, f"/contacts/{contact['id']}")
    r = web.post(f"/contacts/{contact['id']}/details",
                 data={"csrf_token": token, "cf_tier": "silver", "cf_vip": "true",
                       "cf_revenue": "5", "cf_hobbies": ["golf"]})
    assert r.status_code == 303, r.text
    stored = client.get(f"/api/v1/contacts/{contact['id']}").json()["custom_fields"]
    assert stored["tier"] == "silver" and stored["health"] == "asthma"


def test_edit_details_saves_through_the_service(signed_in: TestClient, client: TestClient,
                                                database: Database) -> None:
    contact = _contact_with_fields(client)
    token = page_csrf(signed_in, f"/contacts/{contact['id']}")
    before = _counts(database)
    r = signed_in.post(f"/contacts/{contact['id']}/details", data={
        "csrf_token": token, "version": str(contact["version"]), "cf_tier": "silver",
        "cf_revenue": "1,000.25", "cf_since": "", "cf_site": "plain words",
        "cf_hobbies": ["sailing"], "cf_nickname": "Amazing", "cf_health": "flu"})
    assert r.status_code == 303 and r.headers["location"].endswith("#details")
    stored = client.get(f"/api/v1/contacts/{contact['id']}").json()
    # the unticked VIP box is "No"; the emptied date is removed; the archived value is kept
    assert stored["custom_fields"] == {
        "tier": "silver", "revenue": "1000.25", "vip": False, "site": "plain words",
        "hobbies": ["sailing"], "nickname": "Amazing", "health": "flu", "old_code": "X-1"}
    assert stored["version"] == contact["version"] + 1
    assert _counts(database) == before + 1  # one audit entry, as for an API update
    shown = _details(signed_in.get(f"/contacts/{contact['id']}").text)
    assert shown["VIP"] == "No" and shown["Customer since"] == "—"


def test_bad_value_is_shown_next_to_its_field_and_changes_nothing(
        signed_in: TestClient, client: TestClient, database: Database) -> None:
    contact = _contact_with_fields(client)
    token = page_csrf(signed_in, f"/contacts/{contact['id']}")
    before = (_counts(database), client.get(f"/api/v1/contacts/{contact['id']}").json())
    r = signed_in.post(f"/contacts/{contact['id']}/details", data={
        "csrf_token": token, "cf_tier": "silver", "cf_revenue": "lots", "cf_nickname": "Kept"})
    assert r.status_code == 422
    assert html.unescape(message_next_to(r.text, "cf_revenue", "cf_revenue-error")) == \
        "'Revenue' must be a number"
    assert "<details class=\"edit-details\" open>" in r.text
    # what was typed is still in the form
    assert re.search(r'name="cf_nickname" value="Kept"', r.text)
    assert re.search(r'<option value="silver" selected>', r.text)
    assert (_counts(database), client.get(f"/api/v1/contacts/{contact['id']}").json()) == before


def test_required_and_stale_edits_are_refused(signed_in: TestClient, client: TestClient,
                                              database: Database) -> None:
    _define(client, "contact", [{"key": "region", "label": "Region", "type": "text",
                                 "required": True}])
    contact = make_contact(client, custom_fields={"region": "North"})
    page = signed_in.get(f"/contacts/{contact['id']}").text
    assert re.search(r'name="cf_region" value="North"[^>]* required aria-required="true"', page)
    token = page_csrf(signed_in, f"/contacts/{contact['id']}")
    before = _counts(database)
    r = signed_in.post(f"/contacts/{contact['id']}/details",
                       data={"csrf_token": token, "cf_region": "  "})
    assert r.status_code == 422
    assert html.unescape(message_next_to(r.text, "cf_region", "cf_region-error")) == \
        "'Region' is required"
    # someone else saved in between: 412, nothing changed, the form says so
    assert client.patch(f"/api/v1/contacts/{contact['id']}",
                        json={"custom_fields": {"region": "East"}}).status_code == 200
    r = signed_in.post(f"/contacts/{contact['id']}/details", data={
        "csrf_token": token, "version": str(contact["version"]), "cf_region": "South"})
    assert r.status_code == 412 and "Someone else saved this record" in r.text
    stored = client.get(f"/api/v1/contacts/{contact['id']}").json()["custom_fields"]
    assert stored == {"region": "East"} and _counts(database) == before + 1


def test_no_block_without_definitions(signed_in: TestClient, client: TestClient) -> None:
    contact = make_contact(client)
    company = make_company(client)
    assert 'id="details-h"' not in signed_in.get(f"/contacts/{contact['id']}").text
    assert 'id="details-h"' not in signed_in.get(f"/companies/{company['id']}").text


def test_company_details_show_and_edit(signed_in: TestClient, client: TestClient,
                                       database: Database) -> None:
    ids = _define(client, "company", [
        {"key": "arr", "label": "ARR", "type": "number"},
        {"key": "segment", "label": "Segment", "type": "select", "options": ["smb", "ent"]},
        {"key": "partner", "label": "Partner", "type": "boolean"},
        {"key": "legacy", "label": "Legacy", "type": "text"}])
    company = make_company(client, name="Anvil", custom_fields={"arr": 2500000,
                                                                "legacy": "keep me"})
    assert client.post(f"/api/v1/custom-fields/{ids['legacy']}/archive").status_code == 200
    page = signed_in.get(f"/companies/{company['id']}").text
    assert _details(page) == {"ARR": "2,500,000", "Partner": "—", "Segment": "—"}
    token = page_csrf(signed_in, f"/companies/{company['id']}")
    before = (_counts(database), client.get(f"/api/v1/companies/{company['id']}").json())
    r = signed_in.post(f"/companies/{company['id']}/details", data={
        "csrf_token": token, "cf_arr": "3000000", "cf_segment": "huge", "cf_partner": "true"})
    assert r.status_code == 422
    assert "'Segment' must be one of: smb, ent" in html.unescape(
        message_next_to(r.text, "cf_segment", "cf_segment-error"))
    assert (_counts(database), client.get(f"/api/v1/companies/{company['id']}").json()) == before
    r = signed_in.post(f"/companies/{company['id']}/details", data={
        "csrf_token": token, "cf_arr": "3000000", "cf_segment": "ent", "cf_partner": "true"})
    assert r.status_code == 303, r.text
    stored = client.get(f"/api/v1/companies/{company['id']}").json()["custom_fields"]
    assert stored == {"arr": 3000000, "segment": "ent", "partner": True, "legacy": "keep me"}
    assert _details(signed_in.get(f"/companies/{company['id']}").text) == {
        "ARR": "3,000,000", "Partner": "Yes", "Segment": "ent"}


def test_readers_without_edit_rights_get_no_form(web: TestClient, client: TestClient,
                                                 database: Database) -> None:
    _define(client, "company", [{"key": "arr", "label": "ARR", "type": "number"}])
    with database.transaction() as s:
        auth.create_user(s, email="viewer@example.com", name="Viewer", password=PASSWORD,
                         role="read_only")
    company = make_company(client, custom_fields={"arr": 7})
    assert sign_in(web, "viewer@example.com").status_code == 303
    page = web.get(f"/companies/{company['id']}")
    assert page.status_code == 200, page.text
    assert _details(page.text) == {"ARR": "7"} and "Edit details" not in page.text
    token = page_csrf(web, f"/companies/{company['id']}")
    r = web.post(f"/companies/{company['id']}/details", data={"csrf_token": token, "cf_arr": "9"})
    assert r.status_code in (403, 404)
    assert client.get(f"/api/v1/companies/{company['id']}").json()["custom_fields"] == {"arr": 7}
