"""The savings use cases: set up products, open accounts, deposit and withdraw at the desk, approve
large withdrawals (maker-checker), open and close the teller's drawer, credit monthly interest,
settle a leaving member, list wajib arrears, and prove the sub-ledger equals the ledger.

Invariants: a balance changes only under `SELECT … FOR UPDATE` of its account, in the transaction
that writes the movement and posts its journal entry through `erp.ledger.service.post` — so 50
tellers withdrawing from one balance at once never overdraw it and each withdrawal posts once; a
movement's idempotency key applies it once (a repeat returns the first, a different payload is a
conflict); pokok and wajib leave only with the member; the sum of balances of each product's ledger
account equals that account's balance in the ledger (`reconcile`).
"""

from __future__ import annotations

import calendar
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, case, func, insert, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.attributes import set_committed_value

from core import audit
from core.db import db
from core.errors import DomainError, ErrorCode, NotFound
from core.money import InvariantViolation, format_rupiah, to_rupiah
from erp.ledger import service as ledger
from erp.ledger import shu
from erp.ledger.models import MAX_AMOUNT
from erp.ledger.service import IdempotencyConflict, NewEntry, credit, debit
from erp.membership import service as membership
from erp.membership.models import Member, MemberStatus
from erp.savings.models import (
    CREDITS,
    MovementKind,
    ProductKind,
    SavingsAccount,
    SavingsMovement,
    SavingsProduct,
    TellerShift,
    WithdrawalRequest,
)
from tenants.context import require_tenant

CASH = "1-1100"
INTEREST_EXPENSE = "6-2000"
TAX_PAYABLE = "2-1310"
SOURCE = "savings"
DAYS_IN_YEAR = 365


class InsufficientBalance(DomainError):
    code = ErrorCode.INSUFFICIENT_BALANCE
    status = 422


class SavingsRefused(DomainError):
    code = ErrorCode.INVALID_TRANSITION
    status = 422


class InvalidAmount(DomainError):
    code = ErrorCode.INVALID_INPUT
    status = 422


class ApprovalRequired(DomainError):
    code = ErrorCode.APPROVAL_REQUIRED
    status = 422


@dataclass(frozen=True)
class DefaultProduct:
    code: str
    name: str
    kind: ProductKind
    ledger_account_code: str
    amount: int | None = None
    interest_rate: Decimal = Decimal(0)
    term_months: int | None = None


DEFAULT_PRODUCTS = (
    DefaultProduct("SP", "Simpanan Pokok", ProductKind.POKOK, "3-1000", amount=50_000),
    DefaultProduct("SW", "Simpanan Wajib", ProductKind.WAJIB, "3-2000", amount=10_000),
    DefaultProduct("SS", "Simpanan Sukarela", ProductKind.SUKARELA, "2-1100", interest_rate=Decimal(3)),
    DefaultProduct(
        "SB", "Simpanan Berjangka", ProductKind.BERJANGKA, "2-1200", interest_rate=Decimal(6), term_months=12
    ),
)


@dataclass(frozen=True)
class ControlCheck:
    account_code: str
    sub_ledger: int
    ledger: int

    @property
    def ok(self) -> bool:
        return self.sub_ledger == self.ledger


@dataclass(frozen=True)
class Arrear:
    member_id: int
    member_number: str
    name: str
    months_owed: int
    amount_owed: int


@dataclass(frozen=True)
class ShiftSummary:
    shift: TellerShift
    deposits: int
    withdrawals: int

    @property
    def expected_cash(self) -> int:
        return self.shift.opening_cash + self.deposits - self.withdrawals


# --- products and accounts -----------------------------------------------------------------------


def install_products() -> int:
    """Give the current cooperative the chart of accounts and the four standard products it lacks."""
    require_tenant()
    ledger.install_chart_of_accounts()
    have = set(db.session.scalars(select(SavingsProduct.code)))
    created = 0
    for p in DEFAULT_PRODUCTS:
        if p.code in have:
            continue
        db.session.add(
            SavingsProduct(
                code=p.code,
                name=p.name,
                kind=p.kind.value,
                amount=p.amount,
                interest_rate=p.interest_rate,
                tax_rate=Decimal(0),
                term_months=p.term_months,
                ledger_account_code=p.ledger_account_code,
                approval_threshold=5_000_000,
            )
        )
        created += 1
    db.session.flush()
    return created


def products(active_only: bool = False) -> list[SavingsProduct]:
    require_tenant()
    stmt = select(SavingsProduct).order_by(SavingsProduct.id)
    if active_only:
        stmt = stmt.where(SavingsProduct.active)
    return list(db.session.scalars(stmt))


def product_by_kind(kind: ProductKind) -> SavingsProduct:
    found = db.session.scalar(
        select(SavingsProduct)
        .where(SavingsProduct.kind == kind.value, SavingsProduct.active)
        .order_by(SavingsProduct.id)
    )
    if found is None:
        raise NotFound(_l("Produk simpanan %(kind)s belum diatur.", kind=kind.value))
    return found


def update_product(product_id: int, data: dict[str, Any]) -> SavingsProduct:
    """Change a product's amount, rates, threshold or name (data passed `ProductSchema`)."""
    product = get_product(product_id)
    before = {k: str(getattr(product, k)) for k in data}
    for key, value in data.items():
        setattr(product, key, value)
    try:
        db.session.flush()
    except IntegrityError as err:
        db.session.rollback()
        raise InvalidAmount(_l("Pengaturan produk tidak sah.")) from err
    audit.record(
        "savings.product_changed",
        "savings_product",
        product.id,
        before=before,
        after={k: str(v) for k, v in data.items()},
    )
    db.session.commit()
    return product


def get_product(product_id: int) -> SavingsProduct:
    require_tenant()
    product = db.session.scalar(select(SavingsProduct).where(SavingsProduct.id == product_id))
    if product is None:
        raise NotFound(_l("Produk simpanan tidak ditemukan."))
    return product


def open_account(member_id: int, product_id: int, *, on: date | None = None) -> SavingsAccount:
    """Open the member's account of a product (one per product, except berjangka placements)."""
    member = membership.get_member(member_id)
    if member.status != MemberStatus.ACTIVE.value or member.member_number is None:
        raise SavingsRefused(_l("Hanya anggota aktif yang dapat membuka rekening simpanan."))
    product = get_product(product_id)
    if not product.active:
        raise SavingsRefused(_l("Produk simpanan ini tidak aktif."))
    on = on or date.today()
    existing = _open_account_of(member.id, product.id)
    if existing is not None and product.kind != ProductKind.BERJANGKA:
        return existing
    number = f"{product.code}-{member.member_number}"
    if product.kind == ProductKind.BERJANGKA:
        placements = db.session.scalar(
            select(func.count())
            .select_from(SavingsAccount)
            .where(SavingsAccount.member_id == member.id, SavingsAccount.product_id == product.id)
        )
        number = f"{number}-{int(placements or 0) + 1}"
    account = SavingsAccount(
        number=number,
        member_id=member.id,
        product_id=product.id,
        kind=product.kind,
        balance=0,
        status="open",
        opened_on=on,
        maturity_on=_add_months(on, product.term_months) if product.term_months else None,
    )
    db.session.add(account)
    db.session.flush()
    audit.record("savings.account_opened", "savings_account", account.id, after={"number": number})
    return account


def account_for(member_id: int, kind: ProductKind, *, on: date | None = None) -> SavingsAccount:
    """The member's open account of the cooperative's product of `kind`, opened if needed."""
    return open_account(member_id, product_by_kind(kind).id, on=on)


def get_account(account_id: int) -> SavingsAccount:
    require_tenant()
    account = db.session.scalar(
        select(SavingsAccount)
        .where(SavingsAccount.id == account_id)
        .execution_options(populate_existing=True)  # balances change by SQL, not through the ORM
    )
    if account is None:
        raise NotFound(_l("Rekening simpanan tidak ditemukan."))
    return account


def member_accounts(member_id: int) -> list[tuple[SavingsAccount, SavingsProduct]]:
    require_tenant()
    rows = db.session.execute(
        select(SavingsAccount, SavingsProduct)
        .join(
            SavingsProduct,
            and_(
                SavingsProduct.id == SavingsAccount.product_id,
                SavingsProduct.tenant_id == SavingsAccount.tenant_id,
            ),
        )
        .where(SavingsAccount.member_id == member_id)
        .order_by(SavingsProduct.id, SavingsAccount.id)
        .execution_options(populate_existing=True)
    )
    return [(a, p) for a, p in rows]


def movements(account_id: int, *, limit: int = 50, since: date | None = None) -> list[SavingsMovement]:
    """The newest movements of an account, newest first."""
    require_tenant()
    stmt = (
        select(SavingsMovement)
        .where(SavingsMovement.account_id == account_id)
        .order_by(SavingsMovement.id.desc())
        .limit(min(limit, 1000))
    )
    if since is not None:
        stmt = stmt.where(SavingsMovement.occurred_on >= since)
    return list(db.session.scalars(stmt))


def member_movements(member_id: int, *, limit: int = 20) -> list[tuple[SavingsMovement, SavingsAccount]]:
    require_tenant()
    rows = db.session.execute(
        select(SavingsMovement, SavingsAccount)
        .join(
            SavingsAccount,
            and_(
                SavingsAccount.id == SavingsMovement.account_id,
                SavingsAccount.tenant_id == SavingsMovement.tenant_id,
            ),
        )
        .where(SavingsAccount.member_id == member_id)
        .order_by(SavingsMovement.id.desc())
        .limit(min(limit, 200))
    )
    return [(m, a) for m, a in rows]


def get_movement(movement_id: int) -> SavingsMovement:
    require_tenant()
    found = db.session.scalar(select(SavingsMovement).where(SavingsMovement.id == movement_id))
    if found is None:
        raise NotFound(_l("Transaksi simpanan tidak ditemukan."))
    return found


def statement(account_id: int, start: date, end: date) -> tuple[int, list[SavingsMovement]]:
    """The opening balance on `start` and the movements from `start` to `end`, oldest first."""
    require_tenant()
    rows = list(
        db.session.scalars(
            select(SavingsMovement)
            .where(
                SavingsMovement.account_id == account_id,
                SavingsMovement.occurred_on >= start,
                SavingsMovement.occurred_on <= end,
            )
            .order_by(SavingsMovement.id)
            .limit(5000)
        )
    )
    opening = db.session.scalar(
        select(func.coalesce(func.sum(_signed()), 0)).where(
            SavingsMovement.account_id == account_id, SavingsMovement.occurred_on < start
        )
    )
    return int(opening or 0), rows


# --- the desk ------------------------------------------------------------------------------------


def deposit(
    account_id: int,
    amount: int,
    *,
    idempotency_key: str,
    teller_id: int | None,
    on: date | None = None,
    note: str | None = None,
) -> SavingsMovement:
    """Cash in at the desk: the balance grows and Kas is debited, in one transaction."""
    _require_amount(amount)
    desk = _lock_for_desk(account_id, idempotency_key, teller_id)
    account, product = desk.account, desk.product
    first = _repeat(desk, MovementKind.DEPOSIT, amount)
    if first is not None:
        return first
    if desk.member_status != MemberStatus.ACTIVE.value:
        raise SavingsRefused(_l("Setoran hanya untuk anggota aktif."))
    if account.status != "open":
        raise SavingsRefused(_l("Rekening sudah ditutup."))
    if product.kind == ProductKind.POKOK and account.balance + amount != (product.amount or 0):
        raise InvalidAmount(
            _l(
                "Simpanan pokok dibayar sekali sebesar %(amount)s.",
                amount=format_rupiah(product.amount or 0),
            ),
            fields={"amount": [str(_l("Jumlah tidak sesuai ketentuan simpanan pokok."))]},
        )
    if product.kind == ProductKind.WAJIB and amount % (product.amount or 1) != 0:
        raise InvalidAmount(
            _l(
                "Simpanan wajib dibayar kelipatan %(amount)s per bulan.",
                amount=format_rupiah(product.amount or 0),
            ),
            fields={"amount": [str(_l("Harus kelipatan iuran bulanan."))]},
        )
    if product.kind == ProductKind.BERJANGKA and account.balance > 0:
        raise SavingsRefused(_l("Simpanan berjangka disetor sekali pada awal jangka waktu."))
    shift_id = _require_shift(desk, teller_id)
    movement = _move(
        account,
        product,
        MovementKind.DEPOSIT,
        amount,
        idempotency_key=idempotency_key,
        on=on or date.today(),
        description=note or str(_l("Setoran tunai")),
        teller_id=teller_id,
        shift_id=shift_id,
        lines=[debit(CASH, amount), credit(product.ledger_account_code, amount)],
        phone=desk.member_phone,
    )
    db.session.commit()
    return movement


def withdraw(
    account_id: int,
    amount: int,
    *,
    idempotency_key: str,
    teller_id: int | None,
    on: date | None = None,
    note: str | None = None,
    approved_by: int | None = None,
) -> SavingsMovement:
    """Cash out at the desk. Pokok and wajib stay until the member leaves; berjangka until maturity;
    above the product's threshold a second person must approve first (`request_withdrawal`)."""
    _require_amount(amount)
    desk = _lock_for_desk(account_id, idempotency_key, teller_id)
    account, product = desk.account, desk.product
    first = _repeat(desk, MovementKind.WITHDRAWAL, amount)
    if first is not None:
        return first
    on = on or date.today()
    if product.kind in (ProductKind.POKOK, ProductKind.WAJIB):
        raise SavingsRefused(
            _l("Simpanan pokok dan wajib hanya dapat diambil saat anggota keluar."),
            fields={"amount": [str(_l("Tidak dapat ditarik."))]},
        )
    if product.kind == ProductKind.BERJANGKA and account.maturity_on and on < account.maturity_on:
        raise SavingsRefused(_l("Simpanan berjangka belum jatuh tempo."))
    if amount > product.approval_threshold and approved_by is None:
        raise ApprovalRequired(
            _l(
                "Penarikan di atas %(limit)s memerlukan persetujuan orang kedua.",
                limit=format_rupiah(product.approval_threshold),
            )
        )
    movement = _withdraw_locked(
        account,
        product,
        amount,
        idempotency_key=idempotency_key,
        on=on,
        description=note or str(_l("Penarikan tunai")),
        teller_id=teller_id,
        shift_id=_require_shift(desk, teller_id),
        approved_by=approved_by,
        phone=desk.member_phone,
    )
    db.session.commit()
    return movement


def request_withdrawal(account_id: int, amount: int, *, note: str | None = None) -> WithdrawalRequest:
    """The maker's half: a withdrawal above the threshold waits for a checker."""
    _require_amount(amount)
    account, product = _lock(account_id)
    if product.kind not in (ProductKind.SUKARELA, ProductKind.BERJANGKA):
        raise SavingsRefused(_l("Simpanan pokok dan wajib hanya dapat diambil saat anggota keluar."))
    if amount > account.balance:
        raise _insufficient(account)
    request = WithdrawalRequest(
        account_id=account.id, amount=amount, note=note, status="pending", requested_by=_actor()
    )
    db.session.add(request)
    db.session.flush()
    audit.record("savings.withdrawal_requested", "withdrawal_request", request.id, after={"amount": amount})
    db.session.commit()
    return request


def decide_withdrawal(request_id: int, *, approve: bool) -> WithdrawalRequest:
    """The checker's half: approve or reject; the checker is never the maker."""
    require_tenant()
    request = db.session.scalar(
        select(WithdrawalRequest).where(WithdrawalRequest.id == request_id).with_for_update()
    )
    if request is None:
        raise NotFound(_l("Permintaan penarikan tidak ditemukan."))
    if request.status != "pending":
        raise SavingsRefused(_l("Permintaan ini sudah diputuskan."))
    checker = _actor()
    if checker is not None and checker == request.requested_by:
        raise SavingsRefused(_l("Persetujuan harus oleh orang lain, bukan pembuat permintaan."))
    request.status = "approved" if approve else "rejected"
    request.decided_by = checker
    request.decided_at = datetime.now(UTC)
    audit.record(
        "savings.withdrawal_approved" if approve else "savings.withdrawal_rejected",
        "withdrawal_request",
        request.id,
        after={"amount": request.amount},
    )
    db.session.commit()
    return request


def pay_withdrawal(request_id: int, *, teller_id: int | None, on: date | None = None) -> SavingsMovement:
    """Pay out an approved request, once."""
    require_tenant()
    request = db.session.scalar(
        select(WithdrawalRequest).where(WithdrawalRequest.id == request_id).with_for_update()
    )
    if request is None:
        raise NotFound(_l("Permintaan penarikan tidak ditemukan."))
    if request.status != "approved":
        raise SavingsRefused(_l("Permintaan ini belum disetujui atau sudah dibayar."))
    movement = withdraw(
        request.account_id,
        request.amount,
        idempotency_key=f"withdrawal-request:{request.id}",
        teller_id=teller_id,
        on=on,
        note=request.note,
        approved_by=request.decided_by or -1,
    )
    request = db.session.scalar(select(WithdrawalRequest).where(WithdrawalRequest.id == request_id))
    if request is None:
        raise InvariantViolation("withdrawal request vanished")
    request.status = "paid"
    request.movement_id = movement.id
    db.session.commit()
    return movement


def pending_withdrawals() -> list[WithdrawalRequest]:
    require_tenant()
    return list(
        db.session.scalars(
            select(WithdrawalRequest)
            .where(WithdrawalRequest.status.in_(("pending", "approved")))
            .order_by(WithdrawalRequest.id)
            .limit(200)
        )
    )


def settle_on_exit(member_id: int, *, on: date, payee: str) -> int:
    """Pay out every balance of a leaving member and close the accounts; joins the caller's
    transaction (the change of the member's status). Returns the rupiah paid."""
    total = 0
    for account, _product in member_accounts(member_id):
        locked, product = _lock(account.id)
        if locked.balance > 0:
            amount = locked.balance
            _withdraw_locked(
                locked,
                product,
                amount,
                idempotency_key=f"exit:{locked.id}",
                on=on,
                description=str(_l("Pengembalian simpanan kepada %(payee)s", payee=payee))[:200],
                teller_id=_actor(),
                shift_id=None,
                approved_by=None,
                phone=None,
            )
            total += amount
        locked.status = "closed"
        locked.closed_on = on
    return total


# --- teller's drawer -----------------------------------------------------------------------------


def open_shift(teller_id: int, opening_cash: int) -> TellerShift:
    require_tenant()
    if (
        not isinstance(opening_cash, int)
        or isinstance(opening_cash, bool)
        or not 0 <= opening_cash <= MAX_AMOUNT
    ):
        raise InvalidAmount(_l("Kas awal harus rupiah bulat."))
    if current_shift(teller_id) is not None:
        raise SavingsRefused(_l("Laci kas Anda sudah dibuka."))
    shift = TellerShift(teller_id=teller_id, opening_cash=opening_cash)
    db.session.add(shift)
    try:
        db.session.flush()
    except IntegrityError as err:
        db.session.rollback()
        raise SavingsRefused(_l("Laci kas Anda sudah dibuka.")) from err
    audit.record("savings.shift_opened", "teller_shift", shift.id, after={"opening_cash": opening_cash})
    db.session.commit()
    return shift


def current_shift(teller_id: int) -> TellerShift | None:
    require_tenant()
    return db.session.scalar(
        select(TellerShift).where(TellerShift.teller_id == teller_id, TellerShift.closed_at.is_(None))
    )


def shift_summary(shift: TellerShift) -> ShiftSummary:
    rows = dict(
        db.session.execute(
            select(SavingsMovement.kind, func.coalesce(func.sum(SavingsMovement.amount), 0))
            .where(SavingsMovement.shift_id == shift.id)
            .group_by(SavingsMovement.kind)
        ).all()
    )
    return ShiftSummary(
        shift, int(rows.get(MovementKind.DEPOSIT.value, 0)), int(rows.get(MovementKind.WITHDRAWAL.value, 0))
    )


def close_shift(teller_id: int, counted_cash: int) -> ShiftSummary:
    """Close the teller's drawer: expected cash against counted cash; a difference is recorded."""
    require_tenant()
    if (
        not isinstance(counted_cash, int)
        or isinstance(counted_cash, bool)
        or not 0 <= counted_cash <= MAX_AMOUNT
    ):
        raise InvalidAmount(_l("Kas dihitung harus rupiah bulat."))
    shift = db.session.scalar(
        select(TellerShift)
        .where(TellerShift.teller_id == teller_id, TellerShift.closed_at.is_(None))
        .with_for_update()
    )
    if shift is None:
        raise SavingsRefused(_l("Tidak ada laci kas yang terbuka."))
    summary = shift_summary(shift)
    shift.closed_at = datetime.now(UTC)
    shift.counted_cash = counted_cash
    shift.expected_cash = summary.expected_cash
    audit.record(
        "savings.shift_closed",
        "teller_shift",
        shift.id,
        after={"expected": summary.expected_cash, "counted": counted_cash},
    )
    db.session.commit()
    return summary


# --- interest ------------------------------------------------------------------------------------


def credit_monthly_interest(year: int, month: int) -> int:
    """Credit jasa on every open sukarela account for the month, by daily balance (sum of each day's
    closing balance × yearly rate / 365, rounded half up), less the product's withholding tax; one
    journal entry for the cooperative. Running it again for the same month changes nothing.
    Returns the number of accounts credited."""
    tenant_id = require_tenant()
    start = date(year, month, 1)
    end = date(year, month, calendar.monthrange(year, month)[1])
    if end >= date.today():
        raise SavingsRefused(_l("Jasa hanya dapat dihitung untuk bulan yang sudah lewat."))
    label = f"{year:04d}-{month:02d}"
    entry_key = f"savings:interest:{label}"
    db.session.execute(
        select(func.pg_advisory_xact_lock(func.hashtextextended(f"{entry_key}:{tenant_id}", 0)))
    )
    if db.session.scalar(select(func.count()).where(ledger_key_exists(entry_key))):
        db.session.rollback()
        return 0
    rows = db.session.execute(
        select(
            SavingsAccount.id,
            SavingsProduct.interest_rate,
            SavingsProduct.tax_rate,
            SavingsProduct.ledger_account_code,
        )
        .join(
            SavingsProduct,
            and_(
                SavingsProduct.id == SavingsAccount.product_id,
                SavingsProduct.tenant_id == SavingsAccount.tenant_id,
            ),
        )
        .where(
            SavingsProduct.kind == ProductKind.SUKARELA.value,
            SavingsProduct.interest_rate > 0,
            SavingsAccount.status == "open",
            SavingsAccount.opened_on <= end,
        )
        .order_by(SavingsAccount.id)
        .with_for_update(of=SavingsAccount)
    ).all()
    if not rows:
        return 0
    ids = [r.id for r in rows]
    days = (end - start).days + 1
    # Balance at the start of the month is the balance now less every movement since (the accounts
    # are locked); each movement of the month counts for the days it was in the balance.
    sums = {
        account_id: (int(balance), int(since), int(weighted))
        for account_id, balance, since, weighted in db.session.execute(
            select(
                SavingsAccount.id,
                SavingsAccount.balance,
                func.coalesce(func.sum(_signed()), 0),
                func.coalesce(
                    func.sum(
                        case(
                            (
                                SavingsMovement.occurred_on <= end,
                                _signed() * (end - SavingsMovement.occurred_on + 1),
                            ),
                            else_=0,
                        )
                    ),
                    0,
                ),
            )
            .outerjoin(
                SavingsMovement,
                and_(
                    SavingsMovement.account_id == SavingsAccount.id,
                    SavingsMovement.tenant_id == SavingsAccount.tenant_id,
                    SavingsMovement.occurred_on >= start,
                ),
            )
            .where(SavingsAccount.id.in_(ids))
            .group_by(SavingsAccount.id, SavingsAccount.balance)
        )
    }
    credits: list[tuple[int, int, int, str]] = []  # account, interest, tax, ledger code
    for r in rows:
        balance, since, weighted = sums[r.id]
        daily_total = (balance - since) * days + weighted
        interest = to_rupiah(Decimal(daily_total) * r.interest_rate / Decimal(100) / DAYS_IN_YEAR)
        if interest <= 0:
            continue
        tax = to_rupiah(Decimal(interest) * r.tax_rate / Decimal(100))
        credits.append((r.id, interest, tax, r.ledger_account_code))
    if not credits:
        return 0
    new_balances: dict[int, int] = dict(
        db.session.execute(
            _CREDIT_BALANCES,
            {
                "ids": [c[0] for c in credits],
                "nets": [c[1] - c[2] for c in credits],
                "tenant": tenant_id,
            },
        ).all()
    )
    db.session.expire_all()  # the accounts' balances changed behind the ORM's back
    posted = ledger.post(
        NewEntry(
            entry_date=end,
            description=f"Jasa simpanan sukarela {label}",
            source_module=SOURCE,
            source_id=label,
            idempotency_key=entry_key,
            lines=_interest_lines(credits),
        )
    )
    movements_rows: list[dict[str, Any]] = []
    for account_id, interest, tax, _code in credits:
        after = new_balances[account_id]
        movements_rows.append(
            _movement_row(
                tenant_id, account_id, MovementKind.INTEREST, interest, after + tax, end, label, posted.id
            )
        )
        if tax:
            movements_rows.append(
                _movement_row(tenant_id, account_id, MovementKind.TAX, tax, after, end, label, posted.id)
            )
    db.session.execute(insert(SavingsMovement), movements_rows)
    audit.record("savings.interest_credited", "savings", label, after={"accounts": len(credits)})
    db.session.commit()
    return len(credits)


def ledger_key_exists(key: str) -> Any:
    from erp.ledger.models import JournalEntry

    return select(JournalEntry.id).where(JournalEntry.idempotency_key == key).exists()


def _movement_row(
    tenant_id: int,
    account_id: int,
    kind: MovementKind,
    amount: int,
    after: int,
    on: date,
    label: str,
    entry: int,
) -> dict[str, Any]:
    text = f"Jasa simpanan {label}" if kind == MovementKind.INTEREST else f"Pajak jasa simpanan {label}"
    return {
        "tenant_id": tenant_id,
        "account_id": account_id,
        "kind": kind.value,
        "amount": amount,
        "balance_after": after,
        "occurred_on": on,
        "description": text,
        "idempotency_key": f"{kind.value}:{account_id}:{label}",
        "journal_entry_id": entry,
    }


def _interest_lines(credits: list[tuple[int, int, int, str]]) -> list[Any]:
    by_code: dict[str, int] = defaultdict(int)
    total_interest = total_tax = 0
    for _id, interest, tax, code in credits:
        by_code[code] += interest - tax
        total_interest += interest
        total_tax += tax
    lines = [debit(INTEREST_EXPENSE, total_interest)]
    lines += [credit(code, amount) for code, amount in sorted(by_code.items()) if amount > 0]
    if total_tax:
        lines.append(credit(TAX_PAYABLE, total_tax))
    return lines


_CREDIT_BALANCES = text(
    """
    UPDATE savings_accounts AS a SET balance = a.balance + v.net
    FROM unnest(CAST(:ids AS bigint[]), CAST(:nets AS bigint[])) AS v(id, net)
    WHERE a.tenant_id = :tenant AND a.id = v.id
    RETURNING a.id, a.balance
    """
)


def credit_matured_deposits(on: date) -> int:
    """Credit the jasa of every simpanan berjangka that reached maturity by `on`: the balance × the
    yearly rate × the term in months / 12, rounded half up, less the withholding tax, in the
    account; from then on it may be withdrawn (paid out) at the desk. Once per maturity date.
    Returns the number of deposits credited."""
    require_tenant()
    due = list(
        db.session.scalars(
            select(SavingsAccount.id)
            .where(
                SavingsAccount.kind == ProductKind.BERJANGKA.value,
                SavingsAccount.status == "open",
                SavingsAccount.balance > 0,
                SavingsAccount.maturity_on <= on,
            )
            .order_by(SavingsAccount.id)
            .limit(5000)
        )
    )
    credited = sum(_credit_maturity(account_id) for account_id in due)
    db.session.commit()
    return credited


def _credit_maturity(account_id: int) -> int:
    """Credit one deposit's jasa for its current term, once (by the maturity's idempotency key);
    returns 1 when credited now, 0 when there was nothing (more) to credit."""
    account, product = _lock(account_id)
    if account.maturity_on is None:
        return 0
    key = f"maturity:{account.id}:{account.maturity_on.isoformat()}"
    if db.session.scalar(select(SavingsMovement.id).where(SavingsMovement.idempotency_key == key)):
        return 0
    months = Decimal(product.term_months or 0)
    interest = to_rupiah(Decimal(account.balance) * product.interest_rate / 100 * months / 12)
    if interest <= 0:
        return 0
    tax = to_rupiah(Decimal(interest) * product.tax_rate / Decimal(100))
    _move(
        account,
        product,
        MovementKind.INTEREST,
        interest,
        idempotency_key=key,
        on=account.maturity_on,
        description=str(_l("Jasa simpanan berjangka")),
        teller_id=None,
        shift_id=None,
        lines=[debit(INTEREST_EXPENSE, interest), credit(product.ledger_account_code, interest)],
        phone=None,
    )
    if tax:
        _move(
            account,
            product,
            MovementKind.TAX,
            tax,
            idempotency_key=f"tax:{key}",
            on=account.maturity_on,
            description=str(_l("Pajak jasa simpanan berjangka")),
            teller_id=None,
            shift_id=None,
            lines=[debit(product.ledger_account_code, tax), credit(TAX_PAYABLE, tax)],
            phone=None,
        )
    return 1


def roll_over(account_id: int, *, on: date | None = None) -> SavingsAccount:
    """Renew a matured simpanan berjangka for another term from `on`: its jasa for the ended term
    is credited first (if the monthly job has not done it yet), then principal and jasa stay in
    for the new term. Audited. Before maturity, or for another product, it is refused."""
    require_tenant()
    on = on or date.today()
    account, product = _lock(account_id)
    if product.kind != ProductKind.BERJANGKA.value or account.status != "open" or account.maturity_on is None:
        raise SavingsRefused(_l("Hanya simpanan berjangka yang masih berjalan dapat diperpanjang."))
    if account.maturity_on > on:
        raise SavingsRefused(
            _l("Simpanan ini baru jatuh tempo pada %(day)s.", day=account.maturity_on.strftime("%d-%m-%Y"))
        )
    _credit_maturity(account.id)
    before = {"maturity_on": account.maturity_on.isoformat()}
    account.maturity_on = _add_months(on, product.term_months or 0)
    audit.record(
        "deposit_rolled_over",
        "savings_account",
        account.id,
        before=before,
        after={"maturity_on": account.maturity_on.isoformat(), "balance": account.balance},
    )
    db.session.commit()
    return account


# --- read models for other modules and checks ----------------------------------------------------


def total_balance() -> int:
    """All members' savings in this cooperative, every product, as the accounts hold them now."""
    require_tenant()
    return int(db.session.scalar(select(func.coalesce(func.sum(SavingsAccount.balance), 0))) or 0)


def equity_balances(as_of: date) -> dict[int, int]:
    """Member id → simpanan pokok + wajib at the end of `as_of` (for SHU jasa modal)."""
    require_tenant()
    rows = db.session.execute(
        select(SavingsAccount.member_id, func.sum(_signed()))
        .join(
            SavingsAccount,
            and_(
                SavingsAccount.id == SavingsMovement.account_id,
                SavingsAccount.tenant_id == SavingsMovement.tenant_id,
            ),
        )
        .where(
            SavingsAccount.kind.in_((ProductKind.POKOK.value, ProductKind.WAJIB.value)),
            SavingsMovement.occurred_on <= as_of,
        )
        .group_by(SavingsAccount.member_id)
    )
    return {member_id: int(total) for member_id, total in rows if total}


def member_balances(member_id: int) -> dict[str, int]:
    """Product kind → the member's balance now."""
    totals: dict[str, int] = defaultdict(int)
    for account, _product in member_accounts(member_id):
        totals[account.kind] += account.balance
    return dict(totals)


def reconcile(as_of: date) -> list[ControlCheck]:
    """For each ledger account the products sit in: the sub-ledger total at `as_of` (sum of the
    movements of its accounts) and the ledger's balance. `ok` on every row proves them equal."""
    require_tenant()
    sub: dict[str, int] = dict(
        db.session.execute(
            select(SavingsProduct.ledger_account_code, func.coalesce(func.sum(_signed()), 0))
            .select_from(SavingsProduct)
            .outerjoin(
                SavingsAccount,
                and_(
                    SavingsAccount.product_id == SavingsProduct.id,
                    SavingsAccount.tenant_id == SavingsProduct.tenant_id,
                ),
            )
            .outerjoin(
                SavingsMovement,
                and_(
                    SavingsMovement.account_id == SavingsAccount.id,
                    SavingsMovement.tenant_id == SavingsAccount.tenant_id,
                    SavingsMovement.occurred_on <= as_of,
                ),
            )
            .group_by(SavingsProduct.ledger_account_code)
        ).all()
    )
    return [
        ControlCheck(code, int(total), ledger.account_balance(code, as_of))
        for code, total in sorted(sub.items())
    ]


def balances_match_movements() -> bool:
    """Each account's balance equals the sum of its movements (the sub-ledger is self-consistent)."""
    require_tenant()
    mismatched = db.session.scalar(
        select(func.count()).select_from(
            select(SavingsAccount.id)
            .outerjoin(
                SavingsMovement,
                and_(
                    SavingsMovement.account_id == SavingsAccount.id,
                    SavingsMovement.tenant_id == SavingsAccount.tenant_id,
                ),
            )
            .group_by(SavingsAccount.id, SavingsAccount.balance)
            .having(func.coalesce(func.sum(_signed()), 0) != SavingsAccount.balance)
            .subquery()
        )
    )
    return not mismatched


def wajib_arrears(as_of: date) -> list[Arrear]:
    """Active members behind on simpanan wajib at `as_of`: every month from joining is due."""
    require_tenant()
    product = db.session.scalar(
        select(SavingsProduct).where(SavingsProduct.kind == ProductKind.WAJIB.value, SavingsProduct.active)
    )
    if product is None or not product.amount:
        return []
    paid = (
        select(SavingsAccount.member_id, func.sum(SavingsAccount.balance).label("paid"))
        .where(SavingsAccount.kind == ProductKind.WAJIB.value)
        .group_by(SavingsAccount.member_id)
        .subquery()
    )
    rows = db.session.execute(
        select(Member.id, Member.member_number, Member.name, Member.joined_on, func.coalesce(paid.c.paid, 0))
        .outerjoin(paid, paid.c.member_id == Member.id)
        .where(Member.status == MemberStatus.ACTIVE.value, Member.joined_on <= as_of)
        .order_by(Member.member_number)
    )
    result = []
    for member_id, number, name, joined, paid_total in rows:
        due = (as_of.year - joined.year) * 12 + as_of.month - joined.month + 1
        owed = due - int(paid_total) // product.amount
        if owed > 0:
            result.append(Arrear(member_id, number or "", name, owed, owed * product.amount))
    return result


# --- internals -----------------------------------------------------------------------------------


def _signed() -> Any:
    return case(
        (SavingsMovement.kind.in_([k.value for k in CREDITS]), SavingsMovement.amount),
        else_=-SavingsMovement.amount,
    )


def _lock(account_id: int) -> tuple[SavingsAccount, SavingsProduct]:
    require_tenant()
    if not isinstance(account_id, int) or isinstance(account_id, bool):
        raise NotFound(_l("Rekening simpanan tidak ditemukan."))
    account = db.session.scalar(
        select(SavingsAccount)
        .where(SavingsAccount.id == account_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if account is None:
        raise NotFound(_l("Rekening simpanan tidak ditemukan."))
    product = db.session.scalar(select(SavingsProduct).where(SavingsProduct.id == account.product_id))
    if product is None:
        raise InvariantViolation("savings account without its product")
    return account, product


@dataclass
class _Desk:
    """A locked account with what a desk movement needs to know, read in one query."""

    account: SavingsAccount
    product: SavingsProduct
    member_status: str
    member_phone: str | None
    repeat_id: int | None
    shift_id: int | None
    key: str


def _lock_for_desk(account_id: int, key: str, teller_id: int | None) -> _Desk:
    """Lock the account (`FOR UPDATE`) and read, in the same statement, its product, its member's
    status and phone, an earlier movement under `key`, and the teller's open shift."""
    require_tenant()
    if not isinstance(key, str) or not 0 < len(key) <= 100:
        raise InvalidAmount(_l("Kunci transaksi tidak sah; muat ulang formulir."))
    if not isinstance(account_id, int) or isinstance(account_id, bool):
        raise NotFound(_l("Rekening simpanan tidak ditemukan."))
    repeat = select(SavingsMovement.id).where(SavingsMovement.idempotency_key == key).scalar_subquery()
    shift = (
        select(TellerShift.id)
        .where(TellerShift.teller_id == (teller_id or 0), TellerShift.closed_at.is_(None))
        .scalar_subquery()
    )
    row = db.session.execute(
        select(SavingsAccount, SavingsProduct, Member.status, Member.phone, repeat, shift)
        .join(
            SavingsProduct,
            and_(
                SavingsProduct.id == SavingsAccount.product_id,
                SavingsProduct.tenant_id == SavingsAccount.tenant_id,
            ),
        )
        .join(
            Member, and_(Member.id == SavingsAccount.member_id, Member.tenant_id == SavingsAccount.tenant_id)
        )
        .where(SavingsAccount.id == account_id)
        .with_for_update(of=SavingsAccount)
        .execution_options(populate_existing=True)
    ).one_or_none()
    if row is None:
        raise NotFound(_l("Rekening simpanan tidak ditemukan."))
    account, product, status, phone, repeat_id, shift_id = row
    return _Desk(account, product, status, phone, repeat_id, shift_id, key)


def _repeat(desk: _Desk, kind: MovementKind, amount: int) -> SavingsMovement | None:
    """The movement first recorded under the desk's key, if this is a repeat of it."""
    if desk.repeat_id is None:
        return None
    first = db.session.scalar(select(SavingsMovement).where(SavingsMovement.id == desk.repeat_id))
    if first is None:
        raise InvariantViolation("a repeated movement vanished")
    if (first.account_id, first.kind, first.amount) != (desk.account.id, kind.value, amount):
        raise IdempotencyConflict(_l("Transaksi ini sudah dicatat dengan isi yang berbeda."))
    db.session.commit()
    return first


def _require_shift(desk: _Desk, teller_id: int | None) -> int | None:
    if teller_id is None:
        return None
    if desk.shift_id is None:
        raise SavingsRefused(_l("Buka laci kas terlebih dahulu."))
    return int(desk.shift_id)


def _withdraw_locked(
    account: SavingsAccount,
    product: SavingsProduct,
    amount: int,
    *,
    idempotency_key: str,
    on: date,
    description: str,
    teller_id: int | None,
    shift_id: int | None,
    approved_by: int | None,
    phone: str | None,
) -> SavingsMovement:
    if amount > account.balance:
        raise _insufficient(account)
    return _move(
        account,
        product,
        MovementKind.WITHDRAWAL,
        amount,
        idempotency_key=idempotency_key,
        on=on,
        description=description,
        teller_id=teller_id,
        shift_id=shift_id,
        lines=[debit(product.ledger_account_code, amount), credit(CASH, amount)],
        phone=phone,
        approved_by=approved_by if approved_by and approved_by > 0 else None,
    )


def _move(
    account: SavingsAccount,
    product: SavingsProduct,
    kind: MovementKind,
    amount: int,
    *,
    idempotency_key: str,
    on: date,
    description: str,
    teller_id: int | None,
    shift_id: int | None,
    lines: list[Any],
    phone: str | None,
    approved_by: int | None = None,
) -> SavingsMovement:
    """Apply one movement to a locked account: balance, movement row, journal entry, audit and the
    member's notification, all in the caller's transaction."""
    new_balance = account.balance + (amount if kind in CREDITS else -amount)
    if new_balance < 0:
        raise InvariantViolation("a movement would make a balance negative")
    entry = ledger.post(
        NewEntry(
            entry_date=on,
            description=f"{description} {account.number}"[:500],
            source_module=SOURCE,
            source_id=account.number,
            idempotency_key=f"savings:{idempotency_key}",
            lines=lines,
        ),
        posted_by=teller_id,
    )
    notification = None
    if phone:
        verb = _l("Setoran") if kind in CREDITS else _l("Penarikan")
        notification = (
            str(_l("%(verb)s %(product)s", verb=verb, product=product.name)),
            str(
                _l(
                    "%(verb)s %(amount)s pada %(account)s. Saldo: %(balance)s.",
                    verb=verb,
                    amount=format_rupiah(amount),
                    account=account.number,
                    balance=format_rupiah(new_balance),
                )
            ),
        )
    row = db.session.execute(
        _MOVE,
        {
            "tenant": account.tenant_id,
            "account": account.id,
            "kind": kind.value,
            "amount": amount,
            "after": new_balance,
            "on": on,
            "description": description[:200],
            "key": idempotency_key,
            "entry": entry.id,
            "shift": shift_id,
            "teller": teller_id,
            "approved_by": approved_by,
            "phone": phone if notification else None,
            "subject": notification[0] if notification else None,
            "body": notification[1] if notification else None,
        },
    ).one_or_none()
    if row is None:
        # The key was seen only now: a concurrent repeat committed while we waited for the lock,
        # the ledger returned that repeat's entry, and the first movement is the answer.
        first = db.session.scalar(
            select(SavingsMovement).where(SavingsMovement.idempotency_key == idempotency_key)
        )
        if first is None or (first.account_id, first.kind, first.amount) != (account.id, kind.value, amount):
            raise IdempotencyConflict(_l("Transaksi ini sudah dicatat dengan isi yang berbeda."))
        return first
    set_committed_value(account, "balance", new_balance)  # written by the statement above
    audit.record(
        f"savings.{kind.value}",
        "savings_account",
        account.id,
        after={"amount": amount, "balance": new_balance, "movement": row.id},
    )
    return SavingsMovement(**row._asdict())


# The movement, the new balance and the member's notification in one statement (a desk deposit is
# the hottest write of a cooperative). The balance changes only if the movement was inserted.
_MOVE = text(
    """
    WITH movement AS (
        INSERT INTO savings_movements (tenant_id, account_id, kind, amount, balance_after, occurred_on,
                                       description, idempotency_key, journal_entry_id, shift_id, teller_id,
                                       approved_by)
        VALUES (:tenant, :account, :kind, :amount, :after, :on, :description, :key, :entry, :shift, :teller,
                :approved_by)
        ON CONFLICT (tenant_id, idempotency_key) DO NOTHING
        RETURNING *
    ), balance AS (
        UPDATE savings_accounts AS a SET balance = m.balance_after
        FROM movement AS m WHERE a.tenant_id = m.tenant_id AND a.id = m.account_id
        RETURNING a.id
    ), notification AS (
        INSERT INTO notifications (channel, recipient, subject, body)
        SELECT 'whatsapp', CAST(:phone AS varchar), CAST(:subject AS varchar), CAST(:body AS text)
        FROM movement WHERE CAST(:phone AS varchar) IS NOT NULL
        RETURNING id
    )
    SELECT id, tenant_id, account_id, kind, amount, balance_after, occurred_on, recorded_at, description,
           idempotency_key, journal_entry_id, shift_id, teller_id, approved_by
    FROM movement
    """
)


def _insufficient(account: SavingsAccount) -> InsufficientBalance:
    return InsufficientBalance(
        _l("Saldo tidak cukup: saldo %(balance)s.", balance=format_rupiah(account.balance)),
        fields={"amount": [str(_l("Melebihi saldo."))]},
    )


def _open_account_of(member_id: int, product_id: int) -> SavingsAccount | None:
    return db.session.scalar(
        select(SavingsAccount).where(
            SavingsAccount.member_id == member_id,
            SavingsAccount.product_id == product_id,
            SavingsAccount.status == "open",
        )
    )


def _require_amount(amount: Any) -> None:
    if isinstance(amount, bool) or not isinstance(amount, int) or not 0 < amount <= MAX_AMOUNT:
        raise InvalidAmount(
            _l("Jumlah harus rupiah bulat lebih dari nol."),
            fields={"amount": [str(_l("Jumlah harus rupiah bulat lebih dari nol."))]},
        )


def _add_months(day: date, months: int) -> date:
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def _actor() -> int | None:
    return membership.audit_actor()


def pay_shu_into_savings(year: int, *, on: date) -> int:
    """Credit each member's posted SHU share of `year`, held in Utang SHU Anggota since the
    distribution, to their simpanan sukarela (opened if needed). Once per member and year (by
    idempotency key), so running it again pays nobody twice. Returns how many were credited now."""
    require_tenant()
    credited = 0
    for share in shu.allocations(year):
        amount = share.jasa_modal + share.jasa_usaha
        key = f"shu:{year}:{share.member_id}"
        if amount <= 0 or db.session.scalar(
            select(SavingsMovement.id).where(SavingsMovement.idempotency_key == key)
        ):
            continue
        account, product = _lock(account_for(share.member_id, ProductKind.SUKARELA, on=on).id)
        _move(
            account,
            product,
            MovementKind.DEPOSIT,
            amount,
            idempotency_key=key,
            on=on,
            description=str(_l("SHU tahun buku %(year)s", year=year)),
            teller_id=None,
            shift_id=None,
            lines=[debit(shu.MEMBERS_SHU_PAYABLE, amount), credit(product.ledger_account_code, amount)],
            phone=None,
        )
        credited += 1
    db.session.commit()
    return credited


# SHU jasa modal: members' equity savings (pokok + wajib) come from here.
shu.sources.register("jasa_modal", equity_balances)


def transfer_out(
    account_id: int,
    amount: int,
    *,
    idempotency_key: str,
    on: date,
    description: str,
    credit_lines: list[Any],
    teller_id: int | None,
) -> SavingsMovement:
    """Take `amount` out of a member's simpanan sukarela to pay the cooperative (a loan installment
    deducted from savings): the balance falls under the account's row lock and one journal entry
    debits the product's account against `credit_lines`, which must sum to `amount`. No cash moves,
    so no drawer is needed. Joins the caller's transaction (the caller commits or rolls back)."""
    _require_amount(amount)
    desk = _lock_for_desk(account_id, idempotency_key, teller_id)
    account, product = desk.account, desk.product
    if desk.repeat_id is not None:
        raise IdempotencyConflict(_l("Transaksi ini sudah dicatat dengan isi yang berbeda."))
    if product.kind != ProductKind.SUKARELA:
        raise SavingsRefused(_l("Potongan hanya dari simpanan sukarela."))
    if account.status != "open":
        raise SavingsRefused(_l("Rekening sudah ditutup."))
    if sum(line.credit - line.debit for line in credit_lines) != amount:
        raise InvariantViolation("a transfer's credit lines must sum to its amount")
    if amount > account.balance:
        raise _insufficient(account)
    return _move(
        account,
        product,
        MovementKind.WITHDRAWAL,
        amount,
        idempotency_key=idempotency_key,
        on=on,
        description=description,
        teller_id=teller_id,
        shift_id=None,
        lines=[debit(product.ledger_account_code, amount), *credit_lines],
        phone=desk.member_phone,
    )
