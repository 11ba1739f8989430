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
from typing import Any

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
from sqlalchemy.dialects.postgresql import JSONB
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


class PrepaymentInterest(enum.StrEnum):
    """Jasa of the running period charged by an early payoff: pro rata by days, in full, or none."""

    HARIAN = "harian"
    PENUH = "penuh"
    TANPA = "tanpa"


class Kolektibilitas(enum.StrEnum):
    LANCAR = "lancar"
    KURANG_LANCAR = "kurang_lancar"
    DIRAGUKAN = "diragukan"
    MACET = "macet"


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
        CheckConstraint(
            f"prepayment_interest IN ({_sql_list(PrepaymentInterest)})", name="prepayment_interest_known"
        ),
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
    # what an early payoff charges for the running period's jasa (see erp.loans.restructure)
    prepayment_interest: Mapped[str] = mapped_column(String(10), server_default="harian", default="harian")


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
        CheckConstraint("schedule_version > 0 AND restructured_count >= 0", name="versions_positive"),
        CheckConstraint(
            f"kolektibilitas_floor IS NULL OR kolektibilitas_floor IN ({_sql_list(Kolektibilitas)})",
            name="floor_known",
        ),
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
    # the schedule in force (earlier versions are kept in loan_schedule_versions), how often the loan
    # was restructured, and the class it cannot rise above since then (DOMAIN.md is silent: keep it)
    schedule_version: Mapped[int] = mapped_column(server_default="1", default=1)
    restructured_count: Mapped[int] = mapped_column(server_default="0", default=0)
    kolektibilitas_floor: Mapped[str | None] = mapped_column(String(14))
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
        CheckConstraint("channel IN ('tunai', 'simpanan')", name="channel_known"),
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
    # tunai at the desk, or simpanan: deducted from the member's sukarela in the same transaction
    channel: Mapped[str] = mapped_column(String(10), server_default="tunai", default="tunai")


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
    # Accrued bunga still unpaid taken back out of income as loans stopped being lancar.
    reversed_bunga: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    denda_due: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    ppap_target: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    ppap_delta: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    ppap_entry_id: Mapped[int | None] = mapped_column(BigInteger)
    error: Mapped[str | None] = mapped_column(String(2000))
    # The portfolio's quality as this run closed the day (service.PortfolioQuality.to_json), so a
    # report for a past date reads the day as it was, not as the loans stand today.
    portfolio: Mapped[dict[str, Any] | None] = mapped_column(JSONB)


class ScheduleVersion(TenantScoped, Base):
    """A schedule of a loan as it stood until a prepayment or restructuring replaced it: version
    `version` was in force until `superseded_on`. Its rows are in `ScheduleRow`. Append-only, so
    every version a member ever had can be shown again."""

    __tablename__ = "loan_schedule_versions"
    __table_args__ = (
        UniqueConstraint("tenant_id", "loan_id", "version"),
        CheckConstraint("version > 0", name="version_positive"),
        CheckConstraint(
            "reason_kind IN ('pelunasan_sebagian', 'pelunasan', 'restrukturisasi')", name="reason_known"
        ),
        tenant_fk("loan_id", "loans"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    loan_id: Mapped[int] = mapped_column(BigInteger)
    version: Mapped[int] = mapped_column()
    reason_kind: Mapped[str] = mapped_column(String(20))
    superseded_on: Mapped[date] = mapped_column(Date)
    note: Mapped[str | None] = mapped_column(String(300))
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = utcnow_column()


class ScheduleRow(TenantScoped, Base):
    """One installment of a superseded schedule version, with what had been paid of it then."""

    __tablename__ = "loan_schedule_rows"
    __table_args__ = (
        UniqueConstraint("tenant_id", "version_id", "number"),
        CheckConstraint("pokok >= 0 AND bunga >= 0", name="amounts_not_negative"),
        CheckConstraint("paid_pokok >= 0 AND paid_bunga >= 0 AND paid_denda >= 0", name="paid_not_negative"),
        tenant_fk("version_id", "loan_schedule_versions"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    version_id: Mapped[int] = mapped_column(BigInteger)
    number: Mapped[int] = mapped_column()
    due_date: Mapped[date] = mapped_column(Date)
    pokok: Mapped[int] = mapped_column(BigInteger)
    bunga: Mapped[int] = mapped_column(BigInteger)
    paid_pokok: Mapped[int] = mapped_column(BigInteger)
    paid_bunga: Mapped[int] = mapped_column(BigInteger)
    paid_denda: Mapped[int] = mapped_column(BigInteger)


class DecisionStatus(enum.StrEnum):
    DIAJUKAN = "diajukan"
    DISETUJUI = "disetujui"
    DITOLAK = "ditolak"


class Restructuring(TenantScoped, Base):
    """A proposal to reschedule a running loan (new tenor, rate, method) with its reason, decided by
    another person than its maker. Once approved it records what it did: the principal rescheduled,
    the overdue jasa carried into the first new installment, the denda waived, the class before."""

    __tablename__ = "loan_restructurings"
    __table_args__ = (
        CheckConstraint(f"status IN ({_sql_list(DecisionStatus)})", name="status_known"),
        CheckConstraint("new_tenor > 0", name="tenor_positive"),
        CheckConstraint("new_rate_per_month >= 0 AND new_rate_per_month <= 100", name="rate_range"),
        CheckConstraint(f"new_method IN ({_sql_list(Method)})", name="method_known"),
        CheckConstraint("decided_by IS NULL OR decided_by <> proposed_by", name="four_eyes"),
        CheckConstraint("status <> 'ditolak' OR refusal_reason IS NOT NULL", name="refusal_reasoned"),
        CheckConstraint(
            "principal IS NULL OR (principal > 0 AND carried_bunga >= 0 AND denda_waived >= 0)",
            name="amounts_valid",
        ),
        tenant_fk("loan_id", "loans"),
        Index(
            "uq_loan_restructurings_one_open",
            "tenant_id",
            "loan_id",
            unique=True,
            postgresql_where=text("status = 'diajukan'"),
        ),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    loan_id: Mapped[int] = mapped_column(BigInteger)
    status: Mapped[str] = mapped_column(String(10), default=DecisionStatus.DIAJUKAN.value)
    new_tenor: Mapped[int] = mapped_column()
    new_rate_per_month: Mapped[Decimal] = mapped_column(Numeric(7, 4))
    new_method: Mapped[str] = mapped_column(String(10))
    reason: Mapped[str] = mapped_column(String(300))
    proposed_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    proposed_at: Mapped[datetime] = utcnow_column()
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    refusal_reason: Mapped[str | None] = mapped_column(String(300))
    effective_on: Mapped[date | None] = mapped_column(Date)
    principal: Mapped[int | None] = mapped_column(BigInteger)
    carried_bunga: Mapped[int | None] = mapped_column(BigInteger)
    denda_waived: Mapped[int | None] = mapped_column(BigInteger)
    class_before: Mapped[str | None] = mapped_column(String(14))


class WriteOff(TenantScoped, Base):
    """Hapus buku of a macet loan: proposed with a reason, approved by another person, then posted
    against the PPAP allowance (any shortfall to Beban PPAP). A loan is written off at most once."""

    __tablename__ = "loan_write_offs"
    __table_args__ = (
        CheckConstraint(f"status IN ({_sql_list(DecisionStatus)})", name="status_known"),
        CheckConstraint("decided_by IS NULL OR decided_by <> proposed_by", name="four_eyes"),
        CheckConstraint("status <> 'ditolak' OR refusal_reason IS NOT NULL", name="refusal_reasoned"),
        CheckConstraint(
            "status <> 'disetujui' OR (pokok > 0 AND from_allowance + from_expense = pokok "
            "AND journal_entry_id IS NOT NULL)",
            name="posted_in_full",
        ),
        CheckConstraint(
            "pokok >= 0 AND bunga >= 0 AND from_allowance >= 0 AND from_expense >= 0", name="amounts_valid"
        ),
        tenant_fk("loan_id", "loans"),
        tenant_fk("journal_entry_id", "journal_entries"),
        Index(
            "uq_loan_write_offs_one_per_loan",
            "tenant_id",
            "loan_id",
            unique=True,
            postgresql_where=text("status <> 'ditolak'"),
        ),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    loan_id: Mapped[int] = mapped_column(BigInteger)
    status: Mapped[str] = mapped_column(String(10), default=DecisionStatus.DIAJUKAN.value)
    reason: Mapped[str] = mapped_column(String(300))
    proposed_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    proposed_at: Mapped[datetime] = utcnow_column()
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    refusal_reason: Mapped[str | None] = mapped_column(String(300))
    written_off_on: Mapped[date | None] = mapped_column(Date)
    pokok: Mapped[int] = mapped_column(BigInteger, default=0)
    bunga: Mapped[int] = mapped_column(BigInteger, default=0)
    from_allowance: Mapped[int] = mapped_column(BigInteger, default=0)
    from_expense: Mapped[int] = mapped_column(BigInteger, default=0)
    journal_entry_id: Mapped[int | None] = mapped_column(BigInteger)


class Recovery(TenantScoped, Base):
    """Money received on a written-off loan, posted as pendapatan pemulihan piutang hapus buku.
    Append-only; the idempotency key applies it once."""

    __tablename__ = "loan_recoveries"
    __table_args__ = (
        UniqueConstraint("tenant_id", "idempotency_key"),
        CheckConstraint("amount > 0", name="amount_positive"),
        tenant_fk("loan_id", "loans"),
        tenant_fk("journal_entry_id", "journal_entries"),
        Index("ix_loan_recoveries_tenant_id_loan_id", "tenant_id", "loan_id"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    loan_id: Mapped[int] = mapped_column(BigInteger)
    amount: Mapped[int] = mapped_column(BigInteger)
    received_on: Mapped[date] = mapped_column(Date)
    idempotency_key: Mapped[str] = mapped_column(String(120))
    journal_entry_id: Mapped[int] = mapped_column(BigInteger)
    teller_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    recorded_at: Mapped[datetime] = utcnow_column()


class BankName(enum.StrEnum):
    """The Himbara banks lending to cooperatives under PMK 49/2025 (DOMAIN.md §1)."""

    BRI = "BRI"
    BNI = "BNI"
    MANDIRI = "Mandiri"
    BSI = "BSI"


class BankLoanStatus(enum.StrEnum):
    DICATAT = "dicatat"
    DICAIRKAN = "dicairkan"
    LUNAS = "lunas"


class BankLoan(TenantScoped, Base):
    """The cooperative's own loan from a Himbara bank: a liability (Pinjaman Bank) with its contract
    terms, a schedule stored when the money is received, and its repayments."""

    __tablename__ = "bank_loans"
    __table_args__ = (
        UniqueConstraint("tenant_id", "contract_number"),
        CheckConstraint(f"bank IN ({_sql_list(BankName)})", name="bank_known"),
        CheckConstraint(f"status IN ({_sql_list(BankLoanStatus)})", name="status_known"),
        CheckConstraint(f"method IN ({_sql_list(Method)})", name="method_known"),
        CheckConstraint("amount > 0", name="amount_positive"),
        CheckConstraint("rate_per_year >= 0 AND rate_per_year <= 100", name="rate_range"),
        CheckConstraint("tenor > 0 AND grace_months >= 0 AND grace_months < tenor", name="tenor_range"),
        CheckConstraint("outstanding_pokok >= 0 AND outstanding_pokok <= amount", name="outstanding_range"),
        tenant_fk("disbursement_entry_id", "journal_entries"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    bank: Mapped[str] = mapped_column(String(10))
    contract_number: Mapped[str] = mapped_column(String(60))
    purpose: Mapped[str] = mapped_column(String(200))
    amount: Mapped[int] = mapped_column(BigInteger)
    rate_per_year: Mapped[Decimal] = mapped_column(Numeric(7, 4))
    tenor: Mapped[int] = mapped_column()
    grace_months: Mapped[int] = mapped_column(default=0)
    method: Mapped[str] = mapped_column(String(10))
    signed_on: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(10), default=BankLoanStatus.DICATAT.value)
    disbursed_on: Mapped[date | None] = mapped_column(Date)
    disbursement_entry_id: Mapped[int | None] = mapped_column(BigInteger)
    outstanding_pokok: Mapped[int] = mapped_column(BigInteger, default=0)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = utcnow_column()


class BankLoanInstallment(TenantScoped, Base):
    """One installment the cooperative owes the bank: interest only during the grace months."""

    __tablename__ = "bank_loan_installments"
    __table_args__ = (
        UniqueConstraint("tenant_id", "bank_loan_id", "number"),
        CheckConstraint("number > 0", name="number_positive"),
        CheckConstraint("pokok >= 0 AND bunga >= 0", name="amounts_not_negative"),
        CheckConstraint("paid_pokok >= 0 AND paid_pokok <= pokok", name="paid_pokok_range"),
        CheckConstraint("paid_bunga >= 0 AND paid_bunga <= bunga", name="paid_bunga_range"),
        tenant_fk("bank_loan_id", "bank_loans"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    bank_loan_id: Mapped[int] = mapped_column(BigInteger)
    number: Mapped[int] = mapped_column()
    due_date: Mapped[date] = mapped_column(Date)
    pokok: Mapped[int] = mapped_column(BigInteger)
    bunga: Mapped[int] = mapped_column(BigInteger)
    paid_pokok: Mapped[int] = mapped_column(BigInteger, default=0)
    paid_bunga: Mapped[int] = mapped_column(BigInteger, default=0)

    @property
    def angsuran(self) -> int:
        return self.pokok + self.bunga

    @property
    def unpaid(self) -> int:
        return self.pokok + self.bunga - self.paid_pokok - self.paid_bunga


class BankLoanPayment(TenantScoped, Base):
    """A payment to the bank, split bunga → pokok oldest installment first, posted from Bank.
    Append-only; the idempotency key applies it once."""

    __tablename__ = "bank_loan_payments"
    __table_args__ = (
        UniqueConstraint("tenant_id", "idempotency_key"),
        CheckConstraint("amount > 0", name="amount_positive"),
        CheckConstraint("bunga >= 0 AND pokok >= 0 AND bunga + pokok = amount", name="parts_sum"),
        tenant_fk("bank_loan_id", "bank_loans"),
        tenant_fk("journal_entry_id", "journal_entries"),
        Index("ix_bank_loan_payments_tenant_id_bank_loan_id", "tenant_id", "bank_loan_id"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    bank_loan_id: Mapped[int] = mapped_column(BigInteger)
    amount: Mapped[int] = mapped_column(BigInteger)
    bunga: Mapped[int] = mapped_column(BigInteger)
    pokok: Mapped[int] = mapped_column(BigInteger)
    paid_on: Mapped[date] = mapped_column(Date)
    idempotency_key: Mapped[str] = mapped_column(String(120))
    journal_entry_id: Mapped[int] = mapped_column(BigInteger)
    recorded_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    recorded_at: Mapped[datetime] = utcnow_column()
