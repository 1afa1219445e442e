"""``POST /hooks/channels/{channel_id}``: a provider pushes interactions, signed with the
channel's secret (no session, no CSRF token: the signature is the credential).

Every refusal stores nothing: 401 for a missing, wrong or stale signature, 403 for a disabled
channel, 404 for an unknown one, 413 over 1 MB, 422 for a payload that is not one interaction
or ``{"interactions": [...]}`` (up to 100), naming the item. A retry of what was stored
answers 200 with the same ids.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import asdict
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Request
from fastapi.exceptions import RequestValidationError
from pydantic import ValidationError

from amity.activities import channels
from amity.activities.forms_schemas import IngestBatch, IngestOut
from amity.api.deps import AppSettings, DbSession
from amity.api.errors import PROBLEM_RESPONSES
from amity.core.errors import DomainError

router = APIRouter(tags=["channels"])
MAX_BODY = 1024 * 1024


class TooLarge(DomainError):
    status = 413

    def __init__(self) -> None:
        super().__init__("hook.too_large", f"The body is over {MAX_BODY} bytes; send at most "
                                           "100 interactions per request")


class Malformed(DomainError):
    status = 422


async def _body(request: Request) -> bytes:
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > MAX_BODY:
        raise TooLarge()
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY:
            raise TooLarge()
        chunks.append(chunk)
    return b"".join(chunks)


RawBody = Annotated[bytes, Depends(_body)]


def _inline(schema: Any, defs: dict[str, Any]) -> Any:
    if isinstance(schema, dict):
        ref = schema.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/$defs/"):
            return _inline(defs[ref.rpartition("/")[2]], defs)
        return {k: _inline(v, defs) for k, v in schema.items() if k != "$defs"}
    if isinstance(schema, list):
        return [_inline(v, defs) for v in schema]
    return schema


_SCHEMA = IngestBatch.model_json_schema(by_alias=True)
_BODY: dict[str, Any] = {"requestBody": {"required": True, "content": {
    "application/json": {"schema": _inline(_SCHEMA, _SCHEMA.get("$defs", {}))}}}}
_ERRORS: dict[int | str, dict[str, Any]] = {
    **{s: PROBLEM_RESPONSES[s] for s in (401, 403, 404, 422)},
    413: {**PROBLEM_RESPONSES[422], "description": "The body is over 1 MB"}}
SIGNING = """Signed by the provider with the channel's secret:

* `X-Amity-Timestamp`: unix seconds when it was sent (refused more than 5 minutes from our
  clock, so a captured request cannot be replayed later);
* `X-Amity-Signature`: `sha256=` and the hex HMAC-SHA256, keyed with the secret, of the
  timestamp, a dot and the raw body bytes: `"<timestamp>.<body>"`.

Body: one interaction, or `{"interactions": [...]}` (up to 100, stored all or none). Each is
stored once per `external_id`: a retry answers 200 with the ids stored the first time."""


def _parse(raw: bytes) -> IngestBatch:
    try:
        data = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise Malformed("hook.malformed", "The body is not valid JSON") from exc
    if isinstance(data, dict) and "interactions" not in data:
        data = {"interactions": [data]}
    if not isinstance(data, dict):
        raise Malformed("hook.malformed", "Send one interaction or {\"interactions\": [...]}")
    try:
        return IngestBatch.model_validate(data)
    except ValidationError as exc:
        raise RequestValidationError(
            [{**e, "loc": ("body", *e["loc"])} for e in exc.errors()]) from exc


@router.post("/hooks/channels/{channel_id}", response_model=IngestOut, openapi_extra=_BODY,
             responses=_ERRORS, summary="A provider pushes interactions (HMAC-signed)",
             description=SIGNING)
def channel_hook(channel_id: uuid.UUID, raw: RawBody, db: DbSession, settings: AppSettings,
                 x_amity_timestamp: Annotated[str | None, Header(max_length=20)] = None,
                 x_amity_signature: Annotated[str | None, Header(max_length=200)] = None
                 ) -> IngestOut:
    channel = channels.live_channel(db, channel_id)
    channels.verify(channel, timestamp=x_amity_timestamp, sent=x_amity_signature, body=raw)
    batch = _parse(raw)
    done = channels.ingest_channel_push(db, channel=channel, items=batch.interactions,
                                        region=settings.default_region)
    return IngestOut.model_validate({"results": [asdict(d) for d in done]})
