"""loans: the cooperative's own bank loans

Revision ID: 0022_loans_bank
Revises: 0021_loans_restructure

The cooperative's loans from Himbara banks (a liability), their installments and the payments to
the bank (append-only), all under forced row-level security.
"""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

from tenants.rls import append_only, enable_tenant_rls

TENANT_TABLES = ("bank_loans", "bank_loan_installments", "bank_loan_payments")

revision: str = "0022_loans_bank"
down_revision: str | None = "0021_loans_restructure"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _tenant(table: str) -> list[Any]:
    return [
        sa.Column("tenant_id", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["cooperatives.id"], name=op.f(f"fk_{table}_tenant_id_cooperatives")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{table}")),
        sa.UniqueConstraint("tenant_id", "id", name=op.f(f"uq_{table}_tenant_id_id")),
    ]


def _fk(table: str, column: str, target: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["tenant_id", column],
        [f"{target}.tenant_id", f"{target}.id"],
        name=op.f(f"fk_{table}_tenant_id_{column}_{target}"),
    )


def upgrade() -> None:
    t = "bank_loans"
    op.create_table(
        t,
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("bank", sa.String(length=10), nullable=False),
        sa.Column("contract_number", sa.String(length=60), nullable=False),
        sa.Column("purpose", sa.String(length=200), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("rate_per_year", sa.Numeric(precision=7, scale=4), nullable=False),
        sa.Column("tenor", sa.Integer(), nullable=False),
        sa.Column("grace_months", sa.Integer(), nullable=False),
        sa.Column("method", sa.String(length=10), nullable=False),
        sa.Column("signed_on", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("disbursed_on", sa.Date(), nullable=True),
        sa.Column("disbursement_entry_id", sa.BigInteger(), nullable=True),
        sa.Column("outstanding_pokok", sa.BigInteger(), nullable=False),
        sa.Column("created_by", sa.BigInteger(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        *_tenant(t),
        sa.CheckConstraint("bank IN ('BRI', 'BNI', 'Mandiri', 'BSI')", name=op.f(f"ck_{t}_bank_known")),
        sa.CheckConstraint("status IN ('dicatat', 'dicairkan', 'lunas')", name=op.f(f"ck_{t}_status_known")),
        sa.CheckConstraint("method IN ('flat', 'efektif', 'anuitas')", name=op.f(f"ck_{t}_method_known")),
        sa.CheckConstraint("amount > 0", name=op.f(f"ck_{t}_amount_positive")),
        sa.CheckConstraint("rate_per_year >= 0 AND rate_per_year <= 100", name=op.f(f"ck_{t}_rate_range")),
        sa.CheckConstraint(
            "tenor > 0 AND grace_months >= 0 AND grace_months < tenor", name=op.f(f"ck_{t}_tenor_range")
        ),
        sa.CheckConstraint(
            "outstanding_pokok >= 0 AND outstanding_pokok <= amount", name=op.f(f"ck_{t}_outstanding_range")
        ),
        _fk(t, "disbursement_entry_id", "journal_entries"),
        sa.ForeignKeyConstraint(["created_by"], ["users.id"], name=op.f(f"fk_{t}_created_by_users")),
        sa.UniqueConstraint("tenant_id", "contract_number", name=op.f(f"uq_{t}_tenant_id_contract_number")),
    )
    t = "bank_loan_installments"
    op.create_table(
        t,
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("bank_loan_id", sa.BigInteger(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("due_date", sa.Date(), nullable=False),
        sa.Column("pokok", sa.BigInteger(), nullable=False),
        sa.Column("bunga", sa.BigInteger(), nullable=False),
        sa.Column("paid_pokok", sa.BigInteger(), nullable=False),
        sa.Column("paid_bunga", sa.BigInteger(), nullable=False),
        *_tenant(t),
        sa.CheckConstraint("number > 0", name=op.f(f"ck_{t}_number_positive")),
        sa.CheckConstraint("pokok >= 0 AND bunga >= 0", name=op.f(f"ck_{t}_amounts_not_negative")),
        sa.CheckConstraint("paid_pokok >= 0 AND paid_pokok <= pokok", name=op.f(f"ck_{t}_paid_pokok_range")),
        sa.CheckConstraint("paid_bunga >= 0 AND paid_bunga <= bunga", name=op.f(f"ck_{t}_paid_bunga_range")),
        _fk(t, "bank_loan_id", "bank_loans"),
        sa.UniqueConstraint(
            "tenant_id", "bank_loan_id", "number", name=op.f(f"uq_{t}_tenant_id_bank_loan_id_number")
        ),
    )
    t = "bank_loan_payments"
    op.create_table(
        t,
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("bank_loan_id", sa.BigInteger(), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("bunga", sa.BigInteger(), nullable=False),
        sa.Column("pokok", sa.BigInteger(), nullable=False),
        sa.Column("paid_on", sa.Date(), nullable=False),
        sa.Column("idempotency_key", sa.String(length=120), nullable=False),
        sa.Column("journal_entry_id", sa.BigInteger(), nullable=False),
        sa.Column("recorded_by", sa.BigInteger(), nullable=True),
        sa.Column("recorded_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        *_tenant(t),
        sa.CheckConstraint("amount > 0", name=op.f(f"ck_{t}_amount_positive")),
        sa.CheckConstraint(
            "bunga >= 0 AND pokok >= 0 AND bunga + pokok = amount", name=op.f(f"ck_{t}_parts_sum")
        ),
        _fk(t, "bank_loan_id", "bank_loans"),
        _fk(t, "journal_entry_id", "journal_entries"),
        sa.ForeignKeyConstraint(["recorded_by"], ["users.id"], name=op.f(f"fk_{t}_recorded_by_users")),
        sa.UniqueConstraint("tenant_id", "idempotency_key", name=op.f(f"uq_{t}_tenant_id_idempotency_key")),
    )
    op.create_index(
        "ix_bank_loan_payments_tenant_id_bank_loan_id", t, ["tenant_id", "bank_loan_id"], unique=False
    )
    for table in TENANT_TABLES:
        for statement in enable_tenant_rls(table):
            op.execute(statement)
    for statement in append_only("bank_loan_payments"):
        op.execute(statement)


def downgrade() -> None:
    for table in reversed(TENANT_TABLES):
        op.drop_table(table)
