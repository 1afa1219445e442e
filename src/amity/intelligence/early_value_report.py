"""Writing and reading the early-value report (a ``model_fits`` row of kind ``early_value``).

``analyse_early_value`` is what the daily job and ``amity intelligence early-value --refresh``
run: load the mature cohort (SQL aggregates), compute each signal's lift with bootstrap
intervals and store the whole report, versioned like the other models, so pages and the API
only read it.
"""

from __future__ import annotations

import dataclasses
import math
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from amity.commerce.models import COUNTED_STATUSES, Order
from amity.commerce.rates import rates_on
from amity.core import audit
from amity.core.clock import now
from amity.intelligence import early_value as ev
from amity.intelligence.early_value_stats import MIN_GROUP, Options, lifts
from amity.intelligence.models import ModelFit

KIND = "early_value"


def _factors(db: Session, target: str, base: str | None, at: datetime) -> Any:
    """currency -> Decimal factor into ``target`` (None when there is no rate)."""
    currencies = {str(c) for c in db.scalars(
        select(Order.currency).where(Order.status.in_(COUNTED_STATUSES)).distinct())}
    wanted = ((currencies | {target}) - {base}) if base else set()
    rates = rates_on(db, wanted, at.date())
    one = Decimal(1)
    to = one if target == base else rates.get(target)

    def factor(cur: str) -> Decimal | None:
        if cur == target:
            return one
        source = one if cur == base else rates.get(cur)
        return None if source is None or to is None or not base else source / to
    return factor


def _plain(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def analyse_early_value(db: Session, *, currency: str, base: str | None,
                        options: Options | None = None, at: datetime | None = None,
                        ) -> ModelFit:
    """Compute and store the report on the history before ``at`` (default now)."""
    opts = options or Options()
    at = at or now()
    cohort = ev.load_cohort(db, at=at, factors=_factors(db, currency, base, at),
                            window_days=opts.window_days, horizon_days=opts.horizon_days)
    first = ev.first_orders(at)
    inside = int(db.scalar(select(func.count()).select_from(first)
                           .where(first.c.first_at >= at - timedelta(days=opts.window_days)))
                 or 0)
    n = len(cohort.ids)
    diagnostics: dict[str, Any] = {"currency": currency, "customers": n,
                                   "skipped_customers": cohort.skipped,
                                   "inside_window": inside, "signals": []}
    if n < 2 * MIN_GROUP:
        status = "insufficient"
        message = (f"Only {n} customers have a full {opts.horizon_days}-day history since "
                   f"their first order; at least {2 * MIN_GROUP} are needed.")
    else:
        status, message = "fitted", None
        threshold, rows = lifts([float(v) for v in cohort.values], cohort.features,
                                ev.signals(opts.min_orders), opts)
        mean = sum(cohort.values, Decimal(0)) / n
        diagnostics.update(top_quarter_threshold=threshold, signals=rows,
                           mean_value=str(mean.quantize(Decimal("0.01"))))
    latest = db.scalar(select(func.max(ModelFit.version)).where(ModelFit.kind == KIND))
    row = ModelFit(kind=KIND, version=int(latest or 0) + 1, status=status, message=message,
                   params=dataclasses.asdict(opts), diagnostics=_plain(diagnostics),
                   samples=n, trained_at=at)
    db.add(row)
    db.flush()
    audit.record(db, actor_id=None, action="model_fitted", entity_type="model_fit",
                 entity_id=row.id, changes={"kind": KIND, "version": row.version,
                                            "status": status})
    return row


def latest_report(db: Session) -> ModelFit | None:
    return db.scalar(select(ModelFit).where(ModelFit.kind == KIND)
                     .order_by(ModelFit.version.desc()).limit(1))


def report_options(report: ModelFit | None) -> Options:
    """The options the stored report was made with (the segment uses the same window)."""
    if report is None:
        return Options()
    known = {f.name for f in dataclasses.fields(Options)}
    return Options(**{k: v for k, v in (report.params or {}).items() if k in known})
