"""The ledger's edges: a manual journal entry in (forms and JSON), accounts, entries and the trial
balance out. Amounts are whole rupiah: an integer, or digits with `.` thousands separators as people
type them (`1.500.000`); never a fraction. Each line has exactly one side; an entry's lines balance.
"""

from __future__ import annotations

import re
from typing import Any

from flask_babel import lazy_gettext as _l
from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from core.money import format_rupiah
from core.schemas import Trimmed
from erp.ledger.models import MAX_AMOUNT, MAX_LINES

_DIGITS = re.compile(r"[0-9]{1,3}(\.[0-9]{3})*|[0-9]+")


class Rupiah(fields.Integer):
    """Whole rupiah, 0 to the ledger's limit: an int (not a bool, not a float) or a digit string."""

    default_error_messages = {
        "invalid": _l("Jumlah harus rupiah bulat, tanpa sen (contoh: 1.500.000)."),
        "range": _l("Jumlah harus antara 0 dan batas yang diizinkan."),
    }

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(strict=True, **kwargs)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> int:
        if isinstance(value, str) and _DIGITS.fullmatch(value.strip()):
            value = int(value.strip().replace(".", ""))
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.make_error("invalid")
        if not 0 <= value <= MAX_AMOUNT:
            raise self.make_error("range")
        return value


class LineSchema(Schema):
    account_code = Trimmed(
        required=True,
        validate=validate.Regexp(r"^[1-9]-[0-9]{4,6}$", error=_l("Kode akun tidak sah (contoh: 1-1100).")),
    )
    debit = Rupiah(load_default=0)
    credit = Rupiah(load_default=0)
    memo = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=200))

    @validates_schema
    def _one_side(self, data: dict[str, Any], **kwargs: Any) -> None:
        if (data.get("debit", 0) > 0) == (data.get("credit", 0) > 0):
            raise ValidationError({"debit": [_l("Isi tepat satu sisi, debit atau kredit.")]})


class ManualEntrySchema(Schema):
    """A journal entry typed by staff: the service adds its source and posts it."""

    entry_date = fields.Date(required=True)
    description = Trimmed(required=True, validate=validate.Length(max=500))
    idempotency_key = Trimmed(required=True, validate=validate.Length(max=120))
    lines = fields.List(
        fields.Nested(LineSchema),
        required=True,
        validate=validate.Length(
            min=2, max=MAX_LINES, error=_l("Jurnal harus memiliki 2 sampai {max} baris.")
        ),
    )

    @validates_schema
    def _balanced(self, data: dict[str, Any], **kwargs: Any) -> None:
        lines = data.get("lines") or []
        total_debit = sum(line["debit"] for line in lines)
        total_credit = sum(line["credit"] for line in lines)
        if total_debit != total_credit:
            message = _l(
                "Jurnal tidak seimbang: debit %(debit)s, kredit %(credit)s.",
                debit=format_rupiah(total_debit),
                credit=format_rupiah(total_credit),
            )
            raise ValidationError({"lines": [message]})


class AccountSchema(Schema):
    code = fields.String()
    name = fields.String()
    type = fields.String()
    normal_side = fields.String()
    business_unit = fields.String(allow_none=True)
    active = fields.Boolean()


class JournalLineSchema(Schema):
    account_code = fields.Function(lambda line: line.account.code)
    debit = fields.Integer()
    credit = fields.Integer()
    memo = fields.String(allow_none=True)


class JournalEntrySchema(Schema):
    """A posted entry. Dumping many: load their lines and accounts up front (`selectinload`)."""

    id = fields.Integer()
    entry_date = fields.Date()
    description = fields.String()
    source_module = fields.String()
    source_id = fields.String(allow_none=True)
    reverses_entry_id = fields.Integer(allow_none=True)
    posted_at = fields.DateTime()
    lines = fields.List(fields.Nested(JournalLineSchema))


class TrialBalanceRowSchema(Schema):
    code = fields.String()
    name = fields.String()
    debit = fields.Integer()
    credit = fields.Integer()
