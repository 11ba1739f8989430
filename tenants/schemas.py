"""Input and output schemas of the cooperative registry."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask_babel import lazy_gettext as _l
from marshmallow import Schema, ValidationError, fields, pre_load, validate, validates_schema

from core.identifiers import BankAccount, Nib, Nik, Npwp
from core.schemas import Email, FormSchema, Phone, Trimmed, password_field
from tenants.models import (
    COOPERATIVE_ROLES,
    FORMATION_MODELS,
    OFFICER_POSITIONS,
    STAGES,
    UNIT_STATUSES,
    UNIT_TYPES,
)

VILLAGE_CODE = validate.Regexp(
    r"^\d{2}\.\d{2}\.\d{2}\.\d{4}$", error=_l("Kode desa tidak sah (contoh 32.04.12.2003).")
)


class CooperativeCreateSchema(FormSchema):
    village_code = fields.String(required=True, validate=VILLAGE_CODE)
    name = Trimmed(
        load_default=None, validate=validate.Length(min=5, max=160, error=_l("Nama koperasi 5–160 karakter."))
    )


def _not_future(value: date) -> None:
    if value > date.today():
        raise ValidationError(str(_l("Tanggal tidak boleh di masa depan.")))


def _past_date(**kwargs: object) -> fields.Date:
    return fields.Date(validate=_not_future, **kwargs)  # type: ignore[arg-type]


class SignUpSchema(FormSchema):
    name = Trimmed(required=True, validate=validate.Length(min=2, max=120, error=_l("Nama 2–120 karakter.")))
    email = Email(load_default=None)
    phone = Phone(load_default=None)
    password = password_field()

    @validates_schema
    def _contact(self, data: dict[str, Any], **kwargs: Any) -> None:
        if not data.get("email") and not data.get("phone"):
            raise ValidationError(_l("Isi e-mail atau nomor HP."), "email")


class ProfileSchema(FormSchema):
    name = Trimmed(
        load_default=None, validate=validate.Length(min=5, max=160, error=_l("Nama koperasi 5–160 karakter."))
    )
    formation_model = fields.String(
        required=True, validate=validate.OneOf(FORMATION_MODELS, error=_l("Pilih model pembentukan."))
    )
    address = Trimmed(
        load_default=None, validate=validate.Length(max=300, error=_l("Alamat paling panjang 300 karakter."))
    )
    phone = Phone(load_default=None)
    email = Email(load_default=None)
    founded_on = _past_date(load_default=None)


class RegistrationSchema(ProfileSchema):
    village_code = fields.String(required=True, validate=VILLAGE_CODE)


AHU_NUMBER = validate.Regexp(
    r"^AHU-[0-9A-Z][0-9A-Z.\- ]{3,70}$",
    error=_l("Nomor badan hukum diawali AHU- (contoh AHU-0012345.AH.01.29.TAHUN 2025)."),
)


class PercentInBasisPoints(fields.Decimal):
    """A percentage typed with a decimal comma or point ("11", "11,5"), loaded as whole basis points
    (1100, 1150); more than two decimals is refused rather than rounded."""

    default_error_messages = {"invalid": _l("Harus berupa angka persen (contoh: 11 atau 11,5).")}

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> int:  # type: ignore[override]
        if isinstance(value, str):
            value = value.strip().replace(",", ".").rstrip("%").strip()
        percent = super()._deserialize(value, attr, data, **kwargs)
        points = percent * 100
        if points != points.to_integral_value():
            raise ValidationError(_l("Paling banyak dua angka di belakang koma."))
        return int(points)


class LegalDataSchema(FormSchema):
    ahu_number = Trimmed(load_default=None, validate=AHU_NUMBER)
    ahu_date = _past_date(load_default=None)
    nib = Nib(load_default=None)
    npwp = Npwp(load_default=None)
    bank_name = Trimmed(load_default=None, validate=validate.Length(max=60))
    bank_account = BankAccount(load_default=None)
    bank_account_name = Trimmed(load_default=None, validate=validate.Length(max=160))
    pkp = fields.Boolean(load_default=False)
    pkp_since = fields.Date(load_default=None, error_messages={"invalid": _l("Tanggal tidak sah.")})
    ppn_rate = PercentInBasisPoints(load_default=None)

    @validates_schema
    def _pairs(self, data: dict[str, Any], **kwargs: Any) -> None:
        if data.get("ahu_number") and not data.get("ahu_date"):
            raise ValidationError(_l("Isi tanggal SK badan hukum."), "ahu_date")
        if data.get("ahu_date") and not data.get("ahu_number"):
            raise ValidationError(_l("Isi nomor SK badan hukum."), "ahu_number")
        if data.get("bank_account") and not data.get("bank_name"):
            raise ValidationError(_l("Isi nama bank."), "bank_name")

    @pre_load
    def _upper_ahu(self, data: Any, **kwargs: Any) -> Any:
        if isinstance(data, dict) and isinstance(data.get("ahu_number"), str):
            data = {**data, "ahu_number": data["ahu_number"].strip().upper()}
        return data


class OfficerSchema(FormSchema):
    position = fields.String(
        required=True, validate=validate.OneOf(OFFICER_POSITIONS, error=_l("Pilih jabatan."))
    )
    name = Trimmed(required=True, validate=validate.Length(min=2, max=120, error=_l("Nama 2–120 karakter.")))
    nik = Nik(required=True)


class OfficerRemoveSchema(FormSchema):
    officer_id = fields.Integer(required=True)


class UnitsSchema(FormSchema):
    """`status_<unit>` and `started_<unit>` for each standard unit; an empty status drops it."""

    @validates_schema
    def _operating_has_date(self, data: dict[str, Any], **kwargs: Any) -> None:
        for unit in UNIT_TYPES:
            if data.get(f"status_{unit}") == "beroperasi" and not data.get(f"started_{unit}"):
                raise ValidationError(_l("Unit yang beroperasi perlu tanggal mulai."), f"started_{unit}")

    def units(self, data: dict[str, Any]) -> dict[str, tuple[str | None, date | None]]:
        return {u: (data.get(f"status_{u}"), data.get(f"started_{u}")) for u in UNIT_TYPES}


for _unit in UNIT_TYPES:
    UnitsSchema._declared_fields[f"status_{_unit}"] = fields.String(
        load_default=None, validate=validate.OneOf(UNIT_STATUSES, error=_l("Status tidak dikenal."))
    )
    UnitsSchema._declared_fields[f"started_{_unit}"] = fields.Date(load_default=None)


class StageSchema(FormSchema):
    held_on = _past_date(required=True)
    attendance = fields.Integer(
        load_default=None, validate=validate.Range(min=0, max=100000, error=_l("Jumlah hadir 0–100.000."))
    )
    notes = Trimmed(
        load_default=None,
        validate=validate.Length(max=2000, error=_l("Catatan paling panjang 2.000 karakter.")),
    )


STAGE_NAME = validate.OneOf(STAGES)


class ReviewSchema(FormSchema):
    decision = fields.String(required=True, validate=validate.OneOf(("verify", "return")))
    reason = Trimmed(
        load_default=None, validate=validate.Length(max=500, error=_l("Alasan paling panjang 500 karakter."))
    )

    @validates_schema
    def _reason(self, data: dict[str, Any], **kwargs: Any) -> None:
        if data.get("decision") == "return" and not data.get("reason"):
            raise ValidationError(_l("Tuliskan alasan pengembalian."), "reason")


class DirectoryQuerySchema(FormSchema):
    q = fields.String(load_default="", validate=validate.Length(max=80))
    region = fields.String(load_default=None, validate=validate.Regexp(r"^\d{2}(\.\d{2}){0,2}$"))
    regency = fields.String(load_default=None, validate=validate.Regexp(r"^\d{2}\.\d{2}$"))
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=1000))


class InvitationSchema(FormSchema):
    email = Email(load_default=None)
    phone = Phone(load_default=None)
    roles = fields.List(
        fields.String(validate=validate.OneOf(COOPERATIVE_ROLES, error=_l("Peran tidak dikenal."))),
        required=True,
        validate=validate.Length(min=1, error=_l("Pilih setidaknya satu peran.")),
    )

    @validates_schema
    def _contact(self, data: dict[str, Any], **kwargs: Any) -> None:
        if not data.get("email") and not data.get("phone"):
            raise ValidationError(_l("Isi e-mail atau nomor HP."), "email")


class RolesSchema(FormSchema):
    user_id = fields.Integer(required=True)
    roles = InvitationSchema._declared_fields["roles"]


class AcceptSchema(FormSchema):
    name = Trimmed(required=True, validate=validate.Length(min=2, max=120))
    password = password_field()


class RegionSchema(Schema):
    code = fields.String()
    name = fields.String()
    level = fields.Integer()
    kind = fields.String(allow_none=True)


class RegionPathSchema(Schema):
    code = fields.String()
    label = fields.String()


class RegionQuerySchema(Schema):
    parent = fields.String(load_default=None, validate=validate.Regexp(r"^\d{2}(\.\d{2}){0,2}$"))


class RegionSearchSchema(Schema):
    q = fields.String(required=True, validate=validate.Length(min=2, max=60))
    within = fields.String(load_default=None, validate=validate.Regexp(r"^\d{2}(\.\d{2}){0,2}$"))


class CooperativeSchema(Schema):
    id = fields.Integer()
    slug = fields.String()
    name = fields.String()
    village_code = fields.String()
    region = fields.String()
    created_at = fields.DateTime()


class StaffSchema(Schema):
    user_id = fields.Integer()
    name = fields.String()
    roles = fields.List(fields.String())


class InvitationOutSchema(Schema):
    id = fields.Integer()
    email = fields.String(allow_none=True)
    phone = fields.String(allow_none=True)
    roles = fields.List(fields.String())
    expires_at = fields.DateTime()
    link = fields.String()


class InvitationInSchema(InvitationSchema):
    class Meta:
        unknown = "raise"
