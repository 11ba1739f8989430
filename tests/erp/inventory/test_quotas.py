"""Subsidised goods quotas: fertiliser per farmer from the imported RDKK list, LPG 3 kg per
household per month; a purchase over the quota is refused naming what remains, nothing written."""

from __future__ import annotations

import threading
from datetime import date

import pytest
from sqlalchemy import func, select

from core.db import db
from erp.inventory import service
from erp.inventory.models import Quota, QuotaUse
from erp.inventory.service import InvalidInventory, QuotaExceeded
from erp.membership.service import ImportRejected
from tenants.context import tenant

FARMER = "3204124107850001"
OTHER = "3204120101900002"
KK = "3204120101090003"
SEASON = (date(2026, 1, 1), date(2026, 4, 30))
IN_SEASON = date(2026, 2, 10)


def urea_sack(shop):
    return service.add_product(
        code="UREA-50",
        name="Urea 50 kg",
        category="pupuk",
        unit="sak",
        price=90_000,
        commodity="pupuk_urea",
        commodity_units=50,
    )


def lpg(shop):
    return service.add_product(
        code="LPG3", name="LPG 3 kg", category="gas", unit="tabung", price=18_000, commodity="lpg_3kg"
    )


def rdkk(text: str):
    return service.read_rdkk_csv(text.encode())


def test_a_farmer_buys_within_the_rdkk_allocation_and_is_refused_beyond_it(shop):
    urea = urea_sack(shop)
    assert service.import_rdkk(rdkk(f"nik;komoditas;kg\n{FARMER};urea;150\n"), *SEASON) == 1
    assert service.needs_quota(urea)
    assert service.check_quota(urea, FARMER, 2, on=IN_SEASON) == 50
    assert service.consume_quota(urea, FARMER, 2, key="sale-1", on=IN_SEASON) == 50
    assert service.consume_quota(urea, FARMER, 2, key="sale-1", on=IN_SEASON) == 50  # same key: once
    db.session.commit()
    with pytest.raises(QuotaExceeded) as err:
        service.consume_quota(urea, FARMER, 2, key="sale-2", on=IN_SEASON)
    message = str(err.value.message)
    assert "tersisa 50 kg" in message and "diminta 100 kg" in message and FARMER not in message
    db.session.rollback()
    quota = db.session.scalar(select(Quota))
    assert (quota.allowed, quota.used) == (150, 100)
    assert db.session.scalar(select(func.count()).select_from(QuotaUse)) == 1


def test_a_farmer_not_on_the_list_or_out_of_season_or_without_nik_is_refused(shop):
    urea = urea_sack(shop)
    service.import_rdkk(rdkk(f"nik,komoditas,kg\n{FARMER},urea,150\n"), *SEASON)
    for holder, on, words in (
        (OTHER, IN_SEASON, "tidak terdaftar di RDKK"),
        (FARMER, date(2026, 5, 1), "tidak terdaftar di RDKK"),
        ("", IN_SEASON, "NIK petani wajib"),
    ):
        with pytest.raises(QuotaExceeded) as err:
            service.consume_quota(urea, holder, 1, key=f"k-{holder}-{on}", on=on)
        assert words in str(err.value.message)
        db.session.rollback()
    with pytest.raises(InvalidInventory):
        service.consume_quota(urea, "12345", 1, key="k-short", on=IN_SEASON)
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(QuotaUse)) == 0


def test_a_bad_rdkk_file_is_refused_whole_with_every_line_named(shop):
    shop.product()
    bad = rdkk(
        f"nik;komoditas;kg\n{FARMER};urea;100\n123;urea;5\n{OTHER};bensin;5\n{OTHER};npk;-3\n{FARMER};urea;7\n"
    )
    with pytest.raises(ImportRejected) as err:
        service.import_rdkk(bad, *SEASON)
    assert [(p.line, p.field) for p in err.value.problems] == [
        (3, "nik"),
        (4, "komoditas"),
        (5, "kg"),
        (6, "nik"),
    ]
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(Quota)) == 0
    with pytest.raises(ImportRejected):
        rdkk("nama;kg\nx;1\n")
    with pytest.raises(InvalidInventory):
        service.import_rdkk(rdkk(f"nik;komoditas;kg\n{FARMER};urea;1\n"), SEASON[1], SEASON[0])


def test_reimporting_a_season_updates_allocations_but_never_below_what_was_bought(shop):
    urea = urea_sack(shop)
    service.import_rdkk(rdkk(f"nik;komoditas;kg\n{FARMER};urea;150\n"), *SEASON)
    service.consume_quota(urea, FARMER, 2, key="s1", on=IN_SEASON)
    db.session.commit()
    with pytest.raises(ImportRejected):
        service.import_rdkk(rdkk(f"nik;komoditas;kg\n{FARMER};urea;50\n"), *SEASON)
    db.session.rollback()
    service.import_rdkk(rdkk(f"nik;komoditas;kg\n{FARMER};urea;250\n"), *SEASON)
    assert service.check_quota(urea, FARMER, 3, on=IN_SEASON) == 0


def test_lpg_is_limited_per_household_per_month_once_the_rule_is_set(shop):
    tube = lpg(shop)
    assert not service.needs_quota(tube)
    assert service.consume_quota(tube, None, 5, key="free") is None
    service.set_lpg_quota(4)
    assert service.needs_quota(tube)
    with pytest.raises(QuotaExceeded) as err:
        service.consume_quota(tube, "", 1, key="no-kk")
    assert "Nomor KK" in str(err.value.message)
    db.session.rollback()
    nov, dec = date(2026, 11, 3), date(2026, 12, 1)
    assert service.check_quota(tube, KK, 4, on=nov) == 0
    assert service.consume_quota(tube, KK, 3, key="t1", on=nov) == 1
    db.session.commit()
    with pytest.raises(QuotaExceeded) as err:
        service.consume_quota(tube, KK, 2, key="t2", on=nov)
    assert "tersisa 1 tabung" in str(err.value.message)
    db.session.rollback()
    assert service.consume_quota(tube, KK, 4, key="t3", on=dec) == 0
    db.session.commit()
    with pytest.raises(InvalidInventory):
        service.set_lpg_quota(0)


def test_two_kasir_selling_the_last_quota_at_once_one_succeeds(shop, app):
    tube = lpg(shop)
    service.set_lpg_quota(3)
    service.consume_quota(tube, KK, 2, key="first", on=date(2026, 11, 3))
    db.session.commit()
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def sell(n: int) -> None:
        with app.app_context(), tenant(shop.coop.id):
            barrier.wait()
            try:
                product = service.get_product(tube.id)
                service.consume_quota(product, KK, 1, key=f"race-{n}", on=date(2026, 11, 20))
                db.session.commit()
                outcomes.append("ok")
            except QuotaExceeded:
                db.session.rollback()
                outcomes.append("refused")
            except Exception as err:
                db.session.rollback()
                outcomes.append(repr(err))
            finally:
                db.session.remove()

    threads = [threading.Thread(target=sell, args=(n,)) for n in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["ok", "refused"]
    db.session.expire_all()
    assert db.session.scalar(select(Quota.used)) == 3


def test_the_gudang_loads_rdkk_and_sets_the_lpg_limit_from_the_page(app, client):
    import io

    from core.models import User
    from tests.conftest import add_staff, make_cooperative
    from tests.erp.inventory.conftest import set_up_shop

    coop = make_cooperative()
    set_up_shop(coop)
    staff = add_staff(coop, "gudang")
    client.login(db.session.get(User, staff.id))
    base = f"/k/{coop.slug}/gudang/kuota"
    assert "RDKK" in client.get(base).get_data(as_text=True)
    bad = client.post(
        f"{base}/rdkk",
        {
            "valid_from": "2026-01-01",
            "valid_to": "2026-04-30",
            "file": (io.BytesIO(b"nik;komoditas;kg\n1;urea;5\n"), "r.csv"),
        },
        content_type="multipart/form-data",
    )
    assert bad.status_code == 422 and "nomor anggota" in bad.get_data(as_text=True)
    good = client.post(
        f"{base}/rdkk",
        {
            "valid_from": "2026-01-01",
            "valid_to": "2026-04-30",
            "file": (io.BytesIO(f"nik;komoditas;kg\n{FARMER};urea;100\n".encode()), "r.csv"),
        },
        content_type="multipart/form-data",
    )
    assert good.status_code == 303
    assert client.post(f"{base}/lpg", {"per_month": "0"}).status_code == 422
    assert client.post(f"{base}/lpg", {"per_month": "4"}).status_code == 303
    page = client.get(base).get_data(as_text=True)
    assert "•••• 0001" in page and FARMER not in page and 'value="4"' in page
    with tenant(coop.id):
        assert service.lpg_quota() == 4
