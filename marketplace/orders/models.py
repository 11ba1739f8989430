"""Kophub orders. A buyer's checkout (a platform row) is split into one order per selling
cooperative; each order, its lines and its history are that cooperative's tenant data (forced
row-level security). The checkout names its orders by (cooperative, order) pairs: the one path by
which a buyer reads orders across cooperatives, each under its own tenant.

Invariants, also held by the database: an order's total is its lines' sum plus nothing hidden (the
marketplace fee is the cooperative's cost, not the buyer's); a line's amount is quantity × unit
price; a shipped order names its courier and tracking number; a cancelled order says why.
"""

from __future__ import annotations

import enum
from datetime import datetime
from decimal import Decimal

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    DateTime,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base, utcnow_column
from tenants.models import TenantScoped, tenant_fk


class OrderStatus(enum.StrEnum):
    MENUNGGU_PEMBAYARAN = "menunggu_pembayaran"
    DIBAYAR = "dibayar"
    DIPROSES = "diproses"
    DIKIRIM = "dikirim"
    DITERIMA = "diterima"
    SELESAI = "selesai"
    DIBATALKAN = "dibatalkan"


class PaymentMethod(enum.StrEnum):
    TRANSFER = "transfer"
    QRIS = "qris"
    COD = "cod"
    STRIPE = "stripe"


def _sql_list(values: type[enum.StrEnum]) -> str:
    return ", ".join(f"'{v.value}'" for v in values)


class Settings(Base):
    """Platform settings of Kophub (one row): the marketplace fee the platform charges each
    cooperative on a shipped order (0 = none), how long an unpaid order holds its stock, and how
    long a completed order's money is held before it is paid out."""

    __tablename__ = "marketplace_settings"
    __table_args__ = (
        CheckConstraint("id = 1", name="single_row"),
        CheckConstraint("fee_percent >= 0 AND fee_percent <= 20", name="fee_range"),
        CheckConstraint("payment_window_hours BETWEEN 1 AND 168", name="window_range"),
        CheckConstraint("payout_hold_days BETWEEN 0 AND 60", name="hold_range"),
        CheckConstraint("return_window_days BETWEEN 1 AND 30", name="return_window_range"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    fee_percent: Mapped[Decimal] = mapped_column(Numeric(5, 2), default=Decimal(0))
    payment_window_hours: Mapped[int] = mapped_column(Integer, default=24)
    # days a completed order's money waits before it may be paid out (room for late complaints)
    payout_hold_days: Mapped[int] = mapped_column(Integer, default=7, server_default="7")
    # days after delivery within which a buyer may ask to return goods
    return_window_days: Mapped[int] = mapped_column(Integer, default=7, server_default="7")
    updated_at: Mapped[datetime] = utcnow_column()
    updated_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


class Checkout(Base):
    """One checkout of a buyer's cart: the payment method chosen and the total over its orders.
    Applied once per (buyer, idempotency key)."""

    __tablename__ = "marketplace_checkouts"
    __table_args__ = (
        UniqueConstraint("buyer_id", "idempotency_key"),
        CheckConstraint(f"payment_method IN ({_sql_list(PaymentMethod)})", name="method_known"),
        CheckConstraint("total > 0", name="total_positive"),
        Index(
            "ix_marketplace_checkouts_expires_at",
            "expires_at",
            postgresql_where=text("expires_at IS NOT NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    buyer_id: Mapped[int] = mapped_column(ForeignKey("marketplace_buyers.id"), index=True)
    idempotency_key: Mapped[str] = mapped_column(String(64))
    payment_method: Mapped[str] = mapped_column(String(10))
    total: Mapped[int] = mapped_column(BigInteger)
    stripe_payment_intent: Mapped[str | None] = mapped_column(String(64), unique=True)
    stripe_client_secret: Mapped[str | None] = mapped_column(String(200))
    expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))  # unpaid orders lapse
    created_at: Mapped[datetime] = utcnow_column()


class CheckoutOrder(Base):
    """The buyer's cross-tenant read path: which order of which cooperative a checkout made."""

    __tablename__ = "marketplace_checkout_orders"
    __table_args__ = (
        ForeignKeyConstraint(
            ["cooperative_id", "order_id"], ["marketplace_orders.tenant_id", "marketplace_orders.id"]
        ),
    )

    checkout_id: Mapped[int] = mapped_column(
        ForeignKey("marketplace_checkouts.id", ondelete="CASCADE"), primary_key=True
    )
    cooperative_id: Mapped[int] = mapped_column(ForeignKey("cooperatives.id"), primary_key=True)
    order_id: Mapped[int] = mapped_column(BigInteger)


class Order(TenantScoped, Base):
    """One cooperative's part of a checkout, worked by its staff from payment to delivery."""

    __tablename__ = "marketplace_orders"
    __table_args__ = (
        UniqueConstraint("tenant_id", "number"),
        CheckConstraint(f"status IN ({_sql_list(OrderStatus)})", name="status_known"),
        CheckConstraint(f"payment_method IN ({_sql_list(PaymentMethod)})", name="method_known"),
        CheckConstraint("total > 0", name="total_positive"),
        CheckConstraint("fee >= 0 AND fee <= total", name="fee_within_total"),
        CheckConstraint(
            "shipped_at IS NULL OR (courier IS NOT NULL AND tracking_number IS NOT NULL)",
            name="shipped_is_tracked",
        ),
        CheckConstraint("status <> 'dibatalkan' OR cancel_reason IS NOT NULL", name="cancel_has_reason"),
        Index("ix_marketplace_orders_tenant_id_status_id", "tenant_id", "status", "id"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    number: Mapped[str] = mapped_column(String(20))
    checkout_id: Mapped[int] = mapped_column(ForeignKey("marketplace_checkouts.id"))
    buyer_id: Mapped[int] = mapped_column(ForeignKey("marketplace_buyers.id"))
    status: Mapped[str] = mapped_column(String(20))
    payment_method: Mapped[str] = mapped_column(String(10))
    total: Mapped[int] = mapped_column(BigInteger)
    fee: Mapped[int] = mapped_column(BigInteger, default=0)
    buyer_name: Mapped[str] = mapped_column(String(160))
    recipient: Mapped[str] = mapped_column(String(120))
    phone: Mapped[str] = mapped_column(String(16))
    street: Mapped[str] = mapped_column(String(300))
    village_code: Mapped[str] = mapped_column(ForeignKey("regions.code"))
    postal_code: Mapped[str | None] = mapped_column(String(5))
    courier: Mapped[str | None] = mapped_column(String(40))
    tracking_number: Mapped[str | None] = mapped_column(String(60))
    expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = utcnow_column()
    paid_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    shipped_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    received_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    cancel_reason: Mapped[str | None] = mapped_column(String(300))


class OrderLine(TenantScoped, Base):
    """A listing bought in an order: its title and unit as shown, the price of the quantity's tier,
    and the stock reservation holding the units until shipping."""

    __tablename__ = "marketplace_order_lines"
    __table_args__ = (
        CheckConstraint("quantity > 0", name="quantity_positive"),
        CheckConstraint("unit_price > 0", name="unit_price_positive"),
        CheckConstraint("amount = quantity * unit_price", name="amount_is_quantity_times_price"),
        tenant_fk("order_id", "marketplace_orders", ondelete="CASCADE"),
        tenant_fk("product_id", "inventory_products"),
        tenant_fk("location_id", "inventory_locations"),
        Index("ix_marketplace_order_lines_tenant_id_order_id", "tenant_id", "order_id"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    order_id: Mapped[int] = mapped_column(BigInteger)
    listing_id: Mapped[int] = mapped_column(BigInteger)
    product_id: Mapped[int] = mapped_column(BigInteger)
    location_id: Mapped[int] = mapped_column(BigInteger)
    title: Mapped[str] = mapped_column(String(160))
    unit: Mapped[str] = mapped_column(String(20))
    quantity: Mapped[int] = mapped_column(BigInteger)
    unit_price: Mapped[int] = mapped_column(BigInteger)
    amount: Mapped[int] = mapped_column(BigInteger)
    reservation_key: Mapped[str] = mapped_column(String(100))


class OrderEvent(TenantScoped, Base):
    """One step of an order's history: the status it reached, who moved it, and a note."""

    __tablename__ = "marketplace_order_events"
    __table_args__ = (
        CheckConstraint(f"status IN ({_sql_list(OrderStatus)})", name="status_known"),
        tenant_fk("order_id", "marketplace_orders", ondelete="CASCADE"),
        Index("ix_marketplace_order_events_tenant_id_order_id", "tenant_id", "order_id"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    order_id: Mapped[int] = mapped_column(BigInteger)
    status: Mapped[str] = mapped_column(String(20))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    note: Mapped[str | None] = mapped_column(Text)
    at: Mapped[datetime] = utcnow_column()


class ReturnStatus(enum.StrEnum):
    DIAJUKAN = "diajukan"  # asked by the buyer, waiting for the cooperative
    DITOLAK = "ditolak"  # refused by the cooperative, with a reason
    DISETUJUI = "disetujui"  # accepted: goods and books done, money on its way back
    SELESAI = "selesai"  # the money reached the buyer (transfer recorded, or Stripe refunded)


class Disposition(enum.StrEnum):
    STOK = "stok"  # the goods go back on the shelf at the cost they left at
    HAPUS = "hapus"  # damaged or spoilt: written off, their cost stays an expense


class OrderReturn(TenantScoped, Base):
    """A buyer's request to return some units of some lines of a delivered order, the
    cooperative's decision, and the partial refund. `amount` is what the buyer gets back (the
    lines' prices); `fee_back` the share of the Kophub fee given back and `cost_back` the stock
    value put back (both set on acceptance, rounded as `marketplace.orders.returns` says)."""

    __tablename__ = "marketplace_returns"
    __table_args__ = (
        CheckConstraint(f"status IN ({_sql_list(ReturnStatus)})", name="status_known"),
        CheckConstraint("disposition IS NULL OR disposition IN ('stok', 'hapus')", name="disposition_known"),
        CheckConstraint("amount > 0", name="amount_positive"),
        CheckConstraint("fee_back >= 0 AND cost_back >= 0", name="backs_not_negative"),
        CheckConstraint("status <> 'ditolak' OR refusal_reason IS NOT NULL", name="refusal_has_reason"),
        CheckConstraint(
            "status NOT IN ('disetujui', 'selesai') OR (disposition IS NOT NULL AND decided_at IS NOT NULL)",
            name="accepted_is_decided",
        ),
        CheckConstraint(
            "status <> 'selesai' OR (refund_reference IS NOT NULL AND refunded_at IS NOT NULL)",
            name="refunded_has_reference",
        ),
        CheckConstraint(
            "photo_key IS NULL OR (photo_type IN ('image/jpeg', 'image/png') "
            "AND photo_size BETWEEN 1 AND 2097152)",
            name="photo_valid",
        ),
        tenant_fk("order_id", "marketplace_orders", ondelete="CASCADE"),
        Index("ix_marketplace_returns_tenant_id_order_id", "tenant_id", "order_id"),
        Index("ix_marketplace_returns_tenant_id_status", "tenant_id", "status"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    order_id: Mapped[int] = mapped_column(BigInteger)
    status: Mapped[str] = mapped_column(String(12))
    reason: Mapped[str] = mapped_column(String(300))
    photo_key: Mapped[str | None] = mapped_column(String(200))
    photo_type: Mapped[str | None] = mapped_column(String(40))
    photo_size: Mapped[int | None] = mapped_column(Integer)
    amount: Mapped[int] = mapped_column(BigInteger)
    fee_back: Mapped[int] = mapped_column(BigInteger, default=0)
    cost_back: Mapped[int] = mapped_column(BigInteger, default=0)
    disposition: Mapped[str | None] = mapped_column(String(8))
    refusal_reason: Mapped[str | None] = mapped_column(String(300))
    refund_reference: Mapped[str | None] = mapped_column(String(80))
    requested_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = utcnow_column()
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    refunded_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class OrderReturnLine(TenantScoped, Base):
    """Units of one order line in a return, at the price they were bought."""

    __tablename__ = "marketplace_return_lines"
    __table_args__ = (
        UniqueConstraint("tenant_id", "return_id", "order_line_id"),
        CheckConstraint("quantity > 0", name="quantity_positive"),
        CheckConstraint("amount = quantity * unit_price", name="amount_is_quantity_times_price"),
        CheckConstraint("cost_back >= 0", name="cost_back_not_negative"),
        tenant_fk("return_id", "marketplace_returns", ondelete="CASCADE"),
        tenant_fk("order_line_id", "marketplace_order_lines"),
        Index("ix_marketplace_return_lines_tenant_id_order_line_id", "tenant_id", "order_line_id"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    return_id: Mapped[int] = mapped_column(BigInteger)
    order_line_id: Mapped[int] = mapped_column(BigInteger)
    quantity: Mapped[int] = mapped_column(BigInteger)
    unit_price: Mapped[int] = mapped_column(BigInteger)
    amount: Mapped[int] = mapped_column(BigInteger)
    cost_back: Mapped[int] = mapped_column(BigInteger, default=0)
