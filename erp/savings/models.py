"""Savings of members: products a cooperative offers, one account per member and product, every
movement, withdrawals awaiting a second person, and the teller's cash drawer per shift.

Invariants, each also held by the database: a balance is whole rupiah and never negative; every
movement is positive, carries the balance after it and an idempotency key unique per cooperative;
an account belongs to a member and a product of its own cooperative; a teller has at most one open
shift; a closed shift records its counted cash.
"""

from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Numeric,
    String,
    UniqueConstraint,
    text,
    true,
)
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base, utcnow_column
from tenants.models import TenantScoped, tenant_fk


class ProductKind(enum.StrEnum):
    POKOK = "pokok"
    WAJIB = "wajib"
    SUKARELA = "sukarela"
    BERJANGKA = "berjangka"


class MovementKind(enum.StrEnum):
    DEPOSIT = "deposit"
    WITHDRAWAL = "withdrawal"
    INTEREST = "interest"
    TAX = "tax"


CREDITS = (MovementKind.DEPOSIT, MovementKind.INTEREST)


def _sql_list(values: type[enum.StrEnum]) -> str:
    return ", ".join(f"'{v.value}'" for v in values)


class SavingsProduct(TenantScoped, Base):
    """A kind of simpanan as one cooperative sets it: the fixed amount of pokok and wajib, the yearly
    rate of sukarela and berjangka, the ledger account it sits in (equity or liability, configurable),
    and the amount above which a withdrawal needs a second person."""

    __tablename__ = "savings_products"
    __table_args__ = (
        UniqueConstraint("tenant_id", "code"),
        CheckConstraint(f"kind IN ({_sql_list(ProductKind)})", name="kind_known"),
        CheckConstraint("amount IS NULL OR amount > 0", name="amount_positive"),
        CheckConstraint("kind NOT IN ('pokok', 'wajib') OR amount IS NOT NULL", name="fixed_amount_set"),
        CheckConstraint("interest_rate >= 0 AND interest_rate <= 100", name="rate_range"),
        CheckConstraint("tax_rate >= 0 AND tax_rate <= 100", name="tax_range"),
        CheckConstraint("kind <> 'berjangka' OR term_months > 0", name="term_set"),
        CheckConstraint("approval_threshold > 0", name="threshold_positive"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    code: Mapped[str] = mapped_column(String(20))
    name: Mapped[str] = mapped_column(String(80))
    kind: Mapped[str] = mapped_column(String(10))
    amount: Mapped[int | None] = mapped_column(BigInteger)
    interest_rate: Mapped[Decimal] = mapped_column(Numeric(7, 4), default=Decimal(0))
    tax_rate: Mapped[Decimal] = mapped_column(Numeric(7, 4), default=Decimal(0))
    term_months: Mapped[int | None] = mapped_column()
    ledger_account_code: Mapped[str] = mapped_column(String(16))
    approval_threshold: Mapped[int] = mapped_column(BigInteger, default=5_000_000)
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())


class SavingsAccount(TenantScoped, Base):
    """A member's account of one product, with its balance, changed only under a row lock in the
    transaction that posts the movement to the ledger."""

    __tablename__ = "savings_accounts"
    __table_args__ = (
        UniqueConstraint("tenant_id", "number"),
        CheckConstraint("balance >= 0", name="balance_not_negative"),
        CheckConstraint("status IN ('open', 'closed')", name="status_known"),
        tenant_fk("member_id", "members"),
        tenant_fk("product_id", "savings_products"),
        Index("ix_savings_accounts_tenant_id_member_id", "tenant_id", "member_id"),
        Index(
            "ix_savings_accounts_one_per_product",
            "tenant_id",
            "member_id",
            "product_id",
            unique=True,
            postgresql_where=text("kind <> 'berjangka' AND status = 'open'"),
        ),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    number: Mapped[str] = mapped_column(String(24))
    member_id: Mapped[int] = mapped_column(BigInteger)
    product_id: Mapped[int] = mapped_column(BigInteger)
    kind: Mapped[str] = mapped_column(String(10))
    balance: Mapped[int] = mapped_column(BigInteger, default=0)
    status: Mapped[str] = mapped_column(String(6), default="open")
    opened_on: Mapped[date] = mapped_column(Date)
    maturity_on: Mapped[date | None] = mapped_column(Date)
    closed_on: Mapped[date | None] = mapped_column(Date)


class SavingsMovement(TenantScoped, Base):
    """One movement of an account, as the passbook prints it; posted to the ledger in the same
    transaction (`journal_entry_id`). Append-only."""

    __tablename__ = "savings_movements"
    __table_args__ = (
        UniqueConstraint("tenant_id", "idempotency_key"),
        CheckConstraint(f"kind IN ({_sql_list(MovementKind)})", name="kind_known"),
        CheckConstraint("amount > 0", name="amount_positive"),
        CheckConstraint("balance_after >= 0", name="balance_after_not_negative"),
        tenant_fk("account_id", "savings_accounts"),
        tenant_fk("shift_id", "teller_shifts"),
        tenant_fk("journal_entry_id", "journal_entries"),
        Index("ix_savings_movements_tenant_id_account_id_id", "tenant_id", "account_id", "id"),
        Index("ix_savings_movements_tenant_id_occurred_on", "tenant_id", "occurred_on"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    account_id: Mapped[int] = mapped_column(BigInteger)
    kind: Mapped[str] = mapped_column(String(10))
    amount: Mapped[int] = mapped_column(BigInteger)
    balance_after: Mapped[int] = mapped_column(BigInteger)
    occurred_on: Mapped[date] = mapped_column(Date)
    recorded_at: Mapped[datetime] = utcnow_column()
    description: Mapped[str] = mapped_column(String(200))
    idempotency_key: Mapped[str] = mapped_column(String(120))
    journal_entry_id: Mapped[int | None] = mapped_column(BigInteger)
    shift_id: Mapped[int | None] = mapped_column(BigInteger)
    teller_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    approved_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


class WithdrawalRequest(TenantScoped, Base):
    """A withdrawal above the product's threshold, waiting for a second person (maker-checker):
    the checker must not be the maker; an approved request is paid once."""

    __tablename__ = "withdrawal_requests"
    __table_args__ = (
        CheckConstraint("amount > 0", name="amount_positive"),
        CheckConstraint("status IN ('pending', 'approved', 'paid', 'rejected')", name="status_known"),
        CheckConstraint("decided_by IS NULL OR decided_by <> requested_by", name="four_eyes"),
        tenant_fk("account_id", "savings_accounts"),
        tenant_fk("movement_id", "savings_movements"),
        Index("ix_withdrawal_requests_tenant_id_status", "tenant_id", "status"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    account_id: Mapped[int] = mapped_column(BigInteger)
    amount: Mapped[int] = mapped_column(BigInteger)
    note: Mapped[str | None] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(8), default="pending")
    requested_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    requested_at: Mapped[datetime] = utcnow_column()
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    movement_id: Mapped[int | None] = mapped_column(BigInteger)


class TellerShift(TenantScoped, Base):
    """A teller's cash drawer from opening to close: expected cash is the opening float plus the
    shift's deposits less its withdrawals; the close records what was counted and the difference."""

    __tablename__ = "teller_shifts"
    __table_args__ = (
        CheckConstraint("opening_cash >= 0", name="opening_not_negative"),
        CheckConstraint("counted_cash IS NULL OR counted_cash >= 0", name="counted_not_negative"),
        CheckConstraint("(closed_at IS NULL) = (counted_cash IS NULL)", name="closed_counted"),
        Index(
            "ix_teller_shifts_one_open",
            "tenant_id",
            "teller_id",
            unique=True,
            postgresql_where=text("closed_at IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    teller_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    opened_at: Mapped[datetime] = utcnow_column()
    opening_cash: Mapped[int] = mapped_column(BigInteger)
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    counted_cash: Mapped[int | None] = mapped_column(BigInteger)
    expected_cash: Mapped[int | None] = mapped_column(BigInteger)
