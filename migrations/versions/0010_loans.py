"""loans

Revision ID: 0010
Revises: 0009

Loan products, loans, their schedules (installments) and repayments (append-only), all under
forced row-level security.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from tenants.rls import append_only, enable_tenant_rls

TENANT_TABLES = ("loan_products", "loans", "loan_installments", "loan_repayments")

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "loan_products",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("code", sa.String(length=20), nullable=False),
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("method", sa.String(length=10), nullable=False),
        sa.Column("frequency", sa.String(length=10), nullable=False),
        sa.Column("rate_per_month", sa.Numeric(precision=7, scale=4), nullable=False),
        sa.Column("min_tenor", sa.Integer(), nullable=False),
        sa.Column("max_tenor", sa.Integer(), nullable=False),
        sa.Column("provisi_rate", sa.Numeric(precision=7, scale=4), nullable=False),
        sa.Column("admin_rate", sa.Numeric(precision=7, scale=4), nullable=False),
        sa.Column("denda_rate_per_day", sa.Numeric(precision=7, scale=4), nullable=False),
        sa.Column("grace_days", sa.Integer(), nullable=False),
        sa.Column("max_amount", sa.BigInteger(), nullable=False),
        sa.Column("savings_multiple", sa.Numeric(precision=7, scale=2), nullable=True),
        sa.Column("second_approval_above", sa.BigInteger(), nullable=False),
        sa.Column("active", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.Column("tenant_id", sa.BigInteger(), nullable=False),
        sa.CheckConstraint(
            "frequency IN ('bulanan', 'mingguan')", name=op.f("ck_loan_products_frequency_known")
        ),
        sa.CheckConstraint(
            "method IN ('flat', 'efektif', 'anuitas')", name=op.f("ck_loan_products_method_known")
        ),
        sa.CheckConstraint(
            "denda_rate_per_day >= 0 AND denda_rate_per_day <= 100", name=op.f("ck_loan_products_denda_range")
        ),
        sa.CheckConstraint("grace_days >= 0", name=op.f("ck_loan_products_grace_not_negative")),
        sa.CheckConstraint("max_amount > 0", name=op.f("ck_loan_products_max_amount_positive")),
        sa.CheckConstraint(
            "min_tenor > 0 AND max_tenor >= min_tenor", name=op.f("ck_loan_products_tenor_range")
        ),
        sa.CheckConstraint(
            "provisi_rate >= 0 AND provisi_rate <= 100 AND admin_rate >= 0 AND admin_rate <= 100",
            name=op.f("ck_loan_products_fee_range"),
        ),
        sa.CheckConstraint(
            "rate_per_month >= 0 AND rate_per_month <= 100", name=op.f("ck_loan_products_rate_range")
        ),
        sa.CheckConstraint(
            "savings_multiple IS NULL OR savings_multiple > 0",
            name=op.f("ck_loan_products_multiple_positive"),
        ),
        sa.CheckConstraint(
            "second_approval_above > 0", name=op.f("ck_loan_products_second_approval_positive")
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["cooperatives.id"], name=op.f("fk_loan_products_tenant_id_cooperatives")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_loan_products")),
        sa.UniqueConstraint("tenant_id", "code", name=op.f("uq_loan_products_tenant_id_code")),
        sa.UniqueConstraint("tenant_id", "id", name=op.f("uq_loan_products_tenant_id_id")),
    )
    op.create_table(
        "loans",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("member_id", sa.BigInteger(), nullable=False),
        sa.Column("product_id", sa.BigInteger(), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("tenor", sa.Integer(), nullable=False),
        sa.Column("purpose", sa.String(length=200), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("method", sa.String(length=10), nullable=False),
        sa.Column("frequency", sa.String(length=10), nullable=False),
        sa.Column("rate_per_month", sa.Numeric(precision=7, scale=4), nullable=False),
        sa.Column("provisi", sa.BigInteger(), nullable=False),
        sa.Column("admin_fee", sa.BigInteger(), nullable=False),
        sa.Column("outstanding_pokok", sa.BigInteger(), nullable=False),
        sa.Column("applied_on", sa.Date(), nullable=False),
        sa.Column("applied_by", sa.BigInteger(), nullable=True),
        sa.Column("applied_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("approved_by", sa.BigInteger(), nullable=True),
        sa.Column("second_approved_by", sa.BigInteger(), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("refused_by", sa.BigInteger(), nullable=True),
        sa.Column("refusal_reason", sa.String(length=300), nullable=True),
        sa.Column("disbursed_on", sa.Date(), nullable=True),
        sa.Column("disbursement_entry_id", sa.BigInteger(), nullable=True),
        sa.Column("closed_on", sa.Date(), nullable=True),
        sa.Column("tenant_id", sa.BigInteger(), nullable=False),
        sa.CheckConstraint("frequency IN ('bulanan', 'mingguan')", name=op.f("ck_loans_frequency_known")),
        sa.CheckConstraint("method IN ('flat', 'efektif', 'anuitas')", name=op.f("ck_loans_method_known")),
        sa.CheckConstraint(
            "status <> 'ditolak' OR refusal_reason IS NOT NULL", name=op.f("ck_loans_refusal_reasoned")
        ),
        sa.CheckConstraint(
            "status IN ('diajukan', 'disetujui', 'ditolak', 'dicairkan', 'lunas', 'hapus_buku')",
            name=op.f("ck_loans_status_known"),
        ),
        sa.CheckConstraint("amount > 0", name=op.f("ck_loans_amount_positive")),
        sa.CheckConstraint(
            "approved_by IS NULL OR approved_by <> applied_by", name=op.f("ck_loans_four_eyes")
        ),
        sa.CheckConstraint(
            "outstanding_pokok >= 0 AND outstanding_pokok <= amount", name=op.f("ck_loans_outstanding_range")
        ),
        sa.CheckConstraint("provisi >= 0 AND admin_fee >= 0", name=op.f("ck_loans_fees_not_negative")),
        sa.CheckConstraint(
            "second_approved_by IS NULL OR (second_approved_by <> applied_by AND second_approved_by <> approved_by)",
            name=op.f("ck_loans_six_eyes"),
        ),
        sa.CheckConstraint("tenor > 0", name=op.f("ck_loans_tenor_positive")),
        sa.ForeignKeyConstraint(["applied_by"], ["users.id"], name=op.f("fk_loans_applied_by_users")),
        sa.ForeignKeyConstraint(["approved_by"], ["users.id"], name=op.f("fk_loans_approved_by_users")),
        sa.ForeignKeyConstraint(["refused_by"], ["users.id"], name=op.f("fk_loans_refused_by_users")),
        sa.ForeignKeyConstraint(
            ["second_approved_by"], ["users.id"], name=op.f("fk_loans_second_approved_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "disbursement_entry_id"],
            ["journal_entries.tenant_id", "journal_entries.id"],
            name=op.f("fk_loans_tenant_id_disbursement_entry_id_journal_entries"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "member_id"],
            ["members.tenant_id", "members.id"],
            name=op.f("fk_loans_tenant_id_member_id_members"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "product_id"],
            ["loan_products.tenant_id", "loan_products.id"],
            name=op.f("fk_loans_tenant_id_product_id_loan_products"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["cooperatives.id"], name=op.f("fk_loans_tenant_id_cooperatives")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_loans")),
        sa.UniqueConstraint("tenant_id", "id", name=op.f("uq_loans_tenant_id_id")),
    )
    op.create_index("ix_loans_tenant_id_member_id", "loans", ["tenant_id", "member_id"], unique=False)
    op.create_index("ix_loans_tenant_id_status", "loans", ["tenant_id", "status"], unique=False)
    op.create_table(
        "loan_installments",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("loan_id", sa.BigInteger(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("due_date", sa.Date(), nullable=False),
        sa.Column("pokok", sa.BigInteger(), nullable=False),
        sa.Column("bunga", sa.BigInteger(), nullable=False),
        sa.Column("paid_pokok", sa.BigInteger(), nullable=False),
        sa.Column("paid_bunga", sa.BigInteger(), nullable=False),
        sa.Column("paid_denda", sa.BigInteger(), nullable=False),
        sa.Column("tenant_id", sa.BigInteger(), nullable=False),
        sa.CheckConstraint("number > 0", name=op.f("ck_loan_installments_number_positive")),
        sa.CheckConstraint(
            "paid_bunga >= 0 AND paid_bunga <= bunga", name=op.f("ck_loan_installments_paid_bunga_range")
        ),
        sa.CheckConstraint("paid_denda >= 0", name=op.f("ck_loan_installments_paid_denda_not_negative")),
        sa.CheckConstraint(
            "paid_pokok >= 0 AND paid_pokok <= pokok", name=op.f("ck_loan_installments_paid_pokok_range")
        ),
        sa.CheckConstraint(
            "pokok >= 0 AND bunga >= 0", name=op.f("ck_loan_installments_amounts_not_negative")
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "loan_id"],
            ["loans.tenant_id", "loans.id"],
            name=op.f("fk_loan_installments_tenant_id_loan_id_loans"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["cooperatives.id"], name=op.f("fk_loan_installments_tenant_id_cooperatives")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_loan_installments")),
        sa.UniqueConstraint("tenant_id", "id", name=op.f("uq_loan_installments_tenant_id_id")),
        sa.UniqueConstraint(
            "tenant_id", "loan_id", "number", name=op.f("uq_loan_installments_tenant_id_loan_id_number")
        ),
    )
    op.create_table(
        "loan_repayments",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("loan_id", sa.BigInteger(), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("denda", sa.BigInteger(), nullable=False),
        sa.Column("bunga", sa.BigInteger(), nullable=False),
        sa.Column("pokok", sa.BigInteger(), nullable=False),
        sa.Column("paid_on", sa.Date(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("idempotency_key", sa.String(length=120), nullable=False),
        sa.Column("journal_entry_id", sa.BigInteger(), nullable=True),
        sa.Column("teller_id", sa.BigInteger(), nullable=True),
        sa.Column("tenant_id", sa.BigInteger(), nullable=False),
        sa.CheckConstraint("amount > 0", name=op.f("ck_loan_repayments_amount_positive")),
        sa.CheckConstraint("denda + bunga + pokok = amount", name=op.f("ck_loan_repayments_parts_sum")),
        sa.CheckConstraint(
            "denda >= 0 AND bunga >= 0 AND pokok >= 0", name=op.f("ck_loan_repayments_parts_not_negative")
        ),
        sa.ForeignKeyConstraint(["teller_id"], ["users.id"], name=op.f("fk_loan_repayments_teller_id_users")),
        sa.ForeignKeyConstraint(
            ["tenant_id", "journal_entry_id"],
            ["journal_entries.tenant_id", "journal_entries.id"],
            name=op.f("fk_loan_repayments_tenant_id_journal_entry_id_journal_entries"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "loan_id"],
            ["loans.tenant_id", "loans.id"],
            name=op.f("fk_loan_repayments_tenant_id_loan_id_loans"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["cooperatives.id"], name=op.f("fk_loan_repayments_tenant_id_cooperatives")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_loan_repayments")),
        sa.UniqueConstraint("tenant_id", "id", name=op.f("uq_loan_repayments_tenant_id_id")),
        sa.UniqueConstraint(
            "tenant_id", "idempotency_key", name=op.f("uq_loan_repayments_tenant_id_idempotency_key")
        ),
    )
    op.create_index(
        "ix_loan_repayments_tenant_id_loan_id", "loan_repayments", ["tenant_id", "loan_id"], unique=False
    )
    for table in TENANT_TABLES:
        for statement in enable_tenant_rls(table):
            op.execute(statement)
    for statement in append_only("loan_repayments"):
        op.execute(statement)


def downgrade() -> None:
    for table in reversed(TENANT_TABLES):
        op.drop_table(table)
