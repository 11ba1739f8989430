"""a product's photo

Revision ID: 0037_product_photo
Revises: 0036_pos_product_words

One photo per product, kept as JPEG files under a random key (`<tenant_id>/<32 hex>`, see
core/images.py); the row holds only the key, so a page listing products needs no other query. The
key names the product's own cooperative, or the database refuses it.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0037_product_photo"
down_revision: str | None = "0036_pos_product_words"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("inventory_products", sa.Column("photo_key", sa.String(length=52), nullable=True))
    op.create_check_constraint(
        op.f("ck_inventory_products_photo_key_of_tenant"),
        "inventory_products",
        "photo_key IS NULL OR (photo_key ~ '^[0-9]{1,19}/[0-9a-f]{32}$' "
        "AND split_part(photo_key, '/', 1) = tenant_id::text)",
    )


def downgrade() -> None:
    op.drop_constraint(op.f("ck_inventory_products_photo_key_of_tenant"), "inventory_products", type_="check")
    op.drop_column("inventory_products", "photo_key")
