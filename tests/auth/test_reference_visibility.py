"""Records referred to from input or shown as relations obey the same visibility as reads:
a sales rep cannot learn that another team's contact exists by pointing at it."""

from __future__ import annotations

import uuid
from typing import Any

from amity.core.db import Database
from tests.auth.world import build_world, fingerprint, make_records
from tests.factories import assert_problem


def _h(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_referrer_of_another_team_is_refused_like_an_unknown_id(anon: Any,
                                                                database: Database) -> None:
    w = build_world(database)
    theirs = make_records(database, w.ids["outsider"])
    mine = make_records(database, w.ids["sales_rep"])
    h = _h(w.tokens["sales_rep"])
    before = fingerprint(database)
    answers = []
    for ref in (theirs["contact_id"], uuid.uuid4()):
        r = anon.post("/api/v1/contacts", headers=h,
                      json={"first_name": "New", "referred_by_id": str(ref)})
        assert_problem(r, 422, "referred_by_id", "contact.not_found")
        p = anon.patch(f"/api/v1/contacts/{mine['contact_id']}", headers=h,
                       json={"referred_by_id": str(ref)})
        assert_problem(p, 422, "referred_by_id", "contact.not_found")
        b = anon.post("/api/v1/contacts/bulk", headers=h,
                      json={"items": [{"first_name": "A"},
                                      {"first_name": "B", "referred_by_id": str(ref)}]})
        assert_problem(b, 422, "items.1.referred_by_id", "contact.not_found")
        answers.append((r.json()["detail"], p.json()["detail"]))
    assert answers[0] == answers[1]  # the hidden contact and an unknown id look the same
    assert fingerprint(database) == before
    ok = anon.post("/api/v1/contacts", headers=h,
                   json={"first_name": "New", "referred_by_id": str(mine["contact_id"])})
    assert ok.status_code == 201, ok.text
