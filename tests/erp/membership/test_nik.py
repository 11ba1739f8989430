"""NIK rules as properties: any NIK built from a real district, a real birth date and a serial from
0001 is accepted and read back; anything else is refused with a message."""

from __future__ import annotations

from datetime import date

from hypothesis import given
from hypothesis import strategies as st

from core.identifiers import nik_problems, read_nik
from tests.erp.membership.factories import make_nik

KNOWN = {"32.04.12", "33.07.07"}
births = st.dates(min_value=date(1926, 1, 1), max_value=date(2024, 12, 31))
genders = st.sampled_from(["L", "P"])
serials = st.integers(min_value=1, max_value=9999)


def exists(code: str) -> bool:
    return code in KNOWN


@given(births, genders, serials)
def test_a_nik_of_a_real_birth_date_is_read_back_with_gender_and_date(born, gender, serial):
    nik = make_nik(born, gender, serial=serial)
    facts = read_nik(nik, today=date(2025, 6, 1))
    assert facts is not None
    assert facts.gender == gender
    assert (facts.birth_date.day, facts.birth_date.month, facts.birth_date.year % 100) == (
        born.day,
        born.month,
        born.year % 100,
    )
    assert facts.district_code == "32.04.12"
    assert nik_problems(nik, born, gender, exists) == []


@given(births, serials)
def test_a_woman_s_nik_read_as_a_man_s_is_refused(born, serial):
    nik = make_nik(born, "P", serial=serial)
    assert nik_problems(nik, born, "L", exists)


@given(st.text(max_size=20).filter(lambda s: not (len(s) == 16 and s.isascii() and s.isdigit())))
def test_anything_but_sixteen_digits_is_refused(text):
    assert nik_problems(text, None, None, exists)


@given(st.integers(min_value=32, max_value=40) | st.integers(min_value=72, max_value=99), serials)
def test_a_day_outside_1_31_and_41_71_is_refused(day, serial):
    nik = f"320412{day:02d}0190{serial:04d}"
    assert read_nik(nik) is None
    assert nik_problems(nik, None, None, exists)


@given(st.integers(min_value=13, max_value=99), serials)
def test_a_month_outside_1_12_is_refused(month, serial):
    assert read_nik(f"32041215{month:02d}90{serial:04d}") is None


def test_serial_0000_is_refused():
    assert read_nik("3204121501900000") is None


def test_30_february_is_refused():
    assert read_nik("3204123002900001") is None


@given(births, genders)
def test_an_unknown_district_is_refused(born, gender):
    nik = make_nik(born, gender, district="999999")
    problems = nik_problems(nik, born, gender, exists)
    assert any("99.99.99" in str(p) for p in problems)


@given(births, genders, births)
def test_a_nik_disagreeing_with_the_birth_date_is_refused(born, gender, other):
    nik = make_nik(born, gender)
    agrees = (born.day, born.month, born.year % 100) == (other.day, other.month, other.year % 100)
    assert (nik_problems(nik, other, gender, exists) == []) == agrees
