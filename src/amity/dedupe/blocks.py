"""Duplicate detection over more records than memory should hold: blocks spilled to disk.

``detect.find_duplicates`` keeps every record and every block in memory (about 1.8 KB per
contact, most of a gigabyte at a million). Here the records are read once, as a stream: each
is written, once per blocking key, to one of several spill files chosen by a hash of the key,
so every block lands whole in one file. The files are then read back one at a time and their
blocks compared exactly as ``detect.candidate_pairs`` compares them (every pair in a small
block, a window of neighbours sorted by name in a large one, members in stream order), so the
pairs compared, and the matches found, are the same. Memory holds one file's share of the
records, its blocks and the matches. A pair whose shared keys land in different files is
compared once per file; its match is kept once.
"""

from __future__ import annotations

import marshal
import tempfile
import uuid
import zlib
from collections import defaultdict
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO, Any

from amity.dedupe.detect import (
    DEFAULT_THRESHOLD,
    MAX_BLOCK,
    WINDOW,
    Candidate,
    Match,
    blocking_keys,
    compare,
)

PER_FILE = 100_000  # block entries per spill file, about (a record has four or five keys)


def _pack(n: int, c: Candidate) -> tuple[Any, ...]:
    return (n, c.id.bytes, c.first, c.last, c.emails, c.phones, c.birthday, c.street, c.city,
            c.postcode, c.company)


def _unpack(t: tuple[Any, ...]) -> Candidate:
    return Candidate(uuid.UUID(bytes=t[1]), *t[2:])


def _entries(f: IO[bytes]) -> Iterator[tuple[Any, ...]]:
    while True:
        try:
            yield marshal.load(f)  # noqa: S302 - files this process wrote a moment ago
        except EOFError:
            return


def find_duplicates_streamed(records: Iterable[Candidate], *, expected: int,
                             kind: str = "contact", threshold: float = DEFAULT_THRESHOLD,
                             per_file: int = PER_FILE, max_block: int = MAX_BLOCK,
                             window: int = WINDOW) -> tuple[list[Match], int]:
    """``detect.find_duplicates`` for a stream of about ``expected`` records; also returns
    how many records it read."""
    files = max(1, expected * 4 // per_file)
    found: dict[tuple[uuid.UUID, uuid.UUID], Match] = {}
    with tempfile.TemporaryDirectory(prefix="amity-dedupe-") as tmp:
        paths = [Path(tmp) / str(i) for i in range(files)]
        outs = [p.open("wb") for p in paths]
        count = 0
        try:
            for rec in records:
                packed = None
                for key in blocking_keys(rec, kind=kind):
                    packed = packed or _pack(count, rec)
                    marshal.dump((key, packed), outs[zlib.crc32(key.encode()) % files])
                count += 1
        finally:
            for out in outs:
                out.close()
        for path in paths:
            with path.open("rb") as f:
                _compare_file(_entries(f), found, kind=kind, threshold=threshold,
                              max_block=max_block, window=window)
            path.unlink()
    matches = sorted(found.values(), key=lambda m: (-m.score, m.a, m.b))
    return matches, count


def _compare_file(entries: Iterator[tuple[Any, ...]],
                  found: dict[tuple[uuid.UUID, uuid.UUID], Match], *, kind: str,
                  threshold: float, max_block: int, window: int) -> None:
    recs: dict[int, Candidate] = {}
    blocks: dict[str, list[int]] = defaultdict(list)
    for key, packed in entries:
        n = packed[0]
        if n not in recs:
            recs[n] = _unpack(packed)
        blocks[key].append(n)
    seen: set[tuple[int, int]] = set()
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
            pair = (i, j) if i < j else (j, i)
            if pair in seen:
                continue
            seen.add(pair)
            a, b = recs[i], recs[j]
            lo, hi = (a.id, b.id) if a.id < b.id else (b.id, a.id)
            if (lo, hi) in found:
                continue
            score, reasons = compare(a, b, kind=kind)
            if score >= threshold:
                found[(lo, hi)] = Match(lo, hi, score, tuple(reasons))
