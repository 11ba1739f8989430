"""A product's photo: uploaded, replaced or removed by who keeps the products, and shown on the
product list (a 96-pixel thumb), the counter and the product's page (600 pixels).

Invariants: a product has at most one photo, its `photo_key` in the product row (no extra query
to list products with their photos); the files are written before the row points at them and
removed once nothing points at them any more, so a replaced or removed photo leaves no file
behind and a refused or failed change leaves the photo there was; a lookup serves only keys of
the current cooperative. Every change leaves an audit entry in its transaction.
"""

from __future__ import annotations

from pathlib import Path
from typing import IO

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from core import audit, images
from core.db import db
from core.errors import NotFound
from erp.inventory.models import Product
from tenants.context import require_tenant

SIZES = {"s": 96, "l": 600}
MIN_SIDE = 200  # the same as a Kophub listing's, so a product's photo can be offered there
PHOTOS = images.FileStore("KOPDES_PRODUCT_PHOTO_DIR", "product-photos", SIZES)


def _locked(product_id: int) -> Product:
    product = db.session.scalar(select(Product).where(Product.id == product_id).with_for_update())
    if product is None:
        raise NotFound(_l("Barang tidak ditemukan."))
    return product


def set_photo(product_id: int, upload: IO[bytes] | bytes, *, user_id: int | None = None) -> Product:
    """Give a product a photo, or replace the one it has: checked by its content (JPG, PNG or
    WebP), turned upright, stripped of metadata and stored at each size. A refused file changes
    nothing."""
    tenant_id = require_tenant()
    if db.session.scalar(select(Product.id).where(Product.id == product_id)) is None:
        raise NotFound(_l("Barang tidak ditemukan."))
    data = upload if isinstance(upload, bytes) else images.read_upload(upload)
    image = images.decode(data, min_side=MIN_SIDE, largest=SIZES["l"])
    stored = PHOTOS.save(tenant_id, image)  # before the row lock: decoding takes a moment
    try:
        product = _locked(product_id)
        before = product.photo_key
        product.photo_key = stored.key
        audit.record(
            "inventory.product_photo_set",
            "inventory_product",
            product.id,
            before={"photo": before},
            after={"photo": stored.key, "width": stored.width, "height": stored.height},
            actor_id=user_id,
        )
        db.session.commit()
    except BaseException:
        db.session.rollback()
        PHOTOS.remove(stored.key)
        raise
    if before:
        PHOTOS.remove(before)
    return product


def remove_photo(product_id: int, *, user_id: int | None = None) -> bool:
    """Take a product's photo away; False when it had none."""
    product = _locked(product_id)
    before = product.photo_key
    if before is None:
        db.session.rollback()
        return False
    product.photo_key = None
    audit.record(
        "inventory.product_photo_removed",
        "inventory_product",
        product.id,
        before={"photo": before},
        actor_id=user_id,
    )
    db.session.commit()
    PHOTOS.remove(before)
    return True


def photo_path(token: str, size: str) -> Path | None:
    """The file of one of the current cooperative's product photos at a size, or None."""
    tenant_id = require_tenant()
    path = PHOTOS.path(f"{tenant_id}/{token}", size, tenant_id=tenant_id)
    return path if path is not None and path.is_file() else None


def key_token(key: str) -> str:
    """The random part of a key, which a URL under the cooperative's own address carries."""
    return key.partition("/")[2]


def largest_file(product: Product) -> bytes | None:
    """The largest stored JPEG of a product's photo (to offer it elsewhere, e.g. as a Kophub
    listing's first photo), or None when it has none or its file is gone."""
    if not product.photo_key:
        return None
    path = PHOTOS.path(product.photo_key, "l", tenant_id=require_tenant())
    try:
        return path.read_bytes() if path is not None else None
    except FileNotFoundError:
        return None
