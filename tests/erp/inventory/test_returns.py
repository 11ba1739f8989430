"""Customer returns: restocked at the cost they left with (back into their lots), or written off
as damaged; bad input is refused and writes nothing."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from core.db import db
from erp.inventory import lots, service
from erp.inventory.lots import InvalidLot
from erp.inventory.models import MoveKind, StockMove
from erp.inventory.returns import return_goods
from erp.inventory.service import InvalidInventory
from tests.erp.inventory.conftest import key

TODAY = date.today()


def _sell(shop, product, quantity):
    balance = service.lock_balances([product.id], shop.gerai.id)[product.id]
    k = key()
    taken = service.take(
        balance, quantity, kind=MoveKind.SALE, on=TODAY, description="Jual", idempotency_key=k, user_id=None
    )
    db.session.commit()
    return k, taken


def test_a_return_restocks_at_the_cost_it_left_with_once(shop):
    rice = shop.product()
    shop.receive(rice, 10, 100_000)
    _, taken = _sell(shop, rice, 4)
    shop.receive(rice, 4, 60_000)  # the average moves on; the return keeps its own cost
    k = key()
    move = return_goods(rice.id, shop.gerai.id, 2, taken.cost // 2, idempotency_key=k, description="Retur")
    again = return_goods(rice.id, shop.gerai.id, 2, taken.cost // 2, idempotency_key=k, description="Retur")
    db.session.commit()
    assert move is not None and again is not None and move.id == again.id
    assert (move.kind, move.quantity, move.value) == ("return", 2, 20_000)
    assert service.on_hand(rice.id) == 12 and service.stock_value() == 60_000 + 60_000 + 20_000
    assert service.balances_match_moves()


def test_a_damaged_return_is_written_off_and_changes_no_stock(shop):
    rice = shop.product()
    shop.receive(rice, 10, 100_000)
    _sell(shop, rice, 4)
    assert (
        return_goods(
            rice.id, shop.gerai.id, 1, 10_000, idempotency_key=key(), description="Rusak", damaged=True
        )
        is None
    )
    db.session.commit()
    assert service.on_hand(rice.id) == 6 and service.stock_value() == 60_000


def test_a_lot_tracked_return_goes_back_into_the_lots_it_was_sold_from(shop):
    milk = shop.product(name="Susu", tracks_lots=True)
    shop.receive(milk, 2, 20_000, lot="A", expires_on=TODAY + timedelta(days=5))
    shop.receive(milk, 5, 50_000, lot="B", expires_on=TODAY + timedelta(days=50))
    sold_key, taken = _sell(shop, milk, 3)  # 2 of A, 1 of B
    return_goods(
        milk.id, shop.gerai.id, 3, taken.cost, idempotency_key=key(), description="Retur", sold_key=sold_key
    )
    db.session.commit()
    assert {lot.code: lot.quantity for lot, _ in lots.lots_of(milk.id)} == {"A": 2, "B": 5}
    _sell(shop, milk, 1)  # from A
    return_goods(milk.id, shop.gerai.id, 1, 10_000, idempotency_key=key(), description="Retur")
    return_goods(milk.id, shop.gerai.id, 1, 10_000, idempotency_key=key(), description="Retur", lot="b")
    db.session.commit()
    assert {lot.code: lot.quantity for lot, _ in lots.lots_of(milk.id)} == {"A": 2, "B": 6}
    assert lots.lots_match_moves() and service.balances_match_moves()


def test_bad_returns_are_refused_and_write_nothing(shop):
    rice = shop.product()
    milk = shop.product(name="Susu", tracks_lots=True)
    shop.receive(rice, 10, 100_000)
    moves = db.session.scalar(select(func.count()).select_from(StockMove))
    for args, kwargs, error in (
        ((rice.id, shop.gerai.id, 0, 0), {}, InvalidInventory),
        ((rice.id, shop.gerai.id, -2, 0), {}, InvalidInventory),
        ((rice.id, shop.gerai.id, 1, -5), {}, InvalidInventory),
        ((rice.id, shop.gerai.id, 1, 10_000), {"lot": "X"}, InvalidLot),
        ((milk.id, shop.gerai.id, 1, 10_000), {}, InvalidLot),  # never sold: which lot?
    ):
        with pytest.raises(error):
            return_goods(*args, idempotency_key=key(), description="Retur", **kwargs)
        db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(StockMove)) == moves
