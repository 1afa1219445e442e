"""Settings → Products: the catalogue for administrators (list, create, edit, deactivate).

Changing the catalogue needs ``settings.edit``, as in the API; the work is done by
``commerce.catalogue``.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Query, Request, Response
from fastapi.responses import RedirectResponse
from pydantic import BaseModel, ValidationError
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from amity.api.deps import AppSettings, DbSession
from amity.auth.access import Permission, require
from amity.auth.models import User
from amity.commerce import catalogue, queries
from amity.commerce.models import Product
from amity.commerce.schemas import ProductCreate, ProductUpdate
from amity.core.errors import DomainError, NotFound, PreconditionFailed
from amity.web import record_fields
from amity.web.auth import CsrfChecked, WebUser
from amity.web.errors import WebRoute
from amity.web.templating import render

router = APIRouter(prefix="/settings/products", route_class=WebRoute)
FIELDS = ("sku", "name", "category", "price", "currency", "replacement_cycle_days",
          "description")


class ProductForm(BaseModel):
    sku: str = ""
    name: str = ""
    category: str = ""
    price: str = ""
    currency: str = "EUR"
    replacement_cycle_days: str = ""
    description: str = ""
    version: str = ""


def _payload(form: ProductForm, *, create: bool) -> dict[str, Any]:
    data: dict[str, Any] = {"sku": form.sku.strip(), "name": form.name.strip(),
                            "price": form.price.strip() or None,
                            "currency": form.currency.strip().upper()}
    for key in ("category", "replacement_cycle_days", "description"):
        value = getattr(form, key).strip()
        if value or not create:
            data[key] = value or None
    if not create and form.version.strip().isdigit():
        data["version"] = int(form.version)
    return data


def _errors(exc: ValidationError | DomainError) -> dict[str, str]:
    if isinstance(exc, DomainError):
        return {exc.field if exc.field in FIELDS else "_form": exc.message}
    out: dict[str, str] = {}
    for err in exc.errors():
        head = str(err.get("loc", ("",))[0]) if err.get("loc") else ""
        out.setdefault(head if head in FIELDS else "_form",
                       str(err.get("msg", "invalid value")).removeprefix("Value error, "))
    return out


def _load(db: Session, product_id: uuid.UUID) -> Product:
    product = db.get(Product, product_id)
    if product is None or product.deleted_at is not None:
        raise NotFound("product")
    return product


def _form_of(p: Product) -> ProductForm:
    return ProductForm(sku=p.sku, name=p.name, category=p.category or "", price=f"{p.price:f}",
                       currency=p.currency, description=p.description or "",
                       replacement_cycle_days=str(p.replacement_cycle_days or ""),
                       version=str(p.version))


def _edit_page(request: Request, form: ProductForm, errors: dict[str, str],
               product: Product | None = None, status_code: int = 200,
               cf: dict[str, Any] | None = None) -> Response:
    return render(request, "products/edit.html", {"form": form, "errors": errors,
                                                  "product": product, "tab": "products",
                                                  **(cf or {"cf_details": []})},
                  status_code=status_code)


def _cf(db: Session, user: User, product: Product, errors: dict[str, str] | None = None,
        posted: FormData | None = None) -> dict[str, Any]:
    """The product's custom fields: the Details block and its Edit details form."""
    return record_fields.context(
        db, user, "product", product.custom_fields,
        action=f"/settings/products/{product.id}/details", version=product.version,
        can_edit=True, errors=errors, posted=posted)


@router.get("")
def product_list(request: Request, db: DbSession, user: WebUser, settings: AppSettings,
                 q: Annotated[str, Query(max_length=200)] = "",
                 cursor: Annotated[str | None, Query(max_length=2000)] = None) -> Response:
    require(user, Permission.SETTINGS_MANAGE)
    page = queries.list_products(db, q=q or None, sort="name", cursor=cursor,
                                 limit=settings.page_size_default)
    return render(request, "products/list.html", {"products": page.items, "q": q,
                                                  "next_cursor": page.next_cursor,
                                                  "tab": "products"})


@router.get("/new")
def new_product(request: Request, user: WebUser) -> Response:
    require(user, Permission.SETTINGS_MANAGE)
    return _edit_page(request, ProductForm(), {})


@router.post("", dependencies=[CsrfChecked])
def create_product(request: Request, db: DbSession, user: WebUser,
                   form: Annotated[ProductForm, Form()]) -> Response:
    require(user, Permission.SETTINGS_MANAGE)
    try:
        catalogue.create_product(db, data=ProductCreate.model_validate(
            _payload(form, create=True)), actor=user)
    except (ValidationError, DomainError) as exc:
        db.rollback()
        status = exc.status if isinstance(exc, DomainError) else 422
        return _edit_page(request, form, _errors(exc), status_code=status)
    return RedirectResponse("/settings/products", status_code=303)


@router.get("/{product_id}")
def edit_product(request: Request, product_id: uuid.UUID, db: DbSession,
                 user: WebUser) -> Response:
    require(user, Permission.SETTINGS_MANAGE)
    product = _load(db, product_id)
    return _edit_page(request, _form_of(product), {}, product, cf=_cf(db, user, product))


@router.post("/{product_id}", dependencies=[CsrfChecked])
def save_product(request: Request, product_id: uuid.UUID, db: DbSession, user: WebUser,
                 form: Annotated[ProductForm, Form()]) -> Response:
    require(user, Permission.SETTINGS_MANAGE)
    product = _load(db, product_id)
    try:
        catalogue.update_product(db, product=product, data=ProductUpdate.model_validate(
            _payload(form, create=False)), actor=user)
    except PreconditionFailed:
        db.rollback()
        db.refresh(product)
        return _edit_page(request, _form_of(product), {"_form": (
            "Someone else saved this product meanwhile; it now shows their version.")},
            product, status_code=412, cf=_cf(db, user, product))
    except (ValidationError, DomainError) as exc:
        db.rollback()
        db.refresh(product)
        status = exc.status if isinstance(exc, DomainError) else 422
        return _edit_page(request, form, _errors(exc), product, status_code=status,
                          cf=_cf(db, user, product))
    return RedirectResponse("/settings/products", status_code=303)


@router.post("/{product_id}/details", dependencies=[CsrfChecked])
def save_product_details(request: Request, product_id: uuid.UUID, db: DbSession,
                         user: WebUser,
                         posted: Annotated[FormData, Depends(record_fields.posted_form)]
                         ) -> Response:
    """Save the custom fields shown in the Edit details form (through ``update_product``)."""
    require(user, Permission.SETTINGS_MANAGE)
    product = _load(db, product_id)
    refused = record_fields.save(
        db, user, "product", product, posted, schema=ProductUpdate,
        permission=Permission.SETTINGS_MANAGE,
        update=lambda data: catalogue.update_product(db, product=product, data=data,
                                                     actor=user))
    if refused is not None:
        return _edit_page(request, _form_of(product), {}, product, status_code=refused.status,
                          cf=_cf(db, user, product, refused.errors, refused.posted))
    return RedirectResponse(f"/settings/products/{product.id}#details", status_code=303)


@router.post("/{product_id}/active", dependencies=[CsrfChecked])
def set_active(product_id: uuid.UUID, db: DbSession, user: WebUser,
               active: Annotated[bool, Form()] = False) -> Response:
    """Deactivate (or reactivate) a product: it stays on past orders, leaves new ones."""
    require(user, Permission.SETTINGS_MANAGE)
    product = _load(db, product_id)
    catalogue.update_product(db, product=product, data=ProductUpdate(active=active),
                             actor=user)
    return RedirectResponse("/settings/products", status_code=303)
