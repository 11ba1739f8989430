"""The register's edges: an application (form, JSON or one row of an import), decisions on it, and
members out. A NIK is 16 digits: the district of first registration (PP.KK.CC, which must exist),
the birth date as DDMMYY with 40 added to the day for women, and a serial from 0001; it must agree
with the birth date and gender given beside it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask_babel import lazy_gettext as _l
from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from core.identifiers import nik_problems
from core.schemas import FormSchema, Phone, Trimmed


def _digits16(message: Any) -> validate.Regexp:
    return validate.Regexp(r"^[0-9]{16}$", error=message)


class MemberSchema(FormSchema):
    """An application to join, or one row of an import. `district_exists` checks NIK regions (a set
    lookup during an import, a query otherwise); `village_exists` the address's village."""

    nik = Trimmed(required=True)
    kk_number = Trimmed(required=True, validate=_digits16(_l("Nomor KK harus 16 angka.")))
    name = Trimmed(required=True, validate=validate.Length(max=120, error=_l("Paling banyak 120 karakter.")))
    birth_place = Trimmed(
        required=True, validate=validate.Length(max=80, error=_l("Paling banyak 80 karakter."))
    )
    birth_date = fields.Date(required=True)
    gender = fields.String(required=True, validate=validate.OneOf(("L", "P"), error=_l("Pilih L atau P.")))
    address = Trimmed(
        required=True, validate=validate.Length(max=300, error=_l("Paling banyak 300 karakter."))
    )
    village_code = Trimmed(required=True)
    phone = Phone(load_default=None)
    occupation = Trimmed(
        load_default=None, validate=validate.Length(max=80, error=_l("Paling banyak 80 karakter."))
    )

    def __init__(
        self,
        *args: Any,
        district_exists: Callable[[str], bool] | None = None,
        village_exists: Callable[[str], bool] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.district_exists = district_exists or _region_exists
        self.village_exists = village_exists or _region_exists

    @validates_schema(skip_on_field_errors=False)
    def _nik_agrees(self, data: dict[str, Any], **kwargs: Any) -> None:
        errors: dict[str, list[Any]] = {}
        if "nik" in data:
            problems = nik_problems(
                data["nik"], data.get("birth_date"), data.get("gender"), self.district_exists
            )
            if problems:
                errors["nik"] = problems
        village = data.get("village_code")
        if village is not None and (village.count(".") != 3 or not self.village_exists(village)):
            errors["village_code"] = [_l("Kode desa/kelurahan tidak dikenal (contoh: 32.04.12.2003).")]
        if errors:
            raise ValidationError(errors)


def _region_exists(code: str) -> bool:
    from tenants import regions

    return regions.get(code) is not None


class RefusalSchema(FormSchema):
    reason = Trimmed(
        required=True, validate=validate.Length(max=300, error=_l("Paling banyak 300 karakter."))
    )


class ReasonSchema(FormSchema):
    reason = Trimmed(
        required=True, validate=validate.Length(max=300, error=_l("Paling banyak 300 karakter."))
    )
    on = fields.Date(load_default=None)


class DeathSchema(FormSchema):
    heir_name = Trimmed(
        required=True, validate=validate.Length(max=120, error=_l("Paling banyak 120 karakter."))
    )
    heir_nik = Trimmed(load_default=None, validate=_digits16(_l("NIK ahli waris harus 16 angka.")))
    on = fields.Date(required=True)


class PortalAccessSchema(FormSchema):
    pin = fields.String(
        required=True, validate=validate.Regexp(r"^[0-9]{6}$", error=_l("PIN harus 6 angka."))
    )


class MemberOutSchema(Schema):
    """A member as the API and the member's own download show it (full data: audited by callers)."""

    id = fields.Integer()
    member_number = fields.String(allow_none=True)
    nik = fields.String()
    kk_number = fields.String()
    name = fields.String()
    birth_place = fields.String()
    birth_date = fields.Date()
    gender = fields.String()
    address = fields.String()
    village_code = fields.String()
    phone = fields.String(allow_none=True)
    occupation = fields.String(allow_none=True)
    status = fields.String()
    joined_on = fields.Date(allow_none=True)
    left_on = fields.Date(allow_none=True)


class MemberSummarySchema(Schema):
    """A member as lists show them: personal numbers masked."""

    id = fields.Integer()
    member_number = fields.String(allow_none=True)
    name = fields.String()
    nik = fields.Function(lambda m: mask_nik(m.nik))
    status = fields.String()


def mask_nik(nik: str | None) -> str:
    """`3204124101900001` → `320412••••••0001`: the region stays, the birth date is hidden."""
    if not nik:
        return ""
    return nik[:6] + "•" * (len(nik) - 10) + nik[-4:]
