"""Stock opname: count a location against a snapshot of the books, report the variance, and have a
second person approve it, when the differences post as opname moves and one journal entry.

Invariants: the variance is `counted − expected` of the snapshot taken when the count started, so
sales and receipts made while people count are neither lost nor counted twice; nobody who entered
a count or submitted it approves it; approval posts once (the count row is locked, and the entry
carries the count's key), losses at moving-average cost to HPP Sembako and gains to Pendapatan
Lain-lain against Persediaan; a cancelled or approved count changes no more.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, literal, or_, select
from sqlalchemy.dialects.postgresql import insert as pg_insert

from core import audit
from core.db import db
from core.errors import DomainError, ErrorCode, NotFound
from erp.inventory import lots
from erp.inventory import service as inventory
from erp.inventory.models import (
    Location,
    Lot,
    MoveKind,
    Opname,
    OpnameLine,
    OpnameStatus,
    Product,
    StockBalance,
    StockMove,
)
from erp.ledger import service as ledger
from erp.ledger.service import NewEntry, credit, debit
from tenants.context import require_tenant

LOSS = inventory.COST_OF_SALES  # 5-1100 Harga Pokok Penjualan Sembako
GAIN = "4-9000"  # Pendapatan Lain-lain
PAGE_SIZE = 50
MAX_LINES = 20_000
OPEN = (OpnameStatus.COUNTING.value, OpnameStatus.SUBMITTED.value)
STATUS_LABELS: dict[str, Any] = {
    OpnameStatus.COUNTING: _l("Sedang dihitung"),
    OpnameStatus.SUBMITTED: _l("Menunggu persetujuan"),
    OpnameStatus.APPROVED: _l("Disetujui"),
    OpnameStatus.CANCELLED: _l("Dibatalkan"),
}


class InvalidOpname(DomainError):
    code = ErrorCode.INVALID_INPUT
    status = 422


class OpnameTransition(DomainError):
    code = ErrorCode.INVALID_TRANSITION
    status = 422


class OwnCount(DomainError):
    code = ErrorCode.FORBIDDEN
    status = 403


def start_count(location_id: Any, *, user_id: int | None, note: str | None = None) -> Opname:
    """Open a count of a location with the snapshot of what the books hold there now: one line per
    active product that does not keep lots (on hand or not, so goods found can be counted) and one
    per lot with stock of those that do. One open count per location."""
    require_tenant()
    if not isinstance(location_id, int) or isinstance(location_id, bool):
        raise NotFound(_l("Lokasi tidak ditemukan."))
    # the location's row lock makes two counts started at once take turns: the second sees the first
    location = db.session.scalar(select(Location).where(Location.id == location_id).with_for_update())
    if location is None:
        raise NotFound(_l("Lokasi tidak ditemukan."))
    text_note = note.strip()[:200] if isinstance(note, str) and note.strip() else None
    if db.session.scalar(select(Opname.id).where(Opname.location_id == location_id, Opname.status.in_(OPEN))):
        raise OpnameTransition(
            _l("Stok opname %(name)s masih berjalan; selesaikan atau batalkan dulu.", name=location.name)
        )
    count = Opname(
        location_id=location_id, status=OpnameStatus.COUNTING.value, note=text_note, started_by=user_id
    )
    db.session.add(count)
    db.session.flush()
    tenant_id = count.tenant_id
    unit_cost = func.coalesce(StockBalance.value / func.nullif(StockBalance.quantity, 0), 0)
    plain = (
        select(
            literal(tenant_id),
            literal(count.id),
            Product.id,
            func.coalesce(StockBalance.quantity, 0),
            unit_cost,
        )
        .outerjoin(
            StockBalance,
            (StockBalance.product_id == Product.id) & (StockBalance.location_id == location_id),
        )
        .where(Product.tracks_lots.is_(False))
        .where(or_(Product.active.is_(True), StockBalance.quantity > 0))
        .order_by(Product.name, Product.id)
        .limit(MAX_LINES)
    )
    cols = ["tenant_id", "opname_id", "product_id", "expected", "unit_cost"]
    db.session.execute(pg_insert(OpnameLine).from_select(cols, plain))
    by_lot = (
        select(literal(tenant_id), literal(count.id), Lot.product_id, Lot.id, Lot.quantity, unit_cost)
        .join(
            StockBalance,
            (StockBalance.product_id == Lot.product_id) & (StockBalance.location_id == Lot.location_id),
        )
        .join(Product, Product.id == Lot.product_id)
        .where(Lot.location_id == location_id, Lot.quantity > 0, Product.tracks_lots.is_(True))
        .order_by(Lot.product_id, Lot.expires_on.asc().nulls_last(), Lot.id)
        .limit(MAX_LINES)
    )
    db.session.execute(
        pg_insert(OpnameLine).from_select(
            ["tenant_id", "opname_id", "product_id", "lot_id", "expected", "unit_cost"], by_lot
        )
    )
    audit.record(
        "inventory.opname_started",
        "inventory_opname",
        count.id,
        after={"location_id": location_id},
        actor_id=user_id,
    )
    db.session.commit()
    return count


def get_count(opname_id: int) -> Opname:
    require_tenant()
    count = db.session.scalar(select(Opname).where(Opname.id == opname_id))
    if count is None:
        raise NotFound(_l("Stok opname tidak ditemukan."))
    return count


def _locked(opname_id: int) -> Opname:
    require_tenant()
    count = db.session.scalar(
        select(Opname)
        .where(Opname.id == opname_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if count is None:
        raise NotFound(_l("Stok opname tidak ditemukan."))
    return count


def counts(limit: int = 100) -> list[tuple[Opname, Location]]:
    """The latest counts, newest first, with their location."""
    require_tenant()
    rows = db.session.execute(
        select(Opname, Location)
        .join(Location, Location.id == Opname.location_id)
        .order_by(Opname.id.desc())
        .limit(limit)
    )
    return [(o, loc) for o, loc in rows]


@dataclass(frozen=True)
class CountLine:
    line: OpnameLine
    product: Product
    lot: Lot | None

    @property
    def difference(self) -> int | None:
        return None if self.line.counted is None else self.line.counted - self.line.expected

    @property
    def value(self) -> int:
        """The difference's value: as posted once approved, else at the snapshot's average cost."""
        if self.line.posted_value is not None:
            return self.line.posted_value
        return (self.difference or 0) * self.line.unit_cost


def lines(opname_id: int, *, query: str | None = None, page: int = 1) -> tuple[list[CountLine], int]:
    """A page of a count's lines in product order, those whose code, name or lot contains `query`,
    and how many match."""
    get_count(opname_id)
    stmt = (
        select(OpnameLine, Product, Lot)
        .join(Product, Product.id == OpnameLine.product_id)
        .outerjoin(Lot, Lot.id == OpnameLine.lot_id)
        .where(OpnameLine.opname_id == opname_id)
    )
    if query:
        pattern = f"%{query.strip()[:60]}%"
        stmt = stmt.where(
            or_(
                Product.name.ilike(pattern, escape="\\"),
                Product.code.ilike(pattern, escape="\\"),
                Lot.code.ilike(pattern, escape="\\"),
            )
        )
    total = int(db.session.scalar(select(func.count()).select_from(stmt.subquery())) or 0)
    page = max(1, page)
    rows = db.session.execute(
        stmt.order_by(Product.name, Product.id, Lot.expires_on.asc().nulls_last(), OpnameLine.id)
        .offset((page - 1) * PAGE_SIZE)
        .limit(PAGE_SIZE)
    )
    return [CountLine(line, product, lot) for line, product, lot in rows], total


@dataclass(frozen=True)
class Variance:
    lines: list[CountLine]
    counted: int
    uncounted: int
    loss: int
    gain: int

    @property
    def net(self) -> int:
        return self.gain - self.loss


def variance(opname_id: int) -> Variance:
    """The lines counted differently from the snapshot, with quantity and value, and the totals."""
    get_count(opname_id)
    rows = db.session.execute(
        select(OpnameLine, Product, Lot)
        .join(Product, Product.id == OpnameLine.product_id)
        .outerjoin(Lot, Lot.id == OpnameLine.lot_id)
        .where(OpnameLine.opname_id == opname_id)
        .order_by(Product.name, Product.id, OpnameLine.id)
    )
    all_lines = [CountLine(line, product, lot) for line, product, lot in rows]
    differing = [c for c in all_lines if c.difference]
    counted = sum(1 for c in all_lines if c.line.counted is not None)
    loss = -sum(c.value for c in differing if c.value < 0)
    gain = sum(c.value for c in differing if c.value > 0)
    return Variance(differing, counted, len(all_lines) - counted, loss, gain)


def record_counts(opname_id: int, entered: dict[int, int | None], *, user_id: int | None) -> int:
    """Enter counted quantities (line id → whole units; None clears a count). All or nothing: one
    bad figure refuses them all. Returns how many lines changed."""
    count = _locked(opname_id)
    if count.status != OpnameStatus.COUNTING.value:
        raise OpnameTransition(_l("Stok opname ini sudah diajukan; hitungan tidak dapat diubah lagi."))
    if not isinstance(entered, dict) or len(entered) > PAGE_SIZE * 4:
        raise InvalidOpname(_l("Isian hitungan tidak sah."))
    for value in entered.values():
        if value is not None and (
            not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= inventory.MAX_QUANTITY
        ):
            raise InvalidOpname(
                _l("Jumlah hitungan harus bilangan bulat 0 sampai 1.000.000."),
                fields={"counted": [str(_l("Tidak sah."))]},
            )
    if not entered:
        return 0
    found = {
        line.id: line
        for line in db.session.scalars(
            select(OpnameLine).where(OpnameLine.opname_id == opname_id, OpnameLine.id.in_(list(entered)))
        )
    }
    if set(found) != set(entered):
        raise InvalidOpname(_l("Baris hitungan tidak dikenal; muat ulang halaman."))
    changed = 0
    for line_id, value in entered.items():
        line = found[line_id]
        if line.counted != value:
            line.counted = value
            line.counted_by = user_id if value is not None else None
            changed += 1
    db.session.commit()
    return changed


def submit(opname_id: int, *, user_id: int | None) -> Opname:
    """Hand the count over for approval. Lines nobody counted are left as the books have them."""
    count = _locked(opname_id)
    if count.status != OpnameStatus.COUNTING.value:
        raise OpnameTransition(_l("Stok opname ini tidak sedang dihitung."))
    if not db.session.scalar(
        select(func.count()).where(OpnameLine.opname_id == opname_id, OpnameLine.counted.is_not(None))
    ):
        raise InvalidOpname(_l("Belum ada barang yang dihitung."))
    count.status = OpnameStatus.SUBMITTED.value
    count.submitted_by = user_id
    count.submitted_at = func.now()
    audit.record("inventory.opname_submitted", "inventory_opname", count.id, actor_id=user_id)
    db.session.commit()
    return count


def reopen(opname_id: int, *, user_id: int | None) -> Opname:
    """Send a submitted count back for counting again (before approval)."""
    count = _locked(opname_id)
    if count.status != OpnameStatus.SUBMITTED.value:
        raise OpnameTransition(_l("Hanya stok opname yang sudah diajukan yang dapat dihitung ulang."))
    count.status = OpnameStatus.COUNTING.value
    count.submitted_by = None
    count.submitted_at = None
    audit.record("inventory.opname_reopened", "inventory_opname", count.id, actor_id=user_id)
    db.session.commit()
    return count


def cancel(opname_id: int, *, user_id: int | None) -> Opname:
    """Drop a count that is not approved; nothing was posted, nothing is."""
    count = _locked(opname_id)
    if count.status == OpnameStatus.CANCELLED.value:
        return count
    if count.status == OpnameStatus.APPROVED.value:
        raise OpnameTransition(_l("Stok opname ini sudah disetujui dan dibukukan; tidak dapat dibatalkan."))
    count.status = OpnameStatus.CANCELLED.value
    count.decided_by = user_id
    count.decided_at = func.now()
    audit.record("inventory.opname_cancelled", "inventory_opname", count.id, actor_id=user_id)
    db.session.commit()
    return count


def approve(opname_id: int, *, user_id: int, on: date | None = None) -> Opname:
    """Approve a submitted count: each difference from the snapshot becomes an opname move (losses
    out of stock at moving-average cost, from the lot counted and then first-expiry-first-out;
    gains in at the average cost, into the lot counted), and the values post as one entry.
    Approving again returns the count as approved; the counter or submitter may not approve."""
    count = _locked(opname_id)
    if count.status == OpnameStatus.APPROVED.value:
        return count
    if count.status != OpnameStatus.SUBMITTED.value:
        raise OpnameTransition(_l("Hanya stok opname yang sudah diajukan yang dapat disetujui."))
    counters = set(
        db.session.scalars(
            select(OpnameLine.counted_by).where(
                OpnameLine.opname_id == opname_id, OpnameLine.counted_by.is_not(None)
            )
        )
    )
    if user_id in counters or user_id == count.submitted_by:
        raise OwnCount(_l("Yang menghitung atau mengajukan stok opname tidak boleh menyetujuinya sendiri."))
    day = on or date.today()
    rows = db.session.execute(
        select(OpnameLine, Lot)
        .outerjoin(Lot, Lot.id == OpnameLine.lot_id)
        .where(
            OpnameLine.opname_id == opname_id,
            OpnameLine.counted.is_not(None),
            OpnameLine.counted != OpnameLine.expected,
        )
        .order_by(OpnameLine.product_id, OpnameLine.id)
    ).all()
    loss = gain = 0
    for line, lot in rows:
        value = _post_line(count, line, lot, day, user_id)
        line.posted_quantity = line.counted - line.expected  # type: ignore[operator]
        line.posted_value = value
        loss += -value if value < 0 else 0
        gain += value if value > 0 else 0
    entry_lines = []
    if loss:
        entry_lines += [debit(LOSS, loss), credit(inventory.INVENTORY, loss)]
    if gain:
        entry_lines += [debit(inventory.INVENTORY, gain), credit(GAIN, gain)]
    if entry_lines:
        ledger.ensure_accounts(LOSS, GAIN, inventory.INVENTORY)
        entry = ledger.post(
            NewEntry(
                entry_date=day,
                description=f"Selisih stok opname #{count.id}",
                source_module=inventory.SOURCE,
                source_id=count.id,
                idempotency_key=f"inventory:opname:{count.id}",
                lines=entry_lines,
            ),
            posted_by=user_id,
        )
        count.journal_entry_id = entry.id
    count.status = OpnameStatus.APPROVED.value
    count.decided_by = user_id
    count.decided_at = func.now()
    audit.record(
        "inventory.opname_approved",
        "inventory_opname",
        count.id,
        after={"loss": loss, "gain": gain, "lines": len(rows)},
        actor_id=user_id,
    )
    db.session.commit()
    return count


def _post_line(count: Opname, line: OpnameLine, lot: Lot | None, day: date, user_id: int) -> int:
    """Write the moves of one line's difference and return their signed value."""
    product = inventory.get_product(line.product_id)
    difference = (line.counted or 0) - line.expected
    balance = inventory._balance_for_update(line.product_id, count.location_id)
    key = f"opname:{count.id}:{line.id}"
    description = str(_l("Stok opname #%(id)s", id=count.id))
    if difference > 0:
        unit_cost = balance.value // balance.quantity if balance.quantity else line.unit_cost
        value = unit_cost * difference
        if lot is None and product.tracks_lots:
            raise InvalidOpname(
                _l("Barang %(name)s dicatat per lot; lot tidak diketahui.", name=product.name)
            )
        if lot is not None:
            into = lots.lot_for_receipt(
                product, count.location_id, lot.code, lot.expires_on, day, receiving=False
            )
            lots.write_moves(
                balance,
                [(into, difference)],
                value,
                sign=1,
                kind=MoveKind.OPNAME,
                on=day,
                description=description,
                idempotency_key=key,
                user_id=user_id,
                journal_entry_id=None,
            )
        else:
            balance.quantity += difference
            balance.value += value
            db.session.add(
                StockMove(
                    product_id=product.id,
                    location_id=count.location_id,
                    kind=MoveKind.OPNAME.value,
                    quantity=difference,
                    value=value,
                    quantity_after=balance.quantity,
                    value_after=balance.value,
                    occurred_on=day,
                    description=description,
                    idempotency_key=key,
                    user_id=user_id,
                )
            )
        return value
    missing = -difference
    if missing > balance.available:
        raise InvalidOpname(
            _l(
                "Stok %(name)s sekarang %(have)s %(unit)s (tersedia %(available)s), kurang dari selisih "
                "opname %(missing)s; periksa penjualan sejak hitungan dimulai lalu hitung ulang.",
                name=product.name,
                have=balance.quantity,
                available=balance.available,
                unit=product.unit,
                missing=missing,
            )
        )
    cost = 0
    if lot is not None:
        from_lot = min(missing, _lot_quantity(lot.id))
        if from_lot:
            cost += _take(balance, from_lot, day, description, key, user_id, lot.code)
        if missing - from_lot:
            cost += _take(balance, missing - from_lot, day, description, f"{key}:sisa", user_id, None)
    else:
        cost = _take(balance, missing, day, description, key, user_id, None)
    return -cost


def _lot_quantity(lot_id: int) -> int:
    return int(
        db.session.scalar(
            select(Lot.quantity)
            .where(Lot.id == lot_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
        or 0
    )


def _take(
    balance: StockBalance, quantity: int, day: date, description: str, key: str, user_id: int, lot: str | None
) -> int:
    return inventory.take(
        balance,
        quantity,
        kind=MoveKind.OPNAME,
        on=day,
        description=description,
        idempotency_key=key,
        user_id=user_id,
        lot=lot,
    ).cost
