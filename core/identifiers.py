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


@dataclass(frozen=True)
class NikInfo:
    """What a valid NIK says about its holder."""

    nik: str
    district_code: str
    birth_date: date
    female: bool


def _district_exists(code: str) -> bool:
    from tenants import regions

    region = regions.get(code)
    return region is not None and region.level == 3


def validate_nik(
    value: str, *, district_exists: Callable[[str], bool] | None = None, today: date | None = None
) -> NikInfo:
    """The facts encoded in `value`, or ValidationError with an Indonesian message.

    `district_exists` answers whether a `PP.KK.CC` code is a known district (default: the region
    table); pass `lambda code: True` where no database is at hand."""
    nik = _SEPARATORS.sub("", value or "")
    if not re.fullmatch(r"\d{16}", nik):
        raise ValidationError(str(_l("NIK harus 16 angka.")))
    district = f"{nik[0:2]}.{nik[2:4]}.{nik[4:6]}"
    day, month, year2 = int(nik[6:8]), int(nik[8:10]), int(nik[10:12])
    female = day > 40
    if female:
        day -= 40
    today = today or date.today()
    year = 2000 + year2 if 2000 + year2 <= today.year else 1900 + year2
    try:
        birth = date(year, month, day)
    except ValueError:
        raise ValidationError(
            str(_l("Tanggal lahir dalam NIK tidak sah (digit 7–12: HHBBTT, hari +40 untuk perempuan)."))
        ) from None
    if birth > today:
        raise ValidationError(str(_l("Tanggal lahir dalam NIK ada di masa depan.")))
    if nik[12:] == "0000":
        raise ValidationError(str(_l("Nomor urut NIK tidak boleh 0000.")))
    if not (district_exists or _district_exists)(district):
        raise ValidationError(
            str(_l("Kode wilayah NIK (%(code)s) tidak ada dalam daftar kecamatan resmi.", code=district))
        )
    return NikInfo(nik, district, birth, female)


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
