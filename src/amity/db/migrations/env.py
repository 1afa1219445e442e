"""Alembic environment: the same migrations on SQLite (batch mode) and PostgreSQL."""

from __future__ import annotations

from alembic import context

from amity.core.db import make_engine
from amity.models import Base

config = context.config
target_metadata = Base.metadata


def include_object(obj: object, name: str | None, type_: str, reflected: bool,
                   compare_to: object) -> bool:
    # SQLite's FTS5 shadow tables are made by hand in the migrations, not by the models.
    return not (type_ == "table" and name is not None and name.startswith("contacts_fts"))


def run_migrations_online() -> None:
    url = config.get_main_option("sqlalchemy.url") or ""
    engine = make_engine(url, pool_size=1, max_overflow=0)
    with engine.connect() as connection:
        context.configure(connection=connection, target_metadata=target_metadata,
                          render_as_batch=connection.dialect.name == "sqlite",
                          compare_type=True, include_object=include_object)
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


if context.is_offline_mode():
    context.configure(url=config.get_main_option("sqlalchemy.url"),
                      target_metadata=target_metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()
else:
    run_migrations_online()
