"""Every write to orders: placed (de-duplicated by ``external_ref``), edited, deleted,
restored, imported in bulk, or made from a won deal. Each is audited and announced.

``order.placed`` (``OrderPlaced``) carries the customer, total and currency, for automation.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from amity.auth.models import User
from amity.commerce.models import Order, OrderLine, Product
from amity.commerce.pricing import MAX_AMOUNT, LineAmounts, line_amounts, order_amounts
from amity.commerce.schemas import (
    BulkItemError,
    BulkItemResult,
    OrderBulkResult,
    OrderCreate,
    OrderLineIn,
    OrderUpdate,
)
from amity.core import audit
from amity.core.clock import now
from amity.core.customfields import validate_custom_fields
from amity.core.errors import Conflict, DomainError, PreconditionFailed, ValidationFailed
from amity.core.events import DomainEvent, publish

if TYPE_CHECKING:
    from amity.deals.models import Deal

SCALARS = ("number", "external_ref", "contact_id", "company_id", "deal_id", "ordered_at",
           "channel", "status", "currency", "subtotal", "discount_total", "total", "notes",
           "owner_id")
EDITABLE = ("contact_id", "company_id", "ordered_at", "channel", "status", "currency",
            "external_ref", "number", "notes", "owner_id")


@dataclass(frozen=True)
class OrderPlaced(DomainEvent):
    type = "order.placed"
    order_id: uuid.UUID
    contact_id: uuid.UUID | None
    company_id: uuid.UUID | None
    deal_id: uuid.UUID | None
    total: str  # exact decimal as text, e.g. "1234.50"
    currency: str
    ordered_at: datetime
    channel: str
    status: str


@dataclass(frozen=True)
class OrderChanged(DomainEvent):
    type = "order.changed"
    order_id: uuid.UUID
    action: str = "update"
    status: str | None = None


def snapshot(o: Order) -> dict[str, Any]:
    data = {k: getattr(o, k) for k in SCALARS}
    data["lines"] = [{"product_id": ln.product_id, "sku": ln.sku, "description": ln.description,
                      "quantity": ln.quantity, "unit_price": ln.unit_price,
                      "discount_percent": ln.discount_percent, "total": ln.total}
                     for ln in o.lines]
    data["custom_fields"] = dict(o.custom_fields or {})
    return data


def load_products(db: Session, ids: Iterable[uuid.UUID | None], *,
                  include_deleted: bool = False) -> dict[uuid.UUID, Product]:
    """The catalogue products named by order lines, in one statement (a deleted product is
    left out unless asked for: a new order may not name it)."""
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    stmt = select(Product).where(Product.id.in_(wanted))
    if not include_deleted:
        stmt = stmt.where(Product.deleted_at.is_(None))
    return {p.id: p for p in db.scalars(stmt)}


def _line(i: int, data: OrderLineIn, currency: str, products: dict[uuid.UUID, Product],
          prefix: str) -> OrderLine:
    product = products.get(data.product_id) if data.product_id else None
    if data.product_id and product is None:
        raise ValidationFailed("product.not_found", "No such product", f"{prefix}{i}.product_id")
    unit_price = data.unit_price
    if unit_price is None:
        if product is None:
            raise ValidationFailed("order_line.unit_price_required", "Give a unit_price for a "
                                   "line without a product", f"{prefix}{i}.unit_price")
        if product.currency != currency:
            raise ValidationFailed("order_line.currency_mismatch", f"The product is priced in "
                                   f"{product.currency} and the order is in {currency}: give "
                                   "the unit_price", f"{prefix}{i}.unit_price")
        unit_price = product.price
    description = data.description or (product.name if product else None)
    if not description:
        raise ValidationFailed("order_line.description_required", "Describe what was sold "
                               "(or name a product)", f"{prefix}{i}.description")
    amounts = line_amounts(data.quantity, unit_price, data.discount_percent)
    if amounts.gross > MAX_AMOUNT:
        raise ValidationFailed("order_line.amount_too_large", "The line's amount is too large",
                               f"{prefix}{i}.quantity")
    return OrderLine(id=uuid.uuid4(), product_id=data.product_id, position=i,
                     sku=data.sku or (product.sku if product else None),
                     description=description[:500],
                     category=data.category or (product.category if product else None),
                     quantity=data.quantity, unit_price=unit_price,
                     discount_percent=data.discount_percent, total=amounts.total)


def _set_lines(order: Order, lines: list[OrderLine]) -> None:
    amounts = order_amounts(LineAmounts(gross=_gross(ln), total=ln.total) for ln in lines)
    if amounts.subtotal > MAX_AMOUNT:
        raise ValidationFailed("order.amount_too_large", "The order's amount is too large",
                               "lines")
    order.lines = lines
    order.subtotal, order.discount_total, order.total = (
        amounts.subtotal, amounts.discount_total, amounts.total)


def _gross(ln: OrderLine) -> Decimal:
    return line_amounts(ln.quantity, ln.unit_price).gross


def build_lines(lines: Sequence[OrderLineIn], currency: str,
                products: dict[uuid.UUID, Product], prefix: str = "lines.") -> list[OrderLine]:
    return [_line(i, ln, currency, products, prefix) for i, ln in enumerate(lines)]


def order_by_ref(db: Session, external_ref: str) -> Order | None:
    return db.scalar(select(Order).where(Order.external_ref == external_ref))


def _agrees(order: Order, data: OrderCreate) -> bool:
    """Does the stored order say what ``data`` says? Only the fields sent are compared (a
    default such as 'now' would differ on every retry); lines position by position."""
    sent = data.model_fields_set - {"lines"}
    if any(getattr(order, k) != getattr(data, k) for k in sent if k in EDITABLE):
        return False
    if len(order.lines) != len(data.lines):
        return False
    for stored, line in zip(order.lines, data.lines, strict=True):
        for key in line.model_fields_set | {"product_id", "quantity", "discount_percent"}:
            if getattr(stored, key) != getattr(line, key):
                return False
    return True


def _existing(order: Order, data: OrderCreate,
              visible: Callable[[Order], bool] | None) -> Order:
    if visible is not None and not visible(order):
        # the same answer whatever the stored order says: nothing about it leaks
        raise Conflict("order.external_ref_taken", "Another order has this external_ref",
                       "external_ref")
    if order.deleted_at is not None:
        raise Conflict("order.external_ref_deleted", "An order with this external_ref was "
                       "deleted; restore it instead", "external_ref")
    if not _agrees(order, data):
        raise Conflict("order.external_ref_conflict", "An order with this external_ref exists "
                       "with different content", "external_ref")
    return order


def _announce(db: Session, order: Order, actor: User | None) -> None:
    audit.record(db, actor_id=actor.id if actor else None, action="create",
                 entity_type="order", entity_id=order.id, changes=audit.diff({}, snapshot(order)))
    publish(db, OrderPlaced(order_id=order.id, contact_id=order.contact_id,
                            company_id=order.company_id, deal_id=order.deal_id,
                            total=str(order.total), currency=order.currency,
                            ordered_at=order.ordered_at, channel=order.channel,
                            status=order.status))


def place_order(db: Session, *, data: OrderCreate, actor: User,
                visible: Callable[[Order], bool] | None = None,
                products: dict[uuid.UUID, Product] | None = None) -> tuple[Order, bool]:
    """Create an order; ``(order, True)``. When ``external_ref`` is already stored, nothing
    changes and the stored order comes back, ``(order, False)``: 409 if it says something
    else, or if ``visible`` (the reader's access check) says the actor may not see it. Two
    concurrent requests with one ref: the unique constraint picks the winner and the other
    gets it back. ``products`` may carry products already loaded (bulk imports)."""
    if data.external_ref:
        found = order_by_ref(db, data.external_ref)
        if found is not None:
            return _existing(found, data, visible), False
    if products is None:
        products = load_products(db, (ln.product_id for ln in data.lines))
    order = Order(id=uuid.uuid4(), contact_id=data.contact_id, company_id=data.company_id,
                  ordered_at=data.ordered_at or now(), channel=data.channel,
                  status=data.status, currency=data.currency, external_ref=data.external_ref,
                  number=data.number, notes=data.notes,
                  custom_fields=validate_custom_fields(db, "order", data.custom_fields),
                  owner_id=data.owner_id if "owner_id" in data.model_fields_set else actor.id)
    _check_customer(db, order)
    _set_lines(order, build_lines(data.lines, data.currency, products))
    try:
        with db.begin_nested():
            db.add(order)
            db.flush()
    except IntegrityError:
        winner = order_by_ref(db, data.external_ref) if data.external_ref else None
        if winner is None:
            raise
        return _existing(winner, data, visible), False
    _announce(db, order, actor)
    return order, True


def _check_customer(db: Session, order: Order, *, new_owner: bool = True) -> None:
    """A contact or a company (or both), and a new owner who is an active user (or none)."""
    if order.contact_id is None and order.company_id is None:
        raise ValidationFailed("order.customer_required", "An order needs a contact_id, a "
                               "company_id or both", "contact_id")
    if new_owner and order.owner_id is not None:
        owner = db.get(User, order.owner_id)
        if owner is None or not owner.is_active:
            raise ValidationFailed("user.not_found", "No such active user", "owner_id")


def update_order(db: Session, *, order: Order, data: OrderUpdate, actor: User,
                 expected_version: int | None = None) -> Order:
    """Change the fields sent; new ``lines`` replace the old ones and the totals follow."""
    version = data.version if data.version is not None else expected_version
    if version is not None and version != order.version:
        raise PreconditionFailed()
    sent = data.model_fields_set
    before = snapshot(order)
    ref = data.external_ref
    if "external_ref" in sent and ref and ref != order.external_ref and order_by_ref(db, ref):
        raise Conflict("order.external_ref_taken", "Another order has this external_ref",
                       "external_ref")
    with db.no_autoflush:
        for key in EDITABLE:
            if key in sent:
                setattr(order, key, getattr(data, key))
        if "custom_fields" in sent:
            order.custom_fields = validate_custom_fields(db, "order", data.custom_fields,
                                                         existing=order.custom_fields)
        _check_customer(db, order, new_owner="owner_id" in sent)
        if data.lines is not None:
            products = load_products(db, (ln.product_id for ln in data.lines))
            _set_lines(order, build_lines(data.lines, order.currency, products))
    changes = audit.diff(before, snapshot(order))
    if changes:
        order.updated_at = now()
        try:
            with db.begin_nested():
                db.flush()
        except IntegrityError as exc:
            raise Conflict("order.external_ref_taken", "Another order has this external_ref",
                           "external_ref") from exc
        audit.record(db, actor_id=actor.id, action="update", entity_type="order",
                     entity_id=order.id, changes=changes)
        publish(db, OrderChanged(order_id=order.id, status=order.status))
    return order


def delete_order(db: Session, *, order: Order, actor: User) -> Order:
    if order.deleted_at is None:
        order.deleted_at = now()
        db.flush()
        audit.record(db, actor_id=actor.id, action="delete", entity_type="order",
                     entity_id=order.id)
        publish(db, OrderChanged(order_id=order.id, action="delete"))
    return order


def restore_order(db: Session, *, order: Order, actor: User) -> Order:
    if order.deleted_at is not None:
        order.deleted_at = None
        db.flush()
        audit.record(db, actor_id=actor.id, action="restore", entity_type="order",
                     entity_id=order.id)
        publish(db, OrderChanged(order_id=order.id, action="restore"))
    return order


def import_orders(db: Session, *, items: Sequence[OrderCreate | BulkItemError], actor: User,
                  all_or_nothing: bool = False,
                  visible: Callable[[Order], bool] | None = None) -> OrderBulkResult:
    """Place each order (re-imports find their ``external_ref`` and change nothing). Items
    given as ``BulkItemError`` were refused before (bad input, a reference out of reach).
    An existing order that ``visible`` says the actor may not see is reported as an error
    (its ref is taken), not by id. With ``all_or_nothing`` any error raises a 422 listing
    every error, and the caller's transaction is rolled back."""
    products = load_products(db, (ln.product_id for item in items
                                  if isinstance(item, OrderCreate) for ln in item.lines))
    results: list[BulkItemResult] = []
    for index, item in enumerate(items):
        if isinstance(item, BulkItemError):
            results.append(BulkItemResult(index=index, result="error", error=item))
            continue
        try:
            with db.begin_nested():
                order, created = place_order(db, data=item, actor=actor, visible=visible,
                                             products=products)
        except DomainError as exc:
            field = f"items.{index}.{exc.field}" if exc.field else f"items.{index}"
            results.append(BulkItemResult(index=index, result="error", error=BulkItemError(
                code=exc.code, message=exc.message, field=field)))
            continue
        results.append(BulkItemResult(index=index, id=order.id,
                                      result="created" if created else "existing"))
    errors = [r for r in results if r.error is not None]
    if all_or_nothing and errors:
        first = errors[0].error
        assert first is not None
        raise ValidationFailed("bulk.invalid", f"{len(errors)} of {len(items)} orders are "
                               f"invalid; nothing was stored. First: {first.message}",
                               first.field, errors=[
                                   {"field": r.error.field or f"items.{r.index}",
                                    "message": r.error.message, "type": r.error.code}
                                   for r in errors if r.error is not None])
    return OrderBulkResult(created=sum(r.result == "created" for r in results),
                           existing=sum(r.result == "existing" for r in results),
                           errors=len(errors), items=results)


def _deal_line(position: int, product: Product | None, product_id: uuid.UUID | None,
               description: str, quantity: Decimal, unit_price: Decimal,
               discount_percent: Decimal) -> OrderLine:
    return OrderLine(id=uuid.uuid4(), product_id=product_id, position=position,
                     sku=product.sku if product else None,
                     category=product.category if product else None,
                     description=description[:500], quantity=quantity, unit_price=unit_price,
                     discount_percent=discount_percent,
                     total=line_amounts(quantity, unit_price, discount_percent).total)


def create_order_from_deal(db: Session, *, deal: Deal, actor: User | None) -> Order:
    """The order of a won deal: its lines (or one line with the deal's name and amount), its
    contact, company, currency and owner, channel 'sales', ordered when the deal closed.
    One order per deal: calling again (or concurrently) returns the first one."""
    found = db.scalar(select(Order).where(Order.deal_id == deal.id))
    if found is not None:
        return found
    products = load_products(db, (ln.product_id for ln in deal.lines), include_deleted=True)
    lines = [_deal_line(i, products.get(ln.product_id) if ln.product_id else None, ln.product_id,
                        ln.description or deal.name, ln.quantity, ln.unit_price,
                        ln.discount_percent) for i, ln in enumerate(deal.lines)]
    if not lines:
        lines = [_deal_line(0, None, None, deal.name, Decimal(1), deal.amount, Decimal(0))]
    order = Order(id=uuid.uuid4(), contact_id=deal.contact_id, company_id=deal.company_id,
                  deal_id=deal.id, ordered_at=deal.closed_at or now(), channel="sales",
                  status="placed", currency=deal.currency, owner_id=deal.owner_id,
                  custom_fields={})
    _set_lines(order, lines)
    try:
        with db.begin_nested():
            db.add(order)
            db.flush()
    except IntegrityError:
        winner = db.scalar(select(Order).where(Order.deal_id == deal.id))
        if winner is None:
            raise
        return winner
    _announce(db, order, actor)
    return order
