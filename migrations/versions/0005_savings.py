"""savings

Revision ID: 0005
Revises: 0004

Savings products, member accounts, movements (append-only), withdrawal requests awaiting a second
person, and teller shifts, all under forced row-level security.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from tenants.rls import append_only, enable_tenant_rls

TENANT_TABLES = (
    "savings_products",
    "teller_shifts",
    "savings_accounts",
    "savings_movements",
    "withdrawal_requests",
)

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "savings_products",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("code", sa.String(length=20), nullable=False),
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=True),
        sa.Column("interest_rate", sa.Numeric(precision=7, scale=4), nullable=False),
        sa.Column("tax_rate", sa.Numeric(precision=7, scale=4), nullable=False),
        sa.Column("term_months", sa.Integer(), nullable=True),
        sa.Column("ledger_account_code", sa.String(length=16), nullable=False),
        sa.Column("approval_threshold", sa.BigInteger(), nullable=False),
        sa.Column("active", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.Column("tenant_id", sa.BigInteger(), nullable=False),
        sa.CheckConstraint(
            "kind <> 'berjangka' OR term_months > 0", name=op.f("ck_savings_products_term_set")
        ),
        sa.CheckConstraint(
            "kind IN ('pokok', 'wajib', 'sukarela', 'berjangka')", name=op.f("ck_savings_products_kind_known")
        ),
        sa.CheckConstraint(
            "kind NOT IN ('pokok', 'wajib') OR amount IS NOT NULL",
            name=op.f("ck_savings_products_fixed_amount_set"),
        ),
        sa.CheckConstraint("amount IS NULL OR amount > 0", name=op.f("ck_savings_products_amount_positive")),
        sa.CheckConstraint("approval_threshold > 0", name=op.f("ck_savings_products_threshold_positive")),
        sa.CheckConstraint(
            "interest_rate >= 0 AND interest_rate <= 100", name=op.f("ck_savings_products_rate_range")
        ),
        sa.CheckConstraint("tax_rate >= 0 AND tax_rate <= 100", name=op.f("ck_savings_products_tax_range")),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["cooperatives.id"], name=op.f("fk_savings_products_tenant_id_cooperatives")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_savings_products")),
        sa.UniqueConstraint("tenant_id", "code", name=op.f("uq_savings_products_tenant_id_code")),
        sa.UniqueConstraint("tenant_id", "id", name=op.f("uq_savings_products_tenant_id_id")),
    )
    op.create_table(
        "teller_shifts",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("teller_id", sa.BigInteger(), nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("opening_cash", sa.BigInteger(), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("counted_cash", sa.BigInteger(), nullable=True),
        sa.Column("expected_cash", sa.BigInteger(), nullable=True),
        sa.Column("tenant_id", sa.BigInteger(), nullable=False),
        sa.CheckConstraint(
            "(closed_at IS NULL) = (counted_cash IS NULL)", name=op.f("ck_teller_shifts_closed_counted")
        ),
        sa.CheckConstraint(
            "counted_cash IS NULL OR counted_cash >= 0", name=op.f("ck_teller_shifts_counted_not_negative")
        ),
        sa.CheckConstraint("opening_cash >= 0", name=op.f("ck_teller_shifts_opening_not_negative")),
        sa.ForeignKeyConstraint(["teller_id"], ["users.id"], name=op.f("fk_teller_shifts_teller_id_users")),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["cooperatives.id"], name=op.f("fk_teller_shifts_tenant_id_cooperatives")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_teller_shifts")),
        sa.UniqueConstraint("tenant_id", "id", name=op.f("uq_teller_shifts_tenant_id_id")),
    )
    op.create_index(
        "ix_teller_shifts_one_open",
        "teller_shifts",
        ["tenant_id", "teller_id"],
        unique=True,
        postgresql_where=sa.text("closed_at IS NULL"),
    )
    op.create_table(
        "savings_accounts",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("number", sa.String(length=24), nullable=False),
        sa.Column("member_id", sa.BigInteger(), nullable=False),
        sa.Column("product_id", sa.BigInteger(), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("balance", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(length=6), nullable=False),
        sa.Column("opened_on", sa.Date(), nullable=False),
        sa.Column("maturity_on", sa.Date(), nullable=True),
        sa.Column("closed_on", sa.Date(), nullable=True),
        sa.Column("tenant_id", sa.BigInteger(), nullable=False),
        sa.CheckConstraint("status IN ('open', 'closed')", name=op.f("ck_savings_accounts_status_known")),
        sa.CheckConstraint("balance >= 0", name=op.f("ck_savings_accounts_balance_not_negative")),
        sa.ForeignKeyConstraint(
            ["tenant_id", "member_id"],
            ["members.tenant_id", "members.id"],
            name=op.f("fk_savings_accounts_tenant_id_member_id_members"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "product_id"],
            ["savings_products.tenant_id", "savings_products.id"],
            name=op.f("fk_savings_accounts_tenant_id_product_id_savings_products"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["cooperatives.id"], name=op.f("fk_savings_accounts_tenant_id_cooperatives")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_savings_accounts")),
        sa.UniqueConstraint("tenant_id", "id", name=op.f("uq_savings_accounts_tenant_id_id")),
        sa.UniqueConstraint("tenant_id", "number", name=op.f("uq_savings_accounts_tenant_id_number")),
    )
    op.create_index(
        "ix_savings_accounts_one_per_product",
        "savings_accounts",
        ["tenant_id", "member_id", "product_id"],
        unique=True,
        postgresql_where=sa.text("kind <> 'berjangka' AND status = 'open'"),
    )
    op.create_index(
        "ix_savings_accounts_tenant_id_member_id",
        "savings_accounts",
        ["tenant_id", "member_id"],
        unique=False,
    )
    op.create_table(
        "savings_movements",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("account_id", sa.BigInteger(), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("balance_after", sa.BigInteger(), nullable=False),
        sa.Column("occurred_on", sa.Date(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("description", sa.String(length=200), nullable=False),
        sa.Column("idempotency_key", sa.String(length=120), nullable=False),
        sa.Column("journal_entry_id", sa.BigInteger(), nullable=True),
        sa.Column("shift_id", sa.BigInteger(), nullable=True),
        sa.Column("teller_id", sa.BigInteger(), nullable=True),
        sa.Column("approved_by", sa.BigInteger(), nullable=True),
        sa.Column("tenant_id", sa.BigInteger(), nullable=False),
        sa.CheckConstraint(
            "kind IN ('deposit', 'withdrawal', 'interest', 'tax')",
            name=op.f("ck_savings_movements_kind_known"),
        ),
        sa.CheckConstraint("amount > 0", name=op.f("ck_savings_movements_amount_positive")),
        sa.CheckConstraint(
            "balance_after >= 0", name=op.f("ck_savings_movements_balance_after_not_negative")
        ),
        sa.ForeignKeyConstraint(
            ["approved_by"], ["users.id"], name=op.f("fk_savings_movements_approved_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["teller_id"], ["users.id"], name=op.f("fk_savings_movements_teller_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "account_id"],
            ["savings_accounts.tenant_id", "savings_accounts.id"],
            name=op.f("fk_savings_movements_tenant_id_account_id_savings_accounts"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "journal_entry_id"],
            ["journal_entries.tenant_id", "journal_entries.id"],
            name=op.f("fk_savings_movements_tenant_id_journal_entry_id_journal_entries"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "shift_id"],
            ["teller_shifts.tenant_id", "teller_shifts.id"],
            name=op.f("fk_savings_movements_tenant_id_shift_id_teller_shifts"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["cooperatives.id"], name=op.f("fk_savings_movements_tenant_id_cooperatives")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_savings_movements")),
        sa.UniqueConstraint("tenant_id", "id", name=op.f("uq_savings_movements_tenant_id_id")),
        sa.UniqueConstraint(
            "tenant_id", "idempotency_key", name=op.f("uq_savings_movements_tenant_id_idempotency_key")
        ),
    )
    op.create_index(
        "ix_savings_movements_tenant_id_account_id_id",
        "savings_movements",
        ["tenant_id", "account_id", "id"],
        unique=False,
    )
    op.create_index(
        "ix_savings_movements_tenant_id_occurred_on",
        "savings_movements",
        ["tenant_id", "occurred_on"],
        unique=False,
    )
    op.create_table(
        "withdrawal_requests",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("account_id", sa.BigInteger(), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("note", sa.String(length=200), nullable=True),
        sa.Column("status", sa.String(length=8), nullable=False),
        sa.Column("requested_by", sa.BigInteger(), nullable=True),
        sa.Column(
            "requested_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
        ),
        sa.Column("decided_by", sa.BigInteger(), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("movement_id", sa.BigInteger(), nullable=True),
        sa.Column("tenant_id", sa.BigInteger(), nullable=False),
        sa.CheckConstraint(
            "status IN ('pending', 'approved', 'paid', 'rejected')",
            name=op.f("ck_withdrawal_requests_status_known"),
        ),
        sa.CheckConstraint("amount > 0", name=op.f("ck_withdrawal_requests_amount_positive")),
        sa.CheckConstraint(
            "decided_by IS NULL OR decided_by <> requested_by", name=op.f("ck_withdrawal_requests_four_eyes")
        ),
        sa.ForeignKeyConstraint(
            ["decided_by"], ["users.id"], name=op.f("fk_withdrawal_requests_decided_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["requested_by"], ["users.id"], name=op.f("fk_withdrawal_requests_requested_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "account_id"],
            ["savings_accounts.tenant_id", "savings_accounts.id"],
            name=op.f("fk_withdrawal_requests_tenant_id_account_id_savings_accounts"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "movement_id"],
            ["savings_movements.tenant_id", "savings_movements.id"],
            name=op.f("fk_withdrawal_requests_tenant_id_movement_id_savings_movements"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["cooperatives.id"], name=op.f("fk_withdrawal_requests_tenant_id_cooperatives")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_withdrawal_requests")),
        sa.UniqueConstraint("tenant_id", "id", name=op.f("uq_withdrawal_requests_tenant_id_id")),
    )
    op.create_index(
        "ix_withdrawal_requests_tenant_id_status",
        "withdrawal_requests",
        ["tenant_id", "status"],
        unique=False,
    )
    for table in TENANT_TABLES:
        for statement in enable_tenant_rls(table):
            op.execute(statement)
    for statement in append_only("savings_movements"):
        op.execute(statement)


def downgrade() -> None:
    for table in reversed(TENANT_TABLES):
        op.drop_table(table)
