"""Customer returns into stock: goods sold come back on the shelf at the cost they left with, or
are written off as damaged (their cost stays in HPP, nothing comes back).

Invariants: the balance (and for a lot-tracked product, the lot) grows under its row lock, in the
caller's transaction, by one `return` move per lot; the value added is the value that left, so
Persediaan moves by exactly what the caller posts. Idempotent by key.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from core import audit
from core.db import db
from erp.inventory import lots
from erp.inventory import service as inventory
from erp.inventory.models import Lot, MoveKind, StockBalance, StockMove

# how far back the sale moves of a product are read to find the lots a return came from
MAX_HISTORY = 200


def return_goods(
    product_id: int,
    location_id: int,
    quantity: int,
    value: int,
    *,
    idempotency_key: str,
    description: str,
    user_id: int | None = None,
    journal_entry_id: int | None = None,
    on: date | None = None,
    damaged: bool = False,
    lot: str | None = None,
    expires_on: date | None = None,
    sold_key: str | None = None,
) -> StockMove | None:
    """Take back `quantity` units a customer returns, which left stock at `value` (their cost on
    the sale). In good order they are restocked at that value with a `return` move; `damaged`
    ones are written off: nothing comes back and the write-off is audited. For a lot-tracked
    product the units go back to the `lot` named, else to the lots the sale under `sold_key`
    drew, else to the lots this product was last sold from here, latest first. Joins the
    caller's transaction (no commit); the caller posts the money."""
    if (
        not isinstance(quantity, int)
        or isinstance(quantity, bool)
        or not 0 < quantity <= inventory.MAX_QUANTITY
    ):
        raise inventory.InvalidInventory(
            _l("Jumlah retur harus bilangan bulat positif."), fields={"quantity": [str(_l("Tidak sah."))]}
        )
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise inventory.InvalidInventory(
            _l("Nilai retur harus rupiah bulat, tidak negatif."), fields={"value": [str(_l("Tidak sah."))]}
        )
    inventory._require_key(idempotency_key)
    repeat = db.session.scalar(select(StockMove).where(StockMove.idempotency_key == idempotency_key))
    if repeat is not None:
        return repeat
    product = inventory.get_product(product_id)
    day = on or date.today()
    if damaged:
        audit.record(
            "inventory.return_written_off",
            "inventory_product",
            product.id,
            after={"location_id": location_id, "quantity": quantity, "value": value, "key": idempotency_key},
            actor_id=user_id,
        )
        return None
    if not product.tracks_lots and (lot is not None or expires_on is not None):
        raise lots.InvalidLot(
            _l("Barang ini tidak dicatat per lot; kosongkan nomor lot."),
            fields={"lot": [str(_l("Barang tanpa lot."))]},
        )
    balance = inventory.lock_balances([product_id], location_id).get(product_id)
    if balance is None:
        balance = inventory._balance_for_update(product_id, location_id)
    if product.tracks_lots:
        parts = _lots_back(product, balance, quantity, lot, expires_on, sold_key, day)
        lots.write_moves(
            balance,
            parts,
            value,
            sign=1,
            kind=MoveKind.RETURN,
            on=day,
            description=description,
            idempotency_key=idempotency_key,
            user_id=user_id,
            journal_entry_id=journal_entry_id,
        )
    else:
        balance.quantity += quantity
        balance.value += value
        db.session.add(
            StockMove(
                product_id=product_id,
                location_id=location_id,
                kind=MoveKind.RETURN.value,
                quantity=quantity,
                value=value,
                quantity_after=balance.quantity,
                value_after=balance.value,
                occurred_on=day,
                description=description[:200],
                idempotency_key=idempotency_key,
                journal_entry_id=journal_entry_id,
                user_id=user_id,
            )
        )
    db.session.flush()
    return db.session.scalar(select(StockMove).where(StockMove.idempotency_key == idempotency_key))


def _lots_back(
    product: Any,
    balance: StockBalance,
    quantity: int,
    lot: str | None,
    expires_on: date | None,
    sold_key: str | None,
    day: date,
) -> list[tuple[Lot, int]]:
    if lot is not None:
        return [
            (
                lots.lot_for_receipt(product, balance.location_id, lot, expires_on, day, receiving=False),
                quantity,
            )
        ]
    if sold_key is not None:
        sold = [
            m
            for m in lots.moves_of(sold_key)
            if m.lot_id is not None and m.quantity < 0 and m.location_id == balance.location_id
        ]
    else:
        sold = list(
            db.session.scalars(
                select(StockMove)
                .where(
                    StockMove.product_id == product.id,
                    StockMove.location_id == balance.location_id,
                    StockMove.kind.in_((MoveKind.SALE.value, MoveKind.KOPHUB.value)),
                    StockMove.lot_id.is_not(None),
                    StockMove.quantity < 0,
                )
                .order_by(StockMove.id.desc())
                .limit(MAX_HISTORY)
            )
        )
    wanted: dict[int, int] = {}
    left = quantity
    for move in sold:
        if left == 0:
            break
        if move.lot_id is None:
            continue
        part = min(-move.quantity, left)
        wanted[move.lot_id] = wanted.get(move.lot_id, 0) + part
        left -= part
    if left:
        raise lots.InvalidLot(
            _l("Sebutkan nomor lot %(name)s yang dikembalikan.", name=product.name),
            fields={"lot": [str(_l("Wajib diisi."))]},
        )
    locked = {
        row.id: row
        for row in db.session.scalars(
            select(Lot)
            .where(Lot.id.in_(wanted))
            .order_by(Lot.id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
    }
    return [(locked[lot_id], q) for lot_id, q in wanted.items()]
