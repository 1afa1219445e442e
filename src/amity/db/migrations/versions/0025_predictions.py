"""Deal win probabilities, product co-purchase associations, and text embeddings.

``deal_predictions`` holds each open deal's learned (or rule-based) chance of being won with
the model version, time and plain-words factors; ``product_associations`` holds the
item-item confidence and lift the recommendations are read from. Both are rewritten by jobs.
``text_embeddings`` (its own block at the end) holds one vector per note and interaction for
semantic search, written by the embedding job.

Revision ID: 0025
Revises: 0024
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from amity.core.db import UTCDateTime

revision = '0025'
down_revision = '0024'
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql')


def upgrade() -> None:
    op.create_table('deal_predictions',
    sa.Column('deal_id', sa.Uuid(), nullable=False),
    sa.Column('probability', sa.Float(), nullable=False),
    sa.Column('model', sa.String(length=40), nullable=False),
    sa.Column('factors', JSON, nullable=False),
    sa.Column('computed_at', UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['deal_id'], ['deals.id'], name=op.f('fk_deal_predictions_deal_id_deals'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('deal_id', name=op.f('pk_deal_predictions'))
    )
    op.create_table('product_associations',
    sa.Column('antecedent_id', sa.Uuid(), nullable=False),
    sa.Column('consequent_id', sa.Uuid(), nullable=False),
    sa.Column('customers', sa.Integer(), nullable=False),
    sa.Column('confidence', sa.Float(), nullable=False),
    sa.Column('lift', sa.Float(), nullable=False),
    sa.Column('computed_at', UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['antecedent_id'], ['products.id'], name=op.f('fk_product_associations_antecedent_id_products'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['consequent_id'], ['products.id'], name=op.f('fk_product_associations_consequent_id_products'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('antecedent_id', 'consequent_id', name=op.f('pk_product_associations'))
    )
    op.create_index('ix_product_associations_consequent', 'product_associations', ['consequent_id'], unique=False)
    _upgrade_text_embeddings()


def downgrade() -> None:
    _downgrade_text_embeddings()
    op.drop_index('ix_product_associations_consequent', table_name='product_associations')
    op.drop_table('product_associations')
    op.drop_table('deal_predictions')


# --- Semantic search: one stored embedding per note and interaction (separate block) ---

def _upgrade_text_embeddings() -> None:
    op.create_table('text_embeddings',
    sa.Column('source_type', sa.String(length=20), nullable=False),
    sa.Column('source_id', sa.Uuid(), nullable=False),
    sa.Column('occurred_at', UTCDateTime(), nullable=False),
    sa.Column('source_updated_at', UTCDateTime(), nullable=False),
    sa.Column('model', sa.String(length=60), nullable=False),
    sa.Column('vector', sa.LargeBinary(), nullable=False),
    sa.Column('computed_at', UTCDateTime(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_text_embeddings')),
    sa.UniqueConstraint('source_type', 'source_id', name=op.f('uq_text_embeddings_source_type_source_id'))
    )
    op.create_index('ix_text_embeddings_source_time', 'text_embeddings', ['source_type', 'occurred_at'], unique=False)


def _downgrade_text_embeddings() -> None:
    op.drop_index('ix_text_embeddings_source_time', table_name='text_embeddings')
    op.drop_table('text_embeddings')
