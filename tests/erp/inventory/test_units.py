"""Bigger units: a karung of 50 kg or a dus of 40 pcs converts exactly to the base unit, in receipts
and when a pack's own barcode is scanned."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from core.db import db
from core.models import User
from erp.inventory import service
from erp.inventory.models import ProductUnit, StockMove
from erp.inventory.service import InvalidInventory
from tenants.context import tenant
from tests.conftest import add_staff, make_cooperative
from tests.erp.inventory.conftest import key, set_up_shop


def test_a_karung_received_is_fifty_kg_on_hand_at_the_same_cost(shop):
    rice = shop.product(unit="kg", price=13_000)
    service.add_unit(rice.id, "karung", 50)
    move = service.receive(rice.id, shop.gerai.id, 2, 1_100_000, idempotency_key=key(), unit="karung")
    assert move.quantity == 100
    assert service.on_hand(rice.id) == 100
    assert service.to_base(rice, 3, "Karung") == 150
    assert service.to_base(rice, 7, "kg") == 7 == service.to_base(rice, 7, None)


def test_a_dus_barcode_scans_as_forty_pcs(shop):
    noodles = shop.product(code="MIE-1", name="Mi instan", unit="pcs", price=3_500)
    service.add_unit(noodles.id, "dus", 40, code="4006381333931")
    assert service.lookup_code("4006381333931") == (noodles, 40)
    assert service.lookup_code("mie-1") == (noodles, 1)
    assert service.lookup_code("0000") is None


def test_bad_units_are_refused_and_nothing_written(shop):
    rice = shop.product(unit="kg")
    other = shop.product(code="4006381333931")
    for name, factor, code, words in (
        ("karung", 1, None, "lebih dari 1"),
        ("karung", 0, None, "lebih dari 1"),
        ("karung", "50", None, "lebih dari 1"),
        ("", 50, None, "wajib"),
        ("kg", 50, None, "satuan dasar"),
        ("karung", 50, "4006381333932", "Digit pemeriksa"),
        ("karung", 50, "4006381333931", "sudah dipakai"),
    ):
        with pytest.raises(InvalidInventory) as err:
            service.add_unit(rice.id, name, factor, code)
        assert words in str(err.value.message), (name, factor, code, err.value.message)
        db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(ProductUnit)) == 0
    service.add_unit(rice.id, "karung", 50)
    with pytest.raises(InvalidInventory):
        service.add_unit(rice.id, "Karung", 25)
    db.session.rollback()
    with pytest.raises(InvalidInventory) as err:
        service.receive(rice.id, shop.gerai.id, 1, 10_000, idempotency_key=key(), unit="dus")
    assert "dus" in str(err.value.message)
    db.session.rollback()
    with pytest.raises(InvalidInventory):
        service.receive(rice.id, shop.gerai.id, 30_000, 10_000, idempotency_key=key(), unit="karung")
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(StockMove)) == 0
    assert other.code == "4006381333931"


def test_the_gudang_adds_a_unit_and_receives_in_it_from_the_pages(app, client):
    coop = make_cooperative()
    shop = set_up_shop(coop)
    staff = add_staff(coop, "gudang")
    with tenant(coop.id):
        rice = shop.product(unit="kg")
    client.login(db.session.get(User, staff.id))
    card = f"/k/{coop.slug}/gudang/barang/{rice.id}"
    bad = client.post(f"{card}/satuan", {"name": "karung", "factor": "1"})
    assert bad.status_code == 422 and "2 sampai" in bad.get_data(as_text=True)
    assert client.post(f"{card}/satuan", {"name": "karung", "factor": "50"}).status_code == 303
    assert "50 kg" in client.get(card).get_data(as_text=True)
    page = client.get(f"/k/{coop.slug}/gudang/").get_data(as_text=True)
    assert "<option>karung</option>" in page
    import re

    k = re.search(r'name="idempotency_key" value="([^"]+)"', page).group(1)
    done = client.post(
        f"/k/{coop.slug}/gudang/terima",
        {
            "product_id": str(rice.id),
            "quantity": "2",
            "unit": "karung",
            "total_cost": "1100000",
            "idempotency_key": k,
        },
    )
    assert done.status_code == 303
    with tenant(coop.id):
        assert service.on_hand(rice.id) == 100
