"""``amity backup`` and ``amity restore``: the database to a file and back."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

console = Console()
err = Console(stderr=True)


def backup_command(
    out: Annotated[Path, typer.Argument(help="The backup file to write (must not exist).")],
) -> None:
    """Back up the database, consistently even while Amity serves (SQLite's online backup,
    or pg_dump in one snapshot), with a manifest of row counts and a checksum beside it."""
    from amity.config import get_settings
    from amity.ops.backup import BackupError, backup, manifest_path

    try:
        manifest = backup(get_settings().database_url, out)
    except BackupError as e:
        err.print(f"[red]backup failed:[/red] {e}")
        raise typer.Exit(1) from e
    rows = sum(manifest.tables.values())
    console.print(f"backed up {manifest.kind} database (revision {manifest.revision}, "
                  f"{len(manifest.tables)} tables, {rows:,} rows) to {out}; "
                  f"manifest {manifest_path(out)}")


def restore_command(
    source: Annotated[Path, typer.Argument(help="A file written by amity backup.")],
    yes: Annotated[bool, typer.Option("--yes", help="Replace the current database.")] = False,
) -> None:
    """Replace the database with a backup, after checking the file against its manifest, then
    check that every table holds the rows the backup had. Stop Amity's processes first."""
    from amity.config import get_settings
    from amity.ops.backup import BackupError, restore

    if not yes:
        err.print("restore replaces every record in the database: stop Amity's web and worker "
                  "processes, then run again with --yes")
        raise typer.Exit(2)
    try:
        manifest = restore(get_settings().database_url, source)
    except BackupError as e:
        err.print(f"[red]restore failed:[/red] {e}")
        raise typer.Exit(1) from e
    console.print(f"restored {source} (revision {manifest.revision}, taken "
                  f"{manifest.created_at}); every table's row count matches the backup")
