"""region rollups

Revision ID: 0007
Revises: 0006

The registry summary the dashboards count (legal entity, operating units) on `cooperatives`; each
cooperative's last activity; region rollups from village to nation with a daily snapshot for the
trend; the rollup job's watermark; and `rollup_member_counts()`, the one definer-rights function
that counts active members across cooperatives (counts only, no member data).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

MEMBER_COUNTS = """
CREATE FUNCTION rollup_member_counts() RETURNS TABLE (tenant_id bigint, members bigint)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, public
AS $$ SELECT tenant_id, count(*) FROM members WHERE status = 'active' GROUP BY tenant_id $$
"""


def upgrade() -> None:
    op.add_column(
        "cooperatives",
        sa.Column("legal_entity", sa.Boolean(), server_default=sa.text("false"), nullable=False),
    )
    op.add_column(
        "cooperatives",
        sa.Column(
            "operating_units", postgresql.ARRAY(sa.String(length=20)), server_default="{}", nullable=False
        ),
    )
    op.create_table(
        "cooperative_activity",
        sa.Column("cooperative_id", sa.BigInteger(), nullable=False),
        sa.Column("last_activity_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["cooperative_id"],
            ["cooperatives.id"],
            name=op.f("fk_cooperative_activity_cooperative_id_cooperatives"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("cooperative_id", name=op.f("pk_cooperative_activity")),
    )
    op.create_index(
        op.f("ix_cooperative_activity_last_activity_at"), "cooperative_activity", ["last_activity_at"]
    )
    op.create_table(
        "region_rollups",
        sa.Column("region_code", sa.String(length=13), nullable=False),
        sa.Column("parent_code", sa.String(length=13), nullable=True),
        sa.Column("level", sa.SmallInteger(), nullable=False),
        sa.Column("registered", sa.Integer(), nullable=False),
        sa.Column("legal_entities", sa.Integer(), nullable=False),
        sa.Column("microsite_filled", sa.Integer(), nullable=False),
        sa.Column("active_30d", sa.Integer(), nullable=False),
        sa.Column("members", sa.BigInteger(), nullable=False),
        sa.Column("by_stage", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("by_model", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("by_unit", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("refreshed_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("level BETWEEN 0 AND 4", name=op.f("ck_region_rollups_level_range")),
        sa.PrimaryKeyConstraint("region_code", name=op.f("pk_region_rollups")),
    )
    op.create_index("ix_region_rollups_parent_code", "region_rollups", ["parent_code"])
    op.create_table(
        "rollup_snapshots",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("region_code", sa.String(length=13), nullable=False),
        sa.Column("registered", sa.Integer(), nullable=False),
        sa.Column("legal_entities", sa.Integer(), nullable=False),
        sa.Column("active_30d", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("day", "region_code", name=op.f("pk_rollup_snapshots")),
    )
    op.create_table(
        "rollup_watermarks",
        sa.Column("source", sa.String(length=40), nullable=False),
        sa.Column("last_id", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("source", name=op.f("pk_rollup_watermarks")),
    )
    op.execute(MEMBER_COUNTS)


def downgrade() -> None:
    op.execute("DROP FUNCTION rollup_member_counts()")
    op.drop_table("rollup_watermarks")
    op.drop_table("rollup_snapshots")
    op.drop_index("ix_region_rollups_parent_code", table_name="region_rollups")
    op.drop_table("region_rollups")
    op.drop_index(op.f("ix_cooperative_activity_last_activity_at"), table_name="cooperative_activity")
    op.drop_table("cooperative_activity")
    op.drop_column("cooperatives", "operating_units")
    op.drop_column("cooperatives", "legal_entity")
