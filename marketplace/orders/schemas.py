"""Order forms: checkout, shipping, cancelling, refusing a proof; the platform's Kophub settings."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from marshmallow import ValidationError, fields, validate, validates_schema

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
    payout_hold_days = fields.Integer(
        load_default=None, validate=validate.Range(min=0, max=60, error=_l("Harus 0 sampai 60."))
    )
    return_window_days = fields.Integer(
        load_default=None, validate=validate.Range(min=1, max=30, error=_l("Harus 1 sampai 30."))
    )


class ReturnRequestSchema(FormSchema):
    """A buyer's return: one quantity per order line (0 = keep it), in the order of `line_id`."""

    line_id = fields.List(fields.Integer(), required=True)
    quantity = fields.List(
        fields.Integer(validate=validate.Range(min=0, max=1_000_000, error=_l("Harus 0 atau lebih."))),
        required=True,
    )
    reason = Trimmed(required=True, validate=validate.Length(max=300, error=_l("Maksimal 300 karakter.")))

    @validates_schema
    def _one_quantity_per_line(self, data: dict, **kwargs: object) -> None:
        if len(data["line_id"]) != len(data["quantity"]):
            raise ValidationError(
                {"quantity": [str(_l("Isi jumlah setiap barang (0 bila tidak dikembalikan)."))]}
            )


class ReturnDecisionSchema(FormSchema):
    disposition = fields.String(
        required=True,
        validate=validate.OneOf(["stok", "hapus"], error=_l("Pilih: kembali ke stok atau dihapus.")),
    )


class RefundReferenceSchema(FormSchema):
    reference = Trimmed(required=True, validate=validate.Length(max=80, error=_l("Maksimal 80 karakter.")))
