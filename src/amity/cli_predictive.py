"""``amity intelligence deals score|list`` and ``amity intelligence offers build|show``:
score open deals and rebuild the co-purchase table now, in this process (the same code as
the daily jobs), and look at the results from a terminal."""

from __future__ import annotations

import uuid
from typing import Annotated

import typer
from rich.console import Console

from amity.cli_tickets import _database, _fail

deals_app = typer.Typer(help="Deals' chance of being won.", no_args_is_help=True)
offers_app = typer.Typer(help="Products to offer customers next.", no_args_is_help=True)
console = Console()


@deals_app.command("score")
def score(seed: Annotated[int, typer.Option(min=0, help="Random seed of the fit")] = 0,
          ) -> None:
    """Learn from the closed deals and rescore every open deal."""
    from amity.intelligence import deal_scoring

    database = _database()
    with console.status("Fitting and scoring"), database.transaction() as s:
        result = deal_scoring.refresh_deal_scores(s, seed=seed)
        fit = result.fit
        line = f"{fit.label}: {fit.status}" + (f" - {fit.message}" if fit.message else "")
        holdout = fit.diagnostics.get("holdout") if fit.status == "fitted" else None
    database.dispose()
    console.print(line)
    if holdout and holdout.get("roc_auc") is not None:
        console.print(f"Hold-out ({holdout['rows']} latest closed deals): ROC AUC "
                      f"{holdout['roc_auc']:.3f}, Brier score {holdout['brier']:.3f}")
    console.print(f"Scored {result.scored} open deals ({result.model}).")


@deals_app.command("list")
def list_scores(limit: Annotated[int, typer.Option(min=1, max=200)] = 20) -> None:
    """Open deals, most likely to be won first, with what weighs most."""
    from rich.table import Table
    from sqlalchemy import select

    from amity.deals.models import Deal
    from amity.intelligence.tables import DealPrediction

    database = _database()
    table = Table("Deal", "Chance", "Model", "Why")
    with database.transaction(write=False) as s:
        rows = s.execute(select(Deal.name, DealPrediction)
                         .join(DealPrediction, DealPrediction.deal_id == Deal.id)
                         .where(Deal.deleted_at.is_(None), Deal.status == "open")
                         .order_by(DealPrediction.probability.desc(), Deal.id)
                         .limit(limit)).all()
        for name, p in rows:
            table.add_row(name, f"{p.probability * 100:.0f}%", p.model, "; ".join(p.factors))
    database.dispose()
    console.print(table)


@offers_app.command("build")
def build() -> None:
    """Rebuild which products are bought together (confidence and lift)."""
    from amity.intelligence import recommendations

    database = _database()
    with database.transaction() as s:
        fit = recommendations.refresh_associations(s)
        line = (f"{fit.label}: {fit.diagnostics['pairs']} product pairs from "
                f"{fit.diagnostics['customers']} customers" + (f" - {fit.message}"
                                                              if fit.message else ""))
    database.dispose()
    console.print(line)


@offers_app.command("show")
def show(contact: Annotated[str, typer.Argument(help="Contact id or email address")],
         limit: Annotated[int, typer.Option(min=1, max=50)] = 5) -> None:
    """The next products to offer a contact, best first, and why."""
    from rich.table import Table
    from sqlalchemy import select

    from amity.contacts.models import ContactEmail
    from amity.intelligence import recommendations

    database = _database()
    table = Table("Product", "Price", "Kind", "Why")
    with database.transaction(write=False) as s:
        try:
            contact_id: uuid.UUID | None = uuid.UUID(contact)
        except ValueError:
            contact_id = s.scalar(select(ContactEmail.contact_id)
                                  .where(ContactEmail.email == contact.strip().lower())
                                  .limit(1))
        if contact_id is None:
            database.dispose()
            raise _fail(f"No contact with the email address {contact}.")
        for r in recommendations.recommend(s, contact_id, limit=limit):
            table.add_row(r.product.name, f"{r.product.price:,.2f} {r.product.currency}",
                          r.kind, r.reason)
    database.dispose()
    console.print(table)
