"""The 360 view shows only the relations (referrer, referrals) the user may see."""

from __future__ import annotations

from typing import Any

from amity.core.db import Database
from tests.auth.world import build_world, make_records


def _h(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_360_hides_relations_the_user_cannot_see(anon: Any, database: Database) -> None:
    w = build_world(database)
    mine = make_records(database, w.ids["sales_rep"])
    theirs = make_records(database, w.ids["outsider"])
    admin = _h(w.tokens["admin"])
    # the outsider's contact was referred by the rep's contact, and referred one of its own
    r = anon.patch(f"/api/v1/contacts/{mine['contact_id']}", headers=admin,
                   json={"referred_by_id": str(theirs["contact_id"])})
    assert r.status_code == 200, r.text
    child = anon.post("/api/v1/contacts", headers=admin,
                      json={"first_name": "Hidden", "last_name": "Child",
                            "owner_id": str(w.ids["outsider"]),
                            "referred_by_id": str(mine["contact_id"])})
    assert child.status_code == 201, child.text
    visible = anon.post("/api/v1/contacts", headers=admin,
                        json={"first_name": "Visible", "last_name": "Child",
                              "owner_id": str(w.ids["sales_rep"]),
                              "referred_by_id": str(mine["contact_id"])})
    assert visible.status_code == 201, visible.text

    as_admin = anon.get(f"/api/v1/contacts/{mine['contact_id']}/360", headers=admin).json()
    assert as_admin["referred_by"]["id"] == str(theirs["contact_id"])
    assert {x["display_name"] for x in as_admin["referrals"]} == {"Hidden Child",
                                                                 "Visible Child"}

    rep = anon.get(f"/api/v1/contacts/{mine['contact_id']}/360",
                   headers=_h(w.tokens["sales_rep"]))
    assert rep.status_code == 200, rep.text
    body = rep.json()
    assert body["referred_by"] is None
    assert [x["display_name"] for x in body["referrals"]] == ["Visible Child"]
    assert "Hidden" not in rep.text
