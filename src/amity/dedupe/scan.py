"""The scan over the whole database: read every live record once, find pairs, store them.

Records are streamed (``yield_per``, one statement: each contact's emails and phone numbers come
aggregated on its row) into compact ``Candidate`` tuples, and blocked and compared through spill
files (``blocks``), so memory does not grow with the number of records. Stored suggestions are
then brought up to date in bulk: new pairs are inserted as ``open``, open ones get their new
score and reasons, open ones the scan no longer finds are deleted (the records changed), and
dismissed or merged ones are left alone, so a dismissed pair never comes back.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.orm import Session

from amity.companies.models import Company
from amity.contacts.models import Contact, ContactEmail, ContactPhone
from amity.core.clock import now
from amity.core.errors import ValidationFailed
from amity.core.text import digits
from amity.dedupe.blocks import find_duplicates_streamed
from amity.dedupe.detect import DEFAULT_THRESHOLD, Candidate, clean, company_key
from amity.dedupe.models import ENTITIES, DuplicateSuggestion

BATCH = 5000
SEP = "\x1f"  # the unit separator: in no email address or phone number


@dataclass(frozen=True)
class ScanResult:
    entity: str
    records: int
    pairs: int
    created: int
    updated: int
    removed: int
    seconds: float


def _first_address(value: Any) -> dict[str, Any]:
    if isinstance(value, list) and value and isinstance(value[0], dict):
        return value[0]
    if isinstance(value, dict):
        return value
    return {}


def _joined(column: Any, key: Any) -> Any:
    """A record's values of ``column`` joined by a separator no email or phone number holds,
    so the records stream in one statement with nothing held aside. Correlated (one probe of
    the ``contact_id`` index per record) rather than a grouped join: right after a large
    import, before statistics are gathered, the planner took the join for a few rows and
    chose a nested loop over the aggregate, quadratic in the number of contacts."""
    return (select(func.aggregate_strings(column, SEP)).where(key == Contact.id)
            .correlate(Contact).scalar_subquery())


def contact_candidates(db: Session) -> Iterator[Candidate]:
    emails = _joined(func.lower(ContactEmail.email), ContactEmail.contact_id)
    phones = _joined(ContactPhone.e164, ContactPhone.contact_id)
    stmt = (select(Contact.id, Contact.first_name, Contact.last_name, Contact.birthday,
                   Contact.addresses, Company.name, emails, phones)
            .outerjoin(Company, Company.id == Contact.company_id)
            .where(Contact.deleted_at.is_(None))
            .execution_options(yield_per=BATCH))
    for cid, first, last, birthday, addresses, company, mails, numbers in db.execute(stmt):
        addr = _first_address(addresses)
        yield Candidate(id=cid, first=clean(first), last=clean(last),
                        emails=tuple(mails.split(SEP)) if mails else (),
                        phones=tuple(numbers.split(SEP)) if numbers else (),
                        birthday=birthday.strftime("%Y%m%d") if birthday else "",
                        street=clean(addr.get("street")), city=clean(addr.get("city")),
                        postcode=digits(addr.get("postal_code")) or clean(
                            addr.get("postal_code")),
                        company=company_key(company))


def company_candidates(db: Session) -> Iterator[Candidate]:
    stmt = (select(Company.id, Company.name, Company.domain, Company.phone, Company.address)
            .where(Company.deleted_at.is_(None)).execution_options(yield_per=BATCH))
    for cid, name, domain, phone, address in db.execute(stmt):
        addr = _first_address(address)
        yield Candidate(id=cid, last=company_key(name),
                        emails=(domain.lower(),) if domain else (),
                        phones=(phone,) if phone else (),
                        street=clean(addr.get("street")), city=clean(addr.get("city")),
                        postcode=clean(addr.get("postal_code")))


def scan(db: Session, *, entity: str, threshold: float = DEFAULT_THRESHOLD) -> ScanResult:
    """Find duplicates among all live records of ``entity`` and store them as suggestions.

    The caller commits. Runs as the ``dedupe.scan`` job (daily and on demand) and from
    ``amity duplicates scan``.
    """
    if entity not in ENTITIES:
        raise ValidationFailed("duplicates.entity", "entity is 'contact' or 'company'",
                               "entity")
    started = time.perf_counter()
    model: Any = Contact if entity == "contact" else Company
    expected = db.scalar(select(func.count()).select_from(model)
                         .where(model.deleted_at.is_(None))) or 0
    records = contact_candidates(db) if entity == "contact" else company_candidates(db)
    matches, count = find_duplicates_streamed(records, expected=expected, kind=entity,
                                              threshold=threshold)
    existing = {(a, b): (sid, status, score, reasons) for sid, a, b, status, score, reasons in
                db.execute(select(DuplicateSuggestion.id, DuplicateSuggestion.a_id,
                                  DuplicateSuggestion.b_id, DuplicateSuggestion.status,
                                  DuplicateSuggestion.score, DuplicateSuggestion.reasons)
                           .where(DuplicateSuggestion.entity == entity))}
    at = now()
    new_rows: list[dict[str, Any]] = []
    changed: list[dict[str, Any]] = []
    found: set[tuple[uuid.UUID, uuid.UUID]] = set()
    for m in matches:
        found.add((m.a, m.b))
        old = existing.get((m.a, m.b))
        if old is None:
            new_rows.append({"id": uuid.uuid4(), "entity": entity, "a_id": m.a, "b_id": m.b,
                             "score": m.score, "reasons": list(m.reasons), "status": "open",
                             "created_at": at, "updated_at": at})
        elif old[1] == "open" and (old[2] != m.score or old[3] != list(m.reasons)):
            changed.append({"sid": old[0], "score": m.score, "reasons": list(m.reasons)})
    stale = [v[0] for k, v in existing.items() if v[1] == "open" and k not in found]
    for i in range(0, len(new_rows), BATCH):
        db.execute(insert(DuplicateSuggestion), new_rows[i:i + BATCH])
    for row in changed:
        db.execute(update(DuplicateSuggestion).where(DuplicateSuggestion.id == row["sid"])
                   .values(score=row["score"], reasons=row["reasons"], updated_at=at))
    for i in range(0, len(stale), BATCH):
        db.execute(delete(DuplicateSuggestion).where(
            DuplicateSuggestion.id.in_(stale[i:i + BATCH])))
    return ScanResult(entity=entity, records=count, pairs=len(matches),
                      created=len(new_rows), updated=len(changed), removed=len(stale),
                      seconds=round(time.perf_counter() - started, 3))
