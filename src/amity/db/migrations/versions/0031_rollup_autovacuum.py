"""Autovacuum thresholds for the analytics roll-up tables (PostgreSQL).

Every refresh rewrites some roll-up rows (a customer's order chain, the touched days), and the
dashboard reads these tables with index-only scans, which must check a page in the heap until
a vacuum marks it all-visible again. With the default thresholds (20% of a table changed) a
table of millions of rows would wait months for autovacuum while its reads slowed down; these
settings have it vacuumed after a few thousand changed or inserted rows.

Revision ID: 0031
Revises: 0030
"""
from __future__ import annotations

from alembic import op

revision = '0031'
down_revision = '0030'
branch_labels = None
depends_on = None

TABLES = ('analytics_customer_first', 'analytics_customer_orders', 'analytics_first_days',
          'analytics_interaction_days', 'analytics_order_days', 'analytics_order_pairs',
          'analytics_rollup_keys')
SETTINGS = ('autovacuum_vacuum_scale_factor', 'autovacuum_vacuum_threshold',
            'autovacuum_vacuum_insert_scale_factor', 'autovacuum_vacuum_insert_threshold',
            'autovacuum_analyze_scale_factor', 'autovacuum_analyze_threshold')


def upgrade() -> None:
    if op.get_bind().dialect.name != 'postgresql':
        return
    for table in TABLES:
        op.execute(f'ALTER TABLE {table} SET (autovacuum_vacuum_scale_factor = 0, '
                   'autovacuum_vacuum_threshold = 5000, '
                   'autovacuum_vacuum_insert_scale_factor = 0, '
                   'autovacuum_vacuum_insert_threshold = 5000, '
                   'autovacuum_analyze_scale_factor = 0.02, '
                   'autovacuum_analyze_threshold = 5000)')


def downgrade() -> None:
    if op.get_bind().dialect.name != 'postgresql':
        return
    for table in TABLES:
        op.execute(f'ALTER TABLE {table} RESET ({", ".join(SETTINGS)})')
