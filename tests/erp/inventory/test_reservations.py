"""Kophub reservations: held units are not for sale at the gerai, release gives them back, fulfil
turns them into a Kophub sale move at cost; a gerai sale and a Kophub checkout racing for the last
units never drive stock negative."""

from __future__ import annotations

import threading
from datetime import date

import pytest
from sqlalchemy import func, select

from core.db import db
from erp.inventory import service
from erp.inventory.models import MoveKind, Reservation, StockMove
from erp.inventory.service import InvalidInventory, InvalidTransition, OutOfStock
from erp.ledger import service as ledger
from erp.ledger.service import IdempotencyConflict
from tenants.context import tenant
from tests.erp.inventory.conftest import key


def sell(shop, product, quantity: int) -> service.Taken:
    balance = service.lock_balances([product.id], shop.gerai.id)[product.id]
    taken = service.take(
        balance,
        quantity,
        kind=MoveKind.SALE,
        on=date.today(),
        description="uji",
        idempotency_key=key(),
        user_id=None,
    )
    db.session.commit()
    return taken


def test_reserved_units_are_not_available_and_the_gerai_cannot_sell_them(shop):
    rice = shop.product()
    shop.receive(rice, 10, 100_000)
    rid = service.reserve(rice.id, shop.gerai.id, 7, key="order-1")
    db.session.commit()
    assert service.available(rice.id, shop.gerai.id) == 3
    assert service.on_hand(rice.id) == 10
    with pytest.raises(OutOfStock) as err:
        sell(shop, rice, 4)
    assert "tersedia 3" in str(err.value.message) and "Kophub" in str(err.value.message)
    db.session.rollback()
    sell(shop, rice, 3)
    assert service.available(rice.id, shop.gerai.id) == 0
    assert isinstance(rid, int)


def test_a_reservation_beyond_what_is_available_is_refused_and_writes_nothing(shop):
    rice = shop.product()
    shop.receive(rice, 5, 50_000)
    service.reserve(rice.id, shop.gerai.id, 4, key="order-1")
    db.session.commit()
    with pytest.raises(OutOfStock) as err:
        service.reserve(rice.id, shop.gerai.id, 2, key="order-2")
    assert "tersedia 1" in str(err.value.message)
    db.session.rollback()
    for bad in (0, -1, "2", True):
        with pytest.raises(InvalidInventory):
            service.reserve(rice.id, shop.gerai.id, bad, key=key())
        db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(Reservation)) == 1
    assert service.available(rice.id, shop.gerai.id) == 1


def test_a_reservation_is_idempotent_by_key(shop):
    rice = shop.product()
    shop.receive(rice, 5, 50_000)
    first = service.reserve(rice.id, shop.gerai.id, 2, key="order-1")
    again = service.reserve(rice.id, shop.gerai.id, 2, key="order-1")
    assert first == again
    assert service.available(rice.id, shop.gerai.id) == 3
    with pytest.raises(IdempotencyConflict):
        service.reserve(rice.id, shop.gerai.id, 3, key="order-1")


def test_release_gives_the_units_back_once_and_a_released_one_cannot_ship(shop):
    rice = shop.product()
    shop.receive(rice, 5, 50_000)
    rid = service.reserve(rice.id, shop.gerai.id, 5, key="order-1")
    db.session.commit()
    service.release("order-1")
    service.release(rid)
    db.session.commit()
    assert service.available(rice.id, shop.gerai.id) == 5
    with pytest.raises(InvalidTransition):
        service.fulfil(rid)


def test_fulfil_moves_the_units_out_at_cost_and_posts_hpp_once(shop):
    rice = shop.product()
    shop.receive(rice, 10, 100_000)
    rid = service.reserve(rice.id, shop.gerai.id, 4, key="order-1")
    taken = service.fulfil(rid)
    again = service.fulfil("order-1")
    db.session.commit()
    assert (taken.quantity, taken.cost) == (4, 40_000) == (again.quantity, again.cost)
    assert service.on_hand(rice.id) == 6 and service.available(rice.id, shop.gerai.id) == 6
    assert [m.kind for m in service.stock_card(rice.id)] == ["receipt", "kophub"]
    today = date.today()
    assert ledger.account_balance("5-1100", today) == 40_000
    assert ledger.account_balance("1-1500", today) == service.stock_value() == 60_000
    assert service.balances_match_moves()
    with pytest.raises(InvalidTransition):
        service.release(rid)


def test_an_unknown_reservation_or_product_is_not_found(shop):
    from core.errors import NotFound

    with pytest.raises(NotFound):
        service.release("no-such-order")
    with pytest.raises(NotFound):
        service.fulfil(999_999)
    with pytest.raises(NotFound):
        service.reserve(999_999, shop.gerai.id, 1, key="x")


def test_a_loss_adjustment_cannot_eat_into_reserved_units(shop):
    rice = shop.product()
    shop.receive(rice, 3, 30_000)
    service.reserve(rice.id, shop.gerai.id, 2, key="order-1")
    db.session.commit()
    with pytest.raises(OutOfStock):
        service.adjust(rice.id, shop.gerai.id, -2, reason="rusak", idempotency_key=key())
    db.session.rollback()
    assert service.on_hand(rice.id) == 3


@pytest.mark.parametrize("reserve_first", [True, False])
def test_a_gerai_sale_and_a_kophub_checkout_of_the_last_units_one_wins(shop, app, reserve_first):
    rice = shop.product(name="Beras SPHP karung 50 kg")
    shop.receive(rice, 3, 300_000)
    db.session.commit()
    moves_before = db.session.scalar(select(func.count()).select_from(StockMove))
    barrier = threading.Barrier(2)
    outcomes: dict[str, str] = {}

    def gerai() -> None:
        with app.app_context(), tenant(shop.coop.id):
            barrier.wait()
            try:
                balance = service.lock_balances([rice.id], shop.gerai.id)[rice.id]
                service.take(
                    balance,
                    2,
                    kind=MoveKind.SALE,
                    on=date.today(),
                    description="gerai",
                    idempotency_key="race-gerai",
                    user_id=None,
                )
                db.session.commit()
                outcomes["gerai"] = "ok"
            except OutOfStock:
                db.session.rollback()
                outcomes["gerai"] = "refused"
            except Exception as err:
                db.session.rollback()
                outcomes["gerai"] = repr(err)
            finally:
                db.session.remove()

    def kophub() -> None:
        with app.app_context(), tenant(shop.coop.id):
            barrier.wait()
            try:
                service.reserve(rice.id, shop.gerai.id, 2, key="race-kophub")
                db.session.commit()
                outcomes["kophub"] = "ok"
            except OutOfStock:
                db.session.rollback()
                outcomes["kophub"] = "refused"
            except Exception as err:
                db.session.rollback()
                outcomes["kophub"] = repr(err)
            finally:
                db.session.remove()

    order = [kophub, gerai] if reserve_first else [gerai, kophub]
    threads = [threading.Thread(target=f) for f in order]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes.values()) == ["ok", "refused"], outcomes
    db.session.expire_all()
    balance = service.lock_balances([rice.id], shop.gerai.id)[rice.id]
    assert balance.quantity - balance.reserved == 1
    moves = db.session.scalar(select(func.count()).select_from(StockMove))
    assert moves == moves_before + (1 if outcomes["gerai"] == "ok" else 0)
    assert service.balances_match_moves()
