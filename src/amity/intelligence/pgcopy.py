"""PostgreSQL binary ``COPY`` to and from numpy columns, for the million-row reads and writes
of the scoring job.

Every field of these statements is a fixed-size, never-NULL number, so each row of the
binary format has the same length and numpy reads (or writes) a whole block as one
structured array of big-endian fields: no Python object per row. NaN is sent as a float
and turned into NULL by the statement that reads the staging table.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import TextClause

SIGNATURE = b"PGCOPY\n\xff\r\n\x00" + b"\x00\x00\x00\x00" + b"\x00\x00\x00\x00"
TRAILER = b"\xff\xff"
TYPES = {"i": ">i4", "l": ">i8", "f": ">f8", "b": "?"}
BLOCK = 8 << 20  # bytes decoded at a time


def _row_dtype(kinds: str) -> np.dtype[Any]:
    fields: list[tuple[str, str]] = [("n", ">i2")]
    for j, kind in enumerate(kinds):
        fields += [(f"len{j}", ">i4"), (f"v{j}", TYPES[kind])]
    return np.dtype(fields)


def _driver(db: Session) -> Any:
    return db.connection().connection.driver_connection


def read_columns(db: Session, stmt: TextClause, params: dict[str, Any],
                 kinds: str) -> list[NDArray[Any]]:
    """The columns of ``stmt`` (one kind letter each: ``i`` int4, ``l`` int8, ``f`` float8)
    read with ``COPY (...) TO STDOUT (FORMAT BINARY)`` in this session's transaction."""
    dtype = _row_dtype(kinds)
    sql = str(stmt.compile(dialect=db.get_bind().dialect))
    parts: list[NDArray[Any]] = []
    pending = bytearray()
    header = True
    with _driver(db).cursor() as cur, \
            cur.copy(f"COPY ({sql}) TO STDOUT (FORMAT BINARY)", params) as copy:
        for block in copy:
            pending += block
            if header and len(pending) >= len(SIGNATURE):
                del pending[:len(SIGNATURE)]
                header = False
            if len(pending) >= BLOCK:
                parts.append(_decode(pending, dtype))
        if header:
            del pending[:len(SIGNATURE)]
        if pending[-2:] == TRAILER and len(pending) % dtype.itemsize == 2:
            del pending[-2:]
        parts.append(_decode(pending, dtype))
        if pending:
            raise RuntimeError("COPY: rows of unexpected size (a NULL or a wider type)")
    rows = np.concatenate(parts) if parts else np.zeros(0, dtype=dtype)
    if rows.size and (np.any(rows["n"] != len(kinds))
                      or any(np.any(rows[f"len{j}"] < 0) for j in range(len(kinds)))):
        raise RuntimeError("COPY: a NULL or an unexpected field count")
    return [rows[f"v{j}"].astype(rows[f"v{j}"].dtype.newbyteorder("=")) for j in
            range(len(kinds))]


def _decode(pending: bytearray, dtype: np.dtype[Any]) -> NDArray[Any]:
    whole = len(pending) // dtype.itemsize * dtype.itemsize
    out = np.frombuffer(bytes(pending[:whole]), dtype=dtype).copy()
    del pending[:whole]
    return out


def write_columns(db: Session, table: str, columns: list[str],
                  values: list[NDArray[Any]], kinds: str, *, chunk: int = 200_000) -> None:
    """``COPY table (columns) FROM STDIN (FORMAT BINARY)`` from equal-length arrays."""
    dtype = _row_dtype(kinds)
    n = len(values[0]) if values else 0
    with _driver(db).cursor() as cur, \
            cur.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN (FORMAT BINARY)") as copy:
        copy.write(SIGNATURE)
        for start in range(0, n, chunk):
            stop = min(n, start + chunk)
            rows = np.empty(stop - start, dtype=dtype)
            rows["n"] = len(kinds)
            for j, kind in enumerate(kinds):
                rows[f"len{j}"] = np.dtype(TYPES[kind]).itemsize
                rows[f"v{j}"] = values[j][start:stop]
            copy.write(rows.tobytes())
        copy.write(TRAILER)
