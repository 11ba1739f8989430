"""Kophub buyers: people (perorangan) or businesses (usaha, with an NPWP) who buy from cooperatives,
their delivery addresses and their cart. Platform tables: a buyer is not staff of any cooperative
and buys from many; every row here belongs to one buyer and is read only by that buyer.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base, utcnow_column


class BuyerKind(enum.StrEnum):
    PERORANGAN = "perorangan"
    USAHA = "usaha"


class Buyer(Base):
    """A user's buyer profile. A business buyer names its company and its 16-digit NPWP."""

    __tablename__ = "marketplace_buyers"
    __table_args__ = (
        CheckConstraint("kind IN ('perorangan', 'usaha')", name="kind_known"),
        CheckConstraint(
            "kind = 'perorangan' OR (company_name IS NOT NULL AND npwp IS NOT NULL)", name="business_named"
        ),
        CheckConstraint("npwp IS NULL OR npwp ~ '^[0-9]{16}$'", name="npwp_format"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), unique=True)
    kind: Mapped[str] = mapped_column(String(12))
    company_name: Mapped[str | None] = mapped_column(String(160))
    npwp: Mapped[str | None] = mapped_column(String(16))
    created_at: Mapped[datetime] = utcnow_column()


class Address(Base):
    """Where a buyer wants goods delivered: a village from the official list, street and recipient."""

    __tablename__ = "marketplace_addresses"
    __table_args__ = (
        CheckConstraint("phone ~ '^\\+628[0-9]{7,11}$'", name="phone_e164"),
        CheckConstraint("postal_code IS NULL OR postal_code ~ '^[0-9]{5}$'", name="postal_code_format"),
        Index("ix_marketplace_addresses_buyer_id", "buyer_id"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    buyer_id: Mapped[int] = mapped_column(ForeignKey("marketplace_buyers.id", ondelete="CASCADE"))
    label: Mapped[str] = mapped_column(String(40))
    recipient: Mapped[str] = mapped_column(String(120))
    phone: Mapped[str] = mapped_column(String(16))
    street: Mapped[str] = mapped_column(String(300))
    village_code: Mapped[str] = mapped_column(ForeignKey("regions.code"))
    postal_code: Mapped[str | None] = mapped_column(String(5))
    created_at: Mapped[datetime] = utcnow_column()


class CartLine(Base):
    """A published listing of some cooperative in a buyer's cart, with the quantity wanted. Prices
    and stock are read again at checkout; the cart only remembers the choice."""

    __tablename__ = "marketplace_cart_lines"
    __table_args__ = (
        UniqueConstraint("buyer_id", "cooperative_id", "listing_id"),
        CheckConstraint("quantity > 0 AND quantity <= 100000", name="quantity_range"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    buyer_id: Mapped[int] = mapped_column(ForeignKey("marketplace_buyers.id", ondelete="CASCADE"))
    cooperative_id: Mapped[int] = mapped_column(ForeignKey("cooperatives.id", ondelete="CASCADE"))
    listing_id: Mapped[int] = mapped_column(BigInteger)
    quantity: Mapped[int] = mapped_column(BigInteger)
    added_at: Mapped[datetime] = utcnow_column()
