"""The Kanban board: columns in stage order, exact sums per currency, first deals by rank with a
cursor for more, names only where the reader may see them, a fixed number of queries; and the
deal list's filters, sorts and query count."""

from __future__ import annotations

import pytest

from tests.deals.deal_support import clock, make_deal, pipeline, stages, user_client
from tests.factories import assert_problem, make_company, make_contact

__all__ = ["clock"]


def _board(client, **params):
    r = client.get(f"/api/v1/pipelines/{pipeline(client)['id']}/board", params=params)
    assert r.status_code == 200, r.text
    return {c["stage"]["name"]: c for c in r.json()["columns"]}


def test_board_sums_are_exact_and_per_currency(client):
    ids = stages(client)
    for amount in ("0.10", "0.15"):
        make_deal(client, stage_id=ids["Proposal"], amount=amount)
    make_deal(client, stage_id=ids["Proposal"], amount="10.00", probability=33)
    make_deal(client, stage_id=ids["Proposal"], amount="99.99", currency="USD")
    gone = make_deal(client, stage_id=ids["Proposal"], amount="500.00")
    client.delete(f"/api/v1/deals/{gone['id']}")
    col = _board(client)["Proposal"]
    assert col["count"] == 4
    # EUR: 0.10 + 0.15 + 10.00 = 10.25; weighted 0.25 x 50% + 10.00 x 33% = 0.125 + 3.30 =
    # 3.425 -> 3.42 (half to even, once). USD: 99.99 x 50% = 49.995 -> 50.00.
    assert col["totals"] == [
        {"currency": "EUR", "amount": "10.25", "weighted_amount": "3.42"},
        {"currency": "USD", "amount": "99.99", "weighted_amount": "50.00"}]
    assert [c["amount"] for c in col["deals"]] == ["0.10", "0.15", "10.00", "99.99"]
    assert _board(client)["Won"] == {**_board(client)["Won"], "count": 0, "totals": [],
                                     "deals": [], "next_cursor": None}


def test_lines_add_up_exactly_on_the_board(client):
    ids = stages(client)
    d = make_deal(client, stage_id=ids["Won"])
    client.put(f"/api/v1/deals/{d['id']}/lines", json={"lines": [
        {"description": "a", "quantity": "1", "unit_price": "0.10"},
        {"description": "b", "quantity": "1", "unit_price": "0.20"}]})
    assert _board(client)["Won"]["totals"] == [
        {"currency": "EUR", "amount": "0.30", "weighted_amount": "0.30"}]


def test_columns_follow_stages_and_continue_with_a_cursor(client):
    ids = stages(client)
    made = [make_deal(client, name=f"D{i:02d}")["id"] for i in range(30)]
    board = client.get(f"/api/v1/pipelines/{pipeline(client)['id']}/board").json()
    assert [c["stage"]["name"] for c in board["columns"]] == [
        "Qualification", "Needs analysis", "Proposal", "Negotiation", "Won", "Lost"]
    first = board["columns"][0]
    assert first["count"] == 30 and len(first["deals"]) == 25
    assert [c["id"] for c in first["deals"]] == made[:25]
    r = client.get("/api/v1/deals", params={"stage_id": ids["Qualification"], "sort": "rank",
                                            "cursor": first["next_cursor"]})
    assert r.status_code == 200, r.text
    assert [x["id"] for x in r.json()["items"]] == made[25:]
    small = _board(client, limit=10)["Qualification"]
    assert len(small["deals"]) == 10 and small["next_cursor"]
    assert_problem(client.get(f"/api/v1/pipelines/{pipeline(client)['id']}/board",
                              params={"limit": 101}), 422, "limit")
    client.delete(f"/api/v1/stages/{ids['Needs analysis']}")
    assert "Needs analysis" not in _board(client)


def test_cards_and_names_as_the_reader_sees_them(app, client, database, clock):
    ids = stages(client)
    rep, rep_id = user_client(app, database, "sales_rep", team="North")
    outsider, _ = user_client(app, database, "sales_rep", team="South", name="Out")
    mine = make_contact(rep, first_name="Ada", last_name="Lovelace")
    theirs = make_contact(outsider, first_name="Hidden", last_name="Person")
    firm = make_company(rep, name="Engines Ltd")
    make_deal(rep, name="Engine", stage_id=ids["Negotiation"], contact_id=mine["id"],
                  company_id=firm["id"], expected_close_date="2026-04-01")
    other = make_deal(rep, name="Second", stage_id=ids["Negotiation"])
    client.patch(f"/api/v1/deals/{other['id']}", json={"contact_id": theirs["id"]})
    make_deal(outsider, name="Far away", stage_id=ids["Negotiation"])
    clock.advance(days=8)  # Negotiation stalls after 7 days
    col = _board(rep)["Negotiation"]
    assert col["count"] == 2 and [c["name"] for c in col["deals"]] == ["Engine", "Second"]
    card = col["deals"][0]
    assert (card["contact_name"], card["company_name"], card["owner_name"]) == (
        "Ada Lovelace", "Engines Ltd", "Rep")
    assert (card["owner_id"], card["expected_close_date"], card["stalled"]) == (
        str(rep_id), "2026-04-01", True)
    assert col["deals"][1]["contact_id"] == theirs["id"]
    assert col["deals"][1]["contact_name"] is None  # not the rep's to see
    everyone = _board(client)["Negotiation"]
    assert everyone["count"] == 3 and everyone["deals"][1]["contact_name"] == "Hidden Person"
    assert [c["name"] for c in _board(client, owner_id=str(rep_id))["Negotiation"][
        "deals"]] == ["Engine", "Second"]


@pytest.mark.parametrize("n", [3, 40])
def test_board_queries_do_not_grow(client, queries, n):
    ids = stages(client)
    person, firm = make_contact(client), make_company(client)
    for i in range(n):
        make_deal(client, stage_id=ids["Proposal"] if i % 2 else ids["Qualification"],
                  contact_id=person["id"], company_id=firm["id"])
    url = f"/api/v1/pipelines/{pipeline(client)['id']}/board"
    queries.reset()
    assert client.get(url).status_code == 200
    # the token, the pipeline and its stages, the aggregate, the pages, the names
    assert queries.count == 6, queries.statements


def test_board_query_count_for_a_scoped_reader(app, client, database, queries):
    rep, _ = user_client(app, database, "sales_rep", team="North")
    for _ in range(5):
        make_deal(rep, contact_id=make_contact(rep)["id"])
    url = f"/api/v1/pipelines/{pipeline(client)['id']}/board"
    queries.reset()
    assert rep.get(url).status_code == 200
    assert queries.count == 7, queries.statements  # one more: the reader's team


LIST_QUERIES = 4  # the token, the page (stalled flag included), contacts, lines


@pytest.mark.parametrize("sort", ["-created_at", "name", "amount", "expected_close_date",
                                  "rank"])
def test_list_queries_do_not_grow_with_page_size(client, queries, sort):
    person = make_contact(client)
    for i in range(30):
        d = make_deal(client, name=f"D{i}", amount=f"{i}.50",
                      expected_close_date=f"2026-05-{i % 28 + 1:02d}" if i % 3 else None)
        client.put(f"/api/v1/deals/{d['id']}/contacts",
                   json={"contacts": [{"contact_id": person["id"]}]})
    counts = []
    for limit in (5, 25):
        queries.reset()
        r = client.get("/api/v1/deals", params={"sort": sort, "limit": limit, "stalled": False})
        assert r.status_code == 200 and len(r.json()["items"]) == limit
        counts.append(queries.count)
    assert counts == [LIST_QUERIES, LIST_QUERIES], queries.statements


@pytest.mark.parametrize("sort", ["name", "-name", "amount", "-amount", "expected_close_date",
                                  "-expected_close_date", "created_at", "-updated_at"])
def test_every_sort_pages_through_everything_once(client, clock, sort):
    for i in range(13):
        clock.advance(seconds=1)
        make_deal(client, name=f"Deal {i % 5}", amount=f"{i % 4}.25",
                  expected_close_date=f"2026-05-{i % 3 + 1:02d}" if i % 4 else None)
    seen, cursor = [], None
    while True:
        body = client.get("/api/v1/deals", params={"sort": sort, "limit": 4,
                                                   **({"cursor": cursor} if cursor else {})}).json()
        seen += body["items"]
        cursor = body["next_cursor"]
        if not cursor:
            break
    assert len(seen) == len({d["id"] for d in seen}) == 13
    key = sort.lstrip("-")
    values = [(d["expected_close_date"] or "9999") if key == "expected_close_date" else
              float(d["amount"]) if key == "amount" else d[key] for d in seen]
    assert values == sorted(values, reverse=sort.startswith("-"))
    assert_problem(client.get("/api/v1/deals", params={"sort": "name", "cursor": "bogus"}), 422,
                   "cursor")


def test_list_filters(client, database):
    ids = stages(client)
    person, firm = make_contact(client), make_company(client)
    a = make_deal(client, name="Alpha ovens", contact_id=person["id"], source="web",
                  campaign="spring", expected_close_date="2026-05-10")
    b = make_deal(client, name="Beta mixers", company_id=firm["id"], stage_id=ids["Won"],
                  expected_close_date="2026-06-10")
    c = make_deal(client, name="Gamma", stage_id=ids["Lost"], lost_reason_text="x")
    cases = [({"q": "OVENS"}, [a]), ({"status": "won"}, [b]), ({"stage_id": ids["Lost"]}, [c]),
             ({"contact_id": person["id"]}, [a]), ({"company_id": firm["id"]}, [b]),
             ({"source": "web"}, [a]), ({"campaign": "spring"}, [a]),
             ({"close_from": "2026-05-11"}, [b]), ({"close_to": "2026-05-10"}, [a]),
             ({"close_from": "2026-05-10", "close_to": "2026-06-10"}, [a, b]),
             ({"q": "100%_"}, [])]
    for params, want in cases:
        got = client.get("/api/v1/deals", params={**params, "sort": "name"}).json()["items"]
        assert [d["id"] for d in got] == [d["id"] for d in want], params
    assert_problem(client.get("/api/v1/deals", params={"status": "maybe"}), 422, "status")
    assert_problem(client.get("/api/v1/deals", params={"sort": "rank-ish"}), 422, "sort")
