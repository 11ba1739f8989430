"""Purchasing: suppliers, purchase orders (PO/2026/11/0001) with their lines, goods receipts with
their lines, supplier invoices and the payments against them.

Invariants, each also held by the database: a line never has more received than ordered, nor more
returned than received; an invoice is never paid and credited above its amount, and its `paid` and
`credited` change only under a row lock in the transaction that writes the payment or credit note
and posts it; a payment at or above the cooperative's threshold waits as a request and is decided
by someone other than who asked; payments are append-only; receipts, payments, requests and credit
notes are keyed for idempotency; numbers are unique per cooperative (or per supplier for theirs).
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
    Integer,
    String,
    UniqueConstraint,
    text,
    true,
)
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base, utcnow_column
from tenants.models import TenantScoped, tenant_fk


class SupplierKind(enum.StrEnum):
    BULOG = "bulog"
    PUPUK_INDONESIA = "pupuk_indonesia"
    PERTAMINA = "pertamina"
    ID_FOOD = "id_food"
    PETANI_ANGGOTA = "petani_anggota"
    LAINNYA = "lainnya"


class OrderStatus(enum.StrEnum):
    DRAFT = "draft"
    DIPESAN = "dipesan"
    SEBAGIAN = "sebagian"
    DITERIMA = "diterima"
    DIBATALKAN = "dibatalkan"


class PaymentMethod(enum.StrEnum):
    KAS = "kas"
    BANK = "bank"


class RequestStatus(enum.StrEnum):
    MENUNGGU = "menunggu"
    DISETUJUI = "disetujui"
    DITOLAK = "ditolak"


class CreditReason(enum.StrEnum):
    RUSAK = "rusak"
    KEDALUWARSA = "kedaluwarsa"
    SALAH_KIRIM = "salah_kirim"
    KOREKSI_HARGA = "koreksi_harga"
    LAINNYA = "lainnya"


DEFAULT_PAYMENT_APPROVAL_THRESHOLD = 10_000_000


def _sql_list(values: type[enum.StrEnum]) -> str:
    return ", ".join(f"'{v.value}'" for v in values)


class Supplier(TenantScoped, Base):
    """Who the cooperative buys from; a member farmer (petani anggota) is linked to the member.
    Payment terms are days from the invoice date to its due date. Deactivated, never deleted."""

    __tablename__ = "purchasing_suppliers"
    __table_args__ = (
        CheckConstraint(f"kind IN ({_sql_list(SupplierKind)})", name="kind_known"),
        CheckConstraint("(kind = 'petani_anggota') = (member_id IS NOT NULL)", name="member_iff_farmer"),
        CheckConstraint("npwp IS NULL OR npwp ~ '^[0-9]{16}$'", name="npwp_sixteen_digits"),
        CheckConstraint("bank_account IS NULL OR bank_account ~ '^[0-9]{5,20}$'", name="bank_account_digits"),
        CheckConstraint("payment_terms_days BETWEEN 0 AND 365", name="terms_range"),
        UniqueConstraint("tenant_id", "member_id"),
        Index("ix_purchasing_suppliers_tenant_id_name", "tenant_id", "name"),
        tenant_fk("member_id", "members"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    kind: Mapped[str] = mapped_column(String(20))
    member_id: Mapped[int | None] = mapped_column(BigInteger)
    npwp: Mapped[str | None] = mapped_column(String(16))
    phone: Mapped[str | None] = mapped_column(String(16))
    address: Mapped[str | None] = mapped_column(String(200))
    bank_name: Mapped[str | None] = mapped_column(String(60))
    bank_account: Mapped[str | None] = mapped_column(String(20))
    payment_terms_days: Mapped[int] = mapped_column(Integer, default=30)
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    created_at: Mapped[datetime] = utcnow_column()


class PurchaseOrder(TenantScoped, Base):
    """An order to a supplier, numbered PO/YYYY/MM/NNNN without gaps per cooperative and month.
    Draft → dipesan → sebagian (partly received) → diterima; dibatalkan before it is complete."""

    __tablename__ = "purchasing_orders"
    __table_args__ = (
        UniqueConstraint("tenant_id", "number"),
        CheckConstraint(f"status IN ({_sql_list(OrderStatus)})", name="status_known"),
        CheckConstraint("total > 0", name="total_positive"),
        tenant_fk("supplier_id", "purchasing_suppliers"),
        Index("ix_purchasing_orders_tenant_id_supplier_id", "tenant_id", "supplier_id"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    number: Mapped[str] = mapped_column(String(24))
    supplier_id: Mapped[int] = mapped_column(BigInteger)
    status: Mapped[str] = mapped_column(String(12), default=OrderStatus.DRAFT.value)
    ordered_on: Mapped[date] = mapped_column(Date)
    expected_on: Mapped[date | None] = mapped_column(Date)
    note: Mapped[str | None] = mapped_column(String(300))
    total: Mapped[int] = mapped_column(BigInteger)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = utcnow_column()


class PurchaseOrderLine(TenantScoped, Base):
    """A product ordered: `quantity` in `unit` (a karung, a dus; none: the product's base unit) at
    `unit_price` rupiah per that unit; `received` counts in the same unit, never above `quantity`."""

    __tablename__ = "purchasing_order_lines"
    __table_args__ = (
        CheckConstraint("quantity > 0", name="quantity_positive"),
        CheckConstraint("unit_price > 0", name="unit_price_positive"),
        CheckConstraint("received >= 0 AND received <= quantity", name="received_within_ordered"),
        tenant_fk("order_id", "purchasing_orders"),
        tenant_fk("product_id", "inventory_products"),
        Index("ix_purchasing_order_lines_tenant_id_order_id", "tenant_id", "order_id"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    order_id: Mapped[int] = mapped_column(BigInteger)
    product_id: Mapped[int] = mapped_column(BigInteger)
    unit: Mapped[str | None] = mapped_column(String(20))
    quantity: Mapped[int] = mapped_column(BigInteger)
    unit_price: Mapped[int] = mapped_column(BigInteger)
    received: Mapped[int] = mapped_column(BigInteger, default=0, server_default=text("0"))

    @property
    def amount(self) -> int:
        return self.quantity * self.unit_price

    @property
    def outstanding(self) -> int:
        return self.quantity - self.received


class SupplierInvoice(TenantScoped, Base):
    """A supplier's bill for one or more receipts: `amount` owed, due `due_on` (invoice date plus
    the supplier's terms). `received_value` is what the receipts put into Utang Usaha (less what
    was credited on them before); a difference is posted explicitly with its reason. `paid` and
    `credited` (credit notes) rise only under a row lock; what remains never goes below zero."""

    __tablename__ = "purchasing_invoices"
    __table_args__ = (
        UniqueConstraint("tenant_id", "supplier_id", "number"),
        CheckConstraint("amount > 0", name="amount_positive"),
        CheckConstraint("received_value > 0", name="received_value_positive"),
        CheckConstraint(
            "paid >= 0 AND credited >= 0 AND paid + credited <= amount", name="settled_within_amount"
        ),
        CheckConstraint("due_on >= invoice_date", name="due_after_date"),
        CheckConstraint(
            "amount = received_value OR difference_note IS NOT NULL", name="difference_explained"
        ),
        tenant_fk("supplier_id", "purchasing_suppliers"),
        tenant_fk("journal_entry_id", "journal_entries"),
        Index("ix_purchasing_invoices_tenant_id_due_on", "tenant_id", "due_on"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    supplier_id: Mapped[int] = mapped_column(BigInteger)
    number: Mapped[str] = mapped_column(String(40))
    invoice_date: Mapped[date] = mapped_column(Date)
    due_on: Mapped[date] = mapped_column(Date)
    amount: Mapped[int] = mapped_column(BigInteger)
    received_value: Mapped[int] = mapped_column(BigInteger)
    difference_note: Mapped[str | None] = mapped_column(String(200))
    paid: Mapped[int] = mapped_column(BigInteger, default=0, server_default=text("0"))
    credited: Mapped[int] = mapped_column(BigInteger, default=0, server_default=text("0"))
    # the entry posting the difference, when there is one
    journal_entry_id: Mapped[int | None] = mapped_column(BigInteger)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = utcnow_column()

    @property
    def difference(self) -> int:
        return self.amount - self.received_value

    @property
    def outstanding(self) -> int:
        return self.amount - self.paid - self.credited


class GoodsReceipt(TenantScoped, Base):
    """Goods that arrived from a supplier into a location, against a purchase order or without one;
    numbered GR/YYYY/MM/NNNN. Its value went to Utang Usaha until an invoice takes it over;
    `credited` is what credit notes took off it before it was invoiced."""

    __tablename__ = "purchasing_receipts"
    __table_args__ = (
        UniqueConstraint("tenant_id", "number"),
        UniqueConstraint("tenant_id", "idempotency_key"),
        CheckConstraint("total > 0", name="total_positive"),
        CheckConstraint("credited >= 0 AND credited <= total", name="credited_within_total"),
        tenant_fk("supplier_id", "purchasing_suppliers"),
        tenant_fk("order_id", "purchasing_orders"),
        tenant_fk("location_id", "inventory_locations"),
        tenant_fk("invoice_id", "purchasing_invoices"),
        Index("ix_purchasing_receipts_tenant_id_supplier_id", "tenant_id", "supplier_id"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    number: Mapped[str] = mapped_column(String(24))
    supplier_id: Mapped[int] = mapped_column(BigInteger)
    order_id: Mapped[int | None] = mapped_column(BigInteger)
    location_id: Mapped[int] = mapped_column(BigInteger)
    received_on: Mapped[date] = mapped_column(Date)
    total: Mapped[int] = mapped_column(BigInteger)
    note: Mapped[str | None] = mapped_column(String(200))
    idempotency_key: Mapped[str] = mapped_column(String(120))
    invoice_id: Mapped[int | None] = mapped_column(BigInteger)
    credited: Mapped[int] = mapped_column(BigInteger, default=0, server_default=text("0"))
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = utcnow_column()

    @property
    def unbilled(self) -> int:
        return self.total - self.credited


class GoodsReceiptLine(TenantScoped, Base):
    """One product received: `quantity` in `unit` at `unit_price`, with its lot and expiry where the
    product tracks lots; `stock_move_id` is the inventory move that put it on hand; `returned`
    counts (in the same unit) what went back to the supplier."""

    __tablename__ = "purchasing_receipt_lines"
    __table_args__ = (
        CheckConstraint("quantity > 0", name="quantity_positive"),
        CheckConstraint("unit_price > 0", name="unit_price_positive"),
        CheckConstraint("amount = quantity * unit_price", name="amount_is_quantity_times_price"),
        CheckConstraint("returned >= 0 AND returned <= quantity", name="returned_within_received"),
        tenant_fk("receipt_id", "purchasing_receipts"),
        tenant_fk("order_line_id", "purchasing_order_lines"),
        tenant_fk("product_id", "inventory_products"),
        tenant_fk("stock_move_id", "inventory_moves"),
        Index("ix_purchasing_receipt_lines_tenant_id_receipt_id", "tenant_id", "receipt_id"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    receipt_id: Mapped[int] = mapped_column(BigInteger)
    order_line_id: Mapped[int | None] = mapped_column(BigInteger)
    product_id: Mapped[int] = mapped_column(BigInteger)
    unit: Mapped[str | None] = mapped_column(String(20))
    quantity: Mapped[int] = mapped_column(BigInteger)
    unit_price: Mapped[int] = mapped_column(BigInteger)
    amount: Mapped[int] = mapped_column(BigInteger)
    lot: Mapped[str | None] = mapped_column(String(40))
    expires_on: Mapped[date | None] = mapped_column(Date)
    stock_move_id: Mapped[int | None] = mapped_column(BigInteger)
    returned: Mapped[int] = mapped_column(BigInteger, default=0, server_default=text("0"))


class SupplierPayment(TenantScoped, Base):
    """Money paid against an invoice, from Kas or Bank, with its reference; `approved_by` is the
    second person when it waited for approval. Append-only."""

    __tablename__ = "purchasing_payments"
    __table_args__ = (
        UniqueConstraint("tenant_id", "idempotency_key"),
        CheckConstraint("amount > 0", name="amount_positive"),
        CheckConstraint(f"method IN ({_sql_list(PaymentMethod)})", name="method_known"),
        tenant_fk("invoice_id", "purchasing_invoices"),
        tenant_fk("supplier_id", "purchasing_suppliers"),
        tenant_fk("journal_entry_id", "journal_entries"),
        Index("ix_purchasing_payments_tenant_id_invoice_id", "tenant_id", "invoice_id"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    invoice_id: Mapped[int] = mapped_column(BigInteger)
    supplier_id: Mapped[int] = mapped_column(BigInteger)
    amount: Mapped[int] = mapped_column(BigInteger)
    method: Mapped[str] = mapped_column(String(8))
    reference: Mapped[str | None] = mapped_column(String(60))
    paid_on: Mapped[date] = mapped_column(Date)
    idempotency_key: Mapped[str] = mapped_column(String(120))
    journal_entry_id: Mapped[int] = mapped_column(BigInteger)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    approved_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = utcnow_column()


class PaymentRequest(TenantScoped, Base):
    """A payment at or above the cooperative's threshold, waiting for a second person
    (maker-checker): it posts nothing and the invoice owes as much as before until someone other
    than `requested_by` approves it (the payment is written then, once) or rejects it with a
    reason."""

    __tablename__ = "purchasing_payment_requests"
    __table_args__ = (
        UniqueConstraint("tenant_id", "idempotency_key"),
        CheckConstraint("amount > 0", name="amount_positive"),
        CheckConstraint(f"method IN ({_sql_list(PaymentMethod)})", name="method_known"),
        CheckConstraint(f"status IN ({_sql_list(RequestStatus)})", name="status_known"),
        CheckConstraint("decided_by <> requested_by", name="four_eyes"),
        CheckConstraint("(status = 'menunggu') = (decided_by IS NULL)", name="decided_has_decider"),
        CheckConstraint("(status = 'disetujui') = (payment_id IS NOT NULL)", name="approved_has_payment"),
        CheckConstraint("(status = 'ditolak') = (rejection_reason IS NOT NULL)", name="rejected_has_reason"),
        tenant_fk("invoice_id", "purchasing_invoices"),
        tenant_fk("supplier_id", "purchasing_suppliers"),
        tenant_fk("payment_id", "purchasing_payments"),
        Index("ix_purchasing_payment_requests_tenant_id_status", "tenant_id", "status"),
        Index("ix_purchasing_payment_requests_tenant_id_invoice_id", "tenant_id", "invoice_id"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    invoice_id: Mapped[int] = mapped_column(BigInteger)
    supplier_id: Mapped[int] = mapped_column(BigInteger)
    amount: Mapped[int] = mapped_column(BigInteger)
    method: Mapped[str] = mapped_column(String(8))
    reference: Mapped[str | None] = mapped_column(String(60))
    idempotency_key: Mapped[str] = mapped_column(String(120))
    status: Mapped[str] = mapped_column(String(10), default=RequestStatus.MENUNGGU.value)
    requested_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    requested_at: Mapped[datetime] = utcnow_column()
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    rejection_reason: Mapped[str | None] = mapped_column(String(200))
    payment_id: Mapped[int | None] = mapped_column(BigInteger)


class PurchasingSettings(TenantScoped, Base):
    """A cooperative's purchasing choices: supplier payments at or above
    `payment_approval_threshold` rupiah wait for a second person. One row at most; none means the
    default (Rp10.000.000)."""

    __tablename__ = "purchasing_settings"
    __table_args__ = (
        UniqueConstraint("tenant_id"),
        CheckConstraint("payment_approval_threshold > 0", name="threshold_positive"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    payment_approval_threshold: Mapped[int] = mapped_column(BigInteger)
    updated_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    updated_at: Mapped[datetime] = utcnow_column()


class SupplierCredit(TenantScoped, Base):
    """A supplier's credit note (nota kredit) against one invoice, or one receipt not yet invoiced:
    goods sent back (damaged, expired, wrong) and/or a price correction. It takes `amount` off
    what is owed; returned goods leave stock at `goods_cost`, the cost they were carried at, and
    the rest of the amount is a purchase price variance. Append-only."""

    __tablename__ = "purchasing_credits"
    __table_args__ = (
        UniqueConstraint("tenant_id", "supplier_id", "number"),
        UniqueConstraint("tenant_id", "idempotency_key"),
        CheckConstraint("amount > 0", name="amount_positive"),
        CheckConstraint("goods_cost >= 0", name="goods_cost_not_negative"),
        CheckConstraint("(invoice_id IS NULL) <> (receipt_id IS NULL)", name="one_target"),
        CheckConstraint(f"reason IN ({_sql_list(CreditReason)})", name="reason_known"),
        tenant_fk("supplier_id", "purchasing_suppliers"),
        tenant_fk("invoice_id", "purchasing_invoices"),
        tenant_fk("receipt_id", "purchasing_receipts"),
        tenant_fk("location_id", "inventory_locations"),
        tenant_fk("journal_entry_id", "journal_entries"),
        Index("ix_purchasing_credits_tenant_id_invoice_id", "tenant_id", "invoice_id"),
        Index("ix_purchasing_credits_tenant_id_receipt_id", "tenant_id", "receipt_id"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    supplier_id: Mapped[int] = mapped_column(BigInteger)
    number: Mapped[str] = mapped_column(String(40))
    credit_date: Mapped[date] = mapped_column(Date)
    amount: Mapped[int] = mapped_column(BigInteger)
    goods_cost: Mapped[int] = mapped_column(BigInteger, default=0)
    reason: Mapped[str] = mapped_column(String(16))
    note: Mapped[str | None] = mapped_column(String(200))
    invoice_id: Mapped[int | None] = mapped_column(BigInteger)
    receipt_id: Mapped[int | None] = mapped_column(BigInteger)
    location_id: Mapped[int | None] = mapped_column(BigInteger)
    idempotency_key: Mapped[str] = mapped_column(String(120))
    journal_entry_id: Mapped[int] = mapped_column(BigInteger)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = utcnow_column()

    @property
    def variance(self) -> int:
        """What the credit takes off the payable beyond the returned goods' carried cost."""
        return self.amount - self.goods_cost


class SupplierCreditLine(TenantScoped, Base):
    """Goods of one receipt line sent back with a credit note: `quantity` in the receipt line's
    unit, out of its lot for lot-kept goods, at `cost` (what stock carried them at). Append-only."""

    __tablename__ = "purchasing_credit_lines"
    __table_args__ = (
        CheckConstraint("quantity > 0", name="quantity_positive"),
        CheckConstraint("cost >= 0", name="cost_not_negative"),
        tenant_fk("credit_id", "purchasing_credits"),
        tenant_fk("receipt_line_id", "purchasing_receipt_lines"),
        tenant_fk("product_id", "inventory_products"),
        Index("ix_purchasing_credit_lines_tenant_id_credit_id", "tenant_id", "credit_id"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    credit_id: Mapped[int] = mapped_column(BigInteger)
    receipt_line_id: Mapped[int] = mapped_column(BigInteger)
    product_id: Mapped[int] = mapped_column(BigInteger)
    unit: Mapped[str | None] = mapped_column(String(20))
    quantity: Mapped[int] = mapped_column(BigInteger)
    cost: Mapped[int] = mapped_column(BigInteger)
    lot: Mapped[str | None] = mapped_column(String(40))
