"""Imports every model so the metadata is complete (Alembic, tests, create_all)."""

from amity.activities.forms_models import Form, FormSubmission, IngestChannel
from amity.activities.models import (
    CalendarFeed,
    Interaction,
    InteractionParticipant,
    Notification,
    Task,
)
from amity.activities.outreach_models import EmailTemplate, WebEvent, WebSite, WebVisitor
from amity.analytics.models import CustomerRfm
from amity.auth.models import (
    ApiToken,
    LoginAttempt,
    PasswordResetToken,
    Role,
    Team,
    User,
    WebSession,
)
from amity.automation.models import (
    AutomationCursor,
    Workflow,
    WorkflowRun,
    WorkflowVersion,
)
from amity.commerce.models import ExchangeRate, Order, OrderLine, Product
from amity.companies.models import Company
from amity.contacts.models import Contact, ContactConsent, ContactEmail, ContactPhone
from amity.core.audit import AuditEntry
from amity.core.customfields import CustomFieldDefinition
from amity.core.db import Base
from amity.core.events import EventRecord
from amity.core.idempotency import IdempotencyRecord
from amity.core.tags import Tag
from amity.dataio.models import DataExport, DataImport, ImportChange, ImportRowError
from amity.dataquality.models import DataSteward
from amity.deals.models import (
    Deal,
    DealContact,
    DealLine,
    DealStageChange,
    LostReason,
    Pipeline,
    Stage,
)
from amity.dedupe.models import DuplicateSuggestion, Merge, MergedRecord
from amity.intelligence.models import CustomerPrediction, ModelFit
from amity.intelligence.tables import DealPrediction, ProductAssociation
from amity.jobs.models import Job, JobEffect, ScheduleRun
from amity.mail.models import Mailbox
from amity.notes.models import Note
from amity.reports.models import SavedReport
from amity.scoring.models import ContactScore, ScoreEntry, ScoringRule, ScoringSettings
from amity.semantic.models import TextEmbedding
from amity.sequences.models import (
    Sequence,
    SequenceEnrolment,
    SequenceStep,
    SequenceStepRun,
)
from amity.tickets.models import (
    AgentStatus,
    BusinessCalendar,
    ContactSatisfaction,
    SlaPolicy,
    TeamRouting,
    Ticket,
    TicketAttachment,
    TicketComment,
    TicketCounter,
    TicketSlaEvent,
    TicketSurvey,
)
from amity.views.models import SavedView
from amity.webhooks.models import BrokerCursor, WebhookDelivery, WebhookSubscription

__all__ = [
    "AgentStatus",
    "ApiToken",
    "AuditEntry",
    "AutomationCursor",
    "Base",
    "BrokerCursor",
    "BusinessCalendar",
    "CalendarFeed",
    "Company",
    "Contact",
    "ContactConsent",
    "ContactEmail",
    "ContactPhone",
    "ContactSatisfaction",
    "ContactScore",
    "CustomFieldDefinition",
    "CustomerPrediction",
    "CustomerRfm",
    "DataExport",
    "DataImport",
    "DataSteward",
    "Deal",
    "DealContact",
    "DealLine",
    "DealPrediction",
    "DealStageChange",
    "DuplicateSuggestion",
    "EmailTemplate",
    "EventRecord",
    "ExchangeRate",
    "Form",
    "FormSubmission",
    "IdempotencyRecord",
    "ImportChange",
    "ImportRowError",
    "IngestChannel",
    "Interaction",
    "InteractionParticipant",
    "Job",
    "JobEffect",
    "LoginAttempt",
    "LostReason",
    "Mailbox",
    "Merge",
    "MergedRecord",
    "ModelFit",
    "Note",
    "Notification",
    "Order",
    "OrderLine",
    "PasswordResetToken",
    "Pipeline",
    "Product",
    "ProductAssociation",
    "Role",
    "SavedReport",
    "SavedView",
    "ScheduleRun",
    "ScoreEntry",
    "ScoringRule",
    "ScoringSettings",
    "Sequence",
    "SequenceEnrolment",
    "SequenceStep",
    "SequenceStepRun",
    "SlaPolicy",
    "Stage",
    "Tag",
    "Task",
    "Team",
    "TeamRouting",
    "TextEmbedding",
    "Ticket",
    "TicketAttachment",
    "TicketComment",
    "TicketCounter",
    "TicketSlaEvent",
    "TicketSurvey",
    "User",
    "WebEvent",
    "WebSession",
    "WebSite",
    "WebVisitor",
    "WebhookDelivery",
    "WebhookSubscription",
    "Workflow",
    "WorkflowRun",
    "WorkflowVersion",
]
