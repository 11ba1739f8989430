"""Payouts: money Kophub received for a cooperative (card payments, Piutang Kophub 1-1140 in the
cooperative's books) is sent to the cooperative's bank account by the platform.

Invariants:
- Each order paid through the platform has one settlement row, changed in the same transaction as
  every posting to Piutang Kophub for that order (payment +, fee −, fee given back +, refund −), so
  for each cooperative: Piutang Kophub = Σ(received − fee − refunded) − Σ transferred payouts.
- A payout takes, for each order it names, exactly what was still unallocated (`allocated` grows by
  it under the row's lock), so no rupiah is paid out twice and none is forgotten. An order's money
  becomes payable once the order is selesai and the holding period has passed; a refund after the
  order was paid out leaves a negative amount that the next payout nets, whatever its age.
- Marking a payout transferred needs the bank's reference and posts Dr Bank / Cr Piutang Kophub in
  the cooperative's books once (idempotency key `kophub:payout:<id>`); cancelling a payout not yet
  transferred gives its orders' amounts back.
- Platform pages read settlements and payouts across cooperatives (this module is that named
  path); a cooperative reads only rows of its own id.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import ColumnElement, case, func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert

from core import audit
from core.db import db
from core.errors import DomainError, ErrorCode, NotFound
from core.models import Notification
from core.money import InvariantViolation
from erp.ledger import service as ledger
from erp.ledger.service import NewEntry, credit, debit
from marketplace.orders.models import Order
from marketplace.payments.models import Payout, PayoutLine, PayoutStatus, Settlement
from tenants.context import require_tenant, tenant
from tenants.models import Cooperative

MAX_LINES = 5_000  # orders in one payout; the rest wait for the next
PAGE = 200

_NETTED_MORE = (
    "Pengembalian dana %(name)s lebih besar dari yang dapat dicairkan; menunggu penjualan berikutnya."
)
_TRANSFERRED = "Kophub mentransfer %(amount)s ke rekening %(bank)s %(account)s, referensi %(ref)s."

PAYOUT_LABELS = {
    PayoutStatus.DIBUAT: _l("Dibuat, belum ditransfer"),
    PayoutStatus.DITRANSFER: _l("Ditransfer"),
    PayoutStatus.DIBATALKAN: _l("Dibatalkan"),
}


class PayoutRefused(DomainError):
    code = ErrorCode.INVALID_INPUT
    status = 422


class PayoutConflict(DomainError):
    code = ErrorCode.INVALID_TRANSITION
    status = 409


# --- recording what Kophub holds (called by orders and payments, under the order's tenant) -----


def received(order: Order, amount: int) -> None:
    """Kophub received `amount` for the order (a card payment): its settlement row starts here."""
    stmt = pg_insert(Settlement).values(
        cooperative_id=order.tenant_id,
        order_id=order.id,
        order_number=order.number,
        received=amount,
        fee=0,
        refunded=0,
        allocated=0,
    )
    db.session.execute(
        stmt.on_conflict_do_update(
            index_elements=["cooperative_id", "order_id"],
            set_={"received": Settlement.received + stmt.excluded.received},
        )
    )


def _change(order: Order, **deltas: int) -> None:
    """Add to the row of an order Kophub received money for (a missing row is a broken invariant:
    a fee or a refund out of money Kophub never held)."""
    changed = db.session.execute(
        update(Settlement)
        .where(Settlement.cooperative_id == order.tenant_id, Settlement.order_id == order.id)
        .values({getattr(Settlement, k): getattr(Settlement, k) + v for k, v in deltas.items()})
    )
    if changed.rowcount != 1:  # type: ignore[attr-defined]
        raise InvariantViolation(f"order {order.id}: Kophub holds no money for it")


def fee_taken(order: Order, amount: int) -> None:
    """The marketplace fee Kophub keeps out of what it holds (negative: fee given back)."""
    _change(order, fee=amount)


def refunded(order: Order, amount: int) -> None:
    """Kophub gave `amount` of what it held back to the buyer."""
    _change(order, refunded=amount)


def completed(order: Order) -> None:
    """The order is selesai: its money starts its holding period (only orders Kophub holds money for)."""
    db.session.execute(
        update(Settlement)
        .where(Settlement.cooperative_id == order.tenant_id, Settlement.order_id == order.id)
        .values(completed_at=order.closed_at)
    )


# --- what is owed ---------------------------------------------------------------------------

_OPEN = Settlement.received - Settlement.fee - Settlement.refunded - Settlement.allocated


def hold_days() -> int:
    from marketplace.orders import service as orders

    return int(orders.settings().payout_hold_days)


def _payable(cutoff: datetime) -> ColumnElement[bool]:
    """Rows a payout may take now: completed before the cutoff, or owing back (refund after payout)."""
    return (_OPEN != 0) & ((Settlement.completed_at <= cutoff) | (_OPEN < 0))


@dataclass(frozen=True)
class Owed:
    cooperative_id: int
    name: str
    payable: int  # may be paid out now
    held: int  # not yet: order open, or completed within the holding period
    pending: int  # in payouts made but not yet transferred
    bank_name: str | None = None
    bank_account: str | None = None
    bank_account_name: str | None = None

    @property
    def still_owed(self) -> int:
        """Everything Kophub still owes the cooperative (= its Piutang Kophub balance)."""
        return self.payable + self.held + self.pending


def _cutoff(now: datetime | None) -> datetime:
    return (now or datetime.now(UTC)) - timedelta(days=hold_days())


def _sums(cutoff: datetime) -> tuple[ColumnElement[int], ColumnElement[int]]:
    payable = func.coalesce(func.sum(case((_payable(cutoff), _OPEN), else_=0)), 0)
    held = func.coalesce(func.sum(case((_payable(cutoff), 0), else_=_OPEN)), 0)
    return payable, held


def _pending_by_cooperative(ids: list[int]) -> dict[int, int]:
    rows = db.session.execute(
        select(Payout.cooperative_id, func.sum(Payout.amount))
        .where(Payout.status == PayoutStatus.DIBUAT, Payout.cooperative_id.in_(ids))
        .group_by(Payout.cooperative_id)
    )
    return {int(c): int(s) for c, s in rows}


def owed_by_cooperative(now: datetime | None = None, limit: int = PAGE) -> list[Owed]:
    """The platform's list: cooperatives Kophub owes money to, most payable first (cross-tenant by
    design, read from the platform's settlement rows; no cooperative's books are read)."""
    payable, held = _sums(_cutoff(now))
    rows = db.session.execute(
        select(Settlement.cooperative_id, payable.label("payable"), held.label("held"))
        .where(_OPEN != 0)
        .group_by(Settlement.cooperative_id)
        .order_by(payable.desc(), Settlement.cooperative_id)
        .limit(min(limit, 1000))
    ).all()
    pending = _pending_by_cooperative([int(r.cooperative_id) for r in rows])
    extra = [c for c in pending if c not in {int(r.cooperative_id) for r in rows}]
    names = _names([int(r.cooperative_id) for r in rows] + extra)
    result = [
        Owed(
            int(r.cooperative_id),
            names.get(int(r.cooperative_id), "?"),
            int(r.payable),
            int(r.held),
            pending.get(int(r.cooperative_id), 0),
        )
        for r in rows
    ]
    result += [Owed(c, names.get(c, "?"), 0, 0, pending[c]) for c in extra]
    return result


def _names(ids: list[int]) -> dict[int, str]:
    if not ids:
        return {}
    return {
        int(i): n
        for i, n in db.session.execute(
            select(Cooperative.id, Cooperative.name).where(Cooperative.id.in_(ids))
        )
    }


def owed_to(cooperative_id: int, now: datetime | None = None) -> Owed:
    """What Kophub owes one cooperative: payable now, held, and in payouts not yet transferred."""
    payable, held = _sums(_cutoff(now))
    row = db.session.execute(select(payable, held).where(Settlement.cooperative_id == cooperative_id)).one()
    pending = _pending_by_cooperative([cooperative_id]).get(cooperative_id, 0)
    coop = db.session.get(Cooperative, cooperative_id)
    if coop is None:
        raise NotFound(_l("Koperasi tidak ditemukan."))
    bank = _bank_of(cooperative_id)
    return Owed(
        cooperative_id,
        coop.name,
        int(row[0]),
        int(row[1]),
        pending,
        *(bank or (None, None, None)),
    )


def _bank_of(cooperative_id: int) -> tuple[str, str, str] | None:
    from tenants.service import legal_data

    with tenant(cooperative_id):
        legal = legal_data()
        bank = (
            (legal.bank_name, legal.bank_account, legal.bank_account_name)
            if legal is not None and legal.bank_name and legal.bank_account and legal.bank_account_name
            else None
        )
    return bank


@dataclass(frozen=True)
class OpenOrder:
    order_id: int
    order_number: str
    amount: int  # still to pay out (negative: to take back)
    completed_at: datetime | None
    payable: bool


def open_orders(cooperative_id: int, now: datetime | None = None, limit: int = PAGE) -> list[OpenOrder]:
    """The orders whose money is not paid out yet, oldest first."""
    cutoff = _cutoff(now)
    rows = db.session.execute(
        select(Settlement.order_id, Settlement.order_number, _OPEN, Settlement.completed_at, _payable(cutoff))
        .where(Settlement.cooperative_id == cooperative_id, _OPEN != 0)
        .order_by(Settlement.id)
        .limit(min(limit, 1000))
    ).all()
    return [OpenOrder(int(r[0]), r[1], int(r[2]), r[3], bool(r[4])) for r in rows]


def my_open_orders(now: datetime | None = None) -> list[OpenOrder]:
    return open_orders(require_tenant(), now)


def my_owed(now: datetime | None = None) -> Owed:
    return owed_to(require_tenant(), now)


def payouts(cooperative_id: int | None = None, status: str | None = None, limit: int = PAGE) -> list[Payout]:
    stmt = select(Payout).order_by(Payout.id.desc()).limit(min(limit, 1000))
    if cooperative_id is not None:
        stmt = stmt.where(Payout.cooperative_id == cooperative_id)
    if status:
        stmt = stmt.where(Payout.status == status)
    return list(db.session.scalars(stmt))


def my_payouts() -> list[Payout]:
    """The current cooperative's payouts (only its own id is read)."""
    return payouts(require_tenant())


def payout(payout_id: int, cooperative_id: int | None = None) -> tuple[Payout, list[PayoutLine]]:
    found = db.session.get(Payout, payout_id)
    if found is None or (cooperative_id is not None and found.cooperative_id != cooperative_id):
        raise NotFound(_l("Pencairan tidak ditemukan."))
    lines = list(
        db.session.scalars(
            select(PayoutLine).where(PayoutLine.payout_id == found.id).order_by(PayoutLine.order_id)
        )
    )
    return found, lines


def my_payout(payout_id: int) -> tuple[Payout, list[PayoutLine]]:
    return payout(payout_id, require_tenant())


# --- making and transferring payouts (platform admin) ---------------------------------------


def create_payout(cooperative_id: int, *, user_id: int, now: datetime | None = None) -> Payout:
    """Make a payout of everything payable to the cooperative now (net of fees and of refunds after
    earlier payouts) to its bank account on record. Refused, writing nothing, when nothing is
    payable or the cooperative has no bank account."""
    try:
        return _create_payout(cooperative_id, user_id=user_id, now=now)
    except Exception:
        db.session.rollback()
        raise


def _create_payout(cooperative_id: int, *, user_id: int, now: datetime | None) -> Payout:
    coop = db.session.get(Cooperative, cooperative_id)
    if coop is None:
        raise NotFound(_l("Koperasi tidak ditemukan."))
    bank = _bank_of(cooperative_id)
    if bank is None:
        raise PayoutRefused(
            _l(
                "%(name)s belum mencatat rekening bank di data legal; pencairan belum dapat dibuat.",
                name=coop.name,
            )
        )
    rows = list(
        db.session.scalars(
            select(Settlement)
            .where(Settlement.cooperative_id == cooperative_id, _payable(_cutoff(now)))
            .order_by(Settlement.id)
            .limit(MAX_LINES)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
    )
    amounts = [(row, row.received - row.fee - row.refunded - row.allocated) for row in rows]
    total = sum(a for _, a in amounts)
    if total <= 0:
        raise PayoutRefused(
            _l("Belum ada dana yang dapat dicairkan untuk %(name)s.", name=coop.name)
            if total == 0
            else _l(_NETTED_MORE, name=coop.name)
        )
    made = Payout(
        cooperative_id=cooperative_id,
        amount=total,
        status=PayoutStatus.DIBUAT.value,
        bank_name=bank[0],
        bank_account=bank[1],
        bank_account_name=bank[2],
        created_by=user_id,
    )
    db.session.add(made)
    db.session.flush()
    for row, amount in amounts:
        row.allocated += amount
        db.session.add(
            PayoutLine(
                payout_id=made.id,
                order_id=row.order_id,
                cooperative_id=cooperative_id,
                order_number=row.order_number,
                amount=amount,
            )
        )
    audit.record(
        "kophub.payout_created",
        "marketplace_payout",
        made.id,
        after={"amount": total, "orders": len(amounts), "bank_account": bank[1]},
        actor_id=user_id,
        cooperative_id=cooperative_id,
    )
    db.session.commit()
    return made


def _locked_payout(payout_id: int) -> Payout:
    found = db.session.scalar(
        select(Payout)
        .where(Payout.id == payout_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if found is None:
        raise NotFound(_l("Pencairan tidak ditemukan."))
    return found


def mark_transferred(payout_id: int, *, bank_reference: str, transfer_date: date, user_id: int) -> Payout:
    """The platform sent the payout: the bank's reference is recorded and the cooperative's books
    get Dr Bank / Cr Piutang Kophub, once. Marking it again with the same reference is harmless."""
    try:
        return _mark_transferred(
            payout_id, bank_reference=bank_reference, transfer_date=transfer_date, user_id=user_id
        )
    except Exception:
        db.session.rollback()
        raise


def _mark_transferred(payout_id: int, *, bank_reference: str, transfer_date: date, user_id: int) -> Payout:
    from marketplace.orders import service as orders

    reference = (bank_reference or "").strip()
    if not reference or len(reference) > 60:
        raise PayoutRefused(
            _l("Isi nomor referensi transfer dari bank."),
            {"bank_reference": [str(_l("Wajib diisi (maksimal 60 karakter)."))]},
        )
    today = datetime.now(UTC).date()
    if (
        not isinstance(transfer_date, date)
        or transfer_date > today + timedelta(days=1)
        or transfer_date < today - timedelta(days=60)
    ):
        raise PayoutRefused(
            _l("Tanggal transfer tidak masuk akal."),
            {"transfer_date": [str(_l("Isi tanggal transfer 60 hari terakhir."))]},
        )
    found = _locked_payout(payout_id)
    if found.status == PayoutStatus.DITRANSFER and found.bank_reference == reference:
        return found
    if found.status != PayoutStatus.DIBUAT:
        raise PayoutConflict(_l("Pencairan ini tidak menunggu transfer."))
    found.status = PayoutStatus.DITRANSFER.value
    found.bank_reference, found.transfer_date = reference, transfer_date
    found.transferred_by, found.transferred_at = user_id, datetime.now(UTC)
    with tenant(found.cooperative_id):
        ledger.ensure_accounts(orders.PLATFORM_RECEIVABLE)
        ledger.post(
            NewEntry(
                entry_date=transfer_date,
                description=f"Pencairan dana Kophub #{found.id} ref {reference}"[:200],
                source_module=orders.SOURCE,
                source_id=found.id,
                idempotency_key=f"kophub:payout:{found.id}",
                lines=[debit(orders.BANK, found.amount), credit(orders.PLATFORM_RECEIVABLE, found.amount)],
            ),
            posted_by=user_id,
        )
        coop = db.session.get(Cooperative, found.cooperative_id)
        if coop is not None and (coop.email or coop.phone):
            channel, recipient = ("email", coop.email) if coop.email else ("whatsapp", coop.phone)
            db.session.add(
                Notification(
                    channel=channel,
                    recipient=recipient,
                    subject=str(_l("Dana Kophub dicairkan"))[:200],
                    body=str(
                        _l(
                            _TRANSFERRED,
                            amount=orders._rupiah(found.amount),
                            bank=found.bank_name,
                            account=found.bank_account,
                            ref=reference,
                        )
                    ),
                )
            )
        audit.record(
            "kophub.payout_transferred",
            "marketplace_payout",
            found.id,
            before={"status": PayoutStatus.DIBUAT.value},
            after={"status": found.status, "bank_reference": reference, "amount": found.amount},
            actor_id=user_id,
            cooperative_id=found.cooperative_id,
        )
        db.session.commit()
    return found


def cancel_payout(payout_id: int, *, reason: str, user_id: int) -> Payout:
    """Withdraw a payout not yet transferred (the transfer bounced, wrong account): its orders'
    amounts are owed again and go into the next payout."""
    try:
        reason = (reason or "").strip()
        if not reason or len(reason) > 200:
            raise PayoutRefused(_l("Tuliskan alasan pembatalan."), {"reason": [str(_l("Wajib diisi."))]})
        found = _locked_payout(payout_id)
        if found.status != PayoutStatus.DIBUAT:
            raise PayoutConflict(_l("Hanya pencairan yang belum ditransfer dapat dibatalkan."))
        lines = list(db.session.scalars(select(PayoutLine).where(PayoutLine.payout_id == found.id)))
        rows = {
            row.order_id: row
            for row in db.session.scalars(
                select(Settlement)
                .where(
                    Settlement.cooperative_id == found.cooperative_id,
                    Settlement.order_id.in_([line.order_id for line in lines]),
                )
                .order_by(Settlement.id)
                .with_for_update()
                .execution_options(populate_existing=True)
            )
        }
        for line in lines:
            rows[line.order_id].allocated -= line.amount
        found.status, found.cancel_reason = PayoutStatus.DIBATALKAN.value, reason
        audit.record(
            "kophub.payout_cancelled",
            "marketplace_payout",
            found.id,
            before={"status": PayoutStatus.DIBUAT.value},
            after={"status": found.status, "reason": reason},
            actor_id=user_id,
            cooperative_id=found.cooperative_id,
        )
        db.session.commit()
        return found
    except Exception:
        db.session.rollback()
        raise


def transferred_total(cooperative_id: int) -> int:
    return int(
        db.session.scalar(
            select(func.coalesce(func.sum(Payout.amount), 0)).where(
                Payout.cooperative_id == cooperative_id, Payout.status == PayoutStatus.DITRANSFER
            )
        )
        or 0
    )
