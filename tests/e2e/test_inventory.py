"""In a real browser, on a phone: the gudang receives milk into a lot with its expiry, sees it on
the expiry list, counts the shelf (searching for the product) and submits the stock count; the
pengawas approves it on a laptop. Every page passes the CSP. With KOPDES_SCREENSHOTS=1 the pages
are saved as PNGs at phone and desktop width (`screenshots/inventory-*.png`)."""

from __future__ import annotations

import os
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from playwright.sync_api import expect

from core.db import db
from core.models import User
from erp.inventory import service
from tenants.context import tenant
from tests.conftest import add_staff, make_cooperative, make_user
from tests.e2e.test_browser import sign_in
from tests.erp.inventory.conftest import key, set_up_shop

OUT = Path(__file__).resolve().parents[2] / "screenshots"
PHONE = {"width": 360, "height": 740}
DESKTOP = {"width": 1280, "height": 800}


def shoot(page: Any, name: str, back: dict[str, int]) -> None:
    if os.environ.get("KOPDES_SCREENSHOTS"):
        OUT.mkdir(exist_ok=True)
        for viewport in (PHONE, DESKTOP):
            page.set_viewport_size(viewport)
            page.screenshot(path=str(OUT / f"inventory-{name}-{viewport['width']}.png"), full_page=True)
        page.set_viewport_size(back)


def test_a_lot_is_received_listed_counted_and_the_count_approved_by_a_second_person(app, new_page):
    coop = make_cooperative()
    shop = set_up_shop(coop)
    gudang = add_staff(coop, "gudang", user=make_user("Dewi Gudang"))
    pengawas = add_staff(coop, "pengawas", user=make_user("Pak Pengawas"))
    with tenant(coop.id):
        milk = service.add_product(
            code="SUSU-UHT",
            name="Susu UHT 1 L",
            category="susu",
            unit="kotak",
            price=18_000,
            tracks_lots=True,
        )
        rice = shop.product(name="Beras SPHP 5 kg")
        service.receive(rice.id, shop.gerai.id, 20, 1_200_000, idempotency_key=key())
        service.receive(
            milk.id,
            shop.gerai.id,
            6,
            90_000,
            idempotency_key=key(),
            lot="UHT-OLD",
            expires_on=date.today(),
        )
    base = f"/k/{coop.slug}/gudang"

    phone = new_page(viewport=PHONE)
    sign_in(phone, db.session.get(User, gudang.id))
    phone.goto(f"{base}/")
    receipt = phone.locator("form", has=phone.get_by_role("button", name="Catat penerimaan"))
    receipt.locator("select[name=product_id]").select_option(str(milk.id))
    receipt.locator("input[name=quantity]").fill("24")
    receipt.locator("input[name=total_cost]").fill("360000")
    receipt.get_by_role("button", name="Catat penerimaan").click()
    expect(phone.locator(".flash.error")).to_contain_text("Nomor lot wajib diisi")
    receipt = phone.locator("form", has=phone.get_by_role("button", name="Catat penerimaan"))
    receipt.locator("select[name=product_id]").select_option(str(milk.id))
    receipt.locator("input[name=quantity]").fill("24")
    receipt.locator("input[name=total_cost]").fill("360000")
    receipt.locator("input[name=lot]").fill("uht-2611")
    receipt.locator("input[name=expires_on]").fill((date.today() + timedelta(days=20)).isoformat())
    receipt.get_by_role("button", name="Catat penerimaan").click()
    expect(phone.locator(".flash")).to_contain_text("Penerimaan barang dicatat")

    phone.goto(f"{base}/kedaluwarsa?hari=30")
    expect(phone.locator("main table")).to_contain_text("UHT-2611")
    expect(phone.locator("main table")).to_contain_text("hari ini")
    shoot(phone, "expiring", PHONE)
    phone.goto(f"{base}/barang/{milk.id}")
    expect(phone.locator("main")).to_contain_text("UHT-2611")
    shoot(phone, "card", PHONE)

    phone.goto(f"{base}/opname/")
    phone.get_by_role("button", name="Mulai stok opname").click()
    expect(phone.locator("h1")).to_contain_text("Stok opname")
    phone.get_by_label("Cari barang, kode atau lot").fill("beras")
    phone.get_by_role("button", name="Cari", exact=True).click()
    expect(phone.locator("table.counts")).not_to_contain_text("Susu")
    phone.get_by_label("Jumlah hitungan Beras SPHP 5 kg").fill("18")
    phone.get_by_role("button", name="Simpan hitungan").click()
    expect(phone.locator(".flash")).to_contain_text("1 hitungan disimpan")
    phone.get_by_label("Cari barang, kode atau lot").fill("")
    phone.get_by_role("button", name="Cari", exact=True).click()
    shoot(phone, "opname-count", PHONE)
    phone.get_by_role("button", name="Ajukan untuk disetujui").click()
    expect(phone.locator(".badge").first).to_contain_text("Menunggu persetujuan")
    expect(phone.get_by_role("button", name="Setujui dan bukukan selisih")).to_have_count(0)
    count_url = phone.url

    laptop = new_page(viewport=DESKTOP)
    sign_in(laptop, db.session.get(User, pengawas.id))
    laptop.goto(count_url)
    expect(laptop.locator("main")).to_contain_text("-2 karung")
    shoot(laptop, "opname-report", DESKTOP)
    laptop.get_by_role("button", name="Setujui dan bukukan selisih").click()
    expect(laptop.locator("p.ok")).to_contain_text("selisih sudah dibukukan")
    laptop.goto(f"{base}/opname/")
    shoot(laptop, "opnames", DESKTOP)
    with tenant(coop.id):
        assert service.on_hand(rice.id) == 18 and service.on_hand(milk.id) == 30
