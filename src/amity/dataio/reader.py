"""Reading uploaded files as rows: format, encoding and delimiter sniffing, unique headers.

Every reader streams: ``iter_rows`` yields ``(row_number, values)`` one record at a time and
can start at any row (a resumed import skips what it already did), so a file is never loaded
whole. vCards are split card by card before vobject parses each, so one broken card is one
row error, not a failed file.
"""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time
from itertools import islice
from pathlib import Path
from typing import Any

from charset_normalizer import from_bytes

from amity.core.errors import ValidationFailed

SAMPLE_BYTES = 64 * 1024
DELIMITERS = ",;\t|"
# Code pages charset-normalizer may name for text that is not in a Latin script; for any other
# single-byte guess cp1252 is tried first (small samples of Latin code pages look alike).
NON_LATIN = ("cp1251", "koi8", "cp1253", "cp1255", "cp1256", "iso8859_5", "iso8859_6",
             "iso8859_7", "iso8859_8", "mac_cyrillic", "mac_greek", "cp866", "cp855",
             "shift_jis", "euc", "gb", "big5", "cp949", "cp932", "cp936", "cp950", "hz",
             "iso2022", "utf", "tis", "cp874", "johab", "ptcp154", "kz1048")
XLSX_MAGIC = b"PK\x03\x04"
CARD_ERROR = "\ufffecard: "  # a vCard row holding why the card could not be read
csv.field_size_limit(1024 * 1024)

# The columns a vCard becomes: up to three emails, phones and URLs per card.
VCARD_HEADERS = ["Full Name", "First Name", "Middle Name", "Last Name", "Nickname",
                 "E-mail 1", "E-mail 2", "E-mail 3", "Phone 1", "Phone 2", "Phone 3",
                 "Company", "Department", "Job Title", "Street", "City", "Region",
                 "Postal Code", "Country", "Birthday", "Notes", "Website 1", "Website 2",
                 "Categories"]


@dataclass
class Sniffed:
    format: str
    encoding: str | None = None
    delimiter: str | None = None
    headers: list[str] = field(default_factory=list)
    renamed: dict[str, str] = field(default_factory=dict)  # unique name -> original


def unique_headers(raw: list[Any]) -> tuple[list[str], dict[str, str]]:
    """Blank headers become 'Column N'; a repeated one 'Email (2)'; renames are reported."""
    out: list[str] = []
    renamed: dict[str, str] = {}
    seen: set[str] = set()
    for i, value in enumerate(raw, start=1):
        name = " ".join(str(value if value is not None else "").split()) or f"Column {i}"
        base, n = name, 1
        while name.lower() in seen:
            n += 1
            name = f"{base} ({n})"
        if name != base or not str(value or "").strip():
            renamed[name] = str(value if value is not None else "")
        seen.add(name.lower())
        out.append(name)
    return out, renamed


def detect_encoding(path: Path) -> str:
    """BOM first, then strict UTF-8 over the whole file (streamed), then charset-normalizer
    on a sample, then cp1252 (or latin-1, which decodes any byte)."""
    with path.open("rb") as f:
        head = f.read(4)
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        with path.open("rb") as f:
            while chunk := f.read(SAMPLE_BYTES):
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
        return "utf-8"
    except UnicodeDecodeError:
        pass
    with path.open("rb") as f:
        sample = f.read(SAMPLE_BYTES)
    best = from_bytes(sample).best()
    candidates = [best.encoding] if best is not None else []
    if best is not None and not best.encoding.startswith(NON_LATIN):
        # on a small sample the Latin code pages are hard to tell apart; cp1252 (what Excel
        # writes on Western systems) decodes every one of them the way people expect
        candidates = ["cp1252", best.encoding]
    for enc in [*candidates, "cp1252", "latin-1"]:
        if enc.replace("_", "").lower() in ("utf8", "ascii"):
            continue
        try:
            with path.open("rb") as f:
                dec = codecs.getincrementaldecoder(enc)()
                while chunk := f.read(SAMPLE_BYTES):
                    dec.decode(chunk)
            return codecs.lookup(enc).name
        except (UnicodeDecodeError, LookupError):
            continue
    return "latin-1"


def _consistent_columns(sample: str, delimiter: str) -> int:
    """How many columns the sample's complete records agree on with this delimiter (0: none)."""
    records = list(csv.reader(io.StringIO(sample), delimiter=delimiter))[:-1] or \
        list(csv.reader(io.StringIO(sample), delimiter=delimiter))
    widths = [len(r) for r in records if any(c.strip() for c in r)]
    if not widths or widths[0] < 2:
        return 0
    agree = sum(1 for w in widths if w == widths[0])
    return widths[0] if agree >= max(1, int(len(widths) * 0.8)) else 0


def detect_delimiter(sample: str) -> str:
    try:
        sniffed = csv.Sniffer().sniff(sample, delimiters=DELIMITERS).delimiter
        if _consistent_columns(sample, sniffed):
            return sniffed
    except csv.Error:
        pass
    scored = sorted(DELIMITERS, key=lambda d: _consistent_columns(sample, d), reverse=True)
    return scored[0] if _consistent_columns(sample, scored[0]) else ","


def _is_vcard(head: bytes) -> bool:
    text = head.lstrip(codecs.BOM_UTF8).lstrip().upper()
    return text.startswith(b"BEGIN:VCARD")


def sniff(path: Path, filename: str) -> Sniffed:
    with path.open("rb") as f:
        head = f.read(SAMPLE_BYTES)
    if not head.strip():
        raise ValidationFailed("import.empty", "The file is empty", "file")
    suffix = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    if head.startswith(XLSX_MAGIC):
        return _sniff_xlsx(path)
    if _is_vcard(head) or suffix in ("vcf", "vcard"):
        if not _is_vcard(head):
            raise ValidationFailed("import.unreadable", "The file is not a vCard file", "file")
        return Sniffed(format="vcard", encoding=detect_encoding(path),
                       headers=list(VCARD_HEADERS))
    if b"\x00" in head and not head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise ValidationFailed("import.unknown_format", "Send a CSV, XLSX or vCard file "
                               "(this one is neither text nor a spreadsheet)", "file")
    if suffix in ("xls", "ods", "pdf", "zip", "doc", "docx"):
        raise ValidationFailed("import.unknown_format", f"'.{suffix}' files are not read; send "
                               "CSV, XLSX or vCard", "file")
    encoding = detect_encoding(path)
    with path.open("r", encoding=encoding, newline="") as f:
        sample = f.read(SAMPLE_BYTES)
    delimiter = detect_delimiter(sample)
    first = next(csv.reader(io.StringIO(sample), delimiter=delimiter), [])
    headers, renamed = unique_headers(first)
    if not any(h for h in first if str(h).strip()):
        raise ValidationFailed("import.no_headers", "The first line must name the columns",
                               "file")
    return Sniffed(format="csv", encoding=encoding, delimiter=delimiter, headers=headers,
                   renamed=renamed)


def _sniff_xlsx(path: Path) -> Sniffed:
    from openpyxl import load_workbook

    try:
        wb = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # zip or XML damage: the library raises many kinds
        raise ValidationFailed("import.unreadable", "The spreadsheet cannot be read: "
                               f"{type(exc).__name__}", "file") from exc
    try:
        ws = wb.worksheets[0]
        first = next(ws.iter_rows(max_row=1, values_only=True), ())
    finally:
        wb.close()
    if not any(v not in (None, "") for v in first):
        raise ValidationFailed("import.no_headers", "The first row must name the columns",
                               "file")
    headers, renamed = unique_headers(list(first))
    return Sniffed(format="xlsx", headers=headers, renamed=renamed)


def cell_text(value: Any) -> str:
    """A spreadsheet cell as text: dates as ISO dates (or date-times), whole floats as ints."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time(0) else value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _fit(values: list[Any], width: int) -> list[str]:
    row = [cell_text(v) if not isinstance(v, str) else v for v in values[:width]]
    return row + [""] * (width - len(row))


def iter_rows(path: Path, sniffed: Sniffed, start: int = 0) -> Iterator[tuple[int, list[str]]]:
    """Data rows (1-based numbers) after the header, from row ``start + 1`` on (NUL characters
    dropped: no database stores them in text)."""
    for n, row in _rows(path, sniffed, start):
        yield n, [v.replace("\x00", "") if "\x00" in v else v for v in row]


def _rows(path: Path, sniffed: Sniffed, start: int) -> Iterator[tuple[int, list[str]]]:
    width = len(sniffed.headers)
    if sniffed.format == "csv":
        with path.open("r", encoding=sniffed.encoding or "utf-8", newline="",
                       errors="replace") as f:
            reader = csv.reader(f, delimiter=sniffed.delimiter or ",")
            next(reader, None)
            for n, rec in enumerate(islice(reader, start, None), start=start + 1):
                yield n, _fit(rec, width)
    elif sniffed.format == "xlsx":
        from openpyxl import load_workbook

        wb = load_workbook(path, read_only=True, data_only=True)
        try:
            rows = wb.worksheets[0].iter_rows(min_row=2 + start, values_only=True)
            for n, values in enumerate(rows, start=start + 1):
                yield n, _fit(list(values), width)
        finally:
            wb.close()
    else:
        for n, card in enumerate(islice(_cards(path, sniffed.encoding or "utf-8"), start, None),
                                 start=start + 1):
            yield n, card


def count_rows(path: Path, sniffed: Sniffed) -> int:
    return sum(1 for _ in iter_rows(path, sniffed))


def _cards(path: Path, encoding: str) -> Iterator[list[str]]:
    """One row per BEGIN:VCARD ... END:VCARD block (a broken card: a row holding the error)."""
    lines: list[str] = []
    inside = False
    with path.open("r", encoding=encoding, errors="replace", newline="") as f:
        for line in f:
            upper = line.strip().upper()
            if upper == "BEGIN:VCARD":
                inside, lines = True, [line]
                continue
            if inside:
                lines.append(line)
                if upper == "END:VCARD":
                    inside = False
                    yield vcard_row("".join(lines))


def _first(values: list[str], n: int) -> list[str]:
    return (values + [""] * n)[:n]


def vcard_row(text: str) -> list[str]:
    from amity.dataio.vcard import card_values

    v = card_values(text)
    if v.error:
        return [CARD_ERROR + v.error] + [""] * (len(VCARD_HEADERS) - 1)
    emails, phones, urls = _first(v.emails, 3), _first(v.phones, 3), _first(v.urls, 2)
    return [v.full_name, v.given, v.middle, v.family, v.nickname, *emails, *phones, v.org,
            v.department, v.title, v.street, v.city, v.region, v.postal_code, v.country,
            v.birthday, v.note, *urls, v.categories]

