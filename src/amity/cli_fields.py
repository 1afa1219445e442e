"""``amity custom-fields list|archive|restore|delete``: custom field definitions from a
terminal, through the same ``core.fielddefs`` rules as the API and the settings screen
(values are never lost: a field with values is archived, not deleted). Changes are audited
with no actor (the terminal). ``set`` (values of one record) is in ``cli_field_values``."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console

from amity.cli_field_values import ENTITIES, set_values
from amity.cli_tickets import _database, _fail

fields_app = typer.Typer(help="Custom field definitions.", no_args_is_help=True)
console = Console()
Entity = Annotated[str, typer.Argument(help=f"One of {', '.join(ENTITIES)}")]
Key = Annotated[str, typer.Argument(help="The field's key")]


@fields_app.command("list")
def list_fields(entity: Annotated[str | None, typer.Option(help="Only this entity")] = None,
                archived: Annotated[bool, typer.Option(help="Archived fields too")] = False
                ) -> None:
    """The definitions, with how many records hold a value for each."""
    from rich.table import Table
    from sqlalchemy import select

    from amity.core import fielddefs
    from amity.core.customfields import CustomFieldDefinition

    database = _database()
    table = Table("entity", "key", "label", "type", "options", "values", "archived")
    with database.transaction(write=False) as s:
        stmt = select(CustomFieldDefinition).order_by(CustomFieldDefinition.entity,
                                                      CustomFieldDefinition.key)
        if entity:
            stmt = stmt.where(CustomFieldDefinition.entity == entity)
        if not archived:
            stmt = stmt.where(CustomFieldDefinition.archived_at.is_(None))
        for d in s.scalars(stmt):
            table.add_row(d.entity, d.key, d.label, d.type, ", ".join(map(str, d.options)),
                          str(fielddefs.values_stored(s, d)),
                          d.archived_at.date().isoformat() if d.archived_at else "")
    database.dispose()
    console.print(table)


def _change(entity: str, key: str, what: str) -> None:
    from sqlalchemy import select

    from amity.core import fielddefs
    from amity.core.customfields import CustomFieldDefinition
    from amity.core.errors import DomainError

    database = _database()
    try:
        with database.transaction() as s:
            d = s.scalar(select(CustomFieldDefinition).where(
                CustomFieldDefinition.entity == entity, CustomFieldDefinition.key == key))
            if d is None:
                raise _fail(f"There is no {entity} field '{key}'")
            if what == "delete":
                fielddefs.delete_definition(s, definition=d, actor_id=None)
            else:
                fielddefs.archive_definition(s, definition=d, actor_id=None,
                                             archived=what == "archive")
    except DomainError as exc:
        raise _fail(exc.message) from exc
    finally:
        database.dispose()
    console.print({"archive": "Archived (values kept, hidden from forms)",
                   "restore": "Restored", "delete": "Deleted"}[what] + f": {entity} {key}")


@fields_app.command("archive")
def archive(entity: Entity, key: Key) -> None:
    """Hide a field from forms and refuse new values; its stored values are kept."""
    _change(entity, key, "archive")


@fields_app.command("restore")
def restore(entity: Entity, key: Key) -> None:
    _change(entity, key, "restore")


@fields_app.command("delete")
def delete(entity: Entity, key: Key) -> None:
    """Only a field no record has a value for (archive one that has values)."""
    _change(entity, key, "delete")


fields_app.command("set")(set_values)
