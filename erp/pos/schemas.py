"""The edges of the counter: the forms a kasir and a supervisor fill in, and the sale as JSON."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from marshmallow import Schema, fields, validate

from core.schemas import FormSchema, Trimmed
from erp.ledger.schemas import Rupiah
from erp.pos.models import DENOMINATIONS

_KEY = validate.Regexp(r"^[A-Za-z0-9_\-]{8,64}$", error=_l("Formulir tidak sah; muat ulang halaman."))
_QTY = validate.Range(min=1, max=10_000, error=_l("Jumlah harus 1 sampai 10.000."))


class AddLineSchema(FormSchema):
    code = Trimmed(required=True, validate=validate.Length(max=40, error=_l("Kode terlalu panjang.")))
    quantity = fields.Integer(load_default=1, validate=_QTY)


class LineDiscountSchema(FormSchema):
    discount = Rupiah(required=True)


_HOLDER = validate.Length(max=24, error=_l("NIK atau nomor KK harus 16 angka."))


class QuotaSchema(FormSchema):
    """The buyer of subsidised goods: a member (whose NIK and KK are on record), or the farmer's NIK
    and the household's KK typed at the counter."""

    member_number = Trimmed(load_default=None, validate=validate.Length(max=40))
    quota_nik = Trimmed(load_default=None, validate=_HOLDER)
    quota_kk = Trimmed(load_default=None, validate=_HOLDER)


class PaySchema(FormSchema):
    """Each way of paying has its own amount; a single cash payment may leave the amount empty."""

    idempotency_key = fields.String(required=True, validate=_KEY)
    member_number = Trimmed(load_default=None, validate=validate.Length(max=40))
    quota_nik = Trimmed(load_default=None, validate=_HOLDER)
    quota_kk = Trimmed(load_default=None, validate=_HOLDER)
    basket_discount = Rupiah(load_default=0)
    tunai = Rupiah(load_default=None)
    qris = Rupiah(load_default=None)
    qris_reference = Trimmed(load_default=None, validate=validate.Length(max=60))
    transfer = Rupiah(load_default=None)
    transfer_reference = Trimmed(load_default=None, validate=validate.Length(max=60))
    kredit = Rupiah(load_default=None)
    supervisor_id = fields.Integer(load_default=None)
    pin = fields.String(load_default=None, validate=validate.Length(max=12))


class OpenShiftSchema(FormSchema):
    opening_float = Rupiah(required=True)


# one count per note or coin (d100000 … d100), how many pieces are in the drawer
CloseShiftSchema = FormSchema.from_dict(
    {
        **{
            f"d{value}": fields.Integer(
                load_default=0,
                validate=validate.Range(min=0, max=100_000, error=_l("Jumlah keping 0 sampai 100.000.")),
            )
            for value in DENOMINATIONS
        },
        "note": Trimmed(load_default=None, validate=validate.Length(max=200)),
    },
    name="CloseShiftSchema",
)


class ApprovalSchema(FormSchema):
    idempotency_key = fields.String(required=True, validate=_KEY)
    reason = Trimmed(
        required=True, validate=validate.Length(max=200, error=_l("Paling banyak 200 karakter."))
    )
    supervisor_id = fields.Integer(required=True, error_messages={"required": _l("Pilih supervisor.")})
    pin = fields.String(required=True, validate=validate.Length(max=12))


class PinSchema(FormSchema):
    pin = fields.String(
        required=True, validate=validate.Regexp(r"^[0-9]{6}$", error=_l("PIN harus 6 angka."))
    )
    pin_again = fields.String(required=True)
    password = fields.String(required=True)


class RepaySchema(FormSchema):
    idempotency_key = fields.String(required=True, validate=_KEY)
    amount = Rupiah(required=True, validate=validate.Range(min=1, error=_l("Harus lebih dari nol.")))
    method = fields.String(
        required=True, validate=validate.OneOf(["tunai", "qris", "transfer"], error=_l("Pilih cara bayar."))
    )
    reference = Trimmed(load_default=None, validate=validate.Length(max=60))


class CreditLimitSchema(FormSchema):
    credit_limit = Rupiah(load_default=None)


class SettingsSchema(FormSchema):
    default_credit_limit = Rupiah(required=True)
    receipt_width = fields.Integer(
        required=True, validate=validate.OneOf([58, 80], error=_l("Pilih 58 atau 80 mm."))
    )


class SaleOutSchema(Schema):
    id = fields.Integer()
    shift_id = fields.Integer(allow_none=True)
    sold_on = fields.Date()
    member_id = fields.Integer(allow_none=True)
    total = fields.Integer()
    discount = fields.Integer()
    payment_method = fields.String()
    paid = fields.Integer()
    change = fields.Integer()
    payment_reference = fields.String(allow_none=True)
    ppn_rate = fields.Integer(allow_none=True)  # basis points; null: not a PKP sale
    ppn_base = fields.Integer()
    ppn = fields.Integer()
