"""``amity custom-fields set ENTITY ID key=value ...``: custom field values of one record from
a terminal. Each value is read as its field's type (numbers, ISO dates, yes/no, options
without regard to case, a list split on ``;`` or ``,``; ``key=`` clears one) and written by the
entity's own update service, so it is validated, audited and announced exactly as an API
``PATCH`` is. A refused value prints the reason, exits with code 2 and changes nothing."""

from __future__ import annotations

import json
import uuid
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console

from amity.cli_deals import By
from amity.cli_tickets import _database, _fail, _user

if TYPE_CHECKING:
    from collections.abc import Callable

    from pydantic import BaseModel
    from sqlalchemy.orm import Session

    from amity.auth.models import User

    Update = Callable[[Session, Any, Any, User], object]

console = Console()
# = core.customfields.ENTITIES, spelt out for the help text (tests/test_cli_startup.py checks)
ENTITIES: tuple[str, ...] = ("contact", "company", "ticket", "interaction", "deal", "product",
                             "order")


def _updates() -> dict[str, tuple[type[Any], type[BaseModel], Update]]:
    """Entity -> its model, its update schema and its update service (a PATCH's code path)."""
    from amity.activities import interactions
    from amity.activities.models import Interaction
    from amity.activities.schemas import InteractionUpdate
    from amity.commerce import catalogue
    from amity.commerce import service as orders
    from amity.commerce.models import Order, Product
    from amity.commerce.schemas import OrderUpdate, ProductUpdate
    from amity.companies import service as companies
    from amity.companies.models import Company
    from amity.companies.schemas import CompanyUpdate
    from amity.contacts import service as contacts
    from amity.contacts.models import Contact
    from amity.contacts.schemas import ContactUpdate
    from amity.deals import service as deals
    from amity.deals.models import Deal
    from amity.deals.schemas import DealUpdate
    from amity.tickets import service as tickets
    from amity.tickets.models import Ticket
    from amity.tickets.schemas import TicketUpdate

    return {
        "contact": (Contact, ContactUpdate, lambda s, r, d, a: contacts.update_contact(
            s, contact=r, data=d, actor=a)),
        "company": (Company, CompanyUpdate, lambda s, r, d, a: companies.update_company(
            s, company=r, data=d, actor=a)),
        "ticket": (Ticket, TicketUpdate, lambda s, r, d, a: tickets.update_ticket(
            s, ticket=r, data=d, actor=a)),
        "interaction": (Interaction, InteractionUpdate, lambda s, r, d, a:
                        interactions.update_interaction(s, interaction=r, data=d, actor=a)),
        "deal": (Deal, DealUpdate, lambda s, r, d, a: deals.update_deal(
            s, deal=r, data=d, actor=a)),
        "product": (Product, ProductUpdate, lambda s, r, d, a: catalogue.update_product(
            s, product=r, data=d, actor=a)),
        "order": (Order, OrderUpdate, lambda s, r, d, a: orders.update_order(
            s, order=r, data=d, actor=a)),
    }


def _pairs(items: list[str]) -> dict[str, str]:
    pairs: dict[str, str] = {}
    for item in items:
        key, sep, text = item.partition("=")
        if not sep or not key.strip():
            raise _fail(f"'{item}' is not key=value")
        pairs[key.strip()] = text
    return pairs


def _values(s: Session, entity: str, pairs: dict[str, str]) -> dict[str, Any]:
    """Each text as its field's type (an unknown key is passed on: the service names it)."""
    from amity.core.customfields import definitions_for
    from amity.dataio.record_custom import from_text

    defs = definitions_for(s, entity)
    out: dict[str, Any] = {}
    for key, text in pairs.items():
        d = defs.get(key)
        if d is None:
            out[key] = text
        elif not text.strip():
            out[key] = None
        else:
            try:
                out[key] = from_text(d, text, day_first=False)
            except ValueError as exc:
                raise _fail(f"'{d.label}': {exc}") from exc
    return out


def set_values(
    entity: Annotated[str, typer.Argument(help=f"One of {', '.join(ENTITIES)}")],
    record_id: Annotated[str, typer.Argument(help="The record's id")],
    values: Annotated[list[str], typer.Argument(help="key=value ... (key= clears a value)")],
    by: By = None,
) -> None:
    """Set custom field values on one record, checked as the API checks them."""
    from pydantic import ValidationError

    from amity.core.errors import DomainError

    if entity not in ENTITIES:
        raise _fail(f"entity must be one of {', '.join(ENTITIES)}")
    try:
        rid = uuid.UUID(record_id)
    except ValueError as exc:
        raise _fail(f"'{record_id}' is not a record id") from exc
    pairs = _pairs(values)
    database = _database()
    try:
        with database.transaction() as s:
            actor = _user(s, by)
            model, schema, update = _updates()[entity]
            record = s.get(model, rid)
            if record is None or getattr(record, "deleted_at", None) is not None:
                raise _fail(f"No {entity} {record_id}")
            data = schema.model_validate({"custom_fields": _values(s, entity, pairs)})
            update(s, record, data, actor)
            stored = dict(record.custom_fields or {})
    except DomainError as exc:
        raise _fail(exc.message) from exc
    except ValidationError as exc:
        raise _fail(str(exc.errors()[0].get("msg", "invalid value"))) from exc
    finally:
        database.dispose()
    console.print(f"{entity} {record_id}: {json.dumps(stored, ensure_ascii=False, default=str)}")
