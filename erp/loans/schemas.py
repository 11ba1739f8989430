"""The edges of loans: a product's settings, an application, a decision, a repayment at the desk
(whole rupiah above zero, with the idempotency key of the form that was shown), and loans and
installments out."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from marshmallow import Schema, fields, validate

from core.schemas import FormSchema, Trimmed
from erp.ledger.schemas import Rupiah
from erp.loans.models import BankName, PrepaymentInterest
from erp.loans.schedule import Frequency, Method

_POSITIVE = validate.Range(min=1, error=_l("Jumlah harus lebih dari nol."))
_PERCENT = validate.Range(min=0, max=100, error=_l("Antara 0 dan 100 persen."))
_TENOR = validate.Range(min=1, max=360, error=_l("Antara 1 dan 360 angsuran."))


def _percent(required: bool = True) -> fields.Decimal:
    if required:
        return fields.Decimal(required=True, places=4, validate=_PERCENT)
    return fields.Decimal(load_default=None, places=4, validate=_PERCENT)


class ProductSchema(FormSchema):
    code = Trimmed(required=True, validate=validate.Length(max=20, error=_l("Paling banyak 20 karakter.")))
    name = Trimmed(required=True, validate=validate.Length(max=80, error=_l("Paling banyak 80 karakter.")))
    method = fields.String(
        required=True,
        validate=validate.OneOf([m.value for m in Method], error=_l("Pilih metode bunga.")),
    )
    frequency = fields.String(
        load_default=Frequency.MONTHLY.value,
        validate=validate.OneOf([f.value for f in Frequency], error=_l("Pilih frekuensi angsuran.")),
    )
    rate_per_month = _percent()
    min_tenor = fields.Integer(load_default=1, validate=_TENOR)
    max_tenor = fields.Integer(required=True, validate=_TENOR)
    provisi_rate = fields.Decimal(load_default=0, places=4, validate=_PERCENT)
    admin_rate = fields.Decimal(load_default=0, places=4, validate=_PERCENT)
    denda_rate_per_day = fields.Decimal(load_default=0, places=4, validate=_PERCENT)
    grace_days = fields.Integer(
        load_default=0, validate=validate.Range(min=0, max=90, error=_l("Antara 0 dan 90 hari."))
    )
    max_amount = Rupiah(required=True, validate=_POSITIVE)
    savings_multiple = fields.Decimal(
        load_default=None,
        places=2,
        validate=validate.Range(
            min=0, min_inclusive=False, max=1000, error=_l("Kelipatan harus di atas nol.")
        ),
    )
    second_approval_above = Rupiah(load_default=25_000_000, validate=_POSITIVE)
    active = fields.Boolean(load_default=False)
    prepayment_interest = fields.String(
        load_default=PrepaymentInterest.HARIAN.value,
        validate=validate.OneOf(
            [p.value for p in PrepaymentInterest], error=_l("Pilih aturan jasa pelunasan dipercepat.")
        ),
    )


class ApplicationSchema(FormSchema):
    member_id = fields.Integer(required=True, error_messages={"required": _l("Pilih anggota.")})
    product_id = fields.Integer(required=True, error_messages={"required": _l("Pilih produk.")})
    amount = Rupiah(required=True, validate=_POSITIVE)
    tenor = fields.Integer(required=True, validate=_TENOR)
    purpose = Trimmed(
        required=True, validate=validate.Length(max=200, error=_l("Paling banyak 200 karakter."))
    )


class RefusalSchema(FormSchema):
    reason = Trimmed(
        required=True,
        validate=validate.Length(max=300, error=_l("Paling banyak 300 karakter.")),
        error_messages={"required": _l("Alasan penolakan wajib diisi.")},
    )


class RepaymentSchema(FormSchema):
    amount = Rupiah(required=True, validate=_POSITIVE)
    idempotency_key = fields.String(
        required=True,
        validate=validate.Regexp(
            r"^[A-Za-z0-9_\-]{8,64}$", error=_l("Formulir tidak sah; muat ulang halaman.")
        ),
    )


class InstallmentOutSchema(Schema):
    number = fields.Integer()
    due_date = fields.Date()
    pokok = fields.Integer()
    bunga = fields.Integer()
    angsuran = fields.Integer()
    paid_pokok = fields.Integer()
    paid_bunga = fields.Integer()
    paid_denda = fields.Integer()


class LoanOutSchema(Schema):
    id = fields.Integer()
    member_id = fields.Integer()
    product_id = fields.Integer()
    amount = fields.Integer()
    tenor = fields.Integer()
    purpose = fields.String()
    status = fields.String()
    method = fields.String()
    rate_per_month = fields.Decimal(as_string=True)
    outstanding_pokok = fields.Integer()
    applied_on = fields.Date()
    disbursed_on = fields.Date(allow_none=True)


class RepaymentOutSchema(Schema):
    id = fields.Integer()
    loan_id = fields.Integer()
    amount = fields.Integer()
    denda = fields.Integer()
    bunga = fields.Integer()
    pokok = fields.Integer()
    paid_on = fields.Date()
    journal_entry_id = fields.Integer(allow_none=True)


_KEY = validate.Regexp(r"^[A-Za-z0-9_\-]{8,64}$", error=_l("Formulir tidak sah; muat ulang halaman."))


class PayoffSchema(FormSchema):
    idempotency_key = fields.String(required=True, validate=_KEY)


class PartialPrepaymentSchema(FormSchema):
    amount = Rupiah(required=True, validate=_POSITIVE)
    mode = fields.String(
        required=True,
        validate=validate.OneOf(
            ("tenor", "angsuran"), error=_l("Pilih: tenor lebih pendek atau angsuran lebih kecil.")
        ),
        error_messages={"required": _l("Pilih: tenor lebih pendek atau angsuran lebih kecil.")},
    )
    idempotency_key = fields.String(required=True, validate=_KEY)


class RestructureSchema(FormSchema):
    tenor = fields.Integer(required=True, validate=_TENOR)
    rate_per_month = _percent()
    method = fields.String(
        required=True, validate=validate.OneOf([m.value for m in Method], error=_l("Pilih metode bunga."))
    )
    reason = Trimmed(
        required=True,
        validate=validate.Length(min=1, max=300, error=_l("Alasan wajib diisi, paling banyak 300 karakter.")),
        error_messages={"required": _l("Alasan wajib diisi.")},
    )


class ReasonSchema(FormSchema):
    reason = Trimmed(
        required=True,
        validate=validate.Length(min=1, max=300, error=_l("Alasan wajib diisi, paling banyak 300 karakter.")),
        error_messages={"required": _l("Alasan wajib diisi.")},
    )


class BankLoanSchema(FormSchema):
    bank = fields.String(
        required=True,
        validate=validate.OneOf([b.value for b in BankName], error=_l("Pilih bank Himbara.")),
        error_messages={"required": _l("Pilih bank Himbara.")},
    )
    contract_number = Trimmed(
        required=True, validate=validate.Length(min=1, max=60, error=_l("Paling banyak 60 karakter."))
    )
    purpose = Trimmed(
        required=True, validate=validate.Length(min=1, max=200, error=_l("Paling banyak 200 karakter."))
    )
    amount = Rupiah(required=True, validate=_POSITIVE)
    rate_per_year = _percent()
    tenor = fields.Integer(required=True, validate=_TENOR)
    grace_months = fields.Integer(
        load_default=0, validate=validate.Range(min=0, max=359, error=_l("Antara 0 dan 359 bulan."))
    )
    method = fields.String(
        required=True, validate=validate.OneOf([m.value for m in Method], error=_l("Pilih metode bunga."))
    )
    signed_on = fields.Date(required=True, error_messages={"invalid": _l("Tanggal tidak sah.")})


class BankPaymentSchema(FormSchema):
    amount = Rupiah(required=True, validate=_POSITIVE)
    idempotency_key = fields.String(required=True, validate=_KEY)


class BankReceiptSchema(FormSchema):
    received_on = fields.Date(load_default=None, error_messages={"invalid": _l("Tanggal tidak sah.")})
