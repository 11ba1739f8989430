"""Repayment schedules as pure functions: flat, efektif (declining balance) and anuitas.

Invariants (DOMAIN.md §10): every amount is whole rupiah; interest of each period is rounded
ROUND_HALF_UP; principal always sums to the loan exactly (the last period takes the residue);
no installment, principal or interest is negative.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal, localcontext
from enum import StrEnum

from core.money import InvariantViolation, to_rupiah


class Method(StrEnum):
    FLAT = "flat"
    EFEKTIF = "efektif"
    ANUITAS = "anuitas"


class Frequency(StrEnum):
    MONTHLY = "bulanan"
    WEEKLY = "mingguan"


@dataclass(frozen=True)
class Installment:
    number: int
    due_date: date
    pokok: int
    bunga: int

    @property
    def angsuran(self) -> int:
        return self.pokok + self.bunga


def period_rate(rate_per_month: Decimal, frequency: Frequency) -> Decimal:
    """The rate of one period: the monthly rate itself, or a week's share of a year (×12/52)."""
    if frequency is Frequency.MONTHLY:
        return rate_per_month
    with localcontext() as ctx:
        ctx.prec = 40
        return rate_per_month * 12 / 52


def add_months(start: date, months: int) -> date:
    """Same day `months` later, clamped to the month's last day (31 Jan + 1 → 28/29 Feb)."""
    month_index = start.month - 1 + months
    year, month = start.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(start.day, calendar.monthrange(year, month)[1]))


def due_date(start: date, number: int, frequency: Frequency) -> date:
    if frequency is Frequency.MONTHLY:
        return add_months(start, number)
    return start + timedelta(weeks=number)


def annuity_payment(principal: int, rate: Decimal, n: int) -> int:
    """A = round(P·r / (1 − (1 + r)^−n)); with r = 0 simply P / n rounded."""
    if rate == 0:
        return to_rupiah(Decimal(principal) / n)
    with localcontext() as ctx:
        ctx.prec = 40
        return to_rupiah(principal * rate / (1 - (1 + rate) ** -n))


def build_schedule(
    principal: int,
    rate_per_month: Decimal,
    n: int,
    method: Method,
    start: date,
    frequency: Frequency = Frequency.MONTHLY,
) -> list[Installment]:
    """The `n` installments of a loan of `principal` rupiah disbursed on `start`."""
    if principal <= 0 or n <= 0 or rate_per_month < 0:
        raise InvariantViolation("a schedule needs a positive principal and tenor, rate ≥ 0")
    rate = period_rate(rate_per_month, frequency)
    flat_pokok = principal // n
    annuity = annuity_payment(principal, rate, n) if method is Method.ANUITAS else 0
    outstanding = principal
    rows: list[Installment] = []
    for number in range(1, n + 1):
        last = number == n
        if method is Method.FLAT:
            bunga = to_rupiah(principal * rate)
            pokok = outstanding if last else flat_pokok
        elif method is Method.EFEKTIF:
            bunga = to_rupiah(outstanding * rate)
            pokok = outstanding if last else flat_pokok
        else:
            bunga = to_rupiah(outstanding * rate)
            pokok = outstanding if last else min(max(annuity - bunga, 0), outstanding)
        outstanding -= pokok
        rows.append(Installment(number, due_date(start, number, frequency), pokok, bunga))
    if outstanding != 0 or sum(r.pokok for r in rows) != principal:
        raise InvariantViolation("schedule principal does not sum to the loan")
    return rows
