"""Exports of contacts and companies as CSV, XLSX, vCard or JSON, written as a stream of
chunks; every text cell of CSV and XLSX is neutralised against formula injection."""

from __future__ import annotations

import csv
import io
import json
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from amity.auth.access import Permission, can_see_sensitive, scoped_for_action
from amity.auth.models import User
from amity.companies import service as companies
from amity.companies.models import Company
from amity.contacts import queries
from amity.contacts.models import Contact
from amity.core.audit import sensitive_keys
from amity.dataio.vcard import write_card

FORMATS = ("csv", "xlsx", "vcard", "json")
MEDIA = {"csv": "text/csv; charset=utf-8",
         "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
         "vcard": "text/vcard; charset=utf-8", "json": "application/json"}
SUFFIX = {"csv": "csv", "xlsx": "xlsx", "vcard": "vcf", "json": "json"}
PAGE = 500
DANGEROUS = ("=", "+", "-", "@", "\t", "\r")
CONTACT_COLUMNS = ["id", "first_name", "last_name", "emails", "phones", "company", "job_title",
                   "department", "lifecycle_stage", "source", "birthday", "tags", "street",
                   "city", "region", "postal_code", "country", "website", "owner_id",
                   "created_at", "updated_at"]
COMPANY_COLUMNS = ["id", "name", "domain", "website", "industry", "size", "employee_count",
                   "phone", "street", "city", "region", "postal_code", "country", "tags",
                   "owner_id", "created_at", "updated_at"]


def safe_cell(value: Any) -> Any:
    """A text cell a spreadsheet would run as a formula gets a leading apostrophe."""
    if isinstance(value, str) and value.startswith(DANGEROUS):
        return "'" + value
    return value


def _text(v: Any) -> Any:
    """A cell value: text, a number or a bool (dates as ISO text, lists and dicts as JSON)."""
    if v is None:
        return ""
    if hasattr(v, "isoformat"):
        return v.isoformat()
    if isinstance(v, bool | int | float | str):
        return v
    if isinstance(v, list | dict):
        return json.dumps(v, default=str, ensure_ascii=False)
    return str(v)


class Exporter:
    """Rows of one entity a user may see, with the list endpoint's filters, page by page."""

    def __init__(self, db: Session, user: User, entity: str, filters: dict[str, Any]) -> None:
        self.db, self.user, self.entity, self.filters = db, user, entity, filters
        self.sensitive = can_see_sensitive(user)
        kind = "contact" if entity == "contacts" else "company"
        defs = _custom_keys(db, kind)
        hidden = set() if self.sensitive else sensitive_keys(db, kind)
        self.custom = [k for k in defs if k not in hidden]
        base_cols = CONTACT_COLUMNS if entity == "contacts" else COMPANY_COLUMNS
        extra = ["notes"] if entity == "contacts" and self.sensitive else []
        self.columns = [*base_cols, *extra, *[f"cf.{k}" for k in self.custom]]

    def base(self) -> Select[Any]:
        if self.entity == "contacts":
            # the export's own scope applies as well as the view scope
            stmt = scoped_for_action(self.db, select(Contact), self.user, Contact,
                                     Permission.CONTACTS_EXPORT)
            return queries.apply_filters(stmt, contact_filters(self.filters))
        return scoped_for_action(self.db, select(Company), self.user, Company,
                                 Permission.COMPANIES_EXPORT)

    def count(self) -> int:
        """How many records the export holds (for companies: an upper bound, the filters
        that need text matching are left out)."""
        stmt = self.base()
        if self.entity == "companies" and self.filters.get("deleted", "exclude") == "exclude":
            stmt = stmt.where(Company.deleted_at.is_(None))
        return int(self.db.scalar(select(func.count()).select_from(stmt.subquery())) or 0)

    def pages(self) -> Iterator[list[Any]]:
        cursor: str | None = None
        while True:
            page: Any
            if self.entity == "contacts":
                page = queries.list_contacts(self.db, self.base(),
                                             filters=contact_filters(self.filters),
                                             sort="created_at", cursor=cursor, limit=PAGE)
            else:
                f = self.filters
                page = companies.list_companies(
                    self.db, self.base(), q=f.get("q"), industry=f.get("industry"),
                    owner_id=uuid.UUID(f["owner_id"]) if f.get("owner_id") else None,
                    tag=f.get("tag"), deleted=f.get("deleted", "exclude"), sort="created_at",
                    cursor=cursor, limit=PAGE)
            if page.items:
                yield list(page.items)
            if not page.next_cursor:
                return
            cursor = page.next_cursor

    def row(self, r: Any) -> list[Any]:
        if self.entity == "contacts":
            addr = (r.addresses or [{}])[0]
            site = next((p.get("url") for p in r.social_profiles or []
                         if p.get("network") == "website"), None)
            values = {"id": str(r.id), "first_name": r.first_name, "last_name": r.last_name,
                      "emails": "; ".join(e.email for e in r.emails),
                      "phones": "; ".join(p.e164 for p in r.phones),
                      "company": r.company.name if r.company else "",
                      "job_title": r.job_title, "department": r.department,
                      "lifecycle_stage": r.lifecycle_stage, "source": r.source,
                      "birthday": r.birthday, "tags": ", ".join(t.name for t in r.tags),
                      "website": site, "notes": r.personal_notes, "owner_id": r.owner_id,
                      "created_at": r.created_at, "updated_at": r.updated_at,
                      **{k: addr.get(k) for k in ("street", "city", "region", "postal_code",
                                                  "country")}}
        else:
            addr = r.address or {}
            values = {c: getattr(r, c, None) for c in COMPANY_COLUMNS if hasattr(r, c)}
            values["id"] = str(r.id)
            values["tags"] = ", ".join(t.name for t in r.tags)
            values.update({k: addr.get(k) for k in ("street", "city", "region",
                                                    "postal_code", "country")})
        cf = r.custom_fields or {}
        values.update({f"cf.{k}": cf.get(k) for k in self.custom})
        return [_text(values.get(c)) for c in self.columns]

    def as_dict(self, r: Any) -> dict[str, Any]:
        return dict(zip(self.columns, self.row(r), strict=True))


def _custom_keys(db: Session, kind: str) -> list[str]:
    from amity.core.customfields import definitions_for

    return sorted(definitions_for(db, kind))


def contact_filters(raw: dict[str, Any]) -> queries.ContactFilters:
    """The stored (JSON) form of the contact list's filters back as ContactFilters."""
    data = dict(raw)
    for key in ("owner_id", "company_id", "referred_by_id"):
        if data.get(key):
            data[key] = uuid.UUID(str(data[key]))
    if data.get("ids") is not None:
        data["ids"] = [uuid.UUID(str(i)) for i in data["ids"]]
    from datetime import datetime

    for key in ("created_after", "created_before", "updated_after", "updated_before"):
        if data.get(key):
            data[key] = datetime.fromisoformat(str(data[key]))
    return queries.ContactFilters(**data)


def stream(exp: Exporter, fmt: str) -> Iterator[bytes]:
    """The export as chunks of bytes, one page of records at a time."""
    if fmt == "csv":
        buf = io.StringIO()
        writer = csv.writer(buf)
        writer.writerow(exp.columns)
        yield ("\ufeff" + buf.getvalue()).encode()
        for page in exp.pages():
            buf.seek(0)
            buf.truncate()
            for r in page:
                writer.writerow([safe_cell(v) for v in exp.row(r)])
            yield buf.getvalue().encode()
    elif fmt == "json":
        yield b"["
        first = True
        for page in exp.pages():
            parts = [json.dumps(exp.as_dict(r), default=str) for r in page]
            yield ((b"" if first else b",") + ",".join(parts).encode())
            first = False
        yield b"]"
    elif fmt == "vcard":
        for page in exp.pages():
            yield "".join(_card(exp, r) for r in page).encode()
    else:
        raise ValueError(fmt)


def _card(exp: Exporter, r: Any) -> str:
    if exp.entity == "contacts":
        site = [p["url"] for p in r.social_profiles or [] if p.get("url")]
        return write_card(first=r.first_name, last=r.last_name, full=r.display_name,
                          emails=[e.email for e in r.emails], phones=[p.e164 for p in r.phones],
                          org=r.company.name if r.company else None, title=r.job_title,
                          note=r.personal_notes if exp.sensitive else None,
                          birthday=r.birthday.isoformat() if r.birthday else None, urls=site)
    return write_card(first="", last="", full=r.name, emails=[],
                      phones=[r.phone] if r.phone else [], org=r.name, title=None,
                      note=None, birthday=None, urls=[r.website] if r.website else [])


def write_xlsx(exp: Exporter, path: Path, progress: Callable[[int], None] | None = None) -> int:
    """The export as an XLSX file (openpyxl's write-only mode keeps memory flat)."""
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    ws = wb.create_sheet(exp.entity.capitalize())
    ws.append(exp.columns)
    n = 0
    for page in exp.pages():
        for r in page:
            ws.append([safe_cell(v) for v in exp.row(r)])
            n += 1
        if progress:
            progress(n)
    wb.save(path)
    return n


def write_file(exp: Exporter, fmt: str, path: Path) -> None:
    if fmt == "xlsx":
        write_xlsx(exp, path)
        return
    with path.open("wb") as f:
        for chunk in stream(exp, fmt):
            f.write(chunk)
