"""In a real browser: damaged sacks go back to the supplier against its credit note, then the rest
of the invoice is paid; being at the approval threshold it waits until the ketua approves it from
the list. The payable, the aging and the books agree; the inventory account equals the stock.
With KOPDES_SCREENSHOTS=1 the pages are saved as PNGs (`screenshots/purchasing-*.png`)."""

from __future__ import annotations

import os
from datetime import date

from playwright.sync_api import expect

from core.db import db
from erp.inventory import service as inventory
from erp.ledger import service as ledger
from erp.purchasing import service
from erp.purchasing.service import ReceiptLineInput
from tenants.context import tenant
from tests.conftest import add_staff, make_cooperative, make_user
from tests.e2e.test_browser import sign_in
from tests.e2e.test_purchasing import PHONE, shoot
from tests.erp.purchasing.conftest import set_up_buying


def test_sacks_go_back_with_a_credit_note_and_the_large_rest_is_paid_after_the_ketua_approves(app, new_page):
    coop = make_cooperative()
    buying = set_up_buying(coop)
    gudang = add_staff(coop, "gudang", user=make_user("Joko Widodo"))
    bendahara = add_staff(coop, "bendahara", user=make_user("Rina Marlina"))
    ketua = add_staff(coop, "ketua", user=make_user("Darto Sumarno"))
    with tenant(coop.id):
        receipt = service.receive_goods(
            supplier_id=buying.supplier.id,
            location_id=buying.shop.gudang.id,
            lines=[
                ReceiptLineInput(quantity=20, product_id=buying.rice.id, unit="karung", unit_price=600_000)
            ],
            idempotency_key="e2e-retur-gr-1",
        )
        invoice = service.record_invoice(
            buying.supplier.id,
            [receipt.id],
            number="INV/BLG/3011",
            invoice_date=date.today(),
            amount=12_000_000,
        )
    wide = bool(os.environ.get("KOPDES_SCREENSHOTS_WIDE"))
    size = {} if wide else {"viewport": PHONE}
    base = f"/k/{coop.slug}/pembelian"

    page = new_page(**size)
    sign_in(page, gudang)
    page.goto(f"{base}/tagihan/{invoice.id}")
    page.get_by_role("link", name="Retur barang / nota kredit").click()
    page.get_by_label("Nomor nota kredit pemasok").fill("NK/BLG/0412")
    page.get_by_label("Jumlah dikreditkan (Rp)").fill("1.200.000")
    page.locator("select[name=reason]").select_option("rusak")
    page.get_by_label("Keterangan").fill("2 karung sobek, basah")
    page.get_by_label("Diretur (karung)").fill("25")
    page.get_by_role("button", name="Catat nota kredit").click()
    expect(page.locator(".flash.error")).to_contain_text("paling banyak 20")
    shoot(page, "credit-refused")
    page.get_by_label("Diretur (karung)").fill("2")
    page.get_by_role("button", name="Catat nota kredit").click()
    expect(page.locator(".flash")).to_contain_text("NK/BLG/0412")
    expect(page.locator("main")).to_contain_text("Rp 10.800.000")
    expect(page.locator("main")).to_contain_text("2 karung Beras Medium Curah")

    teller = new_page(**size)
    sign_in(teller, bendahara)
    teller.goto(f"{base}/tagihan/{invoice.id}")
    teller.get_by_label("Jumlah dibayar (Rp)").fill("10.800.000")
    teller.get_by_role("radio", name="Transfer bank").check()
    teller.get_by_label("Nomor referensi / bukti transfer").fill("BG 771204")
    teller.get_by_role("button", name="Catat pembayaran").click()
    expect(teller.locator(".flash")).to_contain_text("menunggu persetujuan orang kedua")
    expect(teller.locator("main")).to_contain_text("Menunggu persetujuan orang lain")
    expect(teller.get_by_role("button", name="Setujui & bukukan")).to_have_count(0)
    shoot(teller, "invoice-waiting")

    checker = new_page(**size)
    sign_in(checker, ketua)
    checker.goto(f"/k/{coop.slug}/")
    waiting_tile = checker.locator(".tile", has_text="Pembayaran pemasok menunggu persetujuan")
    expect(waiting_tile.locator("a")).to_have_text("1")
    waiting_tile.locator("a").click()
    expect(checker.locator("section.request")).to_contain_text("Rp 10.800.000")
    shoot(checker, "approvals")
    checker.get_by_role("button", name="Setujui & bukukan").click()
    expect(checker.locator(".flash")).to_contain_text("disetujui dan dibukukan")
    checker.goto(f"{base}/tagihan/{invoice.id}")
    expect(checker.locator("h1 .badge")).to_have_text("lunas")
    shoot(checker, "invoice-credited")
    checker.goto(f"{base}/pemasok/{buying.supplier.id}")
    expect(checker.locator("main")).to_contain_text("Nota kredit: Barang rusak")
    shoot(checker, "supplier-credit")

    db.session.expire_all()
    with tenant(coop.id):
        today = date.today()
        assert service.get_invoice(invoice.id).outstanding == 0
        assert service.aging().total == ledger.account_balance("2-1300", today) == 0
        assert ledger.account_balance("1-1500", today) == inventory.stock_value() == 18 * 600_000
        assert inventory.on_hand(buying.rice.id, buying.shop.gudang.id) == 18 * 50
