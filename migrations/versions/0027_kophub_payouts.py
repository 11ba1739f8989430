"""kophub payouts

Revision ID: 0027_kophub_payouts
Revises: 0026_purchasing

What Kophub holds for each cooperative from orders paid through the platform (one settlement row
per order, the mirror of Piutang Kophub in the cooperative's books), the payouts that send it to
the cooperative's bank and their lines; the holding period of completed orders in the settings.
Settlement rows are filled for card payments already received.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0027_kophub_payouts"
down_revision: str | None = "0026_purchasing"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "marketplace_settings",
        sa.Column("payout_hold_days", sa.Integer(), server_default="7", nullable=False),
    )
    op.create_check_constraint(
        op.f("ck_marketplace_settings_hold_range"),
        "marketplace_settings",
        "payout_hold_days BETWEEN 0 AND 60",
    )
    op.create_table(
        "marketplace_settlements",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("cooperative_id", sa.BigInteger(), nullable=False),
        sa.Column("order_id", sa.BigInteger(), nullable=False),
        sa.Column("order_number", sa.String(length=20), nullable=False),
        sa.Column("received", sa.BigInteger(), nullable=False),
        sa.Column("fee", sa.BigInteger(), nullable=False),
        sa.Column("refunded", sa.BigInteger(), nullable=False),
        sa.Column("allocated", sa.BigInteger(), nullable=False),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint(
            "received >= 0 AND fee >= 0 AND refunded >= 0",
            name=op.f("ck_marketplace_settlements_amounts_not_negative"),
        ),
        sa.CheckConstraint(
            "fee + refunded <= received", name=op.f("ck_marketplace_settlements_within_received")
        ),
        sa.ForeignKeyConstraint(
            ["cooperative_id", "order_id"],
            ["marketplace_orders.tenant_id", "marketplace_orders.id"],
            name=op.f("fk_marketplace_settlements_cooperative_id_order_id_marketplace_orders"),
        ),
        sa.ForeignKeyConstraint(
            ["cooperative_id"],
            ["cooperatives.id"],
            name=op.f("fk_marketplace_settlements_cooperative_id_cooperatives"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_marketplace_settlements")),
        sa.UniqueConstraint(
            "cooperative_id", "order_id", name=op.f("uq_marketplace_settlements_cooperative_id_order_id")
        ),
    )
    op.create_index(
        "ix_marketplace_settlements_open",
        "marketplace_settlements",
        ["cooperative_id", "completed_at"],
        unique=False,
        postgresql_where=sa.text("received - fee - refunded - allocated <> 0"),
    )
    op.create_table(
        "marketplace_payouts",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("cooperative_id", sa.BigInteger(), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("bank_name", sa.String(length=60), nullable=False),
        sa.Column("bank_account", sa.String(length=20), nullable=False),
        sa.Column("bank_account_name", sa.String(length=160), nullable=False),
        sa.Column("bank_reference", sa.String(length=60), nullable=True),
        sa.Column("transfer_date", sa.Date(), nullable=True),
        sa.Column("created_by", sa.BigInteger(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("transferred_by", sa.BigInteger(), nullable=True),
        sa.Column("transferred_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("cancel_reason", sa.String(length=200), nullable=True),
        sa.CheckConstraint("amount > 0", name=op.f("ck_marketplace_payouts_amount_positive")),
        sa.CheckConstraint(
            "status IN ('dibuat', 'ditransfer', 'dibatalkan')",
            name=op.f("ck_marketplace_payouts_status_known"),
        ),
        sa.CheckConstraint(
            "status <> 'ditransfer' OR (bank_reference IS NOT NULL AND transferred_at IS NOT NULL "
            "AND transfer_date IS NOT NULL)",
            name=op.f("ck_marketplace_payouts_transferred_has_reference"),
        ),
        sa.ForeignKeyConstraint(
            ["cooperative_id"],
            ["cooperatives.id"],
            name=op.f("fk_marketplace_payouts_cooperative_id_cooperatives"),
        ),
        sa.ForeignKeyConstraint(
            ["created_by"], ["users.id"], name=op.f("fk_marketplace_payouts_created_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["transferred_by"], ["users.id"], name=op.f("fk_marketplace_payouts_transferred_by_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_marketplace_payouts")),
    )
    op.create_index(
        "ix_marketplace_payouts_cooperative_id_id",
        "marketplace_payouts",
        ["cooperative_id", "id"],
        unique=False,
    )
    op.create_index(
        "ix_marketplace_payouts_status",
        "marketplace_payouts",
        ["status"],
        unique=False,
        postgresql_where=sa.text("status = 'dibuat'"),
    )
    op.create_table(
        "marketplace_payout_lines",
        sa.Column("payout_id", sa.BigInteger(), nullable=False),
        sa.Column("order_id", sa.BigInteger(), nullable=False),
        sa.Column("cooperative_id", sa.BigInteger(), nullable=False),
        sa.Column("order_number", sa.String(length=20), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.CheckConstraint("amount <> 0", name=op.f("ck_marketplace_payout_lines_amount_not_zero")),
        sa.ForeignKeyConstraint(
            ["cooperative_id", "order_id"],
            ["marketplace_orders.tenant_id", "marketplace_orders.id"],
            name=op.f("fk_marketplace_payout_lines_cooperative_id_order_id_marketplace_orders"),
        ),
        sa.ForeignKeyConstraint(
            ["cooperative_id"],
            ["cooperatives.id"],
            name=op.f("fk_marketplace_payout_lines_cooperative_id_cooperatives"),
        ),
        sa.ForeignKeyConstraint(
            ["payout_id"],
            ["marketplace_payouts.id"],
            name=op.f("fk_marketplace_payout_lines_payout_id_marketplace_payouts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("payout_id", "order_id", name=op.f("pk_marketplace_payout_lines")),
    )
    # card payments received before this revision: what Kophub holds for them (the migration runs
    # as the owner, so it reads every cooperative's orders)
    op.execute(
        """
        INSERT INTO marketplace_settlements
            (cooperative_id, order_id, order_number, received, fee, refunded, allocated, completed_at)
        SELECT o.tenant_id, o.id, o.number, p.amount,
               CASE WHEN o.shipped_at IS NOT NULL THEN o.fee ELSE 0 END,
               p.refunded, 0,
               CASE WHEN o.status = 'selesai' THEN o.closed_at END
        FROM marketplace_payments p
        JOIN marketplace_orders o ON o.tenant_id = p.tenant_id AND o.id = p.order_id
        WHERE p.provider = 'stripe' AND p.status IN ('lunas', 'dikembalikan')
        """
    )


def downgrade() -> None:
    op.drop_table("marketplace_payout_lines")
    op.drop_index("ix_marketplace_payouts_status", table_name="marketplace_payouts")
    op.drop_index("ix_marketplace_payouts_cooperative_id_id", table_name="marketplace_payouts")
    op.drop_table("marketplace_payouts")
    op.drop_index("ix_marketplace_settlements_open", table_name="marketplace_settlements")
    op.drop_table("marketplace_settlements")
    op.drop_constraint(op.f("ck_marketplace_settings_hold_range"), "marketplace_settings", type_="check")
    op.drop_column("marketplace_settings", "payout_hold_days")
