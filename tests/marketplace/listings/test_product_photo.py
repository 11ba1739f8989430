"""A listing published from a product that has a photo starts with a copy of that photo (its own
files under the Kophub store, so removing one never touches the other); without one it starts
with none."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from core.db import db
from erp.inventory import photos as product_photos
from erp.inventory.models import Product
from marketplace.listings import service as listings
from tenants.context import tenant
from tests.marketplace.conftest import make_market


@pytest.fixture
def stores(app, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "KOPDES_PRODUCT_PHOTO_DIR", str(tmp_path / "produk"))
    monkeypatch.setitem(app.config, "KOPDES_KOPHUB_PHOTO_DIR", str(tmp_path / "kophub"))
    return tmp_path / "produk", tmp_path / "kophub"


def jpeg(size: tuple[int, int]) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (120, 160, 60)).save(out, format="JPEG")
    return out.getvalue()


def test_a_products_photo_becomes_the_listings_first_photo_as_a_copy(stores):
    produk, kophub = stores
    market = make_market()
    with tenant(market.coop.id):
        product = market.product()
        product_photos.set_photo(product.id, jpeg((1600, 1200)))
        product_key = db.session.get(Product, product.id).photo_key
        listing = market.publish(product)
        photo = listings.get_listing(listing.id).photos[0]
        assert photo.storage_key != product_key and photo.position == 0
        assert (photo.width, photo.height) == (600, 450)  # the product's large size, not enlarged
        assert Image.open(kophub / f"{photo.storage_key}-s.jpg").size == (400, 300)
        listings.remove_photo(listing.id, photo.id)
        assert not list(kophub.rglob("*.jpg"))
        assert (produk / f"{product_key}-l.jpg").is_file()


def test_a_product_without_a_photo_publishes_a_listing_without_one(stores):
    market = make_market()
    with tenant(market.coop.id):
        listing = market.publish()
        assert listings.get_listing(listing.id).photos == []
    assert not list(stores[1].rglob("*.jpg"))


def test_a_product_photo_too_narrow_for_kophub_is_not_offered(stores):
    market = make_market()
    with tenant(market.coop.id):
        product = market.product()
        product_photos.set_photo(product.id, jpeg((2400, 600)))  # 600 × 150 once shrunk
        listing = market.publish(product)
        assert listings.get_listing(listing.id).photos == []
