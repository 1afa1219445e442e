"""The bulk path of contact imports with its cleaning in worker processes gives exactly the
in-process result; rows matching stored contacts follow the import's match mode (skip,
overwrite, create) and a rollback restores the stored contacts exactly."""

from __future__ import annotations

import multiprocessing
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from amity.config import Settings
from amity.contacts.models import Contact
from amity.core.db import Database
from amity.dataio import bulk, prepare
from tests.dataio.conftest import run_import, upload
from tests.dataio.test_bulk_import import FILE, _rollback, _seed, _state, _state_people
from tests.factories import make_contact


def test_cleaning_in_worker_processes_gives_the_in_process_result(
        client: TestClient, database: Database, settings: Settings,
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(bulk, "CHUNK", 7)  # several chunks in flight at once
    _seed(client)
    before = _state_people(database)
    first = upload(client, "people.csv", FILE)
    in_process = _state(database, run_import(client, database, settings, first["id"],
                                             options={"bulk": True})["id"])
    _rollback(client, database, settings, first["id"])
    assert _state_people(database) == before

    monkeypatch.setattr(prepare, "POOL_FROM", 0)
    monkeypatch.setattr(prepare, "WORKERS", 2)
    pools: list[Any] = []
    real_init = prepare.Cleaner.__init__

    def spy(self: prepare.Cleaner, *args: Any, **kwargs: Any) -> None:
        real_init(self, *args, **kwargs)
        pools.append(self.pool)

    monkeypatch.setattr(prepare.Cleaner, "__init__", spy)
    second = upload(client, "people.csv", FILE)
    pooled = _state(database, run_import(client, database, settings, second["id"],
                                         options={"bulk": True})["id"])
    assert len(pools) == 1 and pools[0] is not None  # the rows were cleaned by the pool
    assert pooled == in_process
    assert pooled["totals"] == ("done", 33, 25, 3, 1, 4)
    assert multiprocessing.active_children() == []  # the workers ended with the run


HEAD = "First Name,Last Name,E-mail Address,Job Title,Tags\r\n"
MATCHING = (HEAD + "Ronald,Older,RON@burger.example,Chef,food\r\n"
            "New,Person,new@x.example,,\r\n").encode()


def _people(database: Database) -> list[tuple[Any, ...]]:
    with database.transaction(write=False) as s:
        return sorted((c.first_name, c.last_name, c.job_title, [e.email for e in c.emails],
                       sorted(t.name for t in c.tags), c.version)
                      for c in s.scalars(select(Contact).where(Contact.deleted_at.is_(None))))


@pytest.mark.parametrize(("match", "totals", "people"), [
    ("skip", (1, 0, 1), [("New", "Person", None, ["new@x.example"], [], 1),
                         ("Ron", "Old", None, ["ron@burger.example"], ["keep"], 1)]),
    ("update_empty", (1, 1, 0), [("New", "Person", None, ["new@x.example"], [], 1),
                                 ("Ron", "Old", "Chef", ["ron@burger.example"],
                                  ["food", "keep"], 2)]),
    ("overwrite", (1, 1, 0), [("New", "Person", None, ["new@x.example"], [], 1),
                              ("Ronald", "Older", "Chef", ["ron@burger.example"],
                               ["food", "keep"], 2)]),
    ("create", (2, 0, 0), [("New", "Person", None, ["new@x.example"], [], 1),
                           ("Ron", "Old", None, ["ron@burger.example"], ["keep"], 1),
                           ("Ronald", "Older", "Chef", ["ron@burger.example"], ["food"], 1)]),
])
def test_rows_matching_stored_contacts_follow_the_match_mode(
        client: TestClient, database: Database, settings: Settings, match: str,
        totals: tuple[int, int, int], people: list[tuple[Any, ...]]) -> None:
    make_contact(client, first_name="Ron", last_name="Old",
                 emails=[{"email": "ron@burger.example"}], tags=["keep"])
    before = _people(database)
    imp = upload(client, "matching.csv", MATCHING)
    done = run_import(client, database, settings, imp["id"],
                      options={"bulk": True, "match": match})
    assert (done["status"], done["created_count"], done["updated_count"],
            done["skipped_count"], done["error_count"]) == ("done", *totals, 0)
    assert _people(database) == people
    _rollback(client, database, settings, imp["id"])
    # the stored contact is back as it was (a restored update is one more version)
    restored = [(p[:5], p[5]) for p in _people(database)]
    assert [p[0] for p in restored] == [b[:5] for b in before]
    assert restored[0][1] == (1 if totals[1] == 0 else 3)
