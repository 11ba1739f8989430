"""Lots with expiry: receipts name their lot, sales draw first-expiry-first-out and never from an
expired lot, transfers carry lots across, adjustments take a named lot, and the pages show them."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from sqlalchemy import event, func, select

from core.db import db
from core.models import User
from erp.inventory import lots, service
from erp.inventory.lots import ExpiredStock, InvalidLot
from erp.inventory.models import Lot, MoveKind, StockMove
from erp.inventory.service import OutOfStock
from erp.ledger import service as ledger
from tenants.context import tenant
from tests.conftest import add_staff, make_cooperative
from tests.erp.inventory.conftest import key, set_up_shop

TODAY = date.today()


def _counts() -> tuple[int, int, int]:
    return (
        db.session.scalar(select(func.count()).select_from(StockMove)) or 0,
        db.session.scalar(select(func.count()).select_from(Lot)) or 0,
        db.session.scalar(select(func.count()).select_from(ledger.JournalEntry)) or 0,
    )


def _sell(shop, product, quantity, on=TODAY):
    balance = service.lock_balances([product.id], shop.gerai.id)[product.id]
    k = key()
    taken = service.take(
        balance, quantity, kind=MoveKind.SALE, on=on, description="Jual", idempotency_key=k, user_id=None
    )
    db.session.commit()
    return taken, lots.moves_of(k)


def test_a_lot_tracked_receipt_needs_its_lot_and_writes_nothing_without_it(shop):
    milk = shop.product(name="Susu UHT", tracks_lots=True)
    before = _counts()
    for lot in (None, "  ", "LOT 1!"):
        with pytest.raises(InvalidLot):
            shop.receive(milk, 10, 50_000, lot=lot, expires_on=TODAY + timedelta(days=90))
        db.session.rollback()
    with pytest.raises(InvalidLot, match="kedaluwarsa"):
        shop.receive(milk, 10, 50_000, lot="B1", expires_on=TODAY - timedelta(days=1))
    db.session.rollback()
    assert _counts() == before and service.on_hand(milk.id) == 0


def test_a_receipt_fills_its_lot_and_the_move_names_it(shop):
    milk = shop.product(name="Susu UHT", tracks_lots=True)
    move = shop.receive(milk, 10, 50_000, lot="b-01", expires_on=TODAY + timedelta(days=60))
    again = shop.receive(milk, 5, 25_000, lot="B-01", expires_on=TODAY + timedelta(days=60))
    lot = db.session.scalar(select(Lot).where(Lot.id == move.lot_id))
    assert lot is not None and (lot.code, lot.quantity) == ("B-01", 15) and again.lot_id == lot.id
    with pytest.raises(InvalidLot, match="sudah tercatat"):
        shop.receive(milk, 1, 5_000, lot="B-01", expires_on=TODAY + timedelta(days=61))
    db.session.rollback()
    assert lots.lots_match_moves() and service.balances_match_moves()
    assert service.stock_value() == 75_000


def test_an_untracked_product_refuses_a_lot(shop):
    rice = shop.product()
    with pytest.raises(InvalidLot, match="tidak dicatat per lot"):
        shop.receive(rice, 10, 50_000, lot="X1")
    db.session.rollback()
    assert service.on_hand(rice.id) == 0


def test_sales_draw_the_lot_that_expires_first_and_split_across_lots(shop):
    milk = shop.product(name="Susu UHT", tracks_lots=True)
    shop.receive(milk, 4, 40_000, lot="LATE", expires_on=TODAY + timedelta(days=200))
    shop.receive(milk, 3, 30_000, lot="SOON", expires_on=TODAY + timedelta(days=10))
    shop.receive(milk, 2, 20_000, lot="NONE")  # no expiry: sold last
    taken, moves = _sell(shop, milk, 5)
    assert taken.cost == 50_000
    assert [(m.quantity, m.value) for m in moves] == [(-3, -30_000), (-2, -20_000)]
    codes = lots.codes_of({m.lot_id for m in moves if m.lot_id})
    assert [codes[m.lot_id].code for m in moves if m.lot_id] == ["SOON", "LATE"]
    assert moves[-1].quantity_after == 4 and moves[-1].value_after == 40_000
    _, last = _sell(shop, milk, 4)
    codes = lots.codes_of({m.lot_id for m in last if m.lot_id})
    assert [(codes[m.lot_id].code, m.quantity) for m in last if m.lot_id] == [("LATE", -2), ("NONE", -2)]
    assert service.on_hand(milk.id) == 0 and service.stock_value() == 0
    assert lots.lots_match_moves() and service.balances_match_moves()


def test_an_expired_lot_is_not_sold_and_the_refusal_writes_nothing(shop):
    milk = shop.product(name="Susu UHT", tracks_lots=True)
    shop.receive(milk, 3, 30_000, lot="OLD", expires_on=TODAY + timedelta(days=2))
    shop.receive(milk, 2, 20_000, lot="NEW", expires_on=TODAY + timedelta(days=30))
    later = TODAY + timedelta(days=3)
    before = _counts()
    with pytest.raises(ExpiredStock, match="3 karung sudah kedaluwarsa"):
        _sell(shop, milk, 3, on=later)
    db.session.rollback()
    assert _counts() == before and service.on_hand(milk.id) == 5
    _, moves = _sell(shop, milk, 2, on=later)
    assert [lots.codes_of({m.lot_id}).popitem()[1].code for m in moves if m.lot_id] == ["NEW"]
    expired = lots.expiring(0, today=later)
    assert [(r.lot.code, r.lot.quantity, r.value, r.days_left) for r in expired] == [("OLD", 3, 30_000, -1)]
    # the expired units are written off as an adjustment, expired lots first
    service.adjust(milk.id, shop.gerai.id, -3, reason="Kedaluwarsa", idempotency_key=key(), on=later)
    assert service.on_hand(milk.id) == 0 and lots.expiring(30, today=later) == []
    assert lots.lots_match_moves() and service.balances_match_moves()


def test_taking_an_untracked_product_sends_no_statement(shop):
    rice = shop.product()
    shop.receive(rice, 10, 100_000)
    balance = service.lock_balances([rice.id], shop.gerai.id)[rice.id]
    service.get_product(rice.id)  # the counter has its products loaded already
    seen: list[str] = []

    def record(conn, cursor, statement, *args):
        seen.append(statement)

    engine = db.session.get_bind()
    event.listen(engine, "before_cursor_execute", record)
    try:
        service.take(
            balance, 2, kind=MoveKind.SALE, on=TODAY, description="Jual", idempotency_key=key(), user_id=None
        )
    finally:
        event.remove(engine, "before_cursor_execute", record)
    assert seen == []
    db.session.commit()
    assert service.on_hand(rice.id) == 8


def test_a_transfer_carries_lots_with_their_expiry_and_is_idempotent(shop):
    milk = shop.product(name="Susu UHT", tracks_lots=True)
    service.receive(
        milk.id,
        shop.gudang.id,
        3,
        30_000,
        idempotency_key=key(),
        lot="A",
        expires_on=TODAY + timedelta(days=5),
    )
    service.receive(
        milk.id,
        shop.gudang.id,
        5,
        50_000,
        idempotency_key=key(),
        lot="B",
        expires_on=TODAY + timedelta(days=50),
    )
    k = key()
    move = service.transfer(milk.id, shop.gudang.id, shop.gerai.id, 4, idempotency_key=k)
    again = service.transfer(milk.id, shop.gudang.id, shop.gerai.id, 4, idempotency_key=k)
    assert move.id == again.id
    at_gerai = {
        lot.code: (lot.quantity, lot.expires_on)
        for lot, loc in lots.lots_of(milk.id)
        if loc.id == shop.gerai.id
    }
    assert at_gerai == {"A": (3, TODAY + timedelta(days=5)), "B": (1, TODAY + timedelta(days=50))}
    assert service.on_hand(milk.id, shop.gerai.id) == 4 and service.stock_value() == 80_000
    with pytest.raises(Exception, match="berbeda"):
        service.transfer(milk.id, shop.gudang.id, shop.gerai.id, 3, idempotency_key=k)
    db.session.rollback()
    assert lots.lots_match_moves() and service.balances_match_moves()


def test_adjustments_name_their_lot_and_bad_lots_are_refused(shop):
    milk = shop.product(name="Susu UHT", tracks_lots=True)
    shop.receive(milk, 3, 30_000, lot="A", expires_on=TODAY + timedelta(days=5))
    shop.receive(milk, 5, 50_000, lot="B", expires_on=TODAY + timedelta(days=50))
    before = _counts()
    for kwargs, error in (
        ({"quantity": -1, "lot": "ZZZ"}, InvalidLot),  # unknown lot
        ({"quantity": -6, "lot": "B"}, OutOfStock),  # more than the lot holds
        ({"quantity": 2}, InvalidLot),  # found units need their lot
        ({"quantity": 2, "lot": "A", "expires_on": TODAY}, InvalidLot),  # not A's expiry
    ):
        with pytest.raises(error):
            service.adjust(milk.id, shop.gerai.id, reason="Cek", idempotency_key=key(), **kwargs)
        db.session.rollback()
    assert _counts() == before
    service.adjust(milk.id, shop.gerai.id, -2, reason="Penyok", idempotency_key=key(), lot="B")
    service.adjust(milk.id, shop.gerai.id, 1, reason="Ketemu", idempotency_key=key(), lot="A")
    service.adjust(
        milk.id,
        shop.gerai.id,
        1,
        reason="Ketemu",
        idempotency_key=key(),
        lot="C",
        expires_on=TODAY + timedelta(days=9),
    )
    quantities = {lot.code: lot.quantity for lot, _ in lots.lots_of(milk.id)}
    assert quantities == {"A": 4, "B": 3, "C": 1}
    assert lots.lots_match_moves() and service.balances_match_moves()


def test_kophub_fulfilment_draws_lots_and_repeats_its_cost(shop):
    milk = shop.product(name="Susu UHT", tracks_lots=True)
    shop.receive(milk, 2, 20_000, lot="A", expires_on=TODAY + timedelta(days=5))
    shop.receive(milk, 4, 44_000, lot="B", expires_on=TODAY + timedelta(days=50))
    service.reserve(milk.id, shop.gerai.id, 3, key="order-1")
    db.session.commit()
    # the reserved units are not for the counter
    with pytest.raises(OutOfStock):
        _sell(shop, milk, 4)
    db.session.rollback()
    first = service.fulfil("order-1")
    db.session.commit()
    again = service.fulfil("order-1")
    assert first.cost == again.cost == 32_000 and len(lots.moves_of("kophub:order-1")) == 2
    assert lots.lots_match_moves() and service.balances_match_moves()


def test_lot_keeping_switches_only_while_nothing_is_on_hand(shop):
    rice = shop.product()
    shop.receive(rice, 1, 10_000)
    with pytest.raises(InvalidLot, match="stok .* kosong"):
        lots.set_tracks_lots(rice.id, True)
    db.session.rollback()
    service.adjust(rice.id, shop.gerai.id, -1, reason="Habis", idempotency_key=key())
    assert lots.set_tracks_lots(rice.id, True).tracks_lots
    shop.receive(rice, 2, 20_000, lot="L1", expires_on=TODAY + timedelta(days=3))
    assert lots.lots_match_moves()


def test_the_gudang_receives_a_lot_and_sees_it_on_the_card_and_the_expiry_list(app, client):
    coop = make_cooperative()
    set_up_shop(coop)
    staff = add_staff(coop, "gudang")
    client.login(db.session.get(User, staff.id))
    base = f"/k/{coop.slug}/gudang"
    made = client.post(
        f"{base}/barang",
        {
            "code": "SUSU-1",
            "name": "Susu UHT",
            "category": "susu",
            "unit": "kotak",
            "price": "6000",
            "tracks_lots": "1",
        },
    )
    assert made.status_code == 303
    with tenant(coop.id):
        milk = service.product_by_code("SUSU-1")
        assert milk is not None and milk.tracks_lots
    page = client.get(f"{base}/").get_data(as_text=True)
    k = re.findall(r'name="idempotency_key" value="([^"]+)"', page)[0]
    form = {"product_id": str(milk.id), "quantity": "12", "total_cost": "60000", "idempotency_key": k}
    missing = client.post(f"{base}/terima", form)
    assert missing.status_code == 422 and "Nomor lot wajib diisi" in missing.get_data(as_text=True)
    soon = (TODAY + timedelta(days=7)).isoformat()
    assert client.post(f"{base}/terima", {**form, "lot": "uht-7", "expires_on": soon}).status_code == 303
    card = client.get(f"{base}/barang/{milk.id}").get_data(as_text=True)
    assert "UHT-7" in card and "12 kotak" in card
    listed = client.get(f"{base}/kedaluwarsa?hari=10").get_data(as_text=True)
    assert "UHT-7" in listed and "7 hari lagi" in listed
    assert "UHT-7" not in client.get(f"{base}/kedaluwarsa?hari=3").get_data(as_text=True)
    assert client.get(f"{base}/kedaluwarsa?hari=-1").status_code == 422
    refused = client.post(f"{base}/barang/{milk.id}/lot", {})
    assert refused.status_code == 422 and "kosong" in refused.get_data(as_text=True)
    with tenant(coop.id):
        assert service.get_product(milk.id).tracks_lots
