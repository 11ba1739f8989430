"""inventory stock opname

Revision ID: 0029_inventory_opname
Revises: 0028_kophub_returns

A stock count per location: the snapshot of expected quantities per product (and lot), the
counted quantities, approval by a second person and what was posted.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from tenants.rls import enable_tenant_rls

revision: str = "0029_inventory_opname"
down_revision: str | None = "0028_kophub_returns"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TENANT_TABLES = ("inventory_opnames", "inventory_opname_lines")


def _tenant(table: str) -> list[sa.schema.SchemaItem]:
    return [
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["cooperatives.id"], name=op.f(f"fk_{table}_tenant_id_cooperatives")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{table}")),
        sa.UniqueConstraint("tenant_id", "id", name=op.f(f"uq_{table}_tenant_id_id")),
    ]


def _tenant_fk(table: str, column: str, target: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["tenant_id", column],
        [f"{target}.tenant_id", f"{target}.id"],
        name=op.f(f"fk_{table}_tenant_id_{column}_{target}"),
    )


def _user_fk(table: str, column: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint([column], ["users.id"], name=op.f(f"fk_{table}_{column}_users"))


def upgrade() -> None:
    t = "inventory_opnames"
    op.create_table(
        t,
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("location_id", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("note", sa.String(length=200), nullable=True),
        sa.Column("started_by", sa.BigInteger(), nullable=True),
        sa.Column("started_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("submitted_by", sa.BigInteger(), nullable=True),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decided_by", sa.BigInteger(), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("journal_entry_id", sa.BigInteger(), nullable=True),
        sa.Column("tenant_id", sa.BigInteger(), nullable=False),
        sa.CheckConstraint(
            "status IN ('counting', 'submitted', 'approved', 'cancelled')", name=op.f(f"ck_{t}_status_known")
        ),
        sa.CheckConstraint(
            "status IN ('counting', 'submitted') OR decided_at IS NOT NULL",
            name=op.f(f"ck_{t}_closed_has_time"),
        ),
        _tenant_fk(t, "location_id", "inventory_locations"),
        _tenant_fk(t, "journal_entry_id", "journal_entries"),
        _user_fk(t, "started_by"),
        _user_fk(t, "submitted_by"),
        _user_fk(t, "decided_by"),
        *_tenant(t),
    )
    op.create_index(
        "uq_inventory_opnames_one_open_per_location",
        t,
        ["tenant_id", "location_id"],
        unique=True,
        postgresql_where=sa.text("status IN ('counting', 'submitted')"),
    )
    t = "inventory_opname_lines"
    op.create_table(
        t,
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("opname_id", sa.BigInteger(), nullable=False),
        sa.Column("product_id", sa.BigInteger(), nullable=False),
        sa.Column("lot_id", sa.BigInteger(), nullable=True),
        sa.Column("expected", sa.BigInteger(), nullable=False),
        sa.Column("unit_cost", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column("counted", sa.BigInteger(), nullable=True),
        sa.Column("counted_by", sa.BigInteger(), nullable=True),
        sa.Column("posted_quantity", sa.BigInteger(), nullable=True),
        sa.Column("posted_value", sa.BigInteger(), nullable=True),
        sa.Column("tenant_id", sa.BigInteger(), nullable=False),
        sa.CheckConstraint("expected >= 0", name=op.f(f"ck_{t}_expected_not_negative")),
        sa.CheckConstraint("counted IS NULL OR counted >= 0", name=op.f(f"ck_{t}_counted_not_negative")),
        sa.CheckConstraint("unit_cost >= 0", name=op.f(f"ck_{t}_unit_cost_not_negative")),
        _tenant_fk(t, "opname_id", "inventory_opnames"),
        _tenant_fk(t, "product_id", "inventory_products"),
        _tenant_fk(t, "lot_id", "inventory_lots"),
        _user_fk(t, "counted_by"),
        *_tenant(t),
    )
    op.create_index("ix_inventory_opname_lines_tenant_id_opname_id", t, ["tenant_id", "opname_id", "id"])
    for table in TENANT_TABLES:
        for statement in enable_tenant_rls(table):
            op.execute(statement)


def downgrade() -> None:
    for table in reversed(TENANT_TABLES):
        op.drop_table(table)
