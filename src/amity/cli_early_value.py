"""``amity intelligence early-value report|customers``: compute (``--refresh``, the same code
as the daily job) and read the early-value report, and list the customers inside their
window who lack (or show) a signal."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console

from amity.cli_tickets import _database
from amity.core.clock import now  # a plain function of the kernel: light, and tests replace it

early_value_app = typer.Typer(help="Early behaviours that go with a high first-year value.",
                              no_args_is_help=True)
console = Console()
# = intelligence.early_value.SIGNAL_KEYS, spelt out for the help text (tests/test_cli_startup.py)
SIGNAL_KEYS = ("categories_2", "categories_3", "repeat_orders", "multi_channel", "referral",
               "support_ticket")


@early_value_app.command("report")
def report(refresh: Annotated[bool, typer.Option(help="Recompute now first")] = False,
           window_days: Annotated[int, typer.Option(min=7, max=365)] = 90,
           horizon_days: Annotated[int, typer.Option(min=30, max=1825)] = 365,
           min_orders: Annotated[int, typer.Option(min=2, max=20)] = 2) -> None:
    """Each signal's lift in first-year value, with intervals and a sentence."""
    from rich.table import Table

    from amity.intelligence.early_value_report import latest_report

    database = _database()
    with database.transaction() as s:
        if refresh:
            from amity.config import get_settings
            from amity.intelligence.early_value_report import analyse_early_value
            from amity.intelligence.early_value_stats import Options

            settings = get_settings()
            with console.status("Analysing"):
                analyse_early_value(s, currency=settings.base_currency
                                    or settings.default_currency, base=settings.base_currency,
                                    options=Options(window_days=window_days,
                                                    horizon_days=horizon_days,
                                                    min_orders=min_orders))
        fit = latest_report(s)
        if fit is None:
            console.print("Not computed yet: run with --refresh.")
        else:
            d = fit.diagnostics
            console.print(f"early-value-{fit.version}: {fit.status}, {fit.samples} customers "
                          f"with a full first year, {d.get('inside_window', 0)} inside their "
                          "window" + (f" - {fit.message}" if fit.message else ""))
            table = Table("Signal", "With", "Without", "Lift", "Interval", "Top-quarter lift")
            for r in d.get("signals", []):
                lo, hi = r["lift_ci"]
                table.add_row(r["key"], str(r["with_n"]), str(r["without_n"]),
                              f"{r['lift']:.2f}" if r["lift"] is not None else "—",
                              f"{lo:.2f}-{hi:.2f}" if lo is not None else "—",
                              f"{r['top_lift']:.2f}" if r["top_lift"] is not None else "—")
            console.print(table)
            for r in d.get("signals", []):
                console.print(f"- {r['sentence']}")
    database.dispose()


@early_value_app.command("customers")
def customers(signal: Annotated[str, typer.Option(help=", ".join(SIGNAL_KEYS))],
              has: Annotated[bool, typer.Option("--has/--lacks",
                                                help="Show or lack the signal")] = False,
              limit: Annotated[int, typer.Option(min=1, max=200)] = 50) -> None:
    """Customers inside their window now who lack (or show) the signal, newest first."""
    from rich.table import Table
    from sqlalchemy import true

    from amity.intelligence import early_value as ev
    from amity.intelligence.early_value_report import latest_report, report_options

    if signal not in ev.SIGNAL_KEYS:
        raise typer.BadParameter(f"one of {', '.join(ev.SIGNAL_KEYS)}", param_hint="--signal")
    database = _database()
    with database.transaction(write=False) as s:
        opts = report_options(latest_report(s))
        page = ev.window_customers(s, lambda q: q.where(true()),
                                   signal=ev.signal_by_key(signal, opts.min_orders), has=has,
                                   at=now(), cursor=None, limit=limit,
                                   window_days=opts.window_days)
        table = Table("Contact", "First order", "Days left", "Orders", "Categories",
                      "Channels")
        for it in page.items:
            table.add_row(it.contact.display_name, it.first_at.strftime("%Y-%m-%d"),
                          str(it.days_left), str(it.features["orders"]),
                          str(it.features["categories"]), str(it.features["channels"]))
    database.dispose()
    console.print(table)
    console.print(f"{len(page.items)} customers" + (" (more: raise --limit)"
                                                    if page.next_cursor else ""))
