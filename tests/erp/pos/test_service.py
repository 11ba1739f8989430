"""Checkout: stock, sale, lines and one journal entry together; refusals write nothing."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from erp.inventory import service as inventory
from erp.inventory.models import StockMove
from erp.ledger import service as ledger
from erp.ledger.models import JournalEntry
from erp.pos import service
from erp.pos.models import Sale, SaleLine
from erp.pos.service import CartLine, InvalidSale, OutOfStock
from tests.erp.inventory.conftest import key
from tests.erp.membership.factories import make_member

TODAY = date.today()


def _count(model) -> int:
    from core.db import db

    return db.session.scalar(select(func.count()).select_from(model))


def _sell(shop, lines, **kw):
    kw.setdefault("payment_method", "tunai")
    return service.checkout(lines, location_id=shop.gerai.id, idempotency_key=kw.pop("key", key()), **kw)


def test_a_cash_sale_writes_sale_moves_and_one_entry_with_change(shop):
    rice = shop.product(price=65_000, het=67_500)
    oil = shop.product(name="MinyaKita 1 L", unit="botol", price=15_700, het=15_700)
    shop.receive(rice, 10, 550_000)
    shop.receive(oil, 24, 336_000)
    sale = _sell(shop, [CartLine(rice.id, 2), CartLine(oil.id, 3)], paid=200_000)
    assert sale.total == 2 * 65_000 + 3 * 15_700
    assert sale.change == 200_000 - sale.total
    assert sale.cost == 110_000 + 42_000
    assert inventory.on_hand(rice.id) == 8 and inventory.on_hand(oil.id) == 21
    assert ledger.account_balance("4-2100", TODAY) == sale.total
    assert ledger.account_balance("5-1100", TODAY) == sale.cost
    assert ledger.account_balance("1-1500", TODAY) == inventory.stock_value()
    assert _count(JournalEntry) == 3
    assert inventory.balances_match_moves()
    receipt = service.receipt(sale.id)
    assert [line.quantity for line, _ in receipt.lines] == [2, 3]


def test_overselling_is_refused_with_a_message_and_nothing_is_written(shop):
    rice = shop.product()
    shop.receive(rice, 1, 50_000)
    before = (_count(Sale), _count(SaleLine), _count(StockMove), _count(JournalEntry))
    with pytest.raises(OutOfStock) as err:
        _sell(shop, [CartLine(rice.id, 2)])
    assert "tersisa 1" in str(err.value.message)
    assert (_count(Sale), _count(SaleLine), _count(StockMove), _count(JournalEntry)) == before
    assert inventory.on_hand(rice.id) == 1


@pytest.mark.parametrize(
    "lines, kw, fragment",
    [
        ([], {}, "kosong"),
        ([CartLine(999_999, 1)], {}, "tidak dikenal"),
        (None, {"paid": 1}, "kurang"),
        (None, {"payment_method": "qris"}, "referensi"),
        (None, {"payment_method": "emas"}, "Cara bayar"),
        (None, {"member_number": "X-404"}, "tidak ditemukan"),
        ("het", {}, "HET"),
        ("negative", {}, "positif"),
    ],
)
def test_bad_input_is_refused_and_nothing_written(shop, lines, kw, fragment):
    rice = shop.product(price=13_000, het=13_500)
    shop.receive(rice, 5, 50_000)
    if lines is None:
        lines = [CartLine(rice.id, 1)]
    elif lines == "het":
        lines = [CartLine(rice.id, 1, 14_000)]
    elif lines == "negative":
        lines = [CartLine(rice.id, -1)]
    with pytest.raises(InvalidSale) as err:
        _sell(shop, lines, **kw)
    assert fragment in str(err.value.message)
    assert _count(Sale) == 0
    assert inventory.on_hand(rice.id) == 5


def test_qris_posts_to_bank_and_member_purchases_count_for_shu(shop):
    rice = shop.product(price=13_000)
    shop.receive(rice, 10, 100_000)
    member = make_member()
    _sell(
        shop,
        [CartLine(rice.id, 2)],
        payment_method="qris",
        reference="QR-123",
        member_number=member.member_number,
    )
    _sell(shop, [CartLine(rice.id, 1)], member_number=member.member_number)
    _sell(shop, [CartLine(rice.id, 1)])
    assert ledger.account_balance("1-1110", TODAY) == 26_000
    assert service.member_purchases(TODAY.year) == {member.id: 39_000}
    assert service.member_purchases(TODAY.year - 1) == {}
    from erp.ledger import shu

    year = (date(TODAY.year, 1, 1), date(TODAY.year, 12, 31))
    assert shu.sources.sum("jasa_usaha", *year) == {member.id: 39_000}, "SHU jasa usaha reads the gerai"
    assert service.sales_on(TODAY) == (3, 52_000)


def test_a_checkout_repeated_under_its_key_sells_once(shop):
    rice = shop.product()
    shop.receive(rice, 5, 50_000)
    k = key()
    first = _sell(shop, [CartLine(rice.id, 1)], key=k)
    again = _sell(shop, [CartLine(rice.id, 1)], key=k)
    assert first.id == again.id
    assert inventory.on_hand(rice.id) == 4
