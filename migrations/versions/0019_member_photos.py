"""member photos

Revision ID: 0019_member_photos
Revises: 0018_inventory_quotas

An optional photo per member: a small JPEG re-encoded by the register (no metadata), kept in the
database under forced row-level security like the rest of the member's personal data.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from tenants.rls import enable_tenant_rls

revision: str = "0019_member_photos"
down_revision: str | None = "0018_inventory_quotas"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "member_photos",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("member_id", sa.BigInteger(), nullable=False),
        sa.Column("jpeg", sa.LargeBinary(), nullable=False),
        sa.Column("width", sa.SmallInteger(), nullable=False),
        sa.Column("height", sa.SmallInteger(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_by", sa.BigInteger(), nullable=True),
        sa.Column("tenant_id", sa.BigInteger(), nullable=False),
        sa.CheckConstraint(
            "octet_length(jpeg) BETWEEN 1 AND 200000", name=op.f("ck_member_photos_jpeg_size")
        ),
        sa.CheckConstraint(
            "width BETWEEN 1 AND 480 AND height BETWEEN 1 AND 480", name=op.f("ck_member_photos_dimensions")
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "member_id"],
            ["members.tenant_id", "members.id"],
            name=op.f("fk_member_photos_tenant_id_member_id_members"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["cooperatives.id"], name=op.f("fk_member_photos_tenant_id_cooperatives")
        ),
        sa.ForeignKeyConstraint(["updated_by"], ["users.id"], name=op.f("fk_member_photos_updated_by_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_member_photos")),
        sa.UniqueConstraint("tenant_id", "id", name=op.f("uq_member_photos_tenant_id_id")),
        sa.UniqueConstraint("tenant_id", "member_id", name=op.f("uq_member_photos_tenant_id_member_id")),
    )
    for statement in enable_tenant_rls("member_photos"):
        op.execute(statement)


def downgrade() -> None:
    op.drop_table("member_photos")
