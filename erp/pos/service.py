"""The gerai counter's use cases: shifts, checkout (discounts, split payment, member kasbon), receipts
and their reprints, voids and returns under a supervisor's PIN, kasbon repayments, the Z report, and
member purchases for SHU jasa usaha.

Invariants:
- A sale belongs to its kasir's open shift; a shift is closed once, its drawer counted, and the
  difference against the expected cash (float + cash taken − change − cash refunded) posted to
  Selisih Kas.
- A checkout locks the stock balances of its products in product-id order (`SELECT … ORDER BY
  product_id FOR UPDATE`, STYLE rule 21), refuses to sell past what is on hand before writing
  anything, and then writes the sale, its lines and payments, the stock moves, the member's kasbon
  and one journal entry in one transaction; its idempotency key applies it once.
- Sales are booked at net revenue: a discount lowers the amount credited to Penjualan Sembako and is
  kept on the sale and its lines. Only a person allowed to discount may give one; a line sold below
  its cost after discount needs a supervisor's PIN; a price never exceeds the product's HET.
- The payments of a sale sum to what was tendered; change comes only from cash; the journal entry
  debits Kas (cash less change), Bank (QRIS, transfer) and Piutang Anggota (kasbon).
- A void (the whole sale, while its shift is open) and a return (some lines, later) need a
  supervisor's PIN; they are refunded to the member's kasbon first, then as paid (a void) or in cash
  (a return); the journal entry undoes revenue, and cost for what goes back on the shelf.
- A refused use case rolls back and leaves nothing behind.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import redis
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    BigInteger,
    String,
    bindparam,
    case,
    func,
    insert,
    literal,
    literal_column,
    select,
    true,
    union_all,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.orm import aliased

from core import audit
from core.auth import hash_password
from core.db import db
from core.errors import DomainError, ErrorCode, NotFound
from core.extensions import redis_client
from core.models import User
from core.money import InvariantViolation, format_rupiah, split, to_rupiah
from core.permissions import ROLE_PERMISSIONS
from erp.inventory import service as inventory
from erp.inventory.models import Commodity, Location, MoveKind, Product, QuotaUse, StockBalance
from erp.ledger import service as ledger
from erp.ledger import shu
from erp.ledger.models import MAX_AMOUNT
from erp.ledger.service import IdempotencyConflict, NewEntry, NewLine, credit, debit
from erp.membership import service as membership
from erp.membership.models import Member, MemberStatus
from erp.pos.models import (
    CODE_BYTES,
    DENOMINATIONS,
    MIXED,
    CreditRepayment,
    MemberCredit,
    Payment,
    PaymentMethod,
    PosSettings,
    ProductWord,
    ReceiptPrint,
    ReturnKind,
    ReturnLine,
    Sale,
    SaleLine,
    SaleReturn,
    Shift,
    SupervisorPin,
)
from tenants.context import require_tenant
from tenants.models import Membership
from tenants.service import PPN_ACCOUNT, legal_data, ppn_rate_on

CASH = "1-1100"
BANK = "1-1110"
MEMBER_RECEIVABLE = "1-1120"
SALES = "4-2100"
COST_OF_SALES = "5-1100"
INVENTORY = "1-1500"
CASH_VARIANCE = "6-9100"
PPN_OUTPUT = PPN_ACCOUNT  # 2-1311 Utang PPN Keluaran
SOURCE = "pos"
MAX_LINES = 100
MAX_QUANTITY = 10_000
MAX_FLOAT = 100_000_000
MAX_PIN_FAILURES = 5
PIN_LOCK_SECONDS = 15 * 60

_pin_hasher = PasswordHasher()


class InvalidSale(DomainError):
    code = ErrorCode.INVALID_INPUT
    status = 422


class OutOfStock(DomainError):
    code = ErrorCode.INSUFFICIENT_BALANCE
    status = 422


class NoOpenShift(DomainError):
    code = ErrorCode.INVALID_TRANSITION
    status = 422


class DiscountNotAllowed(DomainError):
    code = ErrorCode.FORBIDDEN
    status = 403


class ApprovalRequired(DomainError):
    code = ErrorCode.APPROVAL_REQUIRED
    status = 422


class PinRefused(DomainError):
    code = ErrorCode.LOGIN_FAILED
    status = 422


class PinLocked(DomainError):
    code = ErrorCode.LOGIN_LOCKED
    status = 429


class CreditLimitExceeded(DomainError):
    code = ErrorCode.INSUFFICIENT_BALANCE
    status = 422


@dataclass(frozen=True)
class CartLine:
    product_id: int
    quantity: int
    price: int | None = None
    discount: int = 0


@dataclass(frozen=True)
class Tender:
    """One way the customer pays: `tunai` (cash handed over), `qris`/`transfer` with the reference
    the kasir confirmed, or `kredit` (the member's kasbon)."""

    method: str
    amount: int | None = None
    reference: str | None = None


@dataclass(frozen=True)
class Receipt:
    sale: Sale
    lines: list[tuple[SaleLine, Product]]
    member: Member | None
    payments: list[Payment]
    kasir_name: str | None
    returns: list[SaleReturn]
    copy_number: int  # 1: the original; 2 and on: a copy (SALINAN), printed that many times
    npwp: str | None = None  # the cooperative's, printed when the sale was made as a PKP


@dataclass(frozen=True)
class ReturnRequest:
    sale_line_id: int
    quantity: int
    restock: bool = True


# --- small helpers --------------------------------------------------------------------------------


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _refusing(func_: Any) -> Any:
    """Run a use case; on any error roll the whole transaction back, so a refusal writes nothing."""

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func_(*args, **kwargs)
        except Exception:
            db.session.rollback()
            raise

    wrapper.__name__ = func_.__name__
    wrapper.__doc__ = func_.__doc__
    return wrapper


def settings() -> PosSettings:
    """The cooperative's counter settings (defaults until someone saves them)."""
    require_tenant()
    found = db.session.scalar(select(PosSettings))
    return found if found is not None else PosSettings(default_credit_limit=0, receipt_width=80)


@_refusing
def update_settings(*, default_credit_limit: Any, receipt_width: Any) -> PosSettings:
    tenant_id = require_tenant()
    if not _is_int(default_credit_limit) or not 0 <= default_credit_limit <= MAX_FLOAT:
        raise InvalidSale(
            _l("Batas kasbon harus rupiah bulat, 0 sampai 100 juta."),
            fields={"default_credit_limit": [str(_l("Tidak sah."))]},
        )
    if receipt_width not in (58, 80):
        raise InvalidSale(_l("Lebar struk 58 atau 80 mm."), fields={"receipt_width": [str(_l("Tidak sah."))]})
    db.session.execute(
        pg_insert(PosSettings)
        .values(tenant_id=tenant_id, default_credit_limit=0, receipt_width=80)
        .on_conflict_do_nothing(index_elements=["tenant_id"])
    )
    current = db.session.scalar(
        select(PosSettings).with_for_update().execution_options(populate_existing=True)
    )
    if current is None:
        raise InvariantViolation("pos settings row missing after upsert")
    before = {"default_credit_limit": current.default_credit_limit, "receipt_width": current.receipt_width}
    current.default_credit_limit, current.receipt_width = default_credit_limit, receipt_width
    audit.record(
        "pos.settings_updated",
        "pos_settings",
        current.id,
        before=before,
        after={"default_credit_limit": default_credit_limit, "receipt_width": receipt_width},
    )
    db.session.commit()
    return current


# --- shifts ---------------------------------------------------------------------------------------


def open_shift_of(kasir_id: int) -> Shift | None:
    require_tenant()
    return db.session.scalar(select(Shift).where(Shift.kasir_id == kasir_id, Shift.closed_at.is_(None)))


@_refusing
def open_shift(*, kasir_id: int, location_id: int, opening_float: Any, on: date | None = None) -> Shift:
    """Open the kasir's shift at a gerai with the cash float in the drawer."""
    require_tenant()
    if not _is_int(opening_float) or not 0 <= opening_float <= MAX_FLOAT:
        raise InvalidSale(
            _l("Modal awal harus rupiah bulat, 0 sampai 100 juta."),
            fields={"opening_float": [str(_l("Tidak sah."))]},
        )
    if db.session.scalar(select(Location.id).where(Location.id == location_id)) is None:
        raise InvalidSale(_l("Lokasi penjualan tidak ditemukan."))
    if open_shift_of(kasir_id) is not None:
        raise InvalidSale(_l("Anda masih punya shift yang terbuka; tutup dulu sebelum membuka yang baru."))
    shift = Shift(
        location_id=location_id,
        kasir_id=kasir_id,
        business_day=on or date.today(),
        opening_float=opening_float,
    )
    db.session.add(shift)
    db.session.flush()
    audit.record("pos.shift_opened", "pos_shift", shift.id, after={"opening_float": opening_float})
    db.session.commit()
    return shift


def get_shift(shift_id: int) -> Shift:
    require_tenant()
    shift = db.session.scalar(select(Shift).where(Shift.id == shift_id))
    if shift is None:
        raise NotFound(_l("Shift tidak ditemukan."))
    return shift


def expected_cash(shift: Shift) -> int:
    """What the drawer should hold: the float, plus cash taken (less change), plus cash kasbon
    repayments, less cash refunded on voids and returns."""
    cash_in = db.session.scalar(
        select(func.coalesce(func.sum(Payment.amount), 0))
        .join(Sale, (Sale.id == Payment.sale_id) & (Sale.tenant_id == Payment.tenant_id))
        .where(Sale.shift_id == shift.id, Payment.method == PaymentMethod.TUNAI.value)
    )
    change = db.session.scalar(
        select(func.coalesce(func.sum(Sale.change), 0)).where(Sale.shift_id == shift.id)
    )
    repaid = db.session.scalar(
        select(func.coalesce(func.sum(CreditRepayment.amount), 0)).where(
            CreditRepayment.shift_id == shift.id, CreditRepayment.method == PaymentMethod.TUNAI.value
        )
    )
    refunded = db.session.scalar(
        select(func.coalesce(func.sum(SaleReturn.refund_cash), 0)).where(SaleReturn.shift_id == shift.id)
    )
    return shift.opening_float + int(cash_in or 0) - int(change or 0) + int(repaid or 0) - int(refunded or 0)


def count_denominations(counts: dict[Any, Any]) -> tuple[int, dict[str, int]]:
    """The cash counted from `{denomination: pieces}`; refuses unknown notes or bad counts."""
    total, clean = 0, {}
    for raw_value, raw_pieces in counts.items():
        try:
            value = int(raw_value)
        except (TypeError, ValueError):
            value = -1
        if value not in DENOMINATIONS:
            raise InvalidSale(_l("Pecahan uang %(v)s tidak dikenal.", v=raw_value))
        if not _is_int(raw_pieces) or not 0 <= raw_pieces <= 100_000:
            raise InvalidSale(
                _l("Jumlah lembar/keping pecahan %(v)s harus bilangan bulat 0 sampai 100.000.", v=value),
                fields={f"d{value}": [str(_l("Tidak sah."))]},
            )
        if raw_pieces:
            clean[str(value)] = raw_pieces
            total += value * raw_pieces
    return total, clean


@_refusing
def close_shift(shift_id: int, counts: dict[Any, Any], *, closed_by: int, note: str | None = None) -> Shift:
    """Close a shift with the drawer counted by denomination; the variance is recorded and posted
    (short: debit Selisih Kas, credit Kas; over: the other way)."""
    require_tenant()
    counted, clean = count_denominations(counts)
    shift = db.session.scalar(
        select(Shift).where(Shift.id == shift_id).with_for_update().execution_options(populate_existing=True)
    )
    if shift is None:
        raise NotFound(_l("Shift tidak ditemukan."))
    if shift.closed_at is not None:
        raise InvalidSale(_l("Shift ini sudah ditutup."))
    expected = expected_cash(shift)
    variance = counted - expected
    entry_id = None
    if variance:
        ledger.ensure_accounts(CASH_VARIANCE)
        lines = (
            [debit(CASH_VARIANCE, -variance), credit(CASH, -variance)]
            if variance < 0
            else [debit(CASH, variance), credit(CASH_VARIANCE, variance)]
        )
        entry = ledger.post(
            NewEntry(
                entry_date=date.today(),
                description=f"Selisih kas shift #{shift.id} ({'kurang' if variance < 0 else 'lebih'})",
                source_module=SOURCE,
                source_id=f"shift:{shift.id}",
                idempotency_key=f"pos:shift:{shift.id}:variance",
                lines=lines,
            ),
            posted_by=closed_by,
        )
        entry_id = entry.id
    shift.closed_at = datetime.now(UTC)
    shift.counted_cash = counted
    shift.denominations = clean
    shift.expected_cash = expected
    shift.variance = variance
    shift.variance_entry_id = entry_id
    shift.note = (note or "").strip()[:200] or None
    audit.record(
        "pos.shift_closed",
        "pos_shift",
        shift.id,
        after={"counted": counted, "expected": expected, "variance": variance},
        actor_id=closed_by,
    )
    db.session.commit()
    return shift


def _shift_for_sale(kasir_id: Any, location_id: int) -> Shift:
    if not _is_int(kasir_id):
        raise NoOpenShift(_l("Penjualan harus dicatat oleh kasir yang sedang bertugas."))
    # FOR SHARE: sales run side by side; closing the shift (FOR UPDATE) waits for those in flight
    shift = db.session.scalar(
        select(Shift)
        .where(Shift.kasir_id == kasir_id, Shift.closed_at.is_(None))
        .with_for_update(read=True)
        .execution_options(populate_existing=True)
    )
    if shift is None:
        raise NoOpenShift(_l("Belum ada shift terbuka. Buka shift dengan modal awal sebelum berjualan."))
    if shift.location_id != location_id:
        raise NoOpenShift(_l("Shift Anda dibuka di gerai lain."))
    return shift


# --- supervisor PIN -------------------------------------------------------------------------------


def supervisors() -> list[User]:
    """People of this cooperative who may approve at the counter and have set a PIN."""
    tenant_id = require_tenant()
    roles = [r for r, perms in ROLE_PERMISSIONS.items() if "pos.supervise" in perms]
    rows = db.session.scalars(
        select(User)
        .join(Membership, Membership.user_id == User.id)
        .join(SupervisorPin, SupervisorPin.user_id == User.id)
        .where(Membership.cooperative_id == tenant_id, Membership.roles.overlap(roles))
        .where(User.active.is_(True))
        .order_by(User.name)
    )
    return list(rows)


def _may_supervise(user_id: int) -> bool:
    tenant_id = require_tenant()
    roles = db.session.scalar(
        select(Membership.roles).where(Membership.cooperative_id == tenant_id, Membership.user_id == user_id)
    )
    return any("pos.supervise" in ROLE_PERMISSIONS.get(r, ()) for r in roles or ())


def has_pin(user_id: int) -> bool:
    require_tenant()
    return db.session.scalar(select(SupervisorPin.id).where(SupervisorPin.user_id == user_id)) is not None


@_refusing
def set_pin(user_id: int, pin: Any, password: Any) -> None:
    """Set (or change) the supervisor's own PIN, 6 digits, confirmed with their password."""
    from core.auth import _verify

    tenant_id = require_tenant()
    if not _may_supervise(user_id):
        raise DiscountNotAllowed(_l("Hanya supervisor (ketua, manajer, bendahara) yang memakai PIN."))
    if not isinstance(pin, str) or not pin.isdigit() or len(pin) != 6:
        raise InvalidSale(_l("PIN harus 6 angka."), fields={"pin": [str(_l("6 angka."))]})
    if len(set(pin)) == 1 or pin in "0123456789" or pin in "9876543210":
        raise InvalidSale(_l("PIN terlalu mudah ditebak."), fields={"pin": [str(_l("Terlalu mudah."))]})
    user = db.session.get(User, user_id)
    if user is None or not isinstance(password, str) or not _verify(user.password_hash, password):
        raise PinRefused(_l("Kata sandi salah."), fields={"password": [str(_l("Salah."))]})
    db.session.execute(
        pg_insert(SupervisorPin)
        .values(tenant_id=tenant_id, user_id=user_id, pin_hash=hash_password(pin))
        .on_conflict_do_update(
            index_elements=["tenant_id", "user_id"],
            set_={"pin_hash": hash_password(pin), "set_at": func.now()},
        )
    )
    audit.record("pos.pin_set", "user", user_id, actor_id=user_id)
    db.session.commit()


def _pin_key(user_id: int) -> str:
    return f"kopdes:pos:pin:{require_tenant()}:{user_id}"


def verify_supervisor(supervisor_id: Any, pin: Any, *, kasir_id: int | None) -> int:
    """The supervisor's id once their PIN is right; a wrong PIN is refused (five wrong tries lock
    the PIN for 15 minutes). Writes nothing to the database."""
    require_tenant()
    if not _is_int(supervisor_id):
        raise ApprovalRequired(
            _l("Perlu persetujuan supervisor: pilih supervisor dan masukkan PIN-nya."),
            fields={"supervisor_id": [str(_l("Wajib diisi."))]},
        )
    if supervisor_id == kasir_id:
        raise ApprovalRequired(
            _l("Persetujuan harus oleh supervisor lain, bukan oleh kasir sendiri."),
            fields={"supervisor_id": [str(_l("Orang lain."))]},
        )
    key = _pin_key(supervisor_id)
    r = redis_client()
    try:
        failures = int(r.get(key) or 0)
    except redis.RedisError:
        current_app.logger.warning("PIN limit unavailable: Redis is down")
        failures = 0
    if failures >= MAX_PIN_FAILURES:
        raise PinLocked(_l("PIN supervisor ini dikunci 15 menit karena terlalu sering salah."))
    stored = db.session.scalar(select(SupervisorPin.pin_hash).where(SupervisorPin.user_id == supervisor_id))
    ok = False
    if stored is not None and _may_supervise(supervisor_id) and isinstance(pin, str) and pin:
        try:
            ok = _pin_hasher.verify(stored, pin)
        except (VerificationError, InvalidHashError):
            ok = False
    if not ok:
        left = MAX_PIN_FAILURES - failures - 1
        try:
            pipe = r.pipeline()
            pipe.incr(key)
            pipe.expire(key, PIN_LOCK_SECONDS)
            pipe.execute()
        except redis.RedisError:
            current_app.logger.warning("PIN limit unavailable: Redis is down")
        raise PinRefused(
            _l("PIN supervisor salah. Sisa percobaan: %(n)s.", n=max(left, 0)),
            fields={"pin": [str(_l("PIN salah."))]},
        )
    try:
        r.delete(key)
    except redis.RedisError:
        pass
    return int(supervisor_id)


# --- checkout -------------------------------------------------------------------------------------


def checkout(
    lines: list[CartLine],
    *,
    location_id: int,
    idempotency_key: str,
    kasir_id: int | None,
    payment_method: str | None = None,
    paid: int | None = None,
    reference: str | None = None,
    payments: list[Tender] | None = None,
    member_number: str | None = None,
    quota_nik: str | None = None,
    quota_kk: str | None = None,
    basket_discount: int = 0,
    may_discount: bool = False,
    supervisor_id: int | None = None,
    supervisor_pin: str | None = None,
    on: date | None = None,
) -> Sale:
    """Sell `lines` in the kasir's open shift and commit. Pay with one method (`payment_method`,
    `paid`, `reference`) or several (`payments`). Subsidised fertiliser counts against the
    farmer's RDKK quota (`quota_nik`, else the member's NIK), LPG 3 kg against the household's
    (`quota_kk`, else the member's KK). Refuses, writing nothing, on bad input, a price above HET,
    a discount by someone not allowed or below cost without a supervisor's PIN, an unknown member,
    short payment, kasbon over the limit, no open shift, too little stock or a quota exceeded."""
    try:
        return _checkout(
            lines,
            location_id=location_id,
            idempotency_key=idempotency_key,
            kasir_id=kasir_id,
            tenders=_tenders(payment_method, paid, reference, payments),
            member_number=member_number,
            quota_holders=(quota_nik, quota_kk),
            basket_discount=basket_discount,
            may_discount=may_discount,
            supervisor_id=supervisor_id,
            supervisor_pin=supervisor_pin,
            on=on or date.today(),
        )
    except Exception:
        db.session.rollback()
        raise


def _tenders(method: Any, paid: Any, reference: Any, payments: Any) -> list[Tender]:
    if payments is not None:
        if not isinstance(payments, list | tuple) or not payments or len(payments) > 4:
            raise InvalidSale(_l("Pilih cara bayar."), fields={"payment_method": [str(_l("Wajib diisi."))]})
        if not all(isinstance(t, Tender) for t in payments):
            raise InvalidSale(_l("Pembayaran tidak sah."))
        return list(payments)
    return [Tender(method if method is not None else PaymentMethod.TUNAI.value, paid, reference)]


def _checkout(
    lines: list[CartLine],
    *,
    location_id: int,
    idempotency_key: str,
    kasir_id: int | None,
    tenders: list[Tender],
    member_number: str | None,
    quota_holders: tuple[str | None, str | None],
    basket_discount: Any,
    may_discount: bool,
    supervisor_id: int | None,
    supervisor_pin: str | None,
    on: date,
) -> Sale:
    tenant_id = require_tenant()
    if not isinstance(idempotency_key, str) or not 0 < len(idempotency_key) <= 100:
        raise InvalidSale(_l("Kunci transaksi tidak sah; muat ulang halaman."))
    cart = _validate_lines(lines)
    if not _is_int(basket_discount) or basket_discount < 0:
        raise InvalidSale(
            _l("Potongan harus rupiah bulat, tidak negatif."),
            fields={"basket_discount": [str(_l("Tidak sah."))]},
        )
    if (basket_discount or any(line.discount for line in cart)) and not may_discount:
        raise DiscountNotAllowed(_l("Anda tidak berwenang memberi potongan harga; minta manajer."))
    number = _member_number(member_number)
    # one round trip: the products, and beside each the sale already recorded under this key and
    # the member's id and status (the same three values on every row)
    repeat_id = (
        select(Sale.id)
        .where(Sale.tenant_id == tenant_id, Sale.idempotency_key == idempotency_key)
        .scalar_subquery()
    )
    member_of = select(Member.id).where(Member.tenant_id == tenant_id, Member.member_number == number)
    status_of = select(Member.status).where(Member.tenant_id == tenant_id, Member.member_number == number)
    # and the PPN rate when the cooperative is a PKP on the day (NULL otherwise): no extra round trip
    rows = db.session.execute(
        select(
            Product,
            repeat_id,
            member_of.scalar_subquery(),
            status_of.scalar_subquery(),
            ppn_rate_on(tenant_id, on),
        ).where(Product.id.in_({line.product_id for line in cart}))
    ).all()
    products = {row[0].id: row[0] for row in rows}
    repeat, found_member, member_status, ppn_rate = rows[0][1:] if rows else (None, None, None, None)
    priced: list[tuple[Product, int, int, int]] = []  # product, quantity, price, own discount
    hets: dict[int, int] | None = None

    def capped(product: Product) -> int:
        """The HET in force on the day (erp.inventory), one cap lookup per commodity of the basket;
        products without a commodity cost no query."""
        nonlocal hets
        if hets is None:
            hets = inventory.hets_of([p for p in products.values() if p.commodity is not None], on)
        return hets.get(product.id, MAX_AMOUNT)

    for line in cart:
        product = products.get(line.product_id)
        if product is None or not product.active:
            raise InvalidSale(
                _l("Barang tidak dikenal."), fields={"lines": [str(_l("Barang tidak dikenal."))]}
            )
        price = product.price if line.price is None else line.price
        if not _is_int(price) or price <= 0 or price > MAX_AMOUNT:
            raise InvalidSale(
                _l("Harga harus bilangan bulat positif."), fields={"lines": [str(_l("Harga tidak sah."))]}
            )
        if product.het is not None and price > product.het:
            raise InvalidSale(
                _l(
                    "Harga %(name)s %(price)s melebihi HET %(het)s.",
                    name=product.name,
                    price=format_rupiah(price),
                    het=format_rupiah(product.het),
                ),
                fields={"lines": [str(_l("Melebihi HET."))]},
            )
        if product.commodity is not None and price > capped(product):
            inventory.check_sale_price(product, price, on)  # refuses, naming the cap and its source
        if line.discount >= line.quantity * price:
            raise InvalidSale(
                _l("Potongan untuk %(name)s harus lebih kecil dari harganya.", name=product.name),
                fields={"lines": [str(_l("Potongan terlalu besar."))]},
            )
        priced.append((product, line.quantity, price, line.discount))
    after_line = [q * p - d for _, q, p, d in priced]
    if sum(q * p for _, q, p, _ in priced) > MAX_AMOUNT:
        raise InvalidSale(_l("Total penjualan terlalu besar."))
    if basket_discount >= sum(after_line):
        raise InvalidSale(
            _l("Potongan belanja harus lebih kecil dari total."),
            fields={"basket_discount": [str(_l("Terlalu besar."))]},
        )
    shares = split(basket_discount, after_line) if basket_discount else [0] * len(priced)
    discounts = [d + share for (_, _, _, d), share in zip(priced, shares, strict=True)]
    amounts = [a - share for a, share in zip(after_line, shares, strict=True)]
    if any(a <= 0 for a in amounts):
        raise InvalidSale(_l("Potongan belanja terlalu besar untuk salah satu barang."))
    total = sum(amounts)
    discount_total = sum(discounts)
    ppn_base, ppn, line_ppn = _ppn(priced, amounts, ppn_rate)
    payments, change = _settle(tenders, total)
    method = payments[0][0] if len(payments) == 1 else MIXED
    if repeat is not None:
        first = db.session.get(Sale, repeat)
        if first is None or (first.total, first.payment_method) != (total, method):
            raise IdempotencyConflict(_l("Transaksi ini sudah dicatat dengan isi yang berbeda."))
        db.session.commit()
        return first
    member_id = _active_member_id(number, found_member, member_status)
    credit_amount = sum(a for m, a, _ in payments if m == PaymentMethod.KREDIT.value)
    if credit_amount and member_id is None:
        raise InvalidSale(
            _l("Kasbon hanya untuk anggota: isi nomor anggota."),
            fields={"member_number": [str(_l("Wajib diisi."))]},
        )
    shift = _shift_for_sale(kasir_id, location_id)
    wanted: dict[int, int] = defaultdict(int)
    for product, quantity, _, _ in priced:
        wanted[product.id] += quantity
    balances = inventory.lock_balances(list(wanted), location_id)
    for product_id in sorted(wanted):
        _require_stock(products[product_id], balances.get(product_id), wanted[product_id])
    # after the stock locks, before anything is written: the buyer's quotas, under their row locks
    _consume_quotas(
        [(products[pid], wanted[pid]) for pid in sorted(wanted)],
        member_id,
        quota_holders,
        key=idempotency_key,
        on=on,
    )
    costs = {pid: inventory.cost_of(balances[pid], q) for pid, q in wanted.items()}
    line_costs = _line_costs(priced, costs, wanted)
    approved_by = None
    below = [
        (product, amount, cost)
        for (product, _, _, _), amount, cost, disc in zip(priced, amounts, line_costs, discounts, strict=True)
        if disc and amount < cost
    ]
    if below:
        product, amount, cost = below[0]
        if supervisor_id is None and not supervisor_pin:
            raise ApprovalRequired(
                _l(
                    "Harga %(name)s setelah potongan (%(amount)s) di bawah harga pokok (%(cost)s): "
                    "perlu persetujuan supervisor dengan PIN.",
                    name=product.name,
                    amount=format_rupiah(amount),
                    cost=format_rupiah(cost),
                ),
                fields={"supervisor_id": [str(_l("Wajib diisi."))]},
            )
        approved_by = verify_supervisor(supervisor_id, supervisor_pin, kasir_id=kasir_id)
    if credit_amount and member_id is not None:
        _charge_credit(member_id, credit_amount)
    cost_total = sum(costs.values())
    cash_in = sum(a for m, a, _ in payments if m == PaymentMethod.TUNAI.value) - change
    bank_in = sum(a for m, a, _ in payments if m in (PaymentMethod.QRIS.value, PaymentMethod.TRANSFER.value))
    entry_lines: list[NewLine] = []
    if cash_in:
        entry_lines.append(debit(CASH, cash_in))
    if bank_in:
        entry_lines.append(debit(BANK, bank_in))
    if credit_amount:
        entry_lines.append(debit(MEMBER_RECEIVABLE, credit_amount))
    entry_lines.append(credit(SALES, total - ppn))
    if ppn:
        entry_lines.append(credit(PPN_OUTPUT, ppn))
    if cost_total:
        entry_lines += [debit(COST_OF_SALES, cost_total), credit(INVENTORY, cost_total)]
    entry = ledger.post(
        NewEntry(
            entry_date=on,
            description=f"Penjualan gerai ({method})",
            source_module=SOURCE,
            source_id=idempotency_key,
            idempotency_key=f"pos:sale:{idempotency_key}",
            lines=entry_lines,
        ),
        posted_by=kasir_id,
    )
    tendered = sum(a for _, a, _ in payments)
    references = [ref for _, _, ref in payments if ref]
    sale = _insert_sale(
        {
            "tenant_id": tenant_id,
            "location_id": location_id,
            "shift_id": shift.id,
            "member_id": member_id,
            "kasir_id": kasir_id,
            "sold_on": on,
            "total": total,
            "discount": discount_total,
            "discount_approved_by": approved_by,
            "cost": cost_total,
            "payment_method": method,
            "paid": tendered,
            "change": change,
            "payment_reference": references[0] if references else None,
            "idempotency_key": idempotency_key,
            "journal_entry_id": entry.id,
            "ppn_rate": ppn_rate,
            "ppn_base": ppn_base,
            "ppn": ppn,
        },
        [
            (product.id, quantity, price, disc, amount, cost, tax)
            for (product, quantity, price, _), disc, amount, cost, tax in zip(
                priced, discounts, amounts, line_costs, line_ppn, strict=True
            )
        ],
        payments,
    )
    # the balances are locked and `_require_stock` checked each above: taking cannot fall short
    inventory.take_all(
        [(balances[product_id], wanted[product_id]) for product_id in sorted(wanted)],
        kind=MoveKind.SALE,
        on=on,
        description=f"Penjualan #{sale.id}",
        key_prefix=f"pos:{sale.id}",
        user_id=kasir_id,
        journal_entry_id=entry.id,
    )
    if approved_by is not None:
        audit.record(
            "pos.discount_below_cost_approved",
            "pos_sale",
            sale.id,
            after={"discount": discount_total, "supervisor_id": approved_by},
            actor_id=kasir_id,
        )
    db.session.flush()
    db.session.commit()
    return sale


_SALE_COLUMNS = (
    "tenant_id",
    "location_id",
    "shift_id",
    "member_id",
    "kasir_id",
    "sold_on",
    "total",
    "discount",
    "discount_approved_by",
    "cost",
    "payment_method",
    "paid",
    "change",
    "payment_reference",
    "idempotency_key",
    "journal_entry_id",
    "ppn_rate",
    "ppn_base",
    "ppn",
)
_LINE_COLUMNS = ("product_id", "quantity", "price", "discount", "amount", "cost", "ppn")
_PAY_COLUMNS = (("method", String), ("amount", BigInteger), ("reference", String))


def _sale_statement() -> Any:
    """The sale, its lines and its payments as one statement: data-modifying CTEs insert the lines
    and payments from arrays (one parameter per column, whatever the basket's size), reading the
    new sale's id. Built once: only the parameters change from one checkout to the next."""
    table = Sale.__table__
    sale = (
        insert(Sale)
        .values({name: bindparam(f"s_{name}", type_=table.c[name].type) for name in _SALE_COLUMNS})
        .returning(*table.c)
        .cte("sale")
    )
    line_rows = (
        func.unnest(*(bindparam(f"l_{name}", type_=ARRAY(BigInteger)) for name in _LINE_COLUMNS))
        .table_valued(*_LINE_COLUMNS)
        .render_derived(name="line")
    )
    sale_lines = insert(SaleLine).from_select(
        ["tenant_id", "sale_id", *_LINE_COLUMNS],
        select(sale.c.tenant_id, sale.c.id, *(line_rows.c[name] for name in _LINE_COLUMNS)).select_from(
            sale.join(line_rows, true())
        ),
    )
    pay_rows = (
        func.unnest(*(bindparam(f"p_{name}", type_=ARRAY(type_)) for name, type_ in _PAY_COLUMNS))
        .table_valued(*(name for name, _ in _PAY_COLUMNS))
        .render_derived(name="pay")
    )
    sale_payments = insert(Payment).from_select(
        ["tenant_id", "sale_id", *(name for name, _ in _PAY_COLUMNS)],
        select(sale.c.tenant_id, sale.c.id, *(pay_rows.c[name] for name, _ in _PAY_COLUMNS)).select_from(
            sale.join(pay_rows, true())
        ),
    )
    written = select(*sale.c).add_cte(sale_lines.cte("sale_lines"), sale_payments.cte("sale_payments"))
    return select(Sale).from_statement(written)


_sale_insert: Any = None


def _insert_sale(
    values: dict[str, Any],
    lines: list[tuple[int, int, int, int, int, int, int]],
    payments: list[tuple[str, int, str | None]],
) -> Sale:
    """Write the sale, its lines and its payments in one round trip; returns the sale as a
    persistent object, not reloaded."""
    global _sale_insert
    if _sale_insert is None:
        _sale_insert = _sale_statement()
    params = {f"s_{name}": values[name] for name in _SALE_COLUMNS}
    params.update({f"l_{name}": [line[i] for line in lines] for i, name in enumerate(_LINE_COLUMNS)})
    params.update({f"p_{name}": [p[i] for p in payments] for i, (name, _) in enumerate(_PAY_COLUMNS)})
    return db.session.scalars(_sale_insert, params).one()


def _ppn(
    priced: list[tuple[Product, int, int, int]], amounts: list[int], rate: int | None
) -> tuple[int, int, list[int]]:
    """The PPN in a sale's PPN-inclusive prices when the cooperative is a PKP (`rate` in basis
    points, else None): computed once on the taxable lines' total after discounts, PPN = base ×
    rate / (10000 + rate) rounded half up, then shared among those lines by amount (largest
    remainder), so the lines add up to the sale. Returns (base, PPN, each line's PPN)."""
    if rate is None:
        return 0, 0, [0] * len(amounts)
    taxable = [
        amount if product.kena_ppn else 0 for (product, _, _, _), amount in zip(priced, amounts, strict=True)
    ]
    base = sum(taxable)
    ppn = to_rupiah(Decimal(base * rate) / Decimal(10_000 + rate))
    return base, ppn, split(ppn, taxable)


def _ppn_back(line: SaleLine, before: int, quantity: int) -> int:
    """The PPN given back when `quantity` more units of `line` come back after `before` units:
    proportional, rounded half up on the running total, so any sequence of returns of a line
    gives back exactly its PPN."""
    if not line.ppn:
        return 0
    so_far = to_rupiah(Decimal(line.ppn * before) / Decimal(line.quantity))
    after = to_rupiah(Decimal(line.ppn * (before + quantity)) / Decimal(line.quantity))
    return after - so_far


def _require_stock(product: Product, balance: StockBalance | None, want: int) -> None:
    """Refuse selling more than is available at the counter: on hand less the units Kophub orders
    hold (`StockBalance.available`), naming both when reservations are the reason."""
    have = balance.available if balance is not None else 0
    if want <= have:
        return
    reserved = balance.reserved if balance is not None else 0
    if reserved:
        message = _l(
            "Stok %(name)s tidak cukup: tersedia %(have)s %(unit)s (%(reserved)s %(unit)s sudah dipesan "
            "lewat Kophub), diminta %(want)s.",
            name=product.name,
            have=have,
            unit=product.unit,
            reserved=reserved,
            want=want,
        )
    else:
        message = _l(
            "Stok %(name)s tidak cukup: tersisa %(have)s %(unit)s, diminta %(want)s.",
            name=product.name,
            have=have,
            unit=product.unit,
            want=want,
        )
    raise OutOfStock(message, fields={"lines": [str(_l("Stok tidak cukup."))]})


# --- subsidised goods: quotas per buyer ------------------------------------------------------------


@dataclass(frozen=True)
class QuotaLeft:
    """What one buyer may still take of a subsidised commodity after this basket."""

    commodity: str
    holder: str  # masked (UU PDP)
    holder_kind: str  # "nik" (fertiliser, per farmer) or "kk" (LPG 3 kg, per household)
    bought: int
    left: int
    unit: str


def quota_kind(product: Product) -> str | None:
    """Which number a sale of `product` needs: the farmer's NIK (RDKK fertiliser), the household's
    KK (LPG 3 kg under the cooperative's limit), or none. No query for products without a
    commodity."""
    if product.commodity is None or not inventory.needs_quota(product):
        return None
    return "kk" if product.commodity == Commodity.LPG_3KG.value else "nik"


def _quota_key(idempotency_key: str, product_id: int) -> str:
    # the sale's key may be up to 100 characters; a quota use's key must fit in 100 as well
    digest = hashlib.sha256(idempotency_key.encode()).hexdigest()[:32]
    return f"pos:quota:{digest}:{product_id}"


def _consume_quotas(
    items: list[tuple[Product, int]],
    member_id: int | None,
    holders: tuple[str | None, str | None],
    *,
    key: str,
    on: date,
) -> list[QuotaLeft]:
    """Count each subsidised product of the basket against its buyer's quota (locked rows, in the
    caller's transaction); the NIK or KK typed at the counter, else the member's own (read only
    when a quota applies)."""
    nik, kk = (h.strip() if isinstance(h, str) and h.strip() else None for h in holders)
    left: dict[str, QuotaLeft] = {}
    member: Member | None = None
    for product, quantity in items:
        kind = quota_kind(product)
        if kind is None:
            continue
        holder = nik if kind == "nik" else kk
        if holder is None and member_id is not None:
            member = member or db.session.get(Member, member_id)
        if holder is None and member is not None:
            holder = member.nik if kind == "nik" else member.kk_number
        field = f"quota_{kind}"
        try:
            remaining = inventory.consume_quota(
                product, holder, quantity, key=_quota_key(key, product.id), on=on
            )
        except (inventory.QuotaExceeded, inventory.InvalidInventory) as err:
            # a bad or missing number marks its field; a quota too small marks the basket
            fields = {
                {"holder": field, "quantity": "lines"}.get(name, name): v for name, v in err.fields.items()
            }
            raise type(err)(err.message, fields=fields) from None
        if remaining is None or holder is None or product.commodity is None:
            continue
        commodity = Commodity(product.commodity)
        digits = "".join(c for c in holder if c.isdigit())
        before = left.get(commodity.value)
        left[commodity.value] = QuotaLeft(
            commodity=str(inventory.COMMODITY_LABELS[commodity]),
            holder=inventory.masked(digits),
            holder_kind=kind,
            bought=(before.bought if before else 0) + quantity * product.commodity_units,
            left=remaining,
            unit=inventory.COMMODITY_UNITS[commodity],
        )
    return list(left.values())


def check_quotas(
    lines: list[CartLine],
    *,
    member_number: str | None = None,
    quota_nik: str | None = None,
    quota_kk: str | None = None,
    on: date | None = None,
) -> list[QuotaLeft]:
    """Before payment: what each buyer may still take after this basket, or the refusal naming
    what remains. Runs the checkout's own quota count in a transaction it rolls back, so it writes
    nothing and agrees with the sale (a basket with two packs of one commodity counts both)."""
    require_tenant()
    cart = _validate_lines(lines)
    wanted: dict[int, int] = defaultdict(int)
    for line in cart:
        wanted[line.product_id] += line.quantity
    try:
        products = {p.id: p for p in products_by_id(list(wanted))}
        member = _member(member_number)
        items = [(products[pid], q) for pid, q in sorted(wanted.items()) if pid in products]
        return _consume_quotas(
            items,
            member.id if member is not None else None,
            (quota_nik, quota_kk),
            key=secrets.token_hex(8),
            on=on or date.today(),
        )
    finally:
        db.session.rollback()


def _line_costs(
    priced: list[tuple[Product, int, int, int]], costs: dict[int, int], wanted: dict[int, int]
) -> list[int]:
    """Each line's cost: a product on several lines shares its cost by quantity, the last line
    taking the rest."""
    remaining = dict(costs)
    left = dict(wanted)
    result = []
    for product, quantity, _, _ in priced:
        share = (
            remaining[product.id]
            if quantity == left[product.id]
            else costs[product.id] * quantity // wanted[product.id]
        )
        remaining[product.id] -= share
        left[product.id] -= quantity
        result.append(share)
    return result


def _validate_lines(lines: Any) -> list[CartLine]:
    if not isinstance(lines, list | tuple) or not lines:
        raise InvalidSale(_l("Keranjang masih kosong."), fields={"lines": [str(_l("Wajib diisi."))]})
    if len(lines) > MAX_LINES:
        raise InvalidSale(_l("Terlalu banyak baris dalam satu penjualan."))
    cart = []
    for line in lines:
        if not isinstance(line, CartLine):
            raise InvalidSale(_l("Baris penjualan tidak sah."))
        if not _is_int(line.product_id):
            raise InvalidSale(
                _l("Barang tidak dikenal."), fields={"lines": [str(_l("Barang tidak dikenal."))]}
            )
        q = line.quantity
        if not _is_int(q) or not 0 < q <= MAX_QUANTITY:
            raise InvalidSale(
                _l("Jumlah harus bilangan bulat positif."), fields={"lines": [str(_l("Jumlah tidak sah."))]}
            )
        if not _is_int(line.discount) or line.discount < 0:
            raise InvalidSale(
                _l("Potongan harus rupiah bulat, tidak negatif."),
                fields={"lines": [str(_l("Potongan tidak sah."))]},
            )
        cart.append(line)
    return cart


def _settle(tenders: list[Tender], total: int) -> tuple[list[tuple[str, int, str | None]], int]:
    """The payments as (method, amount, reference) and the change. Non-cash parts may not exceed
    what is due; cash covers the rest and gives change; one part per method."""
    methods: list[PaymentMethod] = []
    for tender in tenders:
        try:
            methods.append(PaymentMethod(tender.method))
        except ValueError:
            raise InvalidSale(
                _l("Cara bayar tidak dikenal."),
                fields={"payment_method": [str(_l("Pilih tunai, QRIS, transfer atau kasbon."))]},
            ) from None
    if len(set(methods)) != len(methods):
        raise InvalidSale(_l("Setiap cara bayar cukup satu kali."))
    non_cash: list[tuple[str, int, str | None]] = []
    cash_tender: Tender | None = None
    for method, tender in zip(methods, tenders, strict=True):
        if method == PaymentMethod.TUNAI:
            cash_tender = tender
            continue
        amount = tender.amount
        if amount is None and len(tenders) == 1:
            amount = total
        if not isinstance(amount, int) or isinstance(amount, bool) or not 0 < amount <= MAX_AMOUNT:
            raise InvalidSale(
                _l("Jumlah pembayaran %(method)s harus rupiah bulat positif.", method=_method_label(method)),
                fields={"paid": [str(_l("Tidak sah."))]},
            )
        ref = None
        if method in (PaymentMethod.QRIS, PaymentMethod.TRANSFER):
            ref = tender.reference.strip() if isinstance(tender.reference, str) else ""
            if not ref or len(ref) > 60:
                raise InvalidSale(
                    _l("Nomor referensi pembayaran %(method)s wajib diisi.", method=_method_label(method)),
                    fields={"reference": [str(_l("Wajib diisi."))]},
                )
        non_cash.append((method.value, amount, ref))
    non_cash_total = sum(a for _, a, _ in non_cash)
    if non_cash_total > total:
        raise InvalidSale(
            _l(
                "Pembayaran non-tunai %(paid)s melebihi total %(total)s; kembalian hanya dari tunai.",
                paid=format_rupiah(non_cash_total),
                total=format_rupiah(total),
            ),
            fields={"paid": [str(_l("Melebihi total."))]},
        )
    due_in_cash = total - non_cash_total
    if cash_tender is None:
        if due_in_cash:
            raise InvalidSale(
                _l(
                    "Pembayaran kurang %(short)s dari total %(total)s.",
                    short=format_rupiah(due_in_cash),
                    total=format_rupiah(total),
                ),
                fields={"paid": [str(_l("Kurang dari total."))]},
            )
        return non_cash, 0
    cash = due_in_cash if cash_tender.amount is None else cash_tender.amount
    if not _is_int(cash) or cash < due_in_cash or cash > MAX_AMOUNT or cash <= 0:
        raise InvalidSale(
            _l("Uang diterima kurang dari total %(total)s.", total=format_rupiah(due_in_cash)),
            fields={"paid": [str(_l("Kurang dari total."))]},
        )
    return [(PaymentMethod.TUNAI.value, cash, None), *non_cash], cash - due_in_cash


def _method_label(method: PaymentMethod | str) -> str:
    return {
        "tunai": str(_l("Tunai")),
        "qris": "QRIS",
        "transfer": str(_l("Transfer")),
        "kredit": str(_l("Kasbon")),
        MIXED: str(_l("Campuran")),
    }.get(str(method), str(method))


def method_label(method: str) -> str:
    return _method_label(method)


def _member_number(member_number: Any) -> str | None:
    """A member number as stored (trimmed, upper case), or None when none was given."""
    if member_number is None or (isinstance(member_number, str) and not member_number.strip()):
        return None
    if not isinstance(member_number, str) or len(member_number) > 40:
        raise InvalidSale(_l("Nomor anggota tidak sah."), fields={"member_number": [str(_l("Tidak sah."))]})
    return member_number.strip().upper()


def _active_member_id(number: str | None, found: int | None, status: str | None) -> int | None:
    """The member's id when `number` names an active member; refused when it names none or an
    inactive one."""
    if number is None:
        return None
    if found is None:
        raise InvalidSale(
            _l("Anggota bernomor %(number)s tidak ditemukan.", number=number),
            fields={"member_number": [str(_l("Tidak ditemukan."))]},
        )
    if status != MemberStatus.ACTIVE.value:
        raise InvalidSale(
            _l("Anggota %(number)s tidak aktif.", number=number),
            fields={"member_number": [str(_l("Tidak aktif."))]},
        )
    return found


def _member(member_number: Any) -> Member | None:
    number = _member_number(member_number)
    member = membership.member_by_number(number) if number is not None else None
    _active_member_id(number, member.id if member is not None else None, member.status if member else None)
    return member


# --- member kasbon --------------------------------------------------------------------------------


def _credit_for_update(member_id: int) -> MemberCredit:
    tenant_id = require_tenant()
    db.session.execute(
        pg_insert(MemberCredit)
        .values(tenant_id=tenant_id, member_id=member_id, balance=0)
        .on_conflict_do_nothing(index_elements=["tenant_id", "member_id"])
    )
    row = db.session.scalar(
        select(MemberCredit)
        .where(MemberCredit.member_id == member_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if row is None:
        raise InvariantViolation("member credit row missing after upsert")
    return row


def credit_limit_of(row: MemberCredit | None) -> int:
    if row is not None and row.credit_limit is not None:
        return row.credit_limit
    return settings().default_credit_limit


def _charge_credit(member_id: int, amount: int) -> None:
    row = _credit_for_update(member_id)
    limit = credit_limit_of(row)
    if row.balance + amount > limit:
        room = max(limit - row.balance, 0)
        raise CreditLimitExceeded(
            _l(
                "Kasbon melebihi batas: batas %(limit)s, kasbon berjalan %(balance)s, sisa %(room)s.",
                limit=format_rupiah(limit),
                balance=format_rupiah(row.balance),
                room=format_rupiah(room),
            ),
            fields={"paid": [str(_l("Melebihi batas kasbon."))]},
        )
    row.balance += amount


@dataclass(frozen=True)
class CreditStatus:
    member: Member
    balance: int
    limit: int
    own_limit: int | None


def credit_status(member_number: str) -> CreditStatus:
    require_tenant()
    member = membership.member_by_number(member_number) if isinstance(member_number, str) else None
    if member is None:
        raise NotFound(_l("Anggota tidak ditemukan."))
    row = db.session.scalar(select(MemberCredit).where(MemberCredit.member_id == member.id))
    return CreditStatus(
        member, row.balance if row else 0, credit_limit_of(row), row.credit_limit if row else None
    )


@_refusing
def set_credit_limit(member_number: str, limit: Any) -> CreditStatus:
    """Give a member their own kasbon limit (None: the cooperative's default)."""
    if limit is not None and (not _is_int(limit) or not 0 <= limit <= MAX_FLOAT):
        raise InvalidSale(
            _l("Batas kasbon harus rupiah bulat, 0 sampai 100 juta."),
            fields={"credit_limit": [str(_l("Tidak sah."))]},
        )
    status = credit_status(member_number)
    row = _credit_for_update(status.member.id)
    before = row.credit_limit
    row.credit_limit = limit
    audit.record(
        "pos.credit_limit_set", "member", status.member.id, before={"limit": before}, after={"limit": limit}
    )
    db.session.commit()
    return credit_status(member_number)


@_refusing
def repay_credit(
    member_number: str,
    amount: Any,
    *,
    method: str,
    reference: str | None,
    kasir_id: int,
    idempotency_key: str,
    on: date | None = None,
) -> CreditRepayment:
    """A member pays back kasbon at the counter: Kas or Bank debited, Piutang Anggota credited."""
    require_tenant()
    if not isinstance(idempotency_key, str) or not 0 < len(idempotency_key) <= 100:
        raise InvalidSale(_l("Kunci transaksi tidak sah; muat ulang halaman."))
    repeat = db.session.scalar(
        select(CreditRepayment).where(CreditRepayment.idempotency_key == idempotency_key)
    )
    if repeat is not None:
        return repeat
    if method not in (PaymentMethod.TUNAI.value, PaymentMethod.QRIS.value, PaymentMethod.TRANSFER.value):
        raise InvalidSale(_l("Cara bayar tidak dikenal."), fields={"method": [str(_l("Tidak dikenal."))]})
    if not _is_int(amount) or amount <= 0:
        raise InvalidSale(
            _l("Jumlah harus rupiah bulat positif."), fields={"amount": [str(_l("Tidak sah."))]}
        )
    ref = reference.strip() if isinstance(reference, str) and reference.strip() else None
    if method != PaymentMethod.TUNAI.value and (ref is None or len(ref) > 60):
        raise InvalidSale(
            _l("Nomor referensi pembayaran %(method)s wajib diisi.", method=_method_label(method)),
            fields={"reference": [str(_l("Wajib diisi."))]},
        )
    if method == PaymentMethod.TUNAI.value:
        ref = None
    status = credit_status(member_number)
    shift = open_shift_of(kasir_id)
    if shift is None:
        raise NoOpenShift(_l("Belum ada shift terbuka. Buka shift dengan modal awal sebelum berjualan."))
    row = _credit_for_update(status.member.id)
    if amount > row.balance:
        raise InvalidSale(
            _l(
                "Kasbon %(name)s hanya %(balance)s.",
                name=status.member.name,
                balance=format_rupiah(row.balance),
            ),
            fields={"amount": [str(_l("Melebihi kasbon."))]},
        )
    day = on or date.today()
    entry = ledger.post(
        NewEntry(
            entry_date=day,
            description=f"Pelunasan kasbon gerai {status.member.member_number}",
            source_module=SOURCE,
            source_id=f"kasbon:{status.member.id}",
            idempotency_key=f"pos:kasbon:{idempotency_key}",
            lines=[debit(CASH if ref is None else BANK, amount), credit(MEMBER_RECEIVABLE, amount)],
        ),
        posted_by=kasir_id,
    )
    row.balance -= amount
    repayment = CreditRepayment(
        member_id=status.member.id,
        shift_id=shift.id,
        kasir_id=kasir_id,
        paid_on=day,
        amount=amount,
        method=method,
        reference=ref,
        idempotency_key=idempotency_key,
        journal_entry_id=entry.id,
    )
    db.session.add(repayment)
    db.session.flush()
    audit.record("pos.credit_repaid", "member", status.member.id, after={"amount": amount, "method": method})
    db.session.commit()
    return repayment


# --- receipts -------------------------------------------------------------------------------------


def receipt(sale_id: int) -> Receipt:
    """A sale as its receipt, without recording a print (for the API and the screen)."""
    return _receipt(sale_id, copy_number=0)


@_refusing
def print_receipt(sale_id: int, *, printed_by: int | None, form: str) -> Receipt:
    """Record a print of the receipt and return it: the first print is the original, every later
    one a copy (SALINAN) with its number, audited."""
    require_tenant()
    if form not in ("html58", "html80", "pdf58", "pdf80"):
        raise InvalidSale(_l("Bentuk struk tidak dikenal."))
    sale = db.session.scalar(select(Sale).where(Sale.id == sale_id).with_for_update())
    if sale is None:
        raise NotFound(_l("Penjualan tidak ditemukan."))
    number = (
        int(
            db.session.scalar(
                select(func.coalesce(func.max(ReceiptPrint.number), 0)).where(ReceiptPrint.sale_id == sale.id)
            )
            or 0
        )
        + 1
    )
    db.session.add(ReceiptPrint(sale_id=sale.id, number=number, printed_by=printed_by, form=form))
    if number > 1:
        audit.record("pos.receipt_reprinted", "pos_sale", sale.id, after={"copy": number - 1, "form": form})
    db.session.commit()
    return _receipt(sale_id, copy_number=number)


def _receipt(sale_id: int, *, copy_number: int) -> Receipt:
    require_tenant()
    sale = db.session.scalar(select(Sale).where(Sale.id == sale_id))
    if sale is None:
        raise NotFound(_l("Penjualan tidak ditemukan."))
    rows = db.session.execute(
        select(SaleLine, Product)
        .join(Product, (Product.id == SaleLine.product_id) & (Product.tenant_id == SaleLine.tenant_id))
        .where(SaleLine.sale_id == sale.id)
        .order_by(SaleLine.id)
    ).all()
    member = None
    if sale.member_id is not None:
        member = db.session.scalar(select(Member).where(Member.id == sale.member_id))
    payments = list(
        db.session.scalars(select(Payment).where(Payment.sale_id == sale.id).order_by(Payment.id))
    )
    kasir_name = (
        db.session.scalar(select(User.name).where(User.id == sale.kasir_id)) if sale.kasir_id else None
    )
    returns = list(
        db.session.scalars(select(SaleReturn).where(SaleReturn.sale_id == sale.id).order_by(SaleReturn.id))
    )
    legal = legal_data() if sale.ppn_rate is not None else None
    return Receipt(
        sale,
        [(line, product) for line, product in rows],
        member,
        payments,
        kasir_name,
        returns,
        copy_number,
        legal.npwp if legal is not None else None,
    )


def returned_quantities(sale_id: int) -> dict[int, int]:
    """How much of each line of a sale has come back already."""
    require_tenant()
    rows = db.session.execute(
        select(ReturnLine.sale_line_id, func.sum(ReturnLine.quantity))
        .join(
            SaleReturn,
            (SaleReturn.id == ReturnLine.return_id) & (SaleReturn.tenant_id == ReturnLine.tenant_id),
        )
        .where(SaleReturn.sale_id == sale_id)
        .group_by(ReturnLine.sale_line_id)
    )
    return {int(line_id): int(q) for line_id, q in rows}


def can_void(sale: Sale) -> bool:
    """A sale may be voided while its shift is open and nothing of it has come back."""
    shift = (
        db.session.scalar(select(Shift.closed_at).where(Shift.id == sale.shift_id)) if sale.shift_id else None
    )
    if sale.shift_id is None or shift is not None:
        return False
    return db.session.scalar(select(SaleReturn.id).where(SaleReturn.sale_id == sale.id).limit(1)) is None


def products_by_id(ids: list[int]) -> list[Product]:
    require_tenant()
    if not ids:
        return []
    return list(db.session.scalars(select(Product).where(Product.id.in_(set(ids)))))


_WORD = re.compile(r"[^\W_]+")


def search_products(query: Any, limit: int = 8) -> list[Product]:
    """Active products for the counter's search as you type, in one statement over btree indexes
    (`erp.pos.models`): the code typed in full first (a scanned barcode), then codes that
    start with it in code order, then names having words that start with each typed word
    ("gula pas" finds "Gula Pasir Curah"), by name. Only leakproof comparisons (byte-order ranges),
    so that row-level security lets the indexes work."""
    require_tenant()
    text_ = query.strip() if isinstance(query, str) else ""
    if not text_ or len(text_) > 40:
        return []
    size = max(1, min(limit, 20))
    code = text_.upper()
    words = _WORD.findall(text_.lower())[:6]
    by_code: Any = literal_column(CODE_BYTES)
    by_code_prefix = (
        select(Product.id, case((Product.code == code, 0), else_=1).label("rank"))
        .where(Product.active.is_(True), *_starting(by_code, code))
        .order_by(by_code)
        .limit(size)
        .subquery()
    )
    parts = [select(by_code_prefix.c.id, by_code_prefix.c.rank)]
    if words:
        typed = [aliased(ProductWord) for _ in words]
        first = typed[0]
        named = select(first.product_id, first.name).where(*_starting(first.word, words[0]))
        for word, alias in zip(words[1:], typed[1:], strict=True):
            named = named.join(alias, alias.product_id == first.product_id)
            named = named.where(*_starting(alias.word, word))
        by_words = named.distinct().order_by(first.name, first.product_id).limit(size).subquery()
        parts.append(select(by_words.c.product_id, literal(2)))
    hits = union_all(*parts).subquery()
    best = select(hits.c.id, func.min(hits.c.rank).label("rank")).group_by(hits.c.id).subquery()
    stmt = (
        select(Product)
        .join(best, best.c.id == Product.id)
        .order_by(best.c.rank, case((best.c.rank < 2, by_code)), Product.name)
        .limit(size)
    )
    return list(db.session.scalars(stmt))


# above every character: a text starts with `prefix` when prefix <= text < prefix + _TOP
_TOP = "\U0010ffff"


def _starting(column: Any, prefix: str) -> tuple[Any, Any]:
    """`column` starts with `prefix`, as a byte-order range (leakproof, unlike LIKE)."""
    return column >= prefix, column < prefix + _TOP


def recent_sales(kasir_id: int | None = None, limit: int = 30) -> list[Sale]:
    require_tenant()
    stmt = select(Sale).order_by(Sale.id.desc()).limit(min(limit, 200))
    if kasir_id is not None:
        stmt = stmt.where(Sale.kasir_id == kasir_id)
    return list(db.session.scalars(stmt))


# --- voids and returns ----------------------------------------------------------------------------


@_refusing
def void_sale(
    sale_id: int,
    *,
    reason: Any,
    kasir_id: int,
    supervisor_id: Any,
    supervisor_pin: Any,
    idempotency_key: str,
) -> SaleReturn:
    """Cancel a whole sale while its shift is still open: every unit goes back on the shelf at the
    cost it left with, each payment is given back as it came, and the sale's entry is mirrored."""
    require_tenant()
    repeat = _repeat_return(idempotency_key)
    if repeat is not None:
        return repeat
    reason_text = _reason(reason)
    sale = _sale_for_update(sale_id)
    shift = db.session.scalar(select(Shift).where(Shift.id == sale.shift_id))
    if shift is None or shift.closed_at is not None:
        raise InvalidSale(
            _l("Void hanya dalam shift yang sama; shift penjualan ini sudah ditutup, pakai retur.")
        )
    if db.session.scalar(select(SaleReturn.id).where(SaleReturn.sale_id == sale.id)) is not None:
        raise InvalidSale(_l("Penjualan ini sudah diretur atau di-void."))
    approved = verify_supervisor(supervisor_id, supervisor_pin, kasir_id=kasir_id)
    lines = list(
        db.session.scalars(select(SaleLine).where(SaleLine.sale_id == sale.id).order_by(SaleLine.id))
    )
    payments = list(db.session.scalars(select(Payment).where(Payment.sale_id == sale.id)))
    cash = sum(p.amount for p in payments if p.method == PaymentMethod.TUNAI.value) - sale.change
    bank = sum(
        p.amount for p in payments if p.method in (PaymentMethod.QRIS.value, PaymentMethod.TRANSFER.value)
    )
    owed = sum(p.amount for p in payments if p.method == PaymentMethod.KREDIT.value)
    if cash + bank + owed != sale.total:
        raise InvariantViolation(f"payments of sale {sale.id} do not sum to its total")
    entry = ledger.reverse(
        sale.journal_entry_id, f"void penjualan #{sale.id}: {reason_text}", f"pos:void:{sale.id}"
    )
    return _write_return(
        sale,
        kind=ReturnKind.VOID,
        shift_id=shift.id,
        kasir_id=kasir_id,
        supervisor_id=approved,
        reason=reason_text,
        taken=[(line, line.quantity, line.amount, line.cost, True) for line in lines],
        refunds=(cash, bank, owed),
        entry_id=entry.id,
        idempotency_key=idempotency_key,
        ppn=[line.ppn for line in lines],
    )


@_refusing
def return_items(
    sale_id: int,
    items: list[ReturnRequest],
    *,
    reason: Any,
    kasir_id: int,
    supervisor_id: Any,
    supervisor_pin: Any,
    idempotency_key: str,
    on: date | None = None,
) -> SaleReturn:
    """Take back some units of a sale: each line is refunded at the net price paid (its discount
    share included); goods in good order go back on the shelf, damaged ones are written off (their
    cost stays in HPP). Refunded to the member's kasbon first, the rest in cash from the drawer."""
    require_tenant()
    repeat = _repeat_return(idempotency_key)
    if repeat is not None:
        return repeat
    reason_text = _reason(reason)
    if (
        not isinstance(items, list | tuple)
        or not items
        or not all(isinstance(i, ReturnRequest) for i in items)
    ):
        raise InvalidSale(_l("Pilih barang yang diretur."), fields={"lines": [str(_l("Wajib diisi."))]})
    sale = _sale_for_update(sale_id)
    shift = open_shift_of(kasir_id)
    if shift is None:
        raise NoOpenShift(_l("Belum ada shift terbuka. Buka shift dengan modal awal sebelum berjualan."))
    if db.session.scalar(
        select(SaleReturn.id).where(SaleReturn.sale_id == sale.id, SaleReturn.kind == ReturnKind.VOID.value)
    ):
        raise InvalidSale(_l("Penjualan ini sudah di-void."))
    lines = {
        line.id: line for line in db.session.scalars(select(SaleLine).where(SaleLine.sale_id == sale.id))
    }
    already = returned_quantities(sale.id)
    wanted: dict[int, int] = defaultdict(int)
    for item in items:
        if item.sale_line_id not in lines:
            raise InvalidSale(_l("Baris penjualan tidak dikenal."))
        if not _is_int(item.quantity) or item.quantity <= 0:
            raise InvalidSale(
                _l("Jumlah retur harus bilangan bulat positif."),
                fields={"lines": [str(_l("Jumlah tidak sah."))]},
            )
        wanted[item.sale_line_id] += item.quantity
    for line_id, quantity in wanted.items():
        line = lines[line_id]
        left = line.quantity - already.get(line_id, 0)
        if quantity > left:
            raise InvalidSale(
                _l("Retur melebihi yang dibeli: tersisa %(left)s yang bisa diretur.", left=left),
                fields={"lines": [str(_l("Melebihi pembelian."))]},
            )
    approved = verify_supervisor(supervisor_id, supervisor_pin, kasir_id=kasir_id)
    taken = []
    ppn_back: list[int] = []
    for item in items:
        line = lines[item.sale_line_id]
        ppn_back.append(_ppn_back(line, already.get(line.id, 0), item.quantity))
        # the last units of a line take what is left of its amount and cost, so nothing strays
        left_before = line.quantity - already.get(line.id, 0)
        amount_left = line.amount - _returned_amount(sale.id, line.id, "amount")
        cost_left = line.cost - _returned_amount(sale.id, line.id, "cost")
        if item.quantity == left_before:
            amount, cost = amount_left, cost_left
        else:
            amount = line.amount * item.quantity // line.quantity
            cost = line.cost * item.quantity // line.quantity
        already[line.id] = already.get(line.id, 0) + item.quantity
        taken.append((line, item.quantity, amount, cost, bool(item.restock)))
    amount_total = sum(t[2] for t in taken)
    if amount_total <= 0:
        raise InvalidSale(_l("Nilai retur nol."))
    owed_on_sale = db.session.scalar(
        select(func.coalesce(func.sum(Payment.amount), 0)).where(
            Payment.sale_id == sale.id, Payment.method == PaymentMethod.KREDIT.value
        )
    )
    credit_refunded = db.session.scalar(
        select(func.coalesce(func.sum(SaleReturn.refund_credit), 0)).where(SaleReturn.sale_id == sale.id)
    )
    to_credit = min(amount_total, int(owed_on_sale or 0) - int(credit_refunded or 0))
    if to_credit and sale.member_id is not None:
        # what the member still owes; checked again under the lock when it is reduced
        balance = db.session.scalar(
            select(MemberCredit.balance).where(MemberCredit.member_id == sale.member_id)
        )
        to_credit = max(min(to_credit, int(balance or 0)), 0)
    to_cash = amount_total - to_credit
    restocked_cost = sum(t[3] for t in taken if t[4])
    ppn_total = sum(ppn_back)
    entry_lines = [debit(SALES, amount_total - ppn_total)]
    if ppn_total:
        entry_lines.append(debit(PPN_OUTPUT, ppn_total))
    if to_cash:
        entry_lines.append(credit(CASH, to_cash))
    if to_credit:
        entry_lines.append(credit(MEMBER_RECEIVABLE, to_credit))
    if restocked_cost:
        entry_lines += [debit(INVENTORY, restocked_cost), credit(COST_OF_SALES, restocked_cost)]
    entry = ledger.post(
        NewEntry(
            entry_date=on or date.today(),
            description=f"Retur penjualan #{sale.id}: {reason_text}"[:500],
            source_module=SOURCE,
            source_id=f"sale:{sale.id}",
            idempotency_key=f"pos:return:{idempotency_key}",
            lines=entry_lines,
        ),
        posted_by=kasir_id,
    )
    return _write_return(
        sale,
        kind=ReturnKind.RETUR,
        shift_id=shift.id,
        kasir_id=kasir_id,
        supervisor_id=approved,
        reason=reason_text,
        taken=taken,
        refunds=(to_cash, 0, to_credit),
        entry_id=entry.id,
        idempotency_key=idempotency_key,
        on=on,
        ppn=ppn_back,
    )


def _returned_amount(sale_id: int, line_id: int, column: str) -> int:
    col = ReturnLine.amount if column == "amount" else ReturnLine.cost
    return int(
        db.session.scalar(select(func.coalesce(func.sum(col), 0)).where(ReturnLine.sale_line_id == line_id))
        or 0
    )


def _write_return(
    sale: Sale,
    *,
    kind: ReturnKind,
    shift_id: int,
    kasir_id: int,
    supervisor_id: int,
    reason: str,
    taken: list[tuple[SaleLine, int, int, int, bool]],
    refunds: tuple[int, int, int],
    entry_id: int,
    idempotency_key: str,
    on: date | None = None,
    ppn: list[int] | None = None,
) -> SaleReturn:
    cash, bank, owed = refunds
    ppn = ppn if ppn is not None else [0] * len(taken)
    day = on or date.today()
    back: dict[int, tuple[int, int]] = defaultdict(lambda: (0, 0))
    for line, quantity, _, cost, restock in taken:
        if restock:
            q, v = back[line.product_id]
            back[line.product_id] = (q + quantity, v + cost)
    for product_id in sorted(back):  # stock before kasbon: the lock order of a checkout
        quantity, value = back[product_id]
        _put_back(
            product_id,
            sale.location_id,
            quantity,
            value,
            description=f"{'Void' if kind == ReturnKind.VOID else 'Retur'} penjualan #{sale.id}",
            idempotency_key=f"pos:{kind.value}:{idempotency_key}:{product_id}",
            user_id=kasir_id,
            journal_entry_id=entry_id,
            on=day,
            sold_key=f"pos:{sale.id}:{product_id}",
        )
    _give_back_quotas(sale, taken, idempotency_key)
    if owed and sale.member_id is not None:
        row = _credit_for_update(sale.member_id)
        if owed > row.balance:
            raise InvalidSale(
                _l("Kasbon anggota tinggal %(b)s; kembalikan sisanya tunai.", b=format_rupiah(row.balance))
            )
        row.balance -= owed
    returned = SaleReturn(
        sale_id=sale.id,
        kind=kind.value,
        shift_id=shift_id,
        kasir_id=kasir_id,
        supervisor_id=supervisor_id,
        returned_on=day,
        reason=reason,
        amount=cash + bank + owed,
        cost=sum(t[3] for t in taken),
        refund_cash=cash,
        refund_bank=bank,
        refund_credit=owed,
        idempotency_key=idempotency_key,
        journal_entry_id=entry_id,
        ppn=sum(ppn),
    )
    db.session.add(returned)
    db.session.flush()
    db.session.execute(
        insert(ReturnLine),
        [
            {
                "tenant_id": sale.tenant_id,
                "return_id": returned.id,
                "sale_line_id": line.id,
                "product_id": line.product_id,
                "quantity": quantity,
                "amount": amount,
                "cost": cost,
                "restocked": restock,
                "ppn": tax,
            }
            for (line, quantity, amount, cost, restock), tax in zip(taken, ppn, strict=True)
        ],
    )
    audit.record(
        f"pos.sale_{kind.value}",
        "pos_sale",
        sale.id,
        after={
            "return_id": returned.id,
            "amount": returned.amount,
            "ppn": returned.ppn,
            "supervisor_id": supervisor_id,
            "reason": reason,
        },
        actor_id=kasir_id,
    )
    db.session.commit()
    return returned


def _give_back_quotas(
    sale: Sale, taken: list[tuple[SaleLine, int, int, int, bool]], idempotency_key: str
) -> None:
    """Subsidised units voided or returned go back to the buyer's quota (fertiliser, LPG), once
    per return; one query finds which lines of the sale were counted against a quota at all."""
    back: dict[int, int] = defaultdict(int)
    for line, quantity, _, _, _ in taken:
        back[line.product_id] += quantity
    use_keys = {_quota_key(sale.idempotency_key, pid): pid for pid in back}
    counted = db.session.scalars(
        select(QuotaUse.idempotency_key).where(QuotaUse.idempotency_key.in_(use_keys))
    )
    digest = hashlib.sha256(idempotency_key.encode()).hexdigest()[:32]
    for use_key in sorted(counted):
        product_id = use_keys[use_key]
        inventory.give_back_quota(
            inventory.get_product(product_id),
            back[product_id],
            use_key=use_key,
            key=f"{use_key}:back:{digest}",
        )


def _put_back(
    product_id: int,
    location_id: int,
    quantity: int,
    value: int,
    *,
    description: str,
    idempotency_key: str,
    user_id: int,
    journal_entry_id: int,
    on: date,
    sold_key: str,
) -> None:
    """Units sold here come back on the shelf at the cost they left with, through the inventory's
    customer-return use case (a `return` move; a lot-tracked product goes back into the lots its
    sale, the stock moves under `sold_key`, drew)."""
    from erp.inventory.returns import return_goods

    return_goods(
        product_id,
        location_id,
        quantity,
        value,
        description=description,
        idempotency_key=idempotency_key,
        user_id=user_id,
        journal_entry_id=journal_entry_id,
        on=on,
        sold_key=sold_key,
    )


def _repeat_return(idempotency_key: Any) -> SaleReturn | None:
    if not isinstance(idempotency_key, str) or not 0 < len(idempotency_key) <= 100:
        raise InvalidSale(_l("Kunci transaksi tidak sah; muat ulang halaman."))
    return db.session.scalar(select(SaleReturn).where(SaleReturn.idempotency_key == idempotency_key))


def _reason(reason: Any) -> str:
    text_ = reason.strip() if isinstance(reason, str) else ""
    if not text_ or len(text_) > 200:
        raise InvalidSale(
            _l("Alasan wajib diisi (paling banyak 200 karakter)."),
            fields={"reason": [str(_l("Wajib diisi."))]},
        )
    return text_


def _sale_for_update(sale_id: Any) -> Sale:
    if not _is_int(sale_id):
        raise NotFound(_l("Penjualan tidak ditemukan."))
    sale = db.session.scalar(select(Sale).where(Sale.id == sale_id).with_for_update())
    if sale is None:
        raise NotFound(_l("Penjualan tidak ditemukan."))
    return sale


# --- figures --------------------------------------------------------------------------------------


def sales_on(day: date) -> tuple[int, int]:
    """How many sales and their total on `day`."""
    require_tenant()
    count, total = db.session.execute(
        select(func.count(), func.coalesce(func.sum(Sale.total), 0)).where(Sale.sold_on == day)
    ).one()
    return int(count), int(total)


def member_purchases(year: int) -> dict[int, int]:
    """Each member's purchases in `year` (rupiah), the base of SHU jasa usaha."""
    return purchases_between(date(year, 1, 1), date(year, 12, 31))


def purchases_between(start: date, end: date) -> dict[int, int]:
    """Each member's net purchases from `start` to `end` inclusive (rupiah): sales less what was
    voided or returned in the period."""
    require_tenant()
    result: dict[int, int] = defaultdict(int)
    for member_id, total in db.session.execute(
        select(Sale.member_id, func.sum(Sale.total))
        .where(Sale.member_id.is_not(None))
        .where(Sale.sold_on >= start, Sale.sold_on <= end)
        .group_by(Sale.member_id)
    ):
        result[int(member_id or 0)] += int(total or 0)
    for member_id, total in db.session.execute(
        select(Sale.member_id, func.sum(SaleReturn.amount))
        .join(Sale, (Sale.id == SaleReturn.sale_id) & (Sale.tenant_id == SaleReturn.tenant_id))
        .where(Sale.member_id.is_not(None))
        .where(SaleReturn.returned_on >= start, SaleReturn.returned_on <= end)
        .group_by(Sale.member_id)
    ):
        result[int(member_id or 0)] -= int(total or 0)
    return {m: t for m, t in result.items() if t}


# SHU jasa usaha: members' purchases at the gerai count as their transactions with the cooperative.
shu.sources.register("jasa_usaha", purchases_between)


# --- Z report -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ZRow:
    """One kasir's (or the whole gerai's) day: sales, discounts, how they were paid, what came
    back, and the drawer."""

    label: str
    sales: int
    gross: int
    discount: int
    net: int
    cost: int
    ppn: int  # PPN keluaran in the day's sales
    ppn_returned: int  # and given back by the day's voids and returns
    by_method: dict[str, int]
    returns: int
    returned: int
    opening_float: int
    expected_cash: int | None
    counted_cash: int | None
    variance: int | None
    open_shifts: int


@dataclass(frozen=True)
class ZReport:
    day: date
    location: Location
    kasir: list[ZRow]
    gerai: ZRow


def z_report(day: date, location_id: int | None = None) -> ZReport:
    """The day's closing report of a gerai, per kasir and for the gerai."""
    require_tenant()
    location = (
        db.session.scalar(select(Location).where(Location.id == location_id))
        if location_id is not None
        else inventory.default_location()
    )
    if location is None:
        raise NotFound(_l("Lokasi tidak ditemukan."))
    sales = (
        select(
            Sale.kasir_id,
            func.count(),
            func.coalesce(func.sum(Sale.total + Sale.discount), 0),
            func.coalesce(func.sum(Sale.discount), 0),
            func.coalesce(func.sum(Sale.total), 0),
            func.coalesce(func.sum(Sale.cost), 0),
            func.coalesce(func.sum(Sale.change), 0),
            func.coalesce(func.sum(Sale.ppn), 0),
        )
        .where(Sale.sold_on == day, Sale.location_id == location.id)
        .group_by(Sale.kasir_id)
    )
    per_kasir: dict[int | None, dict[str, Any]] = defaultdict(lambda: {"by_method": defaultdict(int)})
    for kasir_id, count, gross, discount, net, cost, change, ppn in db.session.execute(sales):
        per_kasir[kasir_id].update(
            sales=count, gross=gross, discount=discount, net=net, cost=cost, change=change, ppn=ppn
        )
    paid = (
        select(Sale.kasir_id, Payment.method, func.sum(Payment.amount))
        .join(Sale, (Sale.id == Payment.sale_id) & (Sale.tenant_id == Payment.tenant_id))
        .where(Sale.sold_on == day, Sale.location_id == location.id)
        .group_by(Sale.kasir_id, Payment.method)
    )
    for kasir_id, method, amount in db.session.execute(paid):
        per_kasir[kasir_id]["by_method"][method] += int(amount)
    for data in per_kasir.values():
        data["by_method"]["tunai"] -= int(data.get("change", 0))
    returns = (
        select(
            SaleReturn.kasir_id,
            func.count(),
            func.coalesce(func.sum(SaleReturn.amount), 0),
            func.coalesce(func.sum(SaleReturn.ppn), 0),
        )
        .join(Shift, (Shift.id == SaleReturn.shift_id) & (Shift.tenant_id == SaleReturn.tenant_id))
        .where(SaleReturn.returned_on == day, Shift.location_id == location.id)
        .group_by(SaleReturn.kasir_id)
    )
    for kasir_id, count, amount, ppn_back in db.session.execute(returns):
        per_kasir[kasir_id].update(returns=count, returned=amount, ppn_returned=ppn_back)
    shifts = list(
        db.session.scalars(select(Shift).where(Shift.business_day == day, Shift.location_id == location.id))
    )
    for shift in shifts:
        data = per_kasir[shift.kasir_id]
        data["float"] = data.get("float", 0) + shift.opening_float
        data["open"] = data.get("open", 0) + (shift.closed_at is None)
        if shift.closed_at is not None:
            for name, value in (
                ("expected", shift.expected_cash),
                ("counted", shift.counted_cash),
                ("variance", shift.variance),
            ):
                data[name] = data.get(name, 0) + int(value or 0)
    ids = [k for k in per_kasir if k is not None]
    names: dict[int | None, str] = {
        uid: name for uid, name in db.session.execute(select(User.id, User.name).where(User.id.in_(ids)))
    }

    def row(label: str, data: dict[str, Any]) -> ZRow:
        return ZRow(
            label=label,
            sales=int(data.get("sales", 0)),
            gross=int(data.get("gross", 0)),
            discount=int(data.get("discount", 0)),
            net=int(data.get("net", 0)),
            cost=int(data.get("cost", 0)),
            ppn=int(data.get("ppn", 0)),
            ppn_returned=int(data.get("ppn_returned", 0)),
            by_method={m.value: int(data["by_method"].get(m.value, 0)) for m in PaymentMethod},
            returns=int(data.get("returns", 0)),
            returned=int(data.get("returned", 0)),
            opening_float=int(data.get("float", 0)),
            expected_cash=data.get("expected"),
            counted_cash=data.get("counted"),
            variance=data.get("variance"),
            open_shifts=int(data.get("open", 0)),
        )

    kasir_rows = [
        row(names.get(k, "–") if k is not None else "–", data)
        for k, data in sorted(per_kasir.items(), key=lambda kv: names.get(kv[0], ""))
    ]
    total: dict[str, Any] = {"by_method": defaultdict(int)}
    for data in per_kasir.values():
        for name in (
            "sales",
            "gross",
            "discount",
            "net",
            "cost",
            "ppn",
            "returns",
            "returned",
            "ppn_returned",
            "float",
            "open",
        ):
            total[name] = total.get(name, 0) + int(data.get(name, 0))
        for name in ("expected", "counted", "variance"):
            if name in data:
                total[name] = total.get(name, 0) + int(data[name])
        for method, amount in data["by_method"].items():
            total["by_method"][method] += amount
    return ZReport(day, location, kasir_rows, row(location.name, total))


def margin_percent(row: ZRow) -> Decimal | None:
    if not row.net:
        return None
    return (Decimal(row.net - row.cost) * 100 / Decimal(row.net)).quantize(Decimal("0.1"))
