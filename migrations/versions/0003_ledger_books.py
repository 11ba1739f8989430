"""ledger books: settings, manual entries with maker-checker

Revision ID: 0003
Revises: 0002

A cooperative's bookkeeping settings (the two-approval threshold, the SHU allocation of its AD/ART,
summing to 100), manual journal entries waiting for approval, and their approvals, which the
database refuses from the entry's maker and keeps append-only. All under forced row-level security.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from tenants.rls import append_only, enable_tenant_rls

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TENANT_TABLES = ("ledger_settings", "manual_entries", "manual_entry_approvals")
POOLS = (
    "cadangan",
    "jasa_modal",
    "jasa_usaha",
    "pembangunan_desa",
    "pengurus",
    "karyawan",
    "pendidikan",
    "sosial",
)


def upgrade() -> None:
    op.create_table(
        "ledger_settings",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("approval_threshold", sa.BigInteger(), nullable=False),
        *[sa.Column(f"shu_{name}", sa.Numeric(5, 2), nullable=False) for name in POOLS],
        sa.Column("equity_basis", sa.String(length=10), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_by", sa.BigInteger(), nullable=True),
        sa.Column("tenant_id", sa.BigInteger(), nullable=False),
        sa.CheckConstraint("approval_threshold >= 0", name=op.f("ck_ledger_settings_threshold_not_negative")),
        sa.CheckConstraint(
            " AND ".join(f"shu_{name} BETWEEN 0 AND 100" for name in POOLS),
            name=op.f("ck_ledger_settings_shares_in_range"),
        ),
        sa.CheckConstraint(
            " + ".join(f"shu_{name}" for name in POOLS) + " = 100",
            name=op.f("ck_ledger_settings_shares_sum_100"),
        ),
        sa.CheckConstraint(
            "equity_basis IN ('year_end', 'average')", name=op.f("ck_ledger_settings_equity_basis_known")
        ),
        sa.ForeignKeyConstraint(
            ["updated_by"], ["users.id"], name=op.f("fk_ledger_settings_updated_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["cooperatives.id"], name=op.f("fk_ledger_settings_tenant_id_cooperatives")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ledger_settings")),
        sa.UniqueConstraint("tenant_id", name=op.f("uq_ledger_settings_tenant_id")),
        sa.UniqueConstraint("tenant_id", "id", name=op.f("uq_ledger_settings_tenant_id_id")),
    )
    op.create_table(
        "manual_entries",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("entry_date", sa.Date(), nullable=False),
        sa.Column("description", sa.String(length=500), nullable=False),
        sa.Column("lines", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("total", sa.BigInteger(), nullable=False),
        sa.Column("required_approvals", sa.SmallInteger(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("request_key", sa.String(length=120), nullable=False),
        sa.Column("created_by", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("refused_by", sa.BigInteger(), nullable=True),
        sa.Column("refused_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("refusal_reason", sa.String(length=500), nullable=True),
        sa.Column("journal_entry_id", sa.BigInteger(), nullable=True),
        sa.Column("tenant_id", sa.BigInteger(), nullable=False),
        sa.CheckConstraint(
            "status IN ('pending', 'posted', 'refused')", name=op.f("ck_manual_entries_status_known")
        ),
        sa.CheckConstraint("total > 0", name=op.f("ck_manual_entries_total_positive")),
        sa.CheckConstraint(
            "required_approvals BETWEEN 1 AND 2", name=op.f("ck_manual_entries_approvals_one_or_two")
        ),
        sa.CheckConstraint(
            "(status = 'posted') = (journal_entry_id IS NOT NULL)",
            name=op.f("ck_manual_entries_posted_has_journal_entry"),
        ),
        sa.CheckConstraint(
            "(status = 'refused') = (refused_by IS NOT NULL AND refusal_reason IS NOT NULL)",
            name=op.f("ck_manual_entries_refused_has_reason"),
        ),
        sa.CheckConstraint("refused_by <> created_by", name=op.f("ck_manual_entries_not_refused_by_maker")),
        sa.ForeignKeyConstraint(
            ["created_by"], ["users.id"], name=op.f("fk_manual_entries_created_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["refused_by"], ["users.id"], name=op.f("fk_manual_entries_refused_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "journal_entry_id"],
            ["journal_entries.tenant_id", "journal_entries.id"],
            name=op.f("fk_manual_entries_tenant_id_journal_entry_id_journal_entries"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["cooperatives.id"], name=op.f("fk_manual_entries_tenant_id_cooperatives")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_manual_entries")),
        sa.UniqueConstraint("tenant_id", "id", name=op.f("uq_manual_entries_tenant_id_id")),
        sa.UniqueConstraint(
            "tenant_id", "id", "created_by", name=op.f("uq_manual_entries_tenant_id_id_created_by")
        ),
        sa.UniqueConstraint("tenant_id", "request_key", name=op.f("uq_manual_entries_tenant_id_request_key")),
    )
    op.create_index(
        "ix_manual_entries_tenant_id_status", "manual_entries", ["tenant_id", "status"], unique=False
    )
    op.create_table(
        "manual_entry_approvals",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("manual_entry_id", sa.BigInteger(), nullable=False),
        sa.Column("entry_created_by", sa.BigInteger(), nullable=False),
        sa.Column("approved_by", sa.BigInteger(), nullable=False),
        sa.Column("approved_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("tenant_id", sa.BigInteger(), nullable=False),
        sa.CheckConstraint(
            "approved_by <> entry_created_by", name=op.f("ck_manual_entry_approvals_not_by_maker")
        ),
        sa.ForeignKeyConstraint(
            ["approved_by"], ["users.id"], name=op.f("fk_manual_entry_approvals_approved_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "manual_entry_id", "entry_created_by"],
            ["manual_entries.tenant_id", "manual_entries.id", "manual_entries.created_by"],
            name="fk_manual_entry_approvals_manual_entry_maker",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["cooperatives.id"], name=op.f("fk_manual_entry_approvals_tenant_id_cooperatives")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_manual_entry_approvals")),
        sa.UniqueConstraint(
            "tenant_id",
            "manual_entry_id",
            "approved_by",
            name=op.f("uq_manual_entry_approvals_tenant_id_manual_entry_id_approved_by"),
        ),
        sa.UniqueConstraint("tenant_id", "id", name=op.f("uq_manual_entry_approvals_tenant_id_id")),
    )
    statements = [s for table in TENANT_TABLES for s in enable_tenant_rls(table)]
    statements += append_only("manual_entry_approvals")
    for statement in statements:
        op.execute(statement)


def downgrade() -> None:
    op.drop_table("manual_entry_approvals")
    op.drop_index("ix_manual_entries_tenant_id_status", table_name="manual_entries")
    op.drop_table("manual_entries")
    op.drop_table("ledger_settings")
