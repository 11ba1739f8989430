"""In a real browser, on a phone: the gudang adds a photo to a product on its page (a phone photo
of several MB lying on its side is shrunk before it is sent and comes out upright), sees it on the product's page and as a small thumb in the
product list, which never fetches the large file. Every page passes the CSP. With
KOPDES_SCREENSHOTS=1 the pages are saved at phone and desktop width
(`screenshots/inventory-photo-*.png`)."""

from __future__ import annotations

import io
from typing import Any

from PIL import Image, ImageDraw
from playwright.sync_api import expect

from core.db import db
from core.models import User
from erp.inventory import photos
from tenants.context import tenant
from tests.conftest import add_staff, make_cooperative, make_user
from tests.e2e.test_browser import sign_in
from tests.e2e.test_inventory import PHONE, shoot
from tests.erp.inventory.conftest import key, set_up_shop


def sideways_phone_photo() -> bytes:
    """A 12-megapixel JPEG of a few MB as a phone takes it: stored on its side, with EXIF saying
    "turn 90°"; upright it is a bottle (tall), red at the top, on a grainy background."""
    upright = Image.merge("RGB", [Image.effect_noise((3000, 4000), 40)] * 3)
    draw = ImageDraw.Draw(upright)
    draw.rectangle((1000, 500, 2000, 3750), fill=(230, 170, 30))
    draw.rectangle((1000, 500, 2000, 1250), fill=(200, 30, 30))
    exif = Image.Exif()
    exif[0x0112] = 6
    exif[0x010F] = "KameraMurah"
    out = io.BytesIO()
    upright.transpose(Image.Transpose.ROTATE_90).save(out, format="JPEG", quality=92, exif=exif)
    return out.getvalue()


def test_the_gudang_adds_a_product_photo_on_a_phone_and_the_list_shows_only_the_thumb(
    app, new_page, tmp_path, monkeypatch
):
    monkeypatch.setitem(app.config, "KOPDES_PRODUCT_PHOTO_DIR", str(tmp_path))
    received: list[int] = []
    real_set_photo = photos.set_photo

    def measuring(product_id: int, upload: Any, **kw: Any) -> Any:
        data = upload.read()
        received.append(len(data))
        return real_set_photo(product_id, data, **kw)

    monkeypatch.setattr(photos, "set_photo", measuring)
    coop = make_cooperative()
    shop = set_up_shop(coop)
    gudang = add_staff(coop, "gudang", user=make_user("Dewi Gudang"))
    with tenant(coop.id):
        oil = shop.product(
            code="MINYAKITA-1L", name="MinyaKita 1 L", category="minyak", unit="botol", price=15_700
        )
        shop.product(code="GULA-1KG", name="Gula pasir 1 kg", category="gula", unit="kg", price=17_500)
        shop.receive(oil, 24, 336_000)
        oil_id = oil.id
    base = f"/k/{coop.slug}/gudang"

    phone = new_page(viewport=PHONE)
    sign_in(phone, db.session.get(User, gudang.id))
    phone.goto(f"{base}/barang/{oil_id}")
    phone.get_by_text("Tambah foto barang").click()
    original = sideways_phone_photo()
    assert len(original) > 2_000_000
    phone.locator("input[name=photo]").set_input_files(
        files=[{"name": "IMG_20261125.jpg", "mimeType": "image/jpeg", "buffer": original}]
    )
    phone.get_by_role("button", name="Simpan foto").click()
    expect(phone.locator(".flash")).to_contain_text("Foto barang disimpan")
    # shrunk in the browser before it left the phone (at most 1200 px, upright, no EXIF)
    assert len(received) == 1 and 0 < received[0] < len(original) // 4
    expect(phone.locator(".flash")).to_contain_text("Foto barang disimpan")
    photo = phone.locator("img.product-photo")
    expect(photo).to_be_visible()
    natural = photo.evaluate("img => [img.complete, img.naturalWidth, img.naturalHeight]")
    assert natural == [True, 450, 600]  # upright, the large size
    top, bottom = photo.evaluate(
        """img => { const c = document.createElement('canvas'); c.width = 450; c.height = 600;
        const x = c.getContext('2d'); x.drawImage(img, 0, 0);
        return [Array.from(x.getImageData(225, 120, 1, 1).data), Array.from(x.getImageData(225, 500, 1, 1).data)]; }"""
    )
    assert top[0] > 150 and top[1] < 90 and bottom[1] > 120  # red cap on top: turned the right way
    shoot(phone, "photo-product", PHONE)

    fetched: list[str] = []
    phone.on("request", lambda request: fetched.append(request.url))
    phone.goto(f"{base}/")
    row = phone.locator("tr", has_text="MinyaKita 1 L")
    thumb = row.locator("img.thumb")
    thumb.scroll_into_view_if_needed()
    expect(thumb).to_have_attribute("loading", "lazy")
    phone.wait_for_function("() => document.querySelector('img.thumb').complete")
    assert thumb.evaluate("img => img.naturalWidth") == 72 and thumb.evaluate("img => img.width") == 48
    assert any(url.endswith("-s.jpg") for url in fetched)
    assert not any(url.endswith("-l.jpg") for url in fetched)
    assert phone.locator("tr", has_text="Gula pasir 1 kg").locator("img").count() == 0
    shoot(phone, "photo-list", PHONE)


def test_a_file_that_is_not_a_photo_is_refused_on_the_page(app, new_page, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "KOPDES_PRODUCT_PHOTO_DIR", str(tmp_path))
    coop = make_cooperative()
    shop = set_up_shop(coop)
    gudang = add_staff(coop, "gudang", user=make_user("Dewi Gudang"))
    with tenant(coop.id):
        product_id = shop.product(code=f"BRS-{key()}".upper()[:20]).id
    page: Any = new_page(viewport=PHONE)
    sign_in(page, db.session.get(User, gudang.id))
    page.goto(f"/k/{coop.slug}/gudang/barang/{product_id}")
    page.get_by_text("Tambah foto barang").click()
    page.locator("input[name=photo]").set_input_files(
        files=[{"name": "foto.jpg", "mimeType": "image/jpeg", "buffer": b"%PDF-1.4 bukan foto"}]
    )
    page.get_by_role("button", name="Simpan foto").click()
    expect(page.locator("#photo-error")).to_contain_text("bukan foto yang dapat dibaca")
    expect(page.locator("details#foto")).to_have_attribute("open", "")
    assert page.locator("img.product-photo").count() == 0
    shoot(page, "photo-refused", PHONE)
    assert not [p for p in tmp_path.rglob("*") if p.is_file()]
