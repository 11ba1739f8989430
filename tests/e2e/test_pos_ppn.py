"""In a real browser: the ketua makes the cooperative a PKP on its profile (refused without an NPWP,
saved with one), then a kasir sells a taxable good and an exempt staple by keyboard; the receipt
shows the NPWP, DPP and PPN, and marks the taxed line. With KOPDES_SCREENSHOTS=1 the profile and
the receipt are saved as PNGs (`screenshots/ppn-*.png`) at 360 px and at desktop width."""

from __future__ import annotations

import os
from typing import Any

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from core.db import db
from erp.pos.models import Sale
from tenants.context import tenant
from tests.conftest import add_staff, make_cooperative, make_user
from tests.e2e.test_browser import sign_in
from tests.e2e.test_pos import OUT, PHONE, _scan
from tests.erp.inventory.conftest import set_up_shop

NPWP = "0123456789012345"


def shoot(page: Any, name: str) -> None:
    if os.environ.get("KOPDES_SCREENSHOTS"):
        OUT.mkdir(exist_ok=True)
        page.screenshot(path=str(OUT / f"ppn-{name}-{page.viewport_size['width']}.png"), full_page=True)


@pytest.mark.parametrize("viewport", [PHONE, {"width": 1280, "height": 800}], ids=["phone", "desktop"])
def test_a_pkp_cooperative_prints_dpp_ppn_and_its_npwp_on_the_receipt(app, new_page, viewport):
    coop = make_cooperative()
    shop = set_up_shop(coop)
    ketua = add_staff(coop, "ketua", user=make_user("Ahmad Fauzi"))
    kasir = add_staff(coop, "kasir", user=make_user("Dewi Lestari"))
    with tenant(coop.id):
        soap = shop.product(code="SABUN-1", name="Sabun Mandi 85 g", unit="pcs", price=10_000, kena_ppn=True)
        rice = shop.product(code="BERAS-5", name="Beras Medium 5 kg", unit="karung", price=62_500)
        shop.receive(soap, 20, 120_000)
        shop.receive(rice, 10, 550_000)

    page = new_page(viewport=viewport)
    sign_in(page, ketua)
    page.goto(f"/k/{coop.slug}/profil")
    legal = page.locator("#legal")
    legal.locator("input[name=pkp]").check()
    legal.locator("input[name=pkp_since]").fill("2025-01-01")
    with page.expect_navigation():
        legal.get_by_role("button").click()
    expect(page.locator("#legal")).to_contain_text("wajib punya NPWP")
    legal = page.locator("#legal")
    legal.locator("input[name=npwp]").fill(NPWP)
    legal.locator("input[name=pkp]").check()
    legal.locator("input[name=pkp_since]").fill("2025-01-01")
    with page.expect_navigation():
        legal.get_by_role("button").click()
    expect(page.locator("input[name=pkp]")).to_be_checked()
    expect(page.locator("input[name=ppn_rate]")).to_have_value("11")
    page.locator("#legal").scroll_into_view_if_needed()
    shoot(page, "profile")
    page.goto(f"/k/{coop.slug}/gudang/barang/{soap.id}")
    expect(page.locator("#ppn")).to_contain_text("Koperasi PKP sejak")
    expect(page.locator("#ppn")).to_contain_text("11%")
    shoot(page, "card")

    page = new_page(viewport=viewport)
    sign_in(page, kasir)
    base = f"/k/{coop.slug}/kasir"
    page.goto(f"{base}/")
    expect(page.locator("input[name=opening_float]")).to_be_focused()
    page.keyboard.type("100000")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    _scan(page, "SABUN-1", 2)
    _scan(page, "BERAS-5")
    page.locator("#tunai").focus()
    page.keyboard.type("100000")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    receipt = page.locator("article.receipt")
    expect(receipt).to_contain_text(f"NPWP: {NPWP}")
    # 20.000 of soap holds PPN 20.000 × 11/111 = 1.981,98 → 1.982; DPP 18.018
    expect(receipt.locator("tr.tax").first).to_contain_text("18.018")
    expect(receipt.locator("tr.tax").nth(1)).to_contain_text("PPN 11%")
    expect(receipt.locator("tr.tax").nth(1)).to_contain_text("1.982")
    expect(receipt).to_contain_text("Sabun Mandi 85 g *")
    expect(receipt).not_to_contain_text("Beras Medium 5 kg *")
    expect(receipt).to_contain_text("82.500")
    shoot(page, "receipt")
    with tenant(coop.id):
        sale = db.session.scalar(select(Sale))
        assert (sale.total, sale.ppn_base, sale.ppn, sale.ppn_rate) == (82_500, 20_000, 1_982, 1100)
    page.goto(f"{base}/laporan-z")
    expect(page.locator("table.z").first).to_contain_text("PPN keluaran")
    expect(page.locator("table.z tfoot").first).to_contain_text("1.982")
    shoot(page, "z-report")
    response = page.request.get(f"{base}/struk/{sale.id}.pdf?lebar=58")
    assert response.ok and response.body().startswith(b"%PDF")
    if os.environ.get("KOPDES_SCREENSHOTS"):
        (OUT / "ppn-receipt-58.pdf").write_bytes(response.body())
