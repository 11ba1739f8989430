"""Kophub listings: a cooperative offers one of its inventory products to buyers across Indonesia,
at a price per unit with cheaper tiers for volume, with photos and certifications.

Invariants, held by the database too: prices and quantities are positive whole numbers; a tier's
minimum quantity is unique per listing; a certification kind appears once per listing; a listing
points only at its own cooperative's product (composite key). What a buyer may order is never read
from the listing: it is the product's stock on hand minus reservations (`service.available`).
`marketplace_listing_owners` is a platform table that says which cooperative owns a listing id, so
the public page can find it (the named cross-tenant read of `service.public_listing`).
"""

from __future__ import annotations

import enum
from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.db import Base, utcnow_column
from tenants.models import TenantScoped, tenant_fk


class ListingStatus(enum.StrEnum):
    TAYANG = "tayang"  # published: shown to buyers while there is stock
    DIJEDA = "dijeda"  # paused by the cooperative, kept as it is
    DITARIK = "ditarik"  # unpublished (withdrawn); may be published again


class CertificationKind(enum.StrEnum):
    HALAL = "halal"
    ORGANIK = "organik"
    SNI = "sni"


# The Kophub categories, fixed so buyers can filter by them and facets stay short.
CATEGORIES: dict[str, object] = {
    "beras": _l("Beras dan gabah"),
    "palawija": _l("Jagung, kedelai dan palawija"),
    "sayur": _l("Sayuran"),
    "buah": _l("Buah-buahan"),
    "rempah": _l("Bumbu dan rempah"),
    "kopi_teh_kakao": _l("Kopi, teh dan kakao"),
    "gula": _l("Gula merah dan gula aren"),
    "minyak": _l("Minyak goreng dan kelapa"),
    "ikan": _l("Ikan dan hasil laut"),
    "ternak": _l("Daging, telur dan susu"),
    "olahan": _l("Makanan olahan"),
    "kerajinan": _l("Kerajinan dan lainnya"),
}
CERTIFICATION_LABELS: dict[str, object] = {
    CertificationKind.HALAL.value: _l("Halal"),
    CertificationKind.ORGANIK.value: _l("Organik"),
    CertificationKind.SNI.value: _l("SNI"),
}
STATUS_LABELS: dict[str, object] = {
    ListingStatus.TAYANG.value: _l("Tayang"),
    ListingStatus.DIJEDA.value: _l("Dijeda"),
    ListingStatus.DITARIK.value: _l("Ditarik"),
}


def _sql_list(values: object) -> str:
    return ", ".join(f"'{v}'" for v in values)  # type: ignore[attr-defined]


class Listing(TenantScoped, Base):
    """One product offered on Kophub: `price` rupiah per `unit` (the product's unit), sold in
    orders of at least `min_order` units, shipped from the stock at `location_id`; `quantity_cap`,
    when set, offers only part of that stock."""

    __tablename__ = "marketplace_listings"
    __table_args__ = (
        CheckConstraint(f"status IN ({_sql_list(ListingStatus)})", name="status_known"),
        CheckConstraint(f"category IN ({_sql_list(CATEGORIES)})", name="category_known"),
        CheckConstraint("price > 0", name="price_positive"),
        CheckConstraint("min_order > 0", name="min_order_positive"),
        CheckConstraint("quantity_cap IS NULL OR quantity_cap > 0", name="quantity_cap_positive"),
        tenant_fk("product_id", "inventory_products"),
        tenant_fk("location_id", "inventory_locations"),
        Index("ix_marketplace_listings_tenant_id_product_id", "tenant_id", "product_id"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    product_id: Mapped[int] = mapped_column(BigInteger)
    location_id: Mapped[int] = mapped_column(BigInteger)  # where the stock ships from
    title: Mapped[str] = mapped_column(String(120))
    description: Mapped[str] = mapped_column(Text)
    category: Mapped[str] = mapped_column(String(20))
    grade: Mapped[str | None] = mapped_column(String(40))
    unit: Mapped[str] = mapped_column(String(20))
    price: Mapped[int] = mapped_column(BigInteger)
    min_order: Mapped[int] = mapped_column(BigInteger)
    quantity_cap: Mapped[int | None] = mapped_column(BigInteger)
    harvested_on: Mapped[date | None] = mapped_column(Date)
    origin_village_code: Mapped[str] = mapped_column(ForeignKey("regions.code"))
    status: Mapped[str] = mapped_column(String(8))
    created_at: Mapped[datetime] = utcnow_column()
    updated_at: Mapped[datetime] = utcnow_column()
    published_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    tiers: Mapped[list[PriceTier]] = relationship(
        order_by="PriceTier.min_quantity", lazy="raise", cascade="all, delete-orphan"
    )
    certifications: Mapped[list[Certification]] = relationship(
        order_by="Certification.kind", lazy="raise", cascade="all, delete-orphan"
    )
    photos: Mapped[list[Photo]] = relationship(
        order_by="Photo.position", lazy="raise", cascade="all, delete-orphan"
    )


class PriceTier(TenantScoped, Base):
    """A cheaper price per unit from `min_quantity` units up."""

    __tablename__ = "marketplace_listing_tiers"
    __table_args__ = (
        UniqueConstraint("tenant_id", "listing_id", "min_quantity"),
        CheckConstraint("min_quantity > 1", name="min_quantity_above_one"),
        CheckConstraint("price > 0", name="price_positive"),
        tenant_fk("listing_id", "marketplace_listings", ondelete="CASCADE"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    listing_id: Mapped[int] = mapped_column(BigInteger)
    min_quantity: Mapped[int] = mapped_column(BigInteger)
    price: Mapped[int] = mapped_column(BigInteger)


class Certification(TenantScoped, Base):
    """A halal, organik or SNI certificate of the product, with its number."""

    __tablename__ = "marketplace_listing_certifications"
    __table_args__ = (
        UniqueConstraint("tenant_id", "listing_id", "kind"),
        CheckConstraint(f"kind IN ({_sql_list(CertificationKind)})", name="kind_known"),
        tenant_fk("listing_id", "marketplace_listings", ondelete="CASCADE"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    listing_id: Mapped[int] = mapped_column(BigInteger)
    kind: Mapped[str] = mapped_column(String(10))
    number: Mapped[str] = mapped_column(String(60))


class Photo(TenantScoped, Base):
    """A photo, re-encoded as JPEG without metadata in two sizes under `storage_key` (public once
    the listing is; the key is random)."""

    __tablename__ = "marketplace_listing_photos"
    __table_args__ = (
        UniqueConstraint("storage_key"),
        CheckConstraint("position BETWEEN 0 AND 19", name="position_range"),
        tenant_fk("listing_id", "marketplace_listings", ondelete="CASCADE"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    listing_id: Mapped[int] = mapped_column(BigInteger)
    position: Mapped[int] = mapped_column(SmallInteger)
    storage_key: Mapped[str] = mapped_column(String(80))
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    uploaded_at: Mapped[datetime] = utcnow_column()


class ListingOwner(Base):
    """Which cooperative owns a listing id: a platform table, written with the listing, read by the
    public listing page and the cart to know under which tenant to read it."""

    __tablename__ = "marketplace_listing_owners"

    listing_id: Mapped[int] = mapped_column(
        ForeignKey("marketplace_listings.id", ondelete="CASCADE"), primary_key=True
    )
    cooperative_id: Mapped[int] = mapped_column(ForeignKey("cooperatives.id"), index=True)
