"""Buyer forms: signing up, the buyer profile, a delivery address, a cart line."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from marshmallow import fields, validate

from core.identifiers import Npwp
from core.schemas import Email, FormSchema, Phone, Trimmed, password_field
from marketplace.buyers.models import BuyerKind

KINDS = [k.value for k in BuyerKind]


class ProfileSchema(FormSchema):
    kind = fields.String(required=True, validate=validate.OneOf(KINDS))
    company_name = Trimmed(load_default=None, validate=validate.Length(max=160))
    npwp = Npwp(load_default=None)


class SignUpSchema(ProfileSchema):
    name = Trimmed(required=True, validate=validate.Length(max=120))
    email = Email(load_default=None)
    phone = Phone(load_default=None)
    password = password_field()


class AddressSchema(FormSchema):
    label = Trimmed(required=True, validate=validate.Length(max=40))
    recipient = Trimmed(required=True, validate=validate.Length(max=120))
    phone = Phone(required=True)
    street = Trimmed(required=True, validate=validate.Length(max=300))
    village_code = fields.String(load_default=None)
    postal_code = fields.String(
        load_default=None, validate=validate.Regexp(r"^[0-9]{5}$", error=_l("Kode pos 5 angka."))
    )


class CartLineSchema(FormSchema):
    cooperative_id = fields.Integer(load_default=None, strict=False)
    listing_id = fields.Integer(required=True, validate=validate.Range(min=1, max=2**62))
    quantity = fields.Integer(
        required=True, validate=validate.Range(min=1, max=100_000, error=_l("Jumlah harus 1 sampai 100.000."))
    )
