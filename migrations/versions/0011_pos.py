"""pos

Revision ID: 0011
Revises: 0010

Sales at the gerai counter and their lines, append-only, under forced row-level security.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from tenants.rls import append_only, enable_tenant_rls

TENANT_TABLES = ("pos_sales", "pos_sale_lines")

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "pos_sales",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("location_id", sa.BigInteger(), nullable=False),
        sa.Column("member_id", sa.BigInteger(), nullable=True),
        sa.Column("kasir_id", sa.BigInteger(), nullable=True),
        sa.Column("sold_on", sa.Date(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("total", sa.BigInteger(), nullable=False),
        sa.Column("cost", sa.BigInteger(), nullable=False),
        sa.Column("payment_method", sa.String(length=10), nullable=False),
        sa.Column("paid", sa.BigInteger(), nullable=False),
        sa.Column("change", sa.BigInteger(), nullable=False),
        sa.Column("payment_reference", sa.String(length=60), nullable=True),
        sa.Column("idempotency_key", sa.String(length=120), nullable=False),
        sa.Column("journal_entry_id", sa.BigInteger(), nullable=False),
        sa.Column("tenant_id", sa.BigInteger(), nullable=False),
        sa.CheckConstraint(
            "payment_method = 'tunai' OR (payment_reference IS NOT NULL AND change = 0)",
            name=op.f("ck_pos_sales_non_cash_referenced"),
        ),
        sa.CheckConstraint(
            "payment_method IN ('tunai', 'qris', 'transfer')", name=op.f("ck_pos_sales_method_known")
        ),
        sa.CheckConstraint("cost >= 0", name=op.f("ck_pos_sales_cost_not_negative")),
        sa.CheckConstraint("paid >= total AND change = paid - total", name=op.f("ck_pos_sales_paid_in_full")),
        sa.CheckConstraint("total > 0", name=op.f("ck_pos_sales_total_positive")),
        sa.ForeignKeyConstraint(["kasir_id"], ["users.id"], name=op.f("fk_pos_sales_kasir_id_users")),
        sa.ForeignKeyConstraint(
            ["tenant_id", "journal_entry_id"],
            ["journal_entries.tenant_id", "journal_entries.id"],
            name=op.f("fk_pos_sales_tenant_id_journal_entry_id_journal_entries"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "location_id"],
            ["inventory_locations.tenant_id", "inventory_locations.id"],
            name=op.f("fk_pos_sales_tenant_id_location_id_inventory_locations"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "member_id"],
            ["members.tenant_id", "members.id"],
            name=op.f("fk_pos_sales_tenant_id_member_id_members"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["cooperatives.id"], name=op.f("fk_pos_sales_tenant_id_cooperatives")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pos_sales")),
        sa.UniqueConstraint("tenant_id", "id", name=op.f("uq_pos_sales_tenant_id_id")),
        sa.UniqueConstraint(
            "tenant_id", "idempotency_key", name=op.f("uq_pos_sales_tenant_id_idempotency_key")
        ),
    )
    op.create_index(
        "ix_pos_sales_tenant_id_member_id_sold_on",
        "pos_sales",
        ["tenant_id", "member_id", "sold_on"],
        unique=False,
    )
    op.create_index("ix_pos_sales_tenant_id_sold_on", "pos_sales", ["tenant_id", "sold_on"], unique=False)
    op.create_table(
        "pos_sale_lines",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("sale_id", sa.BigInteger(), nullable=False),
        sa.Column("product_id", sa.BigInteger(), nullable=False),
        sa.Column("quantity", sa.BigInteger(), nullable=False),
        sa.Column("price", sa.BigInteger(), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("cost", sa.BigInteger(), nullable=False),
        sa.Column("tenant_id", sa.BigInteger(), nullable=False),
        sa.CheckConstraint(
            "amount = quantity * price", name=op.f("ck_pos_sale_lines_amount_is_quantity_times_price")
        ),
        sa.CheckConstraint("cost >= 0", name=op.f("ck_pos_sale_lines_cost_not_negative")),
        sa.CheckConstraint("price > 0", name=op.f("ck_pos_sale_lines_price_positive")),
        sa.CheckConstraint("quantity > 0", name=op.f("ck_pos_sale_lines_quantity_positive")),
        sa.ForeignKeyConstraint(
            ["tenant_id", "product_id"],
            ["inventory_products.tenant_id", "inventory_products.id"],
            name=op.f("fk_pos_sale_lines_tenant_id_product_id_inventory_products"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "sale_id"],
            ["pos_sales.tenant_id", "pos_sales.id"],
            name=op.f("fk_pos_sale_lines_tenant_id_sale_id_pos_sales"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["cooperatives.id"], name=op.f("fk_pos_sale_lines_tenant_id_cooperatives")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pos_sale_lines")),
        sa.UniqueConstraint("tenant_id", "id", name=op.f("uq_pos_sale_lines_tenant_id_id")),
    )
    op.create_index(
        "ix_pos_sale_lines_tenant_id_sale_id", "pos_sale_lines", ["tenant_id", "sale_id"], unique=False
    )
    for table in TENANT_TABLES:
        for statement in enable_tenant_rls(table):
            op.execute(statement)
        for statement in append_only(table):
            op.execute(statement)


def downgrade() -> None:
    for table in reversed(TENANT_TABLES):
        op.drop_table(table)
