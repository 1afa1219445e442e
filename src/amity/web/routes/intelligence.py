"""Predictions in the browser: Settings > Predictions (each model's latest fit, its hold-out
checks and why it could not be fitted; settings.view to read, settings.edit to queue a refit)
and the predictions panel on the contact page (loaded by HTMX; whoever may see the contact).
The pages only read what the jobs stored."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Request, Response
from fastapi.responses import RedirectResponse

from amity.api.deps import DbSession
from amity.auth.access import Permission, access_record, require, scope_for
from amity.contacts.models import Contact
from amity.intelligence import queries
from amity.jobs import intelligence as intelligence_jobs
from amity.web.auth import CsrfChecked, WebUser
from amity.web.errors import WebRoute
from amity.web.templating import render

router = APIRouter(route_class=WebRoute)


@router.get("/contacts/{contact_id}/predictions-panel")
def predictions_panel(contact_id: uuid.UUID, request: Request, db: DbSession,
                      user: WebUser) -> Response:
    access_record(db, user, Contact, contact_id, Permission.CONTACTS_VIEW, entity="contact")
    return render(request, "intelligence/_panel.html", {"view": queries.for_contact(db,
                                                                                     contact_id)})


@router.get("/settings/predictions")
def predictions_page(request: Request, db: DbSession, user: WebUser) -> Response:
    require(user, Permission.SETTINGS_VIEW)
    return render(request, "intelligence/settings.html", {
        "tab": "predictions", "fits": queries.latest_fits(db),
        "may_edit": scope_for(user, Permission.SETTINGS_MANAGE) != "none"})


@router.post("/settings/predictions/refresh", dependencies=[CsrfChecked])
def queue_refresh(db: DbSession, user: WebUser) -> Response:
    require(user, Permission.SETTINGS_MANAGE)
    intelligence_jobs.request_refresh(db)
    return RedirectResponse("/settings/predictions?queued=1", status_code=303)
