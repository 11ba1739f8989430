"""a product offered on Kophub is marked, so a sale of any other needs no listing look-up

Revision ID: 0039_product_on_kophub
Revises: 0038_ppn

`inventory_products.on_kophub` is set when a listing offers the product (listings are never
deleted, so it stays set); a stock change re-indexes listings only of products so marked or not
loaded. Existing products with a listing are marked here.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0039_product_on_kophub"
down_revision: str | None = "0038_ppn"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "inventory_products",
        sa.Column("on_kophub", sa.Boolean(), server_default=sa.text("false"), nullable=False),
    )
    op.execute(
        "UPDATE inventory_products AS p SET on_kophub = true WHERE EXISTS ("
        " SELECT 1 FROM marketplace_listings AS l WHERE l.tenant_id = p.tenant_id AND l.product_id = p.id)"
    )


def downgrade() -> None:
    op.drop_column("inventory_products", "on_kophub")
