"""Lots (batches) with expiry for products that track them: received into a named lot, drawn
first-expiry-first-out, expired lots kept off the counter, and the expiring-soon list.

Invariants: the lots of a product at a location add up to its balance; a lot changes only under a
row lock taken after its balance's lock, in the transaction that writes the move; each move
touches one lot and names it, so a lot's quantity is the sum of its moves. Cost stays moving
average on the balance: a draw spread over lots splits its cost by quantity, the last part taking
the rest.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, or_, select
from sqlalchemy.dialects.postgresql import insert as pg_insert

from core import audit
from core.db import db
from core.errors import DomainError, ErrorCode, NotFound
from erp.inventory.models import Location, Lot, MoveKind, Product, StockBalance, StockMove
from tenants.context import require_tenant

LOT_CODE = re.compile(r"^[A-Z0-9][A-Z0-9./-]{0,39}$")
# moves that put goods in a buyer's hands or on the shelf: never from an expired lot
SELLING = frozenset({MoveKind.SALE, MoveKind.KOPHUB, MoveKind.TRANSFER})
MAX_DAYS = 366


class InvalidLot(DomainError):
    code = ErrorCode.INVALID_INPUT
    status = 422


class ExpiredStock(DomainError):
    """Only expired units are left: not an ordinary shortage, so callers that reword a shortage
    (the counter) let this message through."""

    code = ErrorCode.INSUFFICIENT_BALANCE
    status = 422


@dataclass(frozen=True)
class Part:
    """What one move took from or put into one lot."""

    lot: Lot
    quantity: int
    value: int


def normalise_lot(raw: Any) -> str:
    """A lot code as stored: letters, digits, dot, slash and dash, as printed on the pack."""
    code = raw.strip().upper() if isinstance(raw, str) else ""
    if not code:
        raise InvalidLot(
            _l("Nomor lot wajib diisi untuk barang yang dicatat per lot."),
            fields={"lot": [str(_l("Wajib diisi."))]},
        )
    if not LOT_CODE.match(code):
        raise InvalidLot(
            _l("Nomor lot hanya huruf, angka, titik, garis miring dan tanda hubung (paling banyak 40)."),
            fields={"lot": [str(_l("Nomor lot tidak sah."))]},
        )
    return code


def is_expired(lot: Lot, on: date) -> bool:
    """A lot may be sold up to and including its expiry date."""
    return lot.expires_on is not None and lot.expires_on < on


def tracks_lots(product_id: int) -> bool:
    """Whether a product keeps lots. Read from the session's identity map when the product is
    already loaded (a sale loads it first), so an untracked product costs no statement here."""
    product = db.session.get(Product, product_id)
    return bool(product is not None and product.tracks_lots)


def lot_for_receipt(
    product: Product, location_id: int, code: Any, expires_on: Any, on: date, *, receiving: bool = True
) -> Lot:
    """The lot that goods come into, created on first receipt and locked. A lot keeps the expiry
    it was first received with: a different one is refused. Goods already expired are not
    received; units found or given back (`receiving=False`) may be, and for a lot already known
    they may leave the expiry out."""
    lot_code = normalise_lot(code)
    if expires_on is not None and (not isinstance(expires_on, date) or isinstance(expires_on, datetime)):
        raise InvalidLot(
            _l("Tanggal kedaluwarsa tidak sah."), fields={"expires_on": [str(_l("Tanggal tidak sah."))]}
        )
    if receiving and expires_on is not None and expires_on < on:
        raise InvalidLot(
            _l(
                "Lot %(lot)s sudah kedaluwarsa (%(day)s); barang kedaluwarsa tidak diterima.",
                lot=lot_code,
                day=expires_on.isoformat(),
            ),
            fields={"expires_on": [str(_l("Sudah lewat."))]},
        )
    lot = _lock_lot(product.id, location_id, lot_code, expires_on)
    if lot.expires_on != expires_on and (receiving or expires_on is not None):
        raise InvalidLot(
            _l(
                "Lot %(lot)s sudah tercatat dengan tanggal kedaluwarsa %(day)s.",
                lot=lot_code,
                day=lot.expires_on.isoformat() if lot.expires_on else "–",
            ),
            fields={"expires_on": [str(_l("Berbeda dengan lot yang sudah ada."))]},
        )
    return lot


def _lock_lot(product_id: int, location_id: int, code: str, expires_on: date | None) -> Lot:
    tenant_id = require_tenant()
    db.session.execute(
        pg_insert(Lot)
        .values(
            tenant_id=tenant_id,
            product_id=product_id,
            location_id=location_id,
            code=code,
            expires_on=expires_on,
            quantity=0,
        )
        .on_conflict_do_nothing(index_elements=["tenant_id", "product_id", "location_id", "code"])
    )
    lot = db.session.scalar(
        select(Lot)
        .where(Lot.product_id == product_id, Lot.location_id == location_id, Lot.code == code)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if lot is None:
        raise NotFound(_l("Lot tidak ditemukan."))
    return lot


def locked_lots(product_id: int, location_id: int) -> list[Lot]:
    """The lots with stock of a product at a location, locked, first to expire first (lots
    without an expiry last, then oldest first)."""
    return list(
        db.session.scalars(
            select(Lot)
            .where(Lot.product_id == product_id, Lot.location_id == location_id, Lot.quantity > 0)
            .order_by(Lot.expires_on.asc().nulls_last(), Lot.id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
    )


def plan_draw(
    balance: StockBalance,
    product: Product,
    quantity: int,
    *,
    kind: MoveKind,
    on: date,
    lot_code: str | None = None,
) -> list[tuple[Lot, int]]:
    """Which locked lots `quantity` comes from: the named lot, or first-expiry-first-out. Selling
    skips expired lots and leaves the units Kophub orders hold; asking for more is refused."""
    from erp.inventory.service import OutOfStock

    lots = locked_lots(balance.product_id, balance.location_id)
    if lot_code is not None:
        code = normalise_lot(lot_code)
        lots = [lot for lot in lots if lot.code == code]
        if not lots:
            raise InvalidLot(
                _l(
                    "Lot %(lot)s tidak ada stoknya untuk %(name)s di lokasi ini.", lot=code, name=product.name
                ),
                fields={"lot": [str(_l("Lot tidak dikenal."))]},
            )
    selling = kind in SELLING
    usable = [lot for lot in lots if not (selling and is_expired(lot, on))]
    have = sum(lot.quantity for lot in usable) - (balance.reserved if selling else 0)
    if quantity > have:
        expired = sum(lot.quantity for lot in lots) - sum(lot.quantity for lot in usable)
        if expired:
            raise ExpiredStock(
                _l(
                    "Stok %(name)s yang belum kedaluwarsa hanya %(have)s %(unit)s; %(expired)s %(unit)s "
                    "sudah kedaluwarsa dan tidak boleh dijual.",
                    name=product.name,
                    have=max(have, 0),
                    expired=expired,
                    unit=product.unit,
                ),
                fields={"quantity": [str(_l("Lot kedaluwarsa."))]},
            )
        raise OutOfStock(
            _l(
                "Stok tidak cukup: tersedia %(available)s, diminta %(want)s.",
                available=max(have, 0),
                want=quantity,
            )
        )
    plan: list[tuple[Lot, int]] = []
    left = quantity
    for lot in usable:
        if left == 0:
            break
        part = min(lot.quantity, left)
        plan.append((lot, part))
        left -= part
    return plan


def split_value(total: int, quantities: list[int]) -> list[int]:
    """`total` shared by quantity, the last share taking what rounding leaves."""
    whole = sum(quantities)
    shares = [total * q // whole for q in quantities[:-1]] if whole else [0] * (len(quantities) - 1)
    return [*shares, total - sum(shares)]


def part_key(idempotency_key: str, index: int) -> str:
    """The key of the `index`-th move (from 0) of one business event spread over lots: the first
    keeps the event's key, so a caller that looks its move up by key finds it."""
    return idempotency_key if index == 0 else f"{idempotency_key}#{index + 1}"


def moves_of(idempotency_key: str) -> list[StockMove]:
    """Every move written under one event's key (one per lot it touched), in order."""
    return list(
        db.session.scalars(
            select(StockMove)
            .where(
                or_(
                    StockMove.idempotency_key == idempotency_key,
                    StockMove.idempotency_key.startswith(f"{idempotency_key}#", autoescape=True),
                )
            )
            .order_by(StockMove.id)
        )
    )


def write_moves(
    balance: StockBalance,
    parts: list[tuple[Lot, int]],
    value: int,
    *,
    sign: int,
    kind: MoveKind,
    on: date,
    description: str,
    idempotency_key: str,
    user_id: int | None,
    journal_entry_id: int | None,
) -> list[Part]:
    """Move `parts` out of (sign -1) or into (sign +1) their lots and the locked balance, one move
    per lot, `value` shared between them by quantity."""
    values = split_value(value, [q for _, q in parts])
    done = []
    for index, ((lot, quantity), part_value) in enumerate(zip(parts, values, strict=True)):
        lot.quantity += sign * quantity
        balance.quantity += sign * quantity
        balance.value += sign * part_value
        db.session.add(
            StockMove(
                product_id=balance.product_id,
                location_id=balance.location_id,
                kind=kind.value,
                quantity=sign * quantity,
                value=sign * part_value,
                quantity_after=balance.quantity,
                value_after=balance.value,
                occurred_on=on,
                description=description[:200],
                idempotency_key=part_key(idempotency_key, index),
                journal_entry_id=journal_entry_id,
                user_id=user_id,
                lot_id=lot.id,
            )
        )
        done.append(Part(lot, quantity, part_value))
    return done


def set_tracks_lots(product_id: int, tracks: bool, *, user_id: int | None = None) -> Product:
    """Switch lot keeping for a product. Only while none of it is on hand anywhere: stock already
    on the shelf has no lot to belong to, and lots left behind would no longer add up."""
    product = db.session.scalar(
        select(Product)
        .where(Product.id == product_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if product is None:
        raise NotFound(_l("Barang tidak ditemukan."))
    if product.tracks_lots == bool(tracks):
        return product
    held = db.session.scalar(
        select(func.coalesce(func.sum(StockBalance.quantity), 0)).where(StockBalance.product_id == product_id)
    )
    if held:
        raise InvalidLot(
            _l(
                "Pencatatan lot hanya dapat diubah saat stok %(name)s kosong di semua lokasi "
                "(sekarang %(n)s %(unit)s).",
                name=product.name,
                n=held,
                unit=product.unit,
            ),
            fields={"tracks_lots": [str(_l("Stok belum kosong."))]},
        )
    audit.record(
        "inventory.tracks_lots_set",
        "inventory_product",
        product.id,
        before={"tracks_lots": product.tracks_lots},
        after={"tracks_lots": bool(tracks)},
        actor_id=user_id,
    )
    product.tracks_lots = bool(tracks)
    db.session.commit()
    return product


@dataclass(frozen=True)
class LotRow:
    lot: Lot
    product: Product
    location: Location
    value: int
    days_left: int | None


def lots_of(product_id: int) -> list[tuple[Lot, Location]]:
    """A product's lots with stock, per location, first to expire first."""
    require_tenant()
    return [
        (lot, loc)
        for lot, loc in db.session.execute(
            select(Lot, Location)
            .join(Location, Location.id == Lot.location_id)
            .where(Lot.product_id == product_id, Lot.quantity > 0)
            .order_by(Lot.expires_on.asc().nulls_last(), Location.id, Lot.id)
            .limit(500)
        )
    ]


def codes_of(lot_ids: set[int]) -> dict[int, Lot]:
    """Lots by id, for printing moves."""
    require_tenant()
    if not lot_ids:
        return {}
    return {lot.id: lot for lot in db.session.scalars(select(Lot).where(Lot.id.in_(lot_ids)))}


def expiring(days: int, *, today: date | None = None) -> list[LotRow]:
    """Lots with stock that have expired or expire within `days` days, first to expire first,
    with their value at the balance's average cost."""
    require_tenant()
    if not isinstance(days, int) or isinstance(days, bool) or not 0 <= days <= MAX_DAYS:
        raise InvalidLot(_l("Jumlah hari harus 0 sampai 366."), fields={"days": [str(_l("Tidak sah."))]})
    day = today or date.today()
    rows = db.session.execute(
        select(Lot, Product, Location, StockBalance)
        .join(Product, Product.id == Lot.product_id)
        .join(Location, Location.id == Lot.location_id)
        .join(
            StockBalance,
            (StockBalance.product_id == Lot.product_id) & (StockBalance.location_id == Lot.location_id),
        )
        .where(Lot.quantity > 0, Lot.expires_on.is_not(None), Lot.expires_on <= day + timedelta(days=days))
        .order_by(Lot.expires_on, Product.name, Lot.id)
        .limit(1000)
    )
    result = []
    for lot, product, location, balance in rows:
        value = (balance.value * lot.quantity // balance.quantity) if balance.quantity else 0
        left = (lot.expires_on - day).days if lot.expires_on is not None else None
        result.append(LotRow(lot, product, location, value, left))
    return result


def lots_match_moves() -> bool:
    """Every lot equals the sum of its moves, and the lots of a lot-tracked product at a location
    add up to its balance; no move of an untracked product names a lot."""
    require_tenant()
    sums: dict[int, int] = {
        lot_id: int(q)
        for lot_id, q in db.session.execute(
            select(StockMove.lot_id, func.sum(StockMove.quantity))
            .where(StockMove.lot_id.is_not(None))
            .group_by(StockMove.lot_id)
        )
        if lot_id is not None
    }
    per_balance: dict[tuple[int, int], int] = {}
    for lot in db.session.scalars(select(Lot)):
        if sums.pop(lot.id, 0) != lot.quantity:
            return False
        key = (lot.product_id, lot.location_id)
        per_balance[key] = per_balance.get(key, 0) + lot.quantity
    if sums:
        return False
    rows = db.session.execute(
        select(StockBalance, Product.tracks_lots).join(Product, Product.id == StockBalance.product_id)
    )
    for balance, tracked in rows:
        lots_total = per_balance.pop((balance.product_id, balance.location_id), 0)
        if tracked and lots_total != balance.quantity:
            return False
        if not tracked and lots_total:
            return False
    return not any(per_balance.values())
