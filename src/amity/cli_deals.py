"""``amity pipelines|deals|products|orders|forecast``: the sales side from a terminal.

The command line has no signed-in user: changes are recorded in the audit log as made by
``--by`` (an email), or by the longest-serving active administrator.
"""

from __future__ import annotations

import csv
import uuid
from collections import defaultdict
from datetime import UTC, date, datetime, time
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal

import typer
from rich.console import Console

from amity.cli_tickets import _database, _fail, _user

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from amity.commerce.models import Product
    from amity.commerce.schemas import BulkItemError, OrderCreate
    from amity.deals.models import Deal, Pipeline

pipelines_app = typer.Typer(help="Sales pipelines.", no_args_is_help=True)
deals_app = typer.Typer(help="Deals: list, move.", no_args_is_help=True)
products_app = typer.Typer(help="The product catalogue: list, add.", no_args_is_help=True)
orders_app = typer.Typer(help="Orders: import from CSV.", no_args_is_help=True)
console = Console()
By = Annotated[str | None, typer.Option("--by", help="Act as this user (email); default: the "
                                                     "first administrator")]
IMPORT_BATCH = 200
CSV_COLUMNS = ("external_ref", "email", "date", "sku", "quantity", "unit_price")


def _money(value: Decimal | None) -> str:
    return "" if value is None else f"{value:,.2f}"


def _pipeline(s: Session, ref: str | None) -> Pipeline:
    from amity.deals import queries

    if ref is None:
        found = queries.default_pipeline(s)
    else:
        found = next((p for p in queries.list_pipelines(s)
                      if p.name.casefold() == ref.casefold() or str(p.id) == ref), None)
    if found is None:
        raise _fail(f"No pipeline {ref}" if ref else "There is no default pipeline")
    return found


@pipelines_app.command("list")
def list_pipelines() -> None:
    """Pipelines and their stages, in board order."""
    from rich.table import Table

    from amity.deals import queries

    with _database().transaction(write=False) as s:
        table = Table("Pipeline", "Default", "Stages")
        for p in queries.list_pipelines(s):
            stages = ", ".join(f"{st.name} ({st.probability}%)" if st.kind == "open"
                               else st.name for st in p.stages if st.archived_at is None)
            table.add_row(p.name, "yes" if p.is_default else "", stages)
        console.print(table)


@deals_app.command("list")
def list_deals(
    pipeline: Annotated[str | None, typer.Option(help="Name or id; default: all")] = None,
    stalled: Annotated[bool, typer.Option("--stalled", help="Only stalled deals")] = False,
    status: Annotated[str | None, typer.Option(help="open, won or lost")] = None,
    limit: Annotated[int, typer.Option(min=1, max=500)] = 50,
) -> None:
    """The newest deals (of one pipeline; only the stalled ones)."""
    from rich.table import Table
    from sqlalchemy import select

    from amity.core.errors import DomainError
    from amity.deals import queries
    from amity.deals.models import Deal

    with _database().transaction(write=False) as s:
        chosen = _pipeline(s, pipeline) if pipeline else None
        filters = queries.DealFilters(pipeline_id=chosen.id if chosen else None,
                                      stalled=True if stalled else None, status=status)
        try:
            page = queries.list_deals(s, select(Deal), filters=filters, sort="-created_at",
                                      cursor=None, limit=limit)
        except DomainError as exc:
            raise _fail(exc.message) from exc
        names = {st.id: st.name for p in queries.list_pipelines(s) for st in p.stages}
        table = Table("Id", "Deal", "Stage", "Amount", "Close", "Status")
        for d, is_stalled in page.items:
            table.add_row(str(d.id), d.name[:50], names.get(d.stage_id, ""),
                          f"{d.currency} {_money(d.amount)}",
                          d.expected_close_date.isoformat() if d.expected_close_date else "",
                          d.status + (" (stalled)" if is_stalled else ""))
        console.print(table)


def _deal(s: Session, ref: str) -> Deal:
    from sqlalchemy import select

    from amity.deals.models import Deal

    try:
        found = s.get(Deal, uuid.UUID(ref))
    except ValueError:
        matches = list(s.scalars(select(Deal).where(Deal.name == ref,
                                                    Deal.deleted_at.is_(None)).limit(2)))
        if len(matches) > 1:
            raise _fail(f"Several deals are named {ref!r}: use the id") from None
        found = matches[0] if matches else None
    if found is None or found.deleted_at is not None:
        raise _fail(f"No deal {ref}")
    return found


@deals_app.command("move")
def move_deal(
    deal: Annotated[str, typer.Argument(help="The deal's id or exact name")],
    stage: Annotated[str, typer.Argument(help="A stage of the deal's pipeline (name or id)")],
    reason: Annotated[str | None, typer.Option(help="Why it was lost (for a lost stage)")]
    = None,
    by: By = None,
) -> None:
    """Move a deal to another stage of its pipeline (to the bottom of the column)."""
    from sqlalchemy import select

    from amity.core.errors import DomainError
    from amity.deals import moves
    from amity.deals.models import Stage

    with _database().transaction() as s:
        actor = _user(s, by)
        d = _deal(s, deal)
        stages = list(s.scalars(select(Stage).where(Stage.pipeline_id == d.pipeline_id,
                                                    Stage.archived_at.is_(None))))
        target = next((st for st in stages if st.name.casefold() == stage.casefold()
                       or str(st.id) == stage), None)
        if target is None:
            raise _fail(f"No stage {stage!r} in this deal's pipeline; one of: "
                        + ", ".join(st.name for st in sorted(stages, key=lambda x: x.position)))
        try:
            moved = moves.move_deal_to_stage(s, deal=d, stage_id=target.id, actor=actor,
                                             lost_reason_text=reason)
        except DomainError as exc:
            raise _fail(exc.message) from exc
        console.print(f"{moved.deal.name}: now in {target.name} ({moved.deal.status}, "
                      f"{moved.deal.probability}%)")


@products_app.command("list")
def list_products(q: Annotated[str | None, typer.Option(help="Name or SKU contains")] = None,
                  limit: Annotated[int, typer.Option(min=1, max=500)] = 100) -> None:
    """The catalogue, by name."""
    from rich.table import Table

    from amity.commerce import queries as commerce_queries

    with _database().transaction(write=False) as s:
        page = commerce_queries.list_products(s, q=q, limit=limit)
        table = Table("SKU", "Name", "Category", "Price", "Replacement", "Active")
        for p in page.items:
            table.add_row(p.sku, p.name, p.category or "", f"{p.currency} {p.price:,.2f}",
                          f"{p.replacement_cycle_days} d" if p.replacement_cycle_days else "",
                          "yes" if p.active else "no")
        console.print(table)


@products_app.command("add")
def add_product(
    sku: Annotated[str, typer.Option(help="Unique stock-keeping unit")],
    name: Annotated[str, typer.Option()],
    price: Annotated[str, typer.Option(help="e.g. 1.85 (up to 4 places)")],
    currency: Annotated[str, typer.Option()] = "EUR",
    category: Annotated[str | None, typer.Option()] = None,
    cycle_days: Annotated[int | None, typer.Option(help="Replacement cycle in days")] = None,
    by: By = None,
) -> None:
    """Add a product to the catalogue."""
    from pydantic import ValidationError

    from amity.commerce import catalogue
    from amity.commerce.schemas import ProductCreate
    from amity.core.errors import DomainError

    with _database().transaction() as s:
        actor = _user(s, by)
        try:
            data = ProductCreate(sku=sku, name=name, price=Decimal(price.replace(",", "")),
                                 currency=currency.upper(), category=category,
                                 replacement_cycle_days=cycle_days)
            p = catalogue.create_product(s, data=data, actor=actor)
        except (ValidationError, ArithmeticError) as exc:
            raise _fail(f"Not added: {exc}") from exc
        except DomainError as exc:
            raise _fail(f"Not added: {exc.message}") from exc
        console.print(f"Added {p.sku} {p.name} at {p.currency} {p.price:,.2f}")


def _read_rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8-sig") as fh:
        reader = csv.DictReader(fh)
        header = [h.strip().lower() for h in reader.fieldnames or []]
        missing = [c for c in CSV_COLUMNS if c not in header]
        if missing:
            raise _fail(f"{path.name}: missing columns {', '.join(missing)} (expected "
                        f"{', '.join(CSV_COLUMNS)}[, currency])")
        return [{k.strip().lower(): (v or "").strip() for k, v in row.items() if k}
                for row in reader]


def _orders_from(s: Session, rows: list[dict[str, str]],
                 currency: str) -> list[OrderCreate | BulkItemError]:
    """One order per external_ref, its lines the rows in file order; a bad row refuses its
    order (reported, nothing stored for it)."""
    from sqlalchemy import func, select

    from amity.commerce.models import Product
    from amity.contacts.models import Contact, ContactEmail

    emails = {r["email"].lower() for r in rows}
    skus = {r["sku"] for r in rows}
    lowered = func.lower(ContactEmail.email)
    found = s.execute(select(lowered, ContactEmail.contact_id)
                      .join(Contact, Contact.id == ContactEmail.contact_id)
                      .where(lowered.in_(sorted(emails)), Contact.deleted_at.is_(None)))
    people: dict[str, uuid.UUID] = {row[0]: row[1] for row in found}
    products = {p.sku: p for p in s.scalars(select(Product).where(Product.sku.in_(sorted(skus)),
                                                                  Product.deleted_at.is_(None)))}
    grouped: dict[str, list[tuple[int, dict[str, str]]]] = defaultdict(list)
    for line_no, row in enumerate(rows, start=2):
        grouped[row["external_ref"]].append((line_no, row))
    items: list[OrderCreate | BulkItemError] = []
    for ref, lines in grouped.items():
        items.append(_order(ref, lines, people, products, currency))
    return items


def _order(ref: str, lines: list[tuple[int, dict[str, str]]], people: dict[str, uuid.UUID],
           products: dict[str, Product], currency: str) -> OrderCreate | BulkItemError:
    from pydantic import ValidationError

    from amity.commerce.schemas import BulkItemError, OrderCreate

    first_line, first = lines[0]
    contact = people.get(first["email"].lower())
    if not ref:
        return BulkItemError(code="import.no_ref", field="external_ref",
                             message=f"line {first_line}: external_ref is empty")
    if contact is None:
        return BulkItemError(code="contact.not_found", field="email",
                             message=f"line {first_line}: no contact with email "
                                     f"{first['email']!r}")
    out: list[dict[str, Any]] = []
    for line_no, row in lines:
        product = products.get(row["sku"])
        if product is None:
            return BulkItemError(code="product.not_found", field="sku",
                                 message=f"line {line_no}: no product with SKU {row['sku']!r}")
        line: dict[str, Any] = {"product_id": product.id, "quantity": row["quantity"]}
        if row.get("unit_price"):
            line["unit_price"] = row["unit_price"]
        out.append(line)
    try:
        day = date.fromisoformat(first["date"])
        order_currency = (first.get("currency") or currency or "").upper()
        return OrderCreate.model_validate({
            "external_ref": ref, "contact_id": contact, "currency": order_currency,
            "ordered_at": datetime.combine(day, time(12), UTC), "lines": out})
    except ValidationError as exc:
        detail = exc.errors()[0]
        where = ".".join(str(x) for x in detail.get("loc", ()))
        return BulkItemError(code="import.invalid", field=where or "lines",
                             message=f"order {ref} (line {first_line}): {where}: "
                                     f"{detail.get('msg', 'invalid')}")
    except ValueError:
        return BulkItemError(code="import.invalid_date", field="date",
                             message=f"line {first_line}: date {first['date']!r} is not "
                                     "YYYY-MM-DD")


@orders_app.command("import")
def import_csv(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True,
                                         help="external_ref,email,date,sku,quantity,"
                                              "unit_price[,currency]; one order line a row")],
    currency: Annotated[str, typer.Option(help="When the file has no currency column")]
    = "EUR",
    by: By = None,
) -> None:
    """Import orders; running it again with the same file creates no duplicates (each
    order's external_ref is looked up first)."""
    from rich.progress import Progress

    from amity.commerce.service import import_orders

    rows = _read_rows(file)
    created = existing = 0
    problems: list[str] = []
    database = _database()
    with database.transaction(write=False) as s:
        items = _orders_from(s, rows, currency)
    with Progress(console=console, transient=False) as progress:
        task = progress.add_task("Importing orders", total=len(items))
        for start in range(0, len(items), IMPORT_BATCH):
            batch = items[start:start + IMPORT_BATCH]
            with database.transaction() as s:
                actor = _user(s, by)
                result = import_orders(s, items=batch, actor=actor)
            created += result.created
            existing += result.existing
            problems += [r.error.message for r in result.items if r.error is not None]
            progress.advance(task, len(batch))
    console.print(f"{created} created, {existing} already there, {len(problems)} refused")
    for message in problems[:20]:
        console.print(f"  [yellow]{message}[/]")
    if problems:
        raise typer.Exit(1)


def forecast_command(
    period: Annotated[Literal["quarter", "month"], typer.Option(help="quarter or month")]
    = "quarter",
    pipeline: Annotated[str | None, typer.Option(help="Name or id; default: all")] = None,
    currency: Annotated[str | None, typer.Option(help="Also total in this currency")] = None,
) -> None:
    """Open pipeline, best case, commit, closed and weighted amounts per period."""
    from rich.table import Table

    from amity.deals.forecast import ForecastQuery, forecast

    with _database().transaction(write=False) as s:
        chosen = _pipeline(s, pipeline) if pipeline else None
        q = ForecastQuery(period=period, pipeline_id=chosen.id if chosen else None)
        result = forecast(s, q, visible=lambda stmt: stmt,
                          base_currency=currency.upper() if currency else None)
        table = Table("Period", "Currency", "Open", "Won", "Pipeline", "Best case", "Commit",
                      "Closed", "Weighted")
        for r in result.rows:
            table.add_row(r.period, r.currency, str(r.count), str(r.won_count),
                          _money(r.pipeline), _money(r.best_case), _money(r.commit),
                          _money(r.closed), _money(r.weighted))
        for t in result.totals:
            table.add_row(f"{t.period} total", t.currency, str(t.count), str(t.won_count),
                          _money(t.pipeline), _money(t.best_case), _money(t.commit),
                          _money(t.closed), _money(t.weighted))
        console.print(table)
