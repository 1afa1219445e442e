"""A won deal becomes one order: its lines (or its name and amount), customer and owner."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select

from amity.auth.models import User
from amity.commerce.models import Order, Product
from amity.commerce.service import create_order_from_deal
from amity.core.db import Database
from amity.core.events import EventRecord
from amity.deals.models import Deal, DealLine, Pipeline
from tests.conftest import make_user
from tests.factories import make_company, make_contact


def _deal(database: Database, owner: User, *, lines: list[dict[str, Any]] | None = None,
          **fields: Any) -> uuid.UUID:
    with database.transaction() as s:
        pipeline = s.scalar(select(Pipeline).where(Pipeline.is_default.is_(True)))
        assert pipeline is not None
        won = next(st for st in pipeline.stages if st.kind == "won")
        deal = Deal(id=uuid.uuid4(), name="Ovens for the new shop", sort_name="ovens",
                    amount=Decimal("12500.00"), currency="EUR", pipeline_id=pipeline.id,
                    stage_id=won.id, probability=100, status="won", owner_id=owner.id,
                    custom_fields={}, **fields)
        deal.lines = [DealLine(position=i, **ln) for i, ln in enumerate(lines or [])]
        s.add(deal)
        return deal.id


def test_deal_with_lines_becomes_an_order(client: Any, database: Database,
                                          admin_user: tuple[User, str]) -> None:
    rep, _ = make_user(database)
    contact, company = make_contact(client), make_company(client)
    with database.transaction() as s:
        oven = Product(sku="OVEN-1", name="Deck oven", sort_name="deck oven", category="Ovens",
                       price=Decimal("5000"), currency="EUR", custom_fields={})
        s.add(oven)
        s.flush()
        oven_id = oven.id
    closed = datetime(2026, 3, 2, 15, 30, tzinfo=UTC)
    deal_id = _deal(database, rep, contact_id=uuid.UUID(contact["id"]),
                    company_id=uuid.UUID(company["id"]), closed_at=closed, lines=[
                        {"product_id": oven_id, "description": "Deck oven, 3 decks",
                         "quantity": Decimal("2"), "unit_price": Decimal("5000"),
                         "discount_percent": Decimal("10"), "total": Decimal("9000")},
                        {"description": "Installation", "quantity": Decimal("1"),
                         "unit_price": Decimal("1234.565"), "total": Decimal("1234.57")}])
    with database.transaction() as s:
        deal = s.get(Deal, deal_id)
        admin = s.get(User, admin_user[0].id)
        order = create_order_from_deal(s, deal=deal, actor=admin)
        again = create_order_from_deal(s, deal=deal, actor=admin)
        assert again.id == order.id
        order_id = order.id
    with database.transaction() as s:
        o = s.get(Order, order_id)
        assert o is not None
        assert (o.deal_id, o.channel, o.status, o.currency) == (deal_id, "sales", "placed", "EUR")
        assert o.ordered_at == closed and o.owner_id == rep.id
        assert str(o.contact_id) == contact["id"] and str(o.company_id) == company["id"]
        # 2 x 5000 less 10% = 9000.00; 1234.565 rounds half-even to 1234.56
        assert [(ln.sku, ln.description, ln.category, ln.total) for ln in o.lines] == [
            ("OVEN-1", "Deck oven, 3 decks", "Ovens", Decimal("9000.00")),
            (None, "Installation", None, Decimal("1234.56"))]
        assert (o.subtotal, o.discount_total, o.total) == (
            Decimal("11234.56"), Decimal("1000.00"), Decimal("10234.56"))
        assert s.scalar(select(func.count()).select_from(Order)) == 1
        placed = s.scalars(select(EventRecord).where(EventRecord.type == "order.placed")).all()
        assert [e.payload["total"] for e in placed] == ["10234.56"]
        assert placed[0].payload["deal_id"] == str(deal_id)


def test_deal_without_lines_becomes_one_line(client: Any, database: Database,
                                             admin_user: tuple[User, str]) -> None:
    contact = make_contact(client)
    deal_id = _deal(database, admin_user[0], contact_id=uuid.UUID(contact["id"]))
    with database.transaction() as s:
        before = datetime.now(UTC)
        order = create_order_from_deal(s, deal=s.get(Deal, deal_id), actor=None)
        assert order.ordered_at >= before  # not closed yet: ordered now
        assert [(ln.description, ln.quantity, ln.unit_price, ln.total) for ln in order.lines] \
            == [("Ovens for the new shop", Decimal(1), Decimal("12500.00"),
                 Decimal("12500.00"))]
        assert order.total == Decimal("12500.00") and order.company_id is None
