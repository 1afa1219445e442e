"""Writing every customer's predictions and announcing the at-risk crossings, in bulk.

On PostgreSQL the scores go by binary ``COPY`` into a temporary staging table (customer
number, numbers, an index into the distinct reason lists), then three statements do the rest
inside the database: one ``INSERT .. SELECT`` of a ``contact.churn_risk_crossed`` event for
each customer whose at-risk flag differs from the stored one, and one
``INSERT .. SELECT .. ON CONFLICT DO UPDATE`` of the prediction rows. The customer numbers
are those of ``data.load_history``'s temporary table, which gives back the contact ids.
SQLite (a laptop's data) upserts with ``executemany`` in batches and compares in Python.
"""

# ruff: noqa: S608 - the statements are assembled from this module's constants (table and
# column names); every value is a bound parameter.
from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np
from numpy.typing import NDArray
from sqlalchemy import select, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from amity.core import events
from amity.core.clock import now
from amity.core.db import is_postgres
from amity.intelligence import pgcopy
from amity.intelligence.data import CUSTOMERS
from amity.intelligence.models import CustomerPrediction
from amity.intelligence.pipeline import Reasons

WRITE_BATCH = 5_000
CLV_VALUES = ("purchases_3m", "purchases_6m", "purchases_12m", "revenue_3m", "revenue_6m",
              "revenue_12m", "p_alive", "clv")
CLV_COLUMNS = ("currency", *CLV_VALUES, "clv_model")
CHURN_COLUMNS = ("churn_risk", "at_risk", "churn_reasons", "churn_model")
SCORES = "intel_scores"
REASONS = "intel_reasons"


@dataclass(frozen=True)
class ChurnRiskCrossed(events.DomainEvent):
    """The customer's churn risk reached the at-risk threshold (``up``) or fell below it."""

    type = "contact.churn_risk_crossed"
    contact_id: uuid.UUID
    risk: float = 0.0
    threshold: float = 0.5
    direction: str = "up"
    model: str = ""


@dataclass
class Scores:
    """What one run computed, per customer in the order of ``keys`` (contact ids)."""

    keys: NDArray[Any]
    risk: NDArray[np.float64]
    reasons: Reasons
    churn_model: str
    threshold: float
    values: dict[str, NDArray[np.float64]]  # CLV_VALUES, or empty when CLV was not fitted
    clv_model: str | None = None
    currency: str | None = None

    @property
    def at_risk(self) -> NDArray[np.bool_]:
        return np.asarray(self.risk >= self.threshold)  # NaN (not scored) is not at risk


def store(db: Session, scores: Scores, *, at: datetime) -> tuple[int, int]:
    """Upsert every customer's row (other columns, e.g. the best time to contact, are left
    as they are) and publish the crossings; returns (became at risk, no longer at risk)."""
    if scores.keys.size == 0:
        return 0, 0
    if is_postgres(db):
        return _store_postgres(db, scores, at=at)
    rows = _rows(scores, at)
    up, down = _crossings(db, rows, scores.threshold, scores.churn_model)
    write_predictions(db, rows, columns=(CHURN_COLUMNS + CLV_COLUMNS) if scores.values
                      else CHURN_COLUMNS)
    return up, down


def _store_postgres(db: Session, s: Scores, *, at: datetime) -> tuple[int, int]:
    names = list(CLV_VALUES) if s.values else []
    for table in (SCORES, REASONS):
        db.execute(text(f"DROP TABLE IF EXISTS {table}"))
    db.execute(text(f"CREATE TEMPORARY TABLE {REASONS} (i INTEGER PRIMARY KEY, "
                    "churn_reasons JSONB NOT NULL)"))
    db.execute(text(f"INSERT INTO {REASONS} (i, churn_reasons) VALUES (:i, CAST(:r AS JSONB))"),
               [{"i": i, "r": json.dumps(t)} for i, t in enumerate(s.reasons.texts)])
    floats = "".join(f", {n} DOUBLE PRECISION" for n in names)
    db.execute(text(f"CREATE TEMPORARY TABLE {SCORES} (k INTEGER PRIMARY KEY, reasons INTEGER, "
                    f"churn_risk DOUBLE PRECISION, at_risk BOOLEAN{floats})"))
    n = s.keys.size
    pgcopy.write_columns(db, SCORES, ["k", "reasons", "churn_risk", "at_risk", *names],
                         [np.arange(n), s.reasons.index, s.risk, s.at_risk,
                          *(s.values[c] for c in names)], "iifb" + "f" * len(names))
    db.execute(text(f"ANALYZE {SCORES}"))
    nan = "CAST('NaN' AS DOUBLE PRECISION)"
    counts: dict[str, int] = dict(db.execute(text(
        "WITH crossed AS (INSERT INTO events (id, type, entity_id, payload, occurred_at, "
        f"published_at) SELECT gen_random_uuid(), :type, ic.contact_id, jsonb_build_object("
        "'contact_id', CAST(ic.contact_id AS TEXT), 'risk', "
        f"COALESCE(NULLIF(s.churn_risk, {nan}), 0), 'threshold', CAST(:threshold AS DOUBLE "
        "PRECISION), 'direction', CASE WHEN s.at_risk THEN 'up' ELSE 'down' END, 'model', "
        f"CAST(:model AS TEXT)), :now, NULL FROM {SCORES} s JOIN {CUSTOMERS} ic ON ic.k = s.k "
        "LEFT JOIN customer_predictions p ON p.contact_id = ic.contact_id "
        "WHERE s.at_risk <> COALESCE(p.at_risk, FALSE) RETURNING payload->>'direction' AS d) "
        "SELECT d, count(*) FROM crossed GROUP BY d"),
        {"type": ChurnRiskCrossed.type, "threshold": s.threshold, "model": s.churn_model,
         "now": now()}).all())
    columns = ["contact_id", "computed_at", *CHURN_COLUMNS]
    selected = ["ic.contact_id", ":at", f"NULLIF(s.churn_risk, {nan})", "s.at_risk",
                "r.churn_reasons", ":churn_model"]
    if names:
        columns += ["currency", *names, "clv_model"]
        selected += [":currency", *(f"NULLIF(s.{c}, {nan})" for c in names), ":clv_model"]
    updates = ", ".join(f"{c} = EXCLUDED.{c}" for c in columns[1:])
    db.execute(text(
        f"INSERT INTO customer_predictions ({', '.join(columns)}) SELECT {', '.join(selected)} "
        f"FROM {SCORES} s JOIN {CUSTOMERS} ic ON ic.k = s.k JOIN {REASONS} r ON r.i = s.reasons "
        f"ON CONFLICT (contact_id) DO UPDATE SET {updates}"),
        {"at": at, "churn_model": s.churn_model, "currency": s.currency,
         "clv_model": s.clv_model})
    for table in (SCORES, REASONS):
        db.execute(text(f"DROP TABLE {table}"))
    return int(counts.get("up", 0)), int(counts.get("down", 0))


def _num(value: float) -> float | None:
    return None if not np.isfinite(value) else float(value)


def _rows(s: Scores, at: datetime) -> list[dict[str, Any]]:
    flags = s.at_risk.tolist()
    risks = s.risk.tolist()
    values = {name: col.tolist() for name, col in s.values.items()}
    rows = []
    for i, key in enumerate(s.keys.tolist()):
        row: dict[str, Any] = {"contact_id": key, "computed_at": at,
                               "churn_risk": _num(risks[i]), "at_risk": flags[i],
                               "churn_reasons": s.reasons.of(i), "churn_model": s.churn_model}
        if values:
            row.update({name: _num(col[i]) for name, col in values.items()},
                       currency=s.currency, clv_model=s.clv_model)
        rows.append(row)
    return rows


def _crossings(db: Session, rows: list[dict[str, Any]], threshold: float,
               model: str) -> tuple[int, int]:
    before: dict[uuid.UUID, bool] = {}
    ids = [r["contact_id"] for r in rows]
    for i in range(0, len(ids), WRITE_BATCH):
        before.update(db.execute(select(CustomerPrediction.contact_id,
                                        CustomerPrediction.at_risk)
                                 .where(CustomerPrediction.contact_id.in_(
                                     ids[i:i + WRITE_BATCH]))).all())
    crossed = []
    for r in rows:
        if r["at_risk"] != before.get(r["contact_id"], False):
            crossed.append(ChurnRiskCrossed(
                contact_id=r["contact_id"], risk=float(r["churn_risk"] or 0.0),
                threshold=threshold, direction="up" if r["at_risk"] else "down", model=model))
    for i in range(0, len(crossed), WRITE_BATCH):
        events.publish_now(db, *crossed[i:i + WRITE_BATCH])
    up = sum(1 for e in crossed if e.direction == "up")
    return up, len(crossed) - up


def write_predictions(db: Session, rows: list[dict[str, Any]], *,
                      columns: tuple[str, ...]) -> None:
    """Upsert in batches: new customers get a row, known ones have ``columns`` replaced
    (the other columns, e.g. the best time to contact, are left as they are)."""
    if not rows:
        return
    dialect = postgresql if is_postgres(db) else sqlite
    for i in range(0, len(rows), WRITE_BATCH):
        batch = rows[i:i + WRITE_BATCH]
        stmt = dialect.insert(CustomerPrediction)
        cols = (*(c for c in columns if c in batch[0]), "computed_at")
        stmt = stmt.on_conflict_do_update(index_elements=["contact_id"],
                                          set_={c: stmt.excluded[c] for c in cols})
        db.execute(stmt, [{"at_risk": False, "churn_reasons": [], **r} for r in batch])

