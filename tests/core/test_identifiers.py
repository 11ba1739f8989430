from datetime import date

import pytest
from marshmallow import ValidationError

from core.identifiers import normalize_bank_account, normalize_nib, normalize_npwp, validate_nik

KNOWN = {"32.04.12", "33.07.07"}.__contains__
TODAY = date(2026, 1, 15)


def test_a_man_s_nik_gives_his_district_and_birth_date():
    info = validate_nik("3204120501900002", district_exists=KNOWN, today=TODAY)
    assert (info.district_code, info.birth_date, info.female) == ("32.04.12", date(1990, 1, 5), False)


def test_a_woman_s_nik_has_forty_added_to_the_day():
    info = validate_nik("32.04.12 450190 0001", district_exists=KNOWN, today=TODAY)
    assert (info.nik, info.birth_date, info.female) == ("3204124501900001", date(1990, 1, 5), True)


def test_a_two_digit_year_after_this_year_is_last_century():
    assert validate_nik("3204120101300001", district_exists=KNOWN, today=TODAY).birth_date == date(1930, 1, 1)
    assert validate_nik("3204120101050001", district_exists=KNOWN, today=TODAY).birth_date == date(2005, 1, 1)


@pytest.mark.parametrize(
    ("nik", "message"),
    [
        ("320412050190000", "16 angka"),
        ("32041205019000AB", "16 angka"),
        ("3204123201900001", "Tanggal lahir"),  # day 32
        ("3204127201900001", "Tanggal lahir"),  # day 72 (woman's 32)
        ("3204120513900001", "Tanggal lahir"),  # month 13
        ("3204123002900001", "Tanggal lahir"),  # 30 February
        ("3204120501900000", "0000"),
        ("9904120501900001", "kecamatan"),
    ],
)
def test_an_invalid_nik_is_refused_with_the_reason(nik, message):
    with pytest.raises(ValidationError, match=message):
        validate_nik(nik, district_exists=KNOWN, today=TODAY)


def test_nib_npwp_and_bank_account_formats():
    assert normalize_nib("1234 5678 90123") == "1234567890123"
    assert normalize_npwp("01.234.567.8-901.234") == "0012345678901234"
    assert normalize_npwp("0012345678901234") == "0012345678901234"
    assert normalize_bank_account("0123-01-000456-50-9") == "012301000456509"
    for bad, check in (
        ("123", normalize_nib),
        ("12345678901234", normalize_npwp),
        ("12AB34", normalize_bank_account),
    ):
        with pytest.raises(ValidationError):
            check(bad)
