"""Stewards (assign, remove; audited) and the weekly digest each one receives: the audit of
their entity or segment, as text, built from the same queries as the dashboard."""

from __future__ import annotations

import uuid
from typing import Annotated

from pydantic import BaseModel, ConfigDict, StringConstraints
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from amity.auth.models import User
from amity.core import audit
from amity.core.errors import Conflict, NotFound, ValidationFailed
from amity.dataquality import queries
from amity.dataquality.models import DataSteward


class StewardIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    user_id: uuid.UUID
    entity: Annotated[str, StringConstraints(pattern=r"^contact$")] = "contact"
    segment_tag: Annotated[str, StringConstraints(max_length=80)] | None = None


def list_stewards(db: Session) -> list[DataSteward]:
    return list(db.scalars(select(DataSteward).order_by(DataSteward.created_at,
                                                        DataSteward.id)))


def assign_steward(db: Session, *, data: StewardIn, actor: User) -> DataSteward:
    """Make a user the steward of an entity (or of the records with a tag)."""
    user = db.get(User, data.user_id)
    if user is None or not user.is_active:
        raise ValidationFailed("data_steward.user", "No active user has this id", "user_id")
    steward = DataSteward(id=uuid.uuid4(), user_id=user.id, entity=data.entity,
                          segment_tag=data.segment_tag or "", created_by_id=actor.id)
    try:
        with db.begin_nested():
            db.add(steward)
            db.flush()
    except IntegrityError as exc:
        raise Conflict("data_steward.exists", "This user already looks after these records",
                       "user_id") from exc
    audit.record(db, actor_id=actor.id, action="create", entity_type="data_steward",
                 entity_id=steward.id, changes={"user_id": str(user.id),
                                                "entity": data.entity,
                                                "segment_tag": steward.segment_tag or None})
    return steward


def remove_steward(db: Session, *, steward_id: uuid.UUID, actor: User) -> None:
    steward = db.get(DataSteward, steward_id)
    if steward is None:
        raise NotFound("data_steward", "No such steward")
    audit.record(db, actor_id=actor.id, action="delete", entity_type="data_steward",
                 entity_id=steward.id, changes={"user_id": str(steward.user_id)})
    db.delete(steward)


def digest_text(report: queries.Report, base_url: str) -> tuple[str, str]:
    """(subject, body) of a steward's weekly digest."""
    scope = f"contacts tagged {report.segment_tag}" if report.segment_tag else "contacts"
    lines = [f"Data quality of your {scope}: {report.total} records, average score "
             f"{report.average_score if report.average_score is not None else '-'} / 100, "
             f"{report.below_50} below 50.", "", "Completeness:"]
    lines += [f"  {f.field.replace('_', ' ')}: {f.completeness:.0%} "
              f"({f.missing} missing)" for f in report.fields]
    lines += ["", f"Without email or phone: {report.without_email_or_phone}",
              f"Stale (no activity in {report.stale_days} days): {report.stale}",
              "Invalid values: " + ", ".join(f"{k} {v}" for k, v in report.invalid.items()),
              f"Open duplicate suggestions: {report.duplicates_open}"]
    if report.unused_custom_fields:
        lines.append("Unused custom fields: " + ", ".join(report.unused_custom_fields))
    lines += ["", f"Dashboard: {base_url.rstrip('/')}/data-quality"]
    return f"Weekly data-quality digest: {scope}", "\n".join(lines) + "\n"
