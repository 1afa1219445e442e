"""``amity bench seed``: fill a database with realistic scale data for benchmarks."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated

import typer
from rich.console import Console

bench_app = typer.Typer(help="Benchmark data.", no_args_is_help=True)
console = Console()
err = Console(stderr=True)


@bench_app.command("seed")
def seed_command(
    contacts: Annotated[int, typer.Option("--contacts", min=1,
                                          help="How many contacts to make.")] = 10_000,
    interactions: Annotated[float, typer.Option(
        "--interactions-per-contact", min=0, max=1000,
        help="Average interactions (emails, calls, meetings ...) per contact.")] = 10.0,
    deals: Annotated[float, typer.Option("--deals-per-contact", min=0, max=10)] = 0.1,
    orders: Annotated[float, typer.Option("--orders-per-contact", min=0, max=10)] = 0.2,
    tickets: Annotated[float, typer.Option("--tickets-per-contact", min=0, max=10)] = 0.05,
    companies: Annotated[float, typer.Option("--companies-per-contact", min=0,
                                             max=10)] = 0.05,
    seed: Annotated[int, typer.Option("--seed", help="Same seed, same data.")] = 42,
    anchor: Annotated[str | None, typer.Option(
        "--anchor", help="The data's 'today' (YYYY-MM-DD, default today, UTC): history lies "
        "before it. Same seed and anchor, same rows.")] = None,
    migrate: Annotated[bool, typer.Option("--migrate/--no-migrate",
                                          help="Run 'amity db upgrade' first.")] = True,
) -> None:
    """Seed an empty database with companies, contacts (emails, phones, tags), interactions,
    deals with their stage history, products, orders with lines and tickets: COPY on
    PostgreSQL, executemany on SQLite. AMITY_DATABASE_URL chooses the database."""
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    import amity.models  # noqa: F401  (every model: relationships and foreign keys resolve)
    from amity.config import get_settings
    from amity.core.db import Database, make_engine
    from amity.ops.seed import SeedError, SeedPlan
    from amity.ops.seed import seed as run_seed

    try:
        day = date.fromisoformat(anchor) if anchor else None
    except ValueError as e:
        err.print(f"[red]--anchor must be a date, YYYY-MM-DD: {anchor!r}[/]")
        raise typer.Exit(2) from e
    plan = SeedPlan(contacts=contacts, interactions_per_contact=interactions, seed=seed,
                    anchor=datetime(day.year, day.month, day.day, tzinfo=UTC) if day else None,
                    companies_per_contact=companies, deals_per_contact=deals,
                    orders_per_contact=orders, tickets_per_contact=tickets)
    settings = get_settings()
    if migrate:
        from amity.db import upgrade

        upgrade(settings.database_url)
    database = Database(make_engine(settings.database_url, pool_size=2, max_overflow=2,
                                    busy_timeout_ms=settings.sqlite_busy_timeout_ms))
    try:
        with Progress(TextColumn("seeding contacts"), BarColumn(),
                      TextColumn("{task.completed:,.0f}/{task.total:,.0f}"),
                      TimeElapsedColumn(), console=err, transient=True) as bar:
            task = bar.add_task("seed", total=contacts)
            report = run_seed(database, plan,
                              progress=lambda done: bar.update(task, completed=done))
    except SeedError as e:
        err.print(f"[red]seed failed:[/] {e}")
        raise typer.Exit(2) from e
    finally:
        database.dispose()
    rows = sum(report.counts.values())
    console.print(f"seeded {rows:,} rows in {report.seconds:.1f} s "
                  f"({rows / max(report.seconds, 1e-9):,.0f} rows/s)")
    for table, n in report.counts.items():
        console.print(f"  {table:<26} {n:>12,}")
    if report.indexes_rebuilt:
        console.print(f"  {report.indexes_rebuilt} indexes rebuilt after loading")
