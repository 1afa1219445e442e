"""``amity custom-fields set ENTITY ID key=value ...`` against the test database (both): values
read by type and written through the entity's update service (validated, audited); a bad value
or key exits with code 2 and changes nothing."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import func, select

from amity import cli_field_values
from amity.auth import service as auth
from amity.config import get_settings
from amity.contacts.schemas import ContactCreate
from amity.contacts.service import create_contact
from amity.core.audit import AuditEntry
from amity.core.customfields import create_definition
from amity.core.db import Database
from amity.deals.models import Deal
from amity.deals.schemas import DealCreate
from amity.deals.service import create_deal
from tests.cli_support import point_cli_at, run


@pytest.fixture
def ids(database: Database, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, str]]:
    point_cli_at(database, monkeypatch, cli_field_values.console)
    with database.transaction() as s:
        admin = auth.create_user(s, email="boss@example.com", name="Boss", is_admin=True)
        for key, type_, options in (("seats", "number", []), ("renewal", "boolean", []),
                                    ("region", "select", ["North", "South"]),
                                    ("since", "date", []), ("tags", "multi_select", ["a", "b"])):
            create_definition(s, entity="deal", key=key, label=key.title(), type=type_,
                              options=options)
        create_definition(s, entity="contact", key="tier", label="Tier", type="text")
        deal = create_deal(s, data=DealCreate(name="Anvils", currency="EUR"), actor=admin)
        contact = create_contact(s, data=ContactCreate(first_name="Ada"), actor=admin)
        out = {"deal": str(deal.id), "contact": str(contact.id)}
    yield out
    get_settings.cache_clear()


def _deal(database: Database, deal_id: str) -> tuple[dict[str, object], int, int]:
    with database.transaction(write=False) as s:
        deal = s.get(Deal, uuid.UUID(deal_id))
        assert deal is not None
        audits = s.scalar(select(func.count()).select_from(AuditEntry).where(
            AuditEntry.entity_type == "deal", AuditEntry.entity_id == deal.id))
        return dict(deal.custom_fields), deal.version, int(audits or 0)


def test_set_values_by_type_through_the_service(ids: dict[str, str], database: Database) -> None:
    code, out = run("custom-fields", "set", "deal", ids["deal"], "seats=1,200", "renewal=yes",
                    "region=south", "since=2025-03-01", "tags=b; a")
    assert code == 0, out
    assert _deal(database, ids["deal"]) == (
        {"seats": 1200, "renewal": True, "region": "South", "since": "2025-03-01",
         "tags": ["b", "a"]}, 2, 2)
    # key= clears one value, the others stay
    assert run("custom-fields", "set", "deal", ids["deal"], "renewal=")[0] == 0
    values, version, audits = _deal(database, ids["deal"])
    assert "renewal" not in values and (version, audits) == (3, 3)
    assert run("custom-fields", "set", "contact", ids["contact"], "tier=gold")[0] == 0


@pytest.mark.parametrize(("args", "message"), [
    (["seats=lots"], "'Seats': 'lots' is not an amount"),
    (["region=West"], "'Region' must be one of: North, South"),
    (["since=31 Feb 2025"], "'Since'"),
    (["colour=red"], "There is no custom field 'colour' for deals"),
    (["seats=5", "renewal=perhaps"], "'Renewal': 'perhaps' is not yes/no"),
    (["seats"], "'seats' is not key=value"),
])
def test_bad_values_change_nothing(ids: dict[str, str], database: Database, args: list[str],
                                   message: str) -> None:
    before = _deal(database, ids["deal"])
    code, out = run("custom-fields", "set", "deal", ids["deal"], *args)
    assert code == 2 and message in " ".join(out.split()), out
    assert _deal(database, ids["deal"]) == before


def test_unknown_record_or_entity(ids: dict[str, str]) -> None:
    code, out = run("custom-fields", "set", "deal", str(uuid.uuid4()), "seats=1")
    assert code == 2 and "No deal" in out
    code, out = run("custom-fields", "set", "planet", ids["deal"], "seats=1")
    assert code == 2 and "entity must be one of" in out
    code, out = run("custom-fields", "set", "deal", "not-an-id", "seats=1")
    assert code == 2 and "is not a record id" in out
