"""loans close of business

Revision ID: 0014_loans_cob
Revises: 0013_inventory_units

What close of business keeps on each loan (business date, days past due, kolektibilitas, denda
owed, PPAP allowance) and on each installment (bunga accrued when it fell due), and one run row
per cooperative and business date, under forced row-level security.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from tenants.rls import enable_tenant_rls

revision: str = "0014_loans_cob"
down_revision: str | None = "0013_inventory_units"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("loans", sa.Column("cob_date", sa.Date(), nullable=True))
    op.add_column("loans", sa.Column("dpd", sa.Integer(), server_default="0", nullable=False))
    op.add_column(
        "loans", sa.Column("kolektibilitas", sa.String(length=14), server_default="lancar", nullable=False)
    )
    op.add_column("loans", sa.Column("denda_due", sa.BigInteger(), server_default="0", nullable=False))
    op.add_column("loans", sa.Column("ppap", sa.BigInteger(), server_default="0", nullable=False))
    op.create_check_constraint(
        op.f("ck_loans_cob_not_negative"), "loans", "dpd >= 0 AND denda_due >= 0 AND ppap >= 0"
    )
    op.create_check_constraint(
        op.f("ck_loans_kolektibilitas_known"),
        "loans",
        "kolektibilitas IN ('lancar', 'kurang_lancar', 'diragukan', 'macet')",
    )
    op.create_index(
        "ix_loans_running",
        "loans",
        ["tenant_id", "id"],
        unique=False,
        postgresql_where=sa.text("status = 'dicairkan'"),
    )
    op.add_column("loan_installments", sa.Column("accrued_on", sa.Date(), nullable=True))
    op.add_column(
        "loan_installments", sa.Column("accrued_bunga", sa.BigInteger(), server_default="0", nullable=False)
    )
    op.create_check_constraint(
        op.f("ck_loan_installments_accrued_range"),
        "loan_installments",
        "accrued_bunga >= 0 AND accrued_bunga <= bunga AND (accrued_on IS NOT NULL OR accrued_bunga = 0)",
    )
    op.create_table(
        "loan_cob_runs",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("business_date", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("attempts", sa.Integer(), server_default="1", nullable=False),
        sa.Column("batches", sa.Integer(), server_default="0", nullable=False),
        sa.Column("loans_processed", sa.Integer(), server_default="0", nullable=False),
        sa.Column("loans_deferred", sa.Integer(), server_default="0", nullable=False),
        sa.Column("installments_accrued", sa.Integer(), server_default="0", nullable=False),
        sa.Column("accrued_bunga", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("denda_due", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("ppap_target", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("ppap_delta", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("ppap_entry_id", sa.BigInteger(), nullable=True),
        sa.Column("error", sa.String(length=2000), nullable=True),
        sa.Column("tenant_id", sa.BigInteger(), nullable=False),
        sa.CheckConstraint(
            "status IN ('running', 'ok', 'incomplete', 'failed')", name=op.f("ck_loan_cob_runs_status_known")
        ),
        sa.CheckConstraint(
            "loans_processed >= 0 AND loans_deferred >= 0 AND accrued_bunga >= 0 AND denda_due >= 0 "
            "AND ppap_target >= 0",
            name=op.f("ck_loan_cob_runs_totals_not_negative"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "ppap_entry_id"],
            ["journal_entries.tenant_id", "journal_entries.id"],
            name=op.f("fk_loan_cob_runs_tenant_id_journal_entries"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["cooperatives.id"], name=op.f("fk_loan_cob_runs_tenant_id_cooperatives")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_loan_cob_runs")),
        sa.UniqueConstraint(
            "tenant_id", "business_date", name=op.f("uq_loan_cob_runs_tenant_id_business_date")
        ),
        sa.UniqueConstraint("tenant_id", "id", name=op.f("uq_loan_cob_runs_tenant_id_id")),
    )
    for statement in enable_tenant_rls("loan_cob_runs"):
        op.execute(statement)


def downgrade() -> None:
    op.drop_table("loan_cob_runs")
    op.drop_constraint(op.f("ck_loan_installments_accrued_range"), "loan_installments")
    op.drop_column("loan_installments", "accrued_bunga")
    op.drop_column("loan_installments", "accrued_on")
    op.drop_index("ix_loans_running", table_name="loans")
    op.drop_constraint(op.f("ck_loans_kolektibilitas_known"), "loans")
    op.drop_constraint(op.f("ck_loans_cob_not_negative"), "loans")
    for column in ("ppap", "denda_due", "kolektibilitas", "dpd", "cob_date"):
        op.drop_column("loans", column)
