"""In a real browser: the kasir takes a deposit at the desk, and the member sees it on the portal,
signed in with phone number and PIN on a phone-sized screen with JavaScript off. With
KOPDES_SCREENSHOTS=1 the pages are also saved as PNGs (`screenshots/savings-*.png`)."""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path
from typing import Any

from playwright.sync_api import expect

from core.db import db
from erp.membership import service as membership
from erp.savings import service
from erp.savings.models import ProductKind
from tenants import service as tenants
from tests.conftest import add_staff, grant_platform_role, make_user
from tests.e2e.test_browser import sign_in
from tests.erp.membership.factories import application

OUT = Path(__file__).resolve().parents[2] / "screenshots"
PHONE = {"width": 360, "height": 740}


def shoot(page: Any, name: str) -> None:
    if os.environ.get("KOPDES_SCREENSHOTS"):
        OUT.mkdir(exist_ok=True)
        width = page.viewport_size["width"]
        page.screenshot(path=str(OUT / f"savings-{name}-{width}.png"), full_page=True)


def test_the_kasir_takes_a_deposit_and_the_member_sees_it_on_the_portal(app, new_page):
    from tenants.context import tenant

    admin = make_user("Rahmat Hidayat")
    grant_platform_role(admin, "platform_admin")
    coop = tenants.create_cooperative("32.04.12.2003", None, admin)
    kasir = add_staff(coop, "kasir", user=make_user("Dewi Lestari"))
    ketua = add_staff(coop, "ketua", user=make_user("Siti Rahayu"))
    with tenant(coop.id):
        service.install_products()
        db.session.commit()
        member = membership.apply(application(name="Siti Aminah", phone="+6281234567890"))
        membership.approve(member.id, on=date(2025, 1, 2))
        for kind in ProductKind:
            if kind != ProductKind.BERJANGKA:
                service.account_for(member.id, kind)
        db.session.commit()
        membership.grant_portal_access(member.id, "246810")
        for n in range(2):
            other = membership.apply(application(name=f"Warga {n}", gender="L"))
            membership.approve(other.id)
        membership.apply(application(name="Calon Anggota"))
    slug = coop.slug

    desk = new_page(**({"viewport": PHONE} if os.environ.get("KOPDES_SCREENSHOTS") else {}))
    sign_in(desk, kasir)
    desk.goto(f"/k/{slug}/simpanan/")
    desk.get_by_label("Kas awal di laci").fill("500000")
    desk.get_by_role("button", name="Buka laci").click()
    expect(desk.get_by_text("Laci kas dibuka.")).to_be_visible()
    desk.get_by_label("Nomor anggota atau nama").fill("A-0001")
    desk.get_by_role("button", name="Cari").click()
    expect(desk.locator("h1")).to_contain_text("Siti Aminah")
    shoot(desk, "member")
    sukarela = desk.locator("section.account", has_text="Simpanan Sukarela")
    sukarela.get_by_label("Jumlah (Rp)").fill("125.000")
    sukarela.get_by_role("button", name="Setor").click()
    expect(desk.get_by_text("Setoran Rp 125.000 dicatat.")).to_be_visible()
    expect(desk.get_by_role("link", name="Cetak bukti transaksi")).to_be_visible()
    shoot(desk, "after-deposit")
    desk.goto(f"/k/{slug}/simpanan/")
    shoot(desk, "desk")

    portal = new_page(viewport=PHONE, java_script_enabled=False)
    portal.goto("/masuk")
    form = portal.locator("main form")
    form.get_by_label("E-mail atau nomor HP").fill("0812 3456 7890")
    form.get_by_label("Kata sandi").fill("246810")
    form.get_by_role("button", name="Masuk").click()
    portal.goto(f"/k/{slug}/saya/")
    expect(portal.locator(".total .balance")).to_have_text("Rp 125.000")
    expect(portal.locator(".movements")).to_contain_text("+Rp 125.000")
    shoot(portal, "portal")

    if os.environ.get("KOPDES_SCREENSHOTS"):
        for width in (PHONE, {"width": 1280, "height": 800}):
            boss = new_page(viewport=width)
            sign_in(boss, ketua)
            for name, path in (
                ("members", "/anggota/"),
                ("member-page", f"/anggota/{member.id}"),
                ("apply", "/anggota/daftar"),
                ("import", "/anggota/impor"),
                ("products", "/simpanan/produk"),
                ("reconciliation", "/simpanan/rekonsiliasi"),
            ):
                boss.goto(f"/k/{slug}{path}")
                shoot(boss, name)
            boss.goto(f"/k/{slug}/anggota/daftar")
            boss.get_by_role("button", name="Simpan permohonan").click()
            shoot(boss, "apply-errors")
        wide = new_page(viewport={"width": 1280, "height": 800})
        sign_in(wide, kasir)
        wide.goto(f"/k/{slug}/simpanan/anggota/{member.id}")
        shoot(wide, "member")
