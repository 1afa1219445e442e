"""``amity custom-fields list|archive|restore|delete`` against the test database (both)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import select

from amity import cli_fields
from amity.auth import service as auth
from amity.config import get_settings
from amity.contacts.schemas import ContactCreate
from amity.contacts.service import create_contact
from amity.core.audit import AuditEntry
from amity.core.customfields import CustomFieldDefinition, create_definition
from amity.core.db import Database
from tests.cli_support import point_cli_at, run


@pytest.fixture
def cli_db(database: Database, monkeypatch: pytest.MonkeyPatch) -> Iterator[Database]:
    point_cli_at(database, monkeypatch, cli_fields.console)
    with database.transaction() as s:
        admin = auth.create_user(s, email="boss@example.com", name="Boss", is_admin=True)
        create_definition(s, entity="contact", key="tier", label="Tier", type="text")
        create_definition(s, entity="contact", key="spare", label="Spare", type="text")
        create_contact(s, data=ContactCreate.model_validate(
            {"first_name": "Grace", "custom_fields": {"tier": "gold"}}), actor=admin)
    yield database
    get_settings.cache_clear()


def test_list_archive_restore_and_delete(cli_db: Database) -> None:
    code, out = run("custom-fields", "list")
    assert code == 0 and "tier" in out and "spare" in out
    tier_line = next(line for line in out.splitlines() if " tier " in line)
    assert " 1 " in tier_line  # one record holds a value
    # a field with values is not deleted: archive it
    code, out = run("custom-fields", "delete", "contact", "tier")
    assert code == 2 and "archive the field instead" in out
    assert run("custom-fields", "archive", "contact", "tier")[0] == 0
    assert "tier" not in run("custom-fields", "list")[1]
    assert "tier" in run("custom-fields", "list", "--archived")[1]
    assert run("custom-fields", "restore", "contact", "tier")[0] == 0
    assert run("custom-fields", "delete", "contact", "spare")[0] == 0
    code, out = run("custom-fields", "archive", "contact", "nothing")
    assert code == 2 and "no contact field 'nothing'" in out
    with cli_db.transaction() as s:
        keys = sorted(s.scalars(select(CustomFieldDefinition.key)))
        assert keys == ["tier"]
        d = s.scalar(select(CustomFieldDefinition))
        assert d is not None and d.archived_at is None
        actions = sorted(s.scalars(select(AuditEntry.action).where(
            AuditEntry.entity_type == "custom_field")))
        assert actions == ["archive", "delete", "restore"]
