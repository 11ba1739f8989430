"""Subsidised goods at the counter: fertiliser against the farmer's RDKK quota (NIK), LPG 3 kg
against the household's monthly limit (KK), taken from the member when known, checked before
payment and counted in the checkout's transaction; and the counter sells only what Kophub orders
have not reserved. Refusals name what remains and write nothing."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from core.db import db
from core.models import User
from erp.inventory import service as inventory
from erp.inventory.models import Quota, QuotaUse, StockMove
from erp.inventory.service import InvalidInventory, QuotaExceeded
from erp.pos import service
from erp.pos.models import Sale
from erp.pos.service import CartLine, OutOfStock
from tenants.context import tenant
from tests.conftest import add_staff, make_cooperative
from tests.erp.inventory.conftest import key, set_up_shop
from tests.erp.membership.factories import make_member

TODAY = date.today()
SEASON = (TODAY - timedelta(days=30), TODAY + timedelta(days=90))
FARMER = "3204124107850001"  # a farmer on the RDKK list who is not a member


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def _written() -> tuple[int, ...]:
    return tuple(_count(m) for m in (Sale, StockMove, QuotaUse))


def _sell(counter, lines, **kw):
    return service.checkout(
        lines,
        location_id=counter.shop.gerai.id,
        idempotency_key=kw.pop("key", key()),
        kasir_id=counter.kasir.id,
        payment_method="tunai",
        **kw,
    )


def _urea(counter, stock: int = 20):
    product = inventory.add_product(
        code="UREA-50",
        name="Urea 50 kg",
        category="pupuk",
        unit="sak",
        price=90_000,
        commodity="pupuk_urea",
        commodity_units=50,
    )
    counter.shop.receive(product, stock, stock * 85_000)
    return product


def _lpg(counter, stock: int = 20):
    product = inventory.add_product(
        code="LPG3", name="LPG 3 kg", category="gas", unit="tabung", price=18_000, commodity="lpg_3kg"
    )
    counter.shop.receive(product, stock, stock * 16_000)
    return product


def _rdkk(rows: str) -> None:
    inventory.import_rdkk(inventory.read_rdkk_csv(f"nik;komoditas;kg\n{rows}".encode()), *SEASON)


def test_a_member_buys_fertiliser_against_the_rdkk_quota_of_their_own_nik(counter):
    urea = _urea(counter)
    member = make_member()
    _rdkk(f"{member.nik};urea;150\n")
    left = service.check_quotas([CartLine(urea.id, 2)], member_number=member.member_number)
    assert [(q.bought, q.left, q.unit, q.holder_kind) for q in left] == [(100, 50, "kg", "nik")]
    assert member.nik not in left[0].holder and left[0].holder.endswith(member.nik[-4:])
    assert _count(QuotaUse) == 0  # the check writes nothing
    sale = _sell(counter, [CartLine(urea.id, 2)], member_number=member.member_number)
    assert sale.member_id == member.id
    quota = db.session.scalar(select(Quota))
    assert (quota.allowed, quota.used) == (150, 100)
    assert _count(QuotaUse) == 1

    before = _written()
    with pytest.raises(QuotaExceeded) as err:
        service.check_quotas([CartLine(urea.id, 2)], member_number=member.member_number)
    assert "tersisa 50 kg" in str(err.value.message) and "diminta 100 kg" in str(err.value.message)
    with pytest.raises(QuotaExceeded) as err:
        _sell(counter, [CartLine(urea.id, 2)], member_number=member.member_number)
    assert "tersisa 50 kg" in str(err.value.message)
    assert "lines" in err.value.fields
    assert _written() == before
    assert inventory.on_hand(urea.id) == 18
    assert db.session.scalar(select(Quota.used)) == 100


def test_a_farmer_who_is_not_a_member_gives_the_nik_and_two_packs_count_together(counter):
    urea = _urea(counter)
    small = inventory.add_product(
        code="UREA-5",
        name="Urea 5 kg",
        category="pupuk",
        unit="pak",
        price=9_000,
        commodity="pupuk_urea",
        commodity_units=5,
    )
    counter.shop.receive(small, 10, 80_000)
    _rdkk(f"{FARMER};urea;110\n")
    before = _written()
    with pytest.raises(QuotaExceeded) as err:  # 100 kg + 3 × 5 kg = 115 kg > 110 kg
        _sell(counter, [CartLine(urea.id, 2), CartLine(small.id, 3)], quota_nik=FARMER)
    assert "tersisa 10 kg" in str(err.value.message)
    assert _written() == before
    left = service.check_quotas([CartLine(urea.id, 2), CartLine(small.id, 2)], quota_nik=FARMER)
    assert [(q.bought, q.left) for q in left] == [(110, 0)]
    _sell(counter, [CartLine(urea.id, 2), CartLine(small.id, 2)], quota_nik="3204 1241 0785 0001")
    assert db.session.scalar(select(Quota.used)) == 110


@pytest.mark.parametrize(
    "kw, field, words",
    [
        ({}, "quota_nik", "NIK petani wajib diisi"),
        ({"quota_nik": "12345"}, "quota_nik", "16 angka"),
        ({"quota_nik": "3204120101900009"}, "quota_nik", "tidak terdaftar di RDKK"),
    ],
)
def test_fertiliser_without_a_listed_nik_is_refused_and_nothing_written(counter, kw, field, words):
    urea = _urea(counter)
    _rdkk(f"{FARMER};urea;150\n")
    before = _written()
    with pytest.raises((QuotaExceeded, InvalidInventory)) as err:
        _sell(counter, [CartLine(urea.id, 1)], **kw)
    assert words in str(err.value.message)
    assert field in err.value.fields
    assert _written() == before
    assert inventory.on_hand(urea.id) == 20


def test_lpg_counts_per_household_kk_per_month_once_the_cooperative_sets_a_limit(counter):
    tube = _lpg(counter)
    member = make_member()
    assert service.quota_kind(tube) is None  # no limit set: sold freely, no KK asked
    _sell(counter, [CartLine(tube.id, 5)])
    inventory.set_lpg_quota(4)
    assert service.quota_kind(tube) == "kk"
    left = service.check_quotas([CartLine(tube.id, 3)], member_number=member.member_number)
    assert [(q.bought, q.left, q.holder_kind) for q in left] == [(3, 1, "kk")]
    _sell(counter, [CartLine(tube.id, 3)], member_number=member.member_number)
    before = _written()
    with pytest.raises(QuotaExceeded) as err:  # the same KK typed at the counter, no member
        _sell(counter, [CartLine(tube.id, 2)], quota_kk=member.kk_number)
    assert "tersisa 1 tabung" in str(err.value.message)
    assert "lines" in err.value.fields
    assert _written() == before
    with pytest.raises(QuotaExceeded) as err:
        _sell(counter, [CartLine(tube.id, 1)])
    assert "Nomor KK pembeli wajib diisi" in str(err.value.message)
    assert "quota_kk" in err.value.fields


def test_a_repeated_checkout_counts_the_quota_once(counter):
    urea = _urea(counter)
    _rdkk(f"{FARMER};urea;500\n")
    first = _sell(counter, [CartLine(urea.id, 2)], quota_nik=FARMER, key="same-sale-key")
    again = _sell(counter, [CartLine(urea.id, 2)], quota_nik=FARMER, key="same-sale-key")
    assert first.id == again.id
    assert db.session.scalar(select(Quota.used)) == 100 and _count(QuotaUse) == 1


def test_the_counter_sells_only_what_kophub_orders_have_not_reserved(counter):
    rice = counter.shop.product()
    counter.shop.receive(rice, 5, 50_000)
    inventory.reserve(rice.id, counter.shop.gerai.id, 3, key="kophub-order-1")
    db.session.commit()
    before = _written()
    with pytest.raises(OutOfStock) as err:
        _sell(counter, [CartLine(rice.id, 3)])
    message = str(err.value.message)
    assert "tersedia 2" in message and "3 karung sudah dipesan lewat Kophub" in message
    assert _written() == before
    assert inventory.on_hand(rice.id) == 5
    _sell(counter, [CartLine(rice.id, 2)])
    assert inventory.on_hand(rice.id) == 3 and inventory.available(rice.id, counter.shop.gerai.id) == 0


def test_the_counter_asks_for_the_quota_before_payment_and_sells_within_it(app, client):
    coop = make_cooperative()
    shop = set_up_shop(coop)
    kasir = add_staff(coop, "kasir")
    with tenant(coop.id):
        urea = inventory.add_product(
            code="UREA-50",
            name="Urea 50 kg",
            category="pupuk",
            unit="sak",
            price=90_000,
            commodity="pupuk_urea",
            commodity_units=50,
        )
        shop.receive(urea, 10, 850_000)
        rice = shop.product(code="BERAS-5", price=62_500)
        shop.receive(rice, 10, 550_000)
        member = make_member()
        _rdkk(f"{member.nik};urea;150\n")
        service.open_shift(kasir_id=kasir.id, location_id=shop.gerai.id, opening_float=0)
    client.login(db.session.get(User, kasir.id))
    base = f"/k/{coop.slug}/kasir"
    client.post(f"{base}/tambah", {"code": "BERAS-5"})
    assert 'id="quota"' not in client.get(f"{base}/").get_data(as_text=True)  # rice needs no quota
    client.post(f"{base}/tambah", {"code": "UREA-50", "quantity": "4"})
    page = client.get(f"{base}/").get_data(as_text=True)
    assert 'id="quota"' in page and 'name="quota_nik"' in page and 'name="quota_kk"' not in page
    refused = client.post(f"{base}/kuota", {"member_number": member.member_number})
    text = refused.get_data(as_text=True)
    assert refused.status_code == 422 and "tersisa 150 kg" in text and "diminta 200 kg" in text
    assert member.nik not in text
    paid = client.post(
        f"{base}/bayar", {"member_number": member.member_number, "idempotency_key": "quota-sale-1"}
    )
    assert paid.status_code == 422 and "tersisa 150 kg" in paid.get_data(as_text=True)
    client.post(f"{base}/hapus/{urea.id}")
    client.post(f"{base}/tambah", {"code": "UREA-50", "quantity": "2"})
    checked = client.post(f"{base}/kuota", {"member_number": member.member_number})
    text = checked.get_data(as_text=True)
    assert checked.status_code == 200 and "sisa kuota sesudahnya 50 kg" in text
    assert f'name="member_number" id="member" autocomplete="off" value="{member.member_number}"' in text
    paid = client.post(
        f"{base}/bayar",
        {"member_number": member.member_number, "idempotency_key": _key_of(text)},
    )
    assert paid.status_code == 303
    with tenant(coop.id):
        assert db.session.scalar(select(Quota.used)) == 100
        assert db.session.scalar(select(Sale.member_id)) == member.id


def _key_of(page: str) -> str:
    import re

    found = re.search(r'name="idempotency_key" value="([^"]+)"', page)
    assert found is not None
    return found.group(1)


def test_returned_and_voided_fertiliser_goes_back_to_the_farmers_quota_once(counter):
    from erp.pos.service import ReturnRequest
    from tests.erp.pos.conftest import PIN

    urea = _urea(counter)
    _rdkk(f"{FARMER};urea;250\n")
    supervisor = {"kasir_id": counter.kasir.id, "supervisor_id": counter.supervisor.id, "supervisor_pin": PIN}
    sale = _sell(counter, [CartLine(urea.id, 3)], quota_nik=FARMER)
    assert db.session.scalar(select(Quota.used)) == 150
    [line] = [line for line, _ in service.receipt(sale.id).lines]
    back_key = key()
    for _ in range(2):  # the same return sent twice gives back once
        service.return_items(
            sale.id, [ReturnRequest(line.id, 1)], reason="Sak sobek", idempotency_key=back_key, **supervisor
        )
    assert db.session.scalar(select(Quota.used)) == 100
    other = _sell(counter, [CartLine(urea.id, 2)], quota_nik=FARMER)  # the 50 kg given back is for sale again
    assert db.session.scalar(select(Quota.used)) == 200
    service.void_sale(other.id, reason="Salah input", idempotency_key=key(), **supervisor)
    service.return_items(
        sale.id, [ReturnRequest(line.id, 2)], reason="Tidak jadi", idempotency_key=key(), **supervisor
    )
    assert db.session.scalar(select(Quota.used)) == 0
    uses = db.session.scalar(select(func.sum(QuotaUse.quantity)))
    assert uses == 0  # every purchase and every give-back is a row; they add up to what is used


def test_a_return_of_goods_without_a_quota_touches_no_quota(counter):
    from erp.pos.service import ReturnRequest
    from tests.erp.pos.conftest import PIN

    rice = counter.shop.product(price=13_000)
    counter.shop.receive(rice, 5, 50_000)
    sale = _sell(counter, [CartLine(rice.id, 2)])
    [line] = [line for line, _ in service.receipt(sale.id).lines]
    service.return_items(
        sale.id,
        [ReturnRequest(line.id, 1)],
        reason="Salah beli",
        idempotency_key=key(),
        kasir_id=counter.kasir.id,
        supervisor_id=counter.supervisor.id,
        supervisor_pin=PIN,
    )
    assert _count(QuotaUse) == 0 and inventory.on_hand(rice.id) == 4
