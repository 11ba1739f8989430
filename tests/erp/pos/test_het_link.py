"""An existing product's HET commodity link is edited on its stock card with the checks of a new
product: a price above the commodity's cap in force is refused naming it, and nothing changes."""

from __future__ import annotations

from core.db import db
from core.models import User
from erp.inventory import service as inventory
from erp.inventory.models import Product
from tenants.context import tenant
from tests.conftest import add_staff, make_cooperative
from tests.erp.inventory.conftest import set_up_shop


def test_the_gudang_links_a_product_to_a_commodity_within_its_het(app, client):
    coop = make_cooperative()
    set_up_shop(coop)
    gudang = add_staff(coop, "manajer")
    kasir = add_staff(coop, "kasir")
    with tenant(coop.id):
        oil = inventory.add_product(
            code="MK-1", name="MinyaKita 1 L", category="minyak", unit="botol", price=16_000
        )
        jerry = inventory.add_product(
            code="MK-5", name="MinyaKita 5 L", category="minyak", unit="jeriken", price=75_000
        )
    client.login(db.session.get(User, gudang.id))
    base = f"/k/{coop.slug}/gudang/barang"
    page = client.get(f"{base}/{oil.id}").get_data(as_text=True)
    assert 'name="commodity"' in page and "Bukan komoditas ber-HET" in page
    refused = client.post(f"{base}/{oil.id}/komoditas", {"commodity": "minyakita", "commodity_units": "1"})
    text = refused.get_data(as_text=True)
    assert refused.status_code == 422 and "melebihi HET" in text and "15.700" in text
    bad = client.post(f"{base}/{oil.id}/komoditas", {"commodity": "emas", "commodity_units": "1"})
    assert bad.status_code == 422 and "tidak dikenal" in bad.get_data(as_text=True)
    zero = client.post(f"{base}/{jerry.id}/komoditas", {"commodity": "minyakita", "commodity_units": "0"})
    assert zero.status_code == 422
    with tenant(coop.id):
        assert db.session.get(Product, oil.id).commodity is None
    ok = client.post(f"{base}/{jerry.id}/komoditas", {"commodity": "minyakita", "commodity_units": "5"})
    assert ok.status_code == 303
    page = client.get(f"{base}/{jerry.id}").get_data(as_text=True)
    assert "78.500" in page  # 5 × Rp 15.700, the MinyaKita cap in force today (DOMAIN.md)
    db.session.expire_all()
    with tenant(coop.id):
        product = db.session.get(Product, jerry.id)
        assert (product.commodity, product.commodity_units) == ("minyakita", 5)
        assert inventory.het_for(product).amount == 78_500
    assert client.post(f"{base}/{jerry.id}/komoditas", {}).status_code == 303  # unlinked again
    db.session.expire_all()
    with tenant(coop.id):
        assert db.session.get(Product, jerry.id).commodity is None
    client.login(db.session.get(User, kasir.id))
    forbidden = client.post(
        f"{base}/{jerry.id}/komoditas", {"commodity": "minyakita", "commodity_units": "5"}
    )
    assert forbidden.status_code == 403
