"""A product's photo: uploaded on the product's page by who keeps the products, stored as two
metadata-free JPEGs (a 96-pixel thumb for lists, 600 pixels for the product's page), replaced or
removed without leaving files behind, audited, and served only to the cooperative's own staff."""

from __future__ import annotations

import io
import re

import pytest
from PIL import Image
from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError

from core.db import db
from core.images import PhotoRefused
from core.models import AuditEntry
from erp.inventory import photos
from erp.inventory.models import Product
from tenants.context import tenant
from tests.conftest import add_staff, make_cooperative
from tests.erp.inventory.conftest import set_up_shop


def picture(size=(1600, 1200), fmt="JPEG", mode="RGB", exif: Image.Exif | None = None) -> bytes:
    image = Image.new(mode, size, (200, 120, 40, 128) if mode == "RGBA" else (200, 120, 40))
    out = io.BytesIO()
    image.save(out, format=fmt, **({"exif": exif} if exif is not None else {}))
    return out.getvalue()


def camera_exif(orientation: int = 6) -> Image.Exif:
    exif = Image.Exif()
    exif[0x0112] = orientation  # "rotate 90°" for a phone held upright
    exif[0x010F] = "KameraMurah"
    exif[0x8825] = {1: "S", 2: (6.0, 54.0, 0.0), 3: "E", 4: (106.0, 49.0, 0.0)}
    return exif


@pytest.fixture
def store(app, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "KOPDES_PRODUCT_PHOTO_DIR", str(tmp_path))
    return tmp_path


def files(store) -> set[str]:
    return {str(p.relative_to(store)) for p in store.rglob("*") if p.is_file()}


def key_of(product_id: int) -> str | None:
    return db.session.scalar(select(Product.photo_key).where(Product.id == product_id))


def _product(shop) -> Product:
    return shop.product(code=f"MNY-{shop.coop.id}", name="Minyak goreng 1 L", unit="botol", price=15_000)


def test_a_phone_photo_is_stored_upright_in_two_sizes_without_its_metadata_and_audited(shop, store):
    product = _product(shop)
    photos.set_photo(product.id, picture(exif=camera_exif()), user_id=None)
    key = key_of(product.id)
    assert key and key.startswith(f"{shop.coop.id}/")
    assert files(store) == {f"{key}-s.jpg", f"{key}-l.jpg"}
    large = (store / f"{key}-l.jpg").read_bytes()
    image = Image.open(io.BytesIO(large))
    assert image.format == "JPEG" and image.size == (450, 600)  # upright portrait
    assert Image.open(store / f"{key}-s.jpg").size == (72, 96)
    assert b"KameraMurah" not in large and len(image.getexif()) == 0
    entry = db.session.scalars(
        select(AuditEntry).where(AuditEntry.action == "inventory.product_photo_set")
    ).one()
    assert entry.entity_id == str(product.id) and entry.after["photo"] == key


def test_a_transparent_png_lands_on_white(shop, store):
    product = _product(shop)
    photos.set_photo(product.id, picture((300, 300), fmt="PNG", mode="RGBA"))
    key = key_of(product.id)
    r, g, b = Image.open(store / f"{key}-l.jpg").convert("RGB").getpixel((150, 150))
    assert r > 220 and g > 180 and b > 140


def test_replacing_a_photo_removes_the_old_files_and_removing_it_leaves_none(shop, store):
    product = _product(shop)
    photos.set_photo(product.id, picture())
    first = key_of(product.id)
    photos.set_photo(product.id, picture((800, 800)))
    second = key_of(product.id)
    assert second != first and files(store) == {f"{second}-s.jpg", f"{second}-l.jpg"}
    assert photos.remove_photo(product.id) is True
    assert key_of(product.id) is None and files(store) == set()
    assert photos.remove_photo(product.id) is False
    actions = list(
        db.session.scalars(
            select(AuditEntry.action).where(AuditEntry.entity == "inventory_product").order_by(AuditEntry.id)
        )
    )
    assert actions[-3:] == [
        "inventory.product_photo_set",
        "inventory.product_photo_set",
        "inventory.product_photo_removed",
    ]


@pytest.mark.parametrize(
    ("content", "fragment"),
    [
        (b"", "kosong"),
        (b"%PDF-1.4 bukan foto", "bukan foto yang dapat dibaca"),
        (picture(fmt="GIF", mode="P"), "bukan foto yang dapat dibaca"),
        (picture((150, 600)), "terlalu kecil (paling sedikit 200 piksel)"),
        (b"\xff\xd8" + b"0" * (8 * 1024 * 1024), "terlalu besar"),
    ],
    ids=["empty", "pdf", "gif", "too-small", "too-big"],
)
def test_a_refused_file_keeps_the_photo_there_was_and_writes_no_file(shop, store, content, fragment):
    product = _product(shop)
    photos.set_photo(product.id, picture())
    key = key_of(product.id)
    before = files(store)
    with pytest.raises(PhotoRefused) as refused:
        photos.set_photo(product.id, content)
    db.session.rollback()
    assert fragment in str(refused.value.message) and refused.value.fields["photo"]
    assert key_of(product.id) == key and files(store) == before


def test_a_change_that_fails_after_the_files_are_written_leaves_no_files(shop, store, monkeypatch):
    from core import audit

    product = _product(shop)

    def broken(*args, **kwargs):
        raise RuntimeError("database gone")

    monkeypatch.setattr(audit, "record", broken)
    with pytest.raises(RuntimeError):
        photos.set_photo(product.id, picture())
    assert files(store) == set() and key_of(product.id) is None


def test_the_database_refuses_a_key_of_another_cooperative(app, store):
    a, b = make_cooperative(), make_cooperative()
    shop = set_up_shop(a)
    with tenant(a.id):
        product = _product(shop)
        with pytest.raises(IntegrityError, match="photo_key_of_tenant"):
            db.session.execute(
                text("UPDATE inventory_products SET photo_key = :k WHERE id = :id"),
                {"k": f"{b.id}/{'a' * 32}", "id": product.id},
            )
        db.session.rollback()


@pytest.fixture
def staffed(app, store):
    shop = set_up_shop(make_cooperative())
    with tenant(shop.coop.id):
        product = _product(shop)
    return shop, product, add_staff(shop.coop, "gudang")


def test_the_gudang_uploads_a_photo_on_the_product_page_and_sees_it_in_the_list(staffed, client, store):
    shop, product, gudang = staffed
    client.login(gudang)
    page_url = f"/k/{shop.coop.slug}/gudang/barang/{product.id}"
    assert "Tambah foto barang" in client.get(page_url).get_data(as_text=True)
    response = client.post(page_url + "/foto", {"photo": (io.BytesIO(picture()), "IMG_0001.JPG")})
    assert response.status_code == 303
    with tenant(shop.coop.id):
        key = key_of(product.id)
    token = key.split("/")[1]
    page = client.get(page_url).get_data(as_text=True)
    assert f'src="/k/{shop.coop.slug}/gudang/foto/{token}-l.jpg"' in page and "Ganti foto barang" in page

    listing = client.get(f"/k/{shop.coop.slug}/gudang/").get_data(as_text=True)
    thumb = re.search(r'<img class="thumb" src="([^"]+)"[^>]*>', listing)
    assert thumb is not None and thumb.group(1) == f"/k/{shop.coop.slug}/gudang/foto/{token}-s.jpg"
    assert (
        'loading="lazy"' in thumb.group(0)
        and 'width="48"' in thumb.group(0)
        and 'height="48"' in thumb.group(0)
    )
    assert "-l.jpg" not in listing  # a phone scrolling the list never fetches the large one

    served = client.get(thumb.group(1))
    assert served.status_code == 200 and served.mimetype == "image/jpeg"
    assert Image.open(io.BytesIO(served.data)).size == (96, 72)
    assert served.headers["Cache-Control"] == "private, max-age=31536000, immutable"
    assert served.headers["X-Content-Type-Options"] == "nosniff"
    assert client.get(f"/k/{shop.coop.slug}/gudang/foto/{token}-xl.jpg").status_code == 404
    assert client.get(f"/k/{shop.coop.slug}/gudang/foto/{'0' * 32}-s.jpg").status_code == 404
    assert client.get(f"/k/{shop.coop.slug}/gudang/foto/..%2F..%2Fsecret-s.jpg").status_code == 404

    assert client.post(page_url + "/foto", {"hapus": "1"}).status_code == 303
    assert client.get(thumb.group(1)).status_code == 404 and files(store) == set()
    assert "Tambah foto barang" in client.get(page_url).get_data(as_text=True)


def test_a_bad_upload_shows_the_page_again_with_the_reason(staffed, client, store):
    shop, product, gudang = staffed
    client.login(gudang)
    page_url = f"/k/{shop.coop.slug}/gudang/barang/{product.id}"
    client.get(page_url)
    bad = client.post(page_url + "/foto", {"photo": (io.BytesIO(b"MZ bukan foto"), "foto.jpg")})
    body = bad.get_data(as_text=True)
    assert bad.status_code == 422 and "bukan foto yang dapat dibaca" in body and 'id="photo-error"' in body
    empty = client.post(page_url + "/foto", {})
    assert empty.status_code == 422 and "Pilih foto JPG, PNG, atau WebP" in empty.get_data(as_text=True)
    with tenant(shop.coop.id):
        assert key_of(product.id) is None
    assert files(store) == set()


def test_a_kasir_may_neither_change_nor_fetch_a_product_photo(staffed, client, make_client, store):
    shop, product, gudang = staffed
    with tenant(shop.coop.id):
        photos.set_photo(product.id, picture())
        token = key_of(product.id).split("/")[1]
    kasir = make_client()
    kasir.login(add_staff(shop.coop, "kasir"))
    url = f"/k/{shop.coop.slug}/gudang/barang/{product.id}/foto"
    assert kasir.post(url, {"hapus": "1"}).status_code == 403
    assert kasir.get(f"/k/{shop.coop.slug}/gudang/foto/{token}-s.jpg").status_code == 403
    with tenant(shop.coop.id):
        assert key_of(product.id) is not None


def test_staff_of_another_cooperative_never_get_its_photo_files(app, client, store):
    a, b = set_up_shop(make_cooperative()), set_up_shop(make_cooperative())
    with tenant(b.coop.id):
        product_b = _product(b)
        photos.set_photo(product_b.id, picture())
        token = key_of(product_b.id).split("/")[1]
    client.login(add_staff(a.coop, "gudang", "manajer"))
    # B's key under A's own address: the file is looked up among A's photos only
    assert client.get(f"/k/{a.coop.slug}/gudang/foto/{token}-s.jpg").status_code == 404
    assert client.get(f"/k/{a.coop.slug}/gudang/foto/{token}-l.jpg").status_code == 404
    # B's address: A's staff are not B's
    assert client.get(f"/k/{b.coop.slug}/gudang/foto/{token}-s.jpg").status_code == 404
    assert (
        client.post(f"/k/{b.coop.slug}/gudang/barang/{product_b.id}/foto", {"hapus": "1"}).status_code == 404
    )
    # B's product id under A's address
    assert (
        client.post(f"/k/{a.coop.slug}/gudang/barang/{product_b.id}/foto", {"hapus": "1"}).status_code == 404
    )
    with tenant(b.coop.id):
        assert key_of(product_b.id) is not None
    with tenant(a.coop.id):
        assert photos.photo_path(token, "s") is None
