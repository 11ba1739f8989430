"""inventory lots with expiry

Revision ID: 0025_inventory_lots
Revises: 0024_loan_cob_portfolio

Products that track lots keep their stock per batch with its expiry (first-expiry-first-out);
each move names its lot; customer returns and stock opname get their own move kinds.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from tenants.rls import enable_tenant_rls

revision: str = "0025_inventory_lots"
down_revision: str | None = "0024_loan_cob_portfolio"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

KINDS_BEFORE = "kind IN ('receipt', 'sale', 'adjustment', 'kophub', 'transfer')"
KINDS_AFTER = "kind IN ('receipt', 'sale', 'adjustment', 'kophub', 'transfer', 'return', 'opname')"


def upgrade() -> None:
    op.add_column(
        "inventory_products",
        sa.Column("tracks_lots", sa.Boolean(), server_default=sa.text("false"), nullable=False),
    )
    op.create_table(
        "inventory_lots",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("product_id", sa.BigInteger(), nullable=False),
        sa.Column("location_id", sa.BigInteger(), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("expires_on", sa.Date(), nullable=True),
        sa.Column("quantity", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("tenant_id", sa.BigInteger(), nullable=False),
        sa.CheckConstraint("quantity >= 0", name=op.f("ck_inventory_lots_quantity_not_negative")),
        sa.ForeignKeyConstraint(
            ["tenant_id", "location_id"],
            ["inventory_locations.tenant_id", "inventory_locations.id"],
            name=op.f("fk_inventory_lots_tenant_id_location_id_inventory_locations"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "product_id"],
            ["inventory_products.tenant_id", "inventory_products.id"],
            name=op.f("fk_inventory_lots_tenant_id_product_id_inventory_products"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["cooperatives.id"], name=op.f("fk_inventory_lots_tenant_id_cooperatives")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inventory_lots")),
        sa.UniqueConstraint("tenant_id", "id", name=op.f("uq_inventory_lots_tenant_id_id")),
        sa.UniqueConstraint(
            "tenant_id",
            "product_id",
            "location_id",
            "code",
            name=op.f("uq_inventory_lots_tenant_id_product_id_location_id_code"),
        ),
    )
    op.create_index(
        "ix_inventory_lots_tenant_id_expires_on", "inventory_lots", ["tenant_id", "expires_on"], unique=False
    )
    for statement in enable_tenant_rls("inventory_lots"):
        op.execute(statement)
    op.add_column("inventory_moves", sa.Column("lot_id", sa.BigInteger(), nullable=True))
    op.create_foreign_key(
        op.f("fk_inventory_moves_tenant_id_lot_id_inventory_lots"),
        "inventory_moves",
        "inventory_lots",
        ["tenant_id", "lot_id"],
        ["tenant_id", "id"],
    )
    op.drop_constraint(op.f("ck_inventory_moves_kind_known"), "inventory_moves", type_="check")
    op.create_check_constraint(op.f("ck_inventory_moves_kind_known"), "inventory_moves", KINDS_AFTER)


def downgrade() -> None:
    op.execute("ALTER TABLE inventory_moves DISABLE TRIGGER inventory_moves_append_only")
    op.execute("DELETE FROM inventory_moves WHERE kind IN ('return', 'opname')")
    op.execute("ALTER TABLE inventory_moves ENABLE TRIGGER inventory_moves_append_only")
    op.drop_constraint(op.f("ck_inventory_moves_kind_known"), "inventory_moves", type_="check")
    op.create_check_constraint(op.f("ck_inventory_moves_kind_known"), "inventory_moves", KINDS_BEFORE)
    op.drop_constraint(
        op.f("fk_inventory_moves_tenant_id_lot_id_inventory_lots"), "inventory_moves", type_="foreignkey"
    )
    op.drop_column("inventory_moves", "lot_id")
    op.drop_index("ix_inventory_lots_tenant_id_expires_on", table_name="inventory_lots")
    op.drop_table("inventory_lots")
    op.drop_column("inventory_products", "tracks_lots")
