"""Exact order arithmetic: line totals and order totals, rounded half-even to cents.

A line's total is quantity x unit price x (1 - discount / 100), rounded once; the order's
subtotal is the sum of each line's quantity x unit price (each rounded to cents), its total the
sum of the line totals, and the discount the difference. Decimal only, never float.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal, localcontext

CENT = Decimal("0.01")
HUNDRED = Decimal(100)
# Amounts are stored as 64-bit integers of cents (``core.db.Fixed(2)``), which hold up to
# ~9.2e16; a line or order above this is refused instead of overflowing.
MAX_AMOUNT = Decimal(10) ** 15


def to_cents(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_EVEN)


@dataclass(frozen=True)
class LineAmounts:
    gross: Decimal  # quantity x unit price, rounded to cents
    total: Decimal  # after the discount, rounded to cents


def line_amounts(quantity: Decimal, unit_price: Decimal,
                 discount_percent: Decimal = Decimal(0)) -> LineAmounts:
    """Both figures are computed from the exact product and rounded once (never a rounded
    value rounded again)."""
    with localcontext() as ctx:
        ctx.prec = 60  # 12 + 15 + 5 significant digits at most: exact, no context rounding
        exact = quantity * unit_price
        discounted = exact * (HUNDRED - discount_percent) / HUNDRED
        return LineAmounts(gross=to_cents(exact), total=to_cents(discounted))


@dataclass(frozen=True)
class OrderAmounts:
    subtotal: Decimal
    discount_total: Decimal
    total: Decimal


def order_amounts(lines: Iterable[LineAmounts]) -> OrderAmounts:
    subtotal = total = Decimal("0.00")
    for line in lines:
        subtotal += line.gross
        total += line.total
    return OrderAmounts(subtotal=subtotal, discount_total=subtotal - total, total=total)


def average(total: Decimal, count: int) -> Decimal:
    """``total / count`` rounded half-even to cents (0 for no orders)."""
    if count == 0:
        return Decimal("0.00")
    with localcontext() as ctx:
        ctx.prec = 60
        return to_cents(total / Decimal(count))
