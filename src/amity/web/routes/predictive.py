"""Deal scores and product offers in the browser: the win-chance panel on the deal page
(whoever may see the deal), the product offers panel on the contact page (whoever may see
the contact), both loaded by HTMX, and a rescoring queued from Settings > Predictions
(settings.edit). The pages only read what the jobs stored."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Request, Response
from fastapi.responses import RedirectResponse

from amity.api.deps import DbSession
from amity.auth.access import Permission, access_record, require
from amity.contacts.models import Contact
from amity.deals.models import Deal
from amity.intelligence import predictive_queries, recommendations
from amity.jobs import predictive as predictive_jobs
from amity.web.auth import CsrfChecked, WebUser
from amity.web.errors import WebRoute
from amity.web.templating import render

router = APIRouter(route_class=WebRoute)


@router.get("/deals/{deal_id}/win-chance-panel")
def win_chance_panel(deal_id: uuid.UUID, request: Request, db: DbSession,
                     user: WebUser) -> Response:
    deal = access_record(db, user, Deal, deal_id, Permission.DEALS_VIEW, entity="deal")
    return render(request, "intelligence/_deal_panel.html",
                  {"deal": deal, "score": predictive_queries.for_deal(db, deal_id)})


@router.get("/contacts/{contact_id}/offers-panel")
def offers_panel(contact_id: uuid.UUID, request: Request, db: DbSession,
                 user: WebUser) -> Response:
    access_record(db, user, Contact, contact_id, Permission.CONTACTS_VIEW, entity="contact")
    return render(request, "intelligence/_offers_panel.html",
                  {"offers": recommendations.recommend(db, contact_id)})


@router.post("/settings/predictions/deal-scores", dependencies=[CsrfChecked])
def queue_rescoring(db: DbSession, user: WebUser) -> Response:
    require(user, Permission.SETTINGS_MANAGE)
    predictive_jobs.request_rescoring(db)
    return RedirectResponse("/settings/predictions?queued=1", status_code=303)
