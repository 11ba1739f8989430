"""Input and output schemas of the cooperative registry."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from core.schemas import Email, FormSchema, Phone, Trimmed, password_field
from tenants.models import COOPERATIVE_ROLES

VILLAGE_CODE = validate.Regexp(
    r"^\d{2}\.\d{2}\.\d{2}\.\d{4}$", error=_l("Kode desa tidak sah (contoh 32.04.12.2003).")
)


class CooperativeCreateSchema(FormSchema):
    village_code = fields.String(required=True, validate=VILLAGE_CODE)
    name = Trimmed(
        load_default=None, validate=validate.Length(min=5, max=160, error=_l("Nama koperasi 5–160 karakter."))
    )


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
