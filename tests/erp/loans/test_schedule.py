from datetime import date
from decimal import Decimal
from itertools import pairwise

import pytest
from hypothesis import given
from hypothesis import strategies as st

from erp.loans.schedule import (
    Frequency,
    Method,
    add_months,
    annuity_payment,
    build_schedule,
)

P, N, R = 10_000_000, 12, Decimal("0.015")
START = date(2026, 1, 31)


def _row(rows, number):
    row = rows[number - 1]
    return (row.pokok, row.bunga, row.angsuran)


@pytest.mark.parametrize(
    ("method", "first", "second", "last", "total_bunga"),
    [
        (
            Method.FLAT,
            (833_333, 150_000, 983_333),
            (833_333, 150_000, 983_333),
            (833_337, 150_000, 983_337),
            1_800_000,
        ),
        (
            Method.EFEKTIF,
            (833_333, 150_000, 983_333),
            (833_333, 137_500, 970_833),
            (833_337, 12_500, 845_837),
            975_000,
        ),
        (
            Method.ANUITAS,
            (766_800, 150_000, 916_800),
            (778_302, 138_498, 916_800),
            (903_250, 13_549, 916_799),
            1_001_599,
        ),
    ],
)
def test_the_worked_example_of_domain_section_10_is_reproduced_to_the_rupiah(
    method, first, second, last, total_bunga
):
    rows = build_schedule(P, R, N, method, START)
    assert len(rows) == 12
    assert _row(rows, 1) == first
    assert _row(rows, 2) == second
    assert _row(rows, 12) == last
    assert sum(r.bunga for r in rows) == total_bunga
    assert sum(r.pokok for r in rows) == P


def test_the_annuity_of_the_worked_example_is_916_800():
    assert annuity_payment(P, R, N) == 916_800


def test_monthly_due_dates_clamp_to_the_end_of_short_months():
    rows = build_schedule(P, R, N, Method.FLAT, START)
    assert rows[0].due_date == date(2026, 2, 28)
    assert rows[1].due_date == date(2026, 3, 31)
    assert rows[11].due_date == date(2027, 1, 31)
    assert add_months(date(2027, 12, 15), 2) == date(2028, 2, 15)


def test_weekly_installments_fall_every_seven_days_at_a_weekly_rate():
    rows = build_schedule(1_000_000, R, 10, Method.EFEKTIF, date(2026, 1, 1), Frequency.WEEKLY)
    assert [r.due_date for r in rows[:2]] == [date(2026, 1, 8), date(2026, 1, 15)]
    # 1,5 % a month × 12 / 52 = 0,346 % a week
    assert rows[0].bunga == 3_462
    assert sum(r.pokok for r in rows) == 1_000_000


def test_a_zero_rate_loan_is_principal_only():
    for method in Method:
        rows = build_schedule(1_000, Decimal(0), 3, method, START)
        assert [r.pokok for r in rows] == [333, 333, 334]
        assert all(r.bunga == 0 for r in rows)


loans = st.tuples(
    st.integers(min_value=1, max_value=5_000_000_000),
    st.decimals(min_value=0, max_value=Decimal("0.1"), places=4),
    st.integers(min_value=1, max_value=120),
    st.sampled_from(list(Method)),
    st.sampled_from(list(Frequency)),
)


@given(loans)
def test_principal_always_sums_to_the_loan_and_nothing_is_negative(loan):
    principal, rate, n, method, frequency = loan
    rows = build_schedule(principal, rate, n, method, START, frequency)
    assert len(rows) == n
    assert sum(r.pokok for r in rows) == principal
    assert all(r.pokok >= 0 and r.bunga >= 0 and r.angsuran >= 0 for r in rows)
    assert [r.number for r in rows] == list(range(1, n + 1))
    assert all(a.due_date < b.due_date for a, b in pairwise(rows))
