"""Tell the PostgreSQL planner that pg_trgm's word-similarity operators are expensive.

pg_trgm declares ``<%`` / ``%>`` with the default cost (1), so below ~50,000 contacts the
planner prefers a seq scan that runs word_similarity on every row (120 ms at 20,000 rows) over
the trigram GIN index (3 ms). Measured with bench/contacts_api.py. No-op on SQLite; a notice
instead of a failure where the role may not alter the extension's functions.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

from alembic import op

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None

FUNCTIONS = ("word_similarity_op(text, text)", "word_similarity_commutator_op(text, text)")


def _set_cost(cost: int) -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for fn in FUNCTIONS:
        op.execute(f"""DO $$ BEGIN
            ALTER FUNCTION {fn} COST {cost};
        EXCEPTION WHEN insufficient_privilege OR undefined_function THEN
            RAISE NOTICE 'could not set the cost of {fn}: %', SQLERRM;
        END $$""")


def upgrade() -> None:
    _set_cost(100)


def downgrade() -> None:
    _set_cost(1)
