"""/channels: where chat, social, SMS and telephony providers push interactions (their signed
webhook is ``/hooks/channels/{id}``, web/routes/hooks.py), and /interactions/ingest: the same
payload from an internal integration with an API token."""

from __future__ import annotations

import uuid
from dataclasses import asdict

from fastapi import APIRouter, Response

from amity.activities import channels
from amity.activities.forms_models import IngestChannel
from amity.activities.forms_schemas import (
    ApiIngest,
    ChannelCreate,
    ChannelCreated,
    ChannelRead,
    ChannelUpdate,
    IngestOut,
)
from amity.api.deps import (
    AppSettings,
    CurrentUser,
    DbSession,
    IdempotencyKey,
    IfMatch,
    etag,
    parse_if_match,
)
from amity.api.idempotency import idempotent
from amity.auth.access import Permission, require
from amity.core.errors import ValidationFailed

router = APIRouter(tags=["channels"])


@router.get("/channels", response_model=list[ChannelRead], summary="Ingestion channels")
def list_channels(db: DbSession, user: CurrentUser) -> list[IngestChannel]:
    require(user, Permission.SETTINGS_VIEW)
    return channels.list_channels(db)


@router.post("/channels", status_code=201, response_model=ChannelCreated,
             summary="Create a channel; the answer holds its signing secret, shown this once")
def create_channel(body: ChannelCreate, db: DbSession, user: CurrentUser,
                   idempotency_key: IdempotencyKey = None) -> Response:
    require(user, Permission.SETTINGS_MANAGE)
    return idempotent(db, user, idempotency_key, "/channels", body,
                      lambda: channels.create_channel(db, values=body.model_dump(), actor=user),
                      ChannelCreated)


@router.get("/channels/{channel_id}", response_model=ChannelRead)
def get_channel(channel_id: uuid.UUID, response: Response, db: DbSession,
                user: CurrentUser) -> IngestChannel:
    require(user, Permission.SETTINGS_VIEW)
    ch = channels.live_channel(db, channel_id)
    response.headers["ETag"] = etag(ch.version)
    return ch


@router.patch("/channels/{channel_id}", response_model=ChannelRead)
def update_channel(channel_id: uuid.UUID, body: ChannelUpdate, response: Response,
                   db: DbSession, user: CurrentUser, if_match: IfMatch = None) -> IngestChannel:
    require(user, Permission.SETTINGS_MANAGE)
    ch = channels.live_channel(db, channel_id)
    version = body.version if body.version is not None else parse_if_match(if_match)
    ch = channels.update_channel(db, channel=ch, values=body.model_dump(
        exclude_unset=True, exclude={"version"}), actor=user, expected_version=version)
    response.headers["ETag"] = etag(ch.version)
    return ch


@router.post("/channels/{channel_id}/rotate-secret", response_model=ChannelCreated,
             summary="Replace the signing secret (the old one stops working at once)")
def rotate_secret(channel_id: uuid.UUID, db: DbSession, user: CurrentUser) -> IngestChannel:
    require(user, Permission.SETTINGS_MANAGE)
    return channels.rotate_secret(db, channel=channels.live_channel(db, channel_id), actor=user)


@router.delete("/channels/{channel_id}", status_code=204)
def delete_channel(channel_id: uuid.UUID, db: DbSession, user: CurrentUser) -> Response:
    require(user, Permission.SETTINGS_MANAGE)
    channels.delete_channel(db, channel=channels.live_channel(db, channel_id), actor=user)
    return Response(status_code=204)


@router.post("/interactions/ingest", response_model=IngestOut,
             summary="Ingest interactions from an internal integration (API token, no "
                     "signature)",
             description="The webhook payload of /hooks/channels/{id} plus `source`, your "
                         "integration's name: each (source, external_id) is stored once, so "
                         "sending it again answers with the interaction stored the first time. "
                         "A batch is all or nothing. Needs settings.edit.")
def ingest_interactions(body: ApiIngest, db: DbSession, user: CurrentUser,
                        settings: AppSettings) -> IngestOut:
    require(user, Permission.SETTINGS_MANAGE)
    if body.source.startswith(("channel", "form")):
        raise ValidationFailed("ingest.source_reserved", "Sources starting with 'channel' or "
                               "'form' are Amity's own", "source")
    done = channels.ingest(db, items=body.interactions, source=f"api:{body.source}",
                           default_channel=None, create_contacts=body.create_contacts,
                           actor_id=user.id, region=settings.default_region)
    return IngestOut.model_validate({"results": [asdict(d) for d in done]})
