"""loans: prepayment, restructuring, write-off and recovery

Revision ID: 0021_loans_restructure
Revises: 0020_pos_counter

The product's rule for the running period's jasa on an early payoff; on a loan its schedule version,
restructuring count and kolektibilitas floor; the channel of a repayment (tunai or simpanan); the
superseded schedule versions and their rows (append-only); restructuring proposals and write-offs,
each decided by a second person; recoveries on written-off loans (append-only). All under forced
row-level security.
"""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

from tenants.rls import append_only, enable_tenant_rls

TENANT_TABLES = (
    "loan_schedule_versions",
    "loan_schedule_rows",
    "loan_restructurings",
    "loan_write_offs",
    "loan_recoveries",
)

revision: str = "0021_loans_restructure"
down_revision: str | None = "0020_pos_counter"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CLASSES = "'lancar', 'kurang_lancar', 'diragukan', 'macet'"


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


def _user_fk(table: str, column: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint([column], ["users.id"], name=op.f(f"fk_{table}_{column}_users"))


def upgrade() -> None:
    op.add_column(
        "loan_products",
        sa.Column("prepayment_interest", sa.String(length=10), server_default="harian", nullable=False),
    )
    op.create_check_constraint(
        "prepayment_interest_known",
        "loan_products",
        "prepayment_interest IN ('harian', 'penuh', 'tanpa')",
    )
    op.add_column("loans", sa.Column("schedule_version", sa.Integer(), server_default="1", nullable=False))
    op.add_column("loans", sa.Column("restructured_count", sa.Integer(), server_default="0", nullable=False))
    op.add_column("loans", sa.Column("kolektibilitas_floor", sa.String(length=14), nullable=True))
    op.create_check_constraint(
        "versions_positive", "loans", "schedule_version > 0 AND restructured_count >= 0"
    )
    op.create_check_constraint(
        "floor_known", "loans", f"kolektibilitas_floor IS NULL OR kolektibilitas_floor IN ({CLASSES})"
    )
    op.add_column(
        "loan_repayments", sa.Column("channel", sa.String(length=10), server_default="tunai", nullable=False)
    )
    op.create_check_constraint("channel_known", "loan_repayments", "channel IN ('tunai', 'simpanan')")

    t = "loan_schedule_versions"
    op.create_table(
        t,
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("loan_id", sa.BigInteger(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("reason_kind", sa.String(length=20), nullable=False),
        sa.Column("superseded_on", sa.Date(), nullable=False),
        sa.Column("note", sa.String(length=300), nullable=True),
        sa.Column("created_by", sa.BigInteger(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        *_tenant(t),
        sa.CheckConstraint("version > 0", name=op.f(f"ck_{t}_version_positive")),
        sa.CheckConstraint(
            "reason_kind IN ('pelunasan_sebagian', 'pelunasan', 'restrukturisasi')",
            name=op.f(f"ck_{t}_reason_known"),
        ),
        _fk(t, "loan_id", "loans"),
        _user_fk(t, "created_by"),
        sa.UniqueConstraint(
            "tenant_id", "loan_id", "version", name=op.f(f"uq_{t}_tenant_id_loan_id_version")
        ),
    )
    t = "loan_schedule_rows"
    op.create_table(
        t,
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("version_id", sa.BigInteger(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("due_date", sa.Date(), nullable=False),
        sa.Column("pokok", sa.BigInteger(), nullable=False),
        sa.Column("bunga", sa.BigInteger(), nullable=False),
        sa.Column("paid_pokok", sa.BigInteger(), nullable=False),
        sa.Column("paid_bunga", sa.BigInteger(), nullable=False),
        sa.Column("paid_denda", sa.BigInteger(), nullable=False),
        *_tenant(t),
        sa.CheckConstraint("pokok >= 0 AND bunga >= 0", name=op.f(f"ck_{t}_amounts_not_negative")),
        sa.CheckConstraint(
            "paid_pokok >= 0 AND paid_bunga >= 0 AND paid_denda >= 0", name=op.f(f"ck_{t}_paid_not_negative")
        ),
        _fk(t, "version_id", "loan_schedule_versions"),
        sa.UniqueConstraint(
            "tenant_id", "version_id", "number", name=op.f(f"uq_{t}_tenant_id_version_id_number")
        ),
    )
    t = "loan_restructurings"
    op.create_table(
        t,
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("loan_id", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("new_tenor", sa.Integer(), nullable=False),
        sa.Column("new_rate_per_month", sa.Numeric(precision=7, scale=4), nullable=False),
        sa.Column("new_method", sa.String(length=10), nullable=False),
        sa.Column("reason", sa.String(length=300), nullable=False),
        sa.Column("proposed_by", sa.BigInteger(), nullable=True),
        sa.Column("proposed_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("decided_by", sa.BigInteger(), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("refusal_reason", sa.String(length=300), nullable=True),
        sa.Column("effective_on", sa.Date(), nullable=True),
        sa.Column("principal", sa.BigInteger(), nullable=True),
        sa.Column("carried_bunga", sa.BigInteger(), nullable=True),
        sa.Column("denda_waived", sa.BigInteger(), nullable=True),
        sa.Column("class_before", sa.String(length=14), nullable=True),
        *_tenant(t),
        sa.CheckConstraint(
            "status IN ('diajukan', 'disetujui', 'ditolak')", name=op.f(f"ck_{t}_status_known")
        ),
        sa.CheckConstraint("new_tenor > 0", name=op.f(f"ck_{t}_tenor_positive")),
        sa.CheckConstraint(
            "new_rate_per_month >= 0 AND new_rate_per_month <= 100", name=op.f(f"ck_{t}_rate_range")
        ),
        sa.CheckConstraint("new_method IN ('flat', 'efektif', 'anuitas')", name=op.f(f"ck_{t}_method_known")),
        sa.CheckConstraint("decided_by IS NULL OR decided_by <> proposed_by", name=op.f(f"ck_{t}_four_eyes")),
        sa.CheckConstraint(
            "status <> 'ditolak' OR refusal_reason IS NOT NULL", name=op.f(f"ck_{t}_refusal_reasoned")
        ),
        sa.CheckConstraint(
            "principal IS NULL OR (principal > 0 AND carried_bunga >= 0 AND denda_waived >= 0)",
            name=op.f(f"ck_{t}_amounts_valid"),
        ),
        _fk(t, "loan_id", "loans"),
        _user_fk(t, "proposed_by"),
        _user_fk(t, "decided_by"),
    )
    op.create_index(
        "uq_loan_restructurings_one_open",
        t,
        ["tenant_id", "loan_id"],
        unique=True,
        postgresql_where=sa.text("status = 'diajukan'"),
    )
    t = "loan_write_offs"
    op.create_table(
        t,
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("loan_id", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("reason", sa.String(length=300), nullable=False),
        sa.Column("proposed_by", sa.BigInteger(), nullable=True),
        sa.Column("proposed_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("decided_by", sa.BigInteger(), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("refusal_reason", sa.String(length=300), nullable=True),
        sa.Column("written_off_on", sa.Date(), nullable=True),
        sa.Column("pokok", sa.BigInteger(), nullable=False),
        sa.Column("bunga", sa.BigInteger(), nullable=False),
        sa.Column("from_allowance", sa.BigInteger(), nullable=False),
        sa.Column("from_expense", sa.BigInteger(), nullable=False),
        sa.Column("journal_entry_id", sa.BigInteger(), nullable=True),
        *_tenant(t),
        sa.CheckConstraint(
            "status IN ('diajukan', 'disetujui', 'ditolak')", name=op.f(f"ck_{t}_status_known")
        ),
        sa.CheckConstraint("decided_by IS NULL OR decided_by <> proposed_by", name=op.f(f"ck_{t}_four_eyes")),
        sa.CheckConstraint(
            "status <> 'ditolak' OR refusal_reason IS NOT NULL", name=op.f(f"ck_{t}_refusal_reasoned")
        ),
        sa.CheckConstraint(
            "status <> 'disetujui' OR (pokok > 0 AND from_allowance + from_expense = pokok "
            "AND journal_entry_id IS NOT NULL)",
            name=op.f(f"ck_{t}_posted_in_full"),
        ),
        sa.CheckConstraint(
            "pokok >= 0 AND bunga >= 0 AND from_allowance >= 0 AND from_expense >= 0",
            name=op.f(f"ck_{t}_amounts_valid"),
        ),
        _fk(t, "loan_id", "loans"),
        _fk(t, "journal_entry_id", "journal_entries"),
        _user_fk(t, "proposed_by"),
        _user_fk(t, "decided_by"),
    )
    op.create_index(
        "uq_loan_write_offs_one_per_loan",
        t,
        ["tenant_id", "loan_id"],
        unique=True,
        postgresql_where=sa.text("status <> 'ditolak'"),
    )
    t = "loan_recoveries"
    op.create_table(
        t,
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("loan_id", sa.BigInteger(), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("received_on", sa.Date(), nullable=False),
        sa.Column("idempotency_key", sa.String(length=120), nullable=False),
        sa.Column("journal_entry_id", sa.BigInteger(), nullable=False),
        sa.Column("teller_id", sa.BigInteger(), nullable=True),
        sa.Column("recorded_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        *_tenant(t),
        sa.CheckConstraint("amount > 0", name=op.f(f"ck_{t}_amount_positive")),
        _fk(t, "loan_id", "loans"),
        _fk(t, "journal_entry_id", "journal_entries"),
        _user_fk(t, "teller_id"),
        sa.UniqueConstraint("tenant_id", "idempotency_key", name=op.f(f"uq_{t}_tenant_id_idempotency_key")),
    )
    op.create_index("ix_loan_recoveries_tenant_id_loan_id", t, ["tenant_id", "loan_id"], unique=False)
    for table in TENANT_TABLES:
        for statement in enable_tenant_rls(table):
            op.execute(statement)
    for table in ("loan_schedule_versions", "loan_schedule_rows", "loan_recoveries"):
        for statement in append_only(table):
            op.execute(statement)


def downgrade() -> None:
    for table in reversed(TENANT_TABLES):
        op.drop_table(table)
    op.drop_column("loan_repayments", "channel")
    for column in ("kolektibilitas_floor", "restructured_count", "schedule_version"):
        op.drop_column("loans", column)
    op.drop_column("loan_products", "prepayment_interest")
