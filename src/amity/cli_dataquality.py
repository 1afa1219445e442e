"""``amity data-quality report [--stale-days N] [--tag T]``: the contacts' data-quality audit
in a terminal (every contact, as an administrator sees them)."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console

from amity.cli_tickets import _database

dataquality_app = typer.Typer(help="Data quality: the contacts' audit.", no_args_is_help=True)
console = Console()
DEFAULT_STALE_DAYS = 180  # dataquality.queries.DEFAULT_STALE_DAYS (tests/test_cli_startup.py)


@dataquality_app.command("report")
def report(stale_days: Annotated[int, typer.Option(min=1, max=3650, help="No activity for this "
                                                   "many days makes a record stale")] =
           DEFAULT_STALE_DAYS,
           tag: Annotated[str | None, typer.Option(help="Only contacts with this tag")] = None
           ) -> None:
    """Completeness per field, stale and invalid records, duplicates, average score."""
    from rich.table import Table

    from amity.dataquality import queries

    database = _database()
    try:
        with database.transaction(write=False) as s:
            r = queries.contact_report(s, stale_days=stale_days, segment_tag=tag)
    finally:
        database.dispose()
    table = Table(title=f"Contacts{' tagged ' + tag if tag else ''}: {r.total}")
    table.add_column("Field")
    table.add_column("Filled", justify="right")
    table.add_column("Missing", justify="right")
    for f in r.fields:
        table.add_row(f.field, f"{f.completeness:.0%}", str(f.missing))
    console.print(table)
    console.print(f"Average score: {r.average_score if r.average_score is not None else '-'}"
                  f" / 100 ({r.below_50} below 50)")
    console.print(f"Without email or phone: {r.without_email_or_phone}; stale "
                  f"({r.stale_days} days): {r.stale}")
    console.print("Invalid: " + ", ".join(f"{k} {v}" for k, v in r.invalid.items()))
    console.print(f"Open duplicate suggestions: {r.duplicates_open}")
    console.print("Unused custom fields: " + (", ".join(r.unused_custom_fields) or "none"))
