"""Finding likely duplicates among records, without the database: blocking, then comparison.

Comparing every pair of N records is N²/2 comparisons (5·10¹¹ at a million contacts), so each
record is first given a few **blocking keys** (its normalised emails and phones, the sorted
Soundex codes of its names, its surname's Metaphone with its postcode, its birthday); only
records sharing a key are compared. A block larger than ``max_block`` (a very common name, a
postcode with thousands of people) is not compared all-pairs: its records are sorted by name
and each is compared with its ``window`` neighbours (the sorted-neighbourhood method), so the
work stays linear in N whatever the data looks like.

A pair is scored from field similarities (rapidfuzz Jaro-Winkler and token ratios): each field
known on both sides adds its weight times a similarity mapped to [-1, 1], an exact email or
phone number counts a lot, and the total is turned into 0-100. Every field that contributed
becomes a reason a person can read ("same email", "last name 92% similar").
"""

from __future__ import annotations

import re
import uuid
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

import jellyfish
from rapidfuzz import fuzz
from rapidfuzz.distance import JaroWinkler, Levenshtein

from amity.core.text import fold

DEFAULT_THRESHOLD = 55.0  # tuned on FEBRL 1 (tests/dedupe/test_febrl.py); 0-100
MAX_BLOCK = 60
WINDOW = 8
_NON_ALNUM = re.compile(r"[^a-z0-9 ]+")
_COMPANY_SUFFIX = re.compile(
    r"\b(inc|incorporated|ltd|limited|llc|gmbh|ag|sa|sas|sarl|bv|nv|plc|co|corp|"
    r"corporation|company|pty|srl|spa|oy|ab|as)\b\.?")


@dataclass(frozen=True, slots=True)
class Candidate:
    """What the detector knows of one record, already folded (lower case, no accents).

    Contacts fill the person fields; companies put their name (legal suffix removed) in
    ``last`` and their domains in ``emails``.
    """

    id: uuid.UUID
    first: str = ""
    last: str = ""
    emails: tuple[str, ...] = ()
    phones: tuple[str, ...] = ()
    birthday: str = ""  # YYYYMMDD
    street: str = ""
    city: str = ""
    postcode: str = ""
    company: str = ""


@dataclass(frozen=True, slots=True)
class Match:
    a: uuid.UUID  # the smaller id (pairs are unordered; stored once)
    b: uuid.UUID
    score: float
    reasons: tuple[str, ...] = field(default=())


def clean(text: str | None) -> str:
    """Folded, punctuation to spaces, single spaces."""
    return " ".join(_NON_ALNUM.sub(" ", fold(text)).split())


def company_key(name: str | None) -> str:
    """A company name without legal suffixes: 'ACME Ltd.' and 'Acme' compare equal."""
    return " ".join(_COMPANY_SUFFIX.sub(" ", clean(name)).split())


def _soundex(word: str) -> str:
    return jellyfish.soundex(word) if word and word[0].isalpha() else ""


def blocking_keys(c: Candidate, *, kind: str = "contact") -> set[str]:
    """The keys of ``c``'s blocks; two records are compared only if they share one."""
    keys = {f"e:{e}" for e in c.emails} | {f"p:{p}" for p in c.phones}
    if kind == "company":
        if c.last:
            keys.add(f"n:{c.last[:6]}")
            keys.add(f"m:{jellyfish.metaphone(c.last)[:5]}")
        return keys
    first, last = _soundex(c.first), _soundex(c.last)
    if first and last:
        keys.add("n:" + "".join(sorted((first, last))))
    if last and c.postcode:
        keys.add(f"l:{jellyfish.metaphone(c.last)[:4]}:{c.postcode}")
    if c.birthday:
        keys.add(f"b:{c.birthday}")
    if first and c.postcode:
        keys.add(f"f:{first}:{c.postcode}")
    return keys


def _jw(a: str, b: str) -> float:
    return float(JaroWinkler.normalized_similarity(a, b))


def _weigh(sim: float, lo: float, hi: float) -> float:
    """A similarity as evidence in [-1, 1]: below ``lo`` against, above ``hi`` fully for."""
    if sim >= hi:
        return 1.0
    if sim <= lo:
        return -1.0
    return 2.0 * (sim - lo) / (hi - lo) - 1.0


def _house(street: str) -> str:
    """The house number a street address starts with ("12 main street" -> "12")."""
    first = street.split(" ", 1)[0]
    return first if first.isdigit() else ""


def _pct(sim: float) -> str:
    return f"{round(sim * 100)}%"


def compare(x: Candidate, y: Candidate, *, kind: str = "contact") -> tuple[float, list[str]]:
    """Score 0-100 that ``x`` and ``y`` are the same, and the reasons for it."""
    evidence = 0.0
    reasons: list[str] = []
    same_email = bool(set(x.emails) & set(y.emails))
    same_phone = bool(set(x.phones) & set(y.phones))
    if same_email:
        evidence += 4.0
        reasons.append("same email" if kind == "contact" else "same domain")
    if same_phone:
        evidence += 3.0
        reasons.append("same phone")
    if kind == "company":
        if x.last and y.last:
            sim = fuzz.token_sort_ratio(x.last, y.last) / 100
            evidence += 4.0 * _weigh(sim, 0.6, 0.9)
            reasons.append("same name" if sim == 1 else f"name {_pct(sim)} similar")
    else:
        evidence += _names(x, y, reasons)
        if x.birthday and y.birthday:
            sim = float(Levenshtein.normalized_similarity(x.birthday, y.birthday))
            # one mistyped digit still agrees; a really different date is strong evidence of
            # two people who share a name
            weight = _weigh(sim, 0.8, 0.87)
            evidence += 2.0 * weight if weight > 0 else 3.5 * weight
            if sim == 1:
                reasons.append("same birthday")
        if x.company and y.company:
            sim = fuzz.token_sort_ratio(x.company, y.company) / 100
            evidence += 1.0 * _weigh(sim, 0.5, 0.9)
            if sim >= 0.9:
                reasons.append("same company")
    if x.street and y.street:
        # not token_set_ratio: "12 Main Street" and "45 Main Street" are different places
        sim = fuzz.token_sort_ratio(x.street, y.street) / 100
        if _house(x.street) and _house(y.street) and _house(x.street) != _house(y.street):
            sim = min(sim, 0.6)  # another house number in the same street: not the same place
        evidence += 1.5 * _weigh(sim, 0.6, 0.92)
        if sim >= 0.85:
            reasons.append("same street" if sim == 1 else f"street {_pct(sim)} similar")
    if x.city and y.city:
        sim = _jw(x.city, y.city)
        evidence += 1.0 * _weigh(sim, 0.7, 0.9)
        if sim >= 0.9:
            reasons.append("same city")
    if x.postcode and y.postcode:
        sim = float(Levenshtein.normalized_similarity(x.postcode, y.postcode))
        evidence += 1.5 * _weigh(sim, 0.5, 0.8)
        if sim == 1:
            reasons.append("same postcode")
    # evidence of about +6 (names and two more fields agreeing) is a sure match
    score = max(0.0, min(100.0, 50.0 + evidence * 8.0))
    return round(score, 1), reasons


def _names(x: Candidate, y: Candidate, reasons: list[str]) -> float:
    """Evidence from first and last names; swapped first/last names count as the same."""
    pairs = [(x.first, y.first, "first name"), (x.last, y.last, "last name")]
    if x.first and x.last and _jw(x.first, y.last) + _jw(x.last, y.first) > \
            _jw(x.first, y.first) + _jw(x.last, y.last) + 0.3:
        pairs = [(x.first, y.last, "first name"), (x.last, y.first, "last name")]
        reasons.append("first and last names swapped")
    evidence = 0.0
    for a, b, label in pairs:
        if not (a and b):
            continue
        sim = _jw(a, b)
        weight = 2.0 if label == "last name" else 1.5
        evidence += weight * _weigh(sim, 0.75, 0.92)
        reasons.append(f"same {label}" if sim == 1 else f"{label} {_pct(sim)} similar")
    return evidence


def candidate_pairs(records: Iterable[Candidate], *, kind: str = "contact",
                    max_block: int = MAX_BLOCK,
                    window: int = WINDOW) -> Iterator[tuple[Candidate, Candidate]]:
    """Each pair of records sharing a block, once (blocks hold list positions, and pairs seen
    are remembered as one integer each, to keep a million-record scan's memory small)."""
    recs = list(records)
    blocks: dict[str, list[int]] = defaultdict(list)
    for i, rec in enumerate(recs):
        for key in blocking_keys(rec, kind=kind):
            blocks[key].append(i)
    seen: set[int] = set()
    width = len(recs)
    for members in blocks.values():
        if len(members) < 2:
            continue
        if len(members) <= max_block:
            pairs: Iterator[tuple[int, int]] = (
                (members[i], members[j]) for i in range(len(members))
                for j in range(i + 1, len(members)))
        else:
            ordered = sorted(members, key=lambda n: (recs[n].last, recs[n].first))
            pairs = ((ordered[i], ordered[j]) for i in range(len(ordered))
                     for j in range(i + 1, min(i + 1 + window, len(ordered))))
        for i, j in pairs:
            pair = i * width + j if i < j else j * width + i
            if pair not in seen:
                seen.add(pair)
                yield recs[i], recs[j]


def find_duplicates(records: Iterable[Candidate], *, kind: str = "contact",
                    threshold: float = DEFAULT_THRESHOLD) -> list[Match]:
    """Every pair scoring at least ``threshold``, best first."""
    found = []
    for a, b in candidate_pairs(records, kind=kind):
        score, reasons = compare(a, b, kind=kind)
        if score >= threshold:
            lo, hi = (a.id, b.id) if a.id < b.id else (b.id, a.id)
            found.append(Match(lo, hi, score, tuple(reasons)))
    found.sort(key=lambda m: (-m.score, m.a, m.b))
    return found
