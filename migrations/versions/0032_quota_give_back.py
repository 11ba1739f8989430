"""quota given back when a subsidised sale is voided or returned

Revision ID: 0032_quota_give_back
Revises: 0031_pos_product_search

A quota use stays append-only: a give-back is a row of its own, negative, naming the use it
gives back (`reverses_id`), so the uses of a quota still add up to what it has used.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0032_quota_give_back"
down_revision: str | None = "0031_pos_product_search"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("inventory_quota_uses", sa.Column("reverses_id", sa.BigInteger(), nullable=True))
    op.create_foreign_key(
        op.f("fk_inventory_quota_uses_tenant_id_reverses_id_inventory_quota_uses"),
        "inventory_quota_uses",
        "inventory_quota_uses",
        ["tenant_id", "reverses_id"],
        ["tenant_id", "id"],
    )
    op.drop_constraint(
        op.f("ck_inventory_quota_uses_quantity_positive"), "inventory_quota_uses", type_="check"
    )
    op.create_check_constraint(
        op.f("ck_inventory_quota_uses_quantity_signed"),
        "inventory_quota_uses",
        "(reverses_id IS NULL AND quantity > 0) OR (reverses_id IS NOT NULL AND quantity < 0)",
    )
    op.create_index(
        "ix_inventory_quota_uses_tenant_id_reverses_id",
        "inventory_quota_uses",
        ["tenant_id", "reverses_id"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index("ix_inventory_quota_uses_tenant_id_reverses_id", table_name="inventory_quota_uses")
    op.drop_constraint(op.f("ck_inventory_quota_uses_quantity_signed"), "inventory_quota_uses", type_="check")
    op.execute("ALTER TABLE inventory_quota_uses DISABLE TRIGGER USER")
    op.execute("DELETE FROM inventory_quota_uses WHERE reverses_id IS NOT NULL")
    op.execute("ALTER TABLE inventory_quota_uses ENABLE TRIGGER USER")
    op.create_check_constraint(
        op.f("ck_inventory_quota_uses_quantity_positive"), "inventory_quota_uses", "quantity > 0"
    )
    op.drop_constraint(
        op.f("fk_inventory_quota_uses_tenant_id_reverses_id_inventory_quota_uses"),
        "inventory_quota_uses",
        type_="foreignkey",
    )
    op.drop_column("inventory_quota_uses", "reverses_id")
