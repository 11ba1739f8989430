"""PNGs of the main pages on a phone and a laptop, for looking at the design (not a check).

    KOPDES_SCREENSHOTS=1 .venv/bin/pytest tests/e2e -m screenshots

writes `screenshots/<page>-<width>.png` (the folder is not committed).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from core.auth import issue_api_token
from tenants import service
from tests.conftest import add_staff, grant_platform_role, make_user
from tests.e2e.test_browser import VILLAGE, sign_in

pytestmark = [
    pytest.mark.screenshots,
    pytest.mark.skipif(not os.environ.get("KOPDES_SCREENSHOTS"), reason="set KOPDES_SCREENSHOTS=1"),
]

OUT = Path(__file__).resolve().parents[2] / "screenshots"
VIEWPORTS = {"360": {"width": 360, "height": 740}, "1280": {"width": 1280, "height": 800}}


def shoot(page: Any, name: str, width: str) -> None:
    OUT.mkdir(exist_ok=True)
    page.screenshot(path=str(OUT / f"{name}-{width}.png"), full_page=True)


@pytest.mark.parametrize("width", VIEWPORTS)
def test_screenshots_of_the_main_pages(app, new_page, width):
    admin = make_user("Rahmat Hidayat")
    grant_platform_role(admin, "platform_admin")
    coop = service.create_cooperative(VILLAGE[3], None, admin)
    other = service.create_cooperative("33.07.07.1006", None, admin)
    ketua = add_staff(coop, "ketua", user=make_user("Siti Aminah", email="siti.aminah@example.id"))
    add_staff(other, "pengawas", "anggota", user=ketua)
    add_staff(coop, "bendahara", user=make_user("Budi Santoso", phone="+6281234567890"))
    add_staff(coop, "kasir", "gudang", user=make_user("Dewi Lestari Wulandari"))
    issue_api_token(ketua, "Aplikasi kasir", cooperative_id=coop.id)
    slug = coop.slug

    page = new_page(viewport=VIEWPORTS[width])
    page.goto("/")
    shoot(page, "home", width)
    page.goto("/masuk")
    shoot(page, "login", width)
    sign_in(page, ketua, password="salah-sandi-sekali")
    shoot(page, "login-error", width)

    sign_in(page, ketua)
    page.wait_for_url("**/akun")
    shoot(page, "account", width)

    page.goto(f"/k/{slug}/")
    shoot(page, "dashboard", width)
    page.locator("header details.switcher summary").click()
    shoot(page, "dashboard-switcher", width)
    page.locator("header").get_by_role("button", name="English").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    shoot(page, "dashboard-en", width)
    page.locator("header").get_by_role("button", name="Bahasa Indonesia").click()
    expect(page.locator("html")).to_have_attribute("lang", "id")

    page.goto(f"/k/{slug}/staf")
    form = page.locator("form", has=page.get_by_role("button", name="Kirim undangan"))
    form.get_by_label("E-mail").fill("calon.staf@example.id")
    form.get_by_label("Sekretaris").check()
    form.get_by_role("button", name="Kirim undangan").click()
    page.locator("code.secret").wait_for()
    page.locator("table.list details summary").first.click()
    shoot(page, "staff", width)

    page.goto("/halaman-yang-tidak-ada")
    shoot(page, "404", width)

    admin_page = new_page(viewport=VIEWPORTS[width])
    sign_in(admin_page, admin)
    admin_page.wait_for_url("**/admin/koperasi")
    picker = admin_page.locator("[data-region-picker]")
    for level, code in enumerate(VILLAGE, start=1):
        select = picker.locator(f"select[data-level='{level}']")
        select.locator(f"option[value='{code}']").wait_for(state="attached")
        select.select_option(code)
    shoot(admin_page, "admin-cooperatives", width)
    admin_page.get_by_role("button", name="Buat koperasi").click()  # the village has one already
    admin_page.get_by_role("alert").wait_for()
    shoot(admin_page, "admin-cooperatives-error", width)
    admin_page.goto(f"/admin/koperasi/{other.id}")
    shoot(admin_page, "admin-cooperative", width)
