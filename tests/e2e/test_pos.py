"""In a real browser, with the keyboard alone: a kasir opens a shift, sells a five-line basket to a
member (four codes scanned or typed, one found by searching its name), pays in cash, and prints
the receipt; then takes back one sack under a supervisor's PIN. With KOPDES_SCREENSHOTS=1 the pages
are also saved as PNGs (`screenshots/pos-*.png`), at 360 px and at desktop width."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

from playwright.sync_api import expect
from sqlalchemy import func, select

from core.auth import hash_password
from core.db import db
from erp.inventory import service as inventory
from erp.pos.models import Sale, SaleReturn, SupervisorPin
from tenants.context import tenant
from tests.conftest import add_staff, make_cooperative, make_user
from tests.e2e.test_browser import sign_in
from tests.erp.inventory.conftest import set_up_shop
from tests.erp.membership.factories import make_member

OUT = Path(os.environ.get("KOPDES_SCREENSHOTS_DIR") or Path(__file__).resolve().parents[2] / "screenshots")
PHONE = {"width": 360, "height": 740}
PIN = "582914"


def shoot(page: Any, name: str) -> None:
    if os.environ.get("KOPDES_SCREENSHOTS"):
        OUT.mkdir(exist_ok=True)
        page.screenshot(path=str(OUT / f"pos-{name}-{page.viewport_size['width']}.png"), full_page=True)


def _shop() -> tuple[Any, Any, Any, Any, list[Any]]:
    coop = make_cooperative()
    shop = set_up_shop(coop)
    kasir = add_staff(coop, "kasir", user=make_user("Dewi Lestari"))
    supervisor = add_staff(coop, "manajer", user=make_user("Budi Santoso"))
    with tenant(coop.id):
        db.session.add(SupervisorPin(user_id=supervisor.id, pin_hash=hash_password(PIN)))
        db.session.commit()
        member = make_member()
        goods = [
            shop.product(
                code="4006381333931", name="Beras SPHP 5 kg", unit="karung", price=62_500, het=67_500
            ),
            shop.product(code="MINYAK-1", name="MinyaKita 1 L", unit="botol", price=15_700, het=15_700),
            shop.product(code="GULA-1", name="Gula Pasir Curah 1 kg", unit="kg", price=17_500),
            shop.product(code="TELUR-1", name="Telur Ayam 1 kg", unit="kg", price=28_000),
            shop.product(code="LPG-3", name="LPG 3 kg", unit="tabung", price=18_000, het=19_000),
        ]
        for product, cost in zip(goods, (550_000, 140_000, 150_000, 250_000, 160_000), strict=True):
            shop.receive(product, 10, cost)
    return coop, kasir, supervisor, member, goods


def _scan(page: Any, code: str, quantity: int = 1) -> None:
    expect(page.locator("#code")).to_be_focused()
    page.keyboard.type(code)
    if quantity != 1:
        page.keyboard.press("Tab")
        page.keyboard.press("Control+A")
        page.keyboard.type(str(quantity))
    with page.expect_navigation():
        page.keyboard.press("Enter")


def test_a_kasir_sells_five_lines_to_a_member_by_keyboard_prints_and_takes_a_return(app, new_page):
    coop, kasir, supervisor, member, goods = _shop()
    base = f"/k/{coop.slug}/kasir"
    wide = bool(os.environ.get("KOPDES_SCREENSHOTS_WIDE"))
    page = new_page(**({} if wide else {"viewport": PHONE}))
    sign_in(page, kasir)
    page.goto(f"{base}/")
    shoot(page, "open-shift")
    expect(page.locator("input[name=opening_float]")).to_be_focused()
    page.keyboard.type("150000")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    _scan(page, "4006381333931", 2)
    _scan(page, "MINYAK-1", 3)
    _scan(page, "TELUR-1")
    _scan(page, "LPG-3")
    # the fifth by name: search as you type, arrow down, Enter
    page.keyboard.type("gula pas")
    expect(page.locator("#hits li")).to_have_count(1)
    page.keyboard.press("ArrowDown")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    expect(page.locator("table.cart tbody tr")).to_have_count(5)
    total = 2 * 62_500 + 3 * 15_700 + 28_000 + 18_000 + 17_500
    expect(page.locator("#total")).to_have_text(re.compile(f"{total:,}".replace(",", ".")))
    shoot(page, "counter")
    page.keyboard.press("F4")
    expect(page.locator("#member")).to_be_focused()
    page.keyboard.type(member.member_number)
    page.keyboard.press("Tab")
    expect(page.locator("#tunai")).to_be_focused()
    page.keyboard.type("250000")
    expect(page.locator("#change")).to_contain_text("Kembali")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    receipt = page.locator("article.receipt")
    expect(page.locator("#next")).to_be_focused()  # Enter starts the next sale
    expect(receipt).to_contain_text(member.member_number)
    expect(receipt).to_contain_text(f"{250_000 - total:,}".replace(",", "."))
    expect(receipt).not_to_contain_text("SALINAN")
    shoot(page, "receipt")
    page.emulate_media(media="print")
    expect(page.locator("header.top")).to_be_hidden()
    expect(receipt).to_be_visible()
    shoot(page, "receipt-print")
    page.emulate_media(media="screen")
    page.locator("#next").focus()  # the screenshots took the focus away
    with page.expect_navigation():
        page.keyboard.press("Enter")
    expect(page.locator("#code")).to_be_focused()
    with tenant(coop.id):
        sale = db.session.scalar(select(Sale))
        assert sale.member_id == member.id and sale.total == total
        assert inventory.on_hand(goods[0].id) == 8

    # a return of one sack, approved by the supervisor with the PIN, typed at the kasir's keyboard
    page.goto(f"{base}/penjualan/{sale.id}")
    with tenant(coop.id):
        from erp.pos import service

        rice_line = next(line for line, p in service.receipt(sale.id).lines if p.id == goods[0].id)
    page.locator(f"input[name=q-{rice_line.id}]").focus()
    page.keyboard.type("1")
    page.locator("form.card input[name=reason]").first.focus()
    page.keyboard.type("Karung sobek")
    page.keyboard.press("Tab")
    page.keyboard.press("ArrowDown")  # the only supervisor
    page.keyboard.press("Tab")
    page.keyboard.type("000000")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    expect(page.locator(".flash.error")).to_contain_text("PIN supervisor salah")
    shoot(page, "return-wrong-pin")
    page.locator(f"input[name=q-{rice_line.id}]").focus()
    page.keyboard.type("1")
    page.locator("form.card input[name=reason]").first.focus()
    page.keyboard.type("Karung sobek")
    page.keyboard.press("Tab")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Tab")
    page.keyboard.type(PIN)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    expect(page.locator("main")).to_contain_text("Retur penjualan")
    shoot(page, "return-done")
    with tenant(coop.id):
        assert db.session.scalar(select(func.count()).select_from(SaleReturn)) == 1
        assert inventory.on_hand(goods[0].id) == 9
    page.goto(f"{base}/laporan-z")
    shoot(page, "z-report")
    for name, url in (
        ("receipt-58", f"{base}/struk/{sale.id}.pdf?lebar=58"),
        ("receipt-80", f"{base}/struk/{sale.id}.pdf?lebar=80"),
        ("z-report", f"{base}/laporan-z.pdf"),
    ):
        response = page.request.get(url)
        assert response.ok and response.body().startswith(b"%PDF")
        if os.environ.get("KOPDES_SCREENSHOTS"):
            (OUT / f"pos-{name}.pdf").write_bytes(response.body())


def test_a_kasir_sells_rdkk_fertiliser_to_a_member_within_the_quota_by_keyboard(app, new_page):
    """A sack too many is refused before payment naming the kilograms left; within the quota the
    member's NIK is taken from the record, the sale goes through and the quota is counted."""
    from datetime import date, timedelta

    from erp.inventory.models import Quota

    coop = make_cooperative()
    shop = set_up_shop(coop)
    kasir = add_staff(coop, "kasir", user=make_user("Dewi Lestari"))
    with tenant(coop.id):
        member = make_member()
        urea = inventory.add_product(
            code="UREA-50",
            name="Urea bersubsidi 50 kg",
            category="pupuk",
            unit="sak",
            price=90_000,
            commodity="pupuk_urea",
            commodity_units=50,
        )
        shop.receive(urea, 10, 850_000)
        today = date.today()
        rows = inventory.read_rdkk_csv(f"nik;komoditas;kg\n{member.nik};urea;150\n".encode())
        inventory.import_rdkk(rows, today - timedelta(days=10), today + timedelta(days=80))
    base = f"/k/{coop.slug}/kasir"
    wide = bool(os.environ.get("KOPDES_SCREENSHOTS_WIDE"))
    page = new_page(**({} if wide else {"viewport": PHONE}))
    sign_in(page, kasir)
    page.goto(f"{base}/")
    expect(page.locator("input[name=opening_float]")).to_be_focused()  # autofocus, before typing
    page.keyboard.type("0")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    _scan(page, "UREA-50", 4)
    expect(page.locator("#quota")).to_be_visible()
    page.keyboard.press("F4")
    expect(page.locator("#quota-member")).to_be_focused()
    page.keyboard.type(member.member_number)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    expect(page.locator(".flash.error")).to_contain_text("tersisa 150 kg")
    expect(page.locator("main")).not_to_contain_text(member.nik)
    shoot(page, "quota-refused")
    page.goto(f"{base}/")  # take the basket down to three sacks: remove, scan again
    page.locator("table.cart form.inline button").last.focus()
    with page.expect_navigation():
        page.keyboard.press("Enter")
    page.locator("#code").focus()
    _scan(page, "UREA-50", 3)
    page.keyboard.press("F4")
    expect(page.locator("#quota-member")).to_be_focused()
    page.keyboard.type(member.member_number)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    expect(page.locator(".quota-left")).to_contain_text("sisa kuota sesudahnya 0 kg")
    shoot(page, "quota-checked")
    page.keyboard.press("F4")
    expect(page.locator("#member")).to_be_focused()
    expect(page.locator("#member")).to_have_value(member.member_number)
    page.keyboard.press("Tab")
    page.keyboard.type("300000")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    expect(page.locator("article.receipt")).to_contain_text("Urea")
    with tenant(coop.id):
        assert db.session.scalar(select(Quota.used)) == 150
        sale = db.session.scalar(select(Sale))
        assert sale.member_id == member.id and sale.total == 270_000
