"""The counter with keyboard and scanner alone: scan, pay, print; the gudang adds and receives."""

from __future__ import annotations

import re

from sqlalchemy import func, select

from core.db import db
from core.models import User
from erp.inventory import service as inventory
from erp.pos.models import Sale
from tenants.context import tenant
from tests.conftest import add_staff, make_cooperative
from tests.erp.inventory.conftest import set_up_shop


def _key(page: str) -> str:
    return re.search(r'name="idempotency_key" value="([^"]+)"', page).group(1)


def test_the_kasir_scans_pays_in_cash_and_prints_the_receipt(app, client):
    coop = make_cooperative()
    shop = set_up_shop(coop)
    kasir = add_staff(coop, "kasir")
    with tenant(coop.id):
        rice = shop.product(code="4006381333931", price=13_000, het=13_500)
        shop.receive(rice, 10, 110_000)
    client.login(db.session.get(User, kasir.id))
    base = f"/k/{coop.slug}/kasir"
    assert client.post(f"{base}/tambah", {"code": "4006381333931", "quantity": "2"}).status_code == 303
    unknown = client.post(f"{base}/tambah", {"code": "4006381333932"})
    assert unknown.status_code == 422 and "tidak dikenal" in unknown.get_data(as_text=True)
    page = client.get(f"{base}/").get_data(as_text=True)
    assert "26.000" in page
    short = client.post(
        f"{base}/bayar", {"payment_method": "tunai", "paid": "20000", "idempotency_key": _key(page)}
    )
    assert short.status_code == 422 and "kurang" in short.get_data(as_text=True)
    paid = client.post(
        f"{base}/bayar", {"payment_method": "tunai", "paid": "30000", "idempotency_key": _key(page)}
    )
    assert paid.status_code == 303
    receipt = client.get(paid.headers["Location"]).get_data(as_text=True)
    assert "4.000" in receipt and "pos.css" in receipt and "style=" not in receipt
    with tenant(coop.id):
        assert db.session.scalar(select(func.count()).select_from(Sale)) == 1
        assert inventory.on_hand(rice.id) == 8


def test_the_gudang_adds_a_product_refused_above_het_and_receives_goods(app, client):
    coop = make_cooperative()
    set_up_shop(coop)
    gudang = add_staff(coop, "gudang")
    client.login(db.session.get(User, gudang.id))
    base = f"/k/{coop.slug}/gudang"
    form = {
        "code": "MINYAK-1",
        "name": "MinyaKita 1 L",
        "category": "minyak",
        "unit": "botol",
        "price": "16000",
        "het": "15700",
    }
    refused = client.post(f"{base}/barang", form)
    assert refused.status_code == 422 and "15.700" in refused.get_data(as_text=True)
    assert client.post(f"{base}/barang", {**form, "price": "15700"}).status_code == 303
    page = client.get(f"{base}/").get_data(as_text=True)
    with tenant(coop.id):
        product = inventory.product_by_code("MINYAK-1")
    received = client.post(
        f"{base}/terima",
        {
            "product_id": str(product.id),
            "quantity": "12",
            "total_cost": "168000",
            "idempotency_key": _key(page),
        },
    )
    assert received.status_code == 303
    card = client.get(f"{base}/barang/{product.id}").get_data(as_text=True)
    assert "168.000" in card
