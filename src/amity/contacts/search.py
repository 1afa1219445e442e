"""Contact search: substring and typo-tolerant, indexed on both databases.

PostgreSQL: a GIN trigram index on ``contacts.search_text`` answers ``LIKE '%q%'`` (substring)
and ``q <% search_text`` (word similarity, tolerant of typos); the typo-tolerant query runs only
when there are fewer than ``limit`` substring matches.
SQLite: an FTS5 trigram index over the same column (kept in sync by triggers) yields candidates
sharing trigrams with the query; rapidfuzz ranks them and drops weak matches.
Company names match too, through the companies' own folded name.
"""

from __future__ import annotations

import re
import uuid
from typing import Any

from rapidfuzz import fuzz
from sqlalchemy import Select, func, literal, select, text, union_all
from sqlalchemy.orm import Session

from amity.companies.models import Company
from amity.contacts.models import Contact
from amity.core.text import digits, fold

_PHONEISH = re.compile(r"^[\d\s()+.\-/]+$")
MIN_FUZZY_SCORE = 75.0


def normalise_query(q: str) -> str:
    q = q.strip()
    if _PHONEISH.match(q) and len(digits(q)) >= 3:
        return digits(q)
    return fold(q)


def _like_pattern(q: str) -> str:
    return "%" + q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def search_contact_ids(db: Session, raw: str, *, limit: int) -> list[uuid.UUID]:
    """Ids of the best ``limit`` matches among all live contacts, best first."""
    return search_ids_within(db, select(Contact), raw, limit=limit)


def search_ids_within(db: Session, among: Select[Any], raw: str, *,
                      limit: int) -> list[uuid.UUID]:
    """Candidate ids for ``raw``, best first: the answer is the first ``limit`` of them that
    ``among`` (a ``select(Contact)`` with the caller's access scope and filters) selects.

    On PostgreSQL ``among``'s conditions are part of the ranking query, which returns exactly
    the answer. SQLite ranks in Python (over at most 500 trigram candidates), so there the
    list is over-fetched and the caller's filters apply when the contacts are loaded.
    """
    q = normalise_query(raw)
    if not q:
        return []
    if db.get_bind().dialect.name == "postgresql":
        return _search_pg(db, among, q, limit)
    return _search_sqlite(db, q, max(limit * 4, 100))


# Typo-tolerant matching runs at a strict word-similarity threshold first (a one-letter slip
# inside a name of six or more letters scores >= 0.57) and at the loose one only when that
# finds fewer than ``limit``: 0.45 missed transpositions ("Jonhson" -> "johnson" scores 0.33).
PG_WORD_SIMILARITY_STRICT = 0.5
PG_WORD_SIMILARITY = 0.3
# At most this many matching rows are ranked per query. Ranking needs each match's row (a
# heap fetch, then word_similarity): a four-letter piece of a common surname matches ~4,000
# of 1,000,000 contacts, and a typo-tolerant query at 0.3 ~11,000 (0.35 s and 1.7 s on the
# loaded benchmark machine; 36 ms and 128 ms capped). The best ``limit`` of the first
# ``CANDIDATES`` matches are returned: exactly the best when there are fewer matches than
# that, otherwise equally good matches (ranking only orders them) but not always the first
# by name.
CANDIDATES = 1000


def _ranked(db: Session, q: str, candidates: Any, limit: int) -> list[uuid.UUID]:
    """Ids of ``candidates`` (a subquery with id, search_text, sort_name) best first."""
    return [uuid.UUID(str(r)) for r in db.scalars(
        select(candidates.c.id)
        .order_by(func.word_similarity(q, candidates.c.search_text).desc(),
                  candidates.c.sort_name, candidates.c.id).limit(limit))]


def _search_pg(db: Session, among: Select[Any], q: str, limit: int) -> list[uuid.UUID]:
    # search_text, companies.sort_name and q are all folded (lower case), so LIKE finds what
    # ILIKE would, and costs less than half as much per row checked.
    pat = _like_pattern(q)
    live = among.where(Contact.deleted_at.is_(None))
    cols = live.with_only_columns(Contact.id, Contact.search_text, Contact.sort_name)
    # Substring matches rank above every other kind of match, so when there are ``limit`` of
    # them they are the answer: a cheap query (the trigram index, then word_similarity only
    # on the rows that matched) instead of the typo-tolerant one, whose ``<%`` recheck runs
    # word_similarity on every row sharing enough trigrams with q. The caller's conditions
    # are inside the capped subquery, so they apply before the cap and the limit.
    found = _ranked(db, q, cols.where(Contact.search_text.like(pat)).limit(CANDIDATES)
                    .subquery("cand"), limit)
    if len(found) == limit:
        return found
    # Every substring match is in ``found`` already, ranked; what follows them are the other
    # typo-tolerant and company-name matches, by word similarity. Two branches, so the contact
    # branch uses the trigram index: an OR with the company subquery in one WHERE cannot use
    # any index and costs a seq scan evaluating word_similarity on every row. Migration 0002
    # tells the planner that <% is expensive, or it still prefers the seq scan below ~50,000
    # rows. The caller's conditions go into each branch (an ``id IN (hits)`` around them made
    # PostgreSQL hash-join the whole table).
    by_company = (cols.join(Company, Company.id == Contact.company_id)
                  .where(Company.sort_name.like(pat), Company.deleted_at.is_(None))
                  .limit(CANDIDATES))
    seen = set(found)
    out = list(found)
    for threshold in ((PG_WORD_SIMILARITY_STRICT, PG_WORD_SIMILARITY) if len(q) >= 3 else ()):
        db.execute(text("SELECT set_config('pg_trgm.word_similarity_threshold', :t, true)"),
                   {"t": str(threshold)})
        typo = cols.where(literal(q).op("<%")(Contact.search_text)).limit(CANDIDATES)
        # A contact can be in both branches (same row, same rank: adjacent once sorted), and
        # up to len(found) of them are substring matches already listed: 2 x limit suffice.
        for cid in _ranked(db, q, union_all(typo, by_company).subquery("hits"), 2 * limit):
            if cid not in seen:
                seen.add(cid)
                out.append(cid)
        if len(out) >= limit:
            return out[:limit]
    if len(q) < 3:
        out += [cid for cid in _ranked(db, q, by_company.subquery("hits"), 2 * limit)
                if cid not in seen]
    return list(dict.fromkeys(out))[:limit]


def _fts_query(q: str) -> str:
    """Trigrams of each word, OR-ed: candidates that share any trigram with the query."""
    grams: dict[str, None] = {}
    for word in q.split():
        if len(word) < 3:
            continue
        for i in range(len(word) - 2):
            grams['"' + word[i:i + 3].replace('"', '""') + '"'] = None
    return " OR ".join(grams)


def _search_sqlite(db: Session, q: str, limit: int) -> list[uuid.UUID]:
    scored: dict[uuid.UUID, tuple[float, str]] = {}
    pat = _like_pattern(q)
    fts = _fts_query(q)
    if fts:
        rows = db.execute(text("""
            SELECT c.id, c.search_text, c.sort_name FROM contacts_fts f
            JOIN contacts c ON c.rowid = f.rowid
            WHERE contacts_fts MATCH :m AND c.deleted_at IS NULL
            ORDER BY bm25(contacts_fts) LIMIT 500"""), {"m": fts})
    else:  # one or two characters: a plain prefix/substring scan is all that makes sense
        rows = db.execute(text("""
            SELECT id, search_text, sort_name FROM contacts
            WHERE deleted_at IS NULL AND search_text LIKE :pat ESCAPE '\\'
            ORDER BY sort_name LIMIT 500"""), {"pat": pat})
    for cid, search_text, sort_name in rows:
        hay = search_text or ""
        score = 200.0 if q in hay else float(fuzz.partial_ratio(q, hay))
        if score >= MIN_FUZZY_SCORE:
            scored[uuid.UUID(str(cid))] = (score, sort_name or "")
    for (cid,) in db.execute(text("""
            SELECT c.id FROM contacts c JOIN companies co ON co.id = c.company_id
            WHERE co.sort_name LIKE :pat ESCAPE '\\' AND co.deleted_at IS NULL
              AND c.deleted_at IS NULL LIMIT 500"""), {"pat": pat}):
        key = uuid.UUID(str(cid))
        scored.setdefault(key, (150.0, ""))
    ranked = sorted(scored.items(), key=lambda kv: (-kv[1][0], kv[1][1], str(kv[0])))
    return [cid for cid, _ in ranked[:limit]]
