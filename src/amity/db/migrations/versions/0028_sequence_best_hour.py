"""Sequence email steps can wait for the contact's best hour of the week.

``sequence_steps.at_best_hour`` (false by default: old rows and writers keep sending at once)
and ``sequence_enrolments.timed_step``, the position whose send was already put off to that
hour, so a step is put off at most once.

Revision ID: 0028
Revises: 0027
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0028'
down_revision = '0027'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('sequence_steps', schema=None) as batch_op:
        batch_op.add_column(sa.Column('at_best_hour', sa.Boolean(), nullable=False,
                                      server_default=sa.false()))
    with op.batch_alter_table('sequence_enrolments', schema=None) as batch_op:
        batch_op.add_column(sa.Column('timed_step', sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('sequence_enrolments', schema=None) as batch_op:
        batch_op.drop_column('timed_step')
    with op.batch_alter_table('sequence_steps', schema=None) as batch_op:
        batch_op.drop_column('at_best_hour')
