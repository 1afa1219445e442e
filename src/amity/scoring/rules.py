"""Writes of scoring configuration: rules (validated, audited) and the settings row.

Changing or deleting a rule changes what past behaviour is worth; the caller queues
``scoring.recompute_all`` (the API does) so every score is brought up to date by the workers.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from amity.auth.models import User
from amity.core import audit
from amity.core.clock import now
from amity.core.db import is_postgres
from amity.core.errors import NotFound, PreconditionFailed, ValidationFailed
from amity.scoring.models import (
    BEHAVIOUR_FIELDS,
    BEHAVIOURS,
    DECAYS,
    OPERATORS,
    PROFILE_FIELDS,
    RULE_KINDS,
    ScoringRule,
    ScoringSettings,
)

RULE_FIELDS = ("name", "kind", "behaviour", "field", "operator", "value", "points",
               "cap_points", "cap_period_days", "decay", "decay_days", "enabled")
NUMERIC_OPERATORS = ("gt", "gte", "lt", "lte")
NUMERIC_FIELDS = ("company_size",)
SETTINGS_ID = uuid.UUID(int=1)  # the one settings row
DEFAULT_THRESHOLD = 50


def _fail(code: str, message: str, field: str) -> ValidationFailed:
    return ValidationFailed(f"scoring_rule.{code}", message, field)


def check_rule(v: dict[str, Any]) -> None:
    """The whole rule is consistent (called with the merged values on create and update)."""
    if v.get("kind") not in RULE_KINDS:
        raise _fail("kind", f"kind is one of {', '.join(RULE_KINDS)}", "kind")
    field, op, value = v.get("field"), v.get("operator"), v.get("value")
    if v["kind"] == "behaviour":
        if v.get("behaviour") not in BEHAVIOURS:
            raise _fail("behaviour", f"behaviour is one of {', '.join(BEHAVIOURS)}",
                        "behaviour")
        if field is not None and field not in BEHAVIOUR_FIELDS:
            raise _fail("field", f"a behaviour filter field is one of "
                        f"{', '.join(BEHAVIOUR_FIELDS)}", "field")
    else:
        if v.get("behaviour") is not None:
            raise _fail("behaviour", "a profile rule has no behaviour", "behaviour")
        if field not in PROFILE_FIELDS:
            raise _fail("field", f"a profile field is one of {', '.join(PROFILE_FIELDS)}",
                        "field")
    if field is not None:
        if op not in OPERATORS:
            raise _fail("operator", f"operator is one of {', '.join(OPERATORS)}", "operator")
        if value is None or value == "":
            raise _fail("value", "a comparison needs a value", "value")
        if op in NUMERIC_OPERATORS:
            if field not in NUMERIC_FIELDS:
                raise _fail("operator", f"{op} compares numbers: only for "
                            f"{', '.join(NUMERIC_FIELDS)}", "operator")
            try:
                float(value)
            except ValueError:
                raise _fail("value", "a number is needed for this operator", "value") from None
    elif op is not None or value is not None:
        raise _fail("field", "operator and value need a field", "field")
    if v.get("points") == 0:
        raise _fail("points", "a rule awards or removes at least one point", "points")
    if (v.get("cap_points") is None) != (v.get("cap_period_days") is None):
        raise _fail("cap_points", "a cap needs both cap_points and cap_period_days",
                    "cap_points")
    if v.get("cap_points") is not None and v["kind"] == "profile":
        raise _fail("cap_points", "profile rules have no cap", "cap_points")
    decay = v.get("decay", "none")
    if decay not in DECAYS:
        raise _fail("decay", f"decay is one of {', '.join(DECAYS)}", "decay")
    if (decay == "none") != (v.get("decay_days") is None):
        raise _fail("decay_days", "decay_days is given exactly when decay is not none",
                    "decay_days")
    if decay != "none" and v["kind"] == "profile":
        raise _fail("decay", "profile rules do not decay", "decay")


def _snapshot(rule: ScoringRule) -> dict[str, Any]:
    return {k: getattr(rule, k) for k in RULE_FIELDS}


def create_rule(db: Session, *, values: dict[str, Any], actor: User) -> ScoringRule:
    merged = {"decay": "none", "enabled": True, **values}
    check_rule(merged)
    rule = ScoringRule(id=uuid.uuid4(), **merged)
    db.add(rule)
    db.flush()
    audit.record(db, actor_id=actor.id, action="create", entity_type="scoring_rule",
                 entity_id=rule.id, changes=audit.diff({}, _snapshot(rule)))
    return rule


def update_rule(db: Session, *, rule: ScoringRule, values: dict[str, Any], actor: User,
                expected_version: int | None = None) -> ScoringRule:
    if expected_version is not None and expected_version != rule.version:
        raise PreconditionFailed()
    before = _snapshot(rule)
    check_rule({**before, **values})
    for key, value in values.items():
        setattr(rule, key, value)
    changes = audit.diff(before, _snapshot(rule))
    if changes:
        rule.updated_at = now()
        db.flush()
        audit.record(db, actor_id=actor.id, action="update", entity_type="scoring_rule",
                     entity_id=rule.id, changes=changes)
    return rule


def delete_rule(db: Session, *, rule: ScoringRule, actor: User) -> None:
    rule.deleted_at = now()
    db.flush()
    audit.record(db, actor_id=actor.id, action="delete", entity_type="scoring_rule",
                 entity_id=rule.id)


def live_rule(db: Session, rule_id: uuid.UUID) -> ScoringRule:
    rule = db.get(ScoringRule, rule_id)
    if rule is None or rule.deleted_at is not None:
        raise NotFound("scoring_rule")
    return rule


def list_rules(db: Session, *, enabled_only: bool = False) -> list[ScoringRule]:
    q = select(ScoringRule).where(ScoringRule.deleted_at.is_(None))
    if enabled_only:
        q = q.where(ScoringRule.enabled.is_(True))
    return list(db.scalars(q.order_by(ScoringRule.kind, ScoringRule.name).limit(1000)))


def get_settings(db: Session) -> ScoringSettings:
    """The settings row (made with the defaults the first time)."""
    row = db.get(ScoringSettings, SETTINGS_ID)
    if row is None:
        at = now()
        ins = (postgresql.insert(ScoringSettings) if is_postgres(db)
               else sqlite.insert(ScoringSettings))
        db.execute(ins.values(id=SETTINGS_ID, threshold=DEFAULT_THRESHOLD, alert_enabled=True,
                              version=1, created_at=at, updated_at=at)
                   .on_conflict_do_nothing(index_elements=["id"]))
        row = db.get(ScoringSettings, SETTINGS_ID)
        assert row is not None
    return row


def update_settings(db: Session, *, values: dict[str, Any], actor: User) -> ScoringSettings:
    row = get_settings(db)
    if "threshold" in values and (values["threshold"] is None or values["threshold"] < 1):
        raise ValidationFailed("scoring.threshold", "The threshold is at least 1", "threshold")
    fallback = values.get("fallback_user_id")
    if fallback is not None:
        user = db.get(User, fallback)
        if user is None or not user.is_active:
            raise ValidationFailed("scoring.fallback_user", "No such active user",
                                   "fallback_user_id")
    keys = ("threshold", "fallback_user_id", "alert_enabled")
    before = {k: getattr(row, k) for k in keys}
    for key, value in values.items():
        if key in keys:
            setattr(row, key, value)
    changes = audit.diff(before, {k: getattr(row, k) for k in keys})
    if changes:
        row.updated_at = now()
        db.flush()
        audit.record(db, actor_id=actor.id, action="update", entity_type="scoring_settings",
                     entity_id=row.id, changes=changes)
    return row


def current_threshold(db: Session) -> int:
    """The threshold, read without writing (the default until the settings are saved)."""
    row = db.get(ScoringSettings, SETTINGS_ID)
    return row.threshold if row is not None else DEFAULT_THRESHOLD
