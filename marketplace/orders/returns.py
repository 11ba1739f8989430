"""Returns after delivery: a buyer asks, within the return window after the order was received, to
return some units of some lines (reason, photo optional); the cooperative accepts or refuses; on
acceptance the goods go back to stock at the cost they left at (or are written off) and the money
goes back to the buyer in part.

Invariants:
- Over all returns of an order that are not refused, no line gives back more units than were
  bought: every request and decision runs under the order's row lock and counts what is already
  asked for.
- A refund is the returned units at the price paid. The Kophub fee and the cost of goods (HPP)
  are given back in proportion, rounded half up to the rupiah on the running total: after the
  k-th return of an order the fee given back so far is round(fee × refunded so far / total), and
  for each line the cost put back so far is round(line cost × units back so far / units bought).
  Each return takes the difference, so the parts always add up exactly, and a return of
  everything gives back exactly the whole fee and the whole cost.
- Goods come back through `erp.inventory.returns.return_goods` at the cost they left at (into the
  lots the Kophub sale drew), or are written off there (audited) when damaged.
- In the cooperative's books, acceptance posts once (key `kophub:return:<id>`): Dr Penjualan /
  Cr Uang Muka Pelanggan Kophub (the refund now owed to the buyer), the fee given back (Dr Piutang
  Kophub for card orders, Dr Utang Usaha otherwise / Cr Beban Komisi) and, for goods back on the
  shelf, Dr Persediaan / Cr HPP. The refund itself posts once (key `kophub:return-refund:<id>`):
  Dr Uang Muka Pelanggan Kophub / Cr Bank, Kas (cash on delivery) or Piutang Kophub (card).
- A card refund is asked of Stripe with the idempotency key `kophub-return-<tenant>-<id>`; its
  success (answered at once or by webhook, each event applied once) completes the return once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import IO, Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from core import audit, images
from core.db import db
from core.errors import DomainError, ErrorCode, NotFound
from erp.inventory import returns as inventory_returns
from erp.inventory import service as inventory
from erp.ledger import service as ledger
from erp.ledger.service import NewEntry, credit, debit
from marketplace.orders import service as orders
from marketplace.orders.models import (
    Disposition,
    Order,
    OrderLine,
    OrderReturn,
    OrderReturnLine,
    OrderStatus,
    PaymentMethod,
    ReturnStatus,
)
from marketplace.payments.models import Payment, PaymentStatus
from tenants.context import require_tenant

R = ReturnStatus
OPEN = (R.DIAJUKAN.value, R.DISETUJUI.value, R.SELESAI.value)  # counted against what was bought
ACCEPTED = (R.DISETUJUI.value, R.SELESAI.value)
# a return's photo is evidence of the goods' state: kept large enough to see it (longest side)
PHOTO_LONGEST = 1600
PHOTO_MIN_SIDE = 100

RETURN_LABELS = {
    R.DIAJUKAN: _l("Retur diajukan, menunggu keputusan koperasi"),
    R.DITOLAK: _l("Retur ditolak"),
    R.DISETUJUI: _l("Retur disetujui, dana sedang dikembalikan"),
    R.SELESAI: _l("Retur selesai, dana dikembalikan"),
}
DISPOSITION_LABELS = {
    Disposition.STOK: _l("Barang kembali ke stok"),
    Disposition.HAPUS: _l("Barang rusak, dihapus"),
}


class ReturnRefused(DomainError):
    code = ErrorCode.INVALID_INPUT
    status = 422


def half_up(numerator: int, denominator: int) -> int:
    """numerator / denominator rounded half up to a whole rupiah (both non-negative)."""
    return int((Decimal(numerator) / Decimal(denominator)).quantize(Decimal(1), rounding=ROUND_HALF_UP))


# --- reading --------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReturnView:
    record: OrderReturn
    lines: list[tuple[OrderReturnLine, OrderLine]]


def returns_of(order_id: int) -> list[ReturnView]:
    """An order's returns, oldest first, with their lines (under the order's tenant)."""
    records = list(
        db.session.scalars(
            select(OrderReturn).where(OrderReturn.order_id == order_id).order_by(OrderReturn.id)
        )
    )
    if not records:
        return []
    rows = db.session.execute(
        select(OrderReturnLine, OrderLine)
        .join(OrderLine, OrderLine.id == OrderReturnLine.order_line_id)
        .where(OrderReturnLine.return_id.in_([r.id for r in records]))
        .order_by(OrderReturnLine.id)
    ).all()
    by_return: dict[int, list[tuple[OrderReturnLine, OrderLine]]] = {}
    for line, bought in rows:
        by_return.setdefault(line.return_id, []).append((line, bought))
    return [ReturnView(r, by_return.get(r.id, [])) for r in records]


def returned_units(order_id: int, statuses: tuple[str, ...] = OPEN) -> dict[int, int]:
    """Units per order line in returns of these states."""
    rows = db.session.execute(
        select(OrderReturnLine.order_line_id, func.sum(OrderReturnLine.quantity))
        .join(OrderReturn, OrderReturn.id == OrderReturnLine.return_id)
        .where(OrderReturn.order_id == order_id, OrderReturn.status.in_(statuses))
        .group_by(OrderReturnLine.order_line_id)
    )
    return {int(line_id): int(n) for line_id, n in rows}


def window_ends(order: Order) -> datetime | None:
    if order.received_at is None:
        return None
    return order.received_at + timedelta(days=orders.settings().return_window_days)


def can_request(order: Order, now: datetime | None = None) -> bool:
    """Whether the buyer may still ask to return goods of this order."""
    ends = window_ends(order)
    return (
        order.status in (OrderStatus.DITERIMA, OrderStatus.SELESAI)
        and ends is not None
        and (now or datetime.now(UTC)) <= ends
    )


def returnable(order: Order, lines: list[OrderLine]) -> dict[int, int] | None:
    """Units per line the buyer may still ask to return, or None when the order takes no returns
    (not received, window closed, or everything already asked for)."""
    if not can_request(order):
        return None
    asked = returned_units(order.id)
    left = {line.id: line.quantity - asked.get(line.id, 0) for line in lines}
    return left if any(left.values()) else None


def photo_path(record: OrderReturn) -> Any:
    from marketplace.payments import manual

    if not record.photo_key:
        return None
    path = manual.proof_dir() / record.photo_key
    return path if path.is_file() else None


def return_of(order_id: int, return_id: int) -> OrderReturn:
    record = db.session.scalar(
        select(OrderReturn).where(OrderReturn.id == return_id, OrderReturn.order_id == order_id)
    )
    if record is None:
        raise NotFound(_l("Retur tidak ditemukan."))
    return record


def pending_count() -> int:
    """Returns of the current cooperative waiting for a decision (a home tile)."""
    require_tenant()
    return int(
        db.session.scalar(
            select(func.count()).select_from(OrderReturn).where(OrderReturn.status == R.DIAJUKAN)
        )
        or 0
    )


# --- the buyer asks -------------------------------------------------------------------------


def request_return(
    order_id: int,
    quantities: dict[int, int],
    reason: str,
    photo: IO[bytes] | Any | None = None,
    *,
    user_id: int,
    now: datetime | None = None,
) -> OrderReturn:
    """The buyer asks to return `quantities` (order line id → units) of a received order, within
    the window. Refused, writing nothing, for no units, a line not in the order, or more units than
    bought less those already asked for."""
    try:
        return _request_return(order_id, quantities, reason, photo, user_id=user_id, now=now)
    except Exception:
        db.session.rollback()
        raise


def _request_return(
    order_id: int,
    quantities: dict[int, int],
    reason: str,
    photo: IO[bytes] | Any | None,
    *,
    user_id: int,
    now: datetime | None,
) -> OrderReturn:
    from marketplace.payments import manual

    order = orders._locked(order_id)
    reason = (reason or "").strip()
    if not reason or len(reason) > 300:
        raise ReturnRefused(
            _l("Tuliskan alasan retur."), {"reason": [str(_l("Wajib diisi (maksimal 300 karakter)."))]}
        )
    if not can_request(order, now):
        raise ReturnRefused(
            _l(
                "Retur hanya dapat diajukan sampai %(days)s hari setelah pesanan diterima.",
                days=orders.settings().return_window_days,
            )
        )
    wanted = {int(k): int(v) for k, v in quantities.items() if int(v) != 0}
    if not wanted:
        raise ReturnRefused(
            _l("Isi jumlah barang yang dikembalikan."), {"quantity": [str(_l("Minimal satu barang."))]}
        )
    if any(v < 0 for v in wanted.values()):
        raise ReturnRefused(_l("Jumlah tidak boleh negatif."), {"quantity": [str(_l("Harus 0 atau lebih."))]})
    lines = {
        line.id: line for line in db.session.scalars(select(OrderLine).where(OrderLine.order_id == order.id))
    }
    already = returned_units(order.id)
    for line_id, quantity in wanted.items():
        line = lines.get(line_id)
        if line is None:
            raise ReturnRefused(_l("Barang ini tidak ada di pesanan."), {"quantity": [str(line_id)]})
        left = line.quantity - already.get(line_id, 0)
        if quantity > left:
            message = _l(
                "%(title)s: paling banyak %(left)s %(unit)s lagi dapat dikembalikan.",
                title=line.title,
                left=left,
                unit=line.unit,
            )
            raise ReturnRefused(message, {"quantity": [str(message)]})
    photo_key = photo_type = None
    photo_size = None
    data = images.read_upload(photo, manual.MAX_PROOF_BYTES) if photo is not None else b""
    if data:
        # re-encoded like every photo people upload: upright, and without the phone's EXIF (its GPS
        # position and camera) that the cooperative has no need of
        try:
            picture = images.decode(
                data,
                min_side=PHOTO_MIN_SIDE,
                accept=images.JPEG_PNG,
                max_bytes=manual.MAX_PROOF_BYTES,
                largest=PHOTO_LONGEST,
            )
        except images.PhotoRefused as err:
            raise ReturnRefused(err.message, {"photo": [str(err.message)]}) from None
        jpeg = images.to_jpeg(picture, PHOTO_LONGEST)
        photo_key = manual._store(order.tenant_id, jpeg.data, "image/jpeg")
        photo_type, photo_size = "image/jpeg", len(jpeg.data)
    record = OrderReturn(
        order_id=order.id,
        status=R.DIAJUKAN.value,
        reason=reason,
        photo_key=photo_key,
        photo_type=photo_type,
        photo_size=photo_size,
        amount=sum(lines[i].unit_price * q for i, q in wanted.items()),
        fee_back=0,
        cost_back=0,
        requested_by=user_id,
    )
    db.session.add(record)
    db.session.flush()
    for line_id in sorted(wanted):
        line = lines[line_id]
        db.session.add(
            OrderReturnLine(
                return_id=record.id,
                order_line_id=line_id,
                quantity=wanted[line_id],
                unit_price=line.unit_price,
                amount=wanted[line_id] * line.unit_price,
                cost_back=0,
            )
        )
    orders._event(order, OrderStatus(order.status), user_id, str(_l("Retur diajukan: %(r)s", r=reason)))
    orders._notify_cooperative(
        order,
        _l("Permintaan retur pesanan %(number)s", number=order.number),
        _l(
            "Pembeli meminta retur %(amount)s untuk pesanan %(number)s: %(reason)s",
            amount=orders._rupiah(record.amount),
            number=order.number,
            reason=reason,
        ),
    )
    audit.record(
        "kophub.return_requested",
        "marketplace_return",
        record.id,
        after={"order": order.id, "lines": {str(k): v for k, v in wanted.items()}, "amount": record.amount},
        actor_id=user_id,
    )
    db.session.commit()
    return record


# --- the cooperative decides ----------------------------------------------------------------


def _locked_return(order: Order, return_id: int) -> OrderReturn:
    record = db.session.scalar(
        select(OrderReturn)
        .where(OrderReturn.id == return_id, OrderReturn.order_id == order.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if record is None:
        raise NotFound(_l("Retur tidak ditemukan."))
    return record


def refuse(order_id: int, return_id: int, reason: str, *, user_id: int) -> OrderReturn:
    """The cooperative refuses a return (goods not as the buyer says, window passed): nothing moves."""
    try:
        reason = (reason or "").strip()
        if not reason or len(reason) > 300:
            raise ReturnRefused(_l("Tuliskan alasan penolakan."), {"reason": [str(_l("Wajib diisi."))]})
        order = orders._locked(order_id)
        record = _locked_return(order, return_id)
        if record.status != R.DIAJUKAN:
            raise orders.InvalidTransition(_l("Retur ini sudah diputuskan."))
        record.status, record.refusal_reason = R.DITOLAK.value, reason
        record.decided_by, record.decided_at = user_id, datetime.now(UTC)
        orders._event(order, OrderStatus(order.status), user_id, str(_l("Retur ditolak: %(r)s", r=reason)))
        orders._notify_buyer(
            order,
            _l("Retur pesanan %(number)s ditolak", number=order.number),
            _l("Koperasi menolak retur: %(reason)s", reason=reason),
        )
        audit.record(
            "kophub.return_refused",
            "marketplace_return",
            record.id,
            after={"reason": reason},
            actor_id=user_id,
        )
        db.session.commit()
        return record
    except Exception:
        db.session.rollback()
        raise


def accept(order_id: int, return_id: int, *, disposition: str, user_id: int) -> OrderReturn:
    """The cooperative accepts a return: the goods go back to stock at the cost they left at (or
    are written off), revenue, fee and HPP are reversed in proportion, and the money is on its way
    back (card: refunded through Stripe now; transfer, QRIS, cash: the bendahara records it)."""
    try:
        return _accept(order_id, return_id, disposition=disposition, user_id=user_id)
    except Exception:
        db.session.rollback()
        raise


def _accept(order_id: int, return_id: int, *, disposition: str, user_id: int) -> OrderReturn:
    if disposition not in Disposition.__members__.values():
        raise ReturnRefused(
            _l("Pilih: barang kembali ke stok atau dihapus."),
            {"disposition": [str(_l("Pilihan tidak dikenal."))]},
        )
    order = orders._locked(order_id)
    record = _locked_return(order, return_id)
    if record.status != R.DIAJUKAN:
        raise orders.InvalidTransition(_l("Retur ini sudah diputuskan."))
    payment = orders._payment(order)
    if payment.status != PaymentStatus.LUNAS:
        raise orders.InvalidTransition(_l("Pembayaran pesanan ini belum dicatat lunas; catat dulu uang COD."))
    if payment.refunded + record.amount > payment.amount:
        raise orders.InvalidTransition(_l("Pengembalian dana melebihi yang dibayar."))
    by_card = order.payment_method == PaymentMethod.STRIPE
    # the fee given back: running total rounded half up (see the module's docstring)
    refunded_before = int(
        db.session.scalar(
            select(func.coalesce(func.sum(OrderReturn.amount), 0)).where(
                OrderReturn.order_id == order.id, OrderReturn.status.in_(ACCEPTED)
            )
        )
        or 0
    )
    fee_back = half_up(order.fee * (refunded_before + record.amount), order.total) - half_up(
        order.fee * refunded_before, order.total
    )
    back_before = returned_units(order.id, ACCEPTED)  # units of earlier accepted returns, per line
    record.disposition, record.fee_back = disposition, fee_back
    record.status, record.decided_by, record.decided_at = R.DISETUJUI.value, user_id, datetime.now(UTC)
    lines = list(
        db.session.execute(
            select(OrderReturnLine, OrderLine)
            .join(OrderLine, OrderLine.id == OrderReturnLine.order_line_id)
            .where(OrderReturnLine.return_id == record.id)
            .order_by(OrderLine.product_id, OrderLine.id)
        ).all()
    )
    cost_back = 0
    for returned, bought in lines:
        left_at = inventory.fulfil(bought.reservation_key).cost  # the first result: the cost it left at
        before = back_before.get(bought.id, 0)
        returned.cost_back = half_up(left_at * (before + returned.quantity), bought.quantity) - half_up(
            left_at * before, bought.quantity
        )
        cost_back += returned.cost_back
    record.cost_back = cost_back if disposition == Disposition.STOK else 0
    day = date.today()
    ledger.ensure_accounts(orders.PLATFORM_RECEIVABLE, orders.ADVANCES, orders.FEE_EXPENSE)
    entry_lines = [debit(orders.SALES, record.amount), credit(orders.ADVANCES, record.amount)]
    if fee_back:
        entry_lines += [
            debit(orders.PLATFORM_RECEIVABLE if by_card else orders.PAYABLE, fee_back),
            credit(orders.FEE_EXPENSE, fee_back),
        ]
    if record.cost_back:
        entry_lines += [
            debit(inventory.INVENTORY, record.cost_back),
            credit(inventory.COST_OF_SALES, record.cost_back),
        ]
    entry = ledger.post(
        NewEntry(
            entry_date=day,
            description=f"Retur Kophub {order.number} #{record.id}",
            source_module=orders.SOURCE,
            source_id=order.id,
            idempotency_key=f"kophub:return:{record.id}",
            lines=entry_lines,
        ),
        posted_by=user_id,
    )
    for returned, bought in lines:  # in product-id order, as the balances are locked
        inventory_returns.return_goods(
            bought.product_id,
            bought.location_id,
            returned.quantity,
            returned.cost_back,
            idempotency_key=f"kophub:return:{record.id}:{bought.id}",
            description=f"Retur Kophub {order.number}: {bought.title}"[:200],
            user_id=user_id,
            journal_entry_id=entry.id,
            on=day,
            damaged=disposition == Disposition.HAPUS,
            sold_key=f"kophub:{bought.reservation_key}",  # the move `inventory.fulfil` wrote
        )
    if fee_back and by_card:
        from marketplace.payments import payouts

        payouts.fee_taken(order, -fee_back)
    orders._event(
        order,
        OrderStatus(order.status),
        user_id,
        str(_l("Retur disetujui: %(amount)s dikembalikan", amount=orders._rupiah(record.amount))),
    )
    orders._notify_buyer(
        order,
        _l("Retur pesanan %(number)s disetujui", number=order.number),
        _l(
            "Koperasi menyetujui retur. Dana %(amount)s dikembalikan ke Anda.",
            amount=orders._rupiah(record.amount),
        ),
    )
    audit.record(
        "kophub.return_accepted",
        "marketplace_return",
        record.id,
        after={
            "amount": record.amount,
            "fee_back": fee_back,
            "cost_back": record.cost_back,
            "disposition": disposition,
        },
        actor_id=user_id,
    )
    if by_card:
        _refund_by_card(order, payment, record)
    db.session.commit()
    return record


# --- the money goes back --------------------------------------------------------------------


def _refund_by_card(order: Order, payment: Payment, record: OrderReturn) -> None:
    """Ask Stripe for a partial refund of the order's payment (idempotent by the return's key);
    applied now when Stripe answers it succeeded, else when its webhook says so."""
    import stripe

    from marketplace.payments import stripe_adapter

    try:
        refund = stripe_adapter.partial_refund(
            payment,
            record.amount,
            metadata={
                "cooperative_id": str(order.tenant_id),
                "order_id": str(order.id),
                "return_id": str(record.id),
            },
            idempotency_key=f"kophub-return-{order.tenant_id}-{record.id}",
        )
    except stripe.StripeError as err:  # nothing is kept: the same key asks once when tried again
        raise ReturnRefused(
            _l("Stripe belum dapat dihubungi atau menolak pengembalian dana; coba lagi sebentar lagi.")
        ) from err
    record.refund_reference = refund.id
    if refund.status == "succeeded":
        apply_card_refund(
            order, payment, record, stripe_adapter.from_stripe_amount(int(refund.amount)), refund.id
        )


def apply_card_refund(
    order: Order, payment: Payment, record: OrderReturn, amount: int, refund_id: str
) -> str:
    """Stripe refunded a return (caller holds the order's lock): posted and recorded once."""
    from marketplace.payments import payouts

    if record.status == R.SELESAI:
        return f"return {record.id} already refunded"
    if record.status != R.DISETUJUI or amount != record.amount:
        return f"return {record.id}: refund of {amount} does not match; not applied"
    _refunded(order, payment, record, account=orders.PLATFORM_RECEIVABLE, reference=refund_id, user_id=None)
    payouts.refunded(order, amount)
    return f"return {record.id} refunded"


def record_refund(order_id: int, return_id: int, *, reference: str, user_id: int) -> OrderReturn:
    """The bendahara sent the money of an accepted return back (bank transfer, or cash for a cash on
    delivery order) and records the bank's reference or the receipt number."""
    try:
        reference = (reference or "").strip()
        if not reference or len(reference) > 80:
            raise ReturnRefused(
                _l("Isi nomor referensi transfer atau kuitansi pengembalian."),
                {"reference": [str(_l("Wajib diisi (maksimal 80 karakter)."))]},
            )
        order = orders._locked(order_id)
        record = _locked_return(order, return_id)
        if order.payment_method == PaymentMethod.STRIPE:
            raise orders.InvalidTransition(_l("Pengembalian dana kartu dilakukan lewat Stripe."))
        if record.status != R.DISETUJUI:
            raise orders.InvalidTransition(_l("Retur ini tidak menunggu pengembalian dana."))
        account = orders.CASH if order.payment_method == PaymentMethod.COD else orders.BANK
        _refunded(
            order, orders._payment(order), record, account=account, reference=reference, user_id=user_id
        )
        db.session.commit()
        return record
    except Exception:
        db.session.rollback()
        raise


def _refunded(
    order: Order, payment: Payment, record: OrderReturn, *, account: str, reference: str, user_id: int | None
) -> None:
    ledger.post(
        NewEntry(
            entry_date=date.today(),
            description=f"Pengembalian dana retur Kophub {order.number} #{record.id}",
            source_module=orders.SOURCE,
            source_id=order.id,
            idempotency_key=f"kophub:return-refund:{record.id}",
            lines=[debit(orders.ADVANCES, record.amount), credit(account, record.amount)],
        ),
        posted_by=user_id,
    )
    payment.refunded += record.amount
    if payment.refunded == payment.amount:
        payment.status = PaymentStatus.DIKEMBALIKAN.value
    record.status, record.refund_reference, record.refunded_at = R.SELESAI.value, reference, datetime.now(UTC)
    orders._event(
        order,
        OrderStatus(order.status),
        user_id,
        str(_l("Dana retur %(amount)s dikembalikan", amount=orders._rupiah(record.amount))),
    )
    orders._notify_buyer(
        order,
        _l("Dana retur pesanan %(number)s dikembalikan", number=order.number),
        _l(
            "Dana %(amount)s sudah dikembalikan (referensi %(ref)s).",
            amount=orders._rupiah(record.amount),
            ref=reference,
        ),
    )
    audit.record(
        "kophub.return_refunded",
        "marketplace_return",
        record.id,
        after={"amount": record.amount, "reference": reference},
        actor_id=user_id,
    )
