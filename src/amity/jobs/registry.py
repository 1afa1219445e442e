"""Job kinds and event subscribers, registered with ``@job`` and ``@on_event`` at import time.

A handler is ``fn(payload, db, ctx)``: the payload holds ids (never personal data: erasure
cannot reach copies in the queue), ``db`` is a session whose transaction commits together with
the job's ``done`` mark, ``ctx`` a ``JobContext`` (attempt, heartbeat, effects). Handlers must be
idempotent: a job may run again after a crash or a lost lease.

An event subscriber is a job kind too (``event:<name>``): the dispatcher enqueues one job per
event and subscriber, and the subscriber receives the stored ``EventRecord``.
"""

from __future__ import annotations

import importlib
import re
import uuid
from collections.abc import Callable, Collection
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session

from amity.core.events import EventRecord

if TYPE_CHECKING:
    from amity.jobs.context import JobContext

Handler = Callable[[dict[str, Any], Session, "JobContext"], None]
EventHandler = Callable[[EventRecord, Session, "JobContext"], None]
# Reads, in the dispatcher's transaction, which event types a dynamic subscriber wants now.
TypeChooser = Callable[[Session], Collection[str]]

DEFAULT_MAX_ATTEMPTS = 10
# Modules whose import registers the built-in job kinds and subscribers.
HANDLER_MODULES = ("amity.jobs.maintenance", "amity.jobs.accounts", "amity.jobs.activities",
                   "amity.jobs.tickets", "amity.jobs.outreach",
                   "amity.jobs.dataio", "amity.jobs.dedupe",
                   "amity.jobs.automation",
                   "amity.jobs.webhooks",
                   "amity.jobs.mail",
                   "amity.jobs.scoring", "amity.jobs.sequences",
                   "amity.jobs.analytics", "amity.jobs.intelligence", "amity.jobs.predictive",
                   "amity.jobs.semantic",
                   "amity.jobs.dataquality", "amity.jobs.reports")
_KIND = re.compile(r"^[a-z][a-z0-9_.:-]{0,159}$")


class PermanentError(Exception):
    """Raised by a handler when retrying cannot help: the job goes straight to ``dead``."""


@dataclass(frozen=True)
class JobKind:
    name: str
    fn: Handler
    max_attempts: int = DEFAULT_MAX_ATTEMPTS
    priority: int = 0


@dataclass(frozen=True)
class Subscriber:
    name: str
    pattern: str  # "deal.won", "deal.*" or "*"
    kind: str  # the job kind that runs it
    chooser: TypeChooser | None = None  # dynamic: the types are read at dispatch time

    def matches(self, event_type: str) -> bool:
        if self.chooser is not None:
            return False  # the dispatcher asks the chooser (once per batch)
        if self.pattern == "*":
            return True
        if self.pattern.endswith(".*"):
            return event_type.startswith(self.pattern[:-1])
        return event_type == self.pattern


_kinds: dict[str, JobKind] = {}
_subscribers: dict[str, Subscriber] = {}
_loaded = False


def job(kind: str, *, max_attempts: int = DEFAULT_MAX_ATTEMPTS,
        priority: int = 0) -> Callable[[Handler], Handler]:
    """Register ``fn(payload, db, ctx)`` as the handler of ``kind``."""
    if not _KIND.match(kind):
        raise ValueError(f"job kind {kind!r}: lower-case letters, digits and . _ : - only")
    if max_attempts < 1:
        raise ValueError("max_attempts must be at least 1")

    def register(fn: Handler) -> Handler:
        existing = _kinds.get(kind)
        if existing is not None and existing.fn is not fn and (
                existing.fn.__module__, existing.fn.__qualname__) != (fn.__module__,
                                                                     fn.__qualname__):
            raise ValueError(f"job kind {kind!r} is already registered")
        _kinds[kind] = JobKind(kind, fn, max_attempts, priority)
        return fn

    return register


def on_event(pattern: str, *, name: str | None = None,
             max_attempts: int = DEFAULT_MAX_ATTEMPTS,
             chooser: TypeChooser | None = None) -> Callable[[EventHandler], EventHandler]:
    """Subscribe ``fn(event, db, ctx)`` to events whose type is ``pattern`` (or ``prefix.*``).

    Each event reaches each subscriber once through a job keyed ``<event id>:<name>``.
    With ``chooser`` (and pattern ``"*"``) the subscriber gets only the events whose type is
    in what ``chooser(db)`` returns when the dispatcher runs (e.g. the types some enabled
    workflow starts on), so events nobody listens to cost no job.
    """
    if not (pattern == "*" or re.match(r"^[a-z0-9_]+(\.[a-z0-9_]+)*(\.\*)?$", pattern)):
        raise ValueError(f"event pattern {pattern!r}: 'deal.won', 'deal.*' or '*'")

    def register(fn: EventHandler) -> EventHandler:
        sub_name = name or f"{fn.__module__}.{fn.__qualname__}"
        kind = f"event:{sub_name}"

        def run(payload: dict[str, Any], db: Session, ctx: JobContext) -> None:
            event = db.get(EventRecord, uuid.UUID(str(payload["event_id"])))
            if event is None:  # purged since: nothing left to react to
                return
            fn(event, db, ctx)

        run.__qualname__ = f"{fn.__qualname__}.<event>"
        run.__module__ = fn.__module__
        job(kind, max_attempts=max_attempts)(run)
        _subscribers[sub_name] = Subscriber(sub_name, pattern, kind, chooser)
        return fn

    return register


def load_handlers(extra: str = "") -> None:
    """Import the modules that register job kinds (once per process), plus ``extra``
    (comma-separated module names: ``AMITY_JOBS_MODULES``)."""
    global _loaded
    for module in (m.strip() for m in extra.split(",")):
        if module:
            importlib.import_module(module)
    if _loaded:
        return
    for module in HANDLER_MODULES:
        importlib.import_module(module)
    _loaded = True


def kind_of(name: str) -> JobKind | None:
    load_handlers()
    return _kinds.get(name)


def subscribers_for(event_type: str) -> list[Subscriber]:
    load_handlers()
    return [s for s in _subscribers.values() if s.matches(event_type)]


def dynamic_subscribers() -> list[Subscriber]:
    load_handlers()
    return [s for s in _subscribers.values() if s.chooser is not None]


def unregister(*names: str) -> None:
    """Forget job kinds and subscribers (tests register their own and clean up)."""
    for n in names:
        _kinds.pop(n, None)
        sub = _subscribers.pop(n, None)
        if sub is not None:
            _kinds.pop(sub.kind, None)
