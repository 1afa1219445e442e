"""Deal scores and product recommendations: a deal's chance of being won (whoever may see
the deal), a contact's next products to offer (whoever may see the contact) and a rescoring
on request (``POST /intelligence/deal-scores/refresh``: settings.edit, 202, the workers do
it). Deal scores are read from what the jobs stored; recommendations are read from the
co-purchase table the jobs built and the contact's own orders."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse
from sqlalchemy import select

from amity.api.deps import CurrentUser, DbSession
from amity.auth.access import Permission, access_record, require, scoped
from amity.contacts.models import Contact
from amity.core.errors import ValidationFailed
from amity.deals.models import Deal
from amity.intelligence import predictive_queries, recommendations
from amity.intelligence.predictive_schemas import DealWinRead, RecommendationRead
from amity.intelligence.tables import DealPrediction
from amity.jobs import predictive as predictive_jobs

router = APIRouter(tags=["intelligence"])


@router.get("/deals/{deal_id}/win-chance", response_model=DealWinRead,
            summary="A deal's chance of being won, with the factors that weigh most")
def deal_win_chance(deal_id: uuid.UUID, db: DbSession, user: CurrentUser) -> DealWinRead:
    deal = access_record(db, user, Deal, deal_id, Permission.DEALS_VIEW, entity="deal")
    p = predictive_queries.for_deal(db, deal_id)
    if p is None or deal.status != "open":  # closed since the last run: its score is moot
        return DealWinRead(deal_id=deal_id, computed=False)
    return DealWinRead(deal_id=deal_id, computed=True, probability=p.probability,
                       model=p.model, factors=list(p.factors), computed_at=p.computed_at)


@router.get("/intelligence/win-chances", response_model=list[DealWinRead],
            summary="The stored chances of several deals at once (a board's cards)",
            description="Pass up to 200 `deal_id`s; deals the reader may not see, closed "
                        "deals and deals not scored yet are left out. One statement.")
def deal_win_chances(db: DbSession, user: CurrentUser,
                     deal_id: Annotated[list[uuid.UUID], Query(max_length=200)] = [],  # noqa: B006
                     ) -> list[DealWinRead]:
    require(user, Permission.DEALS_VIEW)  # 403 before any complaint about the query
    if not deal_id:
        raise ValidationFailed("deal_id.required", "Give at least one deal_id", "deal_id")
    stmt: Any = (select(Deal.id, DealPrediction)
                 .join(DealPrediction, DealPrediction.deal_id == Deal.id)
                 .where(Deal.id.in_(deal_id), Deal.deleted_at.is_(None), Deal.status == "open"))
    visible = scoped(db, stmt, user, Deal, Permission.DEALS_VIEW)
    return [DealWinRead(deal_id=i, computed=True, probability=p.probability, model=p.model,
                        factors=list(p.factors), computed_at=p.computed_at)
            for i, p in db.execute(visible.order_by(Deal.id)).all()]


@router.get("/contacts/{contact_id}/recommendations", response_model=list[RecommendationRead],
            summary="The next products to offer a contact, best first",
            description="Products due for replacement first, then products bought by "
                        "customers who bought what they own (by confidence); best sellers "
                        "for someone who has bought nothing yet. What they own is not "
                        "offered again unless it is due for replacement.")
def contact_recommendations(contact_id: uuid.UUID, db: DbSession, user: CurrentUser,
                            limit: Annotated[int, Query(ge=1, le=50)] = 5,
                            ) -> list[RecommendationRead]:
    access_record(db, user, Contact, contact_id, Permission.CONTACTS_VIEW, entity="contact")
    return [RecommendationRead(
        product_id=r.product.id, sku=r.product.sku, name=r.product.name,
        category=r.product.category, price=r.product.price, currency=r.product.currency,
        kind=r.kind, reason=r.reason, confidence=r.confidence, lift=r.lift,
        because_product_id=r.because.id if r.because else None, last_bought=r.last_bought)
        for r in recommendations.recommend(db, contact_id, limit=limit)]


@router.post("/intelligence/deal-scores/refresh", status_code=202,
             summary="Rescore open deals and rebuild the co-purchase table now",
             description="Queues both jobs (they also run daily); the answer comes before "
                         "the work is done.")
def refresh_deal_scores(db: DbSession, user: CurrentUser) -> JSONResponse:
    require(user, Permission.SETTINGS_MANAGE)
    predictive_jobs.request_rescoring(db)
    return JSONResponse({"status": "queued"}, status_code=202)
