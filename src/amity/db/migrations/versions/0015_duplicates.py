"""Duplicate suggestions, merges and what each merge moved (so it can be undone).

Revision ID: 0015
Revises: 0014
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from amity.core.db import UTCDateTime

revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql')


def upgrade() -> None:
    op.create_table('duplicate_suggestions',
    sa.Column('entity', sa.String(length=20), nullable=False),
    sa.Column('a_id', sa.Uuid(), nullable=False),
    sa.Column('b_id', sa.Uuid(), nullable=False),
    sa.Column('score', sa.Float(), nullable=False),
    sa.Column('reasons', JSON, nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('created_at', UTCDateTime(), nullable=False),
    sa.Column('updated_at', UTCDateTime(), nullable=False),
    sa.Column('decided_at', UTCDateTime(), nullable=True),
    sa.Column('decided_by_id', sa.Uuid(), nullable=True),
    sa.Column('merge_id', sa.Uuid(), nullable=True),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['decided_by_id'], ['users.id'],
                            name=op.f('fk_duplicate_suggestions_decided_by_id_users'),
                            ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_duplicate_suggestions')),
    sa.UniqueConstraint('entity', 'a_id', 'b_id',
                        name=op.f('uq_duplicate_suggestions_entity_a_id_b_id'))
    )
    op.create_index('ix_duplicate_suggestions_list', 'duplicate_suggestions',
                    ['entity', 'status', 'score', 'id'], unique=False)
    op.create_index('ix_duplicate_suggestions_a', 'duplicate_suggestions', ['a_id', 'status'],
                    unique=False)
    op.create_index('ix_duplicate_suggestions_b', 'duplicate_suggestions', ['b_id', 'status'],
                    unique=False)
    op.create_table('merges',
    sa.Column('entity', sa.String(length=20), nullable=False),
    sa.Column('survivor_id', sa.Uuid(), nullable=False),
    sa.Column('loser_ids', JSON, nullable=False),
    sa.Column('actor_id', sa.Uuid(), nullable=True),
    sa.Column('created_at', UTCDateTime(), nullable=False),
    sa.Column('choices', JSON, nullable=False),
    sa.Column('survivor_before', JSON, nullable=False),
    sa.Column('losers_before', JSON, nullable=False),
    sa.Column('moves', JSON, nullable=False),
    sa.Column('removed', JSON, nullable=False),
    sa.Column('suggestions', JSON, nullable=False),
    sa.Column('undone_at', UTCDateTime(), nullable=True),
    sa.Column('undone_by_id', sa.Uuid(), nullable=True),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['actor_id'], ['users.id'], name=op.f('fk_merges_actor_id_users'),
                            ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['undone_by_id'], ['users.id'],
                            name=op.f('fk_merges_undone_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_merges'))
    )
    op.create_index(op.f('ix_merges_created_at'), 'merges', ['created_at'], unique=False)
    op.create_index('ix_merges_survivor', 'merges', ['entity', 'survivor_id'], unique=False)
    op.create_table('merged_records',
    sa.Column('record_id', sa.Uuid(), nullable=False),
    sa.Column('entity', sa.String(length=20), nullable=False),
    sa.Column('merged_into_id', sa.Uuid(), nullable=False),
    sa.Column('merge_id', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['merge_id'], ['merges.id'],
                            name=op.f('fk_merged_records_merge_id_merges'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('record_id', name=op.f('pk_merged_records'))
    )
    op.create_index(op.f('ix_merged_records_merge_id'), 'merged_records', ['merge_id'],
                    unique=False)
    op.create_index(op.f('ix_merged_records_merged_into_id'), 'merged_records',
                    ['merged_into_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_merged_records_merged_into_id'), table_name='merged_records')
    op.drop_index(op.f('ix_merged_records_merge_id'), table_name='merged_records')
    op.drop_table('merged_records')
    op.drop_index('ix_merges_survivor', table_name='merges')
    op.drop_index(op.f('ix_merges_created_at'), table_name='merges')
    op.drop_table('merges')
    op.drop_index('ix_duplicate_suggestions_b', table_name='duplicate_suggestions')
    op.drop_index('ix_duplicate_suggestions_a', table_name='duplicate_suggestions')
    op.drop_index('ix_duplicate_suggestions_list', table_name='duplicate_suggestions')
    op.drop_table('duplicate_suggestions')
