"""Background jobs: rows in the application database, run by workers after commit.

``queue.enqueue`` adds a job in the caller's transaction; handlers are registered with
``registry.job``; ``registry.on_event`` subscribes a handler to domain events (the
``events`` outbox, read by ``dispatch``); ``schedule.SCHEDULES`` is the one cron table;
``worker`` claims and runs jobs (``amity worker``, or threads inside ``amity serve``);
``effects`` makes an outside action happen once per job. Domains never import this package:
they publish events, and subscribers here turn them into work.
"""

from amity.jobs.context import JobContext, LeaseLost
from amity.jobs.queue import enqueue
from amity.jobs.registry import PermanentError, job, on_event

__all__ = ["JobContext", "LeaseLost", "PermanentError", "enqueue", "job", "on_event"]
