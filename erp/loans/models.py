"""Loans to members: products a cooperative offers, each loan from application to lunas, its
schedule of installments, and the repayments taken at the desk.

Invariants, each also held by the database: money is whole rupiah and never negative; a loan
belongs to a member and a product of its own cooperative; whoever approves a loan did not apply
for it, and a second approver is a third person; an installment is paid at most in full; a
repayment's idempotency key is unique per cooperative and its parts sum to its amount.
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
from erp.loans.schedule import Frequency, Method
from tenants.models import TenantScoped, tenant_fk


class LoanStatus(enum.StrEnum):
    DIAJUKAN = "diajukan"
    DISETUJUI = "disetujui"
    DITOLAK = "ditolak"
    DICAIRKAN = "dicairkan"
    LUNAS = "lunas"
    HAPUS_BUKU = "hapus_buku"


def _sql_list(values: type[enum.StrEnum]) -> str:
    return ", ".join(f"'{v.value}'" for v in values)


class LoanProduct(TenantScoped, Base):
    """A kind of loan as one cooperative sets it: method and monthly rate (percent), tenor limits,
    provisi and administration fees (percent of the loan), denda per day of arrears after a grace,
    the plafon (absolute and as a multiple of the member's savings), and the amount above which a
    second approver is needed."""

    __tablename__ = "loan_products"
    __table_args__ = (
        UniqueConstraint("tenant_id", "code"),
        CheckConstraint(f"method IN ({_sql_list(Method)})", name="method_known"),
        CheckConstraint(f"frequency IN ({_sql_list(Frequency)})", name="frequency_known"),
        CheckConstraint("rate_per_month >= 0 AND rate_per_month <= 100", name="rate_range"),
        CheckConstraint("min_tenor > 0 AND max_tenor >= min_tenor", name="tenor_range"),
        CheckConstraint(
            "provisi_rate >= 0 AND provisi_rate <= 100 AND admin_rate >= 0 AND admin_rate <= 100",
            name="fee_range",
        ),
        CheckConstraint("denda_rate_per_day >= 0 AND denda_rate_per_day <= 100", name="denda_range"),
        CheckConstraint("grace_days >= 0", name="grace_not_negative"),
        CheckConstraint("max_amount > 0", name="max_amount_positive"),
        CheckConstraint("savings_multiple IS NULL OR savings_multiple > 0", name="multiple_positive"),
        CheckConstraint("second_approval_above > 0", name="second_approval_positive"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    code: Mapped[str] = mapped_column(String(20))
    name: Mapped[str] = mapped_column(String(80))
    method: Mapped[str] = mapped_column(String(10))
    frequency: Mapped[str] = mapped_column(String(10), default=Frequency.MONTHLY.value)
    rate_per_month: Mapped[Decimal] = mapped_column(Numeric(7, 4))
    min_tenor: Mapped[int] = mapped_column(default=1)
    max_tenor: Mapped[int] = mapped_column()
    provisi_rate: Mapped[Decimal] = mapped_column(Numeric(7, 4), default=Decimal(0))
    admin_rate: Mapped[Decimal] = mapped_column(Numeric(7, 4), default=Decimal(0))
    denda_rate_per_day: Mapped[Decimal] = mapped_column(Numeric(7, 4), default=Decimal(0))
    grace_days: Mapped[int] = mapped_column(default=0)
    max_amount: Mapped[int] = mapped_column(BigInteger)
    savings_multiple: Mapped[Decimal | None] = mapped_column(Numeric(7, 2))
    second_approval_above: Mapped[int] = mapped_column(BigInteger, default=25_000_000)
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())


class Loan(TenantScoped, Base):
    """One loan of a member, from application to lunas. Terms are copied from the product when
    applied for, so changing a product never changes a running loan."""

    __tablename__ = "loans"
    __table_args__ = (
        CheckConstraint(f"status IN ({_sql_list(LoanStatus)})", name="status_known"),
        CheckConstraint("amount > 0", name="amount_positive"),
        CheckConstraint("tenor > 0", name="tenor_positive"),
        CheckConstraint(f"method IN ({_sql_list(Method)})", name="method_known"),
        CheckConstraint(f"frequency IN ({_sql_list(Frequency)})", name="frequency_known"),
        CheckConstraint("provisi >= 0 AND admin_fee >= 0", name="fees_not_negative"),
        CheckConstraint("outstanding_pokok >= 0 AND outstanding_pokok <= amount", name="outstanding_range"),
        CheckConstraint("approved_by IS NULL OR approved_by <> applied_by", name="four_eyes"),
        CheckConstraint(
            "second_approved_by IS NULL OR (second_approved_by <> applied_by "
            "AND second_approved_by <> approved_by)",
            name="six_eyes",
        ),
        CheckConstraint("status <> 'ditolak' OR refusal_reason IS NOT NULL", name="refusal_reasoned"),
        tenant_fk("member_id", "members"),
        tenant_fk("product_id", "loan_products"),
        tenant_fk("disbursement_entry_id", "journal_entries"),
        Index("ix_loans_tenant_id_member_id", "tenant_id", "member_id"),
        Index("ix_loans_tenant_id_status", "tenant_id", "status"),
        Index("ix_loans_running", "tenant_id", "id", postgresql_where=text("status = 'dicairkan'")),
        CheckConstraint("dpd >= 0 AND denda_due >= 0 AND ppap >= 0", name="cob_not_negative"),
        CheckConstraint(
            "kolektibilitas IN ('lancar', 'kurang_lancar', 'diragukan', 'macet')", name="kolektibilitas_known"
        ),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    member_id: Mapped[int] = mapped_column(BigInteger)
    product_id: Mapped[int] = mapped_column(BigInteger)
    amount: Mapped[int] = mapped_column(BigInteger)
    tenor: Mapped[int] = mapped_column()
    purpose: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(12), default=LoanStatus.DIAJUKAN.value)
    method: Mapped[str] = mapped_column(String(10))
    frequency: Mapped[str] = mapped_column(String(10))
    rate_per_month: Mapped[Decimal] = mapped_column(Numeric(7, 4))
    provisi: Mapped[int] = mapped_column(BigInteger, default=0)
    admin_fee: Mapped[int] = mapped_column(BigInteger, default=0)
    outstanding_pokok: Mapped[int] = mapped_column(BigInteger, default=0)
    applied_on: Mapped[date] = mapped_column(Date)
    applied_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    applied_at: Mapped[datetime] = utcnow_column()
    approved_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    second_approved_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    refused_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    refusal_reason: Mapped[str | None] = mapped_column(String(300))
    disbursed_on: Mapped[date | None] = mapped_column(Date)
    disbursement_entry_id: Mapped[int | None] = mapped_column(BigInteger)
    closed_on: Mapped[date | None] = mapped_column(Date)
    # Set by close of business (erp/loans/cob.py) for the business day `cob_date`: days past due,
    # kolektibilitas class, denda owed and the PPAP allowance held against the loan.
    cob_date: Mapped[date | None] = mapped_column(Date)
    dpd: Mapped[int] = mapped_column(default=0, server_default="0")
    kolektibilitas: Mapped[str] = mapped_column(String(14), default="lancar", server_default="lancar")
    denda_due: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    ppap: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")


class Installment(TenantScoped, Base):
    """One row of a loan's schedule, stored at disbursement, with what has been paid of it."""

    __tablename__ = "loan_installments"
    __table_args__ = (
        UniqueConstraint("tenant_id", "loan_id", "number"),
        CheckConstraint("number > 0", name="number_positive"),
        CheckConstraint("pokok >= 0 AND bunga >= 0", name="amounts_not_negative"),
        CheckConstraint("paid_pokok >= 0 AND paid_pokok <= pokok", name="paid_pokok_range"),
        CheckConstraint("paid_bunga >= 0 AND paid_bunga <= bunga", name="paid_bunga_range"),
        CheckConstraint("paid_denda >= 0", name="paid_denda_not_negative"),
        CheckConstraint(
            "accrued_bunga >= 0 AND accrued_bunga <= bunga AND (accrued_on IS NOT NULL OR accrued_bunga = 0)",
            name="accrued_range",
        ),
        tenant_fk("loan_id", "loans"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    loan_id: Mapped[int] = mapped_column(BigInteger)
    number: Mapped[int] = mapped_column()
    due_date: Mapped[date] = mapped_column(Date)
    pokok: Mapped[int] = mapped_column(BigInteger)
    bunga: Mapped[int] = mapped_column(BigInteger)
    paid_pokok: Mapped[int] = mapped_column(BigInteger, default=0)
    paid_bunga: Mapped[int] = mapped_column(BigInteger, default=0)
    paid_denda: Mapped[int] = mapped_column(BigInteger, default=0)
    # Close of business accrues the bunga still unpaid when the installment falls due: from then on
    # its bunga is a receivable (Piutang Jasa Pinjaman) that repayments clear, not new income.
    accrued_on: Mapped[date | None] = mapped_column(Date)
    accrued_bunga: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")

    @property
    def angsuran(self) -> int:
        return self.pokok + self.bunga

    @property
    def unpaid(self) -> int:
        return self.pokok + self.bunga - self.paid_pokok - self.paid_bunga


class Repayment(TenantScoped, Base):
    """Money a member paid on a loan at the desk, split denda → bunga → pokok, posted to the
    ledger in the same transaction. Append-only."""

    __tablename__ = "loan_repayments"
    __table_args__ = (
        UniqueConstraint("tenant_id", "idempotency_key"),
        CheckConstraint("amount > 0", name="amount_positive"),
        CheckConstraint("denda >= 0 AND bunga >= 0 AND pokok >= 0", name="parts_not_negative"),
        CheckConstraint("denda + bunga + pokok = amount", name="parts_sum"),
        tenant_fk("loan_id", "loans"),
        tenant_fk("journal_entry_id", "journal_entries"),
        Index("ix_loan_repayments_tenant_id_loan_id", "tenant_id", "loan_id"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    loan_id: Mapped[int] = mapped_column(BigInteger)
    amount: Mapped[int] = mapped_column(BigInteger)
    denda: Mapped[int] = mapped_column(BigInteger)
    bunga: Mapped[int] = mapped_column(BigInteger)
    pokok: Mapped[int] = mapped_column(BigInteger)
    paid_on: Mapped[date] = mapped_column(Date)
    recorded_at: Mapped[datetime] = utcnow_column()
    idempotency_key: Mapped[str] = mapped_column(String(120))
    journal_entry_id: Mapped[int | None] = mapped_column(BigInteger)
    teller_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


class CobStatus(enum.StrEnum):
    RUNNING = "running"
    OK = "ok"
    INCOMPLETE = "incomplete"
    FAILED = "failed"


class CobRun(TenantScoped, Base):
    """One close of business of a cooperative for one business date: one row per date, updated
    batch by batch in the batches' own transactions, so it shows how far a run got."""

    __tablename__ = "loan_cob_runs"
    __table_args__ = (
        UniqueConstraint("tenant_id", "business_date"),
        CheckConstraint(f"status IN ({_sql_list(CobStatus)})", name="status_known"),
        CheckConstraint(
            "loans_processed >= 0 AND loans_deferred >= 0 AND accrued_bunga >= 0 AND denda_due >= 0 "
            "AND ppap_target >= 0",
            name="totals_not_negative",
        ),
        tenant_fk("ppap_entry_id", "journal_entries"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    business_date: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(12), default=CobStatus.RUNNING.value)
    started_at: Mapped[datetime] = utcnow_column()
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    attempts: Mapped[int] = mapped_column(default=1, server_default="1")
    batches: Mapped[int] = mapped_column(default=0, server_default="0")
    loans_processed: Mapped[int] = mapped_column(default=0, server_default="0")
    loans_deferred: Mapped[int] = mapped_column(default=0, server_default="0")
    installments_accrued: Mapped[int] = mapped_column(default=0, server_default="0")
    accrued_bunga: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    denda_due: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    ppap_target: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    ppap_delta: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    ppap_entry_id: Mapped[int | None] = mapped_column(BigInteger)
    error: Mapped[str | None] = mapped_column(String(2000))
