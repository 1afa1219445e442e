"""A finished contact import queues one duplicate scan: a near-duplicate it brought in (another
email, a shortened first name) is suggested for review against the stored contact."""

from __future__ import annotations

import uuid

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from amity.config import Settings
from amity.core.db import Database
from amity.dedupe.models import DuplicateSuggestion
from amity.jobs import dataio as jobs
from amity.jobs.models import Job
from tests.dataio.conftest import run_import, upload
from tests.factories import make_contact

FILE = (b"First Name,Last Name,E-mail Address,Birthday\r\n"
        b"Jon,Smith,jon.smith@other.example,05/04/1980\r\n"
        b"Mary,Jones,mary@jones.example,\r\n")


def test_import_suggests_fuzzy_duplicates_for_review(client: TestClient, database: Database,
                                                     settings: Settings) -> None:
    stored = make_contact(client, first_name="John", last_name="Smith", birthday="1980-05-04",
                          emails=[{"email": "john@smith.example"}])
    imp = upload(client, "people.csv", FILE)
    done = run_import(client, database, settings, imp["id"])  # runs the queued scan too
    assert (done["status"], done["created_count"]) == ("done", 2)
    with database.transaction(write=False) as s:
        pairs = s.scalars(select(DuplicateSuggestion)).all()
        assert len(pairs) == 1
        pair = pairs[0]
        assert str(stored["id"]) in (str(pair.a_id), str(pair.b_id))
        assert (pair.entity, pair.status) == ("contact", "open")
        assert "same birthday" in pair.reasons and pair.score >= 80
        scans = s.scalar(select(func.count()).select_from(Job).where(
            Job.kind == "dedupe.scan"))
    assert scans == 1
    with database.transaction() as s:  # the job run again (a retry) queues no second scan
        jobs.run_import(s, settings, uuid.UUID(imp["id"]))
    with database.transaction(write=False) as s:
        assert s.scalar(select(func.count()).select_from(Job).where(
            Job.kind == "dedupe.scan")) == 1
