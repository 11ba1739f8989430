"""The ledger's edges: a manual journal entry in (forms and JSON), accounts, entries and the trial
balance out. Amounts are whole rupiah: an integer, or digits with `.` thousands separators as people
type them (`1.500.000`); never a fraction. Each line has exactly one side; an entry's lines balance.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from flask_babel import lazy_gettext as _l
from marshmallow import EXCLUDE, Schema, ValidationError, fields, pre_load, validate, validates_schema

from core.money import format_rupiah
from core.schemas import FormSchema, Trimmed
from erp.ledger.models import MAX_AMOUNT, MAX_LINES, SHU_POOLS, AccountType, BusinessUnit, EquityBasis

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


# --- forms and JSON of the books' pages ---------------------------------------------------------

_TYPE_LABELS = {
    AccountType.ASSET: _l("Aset"),
    AccountType.LIABILITY: _l("Kewajiban"),
    AccountType.EQUITY: _l("Ekuitas"),
    AccountType.INCOME: _l("Pendapatan"),
    AccountType.EXPENSE: _l("Beban"),
}
_UNIT_LABELS = {
    BusinessUnit.SEMBAKO: _l("Sembako"),
    BusinessUnit.SIMPAN_PINJAM: _l("Simpan pinjam"),
    BusinessUnit.APOTEK: _l("Apotek"),
    BusinessUnit.LOGISTIK: _l("Logistik"),
    BusinessUnit.KLINIK: _l("Klinik"),
    BusinessUnit.UMUM: _l("Umum"),
}
POOL_LABELS: dict[str, Any] = {
    "cadangan": _l("Cadangan"),
    "jasa_modal": _l("Jasa modal anggota"),
    "jasa_usaha": _l("Jasa usaha anggota"),
    "pembangunan_desa": _l("Dana pembangunan desa"),
    "pengurus": _l("Dana pengurus & pengawas"),
    "karyawan": _l("Dana karyawan"),
    "pendidikan": _l("Dana pendidikan"),
    "sosial": _l("Dana sosial"),
}
TYPE_LABELS: dict[str, Any] = {t.value: label for t, label in _TYPE_LABELS.items()}
UNIT_LABELS: dict[str, Any] = {u.value: label for u, label in _UNIT_LABELS.items()}


def _code_field(**kwargs: Any) -> Trimmed:
    return Trimmed(
        validate=validate.Regexp(r"^[1-9]-[0-9]{4,6}$", error=_l("Kode akun tidak sah (contoh: 1-1100).")),
        **kwargs,
    )


class AccountCreateSchema(FormSchema):
    code = _code_field(required=True)
    name = Trimmed(required=True, validate=validate.Length(max=120, error=_l("Paling banyak 120 karakter.")))
    type = fields.Enum(
        AccountType, by_value=True, required=True, error_messages={"unknown": _l("Pilih jenis akun.")}
    )
    business_unit = fields.Enum(
        BusinessUnit,
        by_value=True,
        load_default=None,
        error_messages={"unknown": _l("Unit usaha tidak sah.")},
    )
    parent_code = _code_field(load_default=None)
    contra = fields.Boolean(load_default=False)


class AccountUpdateSchema(FormSchema):
    name = Trimmed(required=True, validate=validate.Length(max=120, error=_l("Paling banyak 120 karakter.")))
    business_unit = fields.Enum(
        BusinessUnit,
        by_value=True,
        load_default=None,
        error_messages={"unknown": _l("Unit usaha tidak sah.")},
    )


class ManualEntryFormSchema(ManualEntrySchema):
    """The manual entry form: rows `line-<n>-account_code`, `-debit`, `-credit`, `-memo`; empty rows
    are skipped. The hidden `idempotency_key` makes a double submit create one entry."""

    class Meta:
        unknown = EXCLUDE

    @pre_load
    def _rows(self, data: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
        rows: dict[int, dict[str, Any]] = {}
        for key, value in data.items():
            match = re.fullmatch(r"line-([0-9]{1,3})-(account_code|debit|credit|memo)", key)
            if match:
                rows.setdefault(int(match.group(1)), {})[match.group(2)] = value
        return {**data, "lines": [rows[n] for n in sorted(rows)]}


class RefusalSchema(FormSchema):
    reason = Trimmed(
        required=True, validate=validate.Length(max=500, error=_l("Paling banyak 500 karakter."))
    )


class PeriodSchema(FormSchema):
    year = fields.Integer(
        required=True, strict=False, validate=validate.Range(2000, 2999, error=_l("Tahun tidak sah."))
    )
    month = fields.Integer(
        required=True, strict=False, validate=validate.Range(1, 12, error=_l("Bulan tidak sah."))
    )


class YearSchema(FormSchema):
    year = fields.Integer(
        required=True, strict=False, validate=validate.Range(2000, 2999, error=_l("Tahun tidak sah."))
    )


def _percent() -> fields.Decimal:
    return fields.Decimal(
        required=True,
        places=2,
        validate=validate.Range(0, 100, error=_l("Antara 0 dan 100.")),
        error_messages={"invalid": _l("Harus berupa angka (contoh: 2,5).")},
    )


class SettingsSchema(FormSchema):
    """The cooperative's settings: the two-approval threshold and the SHU allocation in percent
    (a decimal comma or point), which must sum to 100."""

    approval_threshold = Rupiah(required=True)
    equity_basis = fields.Enum(
        EquityBasis, by_value=True, required=True, error_messages={"unknown": _l("Pilih dasar jasa modal.")}
    )
    shu_cadangan = _percent()
    shu_jasa_modal = _percent()
    shu_jasa_usaha = _percent()
    shu_pembangunan_desa = _percent()
    shu_pengurus = _percent()
    shu_karyawan = _percent()
    shu_pendidikan = _percent()
    shu_sosial = _percent()

    @pre_load
    def _decimal_comma(self, data: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
        return {
            key: value.strip().replace(",", ".")
            if key.startswith("shu_") and isinstance(value, str)
            else value
            for key, value in data.items()
        }

    @validates_schema
    def _sum_100(self, data: dict[str, Any], **kwargs: Any) -> None:
        shares = [data.get(f"shu_{name}") for name, _ in SHU_POOLS]
        if all(isinstance(v, Decimal) for v in shares):
            total = sum((v for v in shares if isinstance(v, Decimal)), Decimal(0))
            if total != 100:
                raise ValidationError(
                    {
                        "shu_cadangan": [
                            _l("Jumlah semua pos harus 100%%, sekarang %(total)s%%.", total=f"{total:g}")
                        ]
                    }
                )


class ManualEntryApprovalSchema(Schema):
    approved_by = fields.Integer()
    approved_at = fields.DateTime()


class ManualEntryOutSchema(Schema):
    id = fields.Integer()
    entry_date = fields.Date()
    description = fields.String()
    status = fields.String()
    total = fields.Integer()
    required_approvals = fields.Integer()
    lines = fields.List(fields.Dict())
    created_by = fields.Integer()
    refusal_reason = fields.String(allow_none=True)
    journal_entry_id = fields.Integer(allow_none=True)
    approvals = fields.List(fields.Nested(ManualEntryApprovalSchema))


class RefusalInSchema(Schema):
    reason = Trimmed(required=True, validate=validate.Length(max=500))


class RangeQuerySchema(FormSchema):
    """`?dari=…&sampai=…` of a book page; missing dates mean this month up to today."""

    dari = fields.Date(load_default=None)
    sampai = fields.Date(load_default=None)
    akun = fields.Integer(load_default=None, strict=False)


class AsOfQuerySchema(FormSchema):
    """`?per=…` of the trial balance; missing means today."""

    per = fields.Date(load_default=None)


class YearQuerySchema(FormSchema):
    """`?tahun=…`; missing means this year."""

    tahun = fields.Integer(
        load_default=None, strict=False, validate=validate.Range(2000, 2999, error=_l("Tahun tidak sah."))
    )


class ReportQuerySchema(FormSchema):
    """`?tahun=2025&bulan=12&unit=sembako&format=pdf` of a statement: the year up to the end of a
    month (default: this year up to this month), consolidated or one business unit, as a page, PDF
    or XLSX."""

    tahun = fields.Integer(
        load_default=None, strict=False, validate=validate.Range(2000, 2999, error=_l("Tahun tidak sah."))
    )
    bulan = fields.Integer(
        load_default=None, strict=False, validate=validate.Range(1, 12, error=_l("Bulan tidak sah."))
    )
    unit = fields.Enum(
        BusinessUnit,
        by_value=True,
        load_default=None,
        error_messages={"unknown": _l("Unit usaha tidak sah.")},
    )
    format = fields.String(
        load_default="html",
        validate=validate.OneOf(["html", "pdf", "xlsx"], error=_l("Format tidak dikenal.")),
    )


class DistributionSchema(FormSchema):
    """Posting a year's SHU distribution, dated (usually the RAT's date)."""

    year = fields.Integer(
        required=True, strict=False, validate=validate.Range(2000, 2999, error=_l("Tahun tidak sah."))
    )
    on = fields.Date(required=True)


class PoolSchema(Schema):
    name = fields.String()
    percent = fields.Decimal(as_string=True)
    amount = fields.Integer()
    account_code = fields.String()


class MemberShareSchema(Schema):
    member_id = fields.Integer()
    member_number = fields.String()
    equity = fields.Integer()
    transactions = fields.Integer()
    jasa_modal = fields.Integer()
    jasa_usaha = fields.Integer()
    total = fields.Integer()


class DistributionOutSchema(Schema):
    year = fields.Integer()
    shu = fields.Integer()
    year_closed = fields.Boolean()
    posted_entry_id = fields.Function(lambda d: d.entry.id if d.entry else None)
    undistributed = fields.Integer()
    pools = fields.List(fields.Nested(PoolSchema))
    members = fields.List(fields.Nested(MemberShareSchema))
