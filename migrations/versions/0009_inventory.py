"""inventory

Revision ID: 0009
Revises: 0008

Sembako products (HET cap), locations, on-hand balances and the append-only stock-move ledger,
all under forced row-level security.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from tenants.rls import append_only, enable_tenant_rls

TENANT_TABLES = ("inventory_locations", "inventory_products", "inventory_balances", "inventory_moves")

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "inventory_locations",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("code", sa.String(length=20), nullable=False),
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("tenant_id", sa.BigInteger(), nullable=False),
        sa.CheckConstraint("kind IN ('gerai', 'gudang')", name=op.f("ck_inventory_locations_kind_known")),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["cooperatives.id"], name=op.f("fk_inventory_locations_tenant_id_cooperatives")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inventory_locations")),
        sa.UniqueConstraint("tenant_id", "code", name=op.f("uq_inventory_locations_tenant_id_code")),
        sa.UniqueConstraint("tenant_id", "id", name=op.f("uq_inventory_locations_tenant_id_id")),
    )
    op.create_table(
        "inventory_products",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("code", sa.String(length=20), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("category", sa.String(length=40), nullable=False),
        sa.Column("unit", sa.String(length=20), nullable=False),
        sa.Column("price", sa.BigInteger(), nullable=False),
        sa.Column("het", sa.BigInteger(), nullable=True),
        sa.Column("active", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.Column("tenant_id", sa.BigInteger(), nullable=False),
        sa.CheckConstraint("het IS NULL OR het > 0", name=op.f("ck_inventory_products_het_positive")),
        sa.CheckConstraint(
            "het IS NULL OR price <= het", name=op.f("ck_inventory_products_price_within_het")
        ),
        sa.CheckConstraint("price > 0", name=op.f("ck_inventory_products_price_positive")),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["cooperatives.id"], name=op.f("fk_inventory_products_tenant_id_cooperatives")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inventory_products")),
        sa.UniqueConstraint("tenant_id", "code", name=op.f("uq_inventory_products_tenant_id_code")),
        sa.UniqueConstraint("tenant_id", "id", name=op.f("uq_inventory_products_tenant_id_id")),
    )
    op.create_table(
        "inventory_balances",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("product_id", sa.BigInteger(), nullable=False),
        sa.Column("location_id", sa.BigInteger(), nullable=False),
        sa.Column("quantity", sa.BigInteger(), nullable=False),
        sa.Column("value", sa.BigInteger(), nullable=False),
        sa.Column("tenant_id", sa.BigInteger(), nullable=False),
        sa.CheckConstraint(
            "quantity > 0 OR value = 0", name=op.f("ck_inventory_balances_no_value_without_stock")
        ),
        sa.CheckConstraint("quantity >= 0", name=op.f("ck_inventory_balances_quantity_not_negative")),
        sa.CheckConstraint("value >= 0", name=op.f("ck_inventory_balances_value_not_negative")),
        sa.ForeignKeyConstraint(
            ["tenant_id", "location_id"],
            ["inventory_locations.tenant_id", "inventory_locations.id"],
            name=op.f("fk_inventory_balances_tenant_id_location_id_inventory_locations"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "product_id"],
            ["inventory_products.tenant_id", "inventory_products.id"],
            name=op.f("fk_inventory_balances_tenant_id_product_id_inventory_products"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["cooperatives.id"], name=op.f("fk_inventory_balances_tenant_id_cooperatives")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inventory_balances")),
        sa.UniqueConstraint("tenant_id", "id", name=op.f("uq_inventory_balances_tenant_id_id")),
        sa.UniqueConstraint(
            "tenant_id",
            "product_id",
            "location_id",
            name=op.f("uq_inventory_balances_tenant_id_product_id_location_id"),
        ),
    )
    op.create_table(
        "inventory_moves",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("product_id", sa.BigInteger(), nullable=False),
        sa.Column("location_id", sa.BigInteger(), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("quantity", sa.BigInteger(), nullable=False),
        sa.Column("value", sa.BigInteger(), nullable=False),
        sa.Column("quantity_after", sa.BigInteger(), nullable=False),
        sa.Column("value_after", sa.BigInteger(), nullable=False),
        sa.Column("occurred_on", sa.Date(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("description", sa.String(length=200), nullable=False),
        sa.Column("idempotency_key", sa.String(length=120), nullable=False),
        sa.Column("journal_entry_id", sa.BigInteger(), nullable=True),
        sa.Column("user_id", sa.BigInteger(), nullable=True),
        sa.Column("tenant_id", sa.BigInteger(), nullable=False),
        sa.CheckConstraint(
            "kind IN ('receipt', 'sale', 'adjustment')", name=op.f("ck_inventory_moves_kind_known")
        ),
        sa.CheckConstraint("quantity <> 0", name=op.f("ck_inventory_moves_quantity_not_zero")),
        sa.CheckConstraint(
            "quantity_after >= 0", name=op.f("ck_inventory_moves_quantity_after_not_negative")
        ),
        sa.CheckConstraint("value_after >= 0", name=op.f("ck_inventory_moves_value_after_not_negative")),
        sa.ForeignKeyConstraint(
            ["tenant_id", "journal_entry_id"],
            ["journal_entries.tenant_id", "journal_entries.id"],
            name=op.f("fk_inventory_moves_tenant_id_journal_entry_id_journal_entries"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "location_id"],
            ["inventory_locations.tenant_id", "inventory_locations.id"],
            name=op.f("fk_inventory_moves_tenant_id_location_id_inventory_locations"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "product_id"],
            ["inventory_products.tenant_id", "inventory_products.id"],
            name=op.f("fk_inventory_moves_tenant_id_product_id_inventory_products"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["cooperatives.id"], name=op.f("fk_inventory_moves_tenant_id_cooperatives")
        ),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_inventory_moves_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inventory_moves")),
        sa.UniqueConstraint("tenant_id", "id", name=op.f("uq_inventory_moves_tenant_id_id")),
        sa.UniqueConstraint(
            "tenant_id", "idempotency_key", name=op.f("uq_inventory_moves_tenant_id_idempotency_key")
        ),
    )
    op.create_index(
        "ix_inventory_moves_tenant_id_product_id_id",
        "inventory_moves",
        ["tenant_id", "product_id", "id"],
        unique=False,
    )
    for table in TENANT_TABLES:
        for statement in enable_tenant_rls(table):
            op.execute(statement)
    for statement in append_only("inventory_moves"):
        op.execute(statement)


def downgrade() -> None:
    for table in reversed(TENANT_TABLES):
        op.drop_table(table)
