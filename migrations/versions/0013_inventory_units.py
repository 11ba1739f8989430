"""inventory units

Revision ID: 0013_inventory_units
Revises: 0012_inventory_reservations

Bigger units per product (karung 50 kg, dus of 40 pcs) with a whole factor of base units and an
optional barcode of their own.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from tenants.rls import enable_tenant_rls

revision: str = "0013_inventory_units"
down_revision: str | None = "0012_inventory_reservations"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "inventory_product_units",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("product_id", sa.BigInteger(), nullable=False),
        sa.Column("name", sa.String(length=20), nullable=False),
        sa.Column("factor", sa.BigInteger(), nullable=False),
        sa.Column("code", sa.String(length=20), nullable=True),
        sa.Column("tenant_id", sa.BigInteger(), nullable=False),
        sa.CheckConstraint("factor > 1", name=op.f("ck_inventory_product_units_factor_above_one")),
        sa.ForeignKeyConstraint(
            ["tenant_id", "product_id"],
            ["inventory_products.tenant_id", "inventory_products.id"],
            name=op.f("fk_inventory_product_units_tenant_id_product_id_inventory_products"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["cooperatives.id"], name=op.f("fk_inventory_product_units_tenant_id_cooperatives")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inventory_product_units")),
        sa.UniqueConstraint("tenant_id", "code", name=op.f("uq_inventory_product_units_tenant_id_code")),
        sa.UniqueConstraint("tenant_id", "id", name=op.f("uq_inventory_product_units_tenant_id_id")),
        sa.UniqueConstraint(
            "tenant_id",
            "product_id",
            "name",
            name=op.f("uq_inventory_product_units_tenant_id_product_id_name"),
        ),
    )
    for statement in enable_tenant_rls("inventory_product_units"):
        op.execute(statement)


def downgrade() -> None:
    op.drop_table("inventory_product_units")
