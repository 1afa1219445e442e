"""``amity semantic index|search``: embed new and changed notes and interactions now (the
same code as the five-minute job) and ask a question from a terminal (the operator sees
every record)."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console

from amity.cli_tickets import _database

semantic_app = typer.Typer(help="Semantic search over notes and interactions.",
                           no_args_is_help=True)
console = Console()


@semantic_app.command("index")
def index(max_rows: Annotated[int | None, typer.Option(min=1, help="Stop after this many "
                                                        "texts (default: all)")] = None,
          ) -> None:
    """Embed every note and interaction that has no vector yet or changed since."""
    from amity.semantic import available
    from amity.semantic.index import pending_count, refresh_embeddings

    database = _database()
    with console.status("Embedding"), database.transaction() as s:
        result = refresh_embeddings(s, max_rows=max_rows)
        left = pending_count(s) if available() else None
    database.dispose()
    if not available():
        console.print("The semantic model is not installed (pip install 'amity[semantic]'): "
                      "search uses keywords.")
    console.print(f"Embedded {result.embedded} texts, forgot {result.removed} deleted ones"
                  + (f"; {left} still waiting." if left else "."))


@semantic_app.command("search")
def search(question: Annotated[str, typer.Argument(help="e.g. 'who mentioned a wedding?'")],
           limit: Annotated[int, typer.Option(min=1, max=50)] = 10,
           keyword: Annotated[bool, typer.Option(help="Keywords only, skip the model")] = False,
           ) -> None:
    """Notes and interactions about the question, most related first."""
    from rich.table import Table

    from amity.semantic import semantic_search

    if not question.strip():
        raise typer.BadParameter("give a question", param_hint="QUESTION")
    database = _database()
    with database.transaction(write=False) as s:
        results = semantic_search(s, user=None, q=question, limit=limit,
                                  use_model=not keyword)
    database.dispose()
    mode = "by meaning" if results.mode == "semantic" else f"by keywords ({results.reason})"
    table = Table("Score", "Kind", "When", "About", "Text", title=f"{results.q}: {mode}")
    for h in results.hits:
        table.add_row(f"{h.score:.2f}" if h.score is not None else "—", h.kind,
                      h.occurred_at.strftime("%Y-%m-%d"), h.about or "", h.text)
    console.print(table)
    if not results.hits:
        console.print("Nothing found.")
