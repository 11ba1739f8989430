"""Order forms: checkout, shipping, cancelling, refusing a proof; the platform's Kophub settings."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from marshmallow import fields, validate

from core.schemas import FormSchema, Trimmed
from marketplace.orders.models import OrderStatus, PaymentMethod


class CheckoutSchema(FormSchema):
    address_id = fields.Integer(required=True, error_messages={"required": _l("Pilih alamat pengiriman.")})
    payment_method = fields.String(required=True, validate=validate.OneOf([m.value for m in PaymentMethod]))
    idempotency_key = fields.String(
        required=True,
        validate=validate.Regexp(
            r"^[A-Za-z0-9_\-]{8,64}$", error=_l("Kunci transaksi tidak sah; muat ulang halaman.")
        ),
    )


class ShipSchema(FormSchema):
    courier = Trimmed(required=True, validate=validate.Length(max=40))
    tracking_number = Trimmed(required=True, validate=validate.Length(max=60))


class ReasonSchema(FormSchema):
    reason = Trimmed(required=True, validate=validate.Length(max=200))


class StatusFilterSchema(FormSchema):
    status = fields.String(load_default=None, validate=validate.OneOf([s.value for s in OrderStatus]))


class SettingsSchema(FormSchema):
    fee_percent = fields.Decimal(
        required=True, places=2, validate=validate.Range(min=0, max=20, error=_l("Harus 0 sampai 20."))
    )
    payment_window_hours = fields.Integer(
        required=True, validate=validate.Range(min=1, max=168, error=_l("Harus 1 sampai 168."))
    )
