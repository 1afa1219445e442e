"""``amity intelligence refresh|contact-times|models|at-risk``: fit and score now, in this
process (the same code as the daily jobs), and look at the results from a terminal."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console

from amity.cli_tickets import _database

intelligence_app = typer.Typer(help="Predictions: lifetime value, churn risk, best time.",
                               no_args_is_help=True)
console = Console()


@intelligence_app.command("refresh")
def refresh(threshold: Annotated[float, typer.Option(min=0.01, max=1.0,
                                                     help="At-risk threshold")] = 0.5,
            discount: Annotated[float, typer.Option(min=0.0, max=1.0,
                                                    help="Annual discount rate")] = 0.10,
            ) -> None:
    """Refit lifetime value and churn on the whole history and rescore every customer."""
    from amity.config import get_settings
    from amity.intelligence import service
    from amity.intelligence.pipeline import Options

    settings = get_settings()
    database = _database()
    with console.status("Fitting and scoring"), database.transaction() as s:
        result = service.refresh(s, currency=settings.base_currency
                                 or settings.default_currency, base=settings.base_currency,
                                 options=Options(at_risk_threshold=threshold,
                                                 annual_discount=discount))
    database.dispose()
    for fit in (result.clv, result.churn):
        console.print(f"{fit.label}: {fit.status}" + (f" - {fit.message}" if fit.message
                                                       else ""))
    console.print(f"Scored {result.customers} customers; {result.crossed_up} became at risk, "
                  f"{result.crossed_down} no longer are.")
    console.print("Seconds: " + ", ".join(f"{phase} {wall:.1f}" for phase, (wall, _) in
                                          result.timings.items()))
    if result.skipped_orders:
        console.print(f"{result.skipped_orders} orders left out: no exchange rate for their "
                      "currency.")


@intelligence_app.command("contact-times")
def contact_times() -> None:
    """Recompute everyone's best hour of the week to be contacted."""
    from amity.intelligence import contact_time

    database = _database()
    with database.transaction() as s:
        n = contact_time.refresh(s)
    database.dispose()
    console.print(f"Best hours updated for {n} contacts.")


@intelligence_app.command("models")
def models() -> None:
    """The latest fit of each model and its headline checks."""
    from rich.table import Table

    from amity.intelligence import queries

    database = _database()
    table = Table("Model", "Status", "Samples", "Trained", "Check")
    with database.transaction(write=False) as s:
        for kind, fit in queries.latest_fits(s).items():
            if fit is None:
                table.add_row(kind, "not fitted", "", "", "")
                continue
            check = fit.message or ""
            if fit.kind == "churn" and fit.status == "fitted":
                auc = fit.diagnostics["holdout"].get("roc_auc")
                check = f"hold-out ROC AUC {auc:.3f}" if auc is not None else "no hold-out"
            elif fit.kind == "clv" and fit.status == "fitted":
                h = fit.diagnostics.get("holdout")
                check = (f"hold-out purchases predicted {h['predicted_total']:.0f}, actual "
                         f"{h['actual_total']:.0f}") if h else fit.diagnostics.get(
                             "holdout_message", "")
            table.add_row(fit.label, fit.status, str(fit.samples),
                          fit.trained_at.strftime("%Y-%m-%d %H:%M"), check)
    database.dispose()
    console.print(table)


@intelligence_app.command("at-risk")
def at_risk(limit: Annotated[int, typer.Option(min=1, max=200)] = 20) -> None:
    """Customers at risk of churning, riskiest first, with the reasons."""
    from rich.table import Table
    from sqlalchemy import true

    from amity.intelligence import queries

    database = _database()
    table = Table("Contact", "Risk", "CLV", "Why")
    with database.transaction(write=False) as s:
        page = queries.at_risk(s, lambda stmt: stmt.where(true()), cursor=None, limit=limit)
        for it in page.items:
            p = it.prediction
            table.add_row(f"{it.contact.first_name} {it.contact.last_name}".strip(),
                          f"{(p.churn_risk or 0) * 100:.0f}%",
                          f"{p.clv:,.2f} {p.currency}" if p.clv is not None else "—",
                          "; ".join(p.churn_reasons or []))
    database.dispose()
    console.print(table)
