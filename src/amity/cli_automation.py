"""``amity workflows list|enable|disable|dry-run``: workflows from a terminal.

Changes are audited as made by ``--by`` (an email) or the longest-serving active
administrator; a workflow is named by its id or its name (case-insensitive).
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console

from amity.cli_tickets import _database, _fail, _user

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from amity.automation.models import Workflow

workflows_app = typer.Typer(help="Workflows: list, enable, disable, dry-run.",
                            no_args_is_help=True)
console = Console()
By = Annotated[str | None, typer.Option("--by", help="Act as this user (email); default: the "
                                                     "first administrator")]


def _workflow(s: Session, ref: str) -> Workflow:
    from sqlalchemy import func, select

    from amity.automation.models import Workflow

    try:
        found = s.get(Workflow, uuid.UUID(ref))
    except ValueError:
        found = s.scalar(select(Workflow).where(func.lower(Workflow.name) == ref.lower(),
                                                Workflow.deleted_at.is_(None)).limit(1))
    if found is None or found.deleted_at is not None:
        raise _fail(f"No workflow {ref}")
    return found


@workflows_app.command("list")
def list_workflows(enabled: Annotated[bool | None, typer.Option(
        "--enabled/--disabled", help="Only enabled (or disabled) ones")] = None) -> None:
    """Workflows by name: trigger, current version, on or off."""
    from rich.table import Table

    from amity.automation import service

    database = _database()
    with database.transaction(write=False) as s:
        table = Table("id", "name", "trigger", "version", "enabled")
        cursor: str | None = None
        while True:
            page = service.list_workflows(s, enabled=enabled, cursor=cursor, limit=200)
            for w in page.items:
                table.add_row(str(w.id), w.name, w.trigger_key, str(w.current_version),
                              "yes" if w.enabled else "no")
            cursor = page.next_cursor
            if not cursor:
                break
    console.print(table)


def _switch(ref: str, on: bool, by: str | None) -> None:
    from amity.automation import service

    database = _database()
    with database.transaction() as s:
        w = service.set_enabled(s, workflow=_workflow(s, ref), enabled=on, actor=_user(s, by))
        name = w.name
    console.print(f"{name}: {'enabled' if on else 'disabled'}")


@workflows_app.command("enable")
def enable(workflow: Annotated[str, typer.Argument(help="Id or name")], by: By = None) -> None:
    """Turn a workflow on: new events and dates start runs."""
    _switch(workflow, True, by)


@workflows_app.command("disable")
def disable(workflow: Annotated[str, typer.Argument(help="Id or name")], by: By = None) -> None:
    """Turn a workflow off (waiting runs still finish)."""
    _switch(workflow, False, by)


@workflows_app.command("dry-run")
def dry_run(workflow: Annotated[str, typer.Argument(help="Id or name")],
            limit: Annotated[int, typer.Option(min=1, max=1000)] = 20) -> None:
    """Which contacts the conditions select now; nothing is done."""
    from amity.automation import service
    from amity.core.errors import DomainError

    database = _database()
    with database.transaction(write=False) as s:
        w = _workflow(s, workflow)
        try:
            definition = service.parse_definition(service.current_definition(s, w))
            result = service.dry_run(s, definition=definition, visible=_all, limit=limit)
        except DomainError as exc:
            raise _fail(exc.message) from exc
        console.print(f"{result.matching} contact(s) match now. {result.note}.")
        for c in result.sample:
            console.print(f"  {c.id}  {c.display_name}")


def _all(stmt: Any) -> Any:
    return stmt
