"""Payments of Kophub orders, one per order, whichever adapter took it: `manual` (bank transfer or
QRIS with the buyer's proof, confirmed by the cooperative's bendahara; cash on delivery) or
`stripe` (a PaymentIntent over the whole checkout). Received Stripe events are recorded by id, so
each is applied once. Money Kophub holds for a cooperative (card payments) is tracked per order in
the platform's settlement rows and paid out to the cooperative's bank in payouts.

Invariants, also held by the database: amounts are whole rupiah; what is refunded never exceeds
what was paid; a confirmed payment names when; a proof is PDF, JPEG or PNG of bounded size.
"""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    String,
    UniqueConstraint,
    text,
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


class PayoutStatus(enum.StrEnum):
    DIBUAT = "dibuat"  # made by the platform, money not sent yet
    DITRANSFER = "ditransfer"  # sent to the cooperative's bank (with the bank's reference)
    DIBATALKAN = "dibatalkan"  # withdrawn before transfer; its orders are owed again


class Settlement(Base):
    """What Kophub holds for one cooperative from one order paid through the platform (a platform
    row, the mirror of Piutang Kophub 1-1140 in the cooperative's books): received, less the
    marketplace fee, less refunds; `allocated` is what payouts (made or transferred) took of it.
    What is still to pay out is `received - fee - refunded - allocated`, negative when a refund
    came after the payout (netted against the next one). Read across cooperatives only by the
    platform's payout pages; a cooperative reads its own rows."""

    __tablename__ = "marketplace_settlements"
    __table_args__ = (
        UniqueConstraint("cooperative_id", "order_id"),
        ForeignKeyConstraint(
            ["cooperative_id", "order_id"], ["marketplace_orders.tenant_id", "marketplace_orders.id"]
        ),
        CheckConstraint("received >= 0 AND fee >= 0 AND refunded >= 0", name="amounts_not_negative"),
        CheckConstraint("fee + refunded <= received", name="within_received"),
        Index(
            "ix_marketplace_settlements_open",
            "cooperative_id",
            "completed_at",
            postgresql_where=text("received - fee - refunded - allocated <> 0"),
        ),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    cooperative_id: Mapped[int] = mapped_column(ForeignKey("cooperatives.id"))
    order_id: Mapped[int] = mapped_column(BigInteger)
    order_number: Mapped[str] = mapped_column(String(20))
    received: Mapped[int] = mapped_column(BigInteger, default=0)
    fee: Mapped[int] = mapped_column(BigInteger, default=0)
    refunded: Mapped[int] = mapped_column(BigInteger, default=0)
    allocated: Mapped[int] = mapped_column(BigInteger, default=0)
    completed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))  # order selesai
    created_at: Mapped[datetime] = utcnow_column()


class Payout(Base):
    """One transfer from Kophub to a cooperative's bank account of what it is owed for completed
    orders, net of fees and of refunds made after an earlier payout. The bank account is copied
    when the payout is made; the bank's reference is required to mark it transferred."""

    __tablename__ = "marketplace_payouts"
    __table_args__ = (
        CheckConstraint(f"status IN ({_sql_list(PayoutStatus)})", name="status_known"),
        CheckConstraint("amount > 0", name="amount_positive"),
        CheckConstraint(
            "status <> 'ditransfer' OR (bank_reference IS NOT NULL AND transferred_at IS NOT NULL "
            "AND transfer_date IS NOT NULL)",
            name="transferred_has_reference",
        ),
        Index("ix_marketplace_payouts_cooperative_id_id", "cooperative_id", "id"),
        Index("ix_marketplace_payouts_status", "status", postgresql_where=text("status = 'dibuat'")),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    cooperative_id: Mapped[int] = mapped_column(ForeignKey("cooperatives.id"))
    amount: Mapped[int] = mapped_column(BigInteger)
    status: Mapped[str] = mapped_column(String(12))
    bank_name: Mapped[str] = mapped_column(String(60))
    bank_account: Mapped[str] = mapped_column(String(20))
    bank_account_name: Mapped[str] = mapped_column(String(160))
    bank_reference: Mapped[str | None] = mapped_column(String(60))
    transfer_date: Mapped[date | None] = mapped_column(Date)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = utcnow_column()
    transferred_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    transferred_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    cancel_reason: Mapped[str | None] = mapped_column(String(200))


class PayoutLine(Base):
    """One order's share of a payout: its net still owed when the payout was made (negative for a
    refund netted against it)."""

    __tablename__ = "marketplace_payout_lines"
    __table_args__ = (
        CheckConstraint("amount <> 0", name="amount_not_zero"),
        ForeignKeyConstraint(
            ["cooperative_id", "order_id"], ["marketplace_orders.tenant_id", "marketplace_orders.id"]
        ),
    )

    payout_id: Mapped[int] = mapped_column(
        ForeignKey("marketplace_payouts.id", ondelete="CASCADE"), primary_key=True
    )
    order_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    cooperative_id: Mapped[int] = mapped_column(ForeignKey("cooperatives.id"))
    order_number: Mapped[str] = mapped_column(String(20))
    amount: Mapped[int] = mapped_column(BigInteger)
