"""inventory reservations

Revision ID: 0012_inventory_reservations
Revises: 0011

Kophub orders hold stock: a `reserved` count on each balance (never more than on hand) and the
reservations themselves (active, released or fulfilled into a 'kophub' sale move).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from tenants.rls import enable_tenant_rls

revision: str = "0012_inventory_reservations"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

KINDS_BEFORE = "kind IN ('receipt', 'sale', 'adjustment')"
KINDS_AFTER = "kind IN ('receipt', 'sale', 'adjustment', 'kophub')"


def upgrade() -> None:
    op.add_column(
        "inventory_balances",
        sa.Column("reserved", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
    )
    op.create_check_constraint(
        op.f("ck_inventory_balances_reserved_within_quantity"),
        "inventory_balances",
        "reserved >= 0 AND reserved <= quantity",
    )
    op.drop_constraint(op.f("ck_inventory_moves_kind_known"), "inventory_moves", type_="check")
    op.create_check_constraint(op.f("ck_inventory_moves_kind_known"), "inventory_moves", KINDS_AFTER)
    op.create_table(
        "inventory_reservations",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("product_id", sa.BigInteger(), nullable=False),
        sa.Column("location_id", sa.BigInteger(), nullable=False),
        sa.Column("quantity", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("idempotency_key", sa.String(length=120), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("move_id", sa.BigInteger(), nullable=True),
        sa.Column("tenant_id", sa.BigInteger(), nullable=False),
        sa.CheckConstraint(
            "(status = 'fulfilled') = (move_id IS NOT NULL)",
            name=op.f("ck_inventory_reservations_fulfilled_has_move"),
        ),
        sa.CheckConstraint("quantity > 0", name=op.f("ck_inventory_reservations_quantity_positive")),
        sa.CheckConstraint(
            "status IN ('active', 'released', 'fulfilled')",
            name=op.f("ck_inventory_reservations_status_known"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "location_id"],
            ["inventory_locations.tenant_id", "inventory_locations.id"],
            name=op.f("fk_inventory_reservations_tenant_id_location_id_inventory_locations"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "move_id"],
            ["inventory_moves.tenant_id", "inventory_moves.id"],
            name=op.f("fk_inventory_reservations_tenant_id_move_id_inventory_moves"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "product_id"],
            ["inventory_products.tenant_id", "inventory_products.id"],
            name=op.f("fk_inventory_reservations_tenant_id_product_id_inventory_products"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["cooperatives.id"], name=op.f("fk_inventory_reservations_tenant_id_cooperatives")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inventory_reservations")),
        sa.UniqueConstraint("tenant_id", "id", name=op.f("uq_inventory_reservations_tenant_id_id")),
        sa.UniqueConstraint(
            "tenant_id", "idempotency_key", name=op.f("uq_inventory_reservations_tenant_id_idempotency_key")
        ),
    )
    op.create_index(
        "ix_inventory_reservations_tenant_id_product_id_location_id",
        "inventory_reservations",
        ["tenant_id", "product_id", "location_id"],
        unique=False,
    )
    for statement in enable_tenant_rls("inventory_reservations"):
        op.execute(statement)


def downgrade() -> None:
    op.drop_table("inventory_reservations")
    op.execute("DELETE FROM inventory_moves WHERE kind = 'kophub'")
    op.drop_constraint(op.f("ck_inventory_moves_kind_known"), "inventory_moves", type_="check")
    op.create_check_constraint(op.f("ck_inventory_moves_kind_known"), "inventory_moves", KINDS_BEFORE)
    op.drop_constraint(
        op.f("ck_inventory_balances_reserved_within_quantity"), "inventory_balances", type_="check"
    )
    op.drop_column("inventory_balances", "reserved")
