"""Version 1 of the REST API, mounted at /api/v1."""

from amity.api.errors import PROBLEM_RESPONSES
from amity.api.routing import IndexedRouter
from amity.api.v1 import (
    activities,
    analytics,
    audit,
    calendar,
    channels,
    companies,
    contacts,
    customfields,
    dataquality,
    deals,
    duplicates,
    early_value,
    email,
    exports,
    forecast,
    forms,
    imports,
    intelligence,
    jobs,
    mailboxes,
    notes,
    orders,
    pipelines,
    predictive,
    privacy,
    products,
    reports,
    roles,
    scoring,
    search,
    semantic,
    sequences,
    sla,
    tasks,
    teams,
    tickets,
    timeline,
    tokens,
    users,
    views,
    webevents,
    webhooks,
    workflows,
)

router = IndexedRouter(mount="/api/v1", responses=PROBLEM_RESPONSES)
router.include_router(workflows.router)
for module in (contacts, companies, notes, deals, pipelines, forecast, products, orders,
               customfields, users, teams, roles, tokens, privacy, audit, jobs,
               activities, tasks, timeline, calendar, tickets, sla, email,
               webevents, mailboxes):
    router.include_router(module.router)
router.include_router(webhooks.router)
router.include_router(scoring.router)
router.include_router(sequences.router)
router.include_router(forms.router)
router.include_router(channels.router)
router.include_router(imports.router)
router.include_router(exports.router)
router.include_router(analytics.router)
router.include_router(reports.router)
router.include_router(search.router)
router.include_router(semantic.router)
router.include_router(views.router)
router.include_router(duplicates.router)
router.include_router(intelligence.router)
router.include_router(early_value.router)
router.include_router(predictive.router)
router.include_router(dataquality.router)
