"""Deal, product, order and interaction imports with custom-field columns (read by type,
checked against the definitions, a bad value a row error), and deals matched on re-import by
name, party and pipeline: the same file again changes nothing, an updated amount is applied
with the ``overwrite`` policy (and only fills empty fields with ``update_empty``), and rolling
the re-import back restores the previous values."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from amity.activities.models import Interaction
from amity.commerce.models import Order, Product
from amity.config import Settings
from amity.core.audit import AuditEntry
from amity.core.db import Database
from amity.deals.models import Deal
from amity.jobs.worker import run_until_idle
from tests.dataio.conftest import run_import, upload
from tests.factories import make_company, make_contact


def _define(client: TestClient, entity: str, key: str, type: str = "text",
            **extra: Any) -> None:
    r = client.post("/api/v1/custom-fields", json={"entity": entity, "key": key,
                                                   "label": key.title(), "type": type, **extra})
    assert r.status_code == 201, r.text


def _deals(database: Database) -> dict[str, Deal]:
    with database.transaction(write=False) as s:
        return {d.name: d for d in s.scalars(select(Deal).where(Deal.deleted_at.is_(None)))}


def _audit_count(database: Database) -> int:
    """Audit entries about deals."""
    with database.transaction(write=False) as s:
        return int(s.scalar(select(func.count()).select_from(AuditEntry).where(
            AuditEntry.entity_type == "deal")) or 0)


DEALS = ("Deal Name,Amount,Currency,Contact Email,Company,Region,cf.seats,Renewal\n"
         "Big renewal,1000,EUR,ada@example.com,,North,12,yes\n"
         "Acme expansion,500,EUR,,Acme,south,\"1,500\",no\n"
         "Plain deal,50,EUR,,,,,\n"
         "Bad region,10,EUR,,,West,,\n"
         "Bad seats,10,EUR,,,,many,\n")


def test_deal_import_custom_fields_and_reimport(client: TestClient, database: Database,
                                                settings: Settings) -> None:
    make_contact(client, emails=[{"email": "ada@example.com"}])
    make_company(client, name="Acme")
    _define(client, "deal", "region", "select", options=["North", "South"])
    _define(client, "deal", "seats", "number")
    _define(client, "deal", "renewal", "boolean")
    imp = upload(client, "deals.csv", DEALS.encode(), entity="deals")
    assert {k: v for k, v in imp["mapping"].items() if v.startswith("custom:")} == {
        "Region": "custom:region", "cf.seats": "custom:seats", "Renewal": "custom:renewal"}
    preview = client.post(f"/api/v1/imports/{imp['id']}/preview").json()
    assert preview["counts"] == {"create": 3, "update": 0, "skip": 0, "error": 2}
    errors = {r["row"]: [e["field"] for e in r["errors"]] for r in preview["rows"]
              if r["errors"]}
    assert errors == {4: ["custom.region"], 5: ["custom.seats"]}
    done = run_import(client, database, settings, imp["id"])
    assert (done["created_count"], done["error_count"]) == (3, 2)
    deals = _deals(database)
    assert deals["Big renewal"].custom_fields == {"region": "North", "seats": 12,
                                                  "renewal": True}
    assert deals["Acme expansion"].custom_fields == {"region": "South", "seats": 1500,
                                                     "renewal": False}
    assert deals["Plain deal"].custom_fields == {}

    # the same file again: every deal is found, nothing is written
    audits = _audit_count(database)
    again = upload(client, "deals.csv", DEALS.encode(), entity="deals")
    done = run_import(client, database, settings, again["id"],
                      options={"match": "overwrite"})
    assert (done["created_count"], done["updated_count"], done["skipped_count"],
            done["error_count"]) == (0, 0, 3, 2)
    after = _deals(database)
    assert {n: (d.id, d.version, d.amount) for n, d in after.items()} == {
        n: (d.id, d.version, d.amount) for n, d in deals.items()}
    assert _audit_count(database) == audits == 3


CHANGED = ("Deal Name,Amount,Currency,Contact Email,Company,Region,Next Step\n"
           "BIG  Renewal,1500,EUR,ada@example.com,,South,Call Ada\n"
           "Acme expansion,500,EUR,,Acme,,\n"
           "Big renewal,1,EUR,,Acme,,\n")


def _seed(client: TestClient, database: Database, settings: Settings) -> dict[str, Deal]:
    make_contact(client, emails=[{"email": "ada@example.com"}])
    make_company(client, name="Acme")
    _define(client, "deal", "region", "select", options=["North", "South"])
    first = upload(client, "deals.csv", b"Deal Name,Amount,Currency,Contact Email,Company,"
                   b"Region\nBig renewal,1000,EUR,ada@example.com,,North\n"
                   b"Acme expansion,500,EUR,,Acme,\n", entity="deals")
    assert run_import(client, database, settings, first["id"])["created_count"] == 2
    return _deals(database)


def test_overwrite_applies_changes_and_rollback_restores(client: TestClient,
                                                         database: Database,
                                                         settings: Settings) -> None:
    before = _seed(client, database, settings)
    imp = upload(client, "changed.csv", CHANGED.encode(), entity="deals")
    preview = client.post(f"/api/v1/imports/{imp['id']}/preview",
                          json={"options": {"match": "overwrite"}})
    done = run_import(client, database, settings, imp["id"], options={"match": "overwrite"})
    # row 1 matches by folded name + contact; row 2 has nothing new; row 3 names another
    # party (Acme, no contact): a new deal
    assert (done["created_count"], done["updated_count"], done["skipped_count"]) == (1, 1, 1), \
        preview.text
    live = {d.id: d for d in _all(database) if d.deleted_at is None}
    big = live[before["Big renewal"].id]
    assert (big.amount, big.next_step, big.custom_fields) == (
        Decimal("1500.00"), "Call Ada", {"region": "South"})
    assert big.version == before["Big renewal"].version + 1
    new = [d for i, d in live.items() if i not in {b.id for b in before.values()}]
    assert [(d.name, d.amount, d.contact_id) for d in new] == [
        ("Big renewal", Decimal("1.00"), None)]

    r = client.post(f"/api/v1/imports/{imp['id']}/rollback")
    assert r.status_code == 202, r.text
    run_until_idle(database, settings)
    restored = {d.id: d for d in _all(database) if d.deleted_at is None}
    assert set(restored) == {before["Big renewal"].id, before["Acme expansion"].id}
    big = restored[before["Big renewal"].id]
    assert (big.amount, big.next_step, big.custom_fields) == (
        Decimal("1000.00"), None, {"region": "North"})


def _all(database: Database) -> list[Deal]:
    with database.transaction(write=False) as s:
        return list(s.scalars(select(Deal)))


def test_update_empty_and_skip_policies(client: TestClient, database: Database,
                                        settings: Settings) -> None:
    before = _seed(client, database, settings)
    imp = upload(client, "changed.csv", CHANGED.encode(), entity="deals")
    done = run_import(client, database, settings, imp["id"], options={"match": "update_empty"})
    assert (done["created_count"], done["updated_count"]) == (1, 1)
    big = next(d for d in _all(database) if d.id == before["Big renewal"].id)
    # only the empty next step is filled: the amount and the region stay as they were
    assert (big.amount, big.next_step, big.custom_fields) == (
        Decimal("1000.00"), "Call Ada", {"region": "North"})
    imp = upload(client, "changed.csv", CHANGED.encode(), entity="deals")
    done = run_import(client, database, settings, imp["id"], options={"match": "skip"})
    assert (done["created_count"], done["updated_count"], done["skipped_count"]) == (0, 0, 3)
    assert len([d for d in _all(database) if d.deleted_at is None]) == len(before) + 1


def test_required_custom_field_and_other_entities(client: TestClient, database: Database,
                                                  settings: Settings) -> None:
    make_contact(client, emails=[{"email": "ada@example.com"}])
    _define(client, "product", "colour", "select", options=["Red", "Blue"])
    _define(client, "product", "batch", required=True)
    _define(client, "order", "gift", "boolean")
    _define(client, "interaction", "mood", "multi_select", options=["happy", "busy"])
    imp = upload(client, "products.csv", b"SKU,Name,Price,Colour,Batch\n"
                 b"A-1,Anvil,10,red,B7\nA-2,Bucket,5,green,B8\nA-3,Rope,2,blue,\n",
                 entity="products")
    done = run_import(client, database, settings, imp["id"])
    assert (done["created_count"], done["error_count"]) == (1, 2)
    rows = client.get(f"/api/v1/imports/{imp['id']}/errors.csv").text
    assert "custom.colour" in rows and "custom.batch" in rows
    with database.transaction(write=False) as s:
        products = list(s.scalars(select(Product)))
        assert [(p.sku, p.custom_fields) for p in products] == [
            ("A-1", {"colour": "Red", "batch": "B7"})]
    imp = upload(client, "orders.csv", b"Order ID,Email,Currency,Item,Quantity,Price,Gift\n"
                 b"#1,ada@example.com,EUR,Anvil,1,10,yes\n#1,,,Rope,2,3,\n"
                 b"#2,ada@example.com,EUR,Anvil,1,10,maybe\n", entity="orders")
    done = run_import(client, database, settings, imp["id"])
    assert (done["created_count"], done["error_count"]) == (1, 1), client.get(
        f"/api/v1/imports/{imp['id']}/errors.csv").text
    with database.transaction(write=False) as s:
        orders = list(s.scalars(select(Order)))
        assert [(o.external_ref, o.custom_fields, len(o.lines)) for o in orders] == [
            ("#1", {"gift": True}, 2)]
    imp = upload(client, "calls.csv", b"Channel,Email,Mood,ID\n"
                 b"call,ada@example.com,Happy; busy,x1\ncall,ada@example.com,angry,x2\n",
                 entity="interactions")
    done = run_import(client, database, settings, imp["id"])
    assert (done["created_count"], done["error_count"]) == (1, 1)
    with database.transaction(write=False) as s:
        calls = list(s.scalars(select(Interaction)))
        assert [(i.external_id, i.custom_fields) for i in calls] == [
            ("x1", {"mood": ["happy", "busy"]})]


def test_export_has_custom_columns_and_reimports_onto_the_same_deals(
        client: TestClient, database: Database, settings: Settings) -> None:
    import csv
    import io

    make_contact(client, emails=[{"email": "ada@example.com"}])
    _define(client, "deal", "tags", "multi_select", options=["a", "b"])
    _define(client, "deal", "margin", "number", sensitive=True)
    _define(client, "order", "gift", "boolean")
    r = client.post("/api/v1/deals", json={"name": "Export me", "currency": "EUR",
                                           "custom_fields": {"tags": ["a", "b"], "margin": 7}})
    assert r.status_code == 201, r.text
    text = client.get("/api/v1/exports/records/deals").text
    [row] = list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"))))
    assert (row["cf.margin"], row["cf.tags"]) == ("7", "a; b")
    assert "cf.gift" in client.get("/api/v1/exports/records/orders").text.splitlines()[0]
    imp = upload(client, "deals.csv", text.encode(), entity="deals")
    assert (imp["mapping"]["cf.tags"], imp["mapping"]["cf.margin"]) == (
        "custom:tags", "custom:margin")
    done = run_import(client, database, settings, imp["id"], options={"match": "overwrite"})
    assert (done["created_count"], done["updated_count"], done["skipped_count"]) == (0, 0, 1)
    [deal] = _deals(database).values()
    assert deal.custom_fields == {"tags": ["a", "b"], "margin": 7}


def test_mapping_a_sensitive_deal_field_needs_the_right(client: TestClient, app: Any,
                                                        database: Database) -> None:
    from tests.deals.deal_support import user_client
    from tests.factories import assert_problem

    _define(client, "deal", "margin", "number", sensitive=True)
    rep, _ = user_client(app, database, "sales_rep")
    r = rep.post("/api/v1/imports", files={"file": ("d.csv", b"Deal Name,Margin\nX,5\n")},
                 data={"entity": "deals"})
    assert r.status_code == 201, r.text
    imp = r.json()
    r = rep.put(f"/api/v1/imports/{imp['id']}/mapping", json={
        "mapping": {"Deal Name": "name", "Margin": "custom:margin"}, "options": {}})
    assert_problem(r, 403, "mapping.Margin")
    r = rep.put(f"/api/v1/imports/{imp['id']}/mapping", json={
        "mapping": {"Deal Name": "name", "Margin": "ignore"}, "options": {}})
    assert r.status_code == 200, r.text
