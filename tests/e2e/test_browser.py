"""What people do in a real browser: sign in, see their menu, switch cooperatives and language,
and create a cooperative with the region picker."""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask import Flask
from flask_babel import force_locale, gettext
from playwright.sync_api import expect

from tests.conftest import PASSWORD, add_staff, grant_platform_role, make_cooperative, make_user

VILLAGE = ("32", "32.04", "32.04.12", "32.04.12.2003")  # Jawa Barat › Bandung › Banjaran › Cangkuang Wetan
VILLAGE_NAME = "Koperasi Desa Merah Putih Cangkuang Wetan"


def sign_in(page: Any, user: Any, password: str = PASSWORD) -> None:
    page.goto("/masuk")
    form = page.locator("main form")
    form.get_by_label("E-mail atau nomor HP").fill(user.email or user.phone)
    form.get_by_label("Kata sandi").fill(password)
    form.get_by_role("button", name="Masuk").click()


def menu_items(page: Any) -> list[str]:
    return [t.strip() for t in page.locator("nav.menu a").all_inner_texts()]


def english(app: Flask, text: str) -> str:
    """`text` as the app shows it in English (itself while the catalog lacks a translation)."""
    with app.test_request_context(), force_locale("en"):
        return gettext(text)


@pytest.mark.parametrize(
    ("role", "allowed", "denied"),
    [
        ("ketua", ["Beranda", "Staf & peran", "Log audit"], []),
        ("kasir", ["Beranda"], ["Staf & peran", "Log audit"]),
    ],
)
def test_signing_in_lands_on_the_cooperative_dashboard_with_the_menu_the_role_allows(
    app, page, role, allowed, denied
):
    coop = make_cooperative()
    user = add_staff(coop, role, user=make_user("Budi Santoso"))
    slug, name = coop.slug, coop.name

    sign_in(page, user)

    page.wait_for_url(f"**/k/{slug}/")
    assert page.locator("h1").inner_text() == name
    assert page.locator("header .coop-name").inner_text() == name
    items = menu_items(page)
    for label in allowed:
        assert label in items
    for label in denied:
        assert label not in items
    assert page.locator("nav.menu a[aria-current=page]").inner_text() == "Beranda"
    assert page.get_by_role("button", name="Keluar").is_visible()


def test_a_wrong_password_shows_the_indonesian_error_and_stays_on_the_login_page(app, page):
    user = add_staff(make_cooperative(), "ketua")

    sign_in(page, user, password="bukan-sandinya-123")

    alert = page.get_by_role("alert")
    assert "E-mail/nomor HP atau kata sandi salah." in alert.inner_text()
    assert page.url.endswith("/masuk")
    assert page.get_by_label("E-mail atau nomor HP").input_value() == user.email
    assert page.get_by_label("Kata sandi").input_value() == ""
    assert page.locator("nav.menu").count() == 0


def test_a_person_in_two_cooperatives_switches_with_the_header_switcher(app, page):
    first, second = make_cooperative(), make_cooperative()
    user = add_staff(first, "ketua", user=make_user("Dewi Lestari"))
    add_staff(second, "kasir", user=user)
    first_slug, first_name, second_slug, second_name = first.slug, first.name, second.slug, second.name

    sign_in(page, user)
    page.wait_for_url("**/akun")  # two places: the chooser
    page.get_by_role("link", name=first_name).click()
    page.wait_for_url(f"**/k/{first_slug}/")
    assert "Log audit" in menu_items(page)

    switcher = page.locator("header details.switcher")
    assert not switcher.get_by_role("link", name=second_name).is_visible()
    switcher.locator("summary").click()
    assert switcher.locator("a[aria-current=page]").inner_text().startswith(first_name)
    switcher.get_by_role("link", name=second_name).click()

    page.wait_for_url(f"**/k/{second_slug}/")
    assert page.locator("h1").inner_text() == second_name
    assert page.locator("header .coop-name").inner_text() == second_name
    assert "Kasir" in page.locator(".tiles").inner_text()
    assert "Log audit" not in menu_items(page)  # a kasir there


def test_switching_the_language_to_english_shows_english_and_stays_on_the_page(app, page):
    coop = make_cooperative()
    user = add_staff(coop, "ketua")
    slug = coop.slug
    sign_in(page, user)
    page.wait_for_url(f"**/k/{slug}/")
    assert page.locator("html").get_attribute("lang") == "id"

    page.locator("header").get_by_role("button", name="English").click()

    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page).to_have_url(re.compile(rf"/k/{slug}/$"))  # back on the same page
    back = page.locator("header").get_by_role("button", name="Bahasa Indonesia")
    assert back.get_attribute("lang") == "id"
    for text in ("Keluar", "Staf & peran", "Beranda"):
        shown = english(app, text)
        if shown != text:  # translated in the catalog: the page must show the English text
            assert shown in page.locator("body").inner_text()

    page.goto("/akun")  # the choice follows the person from page to page
    assert page.locator("html").get_attribute("lang") == "en"

    page.locator("header").get_by_role("button", name="Bahasa Indonesia").click()
    expect(page.locator("html")).to_have_attribute("lang", "id")
    expect(page).to_have_url(re.compile(r"/akun$"))
    assert page.locator("header").get_by_role("button", name="English").is_visible()


def _platform_admin() -> Any:
    admin = make_user("Admin Platform")
    grant_platform_role(admin, "platform_admin")
    return admin


def test_a_platform_admin_creates_a_cooperative_with_the_region_picker(app, page):
    sign_in(page, _platform_admin())
    page.wait_for_url("**/admin/koperasi")
    picker = page.locator("[data-region-picker]")
    assert page.get_by_role("button", name="Lanjut").is_hidden()  # JavaScript took over

    for level, code in enumerate(VILLAGE, start=1):
        select = picker.locator(f"select[data-level='{level}']")
        select.locator(f"option[value='{code}']").wait_for(state="attached")  # loaded from /api/v1/regions
        select.select_option(code)
    assert picker.locator("select").count() == 4

    page.get_by_role("button", name="Buat koperasi").click()

    page.wait_for_url(re.compile(r"/admin/koperasi/\d+$"))
    assert page.locator("h1").inner_text() == VILLAGE_NAME
    assert f"{VILLAGE_NAME} dibuat." in page.locator(".flash").inner_text()
    page.get_by_role("link", name="Semua koperasi").click()
    row = page.locator("table.list tbody tr", has_text=VILLAGE_NAME)
    assert "Cangkuang Wetan" in row.inner_text() or "CANGKUANG WETAN" in row.inner_text().upper()


def test_changing_a_province_clears_the_levels_below_it(app, page):
    sign_in(page, _platform_admin())
    page.wait_for_url("**/admin/koperasi")
    picker = page.locator("[data-region-picker]")
    picker.locator("select[data-level='1']").select_option("32")
    picker.locator("select[data-level='2'] option[value='32.04']").wait_for(state="attached")
    picker.locator("select[data-level='2']").select_option("32.04")
    picker.locator("select[data-level='3'] option[value='32.04.12']").wait_for(state="attached")

    picker.locator("select[data-level='1']").select_option("33")

    picker.locator("select[data-level='2'] option[value^='33.']").first.wait_for(state="attached")
    assert picker.locator("select[data-level='3']").count() == 0
    assert picker.locator("select[data-level='2'] option[value^='32.']").count() == 0


def test_the_village_type_ahead_fills_the_whole_picker(app, page):
    sign_in(page, _platform_admin())
    page.wait_for_url("**/admin/koperasi")
    search = page.get_by_label("Atau cari nama desa")
    search.fill("Cangkuang W")
    option = page.locator("#village-suggestions option", has_text="Cangkuang Wetan").first
    option.wait_for(state="attached")
    search.fill(option.evaluate("o => o.value"))

    village = page.locator("select[data-level='4']")
    village.locator("option[value='32.04.12.2003']").wait_for(state="attached")
    assert village.input_value() == "32.04.12.2003"
    assert page.locator("select[data-level='3']").input_value() == "32.04.12"


def test_without_javascript_the_region_picker_works_with_the_next_button(app, new_page):
    page = new_page(java_script_enabled=False)
    sign_in(page, _platform_admin())
    page.wait_for_url("**/admin/koperasi")
    next_button = page.get_by_role("button", name="Lanjut")
    for level, code in enumerate(VILLAGE, start=1):
        page.locator(f"select[data-level='{level}']").select_option(code)
        if level < 4:
            next_button.click()
            page.locator(f"select[data-level='{level + 1}']").wait_for()
    # the picker suggests the standard name once the village is chosen
    next_button.click()
    assert page.get_by_label("Nama koperasi").input_value() == VILLAGE_NAME

    page.get_by_role("button", name="Buat koperasi").click()

    page.wait_for_url(re.compile(r"/admin/koperasi/\d+$"))
    assert page.locator("h1").inner_text() == VILLAGE_NAME


def test_the_levels_the_region_picker_adds_are_labelled_in_the_page_language(app, page):
    sign_in(page, _platform_admin())
    page.wait_for_url("**/admin/koperasi")
    page.locator("header").get_by_role("button", name="English").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    picker = page.locator("[data-region-picker]")

    picker.locator("select[data-level='1']").select_option("32")

    regency = picker.locator("select[data-level='2']")
    regency.locator("option[value='32.04']").wait_for(state="attached")
    label = picker.locator("label:has(select[data-level='2']) > span").inner_text()
    placeholder = regency.locator("option").first.inner_text()
    assert label == english(app, "Kabupaten/kota")
    assert placeholder == f"— {english(app, 'pilih')} —"


def test_a_refused_role_change_is_shown_at_that_staff_member_not_at_the_invitation_form(app, page):
    coop = make_cooperative()
    ketua = add_staff(coop, "ketua", user=make_user("Siti Aminah"))
    add_staff(coop, "kasir", user=make_user("Budi Santoso"))
    slug = coop.slug
    sign_in(page, ketua)
    page.wait_for_url(f"**/k/{slug}/")
    page.goto(f"/k/{slug}/staf")
    row = page.locator("table.list tr", has_text="Siti Aminah")
    row.locator("summary").click()
    row.get_by_label("Ketua").uncheck()
    row.get_by_label("Bendahara").check()

    row.get_by_role("button", name="Simpan peran").click()  # the last ketua may not step down

    row = page.locator("table.list tr", has_text="Siti Aminah")
    expect(row.get_by_role("alert")).to_contain_text("Koperasi harus tetap memiliki seorang ketua.")
    assert row.get_by_label("Bendahara").is_checked()  # what was sent, to correct
    invite = page.locator("section", has=page.get_by_role("heading", name="Undang staf"))
    assert invite.get_by_role("alert").count() == 0
    assert (
        page.locator("table.list tr", has_text="Budi Santoso").locator("details").get_attribute("open")
        is None
    )
