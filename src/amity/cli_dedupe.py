"""``amity duplicates scan|list``: find duplicate contacts or companies now, list the pairs.

``scan`` runs the same whole-database scan as the nightly ``dedupe.scan`` job, in this
process; ``list`` prints the open suggestions best first (every record: it is an operator's
tool, like the other commands).
"""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer
from rich.console import Console

from amity.cli_tickets import _database

duplicates_app = typer.Typer(help="Duplicate contacts and companies.", no_args_is_help=True)
console = Console()
ENTITY = typer.Option(help="contact or company")
DEFAULT_THRESHOLD = 55.0  # dedupe.detect.DEFAULT_THRESHOLD (tests/test_cli_startup.py)


def _entity(value: str) -> str:
    if value not in ("contact", "company"):
        raise typer.BadParameter("contact or company", param_hint="--entity")
    return value


@duplicates_app.command("scan")
def scan_command(entity: Annotated[str, ENTITY] = "contact",
                 threshold: Annotated[float, typer.Option(min=0, max=100)] = DEFAULT_THRESHOLD,
                 ) -> None:
    """Scan every live record for duplicates and refresh the suggestions."""
    from amity.dedupe.scan import scan

    database = _database()
    with database.transaction() as s, console.status(f"Scanning {entity} records"):
        result = scan(s, entity=_entity(entity), threshold=threshold)
    database.dispose()
    console.print(f"{result.records} records, {result.pairs} likely duplicate pairs "
                  f"({result.created} new, {result.updated} updated, {result.removed} no "
                  f"longer found) in {result.seconds:.1f} s")


@duplicates_app.command("list")
def list_command(entity: Annotated[str, ENTITY] = "contact",
                 status: Annotated[str, typer.Option(help="open, dismissed or merged")] = "open",
                 limit: Annotated[int, typer.Option(min=1, max=1000)] = 50,
                 as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """The suggested pairs, best first."""
    from rich.table import Table

    from amity.dedupe import queries

    database = _database()

    def everything(stmt: Any, model: Any) -> Any:
        return stmt

    with database.transaction(write=False) as s:
        page = queries.list_suggestions(s, entity=_entity(entity), status=status,
                                        min_score=None, record_id=None, visible=everything,
                                        cursor=None, limit=limit)
        names = queries.briefs(s, entity, {i for p in page.items for i in (p.a_id, p.b_id)})
        rows: list[dict[str, Any]] = [
            {"id": str(p.id), "score": p.score, "a": str(p.a_id), "b": str(p.b_id),
                 "a_name": names[p.a_id].name if p.a_id in names else "",
                 "b_name": names[p.b_id].name if p.b_id in names else "",
                 "reasons": list(p.reasons), "status": p.status} for p in page.items]
    database.dispose()
    if as_json:
        typer.echo(json.dumps(rows, indent=2))
        return
    table = Table("Score", "Record A", "Record B", "Reasons", "Suggestion id")
    for r in rows:
        table.add_row(f"{r['score']:.0f}", r["a_name"], r["b_name"], ", ".join(r["reasons"]),
                      r["id"])
    console.print(table)


__all__ = ["duplicates_app"]
