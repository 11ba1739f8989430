"""The books of a cooperative: chart of accounts, journal entries and their lines, fiscal periods.

Invariants, each also held by the database: every line has exactly one positive side in whole
rupiah; every entry has at least two lines and its debits equal its credits (checked at commit);
posted entries and lines are never updated or deleted, only reversed, and an entry is reversed at
most once; an idempotency key posts once per cooperative; no row points into another cooperative.
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
    ForeignKeyConstraint,
    Index,
    Numeric,
    SmallInteger,
    String,
    UniqueConstraint,
    true,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.db import Base, utcnow_column
from tenants.models import TenantScoped, tenant_fk

MAX_LINES = 500
# Far above any cooperative's books (Rp 1.000 triliun), far below BIGINT, so sums never overflow.
MAX_AMOUNT = 10**15


class AccountType(enum.StrEnum):
    ASSET = "asset"
    LIABILITY = "liability"
    EQUITY = "equity"
    INCOME = "income"
    EXPENSE = "expense"


class Side(enum.StrEnum):
    DEBIT = "debit"
    CREDIT = "credit"


class BusinessUnit(enum.StrEnum):
    SEMBAKO = "sembako"
    SIMPAN_PINJAM = "simpan_pinjam"
    APOTEK = "apotek"
    LOGISTIK = "logistik"
    KLINIK = "klinik"
    UMUM = "umum"


def _sql_list(values: type[enum.StrEnum]) -> str:
    return ", ".join(f"'{v.value}'" for v in values)


class LedgerAccount(TenantScoped, Base):
    """An account of the chart (`1-1100 Kas`). Its normal side says where its balance grows: debit
    for assets and expenses, credit for the rest and for contra accounts such as PPAP. Never deleted
    once used (lines refer to it); deactivated instead."""

    __tablename__ = "ledger_accounts"
    __table_args__ = (
        UniqueConstraint("tenant_id", "code"),
        CheckConstraint("code ~ '^[1-9]-[0-9]{4,6}$'", name="code_format"),
        CheckConstraint(f"type IN ({_sql_list(AccountType)})", name="type_known"),
        CheckConstraint(f"normal_side IN ({_sql_list(Side)})", name="normal_side_known"),
        CheckConstraint(
            f"business_unit IS NULL OR business_unit IN ({_sql_list(BusinessUnit)})",
            name="business_unit_known",
        ),
        CheckConstraint("parent_id <> id", name="not_own_parent"),
        tenant_fk("parent_id", "ledger_accounts"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    code: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(120))
    type: Mapped[str] = mapped_column(String(10))
    normal_side: Mapped[str] = mapped_column(String(6))
    business_unit: Mapped[str | None] = mapped_column(String(20))
    parent_id: Mapped[int | None] = mapped_column(BigInteger)
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    created_at: Mapped[datetime] = utcnow_column()


class JournalEntry(TenantScoped, Base):
    """A posted business event: dated, from a source document, under an idempotency key whose
    payload hash tells a repeat (same payload) from a conflict (different payload). Append-only."""

    __tablename__ = "journal_entries"
    __table_args__ = (
        UniqueConstraint("tenant_id", "idempotency_key"),
        # One reversal per entry; NULLs (ordinary entries) do not collide.
        UniqueConstraint("tenant_id", "reverses_entry_id"),
        # Target of the lines' key, which carries the entry date so balances by date read one table.
        UniqueConstraint("tenant_id", "id", "entry_date"),
        CheckConstraint("reverses_entry_id <> id", name="not_own_reversal"),
        CheckConstraint("idempotency_key <> ''", name="idempotency_key_present"),
        CheckConstraint("char_length(payload_hash) = 64", name="payload_hash_sha256"),
        tenant_fk("reverses_entry_id", "journal_entries"),
        Index("ix_journal_entries_tenant_id_entry_date", "tenant_id", "entry_date"),
        Index(
            "ix_journal_entries_tenant_id_source_module_source_id", "tenant_id", "source_module", "source_id"
        ),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    entry_date: Mapped[date] = mapped_column(Date)
    description: Mapped[str] = mapped_column(String(500))
    source_module: Mapped[str] = mapped_column(String(40))
    source_id: Mapped[str | None] = mapped_column(String(80))
    idempotency_key: Mapped[str] = mapped_column(String(120))
    payload_hash: Mapped[str] = mapped_column(String(64))
    reverses_entry_id: Mapped[int | None] = mapped_column(BigInteger)
    posted_at: Mapped[datetime] = utcnow_column()
    posted_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    lines: Mapped[list[JournalLine]] = relationship(viewonly=True, order_by="JournalLine.id")


class JournalLine(TenantScoped, Base):
    """One side of an entry on one account, in whole rupiah. Carries its entry's date (held equal by
    the composite foreign key) so balances at a date are one indexed scan. Append-only."""

    __tablename__ = "journal_lines"
    __table_args__ = (
        CheckConstraint("debit >= 0", name="debit_not_negative"),
        CheckConstraint("credit >= 0", name="credit_not_negative"),
        CheckConstraint("(debit > 0) <> (credit > 0)", name="one_side"),
        ForeignKeyConstraint(
            ["tenant_id", "entry_id", "entry_date"],
            ["journal_entries.tenant_id", "journal_entries.id", "journal_entries.entry_date"],
        ),
        tenant_fk("account_id", "ledger_accounts"),
        Index("ix_journal_lines_tenant_id_entry_id", "tenant_id", "entry_id"),
        Index("ix_journal_lines_tenant_id_account_id_entry_date", "tenant_id", "account_id", "entry_date"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    entry_id: Mapped[int] = mapped_column(BigInteger)
    entry_date: Mapped[date] = mapped_column(Date)
    account_id: Mapped[int] = mapped_column(BigInteger)
    debit: Mapped[int] = mapped_column(BigInteger, default=0)
    credit: Mapped[int] = mapped_column(BigInteger, default=0)
    memo: Mapped[str | None] = mapped_column(String(200))

    account: Mapped[LedgerAccount] = relationship(viewonly=True)


class FiscalPeriod(TenantScoped, Base):
    """A month of a cooperative's books. No row, or `closed_at` empty: open. Once closed, entries
    dated in it are refused."""

    __tablename__ = "fiscal_periods"
    __table_args__ = (
        UniqueConstraint("tenant_id", "year", "month"),
        CheckConstraint("month BETWEEN 1 AND 12", name="month_range"),
        CheckConstraint("year BETWEEN 2000 AND 2999", name="year_range"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    year: Mapped[int] = mapped_column(SmallInteger)
    month: Mapped[int] = mapped_column(SmallInteger)
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    closed_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


class ManualEntryStatus(enum.StrEnum):
    PENDING = "pending"
    POSTED = "posted"
    REFUSED = "refused"


class EquityBasis(enum.StrEnum):
    """Which equity savings weigh a member's jasa modal: the year-end balance or the average of the
    twelve month-end balances."""

    YEAR_END = "year_end"
    AVERAGE = "average"


# The SHU pools in the order of the AD/ART (and of the largest-remainder tie-break), with the
# default percentages of DOMAIN.md §10; they sum to 100.
SHU_POOLS: tuple[tuple[str, Decimal], ...] = (
    ("cadangan", Decimal(30)),
    ("jasa_modal", Decimal(15)),
    ("jasa_usaha", Decimal(25)),
    ("pembangunan_desa", Decimal(20)),
    ("pengurus", Decimal(4)),
    ("karyawan", Decimal(3)),
    ("pendidikan", Decimal(2)),
    ("sosial", Decimal(1)),
)
DEFAULT_APPROVAL_THRESHOLD = 10_000_000


class LedgerSettings(TenantScoped, Base):
    """A cooperative's bookkeeping choices: above which amount a manual entry needs two approvals,
    and the SHU allocation of its AD/ART (percentages that sum to exactly 100). One row at most;
    none means the defaults."""

    __tablename__ = "ledger_settings"
    __table_args__ = (
        UniqueConstraint("tenant_id"),
        CheckConstraint("approval_threshold >= 0", name="threshold_not_negative"),
        CheckConstraint(
            " AND ".join(f"shu_{name} BETWEEN 0 AND 100" for name, _ in SHU_POOLS), name="shares_in_range"
        ),
        CheckConstraint(" + ".join(f"shu_{name}" for name, _ in SHU_POOLS) + " = 100", name="shares_sum_100"),
        CheckConstraint(f"equity_basis IN ({_sql_list(EquityBasis)})", name="equity_basis_known"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    approval_threshold: Mapped[int] = mapped_column(BigInteger)
    shu_cadangan: Mapped[Decimal] = mapped_column(Numeric(5, 2))
    shu_jasa_modal: Mapped[Decimal] = mapped_column(Numeric(5, 2))
    shu_jasa_usaha: Mapped[Decimal] = mapped_column(Numeric(5, 2))
    shu_pembangunan_desa: Mapped[Decimal] = mapped_column(Numeric(5, 2))
    shu_pengurus: Mapped[Decimal] = mapped_column(Numeric(5, 2))
    shu_karyawan: Mapped[Decimal] = mapped_column(Numeric(5, 2))
    shu_pendidikan: Mapped[Decimal] = mapped_column(Numeric(5, 2))
    shu_sosial: Mapped[Decimal] = mapped_column(Numeric(5, 2))
    equity_basis: Mapped[str] = mapped_column(String(10))
    updated_at: Mapped[datetime] = utcnow_column()
    updated_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


class ManualEntry(TenantScoped, Base):
    """A journal entry typed by staff, waiting for approval (maker-checker). It is posted to the
    books once it has its required approvals (two above the cooperative's threshold), each by a
    person other than its maker; or it is refused, with a reason. Decided entries do not change."""

    __tablename__ = "manual_entries"
    __table_args__ = (
        UniqueConstraint("tenant_id", "request_key"),
        # Target of the approvals' key, which carries the maker so the database refuses self-approval.
        UniqueConstraint("tenant_id", "id", "created_by"),
        CheckConstraint(f"status IN ({_sql_list(ManualEntryStatus)})", name="status_known"),
        CheckConstraint("total > 0", name="total_positive"),
        CheckConstraint("required_approvals BETWEEN 1 AND 2", name="approvals_one_or_two"),
        CheckConstraint(
            "(status = 'posted') = (journal_entry_id IS NOT NULL)", name="posted_has_journal_entry"
        ),
        CheckConstraint(
            "(status = 'refused') = (refused_by IS NOT NULL AND refusal_reason IS NOT NULL)",
            name="refused_has_reason",
        ),
        CheckConstraint("refused_by <> created_by", name="not_refused_by_maker"),
        tenant_fk("journal_entry_id", "journal_entries"),
        Index("ix_manual_entries_tenant_id_status", "tenant_id", "status"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    entry_date: Mapped[date] = mapped_column(Date)
    description: Mapped[str] = mapped_column(String(500))
    lines: Mapped[list[dict[str, Any]]] = mapped_column(JSONB)
    total: Mapped[int] = mapped_column(BigInteger)
    required_approvals: Mapped[int] = mapped_column(SmallInteger)
    status: Mapped[str] = mapped_column(String(10), default=ManualEntryStatus.PENDING.value)
    request_key: Mapped[str] = mapped_column(String(120))
    created_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = utcnow_column()
    refused_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    refused_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    refusal_reason: Mapped[str | None] = mapped_column(String(500))
    journal_entry_id: Mapped[int | None] = mapped_column(BigInteger)

    approvals: Mapped[list[ManualEntryApproval]] = relationship(
        viewonly=True, order_by="ManualEntryApproval.id"
    )


class ManualEntryApproval(TenantScoped, Base):
    """One person's approval of a manual entry; never by its maker (the database checks), once per
    person. Append-only."""

    __tablename__ = "manual_entry_approvals"
    __table_args__ = (
        UniqueConstraint("tenant_id", "manual_entry_id", "approved_by"),
        CheckConstraint("approved_by <> entry_created_by", name="not_by_maker"),
        ForeignKeyConstraint(
            ["tenant_id", "manual_entry_id", "entry_created_by"],
            ["manual_entries.tenant_id", "manual_entries.id", "manual_entries.created_by"],
            name="fk_manual_entry_approvals_manual_entry_maker",
        ),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    manual_entry_id: Mapped[int] = mapped_column(BigInteger)
    entry_created_by: Mapped[int] = mapped_column(BigInteger)
    approved_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    approved_at: Mapped[datetime] = utcnow_column()


class ShuAllocation(TenantScoped, Base):
    """A member's share of a year's SHU as posted: jasa modal by equity savings, jasa usaha by
    transactions with the cooperative, with the weights they were computed from. Written once,
    with the distribution's journal entry; append-only."""

    __tablename__ = "shu_allocations"
    __table_args__ = (
        UniqueConstraint("tenant_id", "year", "member_id"),
        CheckConstraint("jasa_modal >= 0 AND jasa_usaha >= 0", name="shares_not_negative"),
        CheckConstraint("equity_weight >= 0 AND transaction_weight >= 0", name="weights_not_negative"),
        tenant_fk("journal_entry_id", "journal_entries"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    year: Mapped[int] = mapped_column(SmallInteger)
    member_id: Mapped[int] = mapped_column(BigInteger)
    member_number: Mapped[str] = mapped_column(String(20))
    equity_weight: Mapped[int] = mapped_column(BigInteger)
    transaction_weight: Mapped[int] = mapped_column(BigInteger)
    jasa_modal: Mapped[int] = mapped_column(BigInteger)
    jasa_usaha: Mapped[int] = mapped_column(BigInteger)
    journal_entry_id: Mapped[int] = mapped_column(BigInteger)
