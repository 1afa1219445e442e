"""Product recommendations on a hand-built set of baskets, with every number worked out.

Seven customers bought (counted orders only):
  c1 {Alpha, Bravo}  c2 {Alpha, Bravo, Charlie}  c3 {Alpha, Charlie}  c4 {Bravo, Delta}
  c5 {Alpha, Bravo, Foxtrot}  c6 {Delta, Echo}  target {Alpha, Echo}
Customers per product: Alpha 5, Bravo 4, Charlie 2, Delta 2, Echo 2, Foxtrot 1 (of 7).
Pairs bought by two or more of the same customers: Alpha+Bravo 3, Alpha+Charlie 2. So:
  Alpha -> Bravo   confidence 3/5 = 0.6,  lift 0.6 / (4/7) = 1.05
  Bravo -> Alpha   confidence 3/4 = 0.75, lift 0.75 / (5/7) = 1.05
  Alpha -> Charlie confidence 2/5 = 0.4,  lift 0.4 / (2/7) = 1.4
  Charlie -> Alpha confidence 2/2 = 1.0,  lift 1.0 / (5/7) = 1.4
Echo lasts 30 days: the target bought it 40 days ago (due), c6 five days ago (not due).
"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from amity.core.db import Database
from amity.intelligence import recommendations
from amity.intelligence.tables import ProductAssociation
from tests.intelligence.predictive_support import AT, seed_shop


def _build(database: Database) -> None:
    with database.transaction() as s:
        recommendations.refresh_associations(s, at=AT)


def _names(database: Database, contact: object, limit: int = 5) -> list[tuple[str, str]]:
    with database.transaction(write=False) as s:
        return [(r.product.name, r.kind) for r in
                recommendations.recommend(s, contact, at=AT, limit=limit)]  # type: ignore[arg-type]


def test_association_table_has_the_worked_out_confidence_and_lift(database: Database) -> None:
    shop = seed_shop(database)
    with database.transaction() as s:
        fit = recommendations.refresh_associations(s, at=AT)
    assert fit.kind == "products" and fit.status == "fitted"
    assert fit.diagnostics == {"customers": 7, "products": 6, "pairs": 4,
                               "min_pair_customers": 2}
    by_id = {v: k for k, v in shop.products.items()}
    with database.transaction(write=False) as s:
        rows = {(by_id[r.antecedent_id], by_id[r.consequent_id]): (r.customers, r.confidence,
                                                                     r.lift)
                for r in s.scalars(select(ProductAssociation))}
    assert set(rows) == {("Alpha", "Bravo"), ("Bravo", "Alpha"), ("Alpha", "Charlie"),
                         ("Charlie", "Alpha")}
    expected = {("Alpha", "Bravo"): (3, 0.6, 1.05), ("Bravo", "Alpha"): (3, 0.75, 1.05),
                ("Alpha", "Charlie"): (2, 0.4, 1.4), ("Charlie", "Alpha"): (2, 1.0, 1.4)}
    for pair, (both, conf, lift) in expected.items():
        assert rows[pair][0] == both
        assert rows[pair][1] == pytest.approx(conf) and rows[pair][2] == pytest.approx(lift)


def test_exact_recommendations(database: Database) -> None:
    shop = seed_shop(database)
    _build(database)
    c = shop.customers
    # due replacement first, then by confidence: Bravo (0.6) before Charlie (0.4)
    assert _names(database, c["target"]) == [("Echo", "replenish"), ("Bravo", "co-purchase"),
                                             ("Charlie", "co-purchase")]
    assert _names(database, c["c3"]) == [("Bravo", "co-purchase")]  # owns Alpha and Charlie
    assert _names(database, c["c4"]) == [("Alpha", "co-purchase")]  # Bravo -> Alpha
    assert _names(database, c["c2"]) == []  # owns all that goes together
    # Echo bought five days ago is not due; Delta goes with nothing; the cancelled Alpha
    # order is not ownership (or Bravo and Charlie would be offered)
    assert _names(database, c["c6"]) == []
    # no purchases at all: best sellers (active ones), most customers first, then by name
    assert _names(database, c["newcomer"], limit=3) == [
        ("Alpha", "popular"), ("Bravo", "popular"), ("Charlie", "popular")]


def test_reasons_and_the_next_best_action(database: Database) -> None:
    shop = seed_shop(database)
    _build(database)
    with database.transaction(write=False) as s:
        recs = recommendations.recommend(s, shop.customers["target"], at=AT)
        assert recs[0].reason == ("Due for replacement: last bought 2026-04-22, lasts about "
                                  "30 days")
        assert recs[1].reason == ("60% of customers who bought Alpha also bought it "
                                  "(1.1 times the usual rate)")
        assert recs[1].because is not None and recs[1].because.name == "Alpha"
        assert recommendations.action(recs[0]) == (
            "Remind them to reorder Echo: due for replacement: last bought 2026-04-22, "
            "lasts about 30 days")
        assert recommendations.action(recs[1]).startswith(
            "Send the upgrade offer: Bravo (60% of customers who bought Alpha")


def test_inactive_products_are_never_offered(database: Database) -> None:
    shop = seed_shop(database)
    _build(database)
    from amity.commerce.models import Product

    with database.transaction() as s:
        bravo = s.get(Product, shop.products["Bravo"])
        assert bravo is not None
        bravo.active = False
    assert _names(database, shop.customers["target"]) == [("Echo", "replenish"),
                                                          ("Charlie", "co-purchase")]


def test_no_pairs_yet_is_recorded_with_a_message(database: Database) -> None:
    with database.transaction() as s:
        fit = recommendations.refresh_associations(s, at=AT)
    assert fit.status == "insufficient" and fit.diagnostics["pairs"] == 0
    assert fit.message is not None and "only replacements and best sellers" in fit.message
