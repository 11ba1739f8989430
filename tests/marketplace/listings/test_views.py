from __future__ import annotations

import io

import pytest
from PIL import Image
from sqlalchemy import func, select

from core.db import db
from marketplace.listings import service as listings
from marketplace.listings.models import Listing, Photo
from tenants.context import tenant
from tests.conftest import add_staff
from tests.marketplace.conftest import make_market


@pytest.fixture
def photos(app, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "KOPDES_KOPHUB_PHOTO_DIR", str(tmp_path))
    return tmp_path


@pytest.fixture
def seller(app, client):
    market = make_market()
    with tenant(market.coop.id):
        product = market.product(stock=300)
    user = add_staff(market.coop, "gudang")
    client.login(user)
    return market, product


def form(product, market, **change):
    data = {
        "product_id": product.id,
        "location_id": market.shop.gudang.id,
        "title": "Beras Pandan Wangi",
        "description": "Beras pulen dari Cangkuang.",
        "category": "beras",
        "grade": "Premium",
        "price": "15.000",
        "min_order": "10",
        "tier_quantity_1": "100",
        "tier_price_1": "14000",
        "cert_halal": "ID32110000123450125",
    }
    data.update(change)
    return data


def count(model, coop_id) -> int:
    with tenant(coop_id):
        return db.session.scalar(select(func.count()).select_from(model))


def test_staff_publish_a_listing_from_the_form_and_see_it_in_their_list(seller, client):
    market, product = seller
    page = client.get(f"/k/{market.coop.slug}/kophub/penawaran/baru")
    assert page.status_code == 200 and "Tawarkan barang" in page.get_data(as_text=True)
    response = client.post(f"/k/{market.coop.slug}/kophub/penawaran/baru", form(product, market))
    assert response.status_code == 303
    listing_page = client.get(response.location)
    body = listing_page.get_data(as_text=True)
    assert "Beras Pandan Wangi" in body and "300 kg" in body
    index = client.get(f"/k/{market.coop.slug}/kophub/penawaran/").get_data(as_text=True)
    assert "Beras Pandan Wangi" in index and "Tayang" in index


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"price": "lima ribu"}, "rupiah bulat"),
        ({"category": "narkoba"}, "Pilihan tidak dikenal"),
        ({"tier_price_1": ""}, "bersama-sama"),
        ({"tier_price_1": "16000"}, "lebih murah"),
        ({"cert_halal": "?"}, "Nomor sertifikat"),
        ({"title": "   "}, "Wajib diisi"),
    ],
)
def test_bad_form_input_is_shown_again_with_a_message_and_writes_nothing(seller, client, change, message):
    market, product = seller
    response = client.post(f"/k/{market.coop.slug}/kophub/penawaran/baru", form(product, market, **change))
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert count(Listing, market.coop.id) == 0


def test_a_kasir_may_not_publish(app, client):
    market = make_market()
    with tenant(market.coop.id):
        product = market.product()
    client.login(add_staff(market.coop, "kasir"))
    response = client.post(f"/k/{market.coop.slug}/kophub/penawaran/baru", form(product, market))
    assert response.status_code == 403
    assert count(Listing, market.coop.id) == 0


def test_staff_of_another_cooperative_cannot_edit_or_pause_a_listing(app, client):
    a, b = make_market(), make_market()
    with tenant(a.coop.id):
        listing_id = a.publish().id
    client.login(add_staff(b.coop, "ketua"))
    assert client.get(f"/k/{b.coop.slug}/kophub/penawaran/{listing_id}").status_code == 404
    assert (
        client.post(f"/k/{b.coop.slug}/kophub/penawaran/{listing_id}/status", {"action": "pause"}).status_code
        == 404
    )
    assert (
        client.post(f"/k/{a.coop.slug}/kophub/penawaran/{listing_id}/status", {"action": "pause"}).status_code
        == 404
    )
    with tenant(a.coop.id):
        assert listings.get_listing(listing_id).status == "tayang"


def test_pause_from_the_page(seller, client):
    market, product = seller
    with tenant(market.coop.id):
        listing_id = market.publish(product).id
    response = client.post(f"/k/{market.coop.slug}/kophub/penawaran/{listing_id}/status", {"action": "pause"})
    assert response.status_code == 303
    with tenant(market.coop.id):
        assert listings.get_listing(listing_id).status == "dijeda"


def _jpeg_with_exif(size=(1600, 1200)) -> bytes:
    image = Image.new("RGB", size, (200, 120, 40))
    exif = Image.Exif()
    exif[0x010F] = "KameraRahasia"  # Make
    exif[0x8825] = {2: (6.0, 54.0, 0.0)}  # GPS latitude
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif.tobytes())
    return out.getvalue()


def test_a_photo_is_resized_stripped_of_exif_and_served_with_long_caching(seller, client, photos):
    market, product = seller
    with tenant(market.coop.id):
        listing_id = market.publish(product).id
    raw = _jpeg_with_exif()
    assert b"KameraRahasia" in raw
    response = client.post(
        f"/k/{market.coop.slug}/kophub/penawaran/{listing_id}/foto",
        {"photo": (io.BytesIO(raw), "sawah.jpg")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 303
    with tenant(market.coop.id):
        photo = listings.get_listing(listing_id).photos[0]
    assert (photo.width, photo.height) == (1200, 900)
    large = (photos / f"{photo.storage_key}-l.jpg").read_bytes()
    assert b"KameraRahasia" not in large and not Image.open(io.BytesIO(large)).getexif()
    assert Image.open(photos / f"{photo.storage_key}-s.jpg").size == (400, 300)
    tenant_id, token = photo.storage_key.split("/")
    served = client.get(f"/kophub/foto/{tenant_id}/{token}-s.jpg")
    assert served.status_code == 200 and served.mimetype == "image/jpeg"
    assert "immutable" in served.headers["Cache-Control"]
    assert client.get(f"/kophub/foto/{tenant_id}/{'0' * 32}-s.jpg").status_code == 404
    assert client.get(f"/kophub/foto/{tenant_id}/..%2F..%2Fsecret-s.jpg").status_code == 404


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        (b"%PDF-1.4 not a photo", "bukan foto"),
        (b"GIF89a" + b"\x00" * 100, "bukan foto"),
        (b"", "Pilih berkas foto"),
    ],
)
def test_a_file_that_is_not_a_photo_is_refused_and_nothing_is_stored(
    seller, client, photos, payload, message
):
    market, product = seller
    with tenant(market.coop.id):
        listing_id = market.publish(product).id
    name = "foto.jpg" if payload else ""
    response = client.post(
        f"/k/{market.coop.slug}/kophub/penawaran/{listing_id}/foto",
        {"photo": (io.BytesIO(payload), name)},
        content_type="multipart/form-data",
    )
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert count(Photo, market.coop.id) == 0
    assert not any(photos.rglob("*.jpg"))
