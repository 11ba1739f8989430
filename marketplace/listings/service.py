"""The listing use cases: publish a product from the cooperative's stock on Kophub, edit it, pause,
resume or unpublish it, add and remove photos; price a quantity; say what a buyer may order.

Invariants: what a buyer may order is never stored on the listing; it is read from inventory
(on hand less reservations at the listing's location, within the listing's cap). Tier prices fall
as quantities rise, and never exceed the unit price. Every change of a listing, and every change of
a stock balance a listing sells from, writes an index job to the outbox in the same transaction,
so search follows the database. `public_listing` is the one cross-tenant read of listings: it
finds a published listing's cooperative in `marketplace_listing_owners` and reads the listing as
that cooperative, so row-level security still applies.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import IO, Any

from flask import has_app_context
from flask_babel import lazy_gettext as _l
from sqlalchemy import event, func, select, tuple_
from sqlalchemy.dialects.postgresql import aggregate_order_by
from sqlalchemy.orm import Session, selectinload
from sqlalchemy.orm.util import identity_key

from core import audit, images
from core.db import db
from core.errors import DomainError, ErrorCode, NotFound
from core.images import PhotoRefused as PhotoRefused
from core.jobs import enqueue
from core.money import format_rupiah
from erp.inventory import photos as inventory_photos
from erp.inventory import service as inventory
from erp.inventory.models import Product, StockBalance
from marketplace.listings.models import (
    CATEGORIES,
    Certification,
    CertificationKind,
    Listing,
    ListingOwner,
    ListingStatus,
    Photo,
    PriceTier,
)
from marketplace.search.port import Document
from tenants.context import current_tenant_id, require_tenant, tenant
from tenants.models import Cooperative, Region

INDEX_JOB = "marketplace.search.jobs.index_listings"
MAX_PRICE = 1_000_000_000
MAX_QUANTITY = 1_000_000
MAX_TIERS = 5
MAX_PHOTOS = 6
PHOTO_SIZES = {"l": 1200, "s": 400}
PHOTO_MIN_SIDE = 200
CERTIFICATE_NUMBER = re.compile(r"^[A-Za-z0-9][A-Za-z0-9./\- ]{2,59}$")


class InvalidListing(DomainError):
    code = ErrorCode.INVALID_INPUT
    status = 422


class InvalidTransition(DomainError):
    code = ErrorCode.INVALID_TRANSITION
    status = 422


@dataclass(frozen=True)
class Quote:
    """The price of `quantity` units: the unit price of the tier that applies, and the total."""

    quantity: int
    unit_price: int
    total: int
    tier_min_quantity: int  # 1 when the base price applies


@dataclass(frozen=True)
class ListingInput:
    """What staff enter for a listing (already parsed by the form schema)."""

    product_id: int
    location_id: int
    title: str
    description: str
    category: str
    price: int
    min_order: int
    grade: str | None = None
    quantity_cap: int | None = None
    harvested_on: date | None = None
    tiers: tuple[tuple[int, int], ...] = ()  # (from quantity, price per unit)
    certifications: tuple[tuple[str, str], ...] = ()  # (kind, number)


def _refuse(message: Any, field: str, detail: Any | None = None) -> InvalidListing:
    return InvalidListing(message, fields={field: [str(detail or message)]})


def _check(data: ListingInput) -> None:
    """Refuse bad input with a message naming the field; nothing is written before this passes."""
    for field, value, limit in (("title", data.title, 120), ("description", data.description, 4000)):
        if not isinstance(value, str) or not value.strip():
            raise _refuse(_l("Judul dan deskripsi wajib diisi."), field, _l("Wajib diisi."))
        if len(value.strip()) > limit:
            raise _refuse(_l("Teks terlalu panjang (maksimal %(n)s karakter).", n=limit), field)
    if data.grade is not None and len(data.grade) > 40:
        raise _refuse(_l("Mutu paling banyak 40 karakter."), "grade")
    if data.category not in CATEGORIES:
        raise _refuse(_l("Pilih kategori dari daftar Kophub."), "category", _l("Pilihan tidak dikenal."))
    numbers: tuple[tuple[str, int | None, int], ...] = (
        ("price", data.price, MAX_PRICE),
        ("min_order", data.min_order, MAX_QUANTITY),
        ("quantity_cap", data.quantity_cap, MAX_QUANTITY),
    )
    for field, number, limit in numbers:
        if number is None and field == "quantity_cap":
            continue
        if not isinstance(number, int) or isinstance(number, bool) or not 0 < number <= limit:
            raise _refuse(
                _l("Harus bilangan bulat 1 sampai %(max)s.", max=f"{limit:,}".replace(",", ".")), field
            )
    if data.quantity_cap is not None and data.quantity_cap < data.min_order:
        raise _refuse(
            _l("Batas jumlah yang ditawarkan tidak boleh di bawah minimum pesanan."), "quantity_cap"
        )
    if data.harvested_on is not None and data.harvested_on > date.today():
        raise _refuse(_l("Tanggal panen/produksi tidak boleh di masa depan."), "harvested_on")
    _check_tiers(data)
    kinds = [kind for kind, _number in data.certifications]
    if len(set(kinds)) != len(kinds):
        raise _refuse(_l("Setiap sertifikasi cukup dicatat sekali."), "certifications")
    for kind, cert_number in data.certifications:
        if kind not in CertificationKind.__members__.values():
            raise _refuse(_l("Sertifikasi tidak dikenal."), "certifications")
        if not isinstance(cert_number, str) or not CERTIFICATE_NUMBER.match(cert_number.strip()):
            raise _refuse(
                _l(
                    "Nomor sertifikat %(kind)s wajib diisi (3–60 huruf, angka, titik, garis miring).",
                    kind=kind.upper(),
                ),
                f"cert_{kind}",
            )


def _check_tiers(data: ListingInput) -> None:
    if len(data.tiers) > MAX_TIERS:
        raise _refuse(_l("Paling banyak %(n)s harga grosir.", n=MAX_TIERS), "tiers")
    previous_quantity, previous_price = data.min_order, data.price
    for quantity, price in sorted(data.tiers):
        if not all(isinstance(v, int) and not isinstance(v, bool) for v in (quantity, price)):
            raise _refuse(_l("Harga grosir harus bilangan bulat."), "tiers")
        if quantity <= previous_quantity or quantity > MAX_QUANTITY:
            raise _refuse(
                _l(
                    "Jumlah harga grosir harus naik dan di atas minimum pesanan (%(min)s).",
                    min=data.min_order,
                ),
                "tiers",
            )
        if not 0 < price < previous_price:
            raise _refuse(
                _l(
                    "Harga grosir dari %(qty)s harus lebih murah dari %(price)s.",
                    qty=quantity,
                    price=format_rupiah(previous_price),
                ),
                "tiers",
            )
        previous_quantity, previous_price = quantity, price


def _product_and_location(data: ListingInput) -> tuple[Any, Any]:
    try:
        product = inventory.get_product(data.product_id)
    except NotFound:
        raise _refuse(_l("Barang tidak ditemukan di gudang koperasi."), "product_id") from None
    location = next((loc for loc in inventory.locations() if loc.id == data.location_id), None)
    if location is None:
        raise _refuse(_l("Lokasi stok tidak ditemukan."), "location_id")
    return product, location


def _apply(listing: Listing, data: ListingInput, unit: str) -> None:
    listing.product_id = data.product_id
    listing.location_id = data.location_id
    listing.title = data.title.strip()
    listing.description = data.description.strip()
    listing.category = data.category
    listing.grade = data.grade.strip() if data.grade and data.grade.strip() else None
    listing.unit = unit
    listing.price = data.price
    listing.min_order = data.min_order
    listing.quantity_cap = data.quantity_cap
    listing.harvested_on = data.harvested_on
    listing.updated_at = datetime.now(UTC)
    wanted_tiers = dict(sorted(data.tiers))
    listing.tiers[:] = [t for t in listing.tiers if t.min_quantity in wanted_tiers]
    for tier in listing.tiers:
        tier.price = wanted_tiers.pop(tier.min_quantity)
    listing.tiers.extend(PriceTier(min_quantity=q, price=p) for q, p in wanted_tiers.items())
    wanted_certs = {kind: number.strip() for kind, number in data.certifications}
    listing.certifications[:] = [c for c in listing.certifications if c.kind in wanted_certs]
    for cert in listing.certifications:
        cert.number = wanted_certs.pop(cert.kind)
    listing.certifications.extend(Certification(kind=k, number=n) for k, n in wanted_certs.items())


def _snapshot(listing: Listing) -> dict[str, Any]:
    return {
        "title": listing.title,
        "status": listing.status,
        "price": listing.price,
        "min_order": listing.min_order,
        "tiers": [[t.min_quantity, t.price] for t in listing.tiers],
    }


def publish(data: ListingInput, *, user_id: int | None = None) -> Listing:
    """Offer a product of the cooperative's stock on Kophub; visible in search once indexed."""
    tenant_id = require_tenant()
    _check(data)
    product, _location = _product_and_location(data)
    coop = db.session.get(Cooperative, tenant_id)
    if coop is None:
        raise NotFound(_l("Koperasi tidak ditemukan."))
    listing = Listing(
        status=ListingStatus.TAYANG.value,
        origin_village_code=coop.village_code,
        published_at=datetime.now(UTC),
        created_by=user_id,
        tiers=[],
        certifications=[],
        photos=[],
    )
    _apply(listing, data, product.unit)
    product.on_kophub = True
    first = _product_photo(tenant_id, product)
    if first is not None:
        photo = Photo(storage_key=first.key, width=first.width, height=first.height, position=0)
        listing.photos.append(photo)
    db.session.add(listing)
    db.session.flush()
    db.session.add(ListingOwner(listing_id=listing.id, cooperative_id=tenant_id))
    audit.record("marketplace.listing_published", "marketplace_listing", listing.id, after=_snapshot(listing))
    _reindex([listing.id])
    try:
        db.session.commit()
    except Exception:
        if first is not None:
            PHOTOS.remove(first.key)
        raise
    return listing


def _product_photo(tenant_id: int, product: Product) -> images.Stored | None:
    """The product's own photo copied as the listing's first (staff may remove it like any other);
    None when the product has none, or one a listing would refuse (too narrow once shrunk)."""
    data = inventory_photos.largest_file(product)
    if data is None:
        return None
    try:
        image = images.decode(data, min_side=PHOTO_MIN_SIDE, largest=PHOTO_SIZES["l"])
    except PhotoRefused:
        return None
    return PHOTOS.save(tenant_id, image)


def update_listing(listing_id: int, data: ListingInput) -> Listing:
    """Change what a listing says and costs; the product's unit follows the product."""
    _check(data)
    listing = _locked(listing_id)
    product, _location = _product_and_location(data)
    before = _snapshot(listing)
    _apply(listing, data, product.unit)
    product.on_kophub = True
    audit.record(
        "marketplace.listing_updated",
        "marketplace_listing",
        listing.id,
        before=before,
        after=_snapshot(listing),
    )
    _reindex([listing.id])
    db.session.commit()
    return listing


_TRANSITIONS = {
    "pause": ({ListingStatus.TAYANG}, ListingStatus.DIJEDA),
    "resume": ({ListingStatus.DIJEDA, ListingStatus.DITARIK}, ListingStatus.TAYANG),
    "unpublish": ({ListingStatus.TAYANG, ListingStatus.DIJEDA}, ListingStatus.DITARIK),
}


def change_status(listing_id: int, action: str) -> Listing:
    """Pause (kept, hidden), resume (shown again) or unpublish (withdrawn) a listing."""
    if action not in _TRANSITIONS:
        raise InvalidTransition(_l("Tindakan tidak dikenal."))
    allowed, target = _TRANSITIONS[action]
    listing = _locked(listing_id)
    if ListingStatus(listing.status) not in allowed:
        raise InvalidTransition(_l("Status penawaran ini tidak dapat diubah dengan cara itu."))
    before = listing.status
    listing.status = target.value
    listing.updated_at = datetime.now(UTC)
    if target is ListingStatus.TAYANG:
        listing.published_at = datetime.now(UTC)
    audit.record(
        f"marketplace.listing_{action}",
        "marketplace_listing",
        listing.id,
        before={"status": before},
        after={"status": listing.status},
    )
    _reindex([listing.id])
    db.session.commit()
    return listing


def pause(listing_id: int) -> Listing:
    return change_status(listing_id, "pause")


def resume(listing_id: int) -> Listing:
    return change_status(listing_id, "resume")


def unpublish(listing_id: int) -> Listing:
    return change_status(listing_id, "unpublish")


def _loaded() -> Any:
    return select(Listing).options(
        selectinload(Listing.tiers), selectinload(Listing.certifications), selectinload(Listing.photos)
    )


def _locked(listing_id: int) -> Listing:
    require_tenant()
    if not isinstance(listing_id, int) or isinstance(listing_id, bool):
        raise NotFound(_l("Penawaran tidak ditemukan."))
    listing = db.session.scalar(
        _loaded()
        .where(Listing.id == listing_id)
        .with_for_update(of=Listing)
        .execution_options(populate_existing=True)
    )
    if listing is None:
        raise NotFound(_l("Penawaran tidak ditemukan."))
    return listing


def get_listing(listing_id: int) -> Listing:
    """A listing of the current cooperative, with its tiers, certifications and photos."""
    require_tenant()
    listing = db.session.scalar(_loaded().where(Listing.id == listing_id))
    if listing is None:
        raise NotFound(_l("Penawaran tidak ditemukan."))
    return listing


def listings() -> list[Listing]:
    """The current cooperative's listings, newest first."""
    require_tenant()
    return list(db.session.scalars(_loaded().order_by(Listing.id.desc()).limit(500)))


def public_listing(listing_id: int) -> Listing:
    """The named cross-tenant read: a published listing, for buyers, read as its cooperative (so
    row-level security still holds). Paused and withdrawn listings are not found."""
    if not isinstance(listing_id, int) or isinstance(listing_id, bool) or not 0 < listing_id < 2**63:
        raise NotFound(_l("Penawaran tidak ditemukan."))
    owner = db.session.scalar(
        select(ListingOwner.cooperative_id).where(ListingOwner.listing_id == listing_id)
    )
    if owner is None:
        raise NotFound(_l("Penawaran tidak ditemukan."))
    previous = current_tenant_id()
    if previous is not None and previous != owner:
        raise NotFound(_l("Penawaran tidak ditemukan."))
    with tenant(owner):
        listing = db.session.scalar(_loaded().where(Listing.id == listing_id))
    if listing is None or listing.status != ListingStatus.TAYANG.value:
        raise NotFound(_l("Penawaran tidak ditemukan."))
    return listing


def owner_of(listing_id: int) -> int | None:
    """The cooperative that owns a listing id (a platform read), or None."""
    return db.session.scalar(select(ListingOwner.cooperative_id).where(ListingOwner.listing_id == listing_id))


@dataclass(frozen=True)
class Tier:
    min_quantity: int
    price: int


@dataclass(frozen=True)
class Offered:
    """A published listing as the cart and checkout need it (no photos, no certificates), with
    what may be ordered now; `offered` reads any number of them in one query."""

    id: int
    tenant_id: int
    product_id: int
    location_id: int
    title: str
    unit: str
    price: int
    min_order: int
    tiers: tuple[Tier, ...]
    available: int


def offered(listing_ids: list[int]) -> dict[int, Offered]:
    """The published listings among `listing_ids` of the current cooperative, with their tiers and
    the stock they may sell now (`available`), in one query. Unknown, paused or withdrawn: absent."""
    require_tenant()
    ids = sorted({i for i in listing_ids if isinstance(i, int) and not isinstance(i, bool) and 0 < i < 2**63})
    if not ids:
        return {}

    def tiers_by(column: Any) -> Any:
        return (
            select(func.array_agg(aggregate_order_by(column, PriceTier.min_quantity)))
            .where(PriceTier.listing_id == Listing.id)
            .scalar_subquery()
        )

    rows = db.session.execute(
        select(
            Listing.id,
            Listing.tenant_id,
            Listing.product_id,
            Listing.location_id,
            Listing.title,
            Listing.unit,
            Listing.price,
            Listing.min_order,
            Listing.quantity_cap,
            tiers_by(PriceTier.min_quantity).label("tier_quantities"),
            tiers_by(PriceTier.price).label("tier_prices"),
            (StockBalance.quantity - StockBalance.reserved).label("stock"),
        )
        .outerjoin(
            StockBalance,
            (StockBalance.product_id == Listing.product_id)
            & (StockBalance.location_id == Listing.location_id),
        )
        .where(Listing.id.in_(ids), Listing.status == ListingStatus.TAYANG.value)
    )
    found = {}
    for row in rows:
        stock = int(row.stock or 0)
        if row.quantity_cap is not None:
            stock = min(stock, row.quantity_cap)
        pairs = zip(row.tier_quantities or (), row.tier_prices or (), strict=True)
        tiers = tuple(Tier(quantity, price) for quantity, price in pairs)
        found[row.id] = Offered(
            id=row.id,
            tenant_id=row.tenant_id,
            product_id=row.product_id,
            location_id=row.location_id,
            title=row.title,
            unit=row.unit,
            price=row.price,
            min_order=row.min_order,
            tiers=tiers,
            available=max(stock, 0),
        )
    return found


def price_for(listing: Listing | Offered, quantity: int) -> Quote:
    """The unit price and total for `quantity` units: the tier with the largest minimum not above
    the quantity, else the base price. Refuses a quantity under the minimum order."""
    if not isinstance(quantity, int) or isinstance(quantity, bool) or not 0 < quantity <= MAX_QUANTITY:
        raise _refuse(_l("Jumlah harus bilangan bulat 1 sampai 1.000.000."), "quantity")
    if quantity < listing.min_order:
        raise _refuse(
            _l("Minimum pesanan %(min)s %(unit)s.", min=listing.min_order, unit=listing.unit), "quantity"
        )
    unit_price, tier_min = listing.price, 1
    tiers: list[tuple[int, int]] = sorted((t.min_quantity, t.price) for t in listing.tiers)
    for min_quantity, price in tiers:
        if min_quantity <= quantity:
            unit_price, tier_min = price, min_quantity
    return Quote(quantity, unit_price, unit_price * quantity, tier_min)


def available(listing: Listing) -> int:
    """Units a buyer may order now: stock at the listing's location less reservations, within the
    listing's cap; 0 unless the listing is published. Read as the listing's cooperative."""
    if listing.status != ListingStatus.TAYANG.value:
        return 0
    with tenant(listing.tenant_id):
        reader = getattr(inventory, "available", None)
        if reader is not None:
            stock = int(reader(listing.product_id, listing.location_id))
        else:
            stock = int(inventory.on_hand(listing.product_id, listing.location_id))
    if listing.quantity_cap is not None:
        stock = min(stock, listing.quantity_cap)
    return max(stock, 0)


def listings_of_products(product_ids: set[int]) -> list[int]:
    """Ids of the current cooperative's listings that sell any of `product_ids`."""
    require_tenant()
    if not product_ids:
        return []
    return list(db.session.scalars(select(Listing.id).where(Listing.product_id.in_(sorted(product_ids)))))


def all_listing_ids() -> list[int]:
    require_tenant()
    return list(db.session.scalars(select(Listing.id).order_by(Listing.id)))


def _reindex(listing_ids: list[int]) -> None:
    tenant_id = require_tenant()
    enqueue(
        INDEX_JOB,
        tenant_id=tenant_id,
        listing_ids=sorted(set(listing_ids)),
        changed_at=datetime.now(UTC).isoformat(),
    )


# Stock changes: any change of a stock balance (a sale at the gerai, a goods receipt, an
# adjustment, a Kophub reservation or its release) may change what a listing can sell, so the
# listings of the touched products are re-indexed after that transaction commits. This listens to
# the session instead of changing inventory's code: balances the ORM flushes are noted here, and
# those inventory writes in one statement (a sale's basket) it notes itself, in the same set.
_TOUCHED = inventory.STOCK_TOUCHED


@event.listens_for(Session, "before_flush")
def _note_stock_changes(session: Session, _flush_context: Any, _instances: Any) -> None:
    for obj in list(session.new) + list(session.dirty):
        if isinstance(obj, StockBalance):
            session.info.setdefault(_TOUCHED, set()).add(obj.product_id)


@event.listens_for(Session, "before_commit")
def _reindex_touched_listings(session: Session) -> None:
    if _TOUCHED not in session.info and not any(isinstance(o, StockBalance) for o in session.dirty):
        return
    session.flush()
    touched = session.info.pop(_TOUCHED, None)
    if not touched or current_tenant_id() is None or not has_app_context() or session is not db.session():
        return
    ids = listings_of_products(_maybe_listed(session, touched))
    if ids:
        _reindex(ids)
        session.flush()


def _maybe_listed(session: Session, product_ids: set[int]) -> set[int]:
    """The products that may have a listing: all but those loaded in this session that never had
    one (a gerai sale has just read its products, so it needs no look-up at all)."""
    maybe = set()
    for product_id in product_ids:
        product = session.identity_map.get(identity_key(Product, product_id))
        if product is None or product.on_kophub:
            maybe.add(product_id)
    return maybe


@event.listens_for(Session, "after_rollback")
def _forget_touched(session: Session) -> None:
    session.info.pop(_TOUCHED, None)


# Photos


# Kophub photos are public (the listing page shows them to anyone), so the store serves any
# cooperative's key; the large size fills a listing page, the small one a search card.
PHOTOS = images.FileStore("KOPDES_KOPHUB_PHOTO_DIR", "kophub-photos", PHOTO_SIZES)


def photo_path(storage_key: str, size: str) -> Path | None:
    """The file of a photo at a size, or None for a key or size that is not ours."""
    return PHOTOS.path(storage_key, size, tenant_id=None)


def add_photo(listing_id: int, stream: IO[bytes]) -> Photo:
    """Add a photo to a listing: checked by its content, turned upright, resized, stripped of
    metadata and stored under a random key. At most six photos."""
    tenant_id = require_tenant()
    listing = _locked(listing_id)
    if len(listing.photos) >= MAX_PHOTOS:
        message = _l("Paling banyak %(n)s foto per penawaran.", n=MAX_PHOTOS)
        raise PhotoRefused(message, {"photo": [str(message)]})
    image = images.decode(images.read_upload(stream), min_side=PHOTO_MIN_SIDE, largest=PHOTO_SIZES["l"])
    stored = PHOTOS.save(tenant_id, image)
    key = stored.key
    position = max((p.position for p in listing.photos), default=-1) + 1
    photo = Photo(storage_key=key, width=stored.width, height=stored.height, position=position)
    listing.photos.append(photo)
    listing.updated_at = datetime.now(UTC)
    audit.record("marketplace.listing_photo_added", "marketplace_listing", listing.id, after={"photo": key})
    _reindex([listing.id])
    try:
        db.session.commit()
    except Exception:
        PHOTOS.remove(key)
        raise
    return photo


def remove_photo(listing_id: int, photo_id: int) -> None:
    listing = _locked(listing_id)
    photo = next((p for p in listing.photos if p.id == photo_id), None)
    if photo is None:
        raise NotFound(_l("Foto tidak ditemukan."))
    key = photo.storage_key
    listing.photos.remove(photo)
    listing.updated_at = datetime.now(UTC)
    audit.record(
        "marketplace.listing_photo_removed", "marketplace_listing", listing.id, before={"photo": key}
    )
    _reindex([listing.id])
    db.session.commit()
    PHOTOS.remove(key)


def listing_count() -> int:
    """Published listings of the current cooperative (home page tile)."""
    require_tenant()
    return int(
        db.session.scalar(
            select(func.count()).select_from(Listing).where(Listing.status == ListingStatus.TAYANG.value)
        )
        or 0
    )


# What search sees

# The national programme's name that every cooperative carries: searched for, it would match every
# listing ("gula merah" would find all sugar, and "merah" everything), so only the rest of a
# cooperative's own name goes into the searchable keywords.
_PROGRAMME_NAME = re.compile(r"^koperasi\s+(desa|kelurahan)\s+merah\s+putih\s*", re.IGNORECASE)
DOCUMENT_BATCH = 500


def documents_for(listing_ids: list[int]) -> tuple[list[Document], list[int]]:
    """The search documents of listings of the current cooperative, and the ids buyers must not find
    (unknown, not published, or nothing left to sell). A fixed number of queries per batch of
    DOCUMENT_BATCH listings, whatever their tiers, certifications and photos."""
    tenant_id = require_tenant()
    documents: list[Document] = []
    gone: list[int] = []
    coop = db.session.get(Cooperative, tenant_id)
    wanted = sorted({int(i) for i in listing_ids})
    for start in range(0, len(wanted), DOCUMENT_BATCH):
        batch = wanted[start : start + DOCUMENT_BATCH]
        found = {
            listing.id: listing
            for listing in db.session.scalars(
                _loaded().where(Listing.id.in_(batch), Listing.status == ListingStatus.TAYANG.value)
            )
        }
        stock = _stock_of(list(found.values()))
        villages = {listing.origin_village_code for listing in found.values()}
        codes = villages | {v[:5] for v in villages} | {v[:2] for v in villages}
        named = select(Region.code, Region.name).where(Region.code.in_(codes))
        names = {code: name for code, name in db.session.execute(named)}
        for listing_id in batch:
            listing = found.get(listing_id)
            left = stock.get(listing_id, 0)
            if listing is None or coop is None or left <= 0:
                gone.append(listing_id)
            else:
                documents.append(_document(listing, coop, left, names))
    return documents, gone


def _stock_of(found: list[Listing]) -> dict[int, int]:
    """What each listing may sell now (`available`), read for all of them in one query."""
    pairs = {(listing.product_id, listing.location_id) for listing in found}
    if not pairs:
        return {}
    on_hand = {
        (product, location): int(n)
        for product, location, n in db.session.execute(
            select(
                StockBalance.product_id,
                StockBalance.location_id,
                StockBalance.quantity - StockBalance.reserved,
            ).where(tuple_(StockBalance.product_id, StockBalance.location_id).in_(sorted(pairs)))
        )
    }
    stock = {}
    for listing in found:
        left = on_hand.get((listing.product_id, listing.location_id), 0)
        if listing.quantity_cap is not None:
            left = min(left, listing.quantity_cap)
        stock[listing.id] = max(left, 0)
    return stock


def _document(listing: Listing, coop: Cooperative, stock: int, names: dict[str, str]) -> Document:
    village = listing.origin_village_code
    province_code, regency_code = village[:2], village[:5]
    keywords = " ".join(
        part
        for part in (
            str(CATEGORIES[listing.category]),
            listing.grade or "",
            names.get(village, ""),
            names.get(regency_code, ""),
            names.get(province_code, ""),
            _PROGRAMME_NAME.sub("", coop.name),
        )
        if part
    )
    return Document(
        listing_id=listing.id,
        cooperative_id=coop.id,
        cooperative_slug=coop.slug,
        cooperative_name=coop.name,
        title=listing.title,
        description=listing.description[:4000],
        keywords=keywords,
        category=listing.category,
        grade=listing.grade,
        unit=listing.unit,
        price=listing.price,
        lowest_price=min([listing.price, *(t.price for t in listing.tiers)]),
        min_order=listing.min_order,
        available=stock,
        certifications=tuple(sorted(c.kind for c in listing.certifications)),
        province_code=province_code,
        regency_code=regency_code,
        village_code=village,
        village_name=names.get(village, village),
        photo_key=listing.photos[0].storage_key if listing.photos else None,
        harvested_on=listing.harvested_on,
        published_at=listing.published_at or listing.created_at,
        changed_at=listing.updated_at,
    )


def document_for(listing_id: int) -> Document | None:
    """The search document of one listing of the current cooperative, or None when buyers must not
    find it (see `documents_for`)."""
    documents, _gone = documents_for([listing_id])
    return documents[0] if documents else None
