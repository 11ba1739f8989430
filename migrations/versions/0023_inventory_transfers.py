"""inventory transfers and reorder points

Revision ID: 0023_inventory_transfers
Revises: 0022_loans_bank

Stock moved between locations as a pair of 'transfer' moves; a reorder point per product.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0023_inventory_transfers"
down_revision: str | None = "0022_loans_bank"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

KINDS_BEFORE = "kind IN ('receipt', 'sale', 'adjustment', 'kophub')"
KINDS_AFTER = "kind IN ('receipt', 'sale', 'adjustment', 'kophub', 'transfer')"


def upgrade() -> None:
    op.drop_constraint(op.f("ck_inventory_moves_kind_known"), "inventory_moves", type_="check")
    op.create_check_constraint(op.f("ck_inventory_moves_kind_known"), "inventory_moves", KINDS_AFTER)
    op.add_column("inventory_products", sa.Column("reorder_point", sa.BigInteger(), nullable=True))
    op.create_check_constraint(
        op.f("ck_inventory_products_reorder_point_not_negative"),
        "inventory_products",
        "reorder_point IS NULL OR reorder_point >= 0",
    )


def downgrade() -> None:
    op.drop_constraint(
        op.f("ck_inventory_products_reorder_point_not_negative"), "inventory_products", type_="check"
    )
    op.drop_column("inventory_products", "reorder_point")
    op.execute("DELETE FROM inventory_moves WHERE kind = 'transfer'")
    op.drop_constraint(op.f("ck_inventory_moves_kind_known"), "inventory_moves", type_="check")
    op.create_check_constraint(op.f("ck_inventory_moves_kind_known"), "inventory_moves", KINDS_BEFORE)
