"""Order arithmetic against exact fractions: one half-even rounding of the exact value."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

from hypothesis import given
from hypothesis import strategies as st

from amity.commerce.pricing import average, line_amounts, order_amounts


def _half_even_cents(value: Fraction) -> Decimal:
    cents = value * 100
    floor = cents.numerator // cents.denominator
    rest = cents - floor
    up = rest > Fraction(1, 2) or (rest == Fraction(1, 2) and floor % 2 == 1)
    return Decimal(floor + up).scaleb(-2)


quantities = st.decimals(min_value=Decimal("0.001"), max_value=Decimal("999999999"), places=3)
prices = st.decimals(min_value=Decimal(0), max_value=Decimal("99999999999"), places=4)
discounts = st.decimals(min_value=Decimal(0), max_value=Decimal(100), places=2)


@given(quantities, prices, discounts)
def test_line_amounts_are_exact(quantity: Decimal, price: Decimal, discount: Decimal) -> None:
    exact = Fraction(quantity) * Fraction(price)
    got = line_amounts(quantity, price, discount)
    assert got.gross == _half_even_cents(exact)
    assert got.total == _half_even_cents(exact * (100 - Fraction(discount)) / 100)


@given(st.lists(st.tuples(quantities, prices, discounts), min_size=1, max_size=20))
def test_order_amounts_add_up(lines: list[tuple[Decimal, Decimal, Decimal]]) -> None:
    amounts = [line_amounts(*line) for line in lines]
    got = order_amounts(amounts)
    assert got.subtotal == sum(a.gross for a in amounts)
    assert got.total == sum(a.total for a in amounts)
    assert got.subtotal - got.discount_total == got.total
    assert got.discount_total >= 0


def test_examples() -> None:
    assert line_amounts(Decimal("0.125"), Decimal("1")).gross == Decimal("0.12")
    assert line_amounts(Decimal("0.135"), Decimal("1")).gross == Decimal("0.14")
    assert line_amounts(Decimal("3"), Decimal("19.99"), Decimal("15")).total == Decimal("50.97")
    assert average(Decimal("10.00"), 3) == Decimal("3.33")
    assert average(Decimal("0.05"), 2) == Decimal("0.02")  # 0.025, half-even
    assert average(Decimal("0"), 0) == Decimal("0.00")
