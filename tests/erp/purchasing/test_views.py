"""Purchasing pages: the gudang adds a supplier (a bad NPWP comes back with its reason), orders
two products in rows, prints the PDF, receives part (too much comes back with what is left); the
bendahara records the invoice and pays it; each role sees only what it may."""

from __future__ import annotations

import re
from datetime import date

from sqlalchemy import func, select

from core.db import db
from core.models import User
from erp.purchasing import service
from erp.purchasing.models import GoodsReceipt, PurchaseOrder, Supplier, SupplierPayment
from tenants.context import tenant
from tests.conftest import add_staff, make_cooperative
from tests.erp.purchasing.conftest import set_up_buying


def _key(page: str) -> str:
    return re.search(r'name="idempotency_key" value="([^"]+)"', page).group(1)


def _count(coop, model) -> int:
    with tenant(coop.id):
        return db.session.scalar(select(func.count()).select_from(model))


def test_the_gudang_orders_receives_part_and_the_bendahara_records_the_invoice_and_pays(
    app, client, make_client
):
    coop = make_cooperative()
    buying = set_up_buying(coop)
    gudang = add_staff(coop, "gudang")
    bendahara = add_staff(coop, "bendahara")
    base = f"/k/{coop.slug}/pembelian"
    client.login(db.session.get(User, gudang.id))

    assert "Buat pesanan baru" in client.get(f"{base}/").get_data(as_text=True)
    bad = client.post(f"{base}/pemasok", {"name": "CV Tani Jaya", "kind": "lainnya", "npwp": "12.34"})
    assert bad.status_code == 422 and "NPWP" in bad.get_data(as_text=True)
    assert _count(coop, Supplier) == 1
    added = client.post(
        f"{base}/pemasok",
        {
            "name": "CV Tani Jaya",
            "kind": "lainnya",
            "npwp": "01.234.567.8-901.000",
            "payment_terms_days": "14",
        },
    )
    assert added.status_code == 303
    listing = client.get(f"{base}/pemasok?q=tani").get_data(as_text=True)
    assert "CV Tani Jaya" in listing and "Kanwil Jabar" not in listing

    form = client.get(f"{base}/po/baru").get_data(as_text=True)
    assert "Beras Medium Curah" in form and "<script>" not in form and "style=" not in form
    rows = {
        "supplier_id": str(buying.supplier.id),
        "lines-0-product_id": str(buying.rice.id),
        "lines-0-quantity": "10",
        "lines-0-unit": "karung",
        "lines-0-unit_price": "600.000",
        "lines-2-product_id": str(buying.oil.id),
        "lines-2-quantity": "5",
        "lines-2-unit": "sak",
        "lines-2-unit_price": "180000",
    }
    wrong_unit = client.post(f"{base}/po", rows)
    page = wrong_unit.get_data(as_text=True)
    assert wrong_unit.status_code == 422 and "Satuan sak tidak dikenal" in page
    assert 'id="lines.2.unit-error"' in page  # the message sits by the row it is about
    assert _count(coop, PurchaseOrder) == 0
    created = client.post(f"{base}/po", {**rows, "lines-2-unit": "dus", "lines-0-quantity": "9"})
    assert created.status_code == 303
    order_url = created.location
    edit = client.get(f"{order_url}/ubah").get_data(as_text=True)
    assert 'name="lines-0-quantity" inputmode="numeric" value="9"' in edit
    assert client.post(f"{order_url}/ubah", {**rows, "lines-2-unit": "dus"}).status_code == 303
    order_page = client.get(order_url).get_data(as_text=True)
    assert "PO/" in order_page and "Pesan ke pemasok" in order_page
    order_id = int(order_url.rstrip("/").rsplit("/", 1)[1])
    assert client.post(f"{order_url}/pesan").status_code == 303
    pdf = client.get(f"{order_url}/pdf")
    assert pdf.status_code == 200 and pdf.headers["Content-Type"] == "application/pdf"
    assert pdf.data.startswith(b"%PDF")

    with tenant(coop.id):
        lines = service.order_lines(order_id)
    page = client.get(order_url).get_data(as_text=True)
    receive = {
        "idempotency_key": _key(page),
        "location_id": str(buying.shop.gudang.id),
        "lines-0-order_line_id": str(lines[0][0].id),
        "lines-0-quantity": "11",
        "lines-1-order_line_id": str(lines[1][0].id),
        "lines-1-quantity": "5",
    }
    too_much = client.post(f"{order_url}/terima", receive)
    text = too_much.get_data(as_text=True)
    assert too_much.status_code == 422 and "melebihi pesanan" in text and "sisa 10" in text
    assert _count(coop, GoodsReceipt) == 0
    received = client.post(f"{order_url}/terima", {**receive, "lines-0-quantity": "4"})
    assert received.status_code == 303
    receipt_page = client.get(received.location).get_data(as_text=True)
    assert "GR/" in receipt_page and "belum ditagih" in receipt_page
    assert "sebagian diterima" in client.get(order_url).get_data(as_text=True)

    # the gudang may not record invoices; the bendahara may, and pays
    assert client.post(f"{base}/pemasok/{buying.supplier.id}/tagihan", {"number": "X"}).status_code == 403
    teller = make_client()
    teller.login(db.session.get(User, bendahara.id))
    with tenant(coop.id):
        receipt = service.receipts(supplier_id=buying.supplier.id)[0]
    supplier_page = teller.get(f"{base}/pemasok/{buying.supplier.id}").get_data(as_text=True)
    assert receipt.number in supplier_page and "Catat tagihan" in supplier_page
    invoice_form = {
        "receipt_ids": str(receipt.id),
        "number": "INV/BLG/77",
        "invoice_date": date.today().isoformat(),
        "amount": str(receipt.total + 15_000),
    }
    unexplained = teller.post(f"{base}/pemasok/{buying.supplier.id}/tagihan", invoice_form)
    assert unexplained.status_code == 422 and "tulis alasannya" in unexplained.get_data(as_text=True)
    recorded = teller.post(
        f"{base}/pemasok/{buying.supplier.id}/tagihan", {**invoice_form, "difference_note": "ongkos bongkar"}
    )
    assert recorded.status_code == 303
    invoice_page = teller.get(recorded.location).get_data(as_text=True)
    total = receipt.total + 15_000
    pay = {"idempotency_key": _key(invoice_page), "amount": str(total + 1), "method": "kas"}
    over = teller.post(f"{recorded.location}/bayar", pay)
    assert over.status_code == 422 and "melebihi sisa tagihan" in over.get_data(as_text=True)
    assert _count(coop, SupplierPayment) == 0
    assert teller.post(f"{recorded.location}/bayar", {**pay, "amount": "1000000"}).status_code == 303
    again = teller.post(f"{recorded.location}/bayar", {**pay, "amount": "1000000"})  # sent twice
    assert again.status_code == 303 and _count(coop, SupplierPayment) == 1
    payables = teller.get(f"{base}/utang").get_data(as_text=True)
    assert "Umur utang" in payables and "CV Tani Jaya" not in payables


def test_roles_outside_purchasing_are_refused_and_the_menu_shows_it_to_those_inside(app, client, make_client):
    coop = make_cooperative()
    set_up_buying(coop)
    kasir = add_staff(coop, "kasir")
    pengawas = add_staff(coop, "pengawas")
    client.login(db.session.get(User, kasir.id))
    assert client.get(f"/k/{coop.slug}/pembelian/").status_code == 403
    client = make_client()
    client.login(db.session.get(User, pengawas.id))
    home = client.get(f"/k/{coop.slug}/").get_data(as_text=True)
    assert "Pembelian" in home
    page = client.get(f"/k/{coop.slug}/pembelian/pemasok").get_data(as_text=True)
    assert "Tambah pemasok" not in page
    assert (
        client.post(f"/k/{coop.slug}/pembelian/pemasok", {"name": "X", "kind": "lainnya"}).status_code == 403
    )


def _invoiced(coop, buying, amount: int):
    from erp.purchasing.service import ReceiptLineInput

    with tenant(coop.id):
        receipt = service.receive_goods(
            supplier_id=buying.supplier.id,
            location_id=buying.shop.gudang.id,
            lines=[
                ReceiptLineInput(
                    quantity=amount // 600_000, product_id=buying.rice.id, unit="karung", unit_price=600_000
                )
            ],
            idempotency_key=f"view-gr-{coop.id}-{amount}",
        )
        invoice = service.record_invoice(
            buying.supplier.id, [receipt.id], number=f"F-{amount}", invoice_date=date.today(), amount=amount
        )
        line = service.receipt_lines(receipt.id)[0][0]
        return invoice.id, line.id


def test_a_large_payment_waits_for_a_second_person_who_approves_it_on_the_list(app, client, make_client):
    coop = make_cooperative()
    buying = set_up_buying(coop)
    bendahara = add_staff(coop, "bendahara")
    ketua = add_staff(coop, "ketua")
    invoice_id, _line = _invoiced(coop, buying, 18_000_000)
    base = f"/k/{coop.slug}/pembelian"
    client.login(db.session.get(User, bendahara.id))
    page = client.get(f"{base}/tagihan/{invoice_id}").get_data(as_text=True)
    asked = client.post(
        f"{base}/tagihan/{invoice_id}/bayar",
        {"idempotency_key": _key(page), "amount": "12.000.000", "method": "bank", "reference": "BG 1188"},
    )
    assert asked.status_code == 303
    page = client.get(asked.location).get_data(as_text=True)
    assert "menunggu persetujuan orang kedua" in page and "Setujui" not in page
    assert _count(coop, SupplierPayment) == 0
    own = client.get(f"{base}/persetujuan").get_data(as_text=True)
    assert "Anda yang mengajukan" in own
    from erp.purchasing.models import PaymentRequest

    with tenant(coop.id):
        request_id = db.session.scalar(select(PaymentRequest.id))
    assert client.post(f"{base}/persetujuan/{request_id}/setujui").status_code == 303
    assert _count(coop, SupplierPayment) == 0  # the maker's own approval was refused

    checker = make_client()
    checker.login(db.session.get(User, ketua.id))
    listing = checker.get(f"{base}/persetujuan").get_data(as_text=True)
    assert "Rp 12.000.000" in listing and "BG 1188" in listing and "style=" not in listing
    assert checker.post(f"{base}/persetujuan/{request_id}/setujui").status_code == 303
    assert _count(coop, SupplierPayment) == 1
    invoice_page = checker.get(f"{base}/tagihan/{invoice_id}").get_data(as_text=True)
    assert "Rp 6.000.000" in invoice_page and "disetujui" in invoice_page
    bad = checker.post(f"{base}/persetujuan/batas", {"payment_approval_threshold": "0"})
    assert bad.status_code == 422
    assert (
        checker.post(f"{base}/persetujuan/batas", {"payment_approval_threshold": "5.000.000"}).status_code
        == 303
    )
    with tenant(coop.id):
        assert service.payment_threshold() == 5_000_000


def test_the_gudang_sends_sacks_back_with_the_credit_note_and_too_many_comes_back_with_what_is_left(
    app, client
):
    coop = make_cooperative()
    buying = set_up_buying(coop)
    gudang = add_staff(coop, "gudang")
    invoice_id, line_id = _invoiced(coop, buying, 3_000_000)  # 5 karung
    base = f"/k/{coop.slug}/pembelian"
    client.login(db.session.get(User, gudang.id))
    form = client.get(f"{base}/tagihan/{invoice_id}/nota-kredit").get_data(as_text=True)
    assert "Beras Medium Curah" in form and "paling banyak 5" in form and "style=" not in form
    sent = {
        "idempotency_key": _key(form),
        "number": "NK/BLG/5",
        "credit_date": date.today().isoformat(),
        "amount": "1.200.000",
        "reason": "rusak",
        "lines-0-receipt_line_id": str(line_id),
        "lines-0-quantity": "6",
    }
    too_many = client.post(f"{base}/tagihan/{invoice_id}/nota-kredit", sent)
    assert too_many.status_code == 422 and "paling banyak 5" in too_many.get_data(as_text=True)
    from erp.purchasing.models import SupplierCredit

    assert _count(coop, SupplierCredit) == 0
    done = client.post(f"{base}/tagihan/{invoice_id}/nota-kredit", {**sent, "lines-0-quantity": "2"})
    assert done.status_code == 303
    page = client.get(done.location).get_data(as_text=True)
    assert "NK/BLG/5" in page and "Rp 1.800.000" in page and "2 karung" in page
    supplier_page = client.get(f"{base}/pemasok/{buying.supplier.id}").get_data(as_text=True)
    assert "Nota kredit: Barang rusak" in supplier_page


def test_goods_sent_back_before_the_invoice_come_off_the_receipt_and_an_invoiced_receipt_leads_to_its_invoice(
    app, client
):
    from erp.purchasing.service import ReceiptLineInput

    coop = make_cooperative()
    buying = set_up_buying(coop)
    gudang = add_staff(coop, "gudang")
    with tenant(coop.id):
        receipt = service.receive_goods(
            supplier_id=buying.supplier.id,
            location_id=buying.shop.gudang.id,
            lines=[ReceiptLineInput(quantity=4, product_id=buying.oil.id, unit="dus", unit_price=180_000)],
            idempotency_key="view-gr-oil-1",
        )
        line_id = service.receipt_lines(receipt.id)[0][0].id
    base = f"/k/{coop.slug}/pembelian"
    client.login(db.session.get(User, gudang.id))
    page = client.get(f"{base}/penerimaan/{receipt.id}").get_data(as_text=True)
    assert "Retur barang / nota kredit" in page
    form = client.get(f"{base}/penerimaan/{receipt.id}/nota-kredit").get_data(as_text=True)
    done = client.post(
        f"{base}/penerimaan/{receipt.id}/nota-kredit",
        {
            "idempotency_key": _key(form),
            "number": "NK-MINYAK-1",
            "credit_date": date.today().isoformat(),
            "amount": "180000",
            "reason": "salah_kirim",
            "lines-0-receipt_line_id": str(line_id),
            "lines-0-quantity": "1",
        },
    )
    assert done.status_code == 303 and done.location.endswith(f"/penerimaan/{receipt.id}")
    page = client.get(done.location).get_data(as_text=True)
    assert "NK-MINYAK-1" in page and "diretur 1" in page
    db.session.expire_all()
    with tenant(coop.id):
        assert service.get_receipt(receipt.id).unbilled == 540_000
        invoice = service.record_invoice(
            buying.supplier.id, [receipt.id], number="F-OIL", invoice_date=date.today(), amount=540_000
        )
    moved = client.get(f"{base}/penerimaan/{receipt.id}/nota-kredit")
    assert moved.status_code == 303 and moved.location.endswith(f"/tagihan/{invoice.id}/nota-kredit")
