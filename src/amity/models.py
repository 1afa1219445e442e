"""Imports every model so the metadata is complete (Alembic, tests, create_all)."""

from amity.auth.models import (
    ApiToken,
    LoginAttempt,
    PasswordResetToken,
    Role,
    Team,
    User,
    WebSession,
)
from amity.companies.models import Company
from amity.contacts.models import Contact, ContactConsent, ContactEmail, ContactPhone
from amity.core.audit import AuditEntry
from amity.core.customfields import CustomFieldDefinition
from amity.core.db import Base
from amity.core.events import EventRecord
from amity.core.idempotency import IdempotencyRecord
from amity.core.tags import Tag
from amity.notes.models import Note

__all__ = [
    "ApiToken",
    "AuditEntry",
    "Base",
    "Company",
    "Contact",
    "ContactConsent",
    "ContactEmail",
    "ContactPhone",
    "CustomFieldDefinition",
    "EventRecord",
    "IdempotencyRecord",
    "LoginAttempt",
    "Note",
    "PasswordResetToken",
    "Role",
    "Tag",
    "Team",
    "User",
    "WebSession",
]
