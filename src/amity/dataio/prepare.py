"""Cleaning the rows of a large contact import, in worker processes when it pays.

Cleaning a row (``rows.contact_row``: parsing, email and phone validation with
``phonenumbers``, dates, countries, the ContactCreate check) and deriving its search columns is
pure Python and most of a bulk import's CPU time, so a large import hands each chunk to a pool
of processes while the importing process writes the chunk before it: the two overlap, and on a
machine with several cores the cleaning is spread over them. The database is never touched
here; matching, companies, custom fields and writing stay with the importing process, in chunk
order, so the result is the same with or without the pool.

Workers are started with ``spawn`` (not ``fork``): the importing process may hold database
connections and threads that a forked child must not inherit.
"""

from __future__ import annotations

import multiprocessing
import os
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from amity.contacts.service import SCALARS, refresh_search_keys
from amity.dataio.rows import Options, RowData, contact_row
from amity.dataio.stage import StagedChunk, no_cyclic_gc, stage_rows

# A pool costs a second or two to start (each worker imports the cleaning code): only imports
# with at least this many rows still to go use one.
POOL_FROM = 20_000
# Worker processes; 0 cleans in the importing process. More processes than cores gain nothing.
WORKERS = min(4, os.cpu_count() or 1)
AHEAD = 4  # chunks being cleaned while one is written


@dataclass
class Email:
    email: str
    label: str | None
    is_primary: bool


@dataclass
class Phone:
    e164: str
    label: str | None
    is_primary: bool


@dataclass
class Card:
    """The fields ``refresh_search_keys`` reads, so the search columns are computed by the
    contacts service's own code rather than a copy of it."""

    first_name: str
    last_name: str
    nickname: str | None
    emails: list[Email]
    phones: list[Phone]
    sort_name: str = ""
    search_text: str = ""

    @property
    def primary_email(self) -> str | None:
        return next((e.email for e in self.emails if e.is_primary), None) or (
            self.emails[0].email if self.emails else None)


@dataclass
class Cleaned:
    """One row, cleaned: its ``RowData`` without the validated model (costly to send between
    processes) and, for a valid row, what ``create_contact`` would store: the columns of its
    contact that do not depend on the database, its emails and phones (value, label, primary),
    its tags and its custom fields as given (``custom_given``: the row maps any)."""

    row_number: int
    raw: list[str]
    data: RowData
    base: dict[str, Any] | None = None
    emails: list[tuple[str, str | None, bool]] = field(default_factory=list)
    phones: list[tuple[str, str | None, bool]] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    custom_given: bool = False
    custom: Any = None


def channels(items: list[Any] | None, attr: str) -> list[Any]:
    """Emails or phones as ``_set_channels`` stores them: first of each value kept, the first
    one primary unless one says so (values are already normalised by the row builder)."""
    out: dict[str, Any] = {}
    for item in items or []:
        value = getattr(item, attr)
        if value not in out:
            cls = Email if attr == "email" else Phone
            out[value] = cls(value, item.label, item.primary)
    rows = list(out.values())
    if rows and not any(r.is_primary for r in rows):
        rows[0].is_primary = True
    return rows


def card_of(data: RowData) -> Card:
    model = data.model
    fields = model.model_fields_set
    card = Card(
        (model.first_name or "") if "first_name" in fields else "",
        (model.last_name or "") if "last_name" in fields else "",
        model.nickname if "nickname" in fields else None,
        channels(model.emails, "email"), channels(model.phones, "number"))
    refresh_search_keys(card)  # type: ignore[arg-type]
    return card


def contact_base(data: RowData) -> dict[str, Any]:
    model = data.model
    fields = model.model_fields_set
    row: dict[str, Any] = {
        "first_name": "", "last_name": "", "lifecycle_stage": "lead", "do_not_contact": False,
        "addresses": [], "social_profiles": [], "important_dates": []}
    for key in SCALARS:
        if key in fields:
            value = getattr(model, key)
            if key in ("first_name", "last_name") and value is None:
                value = ""
            if key == "do_not_contact" and value is None:
                value = False
            row[key] = value
    for key in ("addresses", "social_profiles", "important_dates"):
        if key in fields:
            row[key] = [item.model_dump(mode="json") for item in getattr(model, key) or []]
    return row


def clean_rows(headers: list[str], mapping: dict[str, str], opts: Options,
               batch: list[tuple[int, list[str]]]) -> list[Cleaned]:
    with no_cyclic_gc():
        return _clean_rows(headers, mapping, opts, batch)


def _clean_rows(headers: list[str], mapping: dict[str, str], opts: Options,
                batch: list[tuple[int, list[str]]]) -> list[Cleaned]:
    out = []
    for n, raw in batch:
        data = contact_row(headers, mapping, raw, opts)
        c = Cleaned(n, raw, data)
        model = data.model
        if model is not None and not data.errors:
            card = card_of(data)
            c.base = contact_base(data)
            c.base["sort_name"], c.base["search_text"] = card.sort_name, card.search_text
            c.emails = [(e.email, e.label, e.is_primary) for e in card.emails]
            c.phones = [(p.e164, p.label, p.is_primary) for p in card.phones]
            c.tags = list(model.tags or [])
            c.custom_given = "custom_fields" in model.model_fields_set
            c.custom = model.custom_fields
        data.model = None
        out.append(c)
    return out


class Cleaner:
    """Cleans chunks in order; with a pool, the next ``AHEAD`` chunks are being cleaned while
    the caller works on the current one. Close it (or use it as a context manager)."""

    def __init__(self, headers: list[str], mapping: dict[str, str], opts: Options, *,
                 rows_to_go: int, staged: bool = False) -> None:
        self.args = (list(headers), dict(mapping), opts)
        # ``staged``: chunks come back as staging-table COPY text (``stage.stage_rows``)
        self.fn: Any = stage_rows if staged else clean_rows
        self.pool: ProcessPoolExecutor | None = None
        if WORKERS > 0 and rows_to_go >= POOL_FROM:
            self.pool = ProcessPoolExecutor(WORKERS,
                                            mp_context=multiprocessing.get_context("spawn"))

    def __enter__(self) -> Cleaner:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        if self.pool is not None:
            self.pool.shutdown(wait=True, cancel_futures=True)
            self.pool = None

    def clean(self, batch: list[tuple[int, list[str]]]) -> Any:
        return self.fn(*self.args, batch)

    def chunks(self, batches: Iterator[list[tuple[int, list[str]]]],
               ) -> Iterator[tuple[list[tuple[int, list[str]]], Any]]:
        """Each batch with its cleaned rows, in file order."""
        if self.pool is None:
            for batch in batches:
                yield batch, self.clean(batch)
            return
        pending: deque[tuple[list[tuple[int, list[str]]], list[Future[Any]]]] = deque()
        for batch in batches:
            pending.append((batch, self._submit(batch)))
            if len(pending) > AHEAD:
                yield self._collect(pending.popleft())
        while pending:
            yield self._collect(pending.popleft())

    def _submit(self, batch: list[tuple[int, list[str]]]) -> list[Future[Any]]:
        assert self.pool is not None
        size = -(-len(batch) // WORKERS)  # each worker takes a share of the chunk
        fn: Callable[..., Any] = self.fn
        return [self.pool.submit(fn, *self.args, batch[i:i + size])
                for i in range(0, len(batch), size)]

    @staticmethod
    def _collect(item: tuple[list[tuple[int, list[str]]], list[Future[Any]]],
                 ) -> tuple[list[tuple[int, list[str]]], Any]:
        batch, futures = item
        parts = [f.result() for f in futures]
        if parts and isinstance(parts[0], StagedChunk):
            for part in parts[1:]:
                parts[0].add(part)
            return batch, parts[0]
        return batch, [c for part in parts for c in part]
