"""Lead scoring: rules and settings (``/scoring/...``: settings.view to read, settings.edit to
change) and a contact's score (``GET /contacts/{id}/score``: whoever may see the contact)."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Response
from pydantic import BaseModel

from amity.api.deps import CurrentUser, DbSession, IfMatch, etag, parse_if_match
from amity.auth.access import Permission, access_record, require
from amity.contacts.models import Contact
from amity.jobs import scoring as scoring_jobs
from amity.scoring import queries, rules
from amity.scoring.models import ScoringRule, ScoringSettings
from amity.scoring.schemas import (
    RuleCreate,
    RuleRead,
    RuleUpdate,
    ScoreRead,
    SettingsRead,
    SettingsUpdate,
)

router = APIRouter(tags=["scoring"])
NOT_NULL = ("name", "points", "enabled", "decay")


@router.get("/scoring/rules", response_model=list[RuleRead], summary="Scoring rules")
def list_rules(db: DbSession, user: CurrentUser) -> list[ScoringRule]:
    require(user, Permission.SETTINGS_VIEW)
    return rules.list_rules(db)


@router.post("/scoring/rules", status_code=201, response_model=RuleRead,
             summary="Add a scoring rule",
             description="Scores are recomputed by the workers afterwards. 422 (nothing "
                         "stored) for an inconsistent rule, e.g. a profile rule without a "
                         "field or a cap without its period.")
def create_rule(body: RuleCreate, db: DbSession, user: CurrentUser) -> ScoringRule:
    require(user, Permission.SETTINGS_MANAGE)
    rule = rules.create_rule(db, values=body.model_dump(), actor=user)
    scoring_jobs.request_recompute(db)
    return rule


@router.get("/scoring/rules/{rule_id}", response_model=RuleRead)
def get_rule(rule_id: uuid.UUID, response: Response, db: DbSession,
             user: CurrentUser) -> ScoringRule:
    require(user, Permission.SETTINGS_VIEW)
    rule = rules.live_rule(db, rule_id)
    response.headers["ETag"] = etag(rule.version)
    return rule


@router.patch("/scoring/rules/{rule_id}", response_model=RuleRead,
              description="Send null to clear an optional field (cap, filter, decay_days).")
def update_rule(rule_id: uuid.UUID, body: RuleUpdate, response: Response, db: DbSession,
                user: CurrentUser, if_match: IfMatch = None) -> ScoringRule:
    require(user, Permission.SETTINGS_MANAGE)
    rule = rules.live_rule(db, rule_id)
    version = body.version if body.version is not None else parse_if_match(if_match)
    values = body.model_dump(exclude_unset=True, exclude={"version"})
    for key in NOT_NULL:
        if key in values and values[key] is None:
            values.pop(key)
    rule = rules.update_rule(db, rule=rule, values=values, actor=user,
                             expected_version=version)
    scoring_jobs.request_recompute(db)
    response.headers["ETag"] = etag(rule.version)
    return rule


@router.delete("/scoring/rules/{rule_id}", status_code=204)
def delete_rule(rule_id: uuid.UUID, db: DbSession, user: CurrentUser) -> Response:
    require(user, Permission.SETTINGS_MANAGE)
    rules.delete_rule(db, rule=rules.live_rule(db, rule_id), actor=user)
    scoring_jobs.request_recompute(db)
    return Response(status_code=204)


@router.get("/scoring/settings", response_model=SettingsRead,
            summary="The hot threshold and the alert's fallback user")
def get_settings(db: DbSession, user: CurrentUser) -> SettingsRead:
    require(user, Permission.SETTINGS_VIEW)
    row = db.get(ScoringSettings, rules.SETTINGS_ID)
    if row is None:
        return SettingsRead(threshold=rules.DEFAULT_THRESHOLD, fallback_user_id=None,
                            alert_enabled=True, version=0)
    return SettingsRead.model_validate(row)


@router.patch("/scoring/settings", response_model=SettingsRead)
def update_settings(body: SettingsUpdate, db: DbSession, user: CurrentUser) -> ScoringSettings:
    require(user, Permission.SETTINGS_MANAGE)
    values = body.model_dump(exclude_unset=True)
    for key in ("threshold", "alert_enabled"):
        if key in values and values[key] is None:
            values.pop(key)
    row = rules.update_settings(db, values=values, actor=user)
    scoring_jobs.request_recompute(db)
    return row


class RecomputeQueued(BaseModel):
    queued: bool = True


@router.post("/scoring/recompute", status_code=202, response_model=RecomputeQueued,
             summary="Recompute every score",
             description="Queued: the workers re-evaluate every contact.")
def recompute(db: DbSession, user: CurrentUser) -> RecomputeQueued:
    require(user, Permission.SETTINGS_MANAGE)
    scoring_jobs.request_recompute(db)
    return RecomputeQueued()


@router.get("/contacts/{contact_id}/score", response_model=ScoreRead,
            summary="A contact's lead score: now, by rule, and its history")
def contact_score(contact_id: uuid.UUID, db: DbSession, user: CurrentUser) -> ScoreRead:
    access_record(db, user, Contact, contact_id, Permission.CONTACTS_VIEW, entity="contact")
    return ScoreRead.model_validate(queries.score_view(db, contact_id))
