"""Payments of Kophub orders, one per order, whichever adapter took it: `manual` (bank transfer or
QRIS with the buyer's proof, confirmed by the cooperative's bendahara; cash on delivery) or
`stripe` (a PaymentIntent over the whole checkout). Received Stripe events are recorded by id, so
each is applied once.

Invariants, also held by the database: amounts are whole rupiah; what is refunded never exceeds
what was paid; a confirmed payment names when; a proof is PDF, JPEG or PNG of bounded size.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base, utcnow_column
from tenants.models import TenantScoped, tenant_fk

MAX_PROOF_BYTES = 2 * 1024 * 1024


class PaymentStatus(enum.StrEnum):
    MENUNGGU = "menunggu"  # nothing received yet
    BUKTI_DIKIRIM = "bukti_dikirim"  # the buyer uploaded a proof; the bendahara checks it
    LUNAS = "lunas"  # received (confirmed by the bendahara, or Stripe succeeded)
    GAGAL = "gagal"  # refused proof or failed card payment; the buyer may try again
    DIKEMBALIKAN = "dikembalikan"  # refunded in full


def _sql_list(values: type[enum.StrEnum]) -> str:
    return ", ".join(f"'{v.value}'" for v in values)


class Payment(TenantScoped, Base):
    """What the buyer owes and paid for one order, and how."""

    __tablename__ = "marketplace_payments"
    __table_args__ = (
        UniqueConstraint("tenant_id", "order_id"),
        CheckConstraint("provider IN ('manual', 'stripe')", name="provider_known"),
        CheckConstraint(f"status IN ({_sql_list(PaymentStatus)})", name="status_known"),
        CheckConstraint("amount > 0", name="amount_positive"),
        CheckConstraint("refunded >= 0 AND refunded <= amount", name="refund_within_amount"),
        CheckConstraint("status <> 'lunas' OR paid_at IS NOT NULL", name="paid_has_time"),
        CheckConstraint(
            "proof_key IS NULL OR (proof_type IN ('application/pdf', 'image/jpeg', 'image/png') "
            "AND proof_size BETWEEN 1 AND 2097152)",
            name="proof_valid",
        ),
        tenant_fk("order_id", "marketplace_orders", ondelete="CASCADE"),
        Index("ix_marketplace_payments_stripe_payment_intent", "stripe_payment_intent"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    order_id: Mapped[int] = mapped_column(BigInteger)
    provider: Mapped[str] = mapped_column(String(10))
    method: Mapped[str] = mapped_column(String(10))
    amount: Mapped[int] = mapped_column(BigInteger)
    status: Mapped[str] = mapped_column(String(15))
    refunded: Mapped[int] = mapped_column(BigInteger, default=0)
    proof_key: Mapped[str | None] = mapped_column(String(200))
    proof_type: Mapped[str | None] = mapped_column(String(40))
    proof_size: Mapped[int | None] = mapped_column(Integer)
    proof_sha256: Mapped[str | None] = mapped_column(String(64))
    payer_note: Mapped[str | None] = mapped_column(String(200))
    refusal_reason: Mapped[str | None] = mapped_column(String(200))
    stripe_payment_intent: Mapped[str | None] = mapped_column(String(64))
    stripe_refund: Mapped[str | None] = mapped_column(String(64))
    confirmed_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    paid_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = utcnow_column()


class StripeEvent(Base):
    """A Stripe webhook event as received: its id is unique, so a redelivery is recognised and
    dropped; `outcome` says what applying it did."""

    __tablename__ = "marketplace_stripe_events"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    event_id: Mapped[str] = mapped_column(String(80), unique=True)
    type: Mapped[str] = mapped_column(String(80))
    object_id: Mapped[str | None] = mapped_column(String(80))
    stripe_created: Mapped[int] = mapped_column(BigInteger)
    received_at: Mapped[datetime] = utcnow_column()
    outcome: Mapped[str] = mapped_column(String(200))
