"""kophub returns

Revision ID: 0028_kophub_returns
Revises: 0027_kophub_payouts

A buyer's return of some units of some lines of a delivered order, the cooperative's decision and
the partial refund (returns and their lines under forced row-level security); the return window
in the Kophub settings.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from tenants.rls import enable_tenant_rls

revision: str = "0028_kophub_returns"
down_revision: str | None = "0027_kophub_payouts"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TENANT_TABLES = ("marketplace_returns", "marketplace_return_lines")


def upgrade() -> None:
    op.add_column(
        "marketplace_settings",
        sa.Column("return_window_days", sa.Integer(), server_default="7", nullable=False),
    )
    op.create_check_constraint(
        op.f("ck_marketplace_settings_return_window_range"),
        "marketplace_settings",
        "return_window_days BETWEEN 1 AND 30",
    )
    op.create_table(
        "marketplace_returns",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("order_id", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("reason", sa.String(length=300), nullable=False),
        sa.Column("photo_key", sa.String(length=200), nullable=True),
        sa.Column("photo_type", sa.String(length=40), nullable=True),
        sa.Column("photo_size", sa.Integer(), nullable=True),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("fee_back", sa.BigInteger(), nullable=False),
        sa.Column("cost_back", sa.BigInteger(), nullable=False),
        sa.Column("disposition", sa.String(length=8), nullable=True),
        sa.Column("refusal_reason", sa.String(length=300), nullable=True),
        sa.Column("refund_reference", sa.String(length=80), nullable=True),
        sa.Column("requested_by", sa.BigInteger(), nullable=True),
        sa.Column("decided_by", sa.BigInteger(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("refunded_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("tenant_id", sa.BigInteger(), nullable=False),
        sa.CheckConstraint(
            "disposition IS NULL OR disposition IN ('stok', 'hapus')",
            name=op.f("ck_marketplace_returns_disposition_known"),
        ),
        sa.CheckConstraint(
            "photo_key IS NULL OR (photo_type IN ('image/jpeg', 'image/png') AND photo_size BETWEEN 1 AND 2097152)",
            name=op.f("ck_marketplace_returns_photo_valid"),
        ),
        sa.CheckConstraint(
            "status <> 'ditolak' OR refusal_reason IS NOT NULL",
            name=op.f("ck_marketplace_returns_refusal_has_reason"),
        ),
        sa.CheckConstraint(
            "status <> 'selesai' OR (refund_reference IS NOT NULL AND refunded_at IS NOT NULL)",
            name=op.f("ck_marketplace_returns_refunded_has_reference"),
        ),
        sa.CheckConstraint(
            "status IN ('diajukan', 'ditolak', 'disetujui', 'selesai')",
            name=op.f("ck_marketplace_returns_status_known"),
        ),
        sa.CheckConstraint(
            "status NOT IN ('disetujui', 'selesai') OR (disposition IS NOT NULL AND decided_at IS NOT NULL)",
            name=op.f("ck_marketplace_returns_accepted_is_decided"),
        ),
        sa.CheckConstraint("amount > 0", name=op.f("ck_marketplace_returns_amount_positive")),
        sa.CheckConstraint(
            "fee_back >= 0 AND cost_back >= 0", name=op.f("ck_marketplace_returns_backs_not_negative")
        ),
        sa.ForeignKeyConstraint(
            ["decided_by"], ["users.id"], name=op.f("fk_marketplace_returns_decided_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["requested_by"], ["users.id"], name=op.f("fk_marketplace_returns_requested_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "order_id"],
            ["marketplace_orders.tenant_id", "marketplace_orders.id"],
            name=op.f("fk_marketplace_returns_tenant_id_order_id_marketplace_orders"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["cooperatives.id"], name=op.f("fk_marketplace_returns_tenant_id_cooperatives")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_marketplace_returns")),
        sa.UniqueConstraint("tenant_id", "id", name=op.f("uq_marketplace_returns_tenant_id_id")),
    )
    op.create_index(
        "ix_marketplace_returns_tenant_id_order_id",
        "marketplace_returns",
        ["tenant_id", "order_id"],
        unique=False,
    )
    op.create_index(
        "ix_marketplace_returns_tenant_id_status",
        "marketplace_returns",
        ["tenant_id", "status"],
        unique=False,
    )
    op.create_table(
        "marketplace_return_lines",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("return_id", sa.BigInteger(), nullable=False),
        sa.Column("order_line_id", sa.BigInteger(), nullable=False),
        sa.Column("quantity", sa.BigInteger(), nullable=False),
        sa.Column("unit_price", sa.BigInteger(), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("cost_back", sa.BigInteger(), nullable=False),
        sa.Column("tenant_id", sa.BigInteger(), nullable=False),
        sa.CheckConstraint(
            "amount = quantity * unit_price",
            name=op.f("ck_marketplace_return_lines_amount_is_quantity_times_price"),
        ),
        sa.CheckConstraint("cost_back >= 0", name=op.f("ck_marketplace_return_lines_cost_back_not_negative")),
        sa.CheckConstraint("quantity > 0", name=op.f("ck_marketplace_return_lines_quantity_positive")),
        sa.ForeignKeyConstraint(
            ["tenant_id", "order_line_id"],
            ["marketplace_order_lines.tenant_id", "marketplace_order_lines.id"],
            name=op.f("fk_marketplace_return_lines_tenant_id_order_line_id_marketplace_order_lines"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "return_id"],
            ["marketplace_returns.tenant_id", "marketplace_returns.id"],
            name=op.f("fk_marketplace_return_lines_tenant_id_return_id_marketplace_returns"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["cooperatives.id"],
            name=op.f("fk_marketplace_return_lines_tenant_id_cooperatives"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_marketplace_return_lines")),
        sa.UniqueConstraint("tenant_id", "id", name=op.f("uq_marketplace_return_lines_tenant_id_id")),
        sa.UniqueConstraint(
            "tenant_id",
            "return_id",
            "order_line_id",
            name=op.f("uq_marketplace_return_lines_tenant_id_return_id_order_line_id"),
        ),
    )
    op.create_index(
        "ix_marketplace_return_lines_tenant_id_order_line_id",
        "marketplace_return_lines",
        ["tenant_id", "order_line_id"],
        unique=False,
    )
    for table in TENANT_TABLES:
        for statement in enable_tenant_rls(table):
            op.execute(statement)


def downgrade() -> None:
    op.drop_table("marketplace_return_lines")
    op.drop_table("marketplace_returns")
    op.drop_constraint(
        op.f("ck_marketplace_settings_return_window_range"), "marketplace_settings", type_="check"
    )
    op.drop_column("marketplace_settings", "return_window_days")
