"""Settings → Products for administrators, and orders on the contact page."""

from __future__ import annotations

import uuid
from decimal import Decimal

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from amity.auth import service as auth
from amity.auth.models import User
from amity.commerce.models import Order, Product
from amity.contacts.schemas import ContactCreate
from amity.contacts.service import create_contact
from amity.core.db import Database
from tests.conftest import make_user
from tests.web.conftest import PASSWORD, page_csrf, sign_in
from tests.web.test_deals_pages import deal


def products(database: Database) -> list[Product]:
    with database.transaction() as s:
        rows = list(s.scalars(select(Product).order_by(Product.sku)))
        s.expunge_all()
        return rows


def test_products_admin_create_edit_deactivate(signed_in: TestClient,
                                               database: Database) -> None:
    assert signed_in.get("/settings/products").status_code == 200
    token = page_csrf(signed_in, "/settings/products/new")
    form = {"csrf_token": token, "sku": "LAP-14", "name": "Laptop 14\"", "price": "9.99999",
            "currency": "EUR", "replacement_cycle_days": "1095", "category": "Hardware"}
    r = signed_in.post("/settings/products", data=form)
    assert r.status_code == 422 and 'id="price-error"' in r.text
    assert products(database) == []
    r = signed_in.post("/settings/products", data={**form, "price": "999.99"})
    assert r.status_code == 303
    [laptop] = products(database)
    assert (laptop.price, laptop.replacement_cycle_days, laptop.active) == (
        Decimal("999.99"), 1095, True)
    r = signed_in.post("/settings/products", data={**form, "price": "1"})
    assert r.status_code == 409 and 'id="sku-error"' in r.text  # the SKU is taken
    page = signed_in.get("/settings/products").text
    assert "LAP-14" in page and "every 1095 days" in page and "EUR 999.99" in page
    r = signed_in.post(f"/settings/products/{laptop.id}", data={
        **form, "price": "899.5", "replacement_cycle_days": "", "version": str(laptop.version)})
    assert r.status_code == 303
    [laptop] = products(database)
    assert (laptop.price, laptop.replacement_cycle_days) == (Decimal("899.5"), None)
    r = signed_in.post(f"/settings/products/{laptop.id}", data={  # stale version
        **form, "price": "1", "version": "1"})
    assert r.status_code == 412 and products(database)[0].price == Decimal("899.5")
    r = signed_in.post(f"/settings/products/{laptop.id}/active", data={"csrf_token": token})
    assert r.status_code == 303 and products(database)[0].active is False
    assert "Reactivate" in signed_in.get("/settings/products").text
    assert signed_in.get(f"/settings/products/{uuid.uuid4()}").status_code == 404


def test_products_are_for_administrators_only(web: TestClient, database: Database) -> None:
    user, _ = make_user(database, email="rita@example.com")  # no role: nothing in settings
    assert sign_in(web, user.email).status_code == 303
    assert web.get("/settings/products").status_code == 403
    assert web.get("/settings/products/new").status_code == 403
    token = page_csrf(web, "/contacts")
    r = web.post("/settings/products", data={"csrf_token": token, "sku": "X", "name": "X",
                                             "price": "1", "currency": "EUR"})
    assert r.status_code == 403 and products(database) == []


def test_contact_page_deals_purchases_and_add_order(signed_in: TestClient, web_user: User,
                                                    database: Database) -> None:
    with database.transaction() as s:
        actor = s.get(User, web_user.id)
        assert actor is not None
        contact = create_contact(s, data=ContactCreate(first_name="Linus", last_name="Baker"),
                                 actor=actor).id
        s.add(Product(id=uuid.uuid4(), sku="CRO-1", name="Croissant", sort_name="croissant",
                      price=Decimal("1.8500"), currency="EUR", active=True, custom_fields={},
                      category="Pastry"))
    deal(database, web_user.id, "Weekly croissants", "120", contact_id=contact)
    page = signed_in.get(f"/contacts/{contact}").text
    assert f'hx-get="/contacts/{contact}/commerce"' in page
    panel = signed_in.get(f"/contacts/{contact}/commerce")
    assert panel.status_code == 200
    assert "Weekly croissants" in panel.text and "No purchases yet." in panel.text
    croissant = products(database)[0].id
    token = page_csrf(signed_in, "/contacts")
    bad = {"csrf_token": token, "currency": "EUR", "ordered_on": "2026-11-24",
           "product_id": [str(croissant), ""], "description": ["", "Box"],
           "quantity": ["12", "1"], "unit_price": ["", "-2"]}
    r = signed_in.post(f"/contacts/{contact}/orders", data=bad)
    assert r.status_code == 422 and 'role="alert"' in r.text and "unit_price" in r.text
    with database.transaction() as s:
        assert s.scalar(select(func.count()).select_from(Order)) == 0
    r = signed_in.post(f"/contacts/{contact}/orders", data={**bad, "unit_price": ["", "0.50"]},
                       headers={"HX-Request": "true"})
    assert r.status_code == 200, r.text
    with database.transaction() as s:
        order = s.scalar(select(Order))
        assert order is not None
        # 12 x 1.85 + 1 x 0.50 = 22.20 + 0.50 = 22.70, by hand
        assert order.total == Decimal("22.70") and order.contact_id == contact
        assert order.ordered_at.date().isoformat() == "2026-11-24"
    assert "1 order" in r.text and "EUR 22.70" in r.text and "Croissant" in r.text


def test_without_deals_view_no_board_and_no_deals_panel(web: TestClient, web_user: User,
                                                        database: Database) -> None:
    with database.transaction() as s:
        agent = auth.create_user(s, email="ann@example.com", name="Ann", password=PASSWORD,
                                 role="support_agent")
        actor = s.get(User, web_user.id)
        assert actor is not None
        contact = create_contact(s, data=ContactCreate(first_name="Grace"), actor=actor).id
        agent_id = agent.id
    deal(database, web_user.id, "Secret pipeline deal", "10", contact_id=contact)
    assert agent_id is not None
    assert sign_in(web, "ann@example.com").status_code == 303
    assert 'href="/deals"' not in web.get("/contacts").text
    assert web.get("/deals").status_code == 403
    panel = web.get(f"/contacts/{contact}/commerce")
    assert panel.status_code == 200
    assert "Secret pipeline deal" not in panel.text and 'id="deals-h"' not in panel.text
    assert 'id="purchases-h"' in panel.text  # support agents read orders
    assert "Add order" not in panel.text  # ... but do not place them
