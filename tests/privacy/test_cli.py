"""``amity privacy export|erase``, run as a user would against a fresh SQLite file."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

from sqlalchemy import select

from amity.auth import service as auth
from amity.contacts import service as contacts
from amity.contacts.models import Contact
from amity.contacts.schemas import ContactCreate
from amity.core.audit import AuditEntry
from amity.core.db import Database, make_engine
from amity.notes import service as notes
from amity.notes.schemas import NoteCreate
from tests.cli.test_cli import env, run

__all__ = ["env"]


def test_export_and_erase_from_the_command_line(env: dict[str, str], tmp_path: Path) -> None:
    run(["db", "upgrade"], env)
    database = Database(make_engine(env["AMITY_DATABASE_URL"]))
    with database.transaction() as s:
        user = auth.create_user(s, email="a@example.com", name="A", password=None,
                                is_admin=True)
        c = contacts.create_contact(s, data=ContactCreate(
            first_name="Zebulon", last_name="Quagmire", personal_notes="walnuts",
            emails=[{"email": "zeb@example.org"}]), actor=user)  # type: ignore[list-item]
        notes.add_note(s, entity_type="contact", entity_id=c.id,
                       data=NoteCreate(body="<script>zeb()</script>"), actor=user)
        cid = str(c.id)

    out = tmp_path / "zeb.html"
    run(["privacy", "export", cid, "--format", "html", "--out", str(out)], env)
    html = out.read_text()
    assert "Zebulon" in html and "walnuts" in html and "<script>zeb()" not in html
    data = json.loads(run(["privacy", "export", cid], env).stdout)
    assert data["contact"]["emails"][0]["email"] == "zeb@example.org"
    bad = run(["privacy", "export", str(uuid.uuid4())], env, check=False)
    assert bad.returncode == 2 and "No contact" in bad.stderr
    assert run(["privacy", "export", cid, "--format", "pdf"], env, check=False).returncode == 2

    refused = run(["privacy", "erase", cid], env, input="n\n", check=False)
    assert refused.returncode == 1
    with database.transaction(write=False) as s:
        assert s.get(Contact, uuid.UUID(cid)).first_name == "Zebulon"  # type: ignore[union-attr]
    assert "Erased contact" in run(["privacy", "erase", cid, "--yes"], env).stdout
    assert "already erased" in run(["privacy", "erase", cid, "--yes"], env).stdout
    with database.transaction(write=False) as s:
        erased = s.get(Contact, uuid.UUID(cid))
        assert erased is not None and erased.erased_at is not None
        assert erased.first_name == "Erased contact" and erased.emails == []
        actions = [e.action for e in s.scalars(select(AuditEntry).order_by(AuditEntry.at))]
    assert actions.count("export") == 2 and actions.count("erase") == 2
    export = json.loads(run(["privacy", "export", cid], env).stdout)
    assert "zebulon" not in json.dumps(export).lower()
    database.dispose()
