"""In a real browser: a villager signs up and registers the cooperative, records the formation
stages with their evidence, a satgas of the region verifies the musdesus, and the public microsite
shows it."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.conftest import PASSWORD, grant_platform_role, make_user
from tests.e2e.test_browser import VILLAGE, VILLAGE_NAME, sign_in
from tests.tenants.test_registry import PDF, PNG

SCREENSHOTS = Path(__file__).resolve().parents[2] / "screenshots"


@pytest.fixture
def evidence_dir(app, tmp_path):
    app.config["KOPDES_EVIDENCE_DIR"] = str(tmp_path)
    yield tmp_path
    app.config.pop("KOPDES_EVIDENCE_DIR", None)


def shoot(page: Any, name: str) -> None:
    if os.environ.get("KOPDES_SCREENSHOTS"):
        SCREENSHOTS.mkdir(exist_ok=True)
        width = page.viewport_size["width"]
        page.screenshot(path=str(SCREENSHOTS / f"{name}-{width}.png"), full_page=True)


def record_stage(
    page: Any, stage: str, held_on: str, attendance: str, name: str, mime: str, data: bytes
) -> None:
    form = page.locator(f"#{stage} form")
    form.get_by_label("Tanggal pelaksanaan").fill(held_on)
    form.get_by_label("Jumlah hadir").fill(attendance)
    form.get_by_label("Bukti (PDF, JPG, PNG)").set_input_files(
        files=[{"name": name, "mimeType": mime, "buffer": data}]
    )
    form.get_by_role("button", name="Simpan tahap").click()
    expect(page.locator(f"#{stage} .badge")).to_have_text("Menunggu verifikasi")


@pytest.mark.parametrize("width", [360, 1280])
def test_register_upload_the_musdesus_minutes_satgas_verifies_and_the_microsite_shows_it(
    app, new_page, evidence_dir, width
):
    satgas = make_user("Satgas Jawa Barat")
    grant_platform_role(satgas, "satgas", region_code="32")
    viewport = {"width": width, "height": 800}

    page = new_page(viewport=viewport)
    page.goto("/")
    page.get_by_role("link", name="Daftarkan koperasi").click()
    shoot(page, "sign-up")
    form = page.locator("main form")
    form.get_by_label("Nama lengkap").fill("Siti Aminah")
    form.get_by_label("Nomor HP").fill("0812 3456 7890")
    form.get_by_label("Kata sandi").fill(PASSWORD)
    form.get_by_role("button", name="Buat akun").click()

    page.wait_for_url("**/daftar-koperasi")
    picker = page.locator("[data-region-picker]")
    for level, code in enumerate(VILLAGE, start=1):
        select = picker.locator(f"select[data-level='{level}']")
        select.locator(f"option[value='{code}']").wait_for(state="attached")
        select.select_option(code)
    page.get_by_label("Pengembangan koperasi yang ada (mis. KUD, KSP)").check()
    page.get_by_label("Alamat sekretariat").fill("Jl. Raya Dayeuhkolot No. 12")
    page.get_by_label("Tanggal berdiri").fill("2025-06-01")
    shoot(page, "register")
    page.get_by_role("button", name="Daftarkan koperasi").click()

    page.wait_for_url(re.compile(r"/k/[a-z0-9-]+/profil$"))
    slug = page.url.split("/k/")[1].split("/")[0]
    assert VILLAGE_NAME in page.locator(".flash").inner_text()
    officer = page.locator("form.add-officer")
    officer.get_by_label("Nama").fill("Siti Aminah")
    officer.get_by_label("NIK").fill("3204124501900001")
    officer.get_by_role("button", name="Tambah").click()
    expect(page.locator("#officer table")).to_contain_text("320412••••••0001")
    page.get_by_label("Status Gerai sembako").select_option("beroperasi")
    page.get_by_label("Mulai Gerai sembako").fill("2025-08-01")
    page.get_by_role("button", name="Simpan unit usaha").click()
    expect(page.locator(".flash")).to_have_text("Unit usaha disimpan.")
    shoot(page, "profile")

    page.locator("nav.menu").get_by_role("link", name="Pembentukan").click()
    record_stage(page, "sosialisasi", "2025-05-03", "85", "foto-sosialisasi.png", "image/png", PNG)
    record_stage(page, "musdesus", "2025-05-20", "132", "berita-acara-musdesus.pdf", "application/pdf", PDF)
    assert page.locator("#musdesus .files a").inner_text() == "berita-acara-musdesus.pdf"
    shoot(page, "formation")

    satgas_page = new_page(viewport=viewport)
    sign_in(satgas_page, satgas)
    satgas_page.wait_for_url("**/satgas")
    shoot(satgas_page, "satgas")
    satgas_page.get_by_role("link", name=VILLAGE_NAME).click()
    musdesus = satgas_page.locator("#musdesus")
    expect(musdesus.get_by_role("link", name="berita-acara-musdesus.pdf")).to_be_visible()
    shoot(satgas_page, "satgas-cooperative")
    musdesus.get_by_role("button", name="Verifikasi").click()
    expect(satgas_page.locator("#musdesus .badge")).to_have_text("Terverifikasi")
    sosialisasi = satgas_page.locator("#sosialisasi")
    sosialisasi.get_by_label("Alasan pengembalian").fill("Foto daftar hadir kurang jelas")
    sosialisasi.get_by_role("button", name="Kembalikan").click()
    expect(satgas_page.locator("#sosialisasi .badge")).to_have_text("Dikembalikan")

    page.reload()
    expect(page.locator("#musdesus .badge")).to_have_text("Terverifikasi")
    expect(page.locator("#sosialisasi .missing")).to_contain_text("Perbaikan: Foto daftar hadir kurang jelas")

    public = new_page(viewport=viewport, java_script_enabled=False)
    public.goto(f"/koperasi/{slug}")
    assert public.locator("h1").inner_text() == VILLAGE_NAME
    progress = public.locator("ol.progress li", has_text="Musyawarah desa khusus")
    expect(progress).to_contain_text("Terverifikasi")
    expect(public.locator("ul.chips")).to_contain_text("Gerai sembako")
    assert public.locator("script").count() == 0
    shoot(public, "microsite")
    public.get_by_role("link", name="Poster kode QR untuk dicetak").click()
    expect(public.locator("img.qr")).to_be_visible()
    qr = public.request.get(
        public.locator("img.qr").get_attribute("src")
    )  # a failed load also fails the test
    assert qr.ok and qr.headers["content-type"].startswith("image/svg+xml")
    shoot(public, "poster")
    public.goto("/koperasi?q=cangkuang")
    expect(public.locator("table.list")).to_contain_text(VILLAGE_NAME)
    shoot(public, "directory")


@pytest.mark.parametrize("width", [360, 1280])
def test_the_satgas_dashboard_drills_down_from_province_to_village(app, new_page, width):
    from tenants import rollups
    from tests.conftest import make_cooperative

    make_cooperative(VILLAGE[3], "cangkuang-wetan")
    make_cooperative("32.04.12.2004", "desa-kedua")
    rollups.refresh()
    satgas = make_user("Satgas Jawa Barat")
    grant_platform_role(satgas, "satgas", region_code="32")
    page = new_page(viewport={"width": width, "height": 800})
    sign_in(page, satgas)
    page.wait_for_url("**/satgas")
    page.locator("nav.menu").get_by_role("link", name="Dasbor wilayah").click()
    expect(page.locator("h1")).to_have_text("Jawa Barat")
    shoot(page, "dashboard-province")
    page.get_by_role("link", name="Kabupaten Bandung").click()
    page.get_by_role("link", name="Dayeuhkolot").click()
    expect(page.locator("table.drill")).to_contain_text("Koperasi Uji")
    page.get_by_role("link", name="30 hari").click()
    expect(page.locator("#lagging table")).to_contain_text("Belum pernah")
    shoot(page, "dashboard-district")
