"""Products, HET caps, codes, goods receipts at moving-average cost, adjustments and the stock card."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError

from core.db import db
from erp.inventory import service
from erp.inventory.models import StockMove
from erp.inventory.service import InvalidInventory, OutOfStock, ean13_valid
from erp.ledger import service as ledger
from tests.erp.inventory.conftest import key


def test_ean13_check_digit():
    assert ean13_valid("4006381333931")
    assert not ean13_valid("4006381333932")


def test_a_bad_check_digit_is_refused_and_nothing_written(shop):
    with pytest.raises(InvalidInventory) as err:
        shop.product(code="4006381333932")
    assert "Digit pemeriksa" in str(err.value.message)
    assert service.products() == []


def test_a_good_barcode_and_an_internal_code_are_accepted(shop):
    assert shop.product(code="4006381333931").code == "4006381333931"
    assert shop.product(code="brs-curah").code == "BRS-CURAH"


def test_a_price_above_het_is_refused_naming_the_cap(shop):
    with pytest.raises(InvalidInventory) as err:
        shop.product(price=14_000, het=13_500)
    assert "13.500" in str(err.value.message)
    product = shop.product(price=13_500, het=13_500)
    with pytest.raises(InvalidInventory):
        service.set_price(product.id, 13_600, het=13_500)
    db.session.rollback()
    assert service.get_product(product.id).price == 13_500


def test_receipts_average_the_cost_and_post_persediaan_against_kas_or_utang(shop):
    product = shop.product()
    shop.receive(product, 10, 100_000)
    shop.receive(product, 10, 120_000, on_credit=True)
    today = date.today()
    assert ledger.account_balance("1-1500", today) == 220_000
    assert ledger.account_balance("1-1100", today) == -100_000
    assert ledger.account_balance("2-1300", today) == 120_000
    balances = service.lock_balances([product.id], shop.gerai.id)
    taken = service.take(
        balances[product.id],
        5,
        kind=service.MoveKind.SALE,
        on=today,
        description="uji",
        idempotency_key=key(),
        user_id=None,
    )
    db.session.commit()
    assert taken.cost == 55_000
    assert service.on_hand(product.id) == 15
    assert service.stock_value() == 165_000
    assert service.balances_match_moves()


def test_an_adjustment_below_zero_is_refused_and_a_loss_posts_to_hpp(shop):
    product = shop.product()
    shop.receive(product, 4, 40_000)
    with pytest.raises(OutOfStock):
        service.adjust(product.id, shop.gerai.id, -5, reason="hilang", idempotency_key=key())
    db.session.rollback()
    service.adjust(product.id, shop.gerai.id, -1, reason="rusak", idempotency_key=key())
    assert service.on_hand(product.id) == 3
    assert ledger.account_balance("5-1100", date.today()) == 10_000
    assert ledger.account_balance("1-1500", date.today()) == service.stock_value() == 30_000
    card = service.stock_card(product.id)
    assert [(m.kind, m.quantity, m.quantity_after) for m in card] == [
        ("receipt", 4, 4),
        ("adjustment", -1, 3),
    ]


def test_bad_quantities_are_refused_and_nothing_written(shop):
    product = shop.product()
    for quantity in (0, -3, "5", True):
        with pytest.raises(InvalidInventory):
            service.receive(product.id, shop.gerai.id, quantity, 1000, idempotency_key=key())
        db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(StockMove)) == 0


def test_a_receipt_repeated_under_its_key_applies_once(shop):
    product = shop.product()
    k = key()
    first = service.receive(product.id, shop.gerai.id, 3, 30_000, idempotency_key=k)
    again = service.receive(product.id, shop.gerai.id, 3, 30_000, idempotency_key=k)
    assert first.id == again.id
    assert service.on_hand(product.id) == 3


def test_the_database_refuses_to_change_a_stock_move(shop):
    product = shop.product()
    move = shop.receive(product, 1, 1_000)
    with pytest.raises(DBAPIError):
        db.session.execute(text("UPDATE inventory_moves SET quantity = 5 WHERE id = :id"), {"id": move.id})
    db.session.rollback()
    with pytest.raises(DBAPIError):
        db.session.execute(text("DELETE FROM inventory_moves WHERE id = :id"), {"id": move.id})
    db.session.rollback()


def test_taking_a_basket_at_once_matches_taking_line_by_line(shop):
    rice, oil = shop.product(code="BRS-1"), shop.product(code="MNK-1")
    milk = shop.product(code="UHT-1", tracks_lots=True)
    shop.receive(rice, 3, 30_000)  # 10,000 each; the last unit takes what is left
    shop.receive(oil, 7, 70_001)
    shop.receive(milk, 5, 50_000, lot="L1", expires_on=date(2099, 1, 1))
    db.session.commit()
    balances = service.lock_balances([rice.id, oil.id, milk.id], shop.gerai.id)
    with pytest.raises(OutOfStock):
        service.take_all(
            [(balances[rice.id], 1), (balances[oil.id], 8)],
            kind=service.MoveKind.SALE,
            on=date.today(),
            description="uji",
            key_prefix=key(),
            user_id=None,
        )
    db.session.rollback()
    assert service.balances_match_moves() and service.on_hand(oil.id) == 7  # nothing written
    balances = service.lock_balances([rice.id, oil.id, milk.id], shop.gerai.id)
    taken = service.take_all(
        [(balances[rice.id], 3), (balances[oil.id], 2), (balances[milk.id], 2)],
        kind=service.MoveKind.SALE,
        on=date.today(),
        description="uji",
        key_prefix="sale-1",
        user_id=None,
    )
    assert sorted((t.product_id, t.quantity, t.cost) for t in taken) == sorted(
        [(rice.id, 3, 30_000), (oil.id, 2, 20_000), (milk.id, 2, 20_000)]
    )
    assert (balances[oil.id].quantity, balances[oil.id].value) == (5, 50_001)  # the session knows
    assert db.session.info[service.STOCK_TOUCHED] >= {rice.id, oil.id}
    db.session.commit()
    db.session.expire_all()
    assert [service.on_hand(p.id) for p in (rice, oil, milk)] == [0, 5, 3]
    assert service.stock_value() == 50_001 + 30_000 and service.balances_match_moves()
    keys = set(db.session.scalars(select(StockMove.idempotency_key).where(StockMove.kind == "sale")))
    assert keys >= {f"sale-1:{rice.id}", f"sale-1:{oil.id}"}
