"""In a real browser: the manajer applies for a member's loan, the ketua (a second person) approves
it, the kasir disburses it and takes the first installment, then a partial prepayment; every page
passes the CSP (no console error). With KOPDES_SCREENSHOTS=1 the loan card is saved as PNGs at
phone and desktop width (`screenshots/loans-*.png`)."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

from playwright.sync_api import expect

from core.db import db
from core.models import User
from erp.loans import service
from erp.loans.models import Loan
from tenants.context import tenant
from tests.conftest import make_cooperative
from tests.e2e.test_browser import sign_in
from tests.erp.loans.conftest import set_up_office
from tests.erp.membership.factories import make_member

OUT = Path(__file__).resolve().parents[2] / "screenshots"
PHONE = {"width": 360, "height": 740}


def shoot(page: Any, name: str) -> None:
    if os.environ.get("KOPDES_SCREENSHOTS"):
        OUT.mkdir(exist_ok=True)
        for viewport in (PHONE, {"width": 1280, "height": 800}):
            page.set_viewport_size(viewport)
            page.screenshot(path=str(OUT / f"loans-{name}-{viewport['width']}.png"), full_page=True)


def test_a_loan_is_applied_for_approved_by_a_second_person_disbursed_and_repaid(app, new_page):
    coop = make_cooperative()
    office = set_up_office(coop)
    maker, checker, teller = (db.session.get(User, i) for i in (office.maker, office.checker, office.teller))
    with tenant(coop.id):
        member = make_member(name="Siti Aminah")
    base = f"/k/{coop.slug}/pinjaman"

    desk = new_page()
    sign_in(desk, maker)
    desk.goto(f"{base}/ajukan")
    desk.get_by_label("Anggota").select_option(str(member.id))
    desk.get_by_label("Jumlah (Rp)").fill("10.000.000")
    desk.get_by_label("Jangka waktu (angsuran)").fill("12")
    desk.get_by_label("Tujuan pinjaman").fill("Modal warung sembako")
    desk.get_by_role("button", name="Ajukan").click()
    expect(desk.locator("h1")).to_contain_text("Kartu pinjaman")
    loan_url = desk.url
    with tenant(coop.id):
        loan_id = db.session.scalar(db.select(Loan.id))
    assert loan_url.endswith(f"{base}/{loan_id}")

    ketua = new_page()
    sign_in(ketua, checker)
    ketua.goto(f"{base}/persetujuan")
    card = ketua.locator("section.card", has_text="Modal warung sembako")
    card.get_by_role("button", name="Setujui").click()
    expect(ketua.get_by_text("Pinjaman disetujui.")).to_be_visible()

    kasir = new_page()
    sign_in(kasir, teller)
    kasir.goto(f"{base}/{loan_id}")
    kasir.get_by_role("button", name="Cairkan pinjaman").click()
    expect(kasir.get_by_text("Pinjaman dicairkan.")).to_be_visible()
    expect(kasir.get_by_role("heading", name="Jadwal angsuran")).to_be_visible()
    expect(kasir.locator("table").first).to_contain_text("Rp 833.337")  # the last pokok takes the residue
    pay = kasir.locator("section.card", has_text="Bayar angsuran")
    pay.get_by_label("Jumlah (Rp)").fill("500.000")
    pay.get_by_role("button", name="Bayar").click()
    expect(kasir.get_by_text(re.compile(r"Angsuran Rp 500\.000 dicatat"))).to_be_visible()
    with tenant(coop.id):
        assert service.outstanding_portfolio() == 10_000_000 - 350_000  # jasa 150.000 first
    partial = kasir.locator("#pelunasan")
    expect(partial).to_contain_text("Jumlah pelunasan hari ini")
    shoot(kasir, "card")
    partial.get_by_label("Jumlah dibayar (Rp)").fill("2.000.000")
    partial.get_by_label("Jangka waktu tetap, angsuran lebih kecil").check()
    partial.get_by_role("button", name="Bayar sebagian").click()
    expect(kasir.get_by_text(re.compile("Pelunasan sebagian Rp 2.000.000 dicatat"))).to_be_visible()
    expect(kasir.get_by_text("Jadwal sebelumnya")).to_be_visible()
    with tenant(coop.id):
        db.session.expire_all()
        assert service.get_loan(loan_id).schedule_version == 2
    shoot(kasir, "after-prepayment")
