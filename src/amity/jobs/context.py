"""What a running job knows about itself: ids, attempt, the runtime, its lease."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from amity.config import Settings
from amity.core.db import Database
from amity.jobs import effects


class LeaseLost(Exception):
    """Another worker took the job over (its lease had expired): stop, change nothing."""


@dataclass
class JobContext:
    job_id: uuid.UUID
    kind: str
    attempt: int  # 1 on the first run
    max_attempts: int
    worker: str
    database: Database
    settings: Settings
    db: Session  # the handler's session (the one ``once`` commits before acting)
    renew: Callable[[], bool] = field(repr=False, default=lambda: True)

    def heartbeat(self) -> None:
        """Extend the lease now (workers also do it on their own); raise if it was lost."""
        if not self.renew():
            raise LeaseLost(f"job {self.job_id} was taken over by another worker")

    def effect_key(self, name: str, key: str | None = None) -> str:
        return key or f"{self.job_id}:{name}"

    def message_id(self, name: str, key: str | None = None) -> str:
        """A Message-ID local part that is the same on every attempt of this effect."""
        return f"amity-{uuid.uuid5(uuid.NAMESPACE_URL, self.effect_key(name, key)).hex}"

    def once(self, name: str, action: Callable[[], Any], *, key: str | None = None) -> bool:
        """Do an outside action once for this job (``key`` defaults to ``<job id>:<name>``).

        The handler's transaction is committed first: the database changes that lead to the
        action are kept even if the action fails, and no lock is held while it runs.
        """
        self.db.commit()
        return effects.once(self.database, self.effect_key(name, key), action,
                            job_id=self.job_id)
