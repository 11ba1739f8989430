"""In a real browser: the gudang orders rice by the karung and oil by the dus from Bulog, sends the
order, receives part of it (a lot-tracked product needs its lot), the bendahara records the
supplier's invoice with a difference and pays it in two parts; the aging list and the books agree.
With KOPDES_SCREENSHOTS=1 the pages are saved as PNGs (`screenshots/purchasing-*.png`) at 360 px
(KOPDES_SCREENSHOTS_WIDE=1: desktop width)."""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path
from typing import Any

from playwright.sync_api import expect

from erp.ledger import service as ledger
from erp.purchasing import service
from tenants.context import tenant
from tests.conftest import add_staff, make_cooperative, make_user
from tests.e2e.test_browser import sign_in
from tests.erp.purchasing.conftest import set_up_buying

OUT = Path(os.environ.get("KOPDES_SCREENSHOTS_DIR") or Path(__file__).resolve().parents[2] / "screenshots")
PHONE = {"width": 360, "height": 740}


def shoot(page: Any, name: str) -> None:
    if os.environ.get("KOPDES_SCREENSHOTS"):
        OUT.mkdir(exist_ok=True)
        page.screenshot(
            path=str(OUT / f"purchasing-{name}-{page.viewport_size['width']}.png"), full_page=True
        )


def _row(page: Any, n: int) -> Any:
    return page.locator("fieldset.goods-row").nth(n)


def test_a_po_for_two_products_is_received_in_part_invoiced_and_paid(app, new_page):
    coop = make_cooperative()
    buying = set_up_buying(coop)
    gudang = add_staff(coop, "gudang", user=make_user("Joko Widodo"))
    bendahara = add_staff(coop, "bendahara", user=make_user("Rina Marlina"))
    wide = bool(os.environ.get("KOPDES_SCREENSHOTS_WIDE"))
    page = new_page(**({} if wide else {"viewport": PHONE}))
    sign_in(page, gudang)
    base = f"/k/{coop.slug}/pembelian"

    page.goto(f"{base}/pemasok")
    shoot(page, "suppliers")
    page.goto(f"{base}/po/baru")
    page.locator("select[name=supplier_id]").select_option(label="Perum Bulog Kanwil Jabar")
    first, second = _row(page, 0), _row(page, 1)
    first.locator("select[name$=product_id]").select_option(value=str(buying.rice.id))
    first.get_by_label("Jumlah barang").fill("10")
    first.locator("select[name$=unit]").select_option("karung")
    first.get_by_label("Harga per satuan (Rp)").fill("600.000")
    second.locator("select[name$=product_id]").select_option(value=str(buying.oil.id))
    second.get_by_label("Jumlah barang").fill("5")
    second.locator("select[name$=unit]").select_option("dus")
    second.get_by_label("Harga per satuan (Rp)").fill("180000")
    shoot(page, "order-new")
    page.get_by_role("button", name="Simpan sebagai draf").click()
    expect(page.locator("h1")).to_contain_text("PO/")
    expect(page.locator("h1 .badge")).to_have_text("draf")
    page.get_by_role("button", name="Pesan ke pemasok").click()
    expect(page.locator("h1 .badge")).to_have_text("dipesan")
    expect(page.get_by_role("link", name="PDF untuk pemasok")).to_be_visible()
    shoot(page, "order")

    # part of the rice and all the oil arrive; too much rice first comes back with what is left
    page.get_by_label("Jumlah diterima Beras Medium Curah").fill("12")
    page.get_by_label("Jumlah diterima MinyaKita 1 L").fill("5")
    page.get_by_role("button", name="Catat penerimaan").click()
    expect(page.locator(".flash.error")).to_contain_text("sisa 10")
    shoot(page, "order-over")
    page.get_by_label("Jumlah diterima Beras Medium Curah").fill("4")
    page.get_by_role("button", name="Catat penerimaan").click()
    expect(page.locator("h1")).to_contain_text("GR/")
    expect(page.locator("main")).to_contain_text("belum ditagih")
    shoot(page, "receipt")
    page.get_by_role("link", name="PO/").first.click()
    expect(page.locator("h1 .badge")).to_have_text("sebagian diterima")

    with tenant(coop.id):
        receipt = service.receipts(supplier_id=buying.supplier.id)[0]
    assert receipt.total == 4 * 600_000 + 5 * 180_000

    teller = new_page(**({} if wide else {"viewport": PHONE}))
    sign_in(teller, bendahara)
    teller.goto(f"{base}/pemasok/{buying.supplier.id}")
    teller.get_by_label("Nomor tagihan (faktur) pemasok").fill("INV/BLG/2611")
    teller.get_by_label("Jumlah ditagih (Rp)").fill(str(receipt.total + 20_000))
    teller.get_by_role("button", name="Catat tagihan").click()
    expect(teller.locator(".flash.error")).to_contain_text("tulis alasannya")
    teller.get_by_label("Alasan selisih").fill("ongkos bongkar muat")
    teller.get_by_role("button", name="Catat tagihan").click()
    expect(teller.locator("h1")).to_contain_text("INV/BLG/2611")
    billed = receipt.total + 20_000
    teller.get_by_label("Jumlah dibayar (Rp)").fill("2.000.000")
    teller.get_by_role("button", name="Catat pembayaran").click()
    expect(teller.locator(".flash")).to_contain_text("2.000.000")
    teller.goto(f"{base}/utang")
    expect(teller.locator("table.aging")).to_contain_text("Perum Bulog Kanwil Jabar")
    shoot(teller, "payables")
    teller.go_back()
    teller.get_by_role("radio", name="Transfer bank").check()
    teller.get_by_label("Nomor referensi / bukti transfer").fill("BRI 99120")
    teller.get_by_role("button", name="Catat pembayaran").click()
    expect(teller.locator("h1 .badge")).to_have_text("lunas")
    shoot(teller, "invoice")
    teller.goto(f"{base}/pemasok/{buying.supplier.id}")
    shoot(teller, "supplier")

    with tenant(coop.id):
        invoice = service.invoices(supplier_id=buying.supplier.id)[0][0]
        assert (invoice.amount, invoice.paid) == (billed, billed)
        assert [p.amount for p in service.payments_of(invoice.id)] == [2_000_000, billed - 2_000_000]
        assert service.aging().total == ledger.account_balance("2-1300", date.today()) == 0
