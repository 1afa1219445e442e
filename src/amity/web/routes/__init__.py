"""Web UI routes: sign-in and the contact pages. Every route is a ``WebRoute`` (HTML errors)."""

from amity.api.routing import IndexedRouter
from amity.web.routes import (
    account,
    agenda,
    analytics,
    audit,
    automation,
    companies,
    contacts,
    dataquality,
    deal_page,
    deals,
    duplicates,
    forms,
    forms_settings,
    imports,
    intelligence,
    mailboxes,
    notifications,
    orders,
    predictive,
    privacy,
    products,
    quick_add,
    scoring,
    search,
    session,
    settings,
    settings_email,
    settings_fields,
    settings_pipelines,
    settings_tags,
    survey,
    task_pages,
    ticket_page,
    tickets,
    tracking,
    webhooks_settings,
)

router = IndexedRouter()
router.include_router(session.router)
router.include_router(account.router)
router.include_router(contacts.router)
router.include_router(deals.router)
router.include_router(deal_page.router)
router.include_router(products.router)
router.include_router(orders.router)
router.include_router(settings.router)
router.include_router(settings_pipelines.router)
router.include_router(settings_fields.router)
router.include_router(settings_email.router)
router.include_router(settings_tags.router)
router.include_router(mailboxes.router)
router.include_router(privacy.router)
router.include_router(audit.router)
router.include_router(automation.router)
router.include_router(survey.router)
router.include_router(survey.api)
router.include_router(tracking.router)
router.include_router(webhooks_settings.router)
router.include_router(forms.router)
router.include_router(forms_settings.router)
router.include_router(tickets.router)
router.include_router(ticket_page.router)
router.include_router(ticket_page.uploads)
router.include_router(agenda.router)
router.include_router(task_pages.router)
router.include_router(notifications.router)
router.include_router(quick_add.router)
router.include_router(imports.router)
router.include_router(scoring.router)
router.include_router(intelligence.router)
router.include_router(predictive.router)
router.include_router(companies.router)
router.include_router(search.router)
router.include_router(analytics.router)
router.include_router(duplicates.router)
router.include_router(dataquality.router)

__all__ = ["router"]
