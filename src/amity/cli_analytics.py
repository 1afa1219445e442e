"""``amity analytics kpis | sales | refresh-rfm | rfm | refresh-rollups | rebuild-rollups``
from a terminal.

The same queries as the API and the dashboard, for everyone's records (the command line runs
with the database's full rights). ``refresh-rfm`` recomputes the RFM roll-up in this process
(what the nightly ``analytics.refresh_rfm`` job does).
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated

import typer
from rich.console import Console

from amity.cli_tickets import _database

analytics_app = typer.Typer(help="KPIs, sales roll-ups and RFM segments.", no_args_is_help=True)
console = Console()
err = Console(stderr=True)



def _fmt(value: Decimal | None) -> str:
    return "-" if value is None else f"{value:,}"


@analytics_app.command("kpis")
def show_kpis(start: Annotated[datetime | None, typer.Option("--from", formats=["%Y-%m-%d"])]
              = None,
              end: Annotated[datetime | None, typer.Option("--to", formats=["%Y-%m-%d"])] = None,
              tz: str = "UTC", currency: str | None = None,
              window_days: Annotated[int, typer.Option(min=1, max=730)] = 90) -> None:
    """The dashboard's KPIs for a period (default: this month), with the previous period."""
    from rich.table import Table

    from amity.analytics import kpis, periods
    from amity.config import get_settings
    from amity.core.errors import DomainError

    database = _database()
    try:
        with database.transaction(write=False) as s:
            period = periods.resolve(start.date() if start else None,
                                     end.date() if end else None, tz)
            board = kpis.dashboard(s, period, kpis.Filters(
                currency=currency or get_settings().default_currency, window_days=window_days))
    except DomainError as exc:
        err.print(f"[red]{exc.message}[/]")
        raise typer.Exit(2) from exc
    finally:
        database.dispose()
    table = Table(title=f"{board.start} to {board.end} ({board.time_zone}), {board.currency}")
    for column in ("KPI", "value", f"{board.previous_start} to {board.previous_end}", "trend"):
        table.add_column(column)
    for k in board.kpis:
        table.add_row(k.label, _fmt(k.value), _fmt(k.previous), k.trend or "")
    console.print(table)


@analytics_app.command("sales")
def show_sales(by: str = "category", currency: str | None = None) -> None:
    """Sales of counted orders' lines by category, product, channel or field:<key>."""
    from rich.table import Table

    from amity.analytics import sales
    from amity.config import get_settings
    from amity.core.errors import DomainError

    database = _database()
    try:
        with database.transaction(write=False) as s:
            out = sales.sales_by(s, by=by, currency=currency or get_settings().default_currency)
    except DomainError as exc:
        err.print(f"[red]{exc.message}[/]")
        raise typer.Exit(2) from exc
    finally:
        database.dispose()
    table = Table(title=f"Sales by {out.by} ({out.currency}), total {out.total_rounded:,}")
    for column in (out.by, "orders", "lines", "sales"):
        table.add_column(column)
    for r in out.rows:
        table.add_row(r.key or "(none)", str(r.orders), str(r.lines), f"{r.sales_rounded:,}")
    console.print(table)


@analytics_app.command("refresh-rfm")
def refresh_rfm(currency: str | None = None) -> None:
    """Recompute every customer's RFM scores and segment now."""
    from amity.analytics import rfm
    from amity.config import get_settings
    from amity.core.clock import now

    database = _database()
    code = currency or get_settings().default_currency
    try:
        with database.transaction() as s:
            n = rfm.refresh(s, at=now(), currency=code)
    finally:
        database.dispose()
    console.print(f"Scored {n} customers ({code}).")


@analytics_app.command("rfm")
def show_rfm() -> None:
    """Customers per RFM segment, from the last refresh."""
    from rich.table import Table

    from amity.analytics import rfm

    database = _database()
    try:
        with database.transaction(write=False) as s:
            out = rfm.summary(s)
    finally:
        database.dispose()
    table = Table(title=f"RFM segments ({out.customers} customers, computed "
                        f"{out.computed_at or 'never'})")
    for column in ("segment", "customers", "share", "money", "avg recency (days)"):
        table.add_column(column)
    for r in out.segments:
        table.add_row(r.segment, str(r.customers), _fmt(r.share), f"{r.monetary:,}",
                      _fmt(r.avg_recency_days))
    console.print(table)


def _rollups(full: bool) -> None:
    from amity.analytics import rollups

    database = _database()
    try:
        with database.transaction() as s:
            stats = rollups.rebuild(s) if full else rollups.refresh(s)
    finally:
        database.dispose()
    for st in stats:
        kind = "rebuilt" if st.full else "refreshed"
        console.print(f"{st.source}: {kind} in {st.ms:,.0f} ms ({st.rows:,} rows read, "
                      f"{st.days:,} days, {st.customers:,} customers)")


@analytics_app.command("refresh-rollups")
def refresh_rollups() -> None:
    """Bring the dashboard's roll-ups up to date (what the every-minute job does)."""
    _rollups(full=False)


@analytics_app.command("rebuild-rollups")
def rebuild_rollups() -> None:
    """Recompute the dashboard's roll-ups from scratch (what the nightly job does)."""
    _rollups(full=True)
