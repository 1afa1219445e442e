"""Cleaned contact rows as lines of a PostgreSQL COPY into the import's staging table.

On PostgreSQL a large contact import does not build its insert rows in the importing process:
the cleaning workers (``prepare``) turn each valid row into one line of ``COPY ... FROM STDIN``
text for the staging table (``setwrite``), and the importing process passes the bytes on as
they are. Everything else that happens to a row (matching, companies, tags, inserts) is SQL
over that table. The columns are the contact's own (as ``create_contact`` would store them,
search keys included), its emails, phones and tags as arrays, its company by name and its
custom fields as given (checked by the importing process, which knows the definitions).

Nothing here touches a database.
"""

from __future__ import annotations

import gc
import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from amity.core.errors import DomainError
from amity.core.tags import clean_tag_names
from amity.core.text import fold
from amity.dataio.rows import Options

# The contact columns a row gives (``prepare.contact_base``), in staging-table order.
CONTACT_COLUMNS = (
    ("first_name", "text"), ("last_name", "text"), ("nickname", "text"), ("job_title", "text"),
    ("department", "text"), ("lifecycle_stage", "text"), ("source", "text"),
    ("birthday", "date"), ("gender", "text"), ("language", "text"), ("time_zone", "text"),
    ("preferred_channel", "text"), ("best_time_to_contact", "text"),
    ("do_not_contact", "boolean"), ("personal_notes", "text"), ("addresses", "jsonb"),
    ("social_profiles", "jsonb"), ("important_dates", "jsonb"), ("sort_name", "text"),
    ("search_text", "text"))
JSON_COLUMNS = {"addresses", "social_profiles", "important_dates"}
# What the workers write, in order; the table has a few more columns filled by SQL.
COPIED = (("row_number", "integer"), *CONTACT_COLUMNS, ("company_name", "text"),
          ("company_key", "text"), ("emails", "text[]"), ("email_labels", "text[]"),
          ("email_primary", "boolean[]"), ("phones", "text[]"), ("phone_labels", "text[]"),
          ("phone_primary", "boolean[]"), ("tag_names", "text[]"), ("tag_keys", "text[]"),
          ("custom_given", "boolean"))
_ESCAPE = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})
_KNOWN = {name for name, _ in CONTACT_COLUMNS}


@dataclass
class StagedChunk:
    """One chunk (or a worker's share of one), cleaned: the COPY text of its valid rows,
    its refused rows (row number, raw values, errors), how many were blank, and the custom
    fields of the rows that give any (row number -> values as given)."""

    first_row: int
    copy: bytes = b""
    rows: int = 0
    errors: list[tuple[int, list[str], list[dict[str, str]]]] = field(default_factory=list)
    blank: int = 0
    custom: dict[int, Any] = field(default_factory=dict)

    def add(self, other: StagedChunk) -> None:
        self.copy += other.copy
        self.rows += other.rows
        self.errors += other.errors
        self.blank += other.blank
        self.custom.update(other.custom)


@contextmanager
def no_cyclic_gc() -> Iterator[None]:
    """Cleaning a batch makes and drops many small objects (dicts, validated models), which
    reference counting frees as each row is done; the cyclic collector, run every few hundred
    allocations, found nothing to free and cost 10-15% of the cleaning. It runs again after
    the batch."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def _escape(text: str) -> str:
    # ``translate`` looks up every character (about 1 us for an email address); most values
    # hold none of the four characters, which ``in`` finds out twenty times faster
    if "\\" in text or "\t" in text or "\n" in text or "\r" in text:
        return text.translate(_ESCAPE)
    return text


def _element(value: Any) -> str:
    if value is None:
        return "NULL"
    if value is True or value is False:
        return "t" if value else "f"
    return '"' + str(value).replace("\\", "\\\\").replace('"', '\\"') + '"'


def _field(value: Any) -> str:
    if type(value) is str:  # most fields
        return _escape(value)
    if value is None:
        return "\\N"
    if value is True or value is False:
        return "t" if value else "f"
    if isinstance(value, list):
        text = "{" + ",".join(_element(v) for v in value) + "}"
    else:
        text = str(value)
    return _escape(text)


def copy_line(values: list[Any]) -> str:
    """One line of COPY text format (tab-separated, ``\\N`` for NULL, arrays as literals)."""
    return "\t".join(map(_field, values)) + "\n"


def stage_rows(headers: list[str], mapping: dict[str, str], opts: Options,
               batch: list[tuple[int, list[str]]]) -> StagedChunk:
    """Clean a batch (as ``prepare.clean_rows``) into staging-table COPY text."""
    with no_cyclic_gc():
        return _stage_rows(headers, mapping, opts, batch)


def _stage_rows(headers: list[str], mapping: dict[str, str], opts: Options,
                batch: list[tuple[int, list[str]]]) -> StagedChunk:
    from amity.dataio.prepare import clean_rows  # prepare imports this module

    out = StagedChunk(batch[0][0] if batch else 0)
    lines: list[str] = []
    # tag lists repeat from row to row: each distinct one is cleaned and folded once
    tag_lists: dict[tuple[str, ...], tuple[list[str], list[str]]] = {}
    for c in clean_rows(headers, mapping, opts, batch):
        if c.data.errors:
            out.errors.append((c.row_number, c.raw, c.data.errors))
            continue
        if c.data.blank or c.base is None:
            out.blank += 1
            continue
        base = c.base
        unknown = set(base) - _KNOWN
        if unknown:  # a new contact column reached the import: stage it before using it
            raise ValueError(f"staging has no column for {sorted(unknown)}")
        values: list[Any] = [c.row_number]
        for name, _ in CONTACT_COLUMNS:
            value = base.get(name)
            values.append(json.dumps(value) if name in JSON_COLUMNS and value is not None
                          else value)
        given = tuple(c.tags)
        if given not in tag_lists:
            try:
                names = clean_tag_names(c.tags)
            except DomainError as exc:  # as the service would refuse it
                c.data.fail(exc.field or "tags", exc.message)
                out.errors.append((c.row_number, c.raw, c.data.errors))
                continue
            tag_lists[given] = (names, [fold(n) for n in names])
        names, keys = tag_lists[given]
        company = c.data.company_name
        values += [company, fold(company) if company else None,
                   [e[0] for e in c.emails], [e[1] for e in c.emails], [e[2] for e in c.emails],
                   [p[0] for p in c.phones], [p[1] for p in c.phones], [p[2] for p in c.phones],
                   names, keys, c.custom_given]
        if c.custom_given:
            out.custom[c.row_number] = c.custom
        lines.append(copy_line(values))
    out.copy = "".join(lines).encode()
    out.rows = len(lines)
    return out
