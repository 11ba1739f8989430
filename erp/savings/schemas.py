"""The edges of savings: a deposit or withdrawal at the desk (whole rupiah above zero, with the
idempotency key of the form that was shown), the drawer's cash counts, a product's settings, and
accounts and movements out."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from marshmallow import Schema, fields, validate

from core.schemas import FormSchema, Trimmed
from erp.ledger.schemas import Rupiah

_POSITIVE = validate.Range(min=1, error=_l("Jumlah harus lebih dari nol."))


class MovementSchema(FormSchema):
    amount = Rupiah(required=True, validate=_POSITIVE)
    idempotency_key = fields.String(
        required=True,
        validate=validate.Regexp(
            r"^[A-Za-z0-9_\-]{8,64}$", error=_l("Formulir tidak sah; muat ulang halaman.")
        ),
    )
    note = Trimmed(
        load_default=None, validate=validate.Length(max=120, error=_l("Paling banyak 120 karakter."))
    )


class CashSchema(FormSchema):
    cash = Rupiah(required=True)


class OpenAccountSchema(FormSchema):
    product_id = fields.Integer(required=True)


class ProductSchema(FormSchema):
    name = Trimmed(required=True, validate=validate.Length(max=80, error=_l("Paling banyak 80 karakter.")))
    amount = Rupiah(load_default=None, validate=_POSITIVE)
    interest_rate = fields.Decimal(
        load_default=None,
        places=4,
        validate=validate.Range(min=0, max=100, error=_l("Antara 0 dan 100 persen.")),
    )
    tax_rate = fields.Decimal(
        load_default=None,
        places=4,
        validate=validate.Range(min=0, max=100, error=_l("Antara 0 dan 100 persen.")),
    )
    approval_threshold = Rupiah(required=True, validate=_POSITIVE)


class AccountOutSchema(Schema):
    id = fields.Integer()
    number = fields.String()
    kind = fields.String()
    balance = fields.Integer()
    status = fields.String()
    opened_on = fields.Date()
    maturity_on = fields.Date(allow_none=True)


class MovementOutSchema(Schema):
    id = fields.Integer()
    account_id = fields.Integer()
    kind = fields.String()
    amount = fields.Integer()
    balance_after = fields.Integer()
    occurred_on = fields.Date()
    description = fields.String()
    journal_entry_id = fields.Integer(allow_none=True)


def product_changes(data: dict[str, Any]) -> dict[str, Any]:
    """Only the settings that were given (an empty rate field leaves the rate as it is)."""
    return {k: v for k, v in data.items() if v is not None}
