"""Workflows, their versions and run logs; built-in roles gain the automation permissions.

Revision ID: 0012
Revises: 0011
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from amity.core.db import UTCDateTime

revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None

_JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql')
# What each built-in role holds on "automation" (view = automation.view, edit =
# automation.manage), as defined when this migration was written.
_AUTOMATION = {
    'admin': dict.fromkeys(('view', 'create', 'edit', 'delete', 'export'), 'all'),
    'manager': dict.fromkeys(('view', 'create', 'edit', 'delete', 'export'), 'team'),
    'read_only': {'view': 'all', 'create': 'none', 'edit': 'none', 'delete': 'none',
                  'export': 'none'},
}
_NONE = dict.fromkeys(('view', 'create', 'edit', 'delete', 'export'), 'none')


def upgrade() -> None:
    op.create_table('workflows',
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('enabled', sa.Boolean(), nullable=False),
    sa.Column('current_version', sa.Integer(), nullable=False),
    sa.Column('trigger_key', sa.String(length=80), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('created_at', UTCDateTime(), nullable=False),
    sa.Column('updated_at', UTCDateTime(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('owner_id', sa.Uuid(), nullable=True),
    sa.Column('deleted_at', UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['owner_id'], ['users.id'], name=op.f('fk_workflows_owner_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_workflows'))
    )
    op.create_index(op.f('ix_workflows_created_at'), 'workflows', ['created_at'], unique=False)
    op.create_index(op.f('ix_workflows_deleted_at'), 'workflows', ['deleted_at'], unique=False)
    op.create_index('ix_workflows_enabled_trigger', 'workflows', ['enabled', 'trigger_key'], unique=False)
    op.create_index(op.f('ix_workflows_owner_id'), 'workflows', ['owner_id'], unique=False)
    op.create_index(op.f('ix_workflows_updated_at'), 'workflows', ['updated_at'], unique=False)
    op.create_table('workflow_versions',
    sa.Column('workflow_id', sa.Uuid(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('definition', _JSON, nullable=False),
    sa.Column('created_by_id', sa.Uuid(), nullable=True),
    sa.Column('created_at', UTCDateTime(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_workflow_versions_created_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['workflow_id'], ['workflows.id'], name=op.f('fk_workflow_versions_workflow_id_workflows'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_workflow_versions')),
    sa.UniqueConstraint('workflow_id', 'number', name=op.f('uq_workflow_versions_workflow_id_number'))
    )
    op.create_table('workflow_runs',
    sa.Column('workflow_id', sa.Uuid(), nullable=False),
    sa.Column('version_id', sa.Uuid(), nullable=False),
    sa.Column('version_number', sa.Integer(), nullable=False),
    sa.Column('contact_id', sa.Uuid(), nullable=True),
    sa.Column('record_type', sa.String(length=20), nullable=True),
    sa.Column('record_id', sa.Uuid(), nullable=True),
    sa.Column('subject_id', sa.Uuid(), nullable=False),
    sa.Column('occasion', sa.String(length=200), nullable=False),
    sa.Column('trigger_event_id', sa.Uuid(), nullable=True),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('step_index', sa.Integer(), nullable=False),
    sa.Column('resume_at', UTCDateTime(), nullable=True),
    sa.Column('log', _JSON, nullable=False),
    sa.Column('created_at', UTCDateTime(), nullable=False),
    sa.Column('updated_at', UTCDateTime(), nullable=False),
    sa.Column('finished_at', UTCDateTime(), nullable=True),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['contact_id'], ['contacts.id'], name=op.f('fk_workflow_runs_contact_id_contacts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['version_id'], ['workflow_versions.id'], name=op.f('fk_workflow_runs_version_id_workflow_versions'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['workflow_id'], ['workflows.id'], name=op.f('fk_workflow_runs_workflow_id_workflows'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_workflow_runs')),
    sa.UniqueConstraint('workflow_id', 'subject_id', 'occasion', name=op.f('uq_workflow_runs_workflow_id_subject_id_occasion'))
    )
    op.create_index('ix_workflow_runs_contact_created', 'workflow_runs', ['contact_id', 'created_at'], unique=False)
    op.create_index('ix_workflow_runs_status_resume', 'workflow_runs', ['status', 'resume_at'], unique=False)
    op.create_index('ix_workflow_runs_workflow_created', 'workflow_runs', ['workflow_id', 'created_at'], unique=False)
    op.create_table('automation_cursors',
    sa.Column('name', sa.String(length=40), nullable=False),
    sa.Column('position', UTCDateTime(), nullable=True),
    sa.Column('updated_at', UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_automation_cursors'))
    )
    _grant_automation()


def _grant_automation() -> None:
    """Existing databases: give built-in roles their automation grid (fresh ones were seeded
    with it already by 0003, which reads the current role definitions)."""
    roles = sa.table('roles', sa.column('id', sa.Uuid()), sa.column('name', sa.String()),
                     sa.column('builtin', sa.Boolean()), sa.column('permissions', _JSON))
    conn = op.get_bind()
    for rid, name, perms in conn.execute(sa.select(roles.c.id, roles.c.name, roles.c.permissions)
                                         .where(roles.c.builtin.is_(True))).all():
        perms = dict(perms or {})
        if 'automation' in perms:
            continue
        perms['automation'] = dict(_AUTOMATION.get(name, _NONE))
        conn.execute(roles.update().where(roles.c.id == rid).values(permissions=perms))


def downgrade() -> None:
    op.drop_table('automation_cursors')
    op.drop_index('ix_workflow_runs_workflow_created', table_name='workflow_runs')
    op.drop_index('ix_workflow_runs_status_resume', table_name='workflow_runs')
    op.drop_index('ix_workflow_runs_contact_created', table_name='workflow_runs')
    op.drop_table('workflow_runs')
    op.drop_table('workflow_versions')
    op.drop_index(op.f('ix_workflows_updated_at'), table_name='workflows')
    op.drop_index(op.f('ix_workflows_owner_id'), table_name='workflows')
    op.drop_index('ix_workflows_enabled_trigger', table_name='workflows')
    op.drop_index(op.f('ix_workflows_deleted_at'), table_name='workflows')
    op.drop_index(op.f('ix_workflows_created_at'), table_name='workflows')
    op.drop_table('workflows')
