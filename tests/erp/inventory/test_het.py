"""HET by commodity and zone with effective dates: the cap in force for the cooperative's province
on the day applies, a price above it is refused naming the cap and its source, nothing written."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta

import pytest
from sqlalchemy import delete, func, select

from core.db import db
from erp.inventory import service
from erp.inventory.models import HetCap, Product
from erp.inventory.service import InvalidInventory
from tenants.context import tenant
from tenants.models import Region
from tests.conftest import make_cooperative
from tests.erp.inventory.conftest import set_up_shop


@pytest.fixture
def new_caps(app) -> Iterator[None]:
    """The seeded caps survive between tests; caps a test adds are removed after it."""
    seeded = db.session.scalar(select(func.max(HetCap.id)))
    yield
    db.session.rollback()
    db.session.execute(delete(HetCap).where(HetCap.id > seeded))
    db.session.commit()


def shop_in(province: str):
    village = db.session.scalar(
        select(Region.code).where(Region.level == 4, Region.code.like(f"{province}.%")).order_by(Region.code)
    )
    assert village, province
    coop = make_cooperative(village)
    return set_up_shop(coop)


def product(**kw) -> Product:
    return service.add_product(
        code=kw.pop("code", "BRS-1"),
        name=kw.pop("name", "Beras SPHP 5 kg"),
        category="beras",
        unit=kw.pop("unit", "pack"),
        **kw,
    )


@pytest.mark.parametrize(("province", "cap"), [("32", 13_500), ("53", 14_000), ("91", 15_500)])
def test_medium_rice_takes_the_cap_of_the_cooperatives_zone(app, province, cap):
    shop = shop_in(province)
    with tenant(shop.coop.id):
        pack = product(price=cap * 5, commodity="beras_medium", commodity_units=5)
        assert service.het_for(pack).amount == cap * 5
        with pytest.raises(InvalidInventory) as err:
            service.set_price(pack.id, cap * 5 + 1)
        message = str(err.value.message)
        assert service.format_rupiah(cap * 5) in message and "Kepbadan 299/2025" in message
        db.session.rollback()
        assert service.get_product(pack.id).price == cap * 5


def test_a_price_over_the_cap_is_refused_and_no_product_is_written(app):
    shop = shop_in("32")
    with tenant(shop.coop.id):
        with pytest.raises(InvalidInventory) as err:
            product(code="OIL", name="MinyaKita 1 L", unit="botol", price=16_000, commodity="minyakita")
        assert "15.700" in str(err.value.message) and "MinyaKita" in str(err.value.message)
        db.session.rollback()
        assert service.products() == []
        with pytest.raises(InvalidInventory):
            product(price=10_000, commodity="bensin")
        db.session.rollback()
        assert service.products() == []


def test_a_province_cap_beats_no_cap_and_lpg_is_uncapped_where_no_decree_is_recorded(app):
    north = shop_in("12")
    with tenant(north.coop.id):
        lpg = product(code="LPG3", name="LPG 3 kg", unit="tabung", price=18_000, commodity="lpg_3kg")
        assert service.het_for(lpg).amount == 18_000
        with pytest.raises(InvalidInventory) as err:
            service.set_price(lpg.id, 19_000)
        assert "18.000" in str(err.value.message)
        db.session.rollback()
    java = shop_in("33")
    with tenant(java.coop.id):
        lpg = product(code="LPG3", name="LPG 3 kg", unit="tabung", price=19_000, commodity="lpg_3kg")
        assert service.het_for(lpg) is None


def test_a_new_decree_applies_from_its_date_and_the_lower_of_two_caps_wins(app, new_caps):
    shop = shop_in("32")
    with tenant(shop.coop.id):
        urea = product(
            code="UREA-50",
            name="Urea 50 kg",
            unit="sak",
            price=90_000,
            commodity="pupuk_urea",
            commodity_units=50,
        )
    tomorrow = date.today() + timedelta(days=1)
    service.add_het_cap("pupuk_urea", "32", 1_700, tomorrow, "Pergub uji 1/2026")
    with tenant(shop.coop.id):
        assert service.het_for(urea).amount == 90_000
        assert service.het_for(urea, tomorrow).amount == 85_000
        assert "Pergub uji" in service.het_for(urea, tomorrow).source
        with pytest.raises(InvalidInventory):
            service.check_sale_price(urea, 90_000, tomorrow)
        service.check_sale_price(urea, 90_000, date.today())
        own = product(code="UREA-X", name="Urea", unit="kg", price=1_500, het=1_600, commodity="pupuk_urea")
        assert service.het_for(own).amount == 1_600


def test_bad_decrees_are_refused_and_nothing_written(app, new_caps):
    before = db.session.scalar(select(func.count()).select_from(HetCap))
    today = date.today()
    for args, field in (
        (("bensin", "I", 10_000, today, "x"), "commodity"),
        (("minyakita", "IV", 15_000, today, "x"), "zone"),
        (("minyakita", "99", 15_000, today, "x"), "zone"),
        (("minyakita", "nasional", 0, today, "x"), "price"),
        (("minyakita", "nasional", 15_000, today, " "), "source"),
        (("minyakita", "nasional", 15_000, date(2024, 7, 1), "lagi"), "effective_from"),
    ):
        with pytest.raises(InvalidInventory) as err:
            service.add_het_cap(*args)
        assert field in (err.value.fields or {}), args
        db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(HetCap)) == before


def test_the_defaults_of_domain_md_are_seeded(app):
    caps = {(c.commodity, c.zone): c.price for c in service.het_caps()}
    assert caps[("beras_premium", "II")] == 15_400
    assert caps[("minyakita", "nasional")] == 15_700
    assert caps[("pupuk_npk", "nasional")] == 1_840
    assert caps[("pupuk_organik", "nasional")] == 640


def test_the_platform_admin_records_a_decree_on_the_het_page(app, client, new_caps):
    from core.models import User
    from tests.conftest import add_staff, grant_platform_role, make_user

    admin = make_user("Rahmat Hidayat")
    grant_platform_role(admin, "platform_admin")
    client.login(db.session.get(User, admin.id))
    page = client.get("/admin/het").get_data(as_text=True)
    assert "Kepbadan 299/2025" in page and "15.700" in page
    bad = client.post(
        "/admin/het",
        {
            "commodity": "minyakita",
            "zone": "IV",
            "price": "15000",
            "effective_from": "2026-01-01",
            "source": "x",
        },
    )
    assert bad.status_code == 422 and "kode provinsi" in bad.get_data(as_text=True)
    done = client.post(
        "/admin/het",
        {
            "commodity": "minyakita",
            "zone": "nasional",
            "price": "16500",
            "effective_from": "2026-01-01",
            "source": "Permendag uji 2026",
        },
    )
    assert done.status_code == 303
    assert "Permendag uji 2026" in client.get("/admin/het").get_data(as_text=True)
    staff = add_staff(make_cooperative(), "ketua")
    other = type(client)(app.test_client())
    other.login(db.session.get(User, staff.id))
    assert other.get("/admin/het").status_code == 403


def test_the_gudang_page_shows_the_het_in_force(app):
    shop = shop_in("32")
    with tenant(shop.coop.id):
        pack = product(price=60_000, commodity="beras_medium", commodity_units=5)
        plain = product(code="GULA", name="Gula", price=18_000)
        own = product(code="OWN", name="Teh", price=5_000, het=6_000)
        assert service.hets_of([pack, plain, own]) == {pack.id: 67_500, own.id: 6_000}
