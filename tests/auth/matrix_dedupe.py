"""Permission-matrix entries for duplicates and merges (see matrix.py).

A suggestion and a merge follow their records: ``{suggestion_id}`` pairs the record's contact
with a second contact of the same owner, ``{merge_id}`` is a merge of such a second contact
into the record's contact. Merging needs edit on the survivor and delete on the others, so the
entries name the delete permission (every built-in role that may delete may also edit).
"""

from __future__ import annotations

import uuid
from typing import Any

from amity.auth.models import User
from amity.companies.models import Company
from amity.contacts.models import Contact
from amity.dedupe.merge import merge_records
from amity.dedupe.models import DuplicateSuggestion
from tests.auth.matrix_base import Op, _json

DEDUPE_IDS = ("suggestion_id", "merge_id")


def _other(ids: dict[str, Any], key: str) -> str:
    return str(ids.get(key, uuid.uuid4()))


DEDUPE: dict[tuple[str, str], Op] = {
    ("GET", "/api/v1/duplicates"): Op("contacts.view", 200),
    ("GET", "/api/v1/duplicates/{suggestion_id}"): Op("contacts.view", 200, record=True),
    ("POST", "/api/v1/duplicates/{suggestion_id}/dismiss"): Op("contacts.edit", 200,
                                                               record=True),
    ("POST", "/api/v1/duplicates/scan"): Op("contacts.edit", 202,
                                            body=_json({"entity": "contact"})),
    ("POST", "/api/v1/contacts/merge"): Op("contacts.delete", 201, record=True, body=lambda ids: {
        "survivor_id": str(ids["contact_id"]), "loser_ids": [_other(ids, "contact2_id")]}),
    ("POST", "/api/v1/companies/merge"): Op(
        "companies.delete", 201, record=True, body=lambda ids: {
            "survivor_id": str(ids["company_id"]), "loser_ids": [_other(ids, "company2_id")]}),
    ("GET", "/api/v1/merges/{merge_id}"): Op("contacts.view", 200, record=True),
    ("POST", "/api/v1/merges/{merge_id}/undo"): Op("contacts.delete", 200, record=True),
}


def _twin(s: Any, model: Any, record_id: uuid.UUID) -> Any:
    original = s.get(model, record_id)
    twin = (Contact(first_name="Twin", last_name="Record", owner_id=original.owner_id,
                    custom_fields={}) if model is Contact else
            Company(name=f"Twin {uuid.uuid4().hex[:6]}", owner_id=original.owner_id,
                    custom_fields={}))
    s.add(twin)
    s.flush()
    return original, twin


def dedupe_target(database: Any, path: str, ids: dict[str, Any]) -> dict[str, Any]:
    """Second records, a suggestion or a merge about the record's contact (after it exists)."""
    wanted = [k for k in ("{suggestion_id}", "{merge_id}", "/contacts/merge",
                          "/companies/merge") if k in path]
    if not wanted or "contact_id" not in ids:
        return {}
    out: dict[str, Any] = {}
    with database.transaction() as s:
        contact, twin = _twin(s, Contact, ids["contact_id"])
        out["contact2_id"] = twin.id
        _, company_twin = _twin(s, Company, ids["company_id"])
        out["company2_id"] = company_twin.id
        if "{suggestion_id}" in path:
            sugg = DuplicateSuggestion(entity="contact", a_id=min(contact.id, twin.id),
                                       b_id=max(contact.id, twin.id), score=80.0,
                                       reasons=["same last name"], status="open")
            s.add(sugg)
            s.flush()
            out["suggestion_id"] = sugg.id
        if "{merge_id}" in path:
            owner = s.get(User, contact.owner_id)
            m = merge_records(s, entity="contact", survivor=contact, losers=[twin], choices={},
                              actor=owner)
            out["merge_id"] = m.id
    return out
