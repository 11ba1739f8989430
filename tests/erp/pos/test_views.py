"""The counter with keyboard and scanner alone: open a shift, scan, pay, print (the original, then
copies); discounts only for those allowed; a return with a supervisor's PIN; close the shift and
read the Z report; the gudang adds and receives."""

from __future__ import annotations

import re

from sqlalchemy import func, select

from core.db import db
from core.models import User
from erp.inventory import service as inventory
from erp.pos import service
from erp.pos.models import Sale, SaleReturn, Shift
from tenants.context import tenant
from tests.conftest import PASSWORD, add_staff, make_cooperative
from tests.erp.inventory.conftest import set_up_shop


def _key(page: str) -> str:
    return re.search(r'name="idempotency_key" value="([^"]+)"', page).group(1)


def _open(client, base: str) -> None:
    page = client.get(f"{base}/").get_data(as_text=True)
    assert "Buka shift" in page
    assert client.post(f"{base}/shift/buka", {"opening_float": "x"}).status_code == 422
    assert client.post(f"{base}/shift/buka", {"opening_float": "100.000"}).status_code == 303


def test_the_kasir_opens_a_shift_scans_pays_in_cash_and_prints_the_receipt(app, client):
    coop = make_cooperative()
    shop = set_up_shop(coop)
    kasir = add_staff(coop, "kasir")
    with tenant(coop.id):
        rice = shop.product(code="4006381333931", price=13_000, het=13_500)
        shop.receive(rice, 10, 110_000)
    client.login(db.session.get(User, kasir.id))
    base = f"/k/{coop.slug}/kasir"
    _open(client, base)
    assert client.post(f"{base}/tambah", {"code": "4006381333931", "quantity": "2"}).status_code == 303
    unknown = client.post(f"{base}/tambah", {"code": "4006381333932"})
    assert unknown.status_code == 422 and "tidak dikenal" in unknown.get_data(as_text=True)
    refused = client.post(f"{base}/potongan/{rice.id}", {"discount": "1000"})
    assert refused.status_code == 403 and "tidak berwenang" in refused.get_data(as_text=True)
    page = client.get(f"{base}/").get_data(as_text=True)
    assert "26.000" in page and "pos.js" in page and "<script>" not in page
    short = client.post(f"{base}/bayar", {"tunai": "20000", "idempotency_key": _key(page)})
    assert short.status_code == 422 and "kurang" in short.get_data(as_text=True)
    paid = client.post(f"{base}/bayar", {"tunai": "30.000", "idempotency_key": _key(page)})
    assert paid.status_code == 303
    receipt = client.get(paid.headers["Location"]).get_data(as_text=True)
    assert "4.000" in receipt and "pos.css" in receipt and "style=" not in receipt
    assert "SALINAN" not in receipt
    copy = client.get(paid.headers["Location"] + "?lebar=58").get_data(as_text=True)
    assert "SALINAN 1" in copy and "receipt-58" in copy
    pdf = client.get(paid.headers["Location"] + ".pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    with tenant(coop.id):
        assert db.session.scalar(select(func.count()).select_from(Sale)) == 1
        assert inventory.on_hand(rice.id) == 8
    search = client.get(f"{base}/cari?q=beras").get_json()
    assert [hit["code"] for hit in search] == ["4006381333931"]


def test_a_manager_discounts_a_line_and_pays_split(app, client):
    coop = make_cooperative()
    shop = set_up_shop(coop)
    manajer = add_staff(coop, "manajer")
    with tenant(coop.id):
        rice = shop.product(code="BRS-5", price=13_000)
        shop.receive(rice, 10, 100_000)
    client.login(db.session.get(User, manajer.id))
    base = f"/k/{coop.slug}/kasir"
    _open(client, base)
    client.post(f"{base}/tambah", {"code": "brs-5", "quantity": "3"})
    assert client.post(f"{base}/potongan/{rice.id}", {"discount": "1500"}).status_code == 303
    page = client.get(f"{base}/").get_data(as_text=True)
    assert "37.500" in page
    no_ref = client.post(f"{base}/bayar", {"qris": "20000", "tunai": "20000", "idempotency_key": _key(page)})
    assert no_ref.status_code == 422 and "referensi" in no_ref.get_data(as_text=True)
    paid = client.post(
        f"{base}/bayar",
        {"qris": "20000", "qris_reference": "QR-778", "tunai": "20000", "idempotency_key": _key(page)},
    )
    assert paid.status_code == 303
    receipt = client.get(paid.headers["Location"]).get_data(as_text=True)
    assert "QR-778" in receipt and "2.500" in receipt  # change from cash only


def test_a_return_with_a_supervisor_pin_then_close_and_z_report(app, client, make_client):
    coop = make_cooperative()
    shop = set_up_shop(coop)
    kasir = add_staff(coop, "kasir")
    supervisor = add_staff(coop, "manajer")
    with tenant(coop.id):
        rice = shop.product(code="BRS-9", price=13_000)
        shop.receive(rice, 10, 100_000)
    boss = make_client()
    boss.login(db.session.get(User, supervisor.id))
    bad = boss.post(
        f"/k/{coop.slug}/kasir/pin", {"pin": "111111", "pin_again": "111111", "password": PASSWORD}
    )
    assert bad.status_code == 422 and "mudah" in bad.get_data(as_text=True)
    wrong_pw = boss.post(
        f"/k/{coop.slug}/kasir/pin", {"pin": "582914", "pin_again": "582914", "password": "x"}
    )
    assert wrong_pw.status_code == 422
    assert (
        boss.post(
            f"/k/{coop.slug}/kasir/pin", {"pin": "582914", "pin_again": "582914", "password": PASSWORD}
        ).status_code
        == 303
    )
    client.login(db.session.get(User, kasir.id))
    base = f"/k/{coop.slug}/kasir"
    _open(client, base)
    assert client.get(f"{base}/pin").status_code == 403
    client.post(f"{base}/tambah", {"code": "BRS-9", "quantity": "2"})
    page = client.get(f"{base}/").get_data(as_text=True)
    sale_url = client.post(f"{base}/bayar", {"idempotency_key": _key(page)}).headers["Location"]
    sale_id = int(sale_url.rsplit("/", 1)[1])
    with tenant(coop.id):
        line_id = service.receipt(sale_id).lines[0][0].id
    form_page = client.get(f"{base}/penjualan/{sale_id}").get_data(as_text=True)
    assert "582914" not in form_page and supervisor.name in form_page
    form = {
        f"q-{line_id}": "1",
        "reason": "Karung sobek",
        "supervisor_id": str(supervisor.id),
        "pin": "000000",
        "idempotency_key": _key(form_page),
    }
    wrong = client.post(f"{base}/penjualan/{sale_id}/retur", form)
    assert wrong.status_code == 422 and "PIN supervisor salah" in wrong.get_data(as_text=True)
    with tenant(coop.id):
        assert db.session.scalar(select(func.count()).select_from(SaleReturn)) == 0
    done = client.post(f"{base}/penjualan/{sale_id}/retur", {**form, "pin": "582914"})
    assert done.status_code == 303
    with tenant(coop.id):
        assert inventory.on_hand(rice.id) == 9
    closing = client.get(f"{base}/shift/tutup").get_data(as_text=True)
    assert "100.000" in closing
    closed = client.post(f"{base}/shift/tutup", {"d100000": "1", "d10000": "1", "d2000": "1", "d1000": "1"})
    assert closed.status_code == 303
    with tenant(coop.id):
        shift = db.session.scalar(select(Shift))
        assert (shift.expected_cash, shift.counted_cash, shift.variance) == (113_000, 113_000, 0)
    report = client.get(closed.headers["Location"]).get_data(as_text=True)
    assert "Laporan Z" in report and "26.000" in report and "13.000" in report
    assert client.get(f"{base}/laporan-z.pdf").data.startswith(b"%PDF")
    assert "Buka shift" in client.get(f"{base}/").get_data(as_text=True)


def test_kasbon_page_limits_and_repayment(app, client):
    from tests.erp.membership.factories import make_member

    coop = make_cooperative()
    set_up_shop(coop)
    manajer = add_staff(coop, "manajer")
    with tenant(coop.id):
        member = make_member()
    client.login(db.session.get(User, manajer.id))
    base = f"/k/{coop.slug}/kasir"
    assert (
        client.post(f"{base}/pengaturan", {"default_credit_limit": "-5", "receipt_width": "80"}).status_code
        == 422
    )
    assert (
        client.post(
            f"{base}/pengaturan", {"default_credit_limit": "50000", "receipt_width": "58"}
        ).status_code
        == 303
    )
    page = client.get(f"{base}/kasbon?anggota={member.member_number}").get_data(as_text=True)
    assert "50.000" in page
    assert (
        client.post(f"{base}/kasbon/{member.member_number}/batas", {"credit_limit": "75000"}).status_code
        == 303
    )
    assert "75.000" in client.get(f"{base}/kasbon?anggota={member.member_number}").get_data(as_text=True)
    assert client.get(f"{base}/kasbon?anggota=X-404").status_code == 404


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
