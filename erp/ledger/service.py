"""The ledger's use cases: install the chart of accounts, post, reverse, close a period, and read
balances. Every other module moves money by calling `post()` inside its own transaction.

Invariants: a posted entry balances in whole rupiah on active accounts of its own cooperative, in an
open period; one idempotency key posts once (a repeat returns the first entry, a different payload
is a conflict); an entry is never changed, only reversed, and at most once; the trial balance's
debits always equal its credits. The database holds the same rules (see migration 0002).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any, NamedTuple

from flask import has_request_context
from flask_babel import LazyString, format_date
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import and_, func, select, text
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.orm import selectinload

from core import audit
from core.db import db
from core.errors import AlreadyExists, DomainError, ErrorCode, NotFound
from core.money import InvariantViolation, format_rupiah
from erp.ledger.models import (
    DEFAULT_APPROVAL_THRESHOLD,
    MAX_AMOUNT,
    MAX_LINES,
    SHU_POOLS,
    AccountType,
    BusinessUnit,
    EquityBasis,
    FiscalPeriod,
    JournalEntry,
    JournalLine,
    LedgerAccount,
    LedgerSettings,
    ManualEntry,
    ManualEntryApproval,
    ManualEntryStatus,
    Side,
)
from tenants.context import current_tenant_id, require_tenant


class InvalidEntry(DomainError):
    code = ErrorCode.INVALID_INPUT
    status = 422


class Unbalanced(DomainError):
    code = ErrorCode.UNBALANCED
    status = 422


class AccountUnknown(DomainError):
    code = ErrorCode.ACCOUNT_UNKNOWN
    status = 422


class AccountInactive(DomainError):
    code = ErrorCode.ACCOUNT_INACTIVE
    status = 422


class PeriodClosed(DomainError):
    code = ErrorCode.PERIOD_CLOSED
    status = 422


class IdempotencyConflict(DomainError):
    code = ErrorCode.IDEMPOTENCY_CONFLICT
    status = 409


class AlreadyReversed(DomainError):
    code = ErrorCode.ALREADY_REVERSED
    status = 409


class NewLine(NamedTuple):
    """One line of an entry to post: exactly one of `debit` and `credit` is a positive rupiah amount."""

    account_code: str
    debit: int
    credit: int
    memo: str | None = None


def debit(account_code: str, amount: int, memo: str | None = None) -> NewLine:
    return NewLine(account_code, amount, 0, memo)


def credit(account_code: str, amount: int, memo: str | None = None) -> NewLine:
    return NewLine(account_code, 0, amount, memo)


@dataclass(frozen=True)
class NewEntry:
    """A business event to post. `idempotency_key` names the event (e.g. `savings:deposit:812`):
    posting it again returns the first entry."""

    entry_date: date
    description: str
    source_module: str
    source_id: str | int | None
    idempotency_key: str
    lines: Sequence[NewLine | tuple[Any, ...]] = field(default_factory=tuple)

    def __post_init__(self) -> None:
        object.__setattr__(self, "lines", tuple(self.lines))


@dataclass(frozen=True)
class TrialBalanceRow:
    code: str
    name: str
    debit: int
    credit: int


class ChartAccount(NamedTuple):
    code: str
    name: str
    type: AccountType
    normal_side: Side
    business_unit: BusinessUnit | None = None
    parent_code: str | None = None


_A, _L, _E = AccountType.ASSET, AccountType.LIABILITY, AccountType.EQUITY
_I, _X = AccountType.INCOME, AccountType.EXPENSE
_D, _C = Side.DEBIT, Side.CREDIT
_SP, _SB, _AP = BusinessUnit.SIMPAN_PINJAM, BusinessUnit.SEMBAKO, BusinessUnit.APOTEK
_LG, _KL, _UM = BusinessUnit.LOGISTIK, BusinessUnit.KLINIK, BusinessUnit.UMUM

# The standard chart of a cooperative under SAK EP (DOMAIN.md §5). Contra accounts (PPAP,
# akumulasi penyusutan) sit under the asset they reduce and have a credit normal side.
STANDARD_CHART: tuple[ChartAccount, ...] = (
    ChartAccount("1-1100", "Kas", _A, _D),
    ChartAccount("1-1110", "Bank", _A, _D),
    ChartAccount("1-1120", "Piutang Anggota", _A, _D),
    ChartAccount("1-1130", "Piutang Usaha", _A, _D),
    ChartAccount("1-1140", "Piutang Kophub", _A, _D),
    ChartAccount("1-1400", "Pinjaman Anggota", _A, _D, _SP),
    ChartAccount("1-1410", "Penyisihan Penghapusan Aset Produktif (PPAP)", _A, _C, _SP, "1-1400"),
    ChartAccount("1-1420", "Piutang Jasa Pinjaman", _A, _D, _SP),
    ChartAccount("1-1500", "Persediaan Sembako", _A, _D, _SB),
    ChartAccount("1-1510", "Persediaan Apotek", _A, _D, _AP),
    ChartAccount("1-2100", "Aset Tetap", _A, _D),
    ChartAccount("1-2110", "Akumulasi Penyusutan Aset Tetap", _A, _C, None, "1-2100"),
    ChartAccount("2-1100", "Simpanan Sukarela", _L, _C, _SP),
    ChartAccount("2-1200", "Simpanan Berjangka", _L, _C, _SP),
    ChartAccount("2-1300", "Utang Usaha", _L, _C),
    ChartAccount("2-1310", "Utang Pajak", _L, _C),
    ChartAccount("2-1311", "Utang PPN Keluaran", _L, _C, None, "2-1310"),
    ChartAccount("2-1320", "Biaya yang Masih Harus Dibayar", _L, _C),
    ChartAccount("2-1330", "Utang SHU Anggota", _L, _C),
    ChartAccount("2-1340", "Dana Pengurus dan Pengawas", _L, _C),
    ChartAccount("2-1350", "Dana Karyawan", _L, _C),
    ChartAccount("2-1360", "Dana Pendidikan", _L, _C),
    ChartAccount("2-1370", "Dana Sosial", _L, _C),
    ChartAccount("2-1380", "Dana Pembangunan Daerah Kerja", _L, _C),
    ChartAccount("2-1390", "Uang Muka Pelanggan Kophub", _L, _C),
    ChartAccount("2-2100", "Pinjaman Bank (Himbara)", _L, _C),
    ChartAccount("3-1000", "Simpanan Pokok", _E, _C),
    ChartAccount("3-2000", "Simpanan Wajib", _E, _C),
    ChartAccount("3-3000", "Hibah dan Donasi", _E, _C),
    ChartAccount("3-4000", "Cadangan", _E, _C),
    ChartAccount("3-5000", "SHU Tahun Berjalan", _E, _C),
    ChartAccount("4-1100", "Pendapatan Jasa Pinjaman", _I, _C, _SP),
    ChartAccount("4-1200", "Pendapatan Provisi", _I, _C, _SP),
    ChartAccount("4-1300", "Pendapatan Denda", _I, _C, _SP),
    ChartAccount("4-1400", "Pendapatan Pemulihan Piutang Hapus Buku", _I, _C, _SP),
    ChartAccount("4-2100", "Penjualan Sembako", _I, _C, _SB),
    ChartAccount("4-2200", "Penjualan Apotek", _I, _C, _AP),
    ChartAccount("4-2300", "Pendapatan Jasa Logistik", _I, _C, _LG),
    ChartAccount("4-2400", "Pendapatan Klinik", _I, _C, _KL),
    ChartAccount("4-9000", "Pendapatan Lain-lain", _I, _C, _UM),
    ChartAccount("5-1100", "Harga Pokok Penjualan Sembako", _X, _D, _SB),
    ChartAccount("5-1200", "Harga Pokok Penjualan Apotek", _X, _D, _AP),
    ChartAccount("6-1000", "Beban Gaji", _X, _D, _UM),
    ChartAccount("6-2000", "Beban Jasa Simpanan", _X, _D, _SP),
    ChartAccount("6-3000", "Beban PPAP", _X, _D, _SP),
    ChartAccount("6-4000", "Beban Penyusutan", _X, _D, _UM),
    ChartAccount("6-5000", "Beban Rapat Anggota Tahunan (RAT)", _X, _D, _UM),
    ChartAccount("6-6000", "Beban Pajak", _X, _D, _UM),
    ChartAccount("6-7000", "Beban Bunga Pinjaman Bank", _X, _D, _UM),
    ChartAccount("6-9000", "Beban Umum dan Administrasi", _X, _D, _UM),
    ChartAccount("6-9100", "Selisih Kas", _X, _D, _SB),
    ChartAccount("6-9200", "Beban Komisi Kophub", _X, _D),
)


def install_chart_of_accounts() -> int:
    """Create the standard accounts the current cooperative lacks (by code); returns how many were
    created. Existing accounts, renamed or deactivated ones included, are left as they are."""
    _forget_cached("accounts")
    tenant_id = require_tenant()
    created = 0
    pending = list(STANDARD_CHART)
    while pending:
        ids = {code: id_ for code, id_ in db.session.execute(select(LedgerAccount.code, LedgerAccount.id))}
        ready = [a for a in pending if a.parent_code is None or a.parent_code in ids]
        if not ready:
            raise InvariantViolation("the standard chart names a parent it does not define")
        rows = [
            {
                "tenant_id": tenant_id,
                "code": a.code,
                "name": a.name,
                "type": a.type.value,
                "normal_side": a.normal_side.value,
                "business_unit": a.business_unit.value if a.business_unit else None,
                "parent_id": ids.get(a.parent_code) if a.parent_code else None,
            }
            for a in ready
        ]
        stmt = (
            pg_insert(LedgerAccount)
            .values(rows)
            .on_conflict_do_nothing(index_elements=["tenant_id", "code"])
            .returning(LedgerAccount.id)
        )
        created += len(db.session.execute(stmt).all())
        pending = [a for a in pending if a not in ready]
    return created


def ensure_accounts(*codes: str) -> None:
    """Make sure the current cooperative's chart has these standard accounts: a chart installed
    before they joined the standard one gets them here, in the caller's transaction."""
    unknown = set(codes) - {a.code for a in STANDARD_CHART}
    if unknown:
        raise InvariantViolation(f"not in the standard chart: {sorted(unknown)}")
    have = set(db.session.scalars(select(LedgerAccount.code).where(LedgerAccount.code.in_(codes))))
    if have != set(codes):
        install_chart_of_accounts()


def post(entry: NewEntry, *, posted_by: int | None = None) -> JournalEntry:
    """Post `entry` in the caller's transaction (flushed, not committed) and return it; a repeat of
    an idempotency key returns the entry first posted under it."""
    return _post(entry, posted_by=posted_by, reverses_entry_id=None)


def reverse(
    entry_id: int, reason: str, idempotency_key: str, *, entry_date: date | None = None
) -> JournalEntry:
    """Post the mirror of entry `entry_id`, pointing to it. Dated like the original unless
    `entry_date` is given (needed when the original's period is closed)."""
    require_tenant()
    original = db.session.scalar(select(JournalEntry).where(JournalEntry.id == entry_id).with_for_update())
    if original is None:
        raise NotFound(_l("Jurnal #%(id)s tidak ditemukan.", id=entry_id))
    if original.reverses_entry_id is not None:
        raise InvalidEntry(
            _l("Jurnal #%(id)s adalah jurnal pembalik dan tidak dapat dibalik lagi.", id=original.id)
        )
    lines = db.session.execute(
        select(LedgerAccount.code, JournalLine.debit, JournalLine.credit, JournalLine.memo)
        .join(
            LedgerAccount,
            and_(
                LedgerAccount.id == JournalLine.account_id, LedgerAccount.tenant_id == JournalLine.tenant_id
            ),
        )
        .where(JournalLine.entry_id == original.id)
        .order_by(JournalLine.id)
    ).all()
    mirror = NewEntry(
        entry_date=entry_date or original.entry_date,
        description=f"Pembalikan jurnal #{original.id}: {reason}",
        source_module=original.source_module,
        source_id=original.source_id,
        idempotency_key=idempotency_key,
        lines=[NewLine(code, line_credit, line_debit, memo) for code, line_debit, line_credit, memo in lines],
    )
    return _post(mirror, posted_by=None, reverses_entry_id=original.id)


def close_period(year: int, month: int, *, closed_by: int | None = None) -> FiscalPeriod:
    """Close a month of the current cooperative's books: entries dated in it are refused from now
    on. Waits for postings into that month still in flight. Closing a closed period changes nothing."""
    _forget_cached("period")
    tenant_id = require_tenant()
    if not (2000 <= year <= 2999 and 1 <= month <= 12):
        raise InvalidEntry(_l("Periode tidak sah."))
    db.session.execute(select(func.pg_advisory_xact_lock(_period_lock_key(tenant_id, year, month))))
    period = db.session.scalar(
        select(FiscalPeriod).where(FiscalPeriod.year == year, FiscalPeriod.month == month).with_for_update()
    )
    if period is None:
        period = FiscalPeriod(year=year, month=month)
        db.session.add(period)
    if period.closed_at is None:
        period.closed_at = datetime.now(UTC)
        period.closed_by = closed_by if closed_by is not None else _actor_id()
        db.session.flush()
        audit.record("ledger.period_closed", "fiscal_period", period.id, after={"year": year, "month": month})
    return period


def account_balance(code: str, as_of: date) -> int:
    """The balance of account `code` at the end of `as_of`, on its normal side (a debit-normal
    account with more credits than debits has a negative balance)."""
    require_tenant()
    account = db.session.scalar(select(LedgerAccount).where(LedgerAccount.code == code))
    if account is None:
        raise AccountUnknown(_l("Akun %(code)s tidak ada di bagan akun.", code=code))
    total_debit, total_credit = db.session.execute(
        select(
            func.coalesce(func.sum(JournalLine.debit), 0), func.coalesce(func.sum(JournalLine.credit), 0)
        ).where(JournalLine.account_id == account.id, JournalLine.entry_date <= as_of)
    ).one()
    net_debit = int(total_debit) - int(total_credit)
    return net_debit if account.normal_side == Side.DEBIT else -net_debit


def trial_balance(as_of: date) -> list[TrialBalanceRow]:
    """Every account with postings up to `as_of`, its net balance in the debit or the credit column,
    ordered by code. The two columns always total the same."""
    require_tenant()
    # One aggregate over the lines alone (the accounts are few and read apart): as cheap as the
    # bare GROUP BY it is.
    nets = db.session.execute(
        select(JournalLine.account_id, func.sum(JournalLine.debit - JournalLine.credit))
        .where(JournalLine.entry_date <= as_of)
        .group_by(JournalLine.account_id)
    ).all()
    names = {
        id_: (code, name)
        for id_, code, name in db.session.execute(
            select(LedgerAccount.id, LedgerAccount.code, LedgerAccount.name)
        )
    }
    rows = []
    for account_id, net in nets:
        code, name = names[account_id]
        rows.append(TrialBalanceRow(code, name, max(int(net), 0), max(-int(net), 0)))
    rows.sort(key=lambda r: r.code)
    if sum(r.debit for r in rows) != sum(r.credit for r in rows):
        raise InvariantViolation(f"trial balance at {as_of} does not balance")
    return rows


# --- chart maintenance ----------------------------------------------------------------------------


class AccountInUse(DomainError):
    code = ErrorCode.INVALID_INPUT
    status = 422


NORMAL_SIDES = {
    AccountType.ASSET: Side.DEBIT,
    AccountType.EXPENSE: Side.DEBIT,
    AccountType.LIABILITY: Side.CREDIT,
    AccountType.EQUITY: Side.CREDIT,
    AccountType.INCOME: Side.CREDIT,
}


@dataclass(frozen=True)
class ChartRow:
    """An account of the chart with its balance on its normal side and whether lines use it."""

    account: LedgerAccount
    balance: int
    used: bool


def chart(as_of: date) -> list[ChartRow]:
    """Every account of the current cooperative, by code, with its balance at the end of `as_of`."""
    require_tenant()
    sums = (
        select(
            JournalLine.account_id,
            func.sum(JournalLine.debit - JournalLine.credit)
            .filter(JournalLine.entry_date <= as_of)
            .label("net"),
            func.count().label("lines"),
        )
        .group_by(JournalLine.account_id)
        .subquery()
    )
    rows = db.session.execute(
        select(LedgerAccount, sums.c.net, sums.c.lines)
        .outerjoin(sums, sums.c.account_id == LedgerAccount.id)
        .order_by(LedgerAccount.code)
    )
    result = []
    for account, net, lines in rows:
        net_debit = int(net or 0)
        balance = net_debit if account.normal_side == Side.DEBIT else -net_debit
        result.append(ChartRow(account, balance, bool(lines)))
    return result


def add_account(
    code: str,
    name: str,
    type: AccountType,
    *,
    business_unit: BusinessUnit | None = None,
    parent_code: str | None = None,
    contra: bool = False,
) -> LedgerAccount:
    """Add an account to the chart. Its normal side follows its type; a contra account (PPAP,
    akumulasi penyusutan) takes the other side and sits under the account it reduces."""
    _forget_cached("accounts")
    require_tenant()
    if db.session.scalar(select(LedgerAccount.id).where(LedgerAccount.code == code)) is not None:
        raise AlreadyExists(
            _l("Kode akun %(code)s sudah dipakai.", code=code), fields={"code": [_l("Kode sudah dipakai.")]}
        )
    parent_id = None
    if parent_code:
        parent = db.session.scalar(select(LedgerAccount).where(LedgerAccount.code == parent_code))
        if parent is None or parent.type != type.value:
            raise InvalidEntry(
                _l("Akun induk harus akun yang ada dengan jenis yang sama."),
                fields={"parent_code": [_l("Akun induk tidak sah.")]},
            )
        parent_id = parent.id
    side = NORMAL_SIDES[type]
    if contra:
        side = Side.CREDIT if side == Side.DEBIT else Side.DEBIT
    account = LedgerAccount(
        code=code,
        name=name,
        type=type.value,
        normal_side=side.value,
        business_unit=business_unit.value if business_unit else None,
        parent_id=parent_id,
    )
    db.session.add(account)
    db.session.flush()
    audit.record("ledger.account_added", "ledger_account", account.id, after=_account_audit(account))
    return account


def update_account(account_id: int, *, name: str, business_unit: BusinessUnit | None) -> LedgerAccount:
    """Rename an account or change its business unit; its code, type and lines stay."""
    _forget_cached("accounts")
    account = _account_for_update(account_id)
    before = _account_audit(account)
    account.name = name
    account.business_unit = business_unit.value if business_unit else None
    db.session.flush()
    audit.record(
        "ledger.account_updated", "ledger_account", account.id, before=before, after=_account_audit(account)
    )
    return account


def set_account_active(account_id: int, active: bool) -> LedgerAccount:
    """Deactivate an account (postings to it are refused from now on) or activate it again. An
    account with a balance cannot be deactivated: its balance would be stranded."""
    _forget_cached("accounts")
    account = _account_for_update(account_id)
    if account.active == active:
        return account
    if not active:
        net = db.session.scalar(
            select(func.coalesce(func.sum(JournalLine.debit - JournalLine.credit), 0)).where(
                JournalLine.account_id == account.id
            )
        )
        if int(net or 0) != 0:
            raise AccountInUse(
                _l(
                    "Akun %(code)s %(name)s masih bersaldo; nolkan saldonya sebelum dinonaktifkan.",
                    code=account.code,
                    name=account.name,
                )
            )
    before = _account_audit(account)
    account.active = active
    db.session.flush()
    action = "ledger.account_activated" if active else "ledger.account_deactivated"
    audit.record(action, "ledger_account", account.id, before=before, after=_account_audit(account))
    return account


def delete_account(account_id: int) -> None:
    """Delete an account nothing uses yet (a typo). Once a line or a sub-account refers to it, it is
    kept for ever and can only be deactivated."""
    _forget_cached("accounts")
    account = _account_for_update(account_id)
    used = db.session.scalar(select(JournalLine.id).where(JournalLine.account_id == account.id).limit(1))
    child = db.session.scalar(select(LedgerAccount.id).where(LedgerAccount.parent_id == account.id).limit(1))
    if used is not None or child is not None:
        raise AccountInUse(
            _l(
                "Akun %(code)s %(name)s sudah dipakai dan tidak dapat dihapus; nonaktifkan saja.",
                code=account.code,
                name=account.name,
            )
        )
    audit.record("ledger.account_deleted", "ledger_account", account.id, before=_account_audit(account))
    db.session.delete(account)
    db.session.flush()


def account_by_id(account_id: int) -> LedgerAccount:
    require_tenant()
    account = db.session.get(LedgerAccount, account_id)
    if account is None or account.tenant_id != current_tenant_id():
        raise NotFound(_l("Akun tidak ditemukan."))
    return account


def _account_for_update(account_id: int) -> LedgerAccount:
    require_tenant()
    account = db.session.scalar(select(LedgerAccount).where(LedgerAccount.id == account_id).with_for_update())
    if account is None:
        raise NotFound(_l("Akun tidak ditemukan."))
    return account


def _account_audit(account: LedgerAccount) -> dict[str, Any]:
    return {
        "code": account.code,
        "name": account.name,
        "type": account.type,
        "business_unit": account.business_unit,
        "active": account.active,
    }


# --- settings -------------------------------------------------------------------------------------


class InvalidAllocation(DomainError):
    code = ErrorCode.INVALID_INPUT
    status = 422


def settings() -> LedgerSettings:
    """The current cooperative's settings, or the defaults (not saved) if it has none."""
    require_tenant()
    found = db.session.scalar(select(LedgerSettings))
    if found is not None:
        return found
    return LedgerSettings(
        approval_threshold=DEFAULT_APPROVAL_THRESHOLD,
        equity_basis=EquityBasis.YEAR_END.value,
        **{f"shu_{name}": share for name, share in SHU_POOLS},
    )


def shu_shares(current: LedgerSettings) -> dict[str, Decimal]:
    """The SHU allocation as `{pool: percent}`, in the AD/ART's order."""
    return {name: Decimal(getattr(current, f"shu_{name}")) for name, _ in SHU_POOLS}


def update_settings(
    *, approval_threshold: int, shares: dict[str, Decimal], equity_basis: EquityBasis
) -> LedgerSettings:
    """Save the cooperative's settings; the SHU percentages must cover every pool and sum to 100."""
    require_tenant()
    if set(shares) != {name for name, _ in SHU_POOLS} or any(not 0 <= v <= 100 for v in shares.values()):
        raise InvalidAllocation(_l("Pembagian SHU harus mengisi setiap pos dengan 0 sampai 100%."))
    total = sum(shares.values(), Decimal(0))
    if total != 100:
        raise InvalidAllocation(
            _l("Jumlah persentase pembagian SHU harus 100%%, sekarang %(total)s%%.", total=f"{total:g}"),
            fields={"shu_cadangan": [_l("Jumlah harus 100%.")]},
        )
    current = db.session.scalar(select(LedgerSettings).with_for_update())
    before = _settings_audit(current) if current is not None else None
    if current is None:
        current = settings()
        db.session.add(current)
    current.approval_threshold = approval_threshold
    current.equity_basis = equity_basis.value
    for name, value in shares.items():
        setattr(current, f"shu_{name}", value)
    current.updated_by = _actor_id()
    current.updated_at = datetime.now(UTC)
    db.session.flush()
    audit.record(
        "ledger.settings_updated",
        "ledger_settings",
        current.id,
        before=before,
        after=_settings_audit(current),
    )
    return current


def _settings_audit(current: LedgerSettings) -> dict[str, Any]:
    return {
        "approval_threshold": current.approval_threshold,
        "equity_basis": current.equity_basis,
        **{name: str(value) for name, value in shu_shares(current).items()},
    }


# --- manual entries (maker-checker) ---------------------------------------------------------------


class SelfApproval(DomainError):
    code = ErrorCode.FORBIDDEN
    status = 403


class AlreadyDecided(DomainError):
    code = ErrorCode.INVALID_INPUT
    status = 409


MANUAL_SOURCE = "ledger.manual"


def submit_manual_entry(
    *,
    entry_date: date,
    description: str,
    lines: Sequence[dict[str, Any]],
    request_key: str,
    created_by: int,
) -> ManualEntry:
    """Record a journal entry typed by staff, to be approved before it is posted: by one other
    person, or by two when its total is above the cooperative's threshold. Submitting the same form
    (`request_key`) again returns the first one."""
    require_tenant()
    new_lines = [
        NewLine(line["account_code"], line["debit"], line["credit"], line.get("memo")) for line in lines
    ]
    draft = NewEntry(entry_date, description, MANUAL_SOURCE, None, request_key, new_lines)
    description, _source = _validated_header(draft)
    checked = _validated_lines(draft)
    first = db.session.scalar(select(ManualEntry).where(ManualEntry.request_key == request_key))
    if first is not None:
        if first.created_by != created_by:
            raise IdempotencyConflict(_l("Formulir ini sudah dikirim oleh orang lain."))
        return first
    _usable_accounts({line.account_code for line in checked})
    _refuse_closed_period_now(entry_date)
    total = sum(line.debit for line in checked)
    manual = ManualEntry(
        entry_date=entry_date,
        description=description,
        lines=[line._asdict() for line in checked],
        total=total,
        required_approvals=2 if total > settings().approval_threshold else 1,
        status=ManualEntryStatus.PENDING.value,
        request_key=request_key,
        created_by=created_by,
    )
    db.session.add(manual)
    db.session.flush()
    audit.record(
        "ledger.manual_entry_submitted",
        "manual_entry",
        manual.id,
        after={"entry_date": entry_date.isoformat(), "total": total, "lines": manual.lines},
        actor_id=created_by,
    )
    return manual


def approve_manual_entry(entry_id: int, *, approved_by: int) -> ManualEntry:
    """Approve a pending manual entry. Its maker cannot; nobody approves twice. With its last
    required approval the entry is posted to the books, by the approver, in this transaction."""
    manual = _manual_for_update(entry_id)
    if manual.created_by == approved_by:
        raise SelfApproval(_l("Pembuat jurnal tidak boleh menyetujui jurnalnya sendiri."))
    approvers = set(
        db.session.scalars(
            select(ManualEntryApproval.approved_by).where(ManualEntryApproval.manual_entry_id == manual.id)
        )
    )
    if approved_by in approvers:
        raise AlreadyDecided(_l("Anda sudah menyetujui jurnal ini; persetujuan berikutnya dari orang lain."))
    db.session.add(
        ManualEntryApproval(
            manual_entry_id=manual.id, entry_created_by=manual.created_by, approved_by=approved_by
        )
    )
    db.session.flush()
    audit.record("ledger.manual_entry_approved", "manual_entry", manual.id, actor_id=approved_by)
    if len(approvers) + 1 >= manual.required_approvals:
        posted = post(
            NewEntry(
                entry_date=manual.entry_date,
                description=manual.description,
                source_module=MANUAL_SOURCE,
                source_id=manual.id,
                idempotency_key=f"{MANUAL_SOURCE}:{manual.id}",
                lines=[NewLine(**line) for line in manual.lines],
            ),
            posted_by=approved_by,
        )
        manual.status = ManualEntryStatus.POSTED.value
        manual.journal_entry_id = posted.id
        db.session.flush()
        audit.record(
            "ledger.manual_entry_posted",
            "manual_entry",
            manual.id,
            after={"journal_entry_id": posted.id, "total": manual.total},
            actor_id=approved_by,
        )
    return manual


def refuse_manual_entry(entry_id: int, reason: str, *, refused_by: int) -> ManualEntry:
    """Refuse a pending manual entry with a reason; it is never posted. Not by its maker."""
    manual = _manual_for_update(entry_id)
    if manual.created_by == refused_by:
        raise SelfApproval(_l("Pembuat jurnal tidak boleh memutuskan jurnalnya sendiri."))
    reason = reason.strip() if isinstance(reason, str) else ""
    if not reason or len(reason) > 500:
        raise InvalidEntry(
            _l("Alasan penolakan wajib diisi."),
            fields={"reason": [_l("Wajib diisi (paling banyak 500 karakter).")]},
        )
    manual.status = ManualEntryStatus.REFUSED.value
    manual.refused_by = refused_by
    manual.refused_at = datetime.now(UTC)
    manual.refusal_reason = reason
    db.session.flush()
    audit.record(
        "ledger.manual_entry_refused",
        "manual_entry",
        manual.id,
        after={"reason": reason},
        actor_id=refused_by,
    )
    return manual


def manual_entries(status: ManualEntryStatus | None = None, limit: int = 100) -> list[ManualEntry]:
    """The newest manual entries (pending first when no status is asked), with their approvals."""
    require_tenant()
    stmt = select(ManualEntry).options(selectinload(ManualEntry.approvals)).limit(min(limit, 500))
    if status is not None:
        stmt = stmt.where(ManualEntry.status == status.value).order_by(ManualEntry.id.desc())
    else:
        stmt = stmt.order_by((ManualEntry.status != ManualEntryStatus.PENDING.value), ManualEntry.id.desc())
    return list(db.session.scalars(stmt))


def manual_entry(entry_id: int) -> ManualEntry:
    require_tenant()
    manual = db.session.scalar(
        select(ManualEntry).options(selectinload(ManualEntry.approvals)).where(ManualEntry.id == entry_id)
    )
    if manual is None:
        raise NotFound(_l("Jurnal manual #%(id)s tidak ditemukan.", id=entry_id))
    return manual


def _manual_for_update(entry_id: int) -> ManualEntry:
    require_tenant()
    manual = db.session.scalar(select(ManualEntry).where(ManualEntry.id == entry_id).with_for_update())
    if manual is None:
        raise NotFound(_l("Jurnal manual #%(id)s tidak ditemukan.", id=entry_id))
    if manual.status != ManualEntryStatus.PENDING.value:
        raise AlreadyDecided(_l("Jurnal manual #%(id)s sudah diputuskan.", id=entry_id))
    return manual


def _refuse_closed_period_now(entry_date: date) -> None:
    closed_at = db.session.scalar(
        select(FiscalPeriod.closed_at).where(
            FiscalPeriod.year == entry_date.year, FiscalPeriod.month == entry_date.month
        )
    )
    if closed_at is not None:
        raise PeriodClosed(
            _l("Periode %(period)s sudah ditutup.", period=_month_label(entry_date)),
            fields={"entry_date": [_l("Periode tanggal ini sudah ditutup.")]},
        )


# --- periods and the year-end close ---------------------------------------------------------------

YEAR_END_SOURCE = "ledger.year_end"


@dataclass(frozen=True)
class PeriodRow:
    year: int
    month: int
    closed_at: datetime | None


def periods_of(year: int) -> list[PeriodRow]:
    """The twelve months of `year`, each open or closed (and when)."""
    require_tenant()
    closed = dict(
        db.session.execute(
            select(FiscalPeriod.month, FiscalPeriod.closed_at).where(FiscalPeriod.year == year)
        ).all()
    )
    return [PeriodRow(year, month, closed.get(month)) for month in range(1, 13)]


def year_end_entry(year: int) -> JournalEntry | None:
    """The entry that closed `year`'s income and expenses into SHU tahun berjalan, if it ran."""
    require_tenant()
    return _entry_by_key(f"{YEAR_END_SOURCE}:{year}")


def close_year(year: int, *, closed_by: int | None = None) -> JournalEntry | None:
    """Close the books of `year`: close its twelve months, then move the year's result (income less
    expenses) to SHU tahun berjalan in one entry dated 31 December, which zeroes every income and
    expense account. Running it again changes nothing. Returns the closing entry (None when the
    year had no income or expense at all)."""
    tenant_id = require_tenant()
    if not 2000 <= year <= 2999:
        raise InvalidEntry(_l("Tahun tidak sah."))
    for month in range(1, 13):
        close_period(year, month, closed_by=closed_by)
    key = f"{YEAR_END_SOURCE}:{year}"
    done = _entry_by_key(key)
    if done is not None:
        return done
    year_end = date(year, 12, 31)
    nets = db.session.execute(
        select(LedgerAccount.code, func.sum(JournalLine.debit - JournalLine.credit))
        .join(
            JournalLine,
            and_(
                JournalLine.account_id == LedgerAccount.id, JournalLine.tenant_id == LedgerAccount.tenant_id
            ),
        )
        .where(
            LedgerAccount.type.in_([AccountType.INCOME.value, AccountType.EXPENSE.value]),
            JournalLine.entry_date.between(date(year, 1, 1), year_end),
        )
        .group_by(LedgerAccount.code)
        .order_by(LedgerAccount.code)
    ).all()
    lines = []
    for code, net in nets:
        net = int(net)
        if net > 0:
            lines.append(credit(code, net))
        elif net < 0:
            lines.append(debit(code, -net))
    result = -sum(int(net) for _code, net in nets)  # credits over debits: the year's SHU
    if result > 0:
        lines.append(credit(SHU_BERJALAN, result))
    elif result < 0:
        lines.append(debit(SHU_BERJALAN, -result))
    entry = None
    if len(lines) >= 2:
        entry = _post(
            NewEntry(
                entry_date=year_end,
                description=f"Tutup buku tahun {year}: hasil usaha ke SHU Tahun Berjalan",
                source_module=YEAR_END_SOURCE,
                source_id=year,
                idempotency_key=key,
                lines=lines,
            ),
            posted_by=closed_by,
            reverses_entry_id=None,
            year_end=True,
        )
    audit.record(
        "ledger.year_closed",
        "fiscal_year",
        year,
        after={"year": year, "shu": result},
        actor_id=closed_by,
        cooperative_id=tenant_id,
    )
    return entry


SHU_BERJALAN = "3-5000"


# --- books to read: general ledger, cash book ------------------------------------------------------

# Cash and bank are the asset accounts coded 1-110x and 1-111x (Kas, Bank, and any petty cash or
# second bank account a cooperative adds there); the cash book and the cash flow read these.
CASH_CODE_PATTERN = "^1-11[01]"
MAX_BOOK_ROWS = 2000


@dataclass(frozen=True)
class BookRow:
    entry_date: date
    entry_id: int
    description: str
    account_code: str
    memo: str | None
    debit: int
    credit: int
    balance: int


@dataclass(frozen=True)
class Book:
    """Lines of one or more accounts between two dates with a running balance on the normal side,
    from the opening balance (the day before `start`) to the closing one. `truncated` when the
    rows stop at the limit; the closing balance is then still the true one."""

    start: date
    end: date
    opening: int
    rows: list[BookRow]
    closing: int
    total_debit: int
    total_credit: int
    truncated: bool


def account_ledger(account_id: int, start: date, end: date) -> Book:
    """The general ledger of one account (buku besar)."""
    account = account_by_id(account_id)
    return _book([account.id], account.normal_side == Side.DEBIT, start, end)


def cash_accounts() -> list[LedgerAccount]:
    require_tenant()
    return list(
        db.session.scalars(
            select(LedgerAccount)
            .where(
                LedgerAccount.type == AccountType.ASSET.value,
                LedgerAccount.code.regexp_match(CASH_CODE_PATTERN),
            )
            .order_by(LedgerAccount.code)
        )
    )


def cash_book(start: date, end: date, account_id: int | None = None) -> Book:
    """The cash and bank book (buku kas dan bank): every cash or bank account, or one of them."""
    ids = [a.id for a in cash_accounts() if account_id is None or a.id == account_id]
    return _book(ids, True, start, end)


def _book(account_ids: list[int], debit_normal: bool, start: date, end: date) -> Book:
    if start > end:
        raise InvalidEntry(
            _l("Tanggal awal harus sebelum tanggal akhir."), fields={"dari": [_l("Tanggal tidak sah.")]}
        )
    sign = 1 if debit_normal else -1
    in_accounts = JournalLine.account_id.in_(account_ids)
    opening = sign * int(
        db.session.scalar(
            select(func.coalesce(func.sum(JournalLine.debit - JournalLine.credit), 0)).where(
                in_accounts, JournalLine.entry_date < start
            )
        )
        or 0
    )
    total_debit, total_credit = db.session.execute(
        select(
            func.coalesce(func.sum(JournalLine.debit), 0), func.coalesce(func.sum(JournalLine.credit), 0)
        ).where(in_accounts, JournalLine.entry_date.between(start, end))
    ).one()
    result = db.session.execute(
        select(
            JournalLine.entry_date,
            JournalLine.entry_id,
            JournalEntry.description,
            LedgerAccount.code,
            JournalLine.memo,
            JournalLine.debit,
            JournalLine.credit,
        )
        .join(
            JournalEntry,
            and_(JournalEntry.id == JournalLine.entry_id, JournalEntry.tenant_id == JournalLine.tenant_id),
        )
        .join(
            LedgerAccount,
            and_(
                LedgerAccount.id == JournalLine.account_id, LedgerAccount.tenant_id == JournalLine.tenant_id
            ),
        )
        .where(in_accounts, JournalLine.entry_date.between(start, end))
        .order_by(JournalLine.entry_date, JournalLine.entry_id, JournalLine.id)
        .limit(MAX_BOOK_ROWS + 1)
    ).all()
    rows = []
    balance = opening
    for entry_date, entry_id, description, code, memo, line_debit, line_credit in result[:MAX_BOOK_ROWS]:
        balance += sign * (line_debit - line_credit)
        rows.append(BookRow(entry_date, entry_id, description, code, memo, line_debit, line_credit, balance))
    closing = opening + sign * (int(total_debit) - int(total_credit))
    return Book(
        start, end, opening, rows, closing, int(total_debit), int(total_credit), len(result) > MAX_BOOK_ROWS
    )


# --- posting -------------------------------------------------------------------------------------


def _post(
    entry: NewEntry, *, posted_by: int | None, reverses_entry_id: int | None, year_end: bool = False
) -> JournalEntry:
    tenant_id = require_tenant()
    lines = _validated_lines(entry)
    description, source_id = _validated_header(entry)
    payload_hash = _payload_hash(entry, description, source_id, lines, reverses_entry_id)

    if reverses_entry_id is not None:
        first = _entry_by_key(entry.idempotency_key)
        if first is not None:
            return _repeat(first, payload_hash)
        earlier = db.session.scalar(
            select(JournalEntry.id).where(JournalEntry.reverses_entry_id == reverses_entry_id)
        )
        if earlier is not None:
            raise AlreadyReversed(
                _l("Jurnal #%(id)s sudah dibalik oleh jurnal #%(by)s.", id=reverses_entry_id, by=earlier)
            )
    try:
        if not year_end:  # the year-end closing entry is the last one its (closed) December takes
            _refuse_closed_period(tenant_id, entry.entry_date)
        accounts = _usable_accounts({line.account_code for line in lines})
    except (PeriodClosed, AccountInactive, AccountUnknown):
        # A repeat of an event posted before its month closed (or its account was deactivated)
        # still returns the first entry; only a new event is refused.
        first = _entry_by_key(entry.idempotency_key)
        if first is not None:
            return _repeat(first, payload_hash)
        raise

    # The entry and its lines in one statement (one round trip): the lines' INSERT reads the new
    # entry from a data-modifying CTE, so when the key already exists (ON CONFLICT DO NOTHING) the
    # CTE is empty and no line is written either. The balance check still runs at commit.
    posted = db.session.scalar(
        select(JournalEntry).from_statement(_POST_STATEMENT),
        {
            "tenant_id": tenant_id,
            "entry_date": entry.entry_date,
            "description": description,
            "source_module": entry.source_module,
            "source_id": source_id,
            "idempotency_key": entry.idempotency_key,
            "payload_hash": payload_hash,
            "reverses_entry_id": reverses_entry_id,
            "posted_by": posted_by if posted_by is not None else _actor_id(),
            "account_ids": [accounts[line.account_code] for line in lines],
            "debits": [line.debit for line in lines],
            "credits": [line.credit for line in lines],
            "memos": [line.memo for line in lines],
        },
    )
    if posted is None:
        # Another transaction posted the same key between our look-up and our insert; the insert
        # waited for it to commit, so the first entry is visible now.
        first = _entry_by_key(entry.idempotency_key)
        if first is None:
            raise InvariantViolation(
                f"idempotency key {entry.idempotency_key!r} conflicted but is not visible"
            )
        return _repeat(first, payload_hash)
    return posted


_POST_STATEMENT = text(
    """
    WITH posted AS (
        INSERT INTO journal_entries (tenant_id, entry_date, description, source_module, source_id,
                                     idempotency_key, payload_hash, reverses_entry_id, posted_by)
        VALUES (:tenant_id, :entry_date, :description, :source_module, :source_id,
                :idempotency_key, :payload_hash, :reverses_entry_id, :posted_by)
        ON CONFLICT (tenant_id, idempotency_key) DO NOTHING
        RETURNING *
    ), posted_lines AS (
        INSERT INTO journal_lines (tenant_id, entry_id, entry_date, account_id, debit, credit, memo)
        SELECT posted.tenant_id, posted.id, posted.entry_date, l.account_id, l.debit, l.credit, l.memo
        FROM posted CROSS JOIN unnest(
            CAST(:account_ids AS bigint[]), CAST(:debits AS bigint[]), CAST(:credits AS bigint[]),
            CAST(:memos AS varchar[])
        ) WITH ORDINALITY AS l (account_id, debit, credit, memo, n)
        ORDER BY l.n
    )
    SELECT * FROM posted
    """
).columns(*JournalEntry.__table__.c)


def _validated_header(entry: NewEntry) -> tuple[str, str | None]:
    if type(entry.entry_date) is not date:
        raise InvalidEntry(
            _l("Tanggal jurnal harus berupa tanggal."), fields={"entry_date": [_l("Tanggal tidak sah.")]}
        )
    description = entry.description.strip() if isinstance(entry.description, str) else ""
    if not description or len(description) > 500:
        raise InvalidEntry(_l("Keterangan jurnal wajib diisi (paling banyak 500 karakter)."))
    if not isinstance(entry.source_module, str) or not 0 < len(entry.source_module) <= 40:
        raise InvalidEntry(_l("Sumber jurnal wajib diisi."))
    key = entry.idempotency_key
    if not isinstance(key, str) or not key.strip() or len(key) > 120:
        raise InvalidEntry(_l("Kunci idempotensi wajib diisi (paling banyak 120 karakter)."))
    if isinstance(entry.source_id, bool) or not isinstance(entry.source_id, str | int | None):
        raise InvalidEntry(_l("Nomor dokumen sumber tidak sah."))
    source_id = None if entry.source_id is None else str(entry.source_id)
    if source_id is not None and len(source_id) > 80:
        raise InvalidEntry(_l("Nomor dokumen sumber terlalu panjang."))
    return description, source_id


def _validated_lines(entry: NewEntry) -> list[NewLine]:
    if not 2 <= len(entry.lines) <= MAX_LINES:
        raise InvalidEntry(_l("Jurnal harus memiliki 2 sampai %(max)s baris.", max=MAX_LINES))
    lines: list[NewLine] = []
    for number, raw in enumerate(entry.lines, start=1):
        if not isinstance(raw, tuple) or len(raw) not in (3, 4):
            raise InvalidEntry(_l("Baris %(n)s: bentuk baris tidak sah.", n=number))
        line = NewLine(*raw)
        if not isinstance(line.account_code, str) or not line.account_code:
            raise InvalidEntry(_l("Baris %(n)s: kode akun wajib diisi.", n=number))
        for amount in (line.debit, line.credit):
            if not isinstance(amount, int) or isinstance(amount, bool):
                raise InvalidEntry(_l("Baris %(n)s: jumlah harus rupiah bulat.", n=number))
            if not 0 <= amount <= MAX_AMOUNT:
                raise InvalidEntry(
                    _l("Baris %(n)s: jumlah tidak boleh negatif atau melebihi batas.", n=number)
                )
        if (line.debit > 0) == (line.credit > 0):
            raise InvalidEntry(_l("Baris %(n)s: isi tepat satu sisi, debit atau kredit.", n=number))
        if line.memo is not None and (not isinstance(line.memo, str) or len(line.memo) > 200):
            raise InvalidEntry(_l("Baris %(n)s: memo paling banyak 200 karakter.", n=number))
        lines.append(line)
    total_debit = sum(line.debit for line in lines)
    total_credit = sum(line.credit for line in lines)
    if total_debit != total_credit:
        raise Unbalanced(
            _l(
                "Jurnal tidak seimbang: debit %(debit)s, kredit %(credit)s.",
                debit=format_rupiah(total_debit),
                credit=format_rupiah(total_credit),
            )
        )
    return lines


def _payload_hash(
    entry: NewEntry, description: str, source_id: str | None, lines: list[NewLine], reverses: int | None
) -> str:
    payload = {
        "entry_date": entry.entry_date.isoformat(),
        "description": description,
        "source_module": entry.source_module,
        "source_id": source_id,
        "reverses_entry_id": reverses,
        "lines": [list(line) for line in lines],
    }
    canonical = json.dumps(payload, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def _entry_by_key(key: str) -> JournalEntry | None:
    return db.session.scalar(select(JournalEntry).where(JournalEntry.idempotency_key == key))


def _repeat(first: JournalEntry, payload_hash: str) -> JournalEntry:
    if first.payload_hash != payload_hash:
        raise IdempotencyConflict(
            _l(
                "Kunci idempotensi %(key)s sudah dipakai oleh jurnal #%(id)s dengan isi yang berbeda.",
                key=first.idempotency_key,
                id=first.id,
            )
        )
    return first


def _transaction_cache() -> dict[Any, Any]:
    """Facts that hold until the current transaction ends: a month found open under our shared
    lock (nobody can close it before we commit), the accounts read once. Dropped with the
    transaction (or savepoint), and by this module's own changes to periods and accounts."""
    session = db.session()
    session.connection()  # begins the transaction, so the cache is never keyed to "none yet"
    transaction = session.get_nested_transaction() or session.get_transaction()
    if "ledger.cache" not in session.info or session.info.get("ledger.transaction") is not transaction:
        session.info["ledger.transaction"] = transaction
        session.info["ledger.cache"] = {}
    cache: dict[Any, Any] = session.info["ledger.cache"]
    return cache


def _forget_cached(prefix: str) -> None:
    cache = _transaction_cache()
    for key in [k for k in cache if k[0] == prefix]:
        del cache[key]


def _refuse_closed_period(tenant_id: int, entry_date: date) -> None:
    # A shared lock per period: postings run side by side, and `close_period` (exclusive) waits for
    # those in flight; the state is read after the lock, so a posting never lands in a closed month.
    cache = _transaction_cache()
    cached = ("period", tenant_id, entry_date.year, entry_date.month)
    if cached in cache:
        return
    key = _period_lock_key(tenant_id, entry_date.year, entry_date.month)
    db.session.execute(select(func.pg_advisory_xact_lock_shared(key)))
    closed = (
        select(FiscalPeriod.closed_at)
        .where(FiscalPeriod.year == entry_date.year, FiscalPeriod.month == entry_date.month)
        .scalar_subquery()
    )
    chart = ("accounts", tenant_id)
    if chart in cache:
        closed_at = db.session.scalar(select(closed))
    else:  # the accounts the posting needs next, read in the same round trip
        rows = db.session.execute(select(*_CHART_COLUMNS, closed.label("closed_at"))).all()
        cache[chart] = {row.code: row for row in rows}
        closed_at = rows[0].closed_at if rows else db.session.scalar(select(closed))
    if closed_at is not None:
        raise PeriodClosed(
            _l(
                "Periode %(period)s sudah ditutup: jurnal bertanggal %(date)s tidak dapat diposting.",
                period=_month_label(entry_date),
                date=LazyString(lambda: format_date(entry_date, "d MMMM y")),
            )
        )
    cache[cached] = True


_CHART_COLUMNS = (LedgerAccount.code, LedgerAccount.id, LedgerAccount.name, LedgerAccount.active)


def _usable_accounts(codes: set[str]) -> dict[str, int]:
    cache = _transaction_cache()
    tenant_id = require_tenant()
    if ("accounts", tenant_id) not in cache:
        rows = db.session.execute(select(*_CHART_COLUMNS))
        cache[("accounts", tenant_id)] = {row.code: row for row in rows}
    chart = cache[("accounts", tenant_id)]
    found = [chart[code] for code in sorted(codes) if code in chart]
    missing = codes - {row.code for row in found}
    if missing:
        raise AccountUnknown(_l("Akun %(codes)s tidak ada di bagan akun.", codes=", ".join(sorted(missing))))
    for row in found:
        if not row.active:
            raise AccountInactive(
                _l("Akun %(code)s %(name)s sudah tidak aktif.", code=row.code, name=row.name)
            )
    return {row.code: row.id for row in found}


def _period_lock_key(tenant_id: int, year: int, month: int) -> Any:
    return func.hashtextextended(f"ledger.period:{tenant_id}:{year}:{month:02d}", 0)


def _month_label(day: date) -> LazyString:
    first = date(day.year, day.month, 1)
    return LazyString(lambda: format_date(first, "MMMM y"))


def _actor_id() -> int | None:
    if has_request_context() and current_user.is_authenticated:
        return int(current_user.id)
    return None
