from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.money import InvariantViolation, format_rupiah, split, to_rupiah


def test_rupiah_is_formatted_with_dots_in_indonesian_and_commas_in_english():
    assert format_rupiah(1234567) == "Rp 1.234.567"
    assert format_rupiah(1234567, "en") == "Rp 1,234,567"
    assert format_rupiah(0) == "Rp 0"
    assert format_rupiah(-1500) == "-Rp 1.500"


def test_float_money_is_refused():
    with pytest.raises(InvariantViolation):
        format_rupiah(1.5)  # type: ignore[arg-type]


def test_rounding_is_half_up_to_the_rupiah():
    assert to_rupiah(Decimal("1.5")) == 2
    assert to_rupiah(Decimal("2.5")) == 3
    assert to_rupiah(Decimal("-1.5")) == -2
    assert to_rupiah(Decimal("1.4999")) == 1


def test_shu_pools_of_the_worked_example_split_to_the_rupiah():
    weights = [30, 15, 25, 20, 4, 3, 2, 1]
    assert split(12_345_679, weights) == [
        3_703_704,
        1_851_852,
        3_086_420,
        2_469_136,
        493_827,
        370_370,
        246_913,
        123_457,
    ]


def test_jasa_modal_of_the_worked_example_gives_the_leftover_to_the_earlier_member():
    assert split(1_851_852, [500_000, 300_000, 300_000]) == [841_751, 505_051, 505_050]
    assert split(3_086_420, [2_000_000, 5_000_000, 0]) == [881_834, 2_204_586, 0]


@given(
    st.integers(min_value=0, max_value=10**13),
    st.lists(st.integers(min_value=0, max_value=10**9), min_size=1),
)
def test_a_split_always_sums_to_its_total_and_no_part_is_negative(total, weights):
    parts = split(total, weights)
    assert all(p >= 0 for p in parts)
    assert sum(parts) == (total if sum(weights) else 0)
