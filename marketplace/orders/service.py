"""Kophub orders: checkout of a buyer's cart into one order per cooperative, and each order's life
from payment to delivery, worked by the cooperative's staff.

Invariants:
- A checkout is one transaction across cooperatives: every order, line, stock reservation and the
  buyer's checkout record is written, or nothing is. Cooperatives are visited in id order and
  products in id order, so two checkouts lock stock in the same order and cannot deadlock.
- Stock is held by `erp.inventory.service.reserve` (row-locked, the lock a gerai sale takes): a
  reservation and a counter sale of the last units cannot both succeed, and stock never goes
  negative. Cancelling or expiring releases it; shipping fulfils it (a stock move at cost, HPP).
- Status moves only along `TRANSITIONS`; who may cancel depends on the state (`CANCELLABLE_BY`).
- Money reaches the cooperative's books once per event, by idempotency key: payment received
  (Bank or Piutang Kophub against Uang Muka Pelanggan), shipment (revenue from the advance, or a
  receivable for cash on delivery; the marketplace fee), refund (the payment reversed).
- A buyer reads orders only through their checkout records, each order under its own cooperative.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from flask import current_app, has_app_context
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert

from core import audit
from core.db import db
from core.errors import DomainError, ErrorCode, Forbidden, NotFound
from core.models import Notification, User
from erp.inventory import service as inventory
from erp.ledger import service as ledger
from erp.ledger.service import NewEntry, credit, debit
from marketplace.buyers import service as buyers
from marketplace.buyers.models import Buyer, CartLine
from marketplace.orders import offers
from marketplace.orders.models import (
    Checkout,
    CheckoutOrder,
    Order,
    OrderEvent,
    OrderLine,
    OrderStatus,
    PaymentMethod,
    Settings,
)
from marketplace.payments.models import Payment, PaymentStatus
from tenants.context import current_tenant_id, require_tenant, tenant
from tenants.models import Cooperative

S = OrderStatus
SOURCE = "kophub"
MAX_TOTAL = 10_000_000_000
KEY = re.compile(r"^[A-Za-z0-9_\-]{8,64}$")

# The cooperative's accounts for Kophub (standard chart; added to an older chart when first needed).
CASH = "1-1100"
BANK = "1-1110"
RECEIVABLE = "1-1130"  # Piutang Usaha: cash on delivery not yet collected
PLATFORM_RECEIVABLE = "1-1140"  # Piutang Kophub: card payments the platform holds for the cooperative
PAYABLE = "2-1300"  # Utang Usaha: the marketplace fee owed to the platform
ADVANCES = "2-1390"  # Uang Muka Pelanggan Kophub: paid, not yet shipped
SALES = "4-2100"
FEE_EXPENSE = "6-9200"

TRANSITIONS: dict[OrderStatus, set[OrderStatus]] = {
    S.MENUNGGU_PEMBAYARAN: {S.DIBAYAR, S.DIPROSES, S.DIBATALKAN},  # → diproses: cash on delivery only
    S.DIBAYAR: {S.DIPROSES, S.DIBATALKAN},
    S.DIPROSES: {S.DIKIRIM, S.DIBATALKAN},
    S.DIKIRIM: {S.DITERIMA},
    S.DITERIMA: {S.SELESAI},
    S.SELESAI: set(),
    S.DIBATALKAN: set(),
}
# Who may cancel in which state: the buyer until the cooperative starts working the order; the
# cooperative until it ships; the system only unpaid orders whose payment time ran out.
CANCELLABLE_BY = {
    "buyer": {S.MENUNGGU_PEMBAYARAN, S.DIBAYAR},
    "cooperative": {S.MENUNGGU_PEMBAYARAN, S.DIBAYAR, S.DIPROSES},
    "system": {S.MENUNGGU_PEMBAYARAN},
}

STATUS_LABELS = {
    S.MENUNGGU_PEMBAYARAN: _l("Menunggu pembayaran"),
    S.DIBAYAR: _l("Dibayar"),
    S.DIPROSES: _l("Diproses"),
    S.DIKIRIM: _l("Dikirim"),
    S.DITERIMA: _l("Diterima"),
    S.SELESAI: _l("Selesai"),
    S.DIBATALKAN: _l("Dibatalkan"),
}
PAYMENT_LABELS = {
    PaymentStatus.MENUNGGU: _l("belum dibayar"),
    PaymentStatus.BUKTI_DIKIRIM: _l("bukti dikirim, perlu diperiksa"),
    PaymentStatus.LUNAS: _l("lunas"),
    PaymentStatus.GAGAL: _l("gagal atau bukti ditolak"),
    PaymentStatus.DIKEMBALIKAN: _l("dana dikembalikan"),
}
METHOD_LABELS = {
    PaymentMethod.TRANSFER: _l("Transfer bank"),
    PaymentMethod.QRIS: _l("QRIS"),
    PaymentMethod.COD: _l("Bayar di tempat (COD)"),
    PaymentMethod.STRIPE: _l("Kartu (Stripe)"),
}


class OrderRefused(DomainError):
    code = ErrorCode.INVALID_INPUT
    status = 422


class InvalidTransition(DomainError):
    code = ErrorCode.INVALID_TRANSITION
    status = 409


# --- settings -------------------------------------------------------------------------------


def settings() -> Settings:
    """The platform's Kophub settings (created with defaults when missing)."""
    found = db.session.get(Settings, 1)
    if found is not None:
        return found
    db.session.execute(
        pg_insert(Settings)
        .values(id=1, fee_percent=0, payment_window_hours=24, payout_hold_days=7, return_window_days=7)
        .on_conflict_do_nothing()
    )
    found = db.session.get(Settings, 1)
    assert found is not None
    return found


def update_settings(
    *,
    fee_percent: Decimal,
    payment_window_hours: int,
    user_id: int,
    payout_hold_days: int | None = None,
    return_window_days: int | None = None,
) -> Settings:
    if not Decimal(0) <= fee_percent <= Decimal(20):
        raise OrderRefused(
            _l("Komisi harus 0 sampai 20 persen."), {"fee_percent": [str(_l("Harus 0 sampai 20."))]}
        )
    if not 1 <= payment_window_hours <= 168:
        raise OrderRefused(
            _l("Batas waktu bayar harus 1–168 jam."),
            {"payment_window_hours": [str(_l("Harus 1 sampai 168."))]},
        )
    current = settings()
    hold = current.payout_hold_days if payout_hold_days is None else payout_hold_days
    if not isinstance(hold, int) or not 0 <= hold <= 60:
        raise OrderRefused(
            _l("Masa tahan dana harus 0–60 hari."), {"payout_hold_days": [str(_l("Harus 0 sampai 60."))]}
        )
    window_days = current.return_window_days if return_window_days is None else return_window_days
    if not isinstance(window_days, int) or not 1 <= window_days <= 30:
        raise OrderRefused(
            _l("Batas retur harus 1–30 hari."), {"return_window_days": [str(_l("Harus 1 sampai 30."))]}
        )
    before = {
        "return_window_days": current.return_window_days,
        "fee_percent": str(current.fee_percent),
        "payment_window_hours": current.payment_window_hours,
        "payout_hold_days": current.payout_hold_days,
    }
    current.fee_percent, current.payment_window_hours = fee_percent, payment_window_hours
    current.payout_hold_days, current.return_window_days = hold, window_days
    current.updated_by, current.updated_at = user_id, datetime.now(UTC)
    audit.record(
        "marketplace.settings_changed",
        "marketplace_settings",
        1,
        before=before,
        after={
            "fee_percent": str(fee_percent),
            "payment_window_hours": payment_window_hours,
            "payout_hold_days": hold,
            "return_window_days": window_days,
        },
        actor_id=user_id,
    )
    db.session.commit()
    return current


def fee_of(total: int, fee_percent: Decimal) -> int:
    """The platform's fee on an order, rounded half up to the rupiah."""
    return int((Decimal(total) * fee_percent / 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))


# --- checkout -------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Planned:
    cooperative: Cooperative
    lines: list[tuple[CartLine, offers.Offer]]

    @property
    def total(self) -> int:
        return sum(o.unit_price * line.quantity for line, o in self.lines)


def is_local(cooperative_village: str, address_village: str) -> bool:
    """Cash on delivery is for local orders: the buyer's address in the cooperative's regency."""
    return cooperative_village[:5] == address_village[:5]


def stripe_enabled() -> bool:
    return bool(has_app_context() and current_app.config["KOPDES"].stripe_secret_key)


def checkout(buyer: Buyer, *, address_id: int, payment_method: str, idempotency_key: str) -> Checkout:
    """Turn the buyer's cart into one order per cooperative, reserve the stock and commit; refuse
    (writing nothing) an empty cart, a listing no longer offered, a quantity under the minimum or
    above the stock, cash on delivery from afar. The same key returns the first checkout."""
    try:
        return _checkout(
            buyer, address_id=address_id, payment_method=payment_method, idempotency_key=idempotency_key
        )
    except Exception:
        db.session.rollback()
        raise


def _checkout(buyer: Buyer, *, address_id: int, payment_method: str, idempotency_key: str) -> Checkout:
    if not isinstance(idempotency_key, str) or not KEY.match(idempotency_key):
        raise OrderRefused(_l("Kunci transaksi tidak sah; muat ulang halaman."))
    if payment_method not in PaymentMethod.__members__.values():
        raise OrderRefused(
            _l("Pilih cara pembayaran."), {"payment_method": [str(_l("Pilihan tidak dikenal."))]}
        )
    method = PaymentMethod(payment_method)
    repeat = db.session.scalar(
        select(Checkout).where(Checkout.buyer_id == buyer.id, Checkout.idempotency_key == idempotency_key)
    )
    if repeat is not None:
        return repeat
    if method == PaymentMethod.STRIPE and not stripe_enabled():
        raise OrderRefused(
            _l("Pembayaran kartu belum tersedia. Pilih transfer bank, QRIS, atau bayar di tempat."),
            {"payment_method": [str(_l("Belum tersedia."))]},
        )
    address = buyers.address_of(buyer, address_id)
    cart = buyers.cart_lines(buyer)
    if not cart:
        raise OrderRefused(_l("Keranjang kosong."))
    plans = _plan(cart)
    if method == PaymentMethod.COD:
        far = [
            p.cooperative.name
            for p in plans
            if not is_local(p.cooperative.village_code, address.village_code)
        ]
        if far:
            message = _l(
                "Bayar di tempat hanya untuk alamat di kabupaten/kota yang sama dengan koperasi: %(names)s.",
                names=", ".join(far),
            )
            raise OrderRefused(message, {"payment_method": [str(message)]})
    total = sum(p.total for p in plans)
    if total > MAX_TOTAL:
        raise OrderRefused(_l("Total belanja terlalu besar."))
    config = settings()
    window = None if method == PaymentMethod.COD else timedelta(hours=config.payment_window_hours)
    record = Checkout(
        buyer_id=buyer.id,
        idempotency_key=idempotency_key,
        payment_method=method.value,
        total=total,
        expires_at=datetime.now(UTC) + window if window else None,
    )
    db.session.add(record)
    db.session.flush()
    buyer_user = db.session.get(User, buyer.user_id)
    assert buyer_user is not None
    buyer_name = buyer.company_name or buyer_user.name
    made: list[tuple[int, int]] = []
    for plan in plans:
        with tenant(plan.cooperative.id):
            order = _place_order(plan, record, buyer, buyer_name, address, method, config.fee_percent, window)
            made.append((plan.cooperative.id, order.id))
    for cooperative_id, order_id in made:
        db.session.add(CheckoutOrder(checkout_id=record.id, cooperative_id=cooperative_id, order_id=order_id))
    for line in cart:
        db.session.delete(line)
    audit.record(
        "marketplace.checkout",
        "marketplace_checkout",
        record.id,
        after={"orders": [list(pair) for pair in made], "total": total, "method": method.value},
        actor_id=buyer.user_id,
    )
    db.session.commit()
    return record


def _plan(cart: list[CartLine]) -> list[_Planned]:
    by_coop: dict[int, list[CartLine]] = defaultdict(list)
    for line in cart:
        by_coop[line.cooperative_id].append(line)
    plans = []
    for cooperative_id in sorted(by_coop):
        coop = db.session.get(Cooperative, cooperative_id)
        priced = []
        for line in by_coop[cooperative_id]:
            found = offers.offer(cooperative_id, line.listing_id, line.quantity)
            if found is None or coop is None:
                raise OrderRefused(
                    _l("Ada produk di keranjang yang tidak lagi dijual. Hapus lalu coba lagi."),
                    {"cart": [str(line.id)]},
                )
            offers.check_quantity(found, line.quantity)
            priced.append((line, found))
        assert coop is not None
        plans.append(_Planned(coop, priced))
    return plans


def _place_order(
    plan: _Planned,
    record: Checkout,
    buyer: Buyer,
    buyer_name: str,
    address: Any,
    method: PaymentMethod,
    fee_percent: Decimal,
    window: timedelta | None,
) -> Order:
    order_id: int = db.session.execute(select(func.nextval("marketplace_orders_id_seq"))).scalar_one()
    total = plan.total
    order = Order(
        id=order_id,
        number=f"KH-{order_id:06d}",
        checkout_id=record.id,
        buyer_id=buyer.id,
        status=S.MENUNGGU_PEMBAYARAN.value,
        payment_method=method.value,
        total=total,
        fee=fee_of(total, fee_percent),
        buyer_name=buyer_name,
        recipient=address.recipient,
        phone=address.phone,
        street=address.street,
        village_code=address.village_code,
        postal_code=address.postal_code,
        expires_at=record.expires_at,
    )
    db.session.add(order)
    db.session.flush()
    for n, (line, found) in enumerate(sorted(plan.lines, key=lambda pair: pair[1].product_id), start=1):
        location_id = found.location_id
        key = f"kophub:{order.id}:{n}"
        inventory.reserve(found.product_id, location_id, line.quantity, key=key)
        db.session.add(
            OrderLine(
                order_id=order.id,
                listing_id=found.listing_id,
                product_id=found.product_id,
                location_id=location_id,
                title=found.title[:160],
                unit=found.unit,
                quantity=line.quantity,
                unit_price=found.unit_price,
                amount=line.quantity * found.unit_price,
                reservation_key=key,
            )
        )
    db.session.add(
        Payment(
            order_id=order.id,
            provider="stripe" if method == PaymentMethod.STRIPE else "manual",
            method=method.value,
            amount=total,
            status=PaymentStatus.MENUNGGU.value,
            refunded=0,
        )
    )
    _event(order, S.MENUNGGU_PEMBAYARAN, buyer.user_id, None)
    _notify_both(
        order,
        _l("Pesanan %(number)s dibuat", number=order.number),
        _l(
            "Pesanan %(number)s di %(coop)s sebesar %(total)s menunggu pembayaran.",
            number=order.number,
            coop=plan.cooperative.name,
            total=_rupiah(total),
        ),
    )
    db.session.flush()
    return order


# --- reading --------------------------------------------------------------------------------


@dataclass(frozen=True)
class OrderView:
    cooperative: Cooperative
    order: Order
    lines: list[OrderLine]
    payment: Payment | None
    events: list[OrderEvent]
    bank: Any = None  # the cooperative's bank account (LegalData), for paying by transfer
    returns: Any = ()  # marketplace.orders.returns.ReturnView, oldest first
    returnable: dict[int, int] | None = None  # units per line the buyer may still return, if any


def _view(order: Order, cooperative: Cooperative) -> OrderView:
    lines = list(
        db.session.scalars(select(OrderLine).where(OrderLine.order_id == order.id).order_by(OrderLine.id))
    )
    payment = db.session.scalar(select(Payment).where(Payment.order_id == order.id))
    events = list(
        db.session.scalars(select(OrderEvent).where(OrderEvent.order_id == order.id).order_by(OrderEvent.id))
    )
    from marketplace.orders import returns
    from tenants.service import legal_data

    return OrderView(
        cooperative,
        order,
        lines,
        payment,
        events,
        legal_data(),
        returns.returns_of(order.id),
        returns.returnable(order, lines),
    )


def checkouts_of(buyer: Buyer, limit: int = 50) -> list[Checkout]:
    return list(
        db.session.scalars(
            select(Checkout).where(Checkout.buyer_id == buyer.id).order_by(Checkout.id.desc()).limit(limit)
        )
    )


def buyer_checkout(buyer: Buyer, checkout_id: int) -> tuple[Checkout, list[OrderView]]:
    """The buyer's cross-tenant read path: a checkout of theirs and its orders, each read under its
    own cooperative (RLS applies to every read)."""
    record = db.session.scalar(
        select(Checkout).where(Checkout.id == checkout_id, Checkout.buyer_id == buyer.id)
    )
    if record is None:
        raise NotFound(_l("Pesanan tidak ditemukan."))
    pairs = db.session.execute(
        select(CheckoutOrder.cooperative_id, CheckoutOrder.order_id)
        .where(CheckoutOrder.checkout_id == record.id)
        .order_by(CheckoutOrder.cooperative_id)
    ).all()
    views = []
    for cooperative_id, order_id in pairs:
        coop = db.session.get(Cooperative, cooperative_id)
        assert coop is not None
        with tenant(cooperative_id):
            order = db.session.scalar(select(Order).where(Order.id == order_id, Order.buyer_id == buyer.id))
            if order is not None:
                views.append(_view(order, coop))
    return record, views


def buyer_order(buyer: Buyer, cooperative_id: int, order_id: int) -> OrderView:
    """One order of the buyer's, found through their checkout record."""
    owned = db.session.scalar(
        select(CheckoutOrder.order_id)
        .join(Checkout, Checkout.id == CheckoutOrder.checkout_id)
        .where(
            Checkout.buyer_id == buyer.id,
            CheckoutOrder.cooperative_id == cooperative_id,
            CheckoutOrder.order_id == order_id,
        )
    )
    coop = db.session.get(Cooperative, cooperative_id) if owned is not None else None
    if coop is None:
        raise NotFound(_l("Pesanan tidak ditemukan."))
    with tenant(cooperative_id):
        order = db.session.scalar(select(Order).where(Order.id == order_id, Order.buyer_id == buyer.id))
        if order is None:
            raise NotFound(_l("Pesanan tidak ditemukan."))
        return _view(order, coop)


@contextmanager
def as_buyer(buyer: Buyer, cooperative_id: int, order_id: int) -> Iterator[OrderView]:
    """Act on one of the buyer's orders under its cooperative (for buyer actions)."""
    found = buyer_order(buyer, cooperative_id, order_id)
    with tenant(cooperative_id):
        yield found


def orders(status: str | None = None, limit: int = 100) -> list[Order]:
    """The current cooperative's orders, newest first, optionally of one status."""
    require_tenant()
    stmt = select(Order).order_by(Order.id.desc()).limit(min(limit, 500))
    if status:
        stmt = stmt.where(Order.status == status)
    return list(db.session.scalars(stmt))


def counts_by_status() -> dict[str, int]:
    require_tenant()
    rows = db.session.execute(select(Order.status, func.count()).group_by(Order.status))
    return {status: int(n) for status, n in rows}


def order_view(order_id: int) -> OrderView:
    """One order of the current cooperative, with its lines, payment and history."""
    tenant_id = require_tenant()
    order = db.session.scalar(select(Order).where(Order.id == order_id))
    if order is None:
        raise NotFound(_l("Pesanan tidak ditemukan."))
    coop = db.session.get(Cooperative, tenant_id)
    assert coop is not None
    return _view(order, coop)


# --- the lifecycle --------------------------------------------------------------------------


def _locked(order_id: int) -> Order:
    require_tenant()
    order = db.session.scalar(
        select(Order).where(Order.id == order_id).with_for_update().execution_options(populate_existing=True)
    )
    if order is None:
        raise NotFound(_l("Pesanan tidak ditemukan."))
    return order


def _payment(order: Order) -> Payment:
    payment = db.session.scalar(
        select(Payment)
        .where(Payment.order_id == order.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if payment is None:
        raise NotFound(_l("Pembayaran pesanan tidak ditemukan."))
    return payment


def _move(order: Order, to: OrderStatus, actor_id: int | None, note: str | None = None) -> None:
    current = OrderStatus(order.status)
    if to not in TRANSITIONS[current]:
        raise InvalidTransition(
            _l(
                "Pesanan %(number)s berstatus %(status)s; tidak dapat menjadi %(to)s.",
                number=order.number,
                status=STATUS_LABELS[current],
                to=STATUS_LABELS[to],
            )
        )
    before = order.status
    order.status = to.value
    _event(order, to, actor_id, note)
    audit.record(
        "marketplace.order_status",
        "marketplace_order",
        order.id,
        before={"status": before},
        after={"status": to.value, "note": note},
        actor_id=actor_id,
    )


def _event(order: Order, status: OrderStatus, actor_id: int | None, note: str | None) -> None:
    db.session.add(OrderEvent(order_id=order.id, status=status.value, actor_id=actor_id, note=note))


def mark_paid(order: Order, payment: Payment, *, actor_id: int | None, account: str, note: str) -> None:
    """Payment received for an order (caller holds the locks): the payment is settled, the order
    becomes dibayar (if it was waiting) and the money is posted against the customer's advance."""
    if payment.status == PaymentStatus.LUNAS:
        return
    payment.status = PaymentStatus.LUNAS.value
    payment.paid_at = datetime.now(UTC)
    payment.confirmed_by = actor_id
    order.paid_at = payment.paid_at
    order.expires_at = None
    ledger.ensure_accounts(PLATFORM_RECEIVABLE, ADVANCES, FEE_EXPENSE)
    ledger.post(
        NewEntry(
            entry_date=date.today(),
            description=f"Pembayaran pesanan Kophub {order.number}",
            source_module=SOURCE,
            source_id=order.id,
            idempotency_key=f"kophub:paid:{order.id}",
            lines=[
                debit(account, order.total),
                credit(ADVANCES if order.shipped_at is None else RECEIVABLE, order.total),
            ],
        ),
        posted_by=actor_id,
    )
    if account == PLATFORM_RECEIVABLE:
        from marketplace.payments import payouts

        payouts.received(order, order.total)
    if order.status == S.MENUNGGU_PEMBAYARAN:
        _move(order, S.DIBAYAR, actor_id, note)
    else:
        _event(order, OrderStatus(order.status), actor_id, note)
    _notify_both(
        order,
        _l("Pembayaran pesanan %(number)s diterima", number=order.number),
        _l(
            "Pembayaran %(total)s untuk pesanan %(number)s sudah diterima.",
            total=_rupiah(order.total),
            number=order.number,
        ),
    )


def start_processing(order_id: int, *, user_id: int) -> Order:
    """The cooperative starts packing: a paid order, or a cash-on-delivery one."""
    order = _locked(order_id)
    if order.status == S.MENUNGGU_PEMBAYARAN and order.payment_method != PaymentMethod.COD:
        raise InvalidTransition(_l("Pesanan ini belum dibayar."))
    _move(order, S.DIPROSES, user_id)
    _notify_buyer(
        order,
        _l("Pesanan %(number)s diproses", number=order.number),
        _l("Koperasi sedang menyiapkan pesanan Anda."),
    )
    db.session.commit()
    return order


def ship(order_id: int, *, courier: str, tracking_number: str, user_id: int) -> Order:
    """Hand the order to a courier: every reservation becomes a stock move at cost (HPP posted by
    inventory), the revenue is recognised (from the advance, or as a receivable for cash on
    delivery) and the marketplace fee, if any, is posted. Writes all of it or nothing."""
    try:
        order = _locked(order_id)
        courier, tracking_number = (courier or "").strip(), (tracking_number or "").strip()
        fields = {}
        if not courier or len(courier) > 40:
            fields["courier"] = [str(_l("Wajib diisi (maksimal 40 karakter)."))]
        if not tracking_number or len(tracking_number) > 60:
            fields["tracking_number"] = [str(_l("Wajib diisi (maksimal 60 karakter)."))]
        if fields:
            raise OrderRefused(_l("Isi kurir dan nomor resi."), fields)
        _move(order, S.DIKIRIM, user_id, f"{courier} {tracking_number}")
        lines = list(
            db.session.scalars(select(OrderLine).where(OrderLine.order_id == order.id).order_by(OrderLine.id))
        )
        for line in sorted(lines, key=lambda item: item.product_id):
            inventory.fulfil(
                line.reservation_key,
                description=f"Kophub {order.number}: {line.title}",
                user_id=user_id,
            )
        order.courier, order.tracking_number = courier, tracking_number
        order.shipped_at = datetime.now(UTC)
        payment = _payment(order)
        ledger.ensure_accounts(PLATFORM_RECEIVABLE, ADVANCES, FEE_EXPENSE)
        paid = payment.status == PaymentStatus.LUNAS
        entry_lines = [debit(ADVANCES if paid else RECEIVABLE, order.total), credit(SALES, order.total)]
        if order.fee:
            settled_by_platform = order.payment_method == PaymentMethod.STRIPE
            entry_lines += [
                debit(FEE_EXPENSE, order.fee),
                credit(PLATFORM_RECEIVABLE if settled_by_platform else PAYABLE, order.fee),
            ]
        ledger.post(
            NewEntry(
                entry_date=date.today(),
                description=f"Penjualan Kophub {order.number}",
                source_module=SOURCE,
                source_id=order.id,
                idempotency_key=f"kophub:shipped:{order.id}",
                lines=entry_lines,
            ),
            posted_by=user_id,
        )
        if order.fee and order.payment_method == PaymentMethod.STRIPE:
            from marketplace.payments import payouts

            payouts.fee_taken(order, order.fee)
        _notify_buyer(
            order,
            _l("Pesanan %(number)s dikirim", number=order.number),
            _l(
                "Pesanan Anda dikirim dengan %(courier)s, nomor resi %(tracking)s.",
                courier=courier,
                tracking=tracking_number,
            ),
        )
        db.session.commit()
        return order
    except Exception:
        db.session.rollback()
        raise


def mark_received(order_id: int, *, user_id: int | None) -> Order:
    order = _locked(order_id)
    _move(order, S.DITERIMA, user_id)
    order.received_at = datetime.now(UTC)
    _notify_both(
        order, _l("Pesanan %(number)s diterima", number=order.number), _l("Pesanan sudah diterima pembeli.")
    )
    db.session.commit()
    return order


def complete(order_id: int, *, user_id: int | None) -> Order:
    """Close a delivered order; a cash-on-delivery order must be paid first."""
    from marketplace.orders.models import OrderReturn, ReturnStatus

    order = _locked(order_id)
    if _payment(order).status not in (PaymentStatus.LUNAS, PaymentStatus.DIKEMBALIKAN):
        raise InvalidTransition(_l("Pembayaran di tempat belum dicatat lunas."))
    waiting = db.session.scalar(
        select(func.count())
        .select_from(OrderReturn)
        .where(OrderReturn.order_id == order.id, OrderReturn.status == ReturnStatus.DIAJUKAN)
    )
    if waiting:
        raise InvalidTransition(_l("Ada permintaan retur yang belum diputuskan."))
    _move(order, S.SELESAI, user_id)
    order.closed_at = datetime.now(UTC)
    from marketplace.payments import payouts

    payouts.completed(order)
    db.session.commit()
    return order


def record_cash_on_delivery(order_id: int, *, user_id: int) -> Order:
    """The bendahara records the cash the courier collected for a shipped COD order."""
    order = _locked(order_id)
    if order.payment_method != PaymentMethod.COD:
        raise InvalidTransition(_l("Pesanan ini bukan bayar di tempat."))
    if order.shipped_at is None:
        raise InvalidTransition(_l("Uang COD dicatat setelah pesanan dikirim."))
    payment = _payment(order)
    mark_paid(order, payment, actor_id=user_id, account=CASH, note=str(_l("Uang COD diterima")))
    db.session.commit()
    return order


def cancel(order_id: int, *, by: str, reason: str, user_id: int | None) -> Order:
    """Cancel an order as `by` (buyer, cooperative, system) in a state that allows it: the stock
    is released, and a received payment is refunded (manual: recorded as returned by the
    bendahara; Stripe: a refund asked of Stripe, settled by its webhook)."""
    try:
        order = _locked(order_id)
        reason = (reason or "").strip()
        if not reason or len(reason) > 300:
            raise OrderRefused(_l("Tuliskan alasan pembatalan."), {"reason": [str(_l("Wajib diisi."))]})
        if OrderStatus(order.status) not in CANCELLABLE_BY.get(by, set()):
            raise Forbidden(
                _l(
                    "Pesanan berstatus %(status)s tidak dapat dibatalkan oleh %(who)s.",
                    status=STATUS_LABELS[OrderStatus(order.status)],
                    who=_WHO.get(by, by),
                )
            )
        _move(order, S.DIBATALKAN, user_id, reason)
        order.cancel_reason = reason
        order.closed_at = datetime.now(UTC)
        order.expires_at = None
        release_stock(order)
        payment = _payment(order)
        if payment.status == PaymentStatus.LUNAS:
            from marketplace.payments import adapter_for

            adapter_for(payment.provider).refund(order, payment)
        elif payment.status in (PaymentStatus.MENUNGGU, PaymentStatus.BUKTI_DIKIRIM):
            payment.status = PaymentStatus.GAGAL.value
        _notify_both(
            order,
            _l("Pesanan %(number)s dibatalkan", number=order.number),
            _l("Pesanan %(number)s dibatalkan: %(reason)s", number=order.number, reason=reason),
        )
        db.session.commit()
        return order
    except Exception:
        db.session.rollback()
        raise


def refund_after_cancel(order_id: int, *, user_id: int) -> Order:
    """Return money that arrived for an order already cancelled (a card payment completing after
    the payment time ran out): the same refund as a cancellation makes."""
    try:
        order = _locked(order_id)
        payment = _payment(order)
        if order.status != S.DIBATALKAN or payment.status != PaymentStatus.LUNAS:
            raise InvalidTransition(_l("Tidak ada dana yang perlu dikembalikan untuk pesanan ini."))
        from marketplace.payments import adapter_for

        adapter_for(payment.provider).refund(order, payment)
        _event(order, S.DIBATALKAN, user_id, str(_l("Pengembalian dana diminta")))
        db.session.commit()
        return order
    except Exception:
        db.session.rollback()
        raise


def release_stock(order: Order) -> None:
    """Give back every unit the order holds (its reservations), in product-id order."""
    lines = db.session.scalars(select(OrderLine).where(OrderLine.order_id == order.id))
    for line in sorted(lines, key=lambda item: item.product_id):
        inventory.release(line.reservation_key)


_WHO = {"buyer": _l("pembeli"), "cooperative": _l("koperasi"), "system": _l("sistem")}


def post_refund(order: Order, payment: Payment, amount: int, *, account: str, actor_id: int | None) -> None:
    """The money returned to the buyer, in the books: the advance (or receivable) against where it
    was paid in. Caller holds the locks."""
    ledger.ensure_accounts(PLATFORM_RECEIVABLE, ADVANCES, FEE_EXPENSE)
    ledger.post(
        NewEntry(
            entry_date=date.today(),
            description=f"Pengembalian dana pesanan Kophub {order.number}",
            source_module=SOURCE,
            source_id=order.id,
            idempotency_key=f"kophub:refund:{order.id}",
            # after shipping the sale itself is undone (a return); before, the customer's advance
            lines=[debit(SALES if order.shipped_at else ADVANCES, amount), credit(account, amount)],
        ),
        posted_by=actor_id,
    )
    if account == PLATFORM_RECEIVABLE:
        from marketplace.payments import payouts

        payouts.refunded(order, amount)


def expire_unpaid(now: datetime | None = None, limit: int = 200) -> int:
    """Cancel unpaid orders whose payment time ran out, in every cooperative, releasing their
    stock; returns how many. A scheduled job: it finds due checkouts on the platform table (no
    tenant needed), then works each order in its own transaction under its own cooperative; a
    checkout is done once none of its orders waits for payment any more."""
    now = now or datetime.now(UTC)
    due = list(
        db.session.scalars(
            select(Checkout.id)
            .where(Checkout.expires_at.is_not(None), Checkout.expires_at <= now)
            .order_by(Checkout.expires_at)
            .limit(limit)
        )
    )
    db.session.commit()
    expired = 0
    for checkout_id in due:
        pairs = db.session.execute(
            select(CheckoutOrder.cooperative_id, CheckoutOrder.order_id).where(
                CheckoutOrder.checkout_id == checkout_id
            )
        ).all()
        for cooperative_id, order_id in sorted(pairs):
            with tenant(cooperative_id):
                status = db.session.scalar(select(Order.status).where(Order.id == order_id))
                if status == S.MENUNGGU_PEMBAYARAN:
                    try:
                        cancel(
                            order_id,
                            by="system",
                            reason=str(_l("Batas waktu pembayaran habis")),
                            user_id=None,
                        )
                        expired += 1
                    except DomainError:
                        db.session.rollback()
                else:
                    db.session.rollback()
        record = db.session.get(Checkout, checkout_id)
        if record is not None:
            record.expires_at = None
        db.session.commit()
    return expired


# --- books and messages ---------------------------------------------------------------------


def _rupiah(amount: int) -> str:
    from core.money import format_rupiah

    return format_rupiah(amount)


def _contact(user: User | None) -> tuple[str, str] | None:
    if user is None:
        return None
    if user.email:
        return "email", user.email
    if user.phone:
        return "whatsapp", user.phone
    return None


def _notify_buyer(order: Order, subject: Any, body: Any) -> None:
    buyer = db.session.get(Buyer, order.buyer_id)
    target = _contact(db.session.get(User, buyer.user_id) if buyer else None)
    if target:
        db.session.add(
            Notification(channel=target[0], recipient=target[1], subject=str(subject)[:200], body=str(body))
        )


def _notify_cooperative(order: Order, subject: Any, body: Any) -> None:
    coop = db.session.get(Cooperative, current_tenant_id())
    if coop is None:
        return
    for channel, recipient in (("email", coop.email), ("whatsapp", coop.phone)):
        if recipient:
            db.session.add(
                Notification(channel=channel, recipient=recipient, subject=str(subject)[:200], body=str(body))
            )
            return


def _notify_both(order: Order, subject: Any, body: Any) -> None:
    _notify_buyer(order, subject, body)
    _notify_cooperative(order, subject, body)
