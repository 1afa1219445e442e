"""``amity import`` and ``amity export``: files of contacts, companies, deals, products, orders,
interactions (and, for export, tickets and the whole database) from a terminal.

An import from the command line runs in this process (no worker needed), with a progress bar;
it is recorded like one uploaded through the API (rollback works the same), made as ``--by``
(an email) or the longest-serving active administrator.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any, Literal

import typer
from rich.console import Console

from amity.cli_tickets import _database, _fail, _user

console = Console()
Entity = Literal["contacts", "companies", "deals", "products", "orders", "interactions"]
ExportEntity = Literal["contacts", "companies", "deals", "products", "orders", "tickets",
                       "interactions", "all"]
By = Annotated[str | None, typer.Option("--by", help="Act as this user (email); default: the "
                                                     "first administrator")]


def import_command(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True,
                                         help="CSV (any delimiter/encoding), XLSX or vCard")],
    entity: Annotated[Entity, typer.Option("--entity", help="What the rows are")] = "contacts",
    mapping: Annotated[str, typer.Option(
        "--mapping", help="'auto' (suggested from the headers) or a JSON file "
                          "{column: field}")] = "auto",
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Report what would happen; "
                                          "write nothing")] = False,
    match: Annotated[str, typer.Option("--match", help="update_empty | overwrite | skip | "
                                       "create")] = "update_empty",
    region: Annotated[str | None, typer.Option("--region", help="Default phone region")] = None,
    all_or_nothing: Annotated[bool, typer.Option("--all-or-nothing")] = False,
    bulk: Annotated[bool | None, typer.Option(
        "--bulk/--no-bulk", help="Contacts: write new ones a chunk at a time (default: from "
                                 "5,000 rows)")] = None,
    by: By = None,
) -> None:
    """Import contacts, companies, deals, products, orders or interactions from a file."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

    from amity.config import get_settings
    from amity.core.errors import DomainError
    from amity.dataio import service
    from amity.dataio.models import DataImport
    from amity.jobs.dataio import import_store

    settings = get_settings()
    database = _database()
    store = import_store(settings)
    try:
        with database.transaction() as s, file.open("rb") as stream:
            actor = _user(s, by)
            imp = service.create_import(s, entity=entity, filename=file.name, stream=stream,
                                        store=store, actor=actor)
            chosen = dict(imp.mapping) if mapping == "auto" else json.loads(
                Path(mapping).read_text())
            service.set_mapping(s, imp=imp, mapping=chosen, options={
                "match": match, "default_region": region, "all_or_nothing": all_or_nothing,
                "bulk": bulk},
                actor=actor)
            console.print(f"{imp.format.upper()} file, {imp.total_rows} rows; mapping: "
                          + ", ".join(f"{k} -> {v}" for k, v in imp.mapping.items()
                                      if v != "ignore"))
            if dry_run:
                result = service.preview(s, imp=imp, store=store, actor=actor,
                                         default_region=settings.default_region, limit=20,
                                         default_currency=settings.default_currency)
                _report(result)
                s.rollback()
                return
            service.start(s, imp=imp, actor=actor, enqueue=None)
            imp_id = imp.id
        with database.session() as s, Progress(
                "[progress.description]{task.description}", BarColumn(),
                MofNCompleteColumn(), TimeRemainingColumn(), console=console) as bar:
            running = s.get(DataImport, imp_id)
            assert running is not None
            task = bar.add_task("Importing", total=running.total_rows or None)

            def commit() -> None:
                s.commit()
                bar.update(task, completed=running.position)

            imp = service.run(s, imp=running, store=store,
                              default_region=settings.default_region,
                              batch_size=settings.import_batch_size, commit=commit,
                              default_currency=settings.default_currency)
            s.commit()
            bar.update(task, completed=imp.position)
    except DomainError as exc:
        raise _fail(f"{exc.field + ': ' if exc.field else ''}{exc.message}") from exc
    except (OSError, ValueError) as exc:
        raise _fail(str(exc)) from exc
    finally:
        database.dispose()
    console.print(f"Import {imp.id}: {imp.status}; created {imp.created_count}, updated "
                  f"{imp.updated_count}, skipped {imp.skipped_count}, errors "
                  f"{imp.error_count}" + (f" ({imp.message})" if imp.message else ""))
    if imp.error_count:
        console.print(f"Refused rows: GET /api/v1/imports/{imp.id}/errors.csv")
        raise typer.Exit(1)


def _report(result: dict[str, object]) -> None:
    from rich.table import Table

    counts = result["counts"]
    assert isinstance(counts, dict)
    console.print("Dry run (nothing written): " + ", ".join(f"{k} {v}"
                                                             for k, v in counts.items()))
    rows = result["rows"]
    assert isinstance(rows, list)
    table = Table("row", "would", "errors")
    for r in rows:
        table.add_row(str(r["row"]), r["action"], "; ".join(
            f"{e['field']}: {e['message']}" for e in r["errors"]) or (r["note"] or ""))
    console.print(table)


def export_command(
    entity: Annotated[ExportEntity, typer.Argument(
        help="contacts, companies, deals, products, orders (one row per line), tickets, "
             "interactions, or all (a zip with one file per entity)")],
    format: Annotated[Literal["csv", "xlsx", "vcard", "json"],
                      typer.Option("--format", "-f")] = "csv",
    output: Annotated[Path | None, typer.Option("-o", "--output",
                                                help="File to write (default: stdout)")] = None,
    by: By = None,
) -> None:
    """Export every record of a kind the user may export (formula-safe CSV/XLSX)."""
    from amity.core.errors import DomainError
    from amity.dataio.export import write_file
    from amity.dataio.export_records import exporter_for, write_all

    if (format == "xlsx" or entity == "all") and output is None:
        raise _fail("XLSX and 'all' need -o FILE")
    if format == "vcard" and entity not in ("contacts", "companies"):
        raise _fail("vCard is for contacts and companies; use csv, xlsx or json")
    database = _database()
    try:
        if entity == "all":
            assert output is not None
            with database.transaction(write=False) as s:
                counts = write_all(s, _user(s, by), format, output)
            console.print(", ".join(f"{n} {e}" for e, n in counts.items())
                          + f" written to {output}")
            return
        with database.transaction(write=False) as s:
            exporter: Any = exporter_for(s, _user(s, by), entity, {})
            total = exporter.count()
            if output is None:
                from amity.dataio.export import stream

                for chunk in stream(exporter, format):
                    sys.stdout.buffer.write(chunk)
                return
            write_file(exporter, format, output)
    except DomainError as exc:
        raise _fail(exc.message) from exc
    finally:
        database.dispose()
    console.print(f"{total} {entity} written to {output}")
