"""Product recommendations: the next product to offer a customer.

Two sources, in this order:

1. the customer's own history: a product they bought that has a replacement cycle
   (``products.replacement_cycle_days``) and whose cycle has run out since their last
   purchase of it is due again (most overdue first);
2. co-purchase patterns across customers: ``refresh_associations`` rebuilds, in one SQL
   statement, every ordered pair (A, B) of products bought by at least
   ``MIN_PAIR_CUSTOMERS`` of the same customers, with the confidence P(B | A) and the lift
   (confidence over B's share of all customers). For a customer, each product they do not
   own is scored by the best confidence among the products they own with lift above 1
   (highest confidence first, then lift, then name).

What they already own is never offered again unless it is due for replacement. A customer
with no purchases yet is offered the best sellers. The baskets are customers (everything a
customer ever bought in a counted order), not single orders: "customers who bought A also
bought B".
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import CTE, Float, cast, delete, func, insert, literal, select
from sqlalchemy.orm import Session

from amity.commerce.models import COUNTED_STATUSES, Order, OrderLine, Product
from amity.contacts.models import Contact
from amity.core.clock import now
from amity.intelligence.models import ModelFit
from amity.intelligence.tables import ProductAssociation

MIN_PAIR_CUSTOMERS = 2
DEFAULT_LIMIT = 5


@dataclass(frozen=True)
class Recommendation:
    product: Product
    kind: str  # replenish, co-purchase or popular
    reason: str
    confidence: float | None = None
    lift: float | None = None
    because: Product | None = None  # the owned product the pattern starts from
    last_bought: datetime | None = None


def _owned_pairs() -> CTE:
    """(customer, product) once per customer who bought it in a counted order."""
    return (select(Order.contact_id.label("contact_id"),
                   OrderLine.product_id.label("product_id"))
            .join(Order, Order.id == OrderLine.order_id)
            .join(Contact, Contact.id == Order.contact_id)
            .where(Order.status.in_(COUNTED_STATUSES), Order.deleted_at.is_(None),
                   Contact.deleted_at.is_(None), OrderLine.product_id.is_not(None))
            .distinct().cte("owned"))


def refresh_associations(db: Session, *, at: datetime | None = None) -> ModelFit:
    """Rebuild the co-purchase table from all orders and record it as a ``products`` fit."""
    from amity.intelligence.pipeline import Fit
    from amity.intelligence.service import record_fit

    at = at or now()
    owned = _owned_pairs()
    total = select(func.count(func.distinct(owned.c.contact_id))).scalar_subquery()
    items = (select(owned.c.product_id, func.count().label("n"))
             .group_by(owned.c.product_id).cte("items"))
    a, b = owned.alias("a"), owned.alias("b")
    pairs = (select(a.c.product_id.label("ante"), b.c.product_id.label("cons"),
                    func.count().label("both"))
             .join(b, (b.c.contact_id == a.c.contact_id) & (b.c.product_id != a.c.product_id))
             .group_by(a.c.product_id, b.c.product_id)
             .having(func.count() >= MIN_PAIR_CUSTOMERS).cte("pairs"))
    ia, ib = items.alias("ia"), items.alias("ib")
    confidence = cast(pairs.c.both, Float) / cast(ia.c.n, Float)
    lift = confidence * cast(total, Float) / cast(ib.c.n, Float)
    source = (select(pairs.c.ante, pairs.c.cons, pairs.c.both, confidence, lift,
                     literal(at, type_=ProductAssociation.computed_at.type))
              .join(ia, ia.c.product_id == pairs.c.ante)
              .join(ib, ib.c.product_id == pairs.c.cons))
    db.execute(delete(ProductAssociation))
    db.execute(insert(ProductAssociation).from_select(
        ["antecedent_id", "consequent_id", "customers", "confidence", "lift", "computed_at"],
        source))
    customers = db.scalar(select(func.count(func.distinct(owned.c.contact_id)))) or 0
    products = db.scalar(select(func.count()).select_from(items)) or 0
    rules = db.scalar(select(func.count()).select_from(ProductAssociation)) or 0
    diagnostics = {"customers": int(customers), "products": int(products),
                   "pairs": int(rules), "min_pair_customers": MIN_PAIR_CUSTOMERS}
    message = None if rules else (
        f"No two products were bought by {MIN_PAIR_CUSTOMERS} or more of the same customers "
        "yet: only replacements and best sellers can be offered.")
    return record_fit(db, Fit("products", "fitted" if rules else "insufficient", message,
                              {"min_pair_customers": MIN_PAIR_CUSTOMERS}, diagnostics,
                              int(customers)), at=at)


def _usable(p: Product | None) -> bool:
    return p is not None and p.active and p.deleted_at is None


def recommend(db: Session, contact_id: uuid.UUID, *, at: datetime | None = None,
              limit: int = DEFAULT_LIMIT) -> list[Recommendation]:
    """The products to offer ``contact_id`` next, best first (at most four statements)."""
    at = at or now()
    last: dict[uuid.UUID, datetime] = dict(db.execute(  # type: ignore[arg-type]
        select(OrderLine.product_id, func.max(Order.ordered_at))
        .join(Order, Order.id == OrderLine.order_id)
        .where(Order.contact_id == contact_id, Order.status.in_(COUNTED_STATUSES),
               Order.deleted_at.is_(None), Order.ordered_at <= at,
               OrderLine.product_id.is_not(None))
        .group_by(OrderLine.product_id)).all())
    if not last:
        return _popular(db, limit)
    rules = list(db.execute(
        select(ProductAssociation.antecedent_id, ProductAssociation.consequent_id,
               ProductAssociation.confidence, ProductAssociation.lift)
        .where(ProductAssociation.antecedent_id.in_(list(last)),
               ProductAssociation.lift > 1.0)).all())
    wanted = set(last) | {r.consequent_id for r in rules}
    products = {p.id: p for p in db.scalars(select(Product).where(Product.id.in_(wanted)))}
    due: list[tuple[datetime, Recommendation]] = []
    for pid, when in last.items():
        p = products.get(pid)
        if not _usable(p) or p is None or not p.replacement_cycle_days:
            continue
        when_due = when + timedelta(days=p.replacement_cycle_days)
        if when_due <= at:
            due.append((when_due, Recommendation(
                p, "replenish", f"Due for replacement: last bought {when:%Y-%m-%d}, lasts "
                f"about {p.replacement_cycle_days} days", last_bought=when)))
    due.sort(key=lambda d: (d[0], d[1].product.name))
    best: dict[uuid.UUID, tuple[float, float, uuid.UUID]] = {}
    for ante, cons, conf, lift in rules:
        if cons in last:
            continue
        if cons not in best or (conf, lift) > best[cons][:2]:
            best[cons] = (float(conf), float(lift), ante)
    pattern = []
    for cons, (conf, lift, ante) in best.items():
        p, source = products.get(cons), products.get(ante)
        if not _usable(p) or p is None or source is None:
            continue
        pattern.append(Recommendation(
            p, "co-purchase", f"{conf:.0%} of customers who bought {source.name} also bought "
            f"it ({lift:.1f} times the usual rate)", conf, lift, source))
    pattern.sort(key=lambda r: (-(r.confidence or 0), -(r.lift or 0), r.product.name))
    return ([d[1] for d in due] + pattern)[:limit]


def _popular(db: Session, limit: int) -> list[Recommendation]:
    owned = _owned_pairs()
    rows = db.execute(
        select(Product, func.count().label("n"))
        .join(owned, owned.c.product_id == Product.id)
        .where(Product.active.is_(True), Product.deleted_at.is_(None))
        .group_by(Product.id).order_by(func.count().desc(), Product.name, Product.id)
        .limit(limit)).all()
    return [Recommendation(p, "popular", f"A best seller: bought by {n} customers")
            for p, n in rows]


def action(rec: Recommendation) -> str:
    """The next-best-action line for the first recommendation."""
    if rec.kind == "replenish":
        return f"Remind them to reorder {rec.product.name}: {rec.reason[0].lower()}" \
               f"{rec.reason[1:]}"
    return f"Send the upgrade offer: {rec.product.name} ({rec.reason})"
