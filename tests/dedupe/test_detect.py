"""The detector alone: reasons, the rules that separate namesakes, and blocking that stays
linear when a block is huge."""

from __future__ import annotations

import uuid

from amity.dedupe.detect import (
    DEFAULT_THRESHOLD,
    MAX_BLOCK,
    WINDOW,
    Candidate,
    candidate_pairs,
    company_key,
    compare,
    find_duplicates,
)


def person(**fields: object) -> Candidate:
    return Candidate(id=uuid.uuid4(), **fields)  # type: ignore[arg-type]


def test_same_email_and_similar_name_is_a_match_with_reasons() -> None:
    a = person(first="grace", last="hopper", emails=("grace@navy.example",))
    b = person(first="grace", last="hoper", emails=("grace@navy.example",))
    score, reasons = compare(a, b)
    assert score >= DEFAULT_THRESHOLD
    assert reasons[0] == "same email" and "same first name" in reasons
    assert any(r.startswith("last name") and r.endswith("% similar") for r in reasons)


def test_swapped_first_and_last_names_are_noticed() -> None:
    a = person(first="lovelace", last="ada", birthday="18151210")
    b = person(first="ada", last="lovelace", birthday="18151210")
    score, reasons = compare(a, b)
    assert "first and last names swapped" in reasons and score >= DEFAULT_THRESHOLD


def test_namesakes_with_another_birthday_or_house_are_not_matched() -> None:
    a = person(first="james", last="smith", birthday="19700101", street="12 main street",
               city="austin", postcode="78701")
    other_day = person(first="james", last="smith", birthday="19840917", city="dallas")
    other_house = person(first="james", last="smith", street="45 main street",
                         city="dallas", postcode="75201")
    typo_in_day = person(first="james", last="smith", birthday="19700107",
                         street="12 main street", city="austin", postcode="78701")
    assert compare(a, other_day)[0] < DEFAULT_THRESHOLD
    assert compare(a, other_house)[0] < DEFAULT_THRESHOLD
    assert compare(a, typo_in_day)[0] >= DEFAULT_THRESHOLD
    # Known limit: names are not weighed by how common they are, so two James Smiths in the
    # same city with nothing else against them are still suggested (a person decides).
    assert compare(a, person(first="james", last="smith", city="austin"))[0] >= \
        DEFAULT_THRESHOLD


def test_companies_match_on_name_without_legal_suffix_and_domain() -> None:
    a = Candidate(id=uuid.uuid4(), last=company_key("ACME Ltd."), emails=("acme.com",))
    b = Candidate(id=uuid.uuid4(), last=company_key("Acme"), emails=("acme.com",))
    c = Candidate(id=uuid.uuid4(), last=company_key("Initech GmbH"))
    found = find_duplicates([a, b, c], kind="company")
    assert [(m.a, m.b) for m in found] == [tuple(sorted((a.id, b.id)))]
    assert "same domain" in found[0].reasons and "same name" in found[0].reasons


def test_a_huge_block_is_compared_by_sorted_neighbourhood() -> None:
    """1,000 records sharing one birthday: all pairs would be 499,500 comparisons; the window
    keeps it at about n x WINDOW, and each pair comes once."""
    n = 1000
    recs = [person(first=f"p{i:04d}", last="x", birthday="20000101") for i in range(n)]
    pairs = list(candidate_pairs(recs))
    assert n > MAX_BLOCK
    assert len(pairs) <= n * WINDOW
    assert len({frozenset((a.id, b.id)) for a, b in pairs}) == len(pairs)
