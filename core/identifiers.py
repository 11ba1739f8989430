"""Indonesian identifiers: NIK, NIB, NPWP and bank account numbers, checked by their published
formats (DOMAIN.md §8), with marshmallow fields that normalise them for storage.

A NIK is 16 digits: the district of first registration (PP.KK.CC, which must exist in the official
region list), the birth date as DDMMYY with 40 added to the day for women, and a serial from 0001.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from flask_babel import lazy_gettext as _l
from marshmallow import ValidationError, fields

_SEPARATORS = re.compile(r"[\s.\-/]")
_SIXTEEN = re.compile(r"[0-9]{16}")


@dataclass(frozen=True)
class NikInfo:
    """What a valid NIK says about its holder."""

    nik: str
    district_code: str  # PP.KK.CC
    birth_date: date
    female: bool

    @property
    def gender(self) -> str:
        """`L` (laki-laki) or `P` (perempuan), as forms and the member register write it."""
        return "P" if self.female else "L"


def _district_exists(code: str) -> bool:
    from tenants import regions

    region = regions.get(code)
    return region is not None and region.level == 3


def nik_district(nik: str) -> str:
    return f"{nik[0:2]}.{nik[2:4]}.{nik[4:6]}"


def read_nik(nik: str, today: date | None = None) -> NikInfo | None:
    """What 16 NIK digits say about the holder, or None if they cannot be a NIK (format, date,
    serial). Two-digit years are read as the latest century that is not in the future."""
    if not isinstance(nik, str) or not _SIXTEEN.fullmatch(nik):
        return None
    day, month, yy, serial = int(nik[6:8]), int(nik[8:10]), int(nik[10:12]), int(nik[12:16])
    female = day > 40
    if female:
        day -= 40
    if serial == 0 or not 1 <= day <= 31 or not 1 <= month <= 12:
        return None
    today = today or date.today()
    year = 2000 + yy if 2000 + yy <= today.year else 1900 + yy
    try:
        born = date(year, month, day)
    except ValueError:
        return None
    if born > today:
        born = date(year - 100, month, day) if not (month == 2 and day == 29) else born
        if born > today:
            return None
    return NikInfo(nik, nik_district(nik), born, female)


def validate_nik(
    value: str, *, district_exists: Callable[[str], bool] | None = None, today: date | None = None
) -> NikInfo:
    """The facts encoded in `value` (separators allowed), or ValidationError with the reason.

    `district_exists` answers whether a `PP.KK.CC` code is a known district (default: the region
    table); pass `lambda code: True` where no database is at hand."""
    nik = _SEPARATORS.sub("", value or "")
    if not _SIXTEEN.fullmatch(nik):
        raise ValidationError(str(_l("NIK harus 16 angka.")))
    if nik[12:] == "0000":
        raise ValidationError(str(_l("Nomor urut NIK tidak boleh 0000.")))
    info = read_nik(nik, today)
    if info is None:
        raise ValidationError(
            str(_l("Tanggal lahir dalam NIK tidak sah (digit 7–12: HHBBTT, hari +40 untuk perempuan)."))
        )
    if not (district_exists or _district_exists)(info.district_code):
        raise ValidationError(
            str(
                _l(
                    "Kode wilayah NIK (%(code)s) tidak ada dalam daftar kecamatan resmi.",
                    code=info.district_code,
                )
            )
        )
    return info


def nik_problems(
    nik: str, birth_date: date | None, gender: str | None, district_exists: Callable[[str], bool]
) -> list[Any]:
    """Every reason why `nik` is not the NIK of a person born on `birth_date` of `gender` (L/P)."""
    if not isinstance(nik, str) or not _SIXTEEN.fullmatch(nik):
        return [_l("NIK harus 16 angka.")]
    info = read_nik(nik)
    if info is None:
        return [_l("NIK tidak sah: tanggal lahir (HHBBTT, perempuan +40) atau nomor urut keliru.")]
    problems: list[Any] = []
    if not district_exists(info.district_code):
        problems.append(_l("NIK tidak sah: kode wilayah %(code)s tidak dikenal.", code=info.district_code))
    if birth_date is not None and (birth_date.day, birth_date.month, birth_date.year % 100) != (
        info.birth_date.day,
        info.birth_date.month,
        info.birth_date.year % 100,
    ):
        problems.append(_l("NIK tidak cocok dengan tanggal lahir."))
    if gender is not None and gender != info.gender:
        problems.append(_l("NIK tidak cocok dengan jenis kelamin (perempuan: tanggal +40)."))
    return problems


def normalize_nib(value: str) -> str:
    """A NIB (Nomor Induk Berusaha from OSS-RBA): exactly 13 digits."""
    nib = _SEPARATORS.sub("", value or "")
    if not re.fullmatch(r"\d{13}", nib):
        raise ValidationError(str(_l("NIB harus 13 angka.")))
    return nib


def normalize_npwp(value: str) -> str:
    """An NPWP as 16 digits; the old 15-digit form (99.999.999.9-999.999) gains the leading 0."""
    npwp = _SEPARATORS.sub("", value or "")
    if not re.fullmatch(r"\d{15}|\d{16}", npwp):
        raise ValidationError(str(_l("NPWP harus 15 atau 16 angka.")))
    return npwp if len(npwp) == 16 else "0" + npwp


def normalize_bank_account(value: str) -> str:
    """A bank account number: digits only (spaces and dashes dropped), 5 to 20 of them."""
    account = _SEPARATORS.sub("", value or "")
    if not re.fullmatch(r"\d{5,20}", account):
        raise ValidationError(str(_l("Nomor rekening hanya angka (5–20 digit).")))
    return account


class _Normalised(fields.String):
    normalise: Callable[[str], Any]

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Any:
        return type(self).normalise(super()._deserialize(value, attr, data, **kwargs))


class Nik(fields.String):
    """A NIK field: validated (format, district, birth date) and loaded as its 16 digits."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        return validate_nik(super()._deserialize(value, attr, data, **kwargs)).nik


class Nib(_Normalised):
    normalise = staticmethod(normalize_nib)


class Npwp(_Normalised):
    normalise = staticmethod(normalize_npwp)


class BankAccount(_Normalised):
    normalise = staticmethod(normalize_bank_account)
