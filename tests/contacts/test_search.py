"""Search (`q`): substring, typos, email, phone, company name, accents; deleted rows never."""

from __future__ import annotations

import pytest

from tests.factories import make_company, make_contact


@pytest.fixture
def people(client):
    acme = make_company(client, name="Initech Solutions")
    return {
        "johnson": make_contact(client, first_name="Mary", last_name="Johnson",
                                emails=[{"email": "mary.j@example.com"}],
                                phones=[{"number": "+1 415 555 0132"}]),
        "johnston": make_contact(client, first_name="Peter", last_name="Gibbons",
                                 company_id=acme["id"],
                                 emails=[{"email": "peter@initech.example"}]),
        "zoe": make_contact(client, first_name="Zoë", last_name="Saldaña",
                            phones=[{"number": "+44 20 7946 0958"}]),
        "other": make_contact(client, first_name="Bill", last_name="Lumbergh",
                              emails=[{"email": "bill@example.org"}]),
        "gone": make_contact(client, first_name="Milton", last_name="Johnsonberg"),
    }


def _search(client, q, **params):
    r = client.get("/api/v1/contacts", params={"q": q, **params})
    assert r.status_code == 200, r.text
    assert r.json()["next_cursor"] is None
    return [c["id"] for c in r.json()["items"]]


@pytest.mark.parametrize(("q", "who"), [
    ("ohns", "johnson"),               # 4 letters from inside a last name
    ("johnson", "johnson"),
    ("JOHNSON", "johnson"),
    ("Jonhson", "johnson"),            # transposed letters
    ("Johnsen", "johnson"),            # one wrong letter
    ("mary.j@example.com", "johnson"),  # whole email
    ("mary.j@", "johnson"),
    ("(415) 555-0132", "johnson"),     # phone, national format
    ("415-555-0132", "johnson"),
    ("+14155550132", "johnson"),       # phone, E.164
    ("5550132", "johnson"),            # phone, partial digits
    ("Initech", "johnston"),           # company name
    ("initech solu", "johnston"),
    ("Zoe", "zoe"),                    # accents folded both ways
    ("Zoë", "zoe"),
    ("saldana", "zoe"),
    ("7946 0958", "zoe"),              # digits of a foreign number
    ("Lumbergh", "other"),
])
def test_finds(client, people, q, who):
    client.delete(f"/api/v1/contacts/{people['gone']['id']}")
    found = _search(client, q)
    assert found, q
    assert found[0] == people[who]["id"], (q, found)


def test_substring_ranks_before_fuzzy_and_excludes_deleted(client, people):
    assert set(_search(client, "Johnson")) >= {people["johnson"]["id"], people["gone"]["id"]}
    client.delete(f"/api/v1/contacts/{people['gone']['id']}")
    found = _search(client, "Johnson")
    assert people["gone"]["id"] not in found
    assert found[0] == people["johnson"]["id"]
    client.post(f"/api/v1/contacts/{people['gone']['id']}/restore")
    assert people["gone"]["id"] in _search(client, "Johnsonberg")


def test_unrelated_queries_find_nothing(client, people):
    for q in ("Xylophone", "qqqq", "zzz@nowhere.test", "999999999"):
        assert _search(client, q) == [], q


def test_search_respects_filters_and_limit(client, people):
    client.patch(f"/api/v1/contacts/{people['johnson']['id']}", json={"tags": ["vip"]})
    assert _search(client, "johnson", tag="vip") == [people["johnson"]["id"]]
    assert people["johnson"]["id"] not in _search(client, "johnson", lifecycle_stage="customer")
    assert len(_search(client, "john", limit=1)) == 1
    blank = client.get("/api/v1/contacts", params={"q": "   ", "limit": 2}).json()
    assert len(blank["items"]) == 2 and blank["next_cursor"]  # blank q: the plain paged list


def test_search_follows_updates(client, people):
    cid = people["other"]["id"]
    client.patch(f"/api/v1/contacts/{cid}", json={"last_name": "Waddams",
                                                  "phones": [{"number": "(212) 555-0199"}]})
    assert _search(client, "Lumbergh") == []
    assert _search(client, "Waddams") == [cid]
    assert _search(client, "212 555 0199") == [cid]
