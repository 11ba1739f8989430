"""Sales at the gerai counter: the kasir's shifts, sales with their lines and payments, voids and
returns, receipt prints, member credit (kasbon) and the supervisors' PINs.

Invariants, each also held by the database: a sale belongs to its kasir's open shift and is paid in
full (the payments sum to what was tendered; only cash gives change; QRIS and transfer carry their
reference; credit needs a member); a line's amount is quantity × price less its discount, and stays
positive; a sale carries an idempotency key unique per cooperative and the journal entry that posted
it; sales, lines, payments, returns and prints are append-only; a kasir has at most one open shift;
a member's kasbon balance is never negative.
"""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Any, cast

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base, utcnow_column
from erp.inventory.models import Product
from tenants.models import TenantScoped, tenant_fk


class PaymentMethod(enum.StrEnum):
    TUNAI = "tunai"
    QRIS = "qris"
    TRANSFER = "transfer"
    KREDIT = "kredit"


MIXED = "campuran"  # a sale paid in more than one way


class ReturnKind(enum.StrEnum):
    VOID = "void"
    RETUR = "retur"


# Rupiah notes and coins a drawer is counted in at the close of a shift.
DENOMINATIONS = (100_000, 50_000, 20_000, 10_000, 5_000, 2_000, 1_000, 500, 200, 100)


class Shift(TenantScoped, Base):
    """A kasir's turn at a gerai: opened with a float, closed with the drawer counted by
    denomination; the variance against the expected cash is posted to Selisih Kas."""

    __tablename__ = "pos_shifts"
    __table_args__ = (
        CheckConstraint("opening_float >= 0", name="float_not_negative"),
        CheckConstraint(
            "(closed_at IS NULL) = (counted_cash IS NULL) AND (closed_at IS NULL) = (expected_cash IS NULL)",
            name="closed_is_counted",
        ),
        CheckConstraint("counted_cash IS NULL OR counted_cash >= 0", name="counted_not_negative"),
        CheckConstraint(
            "closed_at IS NULL OR variance = counted_cash - expected_cash", name="variance_is_difference"
        ),
        tenant_fk("location_id", "inventory_locations"),
        tenant_fk("variance_entry_id", "journal_entries"),
        Index(
            "ix_pos_shifts_one_open_per_kasir",
            "tenant_id",
            "kasir_id",
            unique=True,
            postgresql_where=text("closed_at IS NULL"),
        ),
        Index("ix_pos_shifts_tenant_id_business_day", "tenant_id", "business_day"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    location_id: Mapped[int] = mapped_column(BigInteger)
    kasir_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    business_day: Mapped[date] = mapped_column(Date)
    opened_at: Mapped[datetime] = utcnow_column()
    opening_float: Mapped[int] = mapped_column(BigInteger)
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    counted_cash: Mapped[int | None] = mapped_column(BigInteger)
    denominations: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    expected_cash: Mapped[int | None] = mapped_column(BigInteger)
    variance: Mapped[int | None] = mapped_column(BigInteger)
    variance_entry_id: Mapped[int | None] = mapped_column(BigInteger)
    note: Mapped[str | None] = mapped_column(String(200))


class Sale(TenantScoped, Base):
    """One checkout: who sold in which shift, to which member if any, the discount given, the net
    total and how it was tendered (`payment_method` is the one method, or `campuran`)."""

    __tablename__ = "pos_sales"
    __table_args__ = (
        UniqueConstraint("tenant_id", "idempotency_key"),
        CheckConstraint(
            "payment_method IN ('tunai', 'qris', 'transfer', 'kredit', 'campuran')", name="method_known"
        ),
        CheckConstraint("total > 0", name="total_positive"),
        CheckConstraint("cost >= 0", name="cost_not_negative"),
        CheckConstraint("discount >= 0", name="discount_not_negative"),
        CheckConstraint("paid >= total AND change = paid - total", name="paid_in_full"),
        CheckConstraint("payment_method <> 'kredit' OR member_id IS NOT NULL", name="credit_has_member"),
        CheckConstraint("ppn >= 0 AND ppn <= ppn_base AND ppn_base <= total", name="ppn_within_base"),
        CheckConstraint(
            "(ppn_rate IS NULL AND ppn_base = 0) OR ppn_rate BETWEEN 1 AND 2500", name="ppn_only_when_pkp"
        ),
        tenant_fk("location_id", "inventory_locations"),
        tenant_fk("member_id", "members"),
        tenant_fk("journal_entry_id", "journal_entries"),
        tenant_fk("shift_id", "pos_shifts"),
        Index("ix_pos_sales_tenant_id_sold_on", "tenant_id", "sold_on"),
        Index("ix_pos_sales_tenant_id_member_id_sold_on", "tenant_id", "member_id", "sold_on"),
        Index("ix_pos_sales_tenant_id_shift_id", "tenant_id", "shift_id"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    location_id: Mapped[int] = mapped_column(BigInteger)
    shift_id: Mapped[int | None] = mapped_column(BigInteger)
    member_id: Mapped[int | None] = mapped_column(BigInteger)
    kasir_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    sold_on: Mapped[date] = mapped_column(Date)
    recorded_at: Mapped[datetime] = utcnow_column()
    total: Mapped[int] = mapped_column(BigInteger)
    discount: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    discount_approved_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    cost: Mapped[int] = mapped_column(BigInteger)
    payment_method: Mapped[str] = mapped_column(String(10))
    paid: Mapped[int] = mapped_column(BigInteger)
    change: Mapped[int] = mapped_column(BigInteger)
    payment_reference: Mapped[str | None] = mapped_column(String(60))
    idempotency_key: Mapped[str] = mapped_column(String(120))
    journal_entry_id: Mapped[int] = mapped_column(BigInteger)
    # PPN (PKP cooperatives only): the rate in basis points in force on the day (NULL: not a PKP),
    # the PPN-inclusive amount of the taxable lines, and the PPN in it, computed once on that base
    ppn_rate: Mapped[int | None] = mapped_column(Integer)
    ppn_base: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    ppn: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")


class SaleLine(TenantScoped, Base):
    """One product of a sale: quantity, unit price, its discount (its own and its share of a basket
    discount), the net amount and its cost at moving average."""

    __tablename__ = "pos_sale_lines"
    __table_args__ = (
        CheckConstraint("quantity > 0", name="quantity_positive"),
        CheckConstraint("price > 0", name="price_positive"),
        CheckConstraint("discount >= 0", name="discount_not_negative"),
        CheckConstraint("amount = quantity * price - discount", name="amount_is_net"),
        CheckConstraint("amount > 0", name="amount_positive"),
        CheckConstraint("cost >= 0", name="cost_not_negative"),
        CheckConstraint("ppn >= 0 AND ppn <= amount", name="ppn_within_amount"),
        tenant_fk("sale_id", "pos_sales"),
        tenant_fk("product_id", "inventory_products"),
        Index("ix_pos_sale_lines_tenant_id_sale_id", "tenant_id", "sale_id"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    sale_id: Mapped[int] = mapped_column(BigInteger)
    product_id: Mapped[int] = mapped_column(BigInteger)
    quantity: Mapped[int] = mapped_column(BigInteger)
    price: Mapped[int] = mapped_column(BigInteger)
    discount: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    amount: Mapped[int] = mapped_column(BigInteger)
    cost: Mapped[int] = mapped_column(BigInteger)
    # the line's share of the sale's PPN (in proportion to the taxable lines' amounts)
    ppn: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")


class Payment(TenantScoped, Base):
    """One way a sale was paid: cash (tendered, before change), QRIS or transfer with its
    reference, or member credit (kasbon)."""

    __tablename__ = "pos_payments"
    __table_args__ = (
        CheckConstraint("method IN ('tunai', 'qris', 'transfer', 'kredit')", name="method_known"),
        CheckConstraint("amount > 0", name="amount_positive"),
        CheckConstraint(
            "(method IN ('qris', 'transfer')) = (reference IS NOT NULL)", name="non_cash_referenced"
        ),
        tenant_fk("sale_id", "pos_sales"),
        Index("ix_pos_payments_tenant_id_sale_id", "tenant_id", "sale_id"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    sale_id: Mapped[int] = mapped_column(BigInteger)
    method: Mapped[str] = mapped_column(String(10))
    amount: Mapped[int] = mapped_column(BigInteger)
    reference: Mapped[str | None] = mapped_column(String(60))


class SaleReturn(TenantScoped, Base):
    """A void (the whole sale, in its own open shift) or a return (some lines, later), approved by
    a supervisor; refunded to the member's kasbon first, then in cash (a void gives back each
    payment as it came)."""

    __tablename__ = "pos_returns"
    __table_args__ = (
        UniqueConstraint("tenant_id", "idempotency_key"),
        CheckConstraint("kind IN ('void', 'retur')", name="kind_known"),
        CheckConstraint(
            "refund_cash >= 0 AND refund_bank >= 0 AND refund_credit >= 0", name="refunds_not_negative"
        ),
        CheckConstraint("amount = refund_cash + refund_bank + refund_credit", name="refund_is_amount"),
        CheckConstraint("amount > 0", name="amount_positive"),
        CheckConstraint("ppn >= 0 AND ppn <= amount", name="ppn_within_amount"),
        tenant_fk("sale_id", "pos_sales"),
        tenant_fk("shift_id", "pos_shifts"),
        tenant_fk("journal_entry_id", "journal_entries"),
        Index("ix_pos_returns_tenant_id_sale_id", "tenant_id", "sale_id"),
        Index(
            "ix_pos_returns_one_void_per_sale",
            "tenant_id",
            "sale_id",
            unique=True,
            postgresql_where=text("kind = 'void'"),
        ),
        Index("ix_pos_returns_tenant_id_returned_on", "tenant_id", "returned_on"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    sale_id: Mapped[int] = mapped_column(BigInteger)
    kind: Mapped[str] = mapped_column(String(6))
    shift_id: Mapped[int] = mapped_column(BigInteger)
    kasir_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    supervisor_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    returned_on: Mapped[date] = mapped_column(Date)
    recorded_at: Mapped[datetime] = utcnow_column()
    reason: Mapped[str] = mapped_column(String(200))
    amount: Mapped[int] = mapped_column(BigInteger)
    cost: Mapped[int] = mapped_column(BigInteger)
    refund_cash: Mapped[int] = mapped_column(BigInteger)
    refund_bank: Mapped[int] = mapped_column(BigInteger)
    refund_credit: Mapped[int] = mapped_column(BigInteger)
    idempotency_key: Mapped[str] = mapped_column(String(120))
    journal_entry_id: Mapped[int] = mapped_column(BigInteger)
    # the PPN given back (debited to Utang PPN Keluaran), part of `amount`
    ppn: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")


class ReturnLine(TenantScoped, Base):
    """What came back of one sale line: the quantity, its refund at the net price paid, its cost,
    and whether it went back on the shelf or was written off as damaged."""

    __tablename__ = "pos_return_lines"
    __table_args__ = (
        CheckConstraint("quantity > 0", name="quantity_positive"),
        CheckConstraint("amount >= 0 AND cost >= 0", name="amounts_not_negative"),
        CheckConstraint("ppn >= 0 AND ppn <= amount", name="ppn_within_amount"),
        tenant_fk("return_id", "pos_returns"),
        tenant_fk("sale_line_id", "pos_sale_lines"),
        tenant_fk("product_id", "inventory_products"),
        Index("ix_pos_return_lines_tenant_id_sale_line_id", "tenant_id", "sale_line_id"),
        Index("ix_pos_return_lines_tenant_id_return_id", "tenant_id", "return_id"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    return_id: Mapped[int] = mapped_column(BigInteger)
    sale_line_id: Mapped[int] = mapped_column(BigInteger)
    product_id: Mapped[int] = mapped_column(BigInteger)
    quantity: Mapped[int] = mapped_column(BigInteger)
    amount: Mapped[int] = mapped_column(BigInteger)
    cost: Mapped[int] = mapped_column(BigInteger)
    restocked: Mapped[bool] = mapped_column(Boolean)
    ppn: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")


class ReceiptPrint(TenantScoped, Base):
    """Each time a receipt was printed: number 1 is the original, every later one a copy
    (SALINAN) with its number."""

    __tablename__ = "pos_receipt_prints"
    __table_args__ = (
        UniqueConstraint("tenant_id", "sale_id", "number"),
        CheckConstraint("number > 0", name="number_positive"),
        tenant_fk("sale_id", "pos_sales"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    sale_id: Mapped[int] = mapped_column(BigInteger)
    number: Mapped[int] = mapped_column(BigInteger)
    printed_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    printed_at: Mapped[datetime] = utcnow_column()
    form: Mapped[str] = mapped_column(String(8))


class SupervisorPin(TenantScoped, Base):
    """A supervisor's PIN for approving voids, returns and discounts below cost, hashed with
    argon2id like a password."""

    __tablename__ = "pos_supervisor_pins"
    __table_args__ = (UniqueConstraint("tenant_id", "user_id"),)

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    pin_hash: Mapped[str] = mapped_column(Text)
    set_at: Mapped[datetime] = utcnow_column()


class MemberCredit(TenantScoped, Base):
    """A member's kasbon at the gerai: the balance owed (the sub-ledger of Piutang Anggota for the
    shop) and the member's own limit (none: the cooperative's default). Changed under a row lock."""

    __tablename__ = "pos_member_credit"
    __table_args__ = (
        UniqueConstraint("tenant_id", "member_id"),
        CheckConstraint("balance >= 0", name="balance_not_negative"),
        CheckConstraint("credit_limit IS NULL OR credit_limit >= 0", name="limit_not_negative"),
        tenant_fk("member_id", "members"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    member_id: Mapped[int] = mapped_column(BigInteger)
    balance: Mapped[int] = mapped_column(BigInteger, default=0)
    credit_limit: Mapped[int | None] = mapped_column(BigInteger)


class CreditRepayment(TenantScoped, Base):
    """A member paying back kasbon at the counter, in cash (counted in the shift) or by QRIS or
    transfer with its reference."""

    __tablename__ = "pos_credit_repayments"
    __table_args__ = (
        UniqueConstraint("tenant_id", "idempotency_key"),
        CheckConstraint("amount > 0", name="amount_positive"),
        CheckConstraint("method IN ('tunai', 'qris', 'transfer')", name="method_known"),
        CheckConstraint("(method = 'tunai') = (reference IS NULL)", name="non_cash_referenced"),
        tenant_fk("member_id", "members"),
        tenant_fk("shift_id", "pos_shifts"),
        tenant_fk("journal_entry_id", "journal_entries"),
        Index("ix_pos_credit_repayments_tenant_id_member_id", "tenant_id", "member_id"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    member_id: Mapped[int] = mapped_column(BigInteger)
    shift_id: Mapped[int] = mapped_column(BigInteger)
    kasir_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    paid_on: Mapped[date] = mapped_column(Date)
    recorded_at: Mapped[datetime] = utcnow_column()
    amount: Mapped[int] = mapped_column(BigInteger)
    method: Mapped[str] = mapped_column(String(10))
    reference: Mapped[str | None] = mapped_column(String(60))
    idempotency_key: Mapped[str] = mapped_column(String(120))
    journal_entry_id: Mapped[int] = mapped_column(BigInteger)


class PosSettings(TenantScoped, Base):
    """The cooperative's counter settings: the default kasbon limit per member (0: no kasbon unless
    a member has a limit of their own) and the receipt paper width."""

    __tablename__ = "pos_settings"
    __table_args__ = (
        UniqueConstraint("tenant_id"),
        CheckConstraint("default_credit_limit >= 0", name="limit_not_negative"),
        CheckConstraint("receipt_width IN (58, 80)", name="width_known"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    default_credit_limit: Mapped[int] = mapped_column(BigInteger, default=0)
    receipt_width: Mapped[int] = mapped_column(BigInteger, default=80)


# The counter's search as you type (`erp.pos.service.search_products`) reads inventory's products.
# Under forced row-level security PostgreSQL applies the tenant policy before any operator that is
# not leakproof (`LIKE`, full-text `@@`), so the search compares only with byte-order `>=`/`<`,
# which are: a code's prefix is a range over a btree on (tenant, code) in the "C" collation, and a
# name's word prefix a range over `ProductWord` (migrations 0031, 0036).
CODE_BYTES = '(inventory_products.code)::text COLLATE "C"'
_products = cast(Table, Product.__table__)
# Declared as PostgreSQL reflects it, so that models and migrations compare equal; reflection
# leaves out the index's COLLATE "C" (it sits in pg_index.indcollation), which migration 0031 sets.
Index("ix_inventory_products_code_c", _products.c.tenant_id, text("(code)::text"), _table=_products)


class ProductWord(TenantScoped, Base):
    """One distinct lower-case word of an active product's name, with the name, for the counter's
    search: a typed word's prefix is a range of (tenant, word, name), already in name order.
    Written only by the database's triggers on `inventory_products` (migration 0036), so the
    words follow every name and active flag however they were written."""

    __tablename__ = "pos_product_words"
    __table_args__ = (
        UniqueConstraint("tenant_id", "product_id", "word"),
        tenant_fk("product_id", "inventory_products", ondelete="CASCADE"),
        Index("ix_pos_product_words_tenant_id_word", "tenant_id", "word", "name", "product_id"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    product_id: Mapped[int] = mapped_column(BigInteger)
    word: Mapped[str] = mapped_column(String(40, collation="C"))
    name: Mapped[str] = mapped_column(String(120))
