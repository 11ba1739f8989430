"""Transfers between gudang and gerai as paired moves at cost, and the reorder alert list."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from core.db import db
from core.models import User
from erp.inventory import service
from erp.inventory.models import StockMove
from erp.inventory.service import InvalidInventory, OutOfStock
from erp.ledger import service as ledger
from tenants.context import tenant
from tests.conftest import add_staff, make_cooperative
from tests.erp.inventory.conftest import key, set_up_shop


def test_a_transfer_moves_quantity_and_value_and_posts_nothing(shop):
    rice = shop.product(unit="kg")
    service.add_unit(rice.id, "karung", 50)
    service.receive(rice.id, shop.gudang.id, 2, 1_000_000, idempotency_key=key(), unit="karung")
    entries = db.session.scalar(select(func.count()).select_from(ledger.JournalEntry))
    k = key()
    move = service.transfer(rice.id, shop.gudang.id, shop.gerai.id, 1, idempotency_key=k, unit="karung")
    again = service.transfer(rice.id, shop.gudang.id, shop.gerai.id, 1, idempotency_key=k, unit="karung")
    assert move.id == again.id and (move.quantity, move.value) == (50, 500_000)
    assert service.on_hand(rice.id, shop.gudang.id) == 50 == service.on_hand(rice.id, shop.gerai.id)
    assert service.stock_value() == 1_000_000
    assert db.session.scalar(select(func.count()).select_from(ledger.JournalEntry)) == entries
    assert service.balances_match_moves()
    assert [m.kind for m in service.stock_card(rice.id)] == ["receipt", "transfer", "transfer"]


def test_a_bad_transfer_is_refused_and_writes_nothing(shop):
    rice = shop.product()
    shop.receive(rice, 5, 50_000)
    service.reserve(rice.id, shop.gerai.id, 3, key="order")
    db.session.commit()
    moves = db.session.scalar(select(func.count()).select_from(StockMove))
    for args, error in (
        ((rice.id, shop.gerai.id, shop.gudang.id, 3), OutOfStock),  # 3 of the 5 are reserved
        ((rice.id, shop.gerai.id, shop.gerai.id, 1), InvalidInventory),
        ((rice.id, shop.gerai.id, shop.gudang.id, 0), InvalidInventory),
        ((rice.id, shop.gerai.id, shop.gudang.id, -2), InvalidInventory),
    ):
        with pytest.raises(error):
            service.transfer(*args, idempotency_key=key())
        db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(StockMove)) == moves
    assert service.on_hand(rice.id, shop.gerai.id) == 5


def test_products_at_or_below_their_reorder_point_are_listed_emptiest_first(shop):
    rice = shop.product(name="Beras")
    oil = shop.product(name="Minyak")
    sugar = shop.product(name="Gula")
    shop.receive(rice, 10, 100_000)
    shop.receive(oil, 3, 45_000)
    service.set_reorder_point(rice.id, 5)
    service.set_reorder_point(oil.id, 5)
    service.set_reorder_point(sugar.id, 2)
    assert [(a.product.name, a.available) for a in service.reorder_alerts()] == [("Gula", 0), ("Minyak", 3)]
    service.reserve(rice.id, shop.gerai.id, 6, key="order")
    db.session.commit()
    assert [a.product.name for a in service.reorder_alerts()] == ["Gula", "Minyak", "Beras"]
    with pytest.raises(InvalidInventory):
        service.set_reorder_point(rice.id, -1)
    db.session.rollback()
    service.set_reorder_point(oil.id, None)
    assert [a.product.name for a in service.reorder_alerts()] == ["Gula", "Beras"]


def test_the_gudang_moves_stock_and_sees_the_alert_list_from_the_pages(app, client):
    coop = make_cooperative()
    shop = set_up_shop(coop)
    staff = add_staff(coop, "gudang")
    with tenant(coop.id):
        rice = shop.product(name="Beras Medium")
        service.receive(rice.id, shop.gudang.id, 10, 100_000, idempotency_key=key())
    client.login(db.session.get(User, staff.id))
    base = f"/k/{coop.slug}/gudang"
    page = client.get(f"{base}/").get_data(as_text=True)
    k = re.findall(r'name="idempotency_key" value="([^"]+)"', page)[-1]
    form = {"product_id": str(rice.id), "from_location_id": str(shop.gudang.id), "idempotency_key": k}
    bad = client.post(f"{base}/pindah", {**form, "to_location_id": str(shop.gudang.id), "quantity": "1"})
    assert bad.status_code == 422 and "berbeda" in bad.get_data(as_text=True)
    too_many = client.post(f"{base}/pindah", {**form, "to_location_id": str(shop.gerai.id), "quantity": "11"})
    assert too_many.status_code == 422 and "tidak cukup" in too_many.get_data(as_text=True)
    ok = client.post(f"{base}/pindah", {**form, "to_location_id": str(shop.gerai.id), "quantity": "8"})
    assert ok.status_code == 303
    card = f"{base}/barang/{rice.id}"
    assert client.post(f"{card}/titik-pesan", {"reorder_point": "-4"}).status_code == 422
    assert client.post(f"{card}/titik-pesan", {"reorder_point": "12"}).status_code == 303
    alerts = client.get(f"{base}/stok-menipis").get_data(as_text=True)
    assert "Beras Medium" in alerts and "12 karung" in alerts
    with tenant(coop.id):
        assert service.on_hand(rice.id, shop.gerai.id) == 8
