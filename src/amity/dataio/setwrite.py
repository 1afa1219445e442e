"""The set-based write of a bulk contact import chunk on PostgreSQL.

The cleaning workers send each chunk as COPY text (``stage``); it goes as it is into a
temporary staging table (``ON COMMIT DELETE ROWS``: each chunk's transaction sees only its
own rows), and the chunk is decided and written with a handful of statements over it:

1. matching (unless the import's match mode is "create"): a row is *matched* when one of its
   emails or E.164 phone numbers belongs to a live contact the importing user may see (joins
   on the indexed ``contact_emails.email`` / ``contact_phones.e164``), or to an earlier row of
   the chunk (a window over the chunk's keys);
2. custom fields of the unmatched rows checked against their definitions (in Python: only the
   rows that give any), companies found or created by name and tags resolved, once per
   distinct name, as the bulk path does;
3. ``INSERT ... SELECT`` of the new contacts, their emails, phones and tags, and the import's
   change list (what rollback removes), from the staging table.

Matched rows are then re-cleaned in the importing process and decided and written by the row
path's planner (``BulkWriter.plan_matched`` + ``runner.carry_out``), exactly as before: the
update's per-contact audit entry and ``ImportChange.previous`` (what undo restores) are the
row path's own. The chunk gets one audit entry and one summary event for the contacts it made.
"""

from __future__ import annotations

import json
import uuid
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    Boolean,
    Column,
    Integer,
    MetaData,
    Table,
    Text,
    func,
    select,
    text,
    union,
    update,
)

from amity.auth.access import scoped
from amity.contacts.models import Contact, ContactEmail, ContactPhone
from amity.core.clock import now
from amity.core.customfields import validate_custom_fields
from amity.core.errors import DomainError
from amity.core.tags import get_or_create_tags
from amity.dataio.prepare import clean_rows
from amity.dataio.runner import Plan
from amity.dataio.stage import CONTACT_COLUMNS, COPIED, StagedChunk

if TYPE_CHECKING:
    from amity.dataio.bulk import BulkWriter

STAGE = "import_stage"
ANALYZE_FROM = 5000  # rows this import added before the tables' statistics are refreshed
# A time-ordered id made by the server (the UUID version 7 layout: 48 bits of Unix
# milliseconds, then random bits). The rows of a chunk get neighbouring ids, so the primary-key
# and contact_id indexes of contacts, emails, phones, tags and the change list grow at their
# right edge; with random ids each row touched a random page of each (at a million contacts,
# more pages than the server keeps in memory, and each first touch after a checkpoint wrote a
# full page to the WAL).
UUID7 = ("CAST(encode(set_bit(set_bit(overlay(uuid_send(gen_random_uuid()) PLACING "
         "substring(int8send(floor(extract(epoch FROM clock_timestamp()) * 1000)::bigint) "
         "FROM 3) FROM 1 FOR 6), 52, 1), 53, 1), 'hex') AS uuid)")
_DDL = ("CREATE TEMP TABLE IF NOT EXISTS import_stage ("
        + ", ".join(f"{name} {kind}" for name, kind in COPIED)
        + f", id uuid NOT NULL DEFAULT {UUID7}, custom_fields jsonb,"
        " matched boolean NOT NULL DEFAULT false) ON COMMIT DELETE ROWS")
# Each staged row's emails and phones, one per row of this table, for the matching joins. The
# planner reads the arrays' unnest as ten elements a row (PostgreSQL 15 has no statistics for
# it): ten times too many, so at a million contacts it chose hash joins over every email and
# phone (half a second a chunk). Analysed, this table gives it the real count.
_KEYS_DDL = ("CREATE TEMP TABLE IF NOT EXISTS import_keys (row_number integer NOT NULL, "
             "key text NOT NULL, phone boolean NOT NULL) ON COMMIT DELETE ROWS")
_FILL_KEYS = ("INSERT INTO import_keys SELECT row_number, unnest(emails), false FROM import_stage "
              "UNION ALL SELECT row_number, unnest(phones), true FROM import_stage")
_keys = Table("import_keys", MetaData(), Column("row_number", Integer), Column("key", Text),
              Column("phone", Boolean))
# the staging columns the statement marking matched rows uses, for SQLAlchemy
_st = Table(STAGE, MetaData(), Column("row_number", Integer), Column("matched", Boolean))
_CONTACT_COLS = ", ".join(name for name, _ in CONTACT_COLUMNS)
_STAGED_COLS = ", ".join(f"s.{name}" for name, _ in CONTACT_COLUMNS)


def write(w: BulkWriter, batch: list[tuple[int, list[str]]], staged: StagedChunk) -> None:
    """Write one chunk (the caller commits); see the module doc."""
    p, imp, db = w.planner, w.imp, w.db
    db.execute(text("SET LOCAL synchronous_commit TO off"))
    # these statements are small; compiling them (estimates can overshoot) costs more than it saves
    db.execute(text("SET LOCAL jit TO off"))
    # the email and phone indexes the matching probes are read chunk after chunk and stay in
    # memory: at the default random_page_cost of 4, 5,000 probes looked dearer than reading
    # every email and phone (80 ms each at a million contacts, against a few ms of probes)
    db.execute(text("SET LOCAL random_page_cost TO 1.1"))
    db.execute(text(_DDL))
    db.execute(text(_KEYS_DDL))
    raw_of = dict(batch)
    errors = [_error(w, n, raw, errs) for n, raw, errs in staged.errors]
    if staged.rows:
        cols = ", ".join(name for name, _ in COPIED)
        cur_conn = db.connection().connection.driver_connection
        assert cur_conn is not None
        with cur_conn.cursor() as cur, cur.copy(f"COPY import_stage ({cols}) FROM STDIN") as cp:
            cp.write(staged.copy)
        db.execute(text(_FILL_KEYS))
        db.execute(text("ANALYZE import_keys"))
    matched: list[int] = []
    if staged.rows and p.opts.match != "create":
        db.execute(update(_st).where(_st.c.row_number.in_(_matching(w))).values(matched=True))
        matched = list(db.scalars(text("SELECT row_number FROM import_stage WHERE matched "
                                       "ORDER BY row_number")))
    made = companies = 0
    if staged.rows > len(matched):  # the order of create_contact's own refusals
        companies, company_errors, company_ids = _companies(w, raw_of)
        errors += company_errors
        gone = set(matched) | {e["row_number"] for e in company_errors}
        errors += _custom_fields(w, staged, gone, raw_of)
        made = _insert(w, imp.id, company_ids)
    w.insert_rows(_no_rows(), errors)
    _keep_statistics(w, made)
    w.summarise(batch, made, companies)
    if matched:
        from amity.dataio.runner import carry_out

        again = clean_rows(list(imp.headers), dict(imp.mapping), p.opts,
                           [(n, raw_of[n]) for n in matched])
        carry_out(p, w.plan_matched(again))
    # last: the import's row changes once per chunk (see carry_out)
    imp.created_count += made
    imp.error_count += len(errors)
    imp.skipped_count += staged.blank


def _keep_statistics(w: BulkWriter, made: int) -> None:
    """ANALYZE the tables the matching joins read whenever this import has about doubled them
    since their statistics were taken. A bulk load outgrows autovacuum's analyze (a minute
    apart at best; off on some servers): planned on stale row counts, the matching and
    ``contacts_by_key`` joins became sequential scans whose cost grows with every chunk."""
    db = w.db
    if w.stats_rows is None:
        w.stats_rows = max(0.0, float(db.scalar(text(
            "SELECT reltuples FROM pg_class WHERE oid = 'contacts'::regclass")) or 0))
    w.unanalysed += made
    if w.unanalysed < max(ANALYZE_FROM, w.stats_rows):
        return
    for table in ("contacts", "contact_emails", "contact_phones", "contact_tags"):
        db.execute(text(f"ANALYZE {table}"))
    w.stats_rows = float(db.scalar(text(
        "SELECT reltuples FROM pg_class WHERE oid = 'contacts'::regclass")) or 0)
    w.unanalysed = 0


def _no_rows() -> Any:
    from amity.dataio.bulk import Rows

    return Rows()


def _error(w: BulkWriter, n: int, raw: list[str], errs: list[dict[str, str]]) -> dict[str, Any]:
    return {"id": next(w.ids), "import_id": w.imp.id, "row_number": n, "raw": raw,
            "errors": errs}


def _matching(w: BulkWriter) -> Any:
    """Row numbers of the staged rows that share an email or phone number with a live contact
    the user may see, or with an earlier row of the chunk."""
    p = w.planner
    emails = select(_keys.c.row_number, _keys.c.key).where(~_keys.c.phone).subquery()
    phones = select(_keys.c.row_number, _keys.c.key).where(_keys.c.phone).subquery()
    known_e: Any = select(emails.c.row_number).join(
        ContactEmail, ContactEmail.email == emails.c.key).join(
        Contact, Contact.id == ContactEmail.contact_id).where(Contact.deleted_at.is_(None))
    known_p: Any = select(phones.c.row_number).join(
        ContactPhone, ContactPhone.e164 == phones.c.key).join(
        Contact, Contact.id == ContactPhone.contact_id).where(Contact.deleted_at.is_(None))
    known_e = scoped(w.db, known_e, p.actor, Contact, p.view)
    known_p = scoped(w.db, known_p, p.actor, Contact, p.view)
    firsts = select(_keys.c.row_number, func.min(_keys.c.row_number).over(
        partition_by=_keys.c.key).label("first")).subquery()
    again = select(firsts.c.row_number).where(firsts.c.row_number > firsts.c.first)
    return union(known_e, known_p, again)


def _custom_fields(w: BulkWriter, staged: StagedChunk, gone: set[int],
                   raw_of: dict[int, list[str]]) -> list[dict[str, Any]]:
    """Check the custom fields the unmatched rows give (the others take the defaults, or are
    refused as ``create_contact`` refuses them when a required field has none); refused rows
    leave the staging table."""
    errors, checked, refused = [], {}, []
    for n, given in staged.custom.items():
        if n in gone:
            continue
        try:
            checked[str(n)] = validate_custom_fields(w.db, "contact", given, existing={})
        except DomainError as exc:
            refused.append(n)
            errors.append(_error(w, n, raw_of[n], [{"field": exc.field or "row",
                                                    "message": exc.message}]))
    if checked:
        w.db.execute(text("UPDATE import_stage s SET custom_fields = c.value FROM "
                          "jsonb_each(CAST(:checked AS jsonb)) c "
                          "WHERE s.row_number = CAST(c.key AS integer)"),
                     {"checked": json.dumps(checked, default=str)})
    if w.default_error is not None:
        default = w.default_error
        refused_rows = list(w.db.scalars(text(
            "SELECT row_number FROM import_stage WHERE NOT matched AND NOT custom_given")))
        refused += refused_rows
        errors += [_error(w, n, raw_of[n], [{"field": default.field or "row",
                                             "message": default.message}])
                   for n in refused_rows]
    _drop(w, refused)
    return errors


def _drop(w: BulkWriter, rows: list[int]) -> None:
    if rows:
        w.db.execute(text("DELETE FROM import_stage WHERE row_number = ANY(:rows)"),
                     {"rows": rows})


def _companies(w: BulkWriter, raw_of: dict[int, list[str]],
               ) -> tuple[int, list[dict[str, Any]], dict[str, uuid.UUID]]:
    """The companies the unmatched rows name (first row naming each, in row order), found or
    created as the bulk path does; rows naming one that may not be created are refused.
    Returns how many were created, the refused rows and each named company's id by key (the
    contacts' insert joins it)."""
    from amity.dataio.bulk import Rows

    p = w.planner
    named = [(name, list(emails or []), n) for n, name, emails in w.db.execute(text(
        "SELECT DISTINCT ON (company_key) row_number, company_name, emails FROM import_stage "
        "WHERE NOT matched AND company_key IS NOT NULL ORDER BY company_key, row_number"))]
    if not named:
        return 0, [], {}
    named.sort(key=lambda x: x[2])
    out = Rows()
    if w.company_error is None:
        w.companies_named(named, out)
    else:  # the service raises what the row path raises
        from amity.dataio.rows import RowData

        p.resolve_companies([Plan(n, [], "create", RowData(company_name=name, emails=emails))
                             for name, emails, n in named])
    w.insert_rows(out, [])
    found = {k: p.companies_by_name[k] for k in (_key(name) for name, _, _ in named)
             if k in p.companies_by_name}
    errors, refused = [], []
    for n, name in w.db.execute(text(
            "SELECT row_number, company_name FROM import_stage WHERE NOT matched AND "
            "company_key IS NOT NULL AND NOT (company_key = ANY(CAST(:keys AS text[]))) "
            "ORDER BY row_number"), {"keys": list(found)}):
        try:
            p.company_for(name)
        except DomainError as exc:
            refused.append(n)
            errors.append(_error(w, n, raw_of[n], [{"field": exc.field or "row",
                                                    "message": exc.message}]))
    _drop(w, refused)
    return len(out.companies), errors, found


def _key(name: str) -> str:
    from amity.dataio.bulk import _fold

    return _fold(name)


def _tags(w: BulkWriter) -> tuple[list[str], list[uuid.UUID]]:
    """The tags the unmatched rows give, each spelt as its first row spells it, found or
    created once; their keys and ids."""
    names = list(w.db.scalars(text(
        "SELECT name FROM (SELECT DISTINCT ON (t.key) t.key, t.name FROM import_stage s, "
        "unnest(s.tag_names, s.tag_keys) WITH ORDINALITY AS t(name, key, i) "
        "WHERE NOT s.matched ORDER BY t.key, s.row_number, t.i) first "
        "ORDER BY key")))
    missing = [t for t in names if _key(t) not in w.tag_ids]
    if missing:
        w.tag_ids.update((t.key, t.id) for t in get_or_create_tags(w.db, missing))
        w.db.flush()
        w.tag_ids.update((t.key, t.id) for t in get_or_create_tags(w.db, missing))
    keys = [_key(t) for t in names]
    return keys, [w.tag_ids[k] for k in keys]


def _insert(w: BulkWriter, imp_id: uuid.UUID, company_ids: dict[str, uuid.UUID]) -> int:
    """The unmatched rows as contacts (their companies joined by key), with their emails,
    phones, tags and change-list rows; returns how many contacts."""
    db, at = w.db, now()
    tag_keys, tag_ids = _tags(w)
    # the column and table names below are this module's constants
    made: Any = db.execute(text(
        "INSERT INTO contacts (id, owner_id, created_at, updated_at, version, custom_fields, "  # noqa: S608
        f"company_id, {_CONTACT_COLS}) SELECT s.id, :owner, :at, :at, 1, "
        f"COALESCE(s.custom_fields, CAST(:defaults AS jsonb)), co.id, {_STAGED_COLS} "
        "FROM import_stage s LEFT JOIN unnest(CAST(:ckeys AS text[]), CAST(:cids AS uuid[])) "
        "AS co(key, id) ON co.key = s.company_key WHERE NOT s.matched ORDER BY s.row_number"),
        {"owner": w.planner.actor.id, "at": at,
         "defaults": json.dumps(w.defaults, default=str),
         "ckeys": list(company_ids), "cids": list(company_ids.values())})
    for table, col, arrays in (("contact_emails", "email", "emails, s.email_labels, "
                                "s.email_primary"),
                               ("contact_phones", "e164", "phones, s.phone_labels, "
                                "s.phone_primary")):
        db.execute(text(
            f"INSERT INTO {table} (id, contact_id, {col}, label, is_primary, position) "  # noqa: S608
            f"SELECT {UUID7}, s.id, c.value, c.label, c.is_primary, c.i - 1 "
            f"FROM import_stage s, unnest(s.{arrays}) WITH ORDINALITY "
            "AS c(value, label, is_primary, i) WHERE NOT s.matched"))
    if tag_keys:
        db.execute(text(
            "INSERT INTO contact_tags (contact_id, tag_id) SELECT DISTINCT s.id, m.id "
            "FROM import_stage s, unnest(s.tag_keys) AS k(key), unnest(CAST(:keys AS text[]), "
            "CAST(:ids AS uuid[])) AS m(key, id) WHERE NOT s.matched AND m.key = k.key"),
            {"keys": tag_keys, "ids": tag_ids})
    db.execute(text(
        "INSERT INTO import_changes (id, import_id, row_number, entity_type, record_id, "  # noqa: S608
        f"action) SELECT {UUID7}, :imp, row_number, 'contact', id, 'created' "
        "FROM import_stage WHERE NOT matched"), {"imp": imp_id})
    return int(made.rowcount or 0)
