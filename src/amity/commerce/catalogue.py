"""Every write to the product catalogue: validated, audited, announced.

A SKU is unique across the catalogue, deleted products included (restore one rather than
reusing its SKU); a duplicate is a 409 naming ``sku``, also when two requests race.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from amity.auth.models import User
from amity.commerce.models import Product
from amity.commerce.schemas import ProductCreate, ProductUpdate
from amity.core import audit
from amity.core.clock import now
from amity.core.customfields import validate_custom_fields
from amity.core.errors import Conflict, PreconditionFailed
from amity.core.events import DomainEvent, publish
from amity.core.text import fold

FIELDS = ("sku", "name", "category", "description", "price", "currency", "active",
          "replacement_cycle_days")


@dataclass(frozen=True)
class ProductChanged(DomainEvent):
    type = "product.changed"
    product_id: uuid.UUID
    action: str = "update"


def snapshot(p: Product) -> dict[str, Any]:
    return {**{k: getattr(p, k) for k in FIELDS}, "custom_fields": dict(p.custom_fields or {})}


def _sku_taken(db: Session, sku: str, but: uuid.UUID) -> Conflict | None:
    other = db.scalar(select(Product.id).where(Product.sku == sku, Product.id != but).limit(1))
    return None if other is None else _duplicate(sku)


def _duplicate(sku: str) -> Conflict:
    return Conflict("product.sku_taken", f"Another product has the SKU '{sku}' (a deleted one "
                    "counts too: restore it instead)", "sku")


def _flush(db: Session, product: Product) -> None:
    """Flush inside a savepoint so a concurrent duplicate SKU is a 409 naming ``sku``."""
    try:
        with db.begin_nested():
            db.add(product)
            db.flush()
    except IntegrityError as exc:
        raise _duplicate(product.sku) from exc


def create_product(db: Session, *, data: ProductCreate, actor: User) -> Product:
    p = Product(id=uuid.uuid4(), custom_fields={}, owner_id=actor.id,
                **{k: getattr(data, k) for k in FIELDS})
    p.sort_name = fold(p.name)
    p.custom_fields = validate_custom_fields(db, "product", data.custom_fields, existing={})
    taken = _sku_taken(db, p.sku, p.id)
    if taken:
        raise taken
    _flush(db, p)
    audit.record(db, actor_id=actor.id, action="create", entity_type="product", entity_id=p.id,
                 changes=audit.diff({}, snapshot(p)))
    publish(db, ProductChanged(product_id=p.id, action="create"))
    return p


def update_product(db: Session, *, product: Product, data: ProductUpdate, actor: User,
                   expected_version: int | None = None) -> Product:
    version = data.version if data.version is not None else expected_version
    if version is not None and version != product.version:
        raise PreconditionFailed()
    before = snapshot(product)
    sent = data.model_fields_set
    if "sku" in sent and data.sku != product.sku:
        assert data.sku is not None
        taken = _sku_taken(db, data.sku, product.id)
        if taken:
            raise taken
    for key in FIELDS:
        if key in sent:
            setattr(product, key, getattr(data, key))
    if "custom_fields" in sent:
        product.custom_fields = validate_custom_fields(db, "product", data.custom_fields,
                                                       existing=product.custom_fields)
    product.sort_name = fold(product.name)
    changes = audit.diff(before, snapshot(product))
    if changes:
        product.updated_at = now()
        _flush(db, product)
        audit.record(db, actor_id=actor.id, action="update", entity_type="product",
                     entity_id=product.id, changes=changes)
        publish(db, ProductChanged(product_id=product.id))
    return product


def delete_product(db: Session, *, product: Product, actor: User) -> Product:
    """Hide the product from the catalogue; orders keep their lines as sold."""
    if product.deleted_at is None:
        product.deleted_at = now()
        db.flush()
        audit.record(db, actor_id=actor.id, action="delete", entity_type="product",
                     entity_id=product.id)
        publish(db, ProductChanged(product_id=product.id, action="delete"))
    return product


def restore_product(db: Session, *, product: Product, actor: User) -> Product:
    if product.deleted_at is not None:
        product.deleted_at = None
        db.flush()
        audit.record(db, actor_id=actor.id, action="restore", entity_type="product",
                     entity_id=product.id)
        publish(db, ProductChanged(product_id=product.id, action="restore"))
    return product
