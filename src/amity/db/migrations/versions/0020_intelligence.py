"""Model fits and per-customer predictions.

Revision ID: 0020
Revises: 0019
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from amity.core.db import UTCDateTime

revision = '0020'
down_revision = '0019'
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql')


def upgrade() -> None:
    op.create_table('model_fits',
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('message', sa.Text(), nullable=True),
    sa.Column('params', JSON, nullable=False),
    sa.Column('diagnostics', JSON, nullable=False),
    sa.Column('samples', sa.Integer(), nullable=False),
    sa.Column('trained_at', UTCDateTime(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_model_fits')),
    sa.UniqueConstraint('kind', 'version', name=op.f('uq_model_fits_kind_version'))
    )
    op.create_index('ix_model_fits_kind_trained', 'model_fits', ['kind', 'trained_at'], unique=False)
    op.create_table('customer_predictions',
    sa.Column('contact_id', sa.Uuid(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=True),
    sa.Column('purchases_3m', sa.Float(), nullable=True),
    sa.Column('purchases_6m', sa.Float(), nullable=True),
    sa.Column('purchases_12m', sa.Float(), nullable=True),
    sa.Column('revenue_3m', sa.Float(), nullable=True),
    sa.Column('revenue_6m', sa.Float(), nullable=True),
    sa.Column('revenue_12m', sa.Float(), nullable=True),
    sa.Column('p_alive', sa.Float(), nullable=True),
    sa.Column('clv', sa.Float(), nullable=True),
    sa.Column('clv_model', sa.String(length=40), nullable=True),
    sa.Column('churn_risk', sa.Float(), nullable=True),
    sa.Column('at_risk', sa.Boolean(), nullable=False),
    sa.Column('churn_reasons', JSON, nullable=False),
    sa.Column('churn_model', sa.String(length=40), nullable=True),
    sa.Column('contact_hour', sa.Integer(), nullable=True),
    sa.Column('contact_hour_rate', sa.Float(), nullable=True),
    sa.Column('contact_hour_basis', sa.String(length=12), nullable=True),
    sa.Column('computed_at', UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['contact_id'], ['contacts.id'], name=op.f('fk_customer_predictions_contact_id_contacts'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('contact_id', name=op.f('pk_customer_predictions'))
    )
    op.create_index('ix_customer_predictions_risk', 'customer_predictions', ['churn_risk'], unique=False)
    op.create_index('ix_customer_predictions_clv', 'customer_predictions', ['clv'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_customer_predictions_clv', table_name='customer_predictions')
    op.drop_index('ix_customer_predictions_risk', table_name='customer_predictions')
    op.drop_table('customer_predictions')
    op.drop_index('ix_model_fits_kind_trained', table_name='model_fits')
    op.drop_table('model_fits')
