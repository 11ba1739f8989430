"""A buyer on a 360 px phone finds village produce on Kophub: without JavaScript through the form
and filter links, and with it as they type."""

from __future__ import annotations

from playwright.sync_api import expect

from tenants.context import tenant
from tests.marketplace.conftest import make_market, run_index_jobs


def _catalogue() -> int:
    bandung, wonosobo = make_market("32.04.12.2003"), make_market("33.07.07.1006")
    with tenant(bandung.coop.id):
        listing_id = bandung.publish(bandung.product(stock=500), title="Berasnya pulen Cangkuang").id
    with tenant(wonosobo.coop.id):
        wonosobo.publish(
            wonosobo.product(stock=300),
            title="Gula aren cetak",
            description="Gula aren murni dari nira pohon aren.",
            category="gula",
            tiers=(),
        )
    run_index_jobs()
    return listing_id


def test_without_javascript_a_buyer_searches_filters_by_province_and_opens_a_listing(app, new_page):
    listing_id = _catalogue()
    page = new_page(java_script_enabled=False, viewport={"width": 360, "height": 740})
    page.goto("/kophub/")
    page.fill("#kh-q", "beras")
    page.click("form.kh-search button")
    page.wait_for_url("**/kophub/?q=beras")
    assert page.locator(".kh-card").count() == 1
    page.click("text=Jawa Barat")
    assert page.locator(".kh-card .kh-title").inner_text() == "Berasnya pulen Cangkuang"
    page.click(".kh-card a")
    page.wait_for_url(f"**/kophub/p/{listing_id}")
    assert "Rp 13.000" in page.locator(".kh-tiers").inner_text()
    assert page.locator("text=Cangkuang Wetan").count() >= 1
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 360, "the page scrolls sideways on a phone"


def test_results_follow_the_words_as_the_buyer_types(app, new_page):
    _catalogue()
    page = new_page(viewport={"width": 360, "height": 740})
    page.goto("/kophub/")
    assert page.locator(".kh-card").count() == 2
    page.type("#kh-q", "gula ar", delay=30)
    expect(page.locator(".kh-card")).to_have_count(1)
    assert page.locator(".kh-card .kh-title").inner_text() == "Gula aren cetak"
    assert "q=gula+ar" in page.url
