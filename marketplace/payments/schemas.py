"""Payout forms: the cooperative to pay out, and the bank's reference and date of a transfer."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from marshmallow import fields, validate

from core.schemas import FormSchema, Trimmed


class PayoutCreateSchema(FormSchema):
    cooperative_id = fields.Integer(required=True)


class TransferSchema(FormSchema):
    bank_reference = Trimmed(
        required=True, validate=validate.Length(max=60, error=_l("Maksimal 60 karakter."))
    )
    transfer_date = fields.Date(required=True)
