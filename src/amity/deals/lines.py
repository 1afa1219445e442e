"""A deal's line items: exact totals, and the deal's amount as their sum.

A line's total is quantity x unit price x (1 - discount / 100), computed exactly and rounded
half to even to cents once. A deal with lines is worth the sum of their totals.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from decimal import ROUND_HALF_EVEN, Decimal, localcontext

from sqlalchemy import select
from sqlalchemy.orm import Session

from amity.auth.models import User
from amity.commerce.models import Product
from amity.core import audit
from amity.core.clock import now
from amity.core.errors import ValidationFailed
from amity.core.events import publish
from amity.deals.events import DealChanged
from amity.deals.models import Deal, DealLine
from amity.deals.schemas import DealLineIn
from amity.deals.service import check_version

CENT = Decimal("0.01")
HUNDRED = Decimal(100)
MAX_AMOUNT = Decimal(10) ** 13  # what a deal's amount may reach (schemas.Amount)


def line_total(quantity: Decimal, unit_price: Decimal, discount_percent: Decimal) -> Decimal:
    """quantity x unit price x (1 - discount / 100), rounded half to even to cents once."""
    with localcontext() as ctx:
        ctx.prec = 60  # 12 + 15 + 5 significant digits at most: exact before the rounding
        exact = quantity * unit_price * (HUNDRED - discount_percent) / HUNDRED
        return exact.quantize(CENT, rounding=ROUND_HALF_EVEN)


def _products(db: Session, items: Sequence[DealLineIn]) -> dict[uuid.UUID, Product]:
    ids = {i.product_id for i in items if i.product_id is not None}
    if not ids:
        return {}
    return {p.id: p for p in db.scalars(select(Product).where(Product.id.in_(ids),
                                                              Product.deleted_at.is_(None)))}


def build_lines(db: Session, deal: Deal, items: Sequence[DealLineIn]) -> list[DealLine]:
    products = _products(db, items)
    lines = []
    for i, item in enumerate(items):
        product = products.get(item.product_id) if item.product_id else None
        if item.product_id is not None and product is None:
            raise ValidationFailed("product.not_found", "No such product",
                                   f"lines.{i}.product_id")
        unit_price = item.unit_price
        if unit_price is None:
            if product is None or product.currency != deal.currency:
                raise ValidationFailed("line.unit_price_required", "Give a unit price (the "
                                       "product is priced in another currency)" if product
                                       else "Give a unit price", f"lines.{i}.unit_price")
            unit_price = product.price
        description = item.description or (product.name if product else "")
        if not description.strip():
            raise ValidationFailed("line.description_required", "Describe the line (or name a "
                                   "product)", f"lines.{i}.description")
        total = line_total(item.quantity, unit_price, item.discount_percent)
        if total >= MAX_AMOUNT:
            raise ValidationFailed("line.too_large", "The line's total is too large",
                                   f"lines.{i}.quantity")
        lines.append(DealLine(id=uuid.uuid4(), deal_id=deal.id, product_id=item.product_id,
                              description=description[:500],
                              quantity=item.quantity.quantize(Decimal("0.001")),
                              unit_price=unit_price.quantize(Decimal("0.0001")),
                              discount_percent=item.discount_percent.quantize(CENT),
                              total=total, position=i))
    return lines


def _view(lines: Sequence[DealLine]) -> list[list[str | None]]:
    return [[str(ln.product_id) if ln.product_id else None, ln.description, str(ln.quantity),
             str(ln.unit_price), str(ln.discount_percent), str(ln.total)] for ln in lines]


def set_deal_lines(db: Session, *, deal: Deal, items: Sequence[DealLineIn], actor: User,
                   expected_version: int | None = None,
                   sent_version: int | None = None) -> Deal:
    """Replace every line; with lines the deal's amount becomes their sum (without, it stays
    what it was)."""
    check_version(deal, sent_version, expected_version)
    with db.no_autoflush:
        lines = build_lines(db, deal, items)
    amount = sum((ln.total for ln in lines), Decimal("0.00")) if lines else deal.amount
    if amount >= MAX_AMOUNT:
        raise ValidationFailed("deal.amount_too_large", "The lines add up to more than a deal "
                               "may be worth", "lines")
    before, after = _view(deal.lines), _view(lines)
    if before == after:
        return deal
    changes: dict[str, list[object]] = {"lines": [before, after]}
    if amount != deal.amount:
        changes["amount"] = [deal.amount, amount]
    deal.lines = lines
    deal.amount = amount
    deal.updated_at = deal.last_activity_at = now()
    db.flush()
    audit.record(db, actor_id=actor.id, action="update", entity_type="deal", entity_id=deal.id,
                 changes=changes)
    publish(db, DealChanged(deal_id=deal.id, action="lines"))
    return deal
