"""Permission-matrix entries for imports and exports (see matrix.py).

An import needs the create permission of its entity and belongs to its uploader; ``{import_id}``
is a fresh import of the acting user with no stored file (so the dry run answers 410 and a
rollback 409: it has not run). Exports need the export permission; ``{export_id}`` is the
actor's queued background export (its download answers 409: not ready).
"""

from __future__ import annotations

import uuid
from typing import Any

from amity.dataio.models import DataExport, DataImport
from tests.auth.matrix_base import ANY, Op, _json

DATAIO_IDS = ("import_id", "export_id", "entity")
_IMP = "/api/v1/imports/{import_id}"

DATAIO: dict[tuple[str, str], Op] = {
    # a JSON body is not an upload: an allowed user gets the 422 naming what is missing
    ("POST", "/api/v1/imports"): Op("contacts.create", 422, body=_json({"entity": "people"})),
    ("GET", "/api/v1/imports"): Op(ANY, 200),
    ("GET", _IMP): Op("contacts.create", 200),
    ("PUT", f"{_IMP}/mapping"): Op("contacts.create", 200,
                                   body=_json({"mapping": {"Email": "email"}})),
    ("POST", f"{_IMP}/preview"): Op("contacts.create", 410),
    ("POST", f"{_IMP}/run"): Op("contacts.create", 202),
    ("POST", f"{_IMP}/rollback"): Op("contacts.create", 409),
    ("GET", f"{_IMP}/errors.csv"): Op("contacts.create", 200),
    ("GET", "/api/v1/exports/contacts"): Op("contacts.export", 200),
    ("GET", "/api/v1/exports/companies"): Op("companies.export", 200),
    ("GET", "/api/v1/exports/{export_id}"): Op("contacts.export", 200),
    ("GET", "/api/v1/exports/{export_id}/download"): Op("contacts.export", 409),
    # ``{entity}`` is deals; the whole-database export leaves out what one may not export,
    # and every built-in role may export the product catalogue (it sees deals or orders)
    ("GET", "/api/v1/exports/records/{entity}"): Op("deals.export", 200),
    ("POST", "/api/v1/exports/all"): Op(ANY, 202),
}


def dataio_targets(s: Any, path: str, actor_id: uuid.UUID) -> dict[str, Any]:
    ids: dict[str, Any] = {"entity": "deals"} if "{entity}" in path else {}
    if "{import_id}" in path:
        imp = DataImport(id=uuid.uuid4(), owner_id=actor_id, entity="contacts",
                         filename="m.csv", stored_name=f"missing-{uuid.uuid4().hex}",
                         size_bytes=20, format="csv", encoding="utf-8", delimiter=",",
                         headers=["Email"], renamed_headers={}, mapping={"Email": "email"},
                         options={}, status="uploaded", total_rows=1, position=0,
                         created_count=0, updated_count=0, skipped_count=0, error_count=0)
        s.add(imp)
        s.flush()
        ids["import_id"] = imp.id
    if "{export_id}" in path:
        exp = DataExport(id=uuid.uuid4(), owner_id=actor_id, entity="contacts", format="csv",
                         filters={}, status="queued")
        s.add(exp)
        s.flush()
        ids["export_id"] = exp.id
    return ids
