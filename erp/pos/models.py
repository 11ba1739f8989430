"""Sales at the gerai counter and their lines.

Invariants, each also held by the database: a sale is paid in full (cash with change, or QRIS or
transfer with its reference and no change); every line is a positive quantity at a positive price;
a sale carries an idempotency key unique per cooperative and the journal entry that posted it;
sales and lines are append-only.
"""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import BigInteger, CheckConstraint, Date, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base, utcnow_column
from tenants.models import TenantScoped, tenant_fk


class PaymentMethod(enum.StrEnum):
    TUNAI = "tunai"
    QRIS = "qris"
    TRANSFER = "transfer"


class Sale(TenantScoped, Base):
    """One checkout: who sold, to which member if any, the total, how it was paid."""

    __tablename__ = "pos_sales"
    __table_args__ = (
        UniqueConstraint("tenant_id", "idempotency_key"),
        CheckConstraint("payment_method IN ('tunai', 'qris', 'transfer')", name="method_known"),
        CheckConstraint("total > 0", name="total_positive"),
        CheckConstraint("cost >= 0", name="cost_not_negative"),
        CheckConstraint("paid >= total AND change = paid - total", name="paid_in_full"),
        CheckConstraint(
            "payment_method = 'tunai' OR (payment_reference IS NOT NULL AND change = 0)",
            name="non_cash_referenced",
        ),
        tenant_fk("location_id", "inventory_locations"),
        tenant_fk("member_id", "members"),
        tenant_fk("journal_entry_id", "journal_entries"),
        Index("ix_pos_sales_tenant_id_sold_on", "tenant_id", "sold_on"),
        Index("ix_pos_sales_tenant_id_member_id_sold_on", "tenant_id", "member_id", "sold_on"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    location_id: Mapped[int] = mapped_column(BigInteger)
    member_id: Mapped[int | None] = mapped_column(BigInteger)
    kasir_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    sold_on: Mapped[date] = mapped_column(Date)
    recorded_at: Mapped[datetime] = utcnow_column()
    total: Mapped[int] = mapped_column(BigInteger)
    cost: Mapped[int] = mapped_column(BigInteger)
    payment_method: Mapped[str] = mapped_column(String(10))
    paid: Mapped[int] = mapped_column(BigInteger)
    change: Mapped[int] = mapped_column(BigInteger)
    payment_reference: Mapped[str | None] = mapped_column(String(60))
    idempotency_key: Mapped[str] = mapped_column(String(120))
    journal_entry_id: Mapped[int] = mapped_column(BigInteger)


class SaleLine(TenantScoped, Base):
    """One product of a sale: quantity, unit price, amount and its cost at moving average."""

    __tablename__ = "pos_sale_lines"
    __table_args__ = (
        CheckConstraint("quantity > 0", name="quantity_positive"),
        CheckConstraint("price > 0", name="price_positive"),
        CheckConstraint("amount = quantity * price", name="amount_is_quantity_times_price"),
        CheckConstraint("cost >= 0", name="cost_not_negative"),
        tenant_fk("sale_id", "pos_sales"),
        tenant_fk("product_id", "inventory_products"),
        Index("ix_pos_sale_lines_tenant_id_sale_id", "tenant_id", "sale_id"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    sale_id: Mapped[int] = mapped_column(BigInteger)
    product_id: Mapped[int] = mapped_column(BigInteger)
    quantity: Mapped[int] = mapped_column(BigInteger)
    price: Mapped[int] = mapped_column(BigInteger)
    amount: Mapped[int] = mapped_column(BigInteger)
    cost: Mapped[int] = mapped_column(BigInteger)
