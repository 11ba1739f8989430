"""The edges of purchasing: supplier, order, receipt, invoice and payment forms. Forms with rows
(order lines, received quantities) name each input `lines-<n>-<field>`; `rows_form` gathers them
into a list for the schema, and `flat_errors` names a row's errors `lines.<n>.<field>` as the
service does."""

from __future__ import annotations

import re
from typing import Any

from flask import request
from flask_babel import lazy_gettext as _l
from marshmallow import Schema, fields, validate

from core.schemas import FormSchema, Trimmed
from erp.ledger.schemas import Rupiah
from erp.purchasing.models import CreditReason, PaymentMethod, SupplierKind

_POSITIVE = validate.Range(min=1, error=_l("Harus lebih dari nol."))
_KEY = validate.Regexp(r"^[A-Za-z0-9_\-]{8,64}$", error=_l("Formulir tidak sah; muat ulang halaman."))
_ROW = re.compile(r"^lines-(\d{1,2})-([a-z_]+)$")
MAX_ROWS = 50


def _length(n: int) -> validate.Length:
    return validate.Length(max=n, error=_l("Paling banyak %(n)s karakter.", n=n))


class SupplierSchema(FormSchema):
    name = Trimmed(required=True, validate=_length(120))
    kind = Trimmed(
        required=True,
        validate=validate.OneOf([k.value for k in SupplierKind], error=_l("Pilihan tidak dikenal.")),
    )
    member_number = Trimmed(load_default=None, validate=_length(40))
    npwp = Trimmed(load_default=None, validate=_length(30))
    phone = Trimmed(load_default=None, validate=_length(30))
    address = Trimmed(load_default=None, validate=_length(200))
    bank_name = Trimmed(load_default=None, validate=_length(60))
    bank_account = Trimmed(load_default=None, validate=_length(30))
    payment_terms_days = fields.Integer(
        load_default=30, validate=validate.Range(min=0, max=365, error=_l("Tempo 0 sampai 365 hari."))
    )


class SupplierActiveSchema(FormSchema):
    active = fields.Boolean(required=True)


class OrderLineSchema(Schema):
    product_id = fields.Integer(required=True, strict=False)
    quantity = fields.Integer(
        required=True, validate=validate.Range(min=1, max=1_000_000, error=_l("Jumlah 1 sampai 1.000.000."))
    )
    unit = Trimmed(load_default=None, validate=_length(20))
    unit_price = Rupiah(required=True, validate=_POSITIVE)


class OrderSchema(Schema):
    supplier_id = fields.Integer(required=True, strict=False)
    expected_on = fields.Date(load_default=None)
    note = Trimmed(load_default=None, validate=_length(300))
    lines = fields.List(
        fields.Nested(OrderLineSchema),
        required=True,
        validate=validate.Length(min=1, max=MAX_ROWS, error=_l("Isi 1 sampai 50 baris barang.")),
    )


class ReceiveLineSchema(Schema):
    order_line_id = fields.Integer(load_default=None, strict=False)
    product_id = fields.Integer(load_default=None, strict=False)
    quantity = fields.Integer(
        load_default=0, validate=validate.Range(min=0, max=1_000_000, error=_l("Jumlah 0 sampai 1.000.000."))
    )
    unit = Trimmed(load_default=None, validate=_length(20))
    unit_price = Rupiah(load_default=None, validate=_POSITIVE)
    lot = Trimmed(load_default=None, validate=_length(40))
    expires_on = fields.Date(load_default=None)


class ReceiveSchema(Schema):
    location_id = fields.Integer(required=True, strict=False)
    supplier_id = fields.Integer(load_default=None, strict=False)
    received_on = fields.Date(load_default=None)
    note = Trimmed(load_default=None, validate=_length(200))
    idempotency_key = fields.String(required=True, validate=_KEY)
    lines = fields.List(
        fields.Nested(ReceiveLineSchema),
        required=True,
        validate=validate.Length(min=1, max=MAX_ROWS, error=_l("Isi jumlah yang diterima.")),
    )


class InvoiceSchema(FormSchema):
    number = Trimmed(required=True, validate=_length(40))
    invoice_date = fields.Date(required=True)
    amount = Rupiah(required=True, validate=_POSITIVE)
    difference_note = Trimmed(load_default=None, validate=_length(200))
    receipt_ids = fields.List(
        fields.Integer(strict=False),
        required=True,
        validate=validate.Length(min=1, max=100, error=_l("Pilih penerimaan barang yang ditagih.")),
    )


class PaymentSchema(FormSchema):
    amount = Rupiah(required=True, validate=_POSITIVE)
    method = Trimmed(
        required=True,
        validate=validate.OneOf([m.value for m in PaymentMethod], error=_l("Pilihan tidak dikenal.")),
    )
    reference = Trimmed(load_default=None, validate=_length(60))
    paid_on = fields.Date(load_default=None)
    idempotency_key = fields.String(required=True, validate=_KEY)


class CreditLineSchema(Schema):
    receipt_line_id = fields.Integer(required=True, strict=False)
    quantity = fields.Integer(
        load_default=0, validate=validate.Range(min=0, max=1_000_000, error=_l("Jumlah 0 sampai 1.000.000."))
    )


class CreditSchema(Schema):
    number = Trimmed(required=True, validate=_length(40))
    credit_date = fields.Date(required=True)
    amount = Rupiah(required=True, validate=_POSITIVE)
    reason = Trimmed(
        required=True,
        validate=validate.OneOf([r.value for r in CreditReason], error=_l("Pilihan tidak dikenal.")),
    )
    note = Trimmed(load_default=None, validate=_length(200))
    location_id = fields.Integer(load_default=None, strict=False)
    idempotency_key = fields.String(required=True, validate=_KEY)
    lines = fields.List(
        fields.Nested(CreditLineSchema),
        load_default=list,
        validate=validate.Length(max=MAX_ROWS, error=_l("Paling banyak 50 baris.")),
    )


class RejectSchema(FormSchema):
    reason = Trimmed(required=True, validate=_length(200))


class ThresholdSchema(FormSchema):
    payment_approval_threshold = Rupiah(required=True, validate=_POSITIVE)


def gather_rows(schema: Schema) -> tuple[dict[str, Any], list[int]]:
    """The submitted form as data for `schema`: plain inputs as they are, `lines-<n>-<field>`
    gathered per row in order, rows nobody typed in left out; and for each row kept, its number
    on the form (so a message lands beside the row it is about). Empty strings count as absent."""
    data: dict[str, Any] = {}
    rows: dict[int, dict[str, str]] = {}
    for key in request.form:
        value = request.form.get(key, "")
        match = _ROW.match(key)
        if match:
            index = int(match.group(1))
            if index < MAX_ROWS * 2 and value.strip():
                rows.setdefault(index, {})[match.group(2)] = value
        elif value != "" and key in schema.fields:
            data[key] = request.form.getlist(key) if isinstance(schema.fields[key], fields.List) else value
    positions = [i for i in sorted(rows) if any(k in rows[i] for k in _TYPED)]
    data["lines"] = [rows[i] for i in positions]
    return data, positions


_TYPED = ("product_id", "quantity", "unit_price", "lot", "expires_on")


def flat_errors(messages: Any, positions: list[int]) -> dict[str, Any]:
    """Messages (marshmallow's, or a domain error's fields) with row errors named
    `lines.<n>.<field>` by the row's number on the form."""
    out: dict[str, Any] = {}
    for name, value in (messages or {}).items():
        if name == "lines" and isinstance(value, dict):
            for index, row in value.items():
                at = positions[index] if isinstance(index, int) and index < len(positions) else index
                if isinstance(row, dict):
                    for field_name, msgs in row.items():
                        out[f"lines.{at}.{field_name}"] = msgs
                else:
                    out["lines"] = row
            continue
        match = re.match(r"^lines\.(\d+)\.(\w+)$", str(name))
        if match and int(match.group(1)) < len(positions):
            out[f"lines.{positions[int(match.group(1))]}.{match.group(2)}"] = value
        else:
            out[str(name)] = value
    return out
