"""/sla-policies, /business-calendars, /ticket-routing, /ticket-agents: the service desk's
settings. Everyone signed in may read them (agents see what they are measured against);
changing policies, calendars and routing needs settings.edit, marking an agent away
tickets.edit."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Response

from amity.api.deps import CurrentUser, DbSession, IfMatch, etag, parse_if_match
from amity.auth.access import Permission, require
from amity.auth.models import Team
from amity.core.errors import NotFound
from amity.tickets import admin
from amity.tickets.models import AgentStatus, BusinessCalendar, SlaPolicy, TeamRouting
from amity.tickets.sla_schemas import (
    AgentRead,
    AgentUpdate,
    CalendarCreate,
    CalendarRead,
    CalendarUpdate,
    PolicyCreate,
    PolicyRead,
    PolicyUpdate,
    RoutingRead,
    RoutingUpdate,
)

router = APIRouter(tags=["service settings"])


def _calendar(db: DbSession, calendar_id: uuid.UUID) -> BusinessCalendar:
    cal = db.get(BusinessCalendar, calendar_id)
    if cal is None:
        raise NotFound("calendar")
    return cal


def _policy(db: DbSession, policy_id: uuid.UUID) -> SlaPolicy:
    policy = db.get(SlaPolicy, policy_id)
    if policy is None:
        raise NotFound("sla_policy")
    return policy


@router.get("/business-calendars", response_model=list[CalendarRead])
def list_calendars(db: DbSession, user: CurrentUser) -> list[BusinessCalendar]:
    return admin.list_calendars(db)


@router.post("/business-calendars", status_code=201, response_model=CalendarRead)
def create_calendar(body: CalendarCreate, response: Response, db: DbSession,
                    user: CurrentUser) -> BusinessCalendar:
    require(user, Permission.SETTINGS_MANAGE)
    cal = admin.create_calendar(db, data=body, actor=user)
    response.headers["ETag"] = etag(cal.version)
    return cal


@router.get("/business-calendars/{calendar_id}", response_model=CalendarRead)
def get_calendar(calendar_id: uuid.UUID, response: Response, db: DbSession,
                 user: CurrentUser) -> BusinessCalendar:
    cal = _calendar(db, calendar_id)
    response.headers["ETag"] = etag(cal.version)
    return cal


@router.patch("/business-calendars/{calendar_id}", response_model=CalendarRead)
def update_calendar(calendar_id: uuid.UUID, body: CalendarUpdate, response: Response,
                    db: DbSession, user: CurrentUser,
                    if_match: IfMatch = None) -> BusinessCalendar:
    require(user, Permission.SETTINGS_MANAGE)
    cal = admin.update_calendar(db, calendar=_calendar(db, calendar_id), data=body, actor=user,
                                expected_version=parse_if_match(if_match))
    db.flush()
    response.headers["ETag"] = etag(cal.version)
    return cal


@router.delete("/business-calendars/{calendar_id}", status_code=204,
               summary="Delete a calendar no SLA policy uses (409 otherwise)")
def delete_calendar(calendar_id: uuid.UUID, db: DbSession, user: CurrentUser) -> Response:
    require(user, Permission.SETTINGS_MANAGE)
    admin.delete_calendar(db, calendar=_calendar(db, calendar_id), actor=user)
    return Response(status_code=204)


@router.get("/sla-policies", response_model=list[PolicyRead])
def list_policies(db: DbSession, user: CurrentUser) -> list[SlaPolicy]:
    return admin.list_policies(db)


@router.post("/sla-policies", status_code=201, response_model=PolicyRead)
def create_policy(body: PolicyCreate, response: Response, db: DbSession,
                  user: CurrentUser) -> SlaPolicy:
    require(user, Permission.SETTINGS_MANAGE)
    policy = admin.create_policy(db, data=body, actor=user)
    response.headers["ETag"] = etag(policy.version)
    return policy


@router.get("/sla-policies/{policy_id}", response_model=PolicyRead)
def get_policy(policy_id: uuid.UUID, response: Response, db: DbSession,
               user: CurrentUser) -> SlaPolicy:
    policy = _policy(db, policy_id)
    response.headers["ETag"] = etag(policy.version)
    return policy


@router.patch("/sla-policies/{policy_id}", response_model=PolicyRead)
def update_policy(policy_id: uuid.UUID, body: PolicyUpdate, response: Response, db: DbSession,
                  user: CurrentUser, if_match: IfMatch = None) -> SlaPolicy:
    require(user, Permission.SETTINGS_MANAGE)
    policy = admin.update_policy(db, policy=_policy(db, policy_id), data=body, actor=user,
                                 expected_version=parse_if_match(if_match))
    db.flush()
    response.headers["ETag"] = etag(policy.version)
    return policy


@router.delete("/sla-policies/{policy_id}", status_code=204,
               summary="Delete a policy (tickets keep the due times it gave them)")
def delete_policy(policy_id: uuid.UUID, db: DbSession, user: CurrentUser) -> Response:
    require(user, Permission.SETTINGS_MANAGE)
    admin.delete_policy(db, policy=_policy(db, policy_id), actor=user)
    return Response(status_code=204)


@router.get("/ticket-routing", response_model=list[RoutingRead],
            summary="How each team's new tickets are assigned")
def list_routing(db: DbSession, user: CurrentUser) -> list[TeamRouting]:
    return admin.list_routing(db)


@router.put("/ticket-routing/{team_id}", response_model=RoutingRead,
            summary="manual, round_robin or least_loaded")
def set_routing(team_id: uuid.UUID, body: RoutingUpdate, db: DbSession,
                user: CurrentUser) -> TeamRouting:
    require(user, Permission.SETTINGS_MANAGE)
    team = db.get(Team, team_id)
    if team is None:
        raise NotFound("team")
    return admin.set_routing(db, team=team, data=body, actor=user)


@router.get("/ticket-agents", response_model=list[AgentRead],
            summary="Agents marked away (and back)")
def list_agents(db: DbSession, user: CurrentUser) -> list[AgentStatus]:
    return admin.list_agent_statuses(db)


@router.put("/ticket-agents/{user_id}", response_model=AgentRead,
            summary="Mark an agent away (no automatic tickets) or back")
def set_agent(user_id: uuid.UUID, body: AgentUpdate, db: DbSession,
              user: CurrentUser) -> AgentStatus:
    require(user, Permission.TICKETS_EDIT)
    return admin.set_agent_status(db, user_id=user_id, data=body, actor=user)
