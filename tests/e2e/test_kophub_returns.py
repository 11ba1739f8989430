"""Kophub returns and payouts in a real browser: a buyer returns part of a delivered order with a
photo, the cooperative accepts it back into stock and records the refund transfer, and the refund
shows on both sides. With KOPDES_KOPHUB_SHOTS=<folder>, the pages (and the payout pages of the
platform and of a cooperative) are also saved as PNGs at phone and laptop width."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from core.db import db
from marketplace.orders.models import CheckoutOrder
from marketplace.payments import payouts
from tests.e2e.test_browser import sign_in
from tests.e2e.test_kophub_orders import SHOTS, VIEWPORTS, _shot
from tests.marketplace.orders.conftest import make_seller
from tests.marketplace.orders.test_returns import delivered_by_transfer, phone_photo
from tests.marketplace.payments.test_payouts import LATER, card_order, deliver, with_bank
from tests.marketplace.payments.test_stripe import SECRET


@pytest.mark.parametrize("width", ["1280", "360"] if SHOTS else ["1280"])
def test_a_buyer_returns_part_of_a_delivered_order_and_both_sides_see_the_refund(
    app, new_page, tmp_path, width
):
    seller = make_seller("32.04.12.2003", title="Beras premium Pandan Wangi")
    shopper, order_id, line = delivered_by_transfer(seller, 10)
    checkout_id = db.session.scalar(
        select(CheckoutOrder.checkout_id).where(CheckoutOrder.order_id == order_id)
    )
    photo = tmp_path / "karung-basah.jpg"
    photo.write_bytes(phone_photo(gps=True))

    buyer = new_page(viewport=VIEWPORTS[width])
    sign_in(buyer, shopper.user)
    buyer.goto(f"/kophub/pesanan/{checkout_id}")
    expect(buyer.locator("main")).to_contain_text("WIB")  # local time with its zone
    buyer.get_by_text("Kembalikan sebagian barang").click()
    form = buyer.locator("details.return-form form")
    form.locator("input[name=quantity]").fill("3")
    form.get_by_label("Alasan").fill("Tiga karung basah kena hujan")
    form.locator("input[type=file]").set_input_files(str(photo))
    _shot(buyer, "kophub-return-ask", width)
    form.get_by_role("button", name="Ajukan retur").click()
    expect(buyer.locator("main")).to_contain_text("Retur diajukan, menunggu keputusan koperasi")

    staff = new_page(viewport=VIEWPORTS[width])
    sign_in(staff, seller.staff)
    staff.goto(f"/k/{seller.coop.slug}/kophub/pesanan/{order_id}")
    section = staff.locator("#retur")
    expect(section).to_contain_text("Tiga karung basah kena hujan")
    _shot(staff, "kophub-return-decide", width)
    section.get_by_label("Masuk stok lagi (barang baik)").check()
    section.get_by_role("button", name="Setujui retur dan kembalikan Rp").click()
    expect(staff.locator(".flash")).to_contain_text("Retur disetujui")
    section = staff.locator("#retur")
    section.get_by_label("Nomor referensi transfer / kuitansi").fill("BRI 0099812")
    _shot(staff, "kophub-return-refund", width)
    section.get_by_role("button", name="Dana sudah dikembalikan").click()
    expect(staff.locator("#retur")).to_contain_text("BRI 0099812")
    expect(staff.locator("#retur")).to_contain_text("Retur selesai, dana dikembalikan")

    buyer.goto(f"/kophub/pesanan/{checkout_id}")
    expect(buyer.locator("main")).to_contain_text("Retur selesai, dana dikembalikan")
    expect(buyer.locator("main")).to_contain_text("BRI 0099812")
    expect(buyer.locator("main")).to_contain_text("45.000")
    _shot(buyer, "kophub-return-done", width)


@pytest.mark.skipif(not SHOTS, reason="set KOPDES_KOPHUB_SHOTS to save the payout pages")
@pytest.mark.parametrize("width", ["1280", "360"])
def test_pictures_of_the_payout_pages(app, new_page, monkeypatch, width):
    from tests.conftest import grant_platform_role, make_user

    original = app.config["KOPDES"]
    app.config["KOPDES"] = replace(original, stripe_secret_key="sk_test", stripe_webhook_secret=SECRET)
    try:
        seller = with_bank(make_seller("73.71.01.1001"))  # Makassar: WITA
        for quantity in (10, 7):
            deliver(seller, card_order(seller, monkeypatch, quantity), complete=quantity == 10)
        other = with_bank(make_seller("32.04.12.2003"))
        deliver(other, card_order(other, monkeypatch, 12))
        made = payouts.create_payout(other.coop_id, user_id=other.staff.id, now=LATER)
        payouts.mark_transferred(
            made.id, bank_reference="BRI-77120", transfer_date=date.today(), user_id=other.staff.id
        )
        admin = make_user("Admin Kophub", email=f"admin.payout.{width}@example.id")
        grant_platform_role(admin, "platform_admin")
        page = new_page(viewport=VIEWPORTS[width])
        sign_in(page, admin)
        page.goto("/admin/kophub/pencairan")
        _shot(page, "kophub-payouts-admin", width)
        page.goto(f"/admin/kophub/pencairan/{made.id}")
        _shot(page, "kophub-payout-admin", width)
        coop = new_page(viewport=VIEWPORTS[width])
        sign_in(coop, seller.staff)
        coop.goto(f"/k/{seller.coop.slug}/kophub/dana")
        expect(coop.locator("main")).to_contain_text("Dana Kophub")
        _shot(coop, "kophub-payouts-coop", width)
    finally:
        app.config["KOPDES"] = original
