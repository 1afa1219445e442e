"""``ReadDbSession``: where report and analytics endpoints read.

With ``AMITY_DATABASE_REPLICA_URL`` set, a read-only session on the replica (its own pool, a
transaction that is only ever rolled back); without it, the request's own session, so a laptop
install pays nothing. Only endpoints that tolerate a replica's lag (seconds, typically) use it:
aggregates over many rows, never a page that shows what the user just saved.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from amity.api.deps import DbSession
from amity.core.db import Database


def get_read_db(request: Request, db: DbSession) -> Iterator[Session]:
    replica: Database | None = request.app.state.read_database
    if replica is None:
        yield db
        return
    session = replica.session(write=False)
    try:
        yield session
    finally:
        session.rollback()  # reads only: nothing to commit on a replica
        session.close()


ReadDbSession = Annotated[Session, Depends(get_read_db, scope="function")]
