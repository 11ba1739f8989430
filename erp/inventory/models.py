"""Sembako inventory: products with an optional HET cap, locations (gerai, gudang), stock moves as an
immutable ledger, and the on-hand balance per product and location.

Invariants, each also held by the database: a selling price is positive and never above the
product's HET; a balance's quantity and value are never negative and change only under a row lock
in the transaction that writes the move; moves are append-only and carry an idempotency key unique
per cooperative.
"""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    String,
    UniqueConstraint,
    text,
    true,
)
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base, utcnow_column
from tenants.models import TenantScoped, tenant_fk


class LocationKind(enum.StrEnum):
    GERAI = "gerai"
    GUDANG = "gudang"


class MoveKind(enum.StrEnum):
    RECEIPT = "receipt"
    SALE = "sale"
    ADJUSTMENT = "adjustment"
    KOPHUB = "kophub"
    TRANSFER = "transfer"
    RETURN = "return"
    OPNAME = "opname"


class Commodity(enum.StrEnum):
    """Goods whose retail price the state caps (HET), each capped per its own unit."""

    BERAS_MEDIUM = "beras_medium"
    BERAS_PREMIUM = "beras_premium"
    MINYAKITA = "minyakita"
    LPG_3KG = "lpg_3kg"
    PUPUK_UREA = "pupuk_urea"
    PUPUK_NPK = "pupuk_npk"
    PUPUK_NPK_KAKAO = "pupuk_npk_kakao"
    PUPUK_ZA = "pupuk_za"
    PUPUK_ORGANIK = "pupuk_organik"


class ReservationStatus(enum.StrEnum):
    ACTIVE = "active"
    RELEASED = "released"
    FULFILLED = "fulfilled"


def _sql_list(values: type[enum.StrEnum]) -> str:
    return ", ".join(f"'{v.value}'" for v in values)


class Product(TenantScoped, Base):
    """A good the cooperative sells, found by its code (an EAN-13 barcode or an internal code for
    loose goods); sold at `price` rupiah per `unit`, never above `het` when a cap applies."""

    __tablename__ = "inventory_products"
    __table_args__ = (
        UniqueConstraint("tenant_id", "code"),
        CheckConstraint("price > 0", name="price_positive"),
        CheckConstraint("het IS NULL OR het > 0", name="het_positive"),
        CheckConstraint("het IS NULL OR price <= het", name="price_within_het"),
        CheckConstraint(
            f"commodity IS NULL OR commodity IN ({_sql_list(Commodity)})", name="commodity_known"
        ),
        CheckConstraint("commodity_units > 0", name="commodity_units_positive"),
        CheckConstraint("reorder_point IS NULL OR reorder_point >= 0", name="reorder_point_not_negative"),
        CheckConstraint(
            "photo_key IS NULL OR (photo_key ~ '^[0-9]{1,19}/[0-9a-f]{32}$' "
            "AND split_part(photo_key, '/', 1) = tenant_id::text)",
            name="photo_key_of_tenant",
        ),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    code: Mapped[str] = mapped_column(String(20))
    name: Mapped[str] = mapped_column(String(120))
    category: Mapped[str] = mapped_column(String(40))
    unit: Mapped[str] = mapped_column(String(20))
    price: Mapped[int] = mapped_column(BigInteger)
    het: Mapped[int | None] = mapped_column(BigInteger)
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    # a capped commodity this product is, and how many of the commodity's units (kg, liter, tabung)
    # one unit of the product holds: a 5 kg pack of SPHP rice is beras_medium × 5
    commodity: Mapped[str | None] = mapped_column(String(20))
    commodity_units: Mapped[int] = mapped_column(BigInteger, default=1, server_default=text("1"))
    # on hand (all locations) at or below which the product is listed for reordering
    reorder_point: Mapped[int | None] = mapped_column(BigInteger)
    # the product's photo in erp.inventory.photos' store (`<tenant_id>/<32 hex>`), or None
    photo_key: Mapped[str | None] = mapped_column(String(52))
    # stock is kept per lot (batch) with its expiry and sold first-expiry-first-out: food and
    # medicine; switched only while nothing is on hand, so lots always add up to the balances
    tracks_lots: Mapped[bool] = mapped_column(Boolean, default=False, server_default=text("false"))
    # offered on Kophub by at least one listing, ever (set by `marketplace.listings`; listings are
    # never deleted): a stock change of a product without it has no listing to re-index
    on_kophub: Mapped[bool] = mapped_column(Boolean, default=False, server_default=text("false"))
    # a good on which a PKP cooperative charges PPN (soap, snacks, bottled drinks, cigarettes);
    # barang kebutuhan pokok (beras, gula, minyak goreng curah, telur, sayur…) are exempt (PP 49/2022)
    kena_ppn: Mapped[bool] = mapped_column(Boolean, default=False, server_default=text("false"))


class ProductUnit(TenantScoped, Base):
    """A bigger unit a product is bought or sold in (karung 50 kg, dus of 40 pcs): `factor` whole
    base units each, so every quantity stored stays an integer in the product's base unit. It may
    carry its own barcode (the dus's EAN-13)."""

    __tablename__ = "inventory_product_units"
    __table_args__ = (
        UniqueConstraint("tenant_id", "product_id", "name"),
        UniqueConstraint("tenant_id", "code"),
        CheckConstraint("factor > 1", name="factor_above_one"),
        tenant_fk("product_id", "inventory_products"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    product_id: Mapped[int] = mapped_column(BigInteger)
    name: Mapped[str] = mapped_column(String(20))
    factor: Mapped[int] = mapped_column(BigInteger)
    code: Mapped[str | None] = mapped_column(String(20))


class Location(TenantScoped, Base):
    """Where stock sits: the shop (gerai) or a store room (gudang)."""

    __tablename__ = "inventory_locations"
    __table_args__ = (
        UniqueConstraint("tenant_id", "code"),
        CheckConstraint(f"kind IN ({_sql_list(LocationKind)})", name="kind_known"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    code: Mapped[str] = mapped_column(String(20))
    name: Mapped[str] = mapped_column(String(80))
    kind: Mapped[str] = mapped_column(String(8))


class StockBalance(TenantScoped, Base):
    """On hand of one product at one location and its value at cost (moving average: the unit cost
    is `value / quantity`), and how much of it Kophub orders hold (`reserved`, never more than on
    hand); changed only under `SELECT … FOR UPDATE`."""

    __tablename__ = "inventory_balances"
    __table_args__ = (
        UniqueConstraint("tenant_id", "product_id", "location_id"),
        CheckConstraint("quantity >= 0", name="quantity_not_negative"),
        CheckConstraint("value >= 0", name="value_not_negative"),
        CheckConstraint("quantity > 0 OR value = 0", name="no_value_without_stock"),
        CheckConstraint("reserved >= 0 AND reserved <= quantity", name="reserved_within_quantity"),
        tenant_fk("product_id", "inventory_products"),
        tenant_fk("location_id", "inventory_locations"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    product_id: Mapped[int] = mapped_column(BigInteger)
    location_id: Mapped[int] = mapped_column(BigInteger)
    quantity: Mapped[int] = mapped_column(BigInteger, default=0)
    value: Mapped[int] = mapped_column(BigInteger, default=0)
    reserved: Mapped[int] = mapped_column(BigInteger, default=0, server_default=text("0"))

    @property
    def available(self) -> int:
        """What may still be sold or reserved: on hand less what Kophub orders hold."""
        return self.quantity - self.reserved


class StockMove(TenantScoped, Base):
    """One change of a balance, as the stock card prints it: signed quantity and value at cost, and
    the balance after it. Append-only."""

    __tablename__ = "inventory_moves"
    __table_args__ = (
        UniqueConstraint("tenant_id", "idempotency_key"),
        CheckConstraint(f"kind IN ({_sql_list(MoveKind)})", name="kind_known"),
        CheckConstraint("quantity <> 0", name="quantity_not_zero"),
        CheckConstraint("quantity_after >= 0", name="quantity_after_not_negative"),
        CheckConstraint("value_after >= 0", name="value_after_not_negative"),
        tenant_fk("product_id", "inventory_products"),
        tenant_fk("location_id", "inventory_locations"),
        tenant_fk("journal_entry_id", "journal_entries"),
        tenant_fk("lot_id", "inventory_lots"),
        Index("ix_inventory_moves_tenant_id_product_id_id", "tenant_id", "product_id", "id"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    product_id: Mapped[int] = mapped_column(BigInteger)
    location_id: Mapped[int] = mapped_column(BigInteger)
    kind: Mapped[str] = mapped_column(String(10))
    quantity: Mapped[int] = mapped_column(BigInteger)
    value: Mapped[int] = mapped_column(BigInteger)
    quantity_after: Mapped[int] = mapped_column(BigInteger)
    value_after: Mapped[int] = mapped_column(BigInteger)
    occurred_on: Mapped[date] = mapped_column(Date)
    recorded_at: Mapped[datetime] = utcnow_column()
    description: Mapped[str] = mapped_column(String(200))
    idempotency_key: Mapped[str] = mapped_column(String(120))
    journal_entry_id: Mapped[int | None] = mapped_column(BigInteger)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # the lot it changed, for a product that tracks lots (a move never spans two lots)
    lot_id: Mapped[int | None] = mapped_column(BigInteger)


class Lot(TenantScoped, Base):
    """One batch of a lot-tracked product at one location: its code as printed on the goods, its
    expiry, and how much of it is on hand. The lots of a product at a location add up to its
    balance; `quantity` changes only under a row lock taken after the balance's, in the move's
    transaction. Costs stay on the balance (moving average), not per lot."""

    __tablename__ = "inventory_lots"
    __table_args__ = (
        UniqueConstraint("tenant_id", "product_id", "location_id", "code"),
        CheckConstraint("quantity >= 0", name="quantity_not_negative"),
        tenant_fk("product_id", "inventory_products"),
        tenant_fk("location_id", "inventory_locations"),
        Index("ix_inventory_lots_tenant_id_expires_on", "tenant_id", "expires_on"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    product_id: Mapped[int] = mapped_column(BigInteger)
    location_id: Mapped[int] = mapped_column(BigInteger)
    code: Mapped[str] = mapped_column(String(40))
    expires_on: Mapped[date | None] = mapped_column(Date)
    quantity: Mapped[int] = mapped_column(BigInteger, default=0, server_default=text("0"))
    created_at: Mapped[datetime] = utcnow_column()


class Reservation(TenantScoped, Base):
    """Units of a balance held for a Kophub order until it is shipped (fulfilled, becoming a sale
    move) or cancelled (released). Only an active reservation counts in the balance's `reserved`."""

    __tablename__ = "inventory_reservations"
    __table_args__ = (
        UniqueConstraint("tenant_id", "idempotency_key"),
        CheckConstraint("quantity > 0", name="quantity_positive"),
        CheckConstraint(f"status IN ({_sql_list(ReservationStatus)})", name="status_known"),
        CheckConstraint("(status = 'fulfilled') = (move_id IS NOT NULL)", name="fulfilled_has_move"),
        tenant_fk("product_id", "inventory_products"),
        tenant_fk("location_id", "inventory_locations"),
        tenant_fk("move_id", "inventory_moves"),
        Index(
            "ix_inventory_reservations_tenant_id_product_id_location_id",
            "tenant_id",
            "product_id",
            "location_id",
        ),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    product_id: Mapped[int] = mapped_column(BigInteger)
    location_id: Mapped[int] = mapped_column(BigInteger)
    quantity: Mapped[int] = mapped_column(BigInteger)
    status: Mapped[str] = mapped_column(String(10), default=ReservationStatus.ACTIVE.value)
    idempotency_key: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime] = utcnow_column()
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    move_id: Mapped[int | None] = mapped_column(BigInteger)


class HetCap(Base):
    """A platform-wide HET: the highest retail price of a commodity per its unit in a zone, in force
    from `effective_from` until a later row for the same commodity and zone. The zone is a
    province code (two digits), a rice zone (I, II, III) or `nasional`; the most specific one that
    has a cap in force applies. Rows are never changed: a new decree is a new row."""

    __tablename__ = "inventory_het_caps"
    __table_args__ = (
        UniqueConstraint("commodity", "zone", "effective_from"),
        CheckConstraint(f"commodity IN ({_sql_list(Commodity)})", name="commodity_known"),
        CheckConstraint("zone ~ '^(nasional|I|II|III|[0-9]{2})$'", name="zone_known"),
        CheckConstraint("price > 0", name="price_positive"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    commodity: Mapped[str] = mapped_column(String(20))
    zone: Mapped[str] = mapped_column(String(8))
    price: Mapped[int] = mapped_column(BigInteger)
    effective_from: Mapped[date] = mapped_column(Date)
    source: Mapped[str] = mapped_column(String(200))
    # who recorded it (a user id; no foreign key, so platform data outlives a removed account)
    created_by: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = utcnow_column()


class QuotaSource(enum.StrEnum):
    RDKK = "rdkk"  # fertiliser per farmer (NIK) per season, from the imported e-RDKK list
    LPG = "lpg"  # LPG 3 kg per household (nomor KK) per month, by the cooperative's rule


class Quota(TenantScoped, Base):
    """How much of a subsidised commodity one buyer may take in a period (`allowed`, in the
    commodity's unit: kg, tabung) and how much they have taken (`used`, never above `allowed`);
    `used` changes only under a row lock, each change recorded as a `QuotaUse`."""

    __tablename__ = "inventory_quotas"
    __table_args__ = (
        UniqueConstraint("tenant_id", "commodity", "holder", "valid_from"),
        CheckConstraint(f"commodity IN ({_sql_list(Commodity)})", name="commodity_known"),
        CheckConstraint(f"source IN ({_sql_list(QuotaSource)})", name="source_known"),
        CheckConstraint("holder ~ '^[0-9]{16}$'", name="holder_sixteen_digits"),
        CheckConstraint("allowed >= 0", name="allowed_not_negative"),
        CheckConstraint("used >= 0 AND used <= allowed", name="used_within_allowed"),
        CheckConstraint("valid_to >= valid_from", name="period_ordered"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    commodity: Mapped[str] = mapped_column(String(20))
    holder: Mapped[str] = mapped_column(String(16))
    source: Mapped[str] = mapped_column(String(8))
    valid_from: Mapped[date] = mapped_column(Date)
    valid_to: Mapped[date] = mapped_column(Date)
    allowed: Mapped[int] = mapped_column(BigInteger)
    used: Mapped[int] = mapped_column(BigInteger, default=0, server_default=text("0"))


class QuotaUse(TenantScoped, Base):
    """One purchase against a quota, or (negative, naming it in `reverses_id`) part of one given
    back when the sale is voided or returned. Append-only; its key makes a repeat count once."""

    __tablename__ = "inventory_quota_uses"
    __table_args__ = (
        UniqueConstraint("tenant_id", "idempotency_key"),
        CheckConstraint(
            "(reverses_id IS NULL AND quantity > 0) OR (reverses_id IS NOT NULL AND quantity < 0)",
            name="quantity_signed",
        ),
        tenant_fk("quota_id", "inventory_quotas"),
        tenant_fk("reverses_id", "inventory_quota_uses"),
        Index("ix_inventory_quota_uses_tenant_id_quota_id", "tenant_id", "quota_id"),
        Index("ix_inventory_quota_uses_tenant_id_reverses_id", "tenant_id", "reverses_id"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    quota_id: Mapped[int] = mapped_column(BigInteger)
    quantity: Mapped[int] = mapped_column(BigInteger)
    reverses_id: Mapped[int | None] = mapped_column(BigInteger)
    idempotency_key: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime] = utcnow_column()


class QuotaRule(TenantScoped, Base):
    """A cooperative's per-household limit of a commodity per month (LPG 3 kg tabung per KK)."""

    __tablename__ = "inventory_quota_rules"
    __table_args__ = (
        UniqueConstraint("tenant_id", "commodity"),
        CheckConstraint("commodity = 'lpg_3kg'", name="commodity_lpg"),
        CheckConstraint("per_month > 0", name="per_month_positive"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    commodity: Mapped[str] = mapped_column(String(20))
    per_month: Mapped[int] = mapped_column(BigInteger)


class OpnameStatus(enum.StrEnum):
    COUNTING = "counting"
    SUBMITTED = "submitted"
    APPROVED = "approved"
    CANCELLED = "cancelled"


class Opname(TenantScoped, Base):
    """A stock count (stock opname) of one location: started with a snapshot of what the books
    expect, counted, submitted, then approved by a second person, when the differences post as
    opname moves and one journal entry; or cancelled before that. One open count per location."""

    __tablename__ = "inventory_opnames"
    __table_args__ = (
        CheckConstraint(f"status IN ({_sql_list(OpnameStatus)})", name="status_known"),
        CheckConstraint(
            "status IN ('counting', 'submitted') OR decided_at IS NOT NULL", name="closed_has_time"
        ),
        tenant_fk("location_id", "inventory_locations"),
        tenant_fk("journal_entry_id", "journal_entries"),
        Index(
            "uq_inventory_opnames_one_open_per_location",
            "tenant_id",
            "location_id",
            unique=True,
            postgresql_where=text("status IN ('counting', 'submitted')"),
        ),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    location_id: Mapped[int] = mapped_column(BigInteger)
    status: Mapped[str] = mapped_column(String(10), default=OpnameStatus.COUNTING.value)
    note: Mapped[str | None] = mapped_column(String(200))
    started_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    started_at: Mapped[datetime] = utcnow_column()
    submitted_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    submitted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    journal_entry_id: Mapped[int | None] = mapped_column(BigInteger)


class OpnameLine(TenantScoped, Base):
    """One product (one lot, for a lot-tracked product) of a count: what the books held when the
    count started (`expected`, at `unit_cost` each), what was counted and by whom, and once
    approved the difference posted and its value."""

    __tablename__ = "inventory_opname_lines"
    __table_args__ = (
        CheckConstraint("expected >= 0", name="expected_not_negative"),
        CheckConstraint("counted IS NULL OR counted >= 0", name="counted_not_negative"),
        CheckConstraint("unit_cost >= 0", name="unit_cost_not_negative"),
        tenant_fk("opname_id", "inventory_opnames"),
        tenant_fk("product_id", "inventory_products"),
        tenant_fk("lot_id", "inventory_lots"),
        Index("ix_inventory_opname_lines_tenant_id_opname_id", "tenant_id", "opname_id", "id"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    opname_id: Mapped[int] = mapped_column(BigInteger)
    product_id: Mapped[int] = mapped_column(BigInteger)
    lot_id: Mapped[int | None] = mapped_column(BigInteger)
    expected: Mapped[int] = mapped_column(BigInteger)
    unit_cost: Mapped[int] = mapped_column(BigInteger, default=0, server_default=text("0"))
    counted: Mapped[int | None] = mapped_column(BigInteger)
    counted_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    posted_quantity: Mapped[int | None] = mapped_column(BigInteger)
    posted_value: Mapped[int | None] = mapped_column(BigInteger)
