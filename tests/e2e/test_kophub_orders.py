"""Kophub in a real browser: a buyer finds "beras premium", orders from two cooperatives and pays
each by transfer with a proof; both cooperatives confirm the money and ship. With
KOPDES_KOPHUB_SHOTS=<folder>, every page is also saved as a PNG at phone and laptop width."""

from __future__ import annotations

import os
import re
import struct
import zlib
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.e2e.test_browser import sign_in
from tests.marketplace.orders.conftest import make_seller, make_shopper

SHOTS = os.environ.get("KOPDES_KOPHUB_SHOTS")
VIEWPORTS = {"1280": {"width": 1280, "height": 800}, "360": {"width": 360, "height": 740}}


def _png(path: Path) -> Path:
    """A small real PNG (a photo of a transfer receipt, as far as the upload check can tell)."""
    raw = b"".join(b"\x00" + b"\xff\xff\xff" * 8 for _ in range(8))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    path.write_bytes(
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", 8, 8, 8, 2, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )
    return path


def _shot(page: Any, name: str, width: str) -> None:
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(SHOTS) / f"{name}-{width}.png"), full_page=True)


def _find_and_add(page: Any, app: Any, shopper: Any, sellers: tuple[Any, Any], width: str) -> None:
    """The buyer searches "beras premium", narrows to each cooperative's province and puts 10 kg
    of each listing in the cart from its page."""
    if "kophub.search" not in app.view_functions:  # the search page is marketplace.search's
        for seller in sellers:
            shopper.add(seller, 10)
        page.goto("/kophub/keranjang")
        return
    from tests.marketplace.conftest import run_index_jobs

    run_index_jobs()
    for n, (province, title) in enumerate((("Jawa Barat", "Pandan Wangi"), ("Jawa Tengah", "Rojolele"))):
        page.goto("/kophub/")
        page.locator("input[name=q]").fill("beras premium")
        page.locator("input[name=q]").press("Enter")
        if n == 0:
            _shot(page, "kophub-search", width)
        page.get_by_role("link", name=re.compile(province, re.IGNORECASE)).first.click()
        expect(page.locator("main")).not_to_contain_text("Rojolele" if n == 0 else "Pandan Wangi")
        page.get_by_role("link", name=re.compile(title)).first.click()
        page.locator("input[name=quantity]").fill("10")
        page.get_by_role("button", name="Masukkan keranjang").click()
        page.wait_for_url("**/kophub/keranjang")


@pytest.mark.parametrize("width", ["1280", "360"] if SHOTS else ["1280"])
def test_a_buyer_orders_from_two_cooperatives_pays_by_transfer_and_both_ship(app, new_page, tmp_path, width):
    sellers = (
        make_seller("32.04.12.2003", title="Beras premium Pandan Wangi Cangkuang"),
        make_seller("33.07.07.1006", title="Beras premium Rojolele Wonosobo"),
    )
    shopper = make_shopper()
    proof = _png(tmp_path / "bukti-transfer.png")

    buyer = new_page(viewport=VIEWPORTS[width])
    sign_in(buyer, shopper.user)
    buyer.goto("/kophub/akun")
    _shot(buyer, "kophub-account", width)
    _find_and_add(buyer, app, shopper, sellers, width)
    expect(buyer.locator("main")).to_contain_text("Rojolele")
    _shot(buyer, "kophub-cart", width)
    buyer.get_by_role("link", name="Lanjut ke pembayaran").click()
    buyer.get_by_label("Transfer bank").check()
    _shot(buyer, "kophub-checkout", width)
    buyer.get_by_role("button", name="Buat pesanan").click()
    expect(buyer.locator("main h1")).to_contain_text("Pesanan #")
    checkout_url = buyer.url
    uploads = buyer.locator("form[enctype='multipart/form-data']")
    for remaining in (2, 1):
        expect(uploads).to_have_count(remaining)
        form = uploads.first
        form.locator("input[type=file]").set_input_files(str(proof))
        form.get_by_label("Catatan").fill("a.n. Rina Pembeli, BRI")
        form.get_by_role("button", name="Kirim bukti bayar").click()
    expect(uploads).to_have_count(0)
    expect(buyer.locator(".flash", has_text="menunggu konfirmasi bendahara")).to_have_count(2)
    _shot(buyer, "kophub-my-checkout", width)

    for n, seller in enumerate(sellers):
        staff = new_page(viewport=VIEWPORTS[width])
        sign_in(staff, seller.staff)
        staff.goto(f"/k/{seller.coop.slug}/kophub/pesanan/")
        if n == 0:
            _shot(staff, "kophub-staff-orders", width)
        staff.locator("table.orders a").first.click()
        if n == 0:
            _shot(staff, "kophub-staff-order-proof", width)
        staff.get_by_role("button", name="Uang sudah masuk: konfirmasi").first.click()
        expect(staff.locator("main h1 .badge")).to_have_text("Dibayar")
        staff.get_by_role("button", name="Proses (kemas) pesanan").click()
        staff.get_by_label("Kurir").fill("JNE")
        staff.get_by_label("Nomor resi").fill(f"JNE00{n}123")
        if n == 0:
            _shot(staff, "kophub-staff-order-ship", width)
        staff.get_by_role("button", name="Kirim", exact=True).click()
        expect(staff.locator("main h1 .badge")).to_have_text("Dikirim")
        if n == 0:
            _shot(staff, "kophub-staff-order-shipped", width)

    buyer.goto(checkout_url)
    expect(buyer.locator("main")).to_contain_text("Dikirim dengan JNE, resi JNE000123")
    expect(buyer.locator("main")).to_contain_text("Dikirim dengan JNE, resi JNE001123")
    buyer.goto("/kophub/pesanan")
    _shot(buyer, "kophub-my-orders", width)


@pytest.mark.skipif(not SHOTS, reason="set KOPDES_KOPHUB_SHOTS to save the other Kophub pages")
@pytest.mark.parametrize("width", ["1280", "360"])
def test_pictures_of_the_other_kophub_pages(app, new_page, width):
    from tests.conftest import grant_platform_role, make_user

    page = new_page(viewport=VIEWPORTS[width])
    page.goto("/kophub/daftar")
    page.get_by_label("Usaha (perusahaan, toko, rumah makan)").check()
    page.get_by_role("button", name="Daftar").click()
    _shot(page, "kophub-sign-up-errors", width)
    shopper = make_shopper(name="Sari Usaha")
    buyer = new_page(viewport=VIEWPORTS[width])
    sign_in(buyer, shopper.user)
    buyer.goto("/kophub/keranjang")
    _shot(buyer, "kophub-cart-empty", width)
    buyer.goto("/kophub/akun")
    buyer.get_by_text("Tambah alamat").click()
    buyer.get_by_role("button", name="Simpan alamat").click()
    _shot(buyer, "kophub-address-errors", width)
    admin = make_user("Admin Kophub")
    grant_platform_role(admin, "platform_admin")
    staff = new_page(viewport=VIEWPORTS[width])
    sign_in(staff, admin)
    staff.goto("/admin/kophub")
    _shot(staff, "kophub-settings", width)
