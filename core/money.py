"""Money is integer rupiah; rates are `Decimal`; rounding is ROUND_HALF_UP to the rupiah.

`split` shares whole rupiah by the largest-remainder method, so the parts always sum to the total.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import ROUND_FLOOR, ROUND_HALF_UP, Decimal

from babel.numbers import format_decimal


class InvariantViolation(Exception):
    """Something that must never happen did: the code refuses to go on."""


def to_rupiah(amount: Decimal | int) -> int:
    """Round an exact amount to whole rupiah, half up (1,5 → 2; -1,5 → -2)."""
    return int(Decimal(amount).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def format_rupiah(amount: int, locale: str = "id") -> str:
    """`Rp 1.234.567` in Indonesian, `Rp 1,234,567` in English; negatives as `-Rp 1.234`."""
    if not isinstance(amount, int):
        raise InvariantViolation(f"money must be integer rupiah, got {type(amount).__name__}")
    digits = format_decimal(abs(amount), format="#,##0", locale=locale)
    return f"-Rp {digits}" if amount < 0 else f"Rp {digits}"


def split(total: int, weights: Sequence[Decimal | int]) -> list[int]:
    """Share `total` rupiah in proportion to `weights`, largest remainder first (ties: earlier item)."""
    if total < 0:
        raise InvariantViolation("cannot split a negative amount")
    weight_sum = sum(Decimal(w) for w in weights)
    if any(Decimal(w) < 0 for w in weights):
        raise InvariantViolation("weights must not be negative")
    if weight_sum == 0:
        return [0] * len(weights)
    exact = [Decimal(total) * Decimal(w) / weight_sum for w in weights]
    parts = [int(x.to_integral_value(rounding=ROUND_FLOOR)) for x in exact]
    leftover = total - sum(parts)
    order = sorted(range(len(weights)), key=lambda i: (-(exact[i] - parts[i]), i))
    for i in order[:leftover]:
        parts[i] += 1
    if sum(parts) != total:
        raise InvariantViolation("split does not sum to its total")
    return parts
