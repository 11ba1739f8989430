"""membership

Revision ID: 0004
Revises: 0003

The member register of each cooperative, under forced row-level security.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from tenants.rls import enable_tenant_rls

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "members",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("member_number", sa.String(length=12), nullable=True),
        sa.Column("nik", sa.String(length=16), nullable=False),
        sa.Column("kk_number", sa.String(length=16), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("birth_place", sa.String(length=80), nullable=False),
        sa.Column("birth_date", sa.Date(), nullable=False),
        sa.Column("gender", sa.String(length=1), nullable=False),
        sa.Column("address", sa.String(length=300), nullable=False),
        sa.Column("village_code", sa.String(length=13), nullable=False),
        sa.Column("phone", sa.String(length=16), nullable=True),
        sa.Column("occupation", sa.String(length=80), nullable=True),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("applied_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("joined_on", sa.Date(), nullable=True),
        sa.Column("decided_by", sa.BigInteger(), nullable=True),
        sa.Column("refusal_reason", sa.String(length=300), nullable=True),
        sa.Column("status_reason", sa.String(length=300), nullable=True),
        sa.Column("left_on", sa.Date(), nullable=True),
        sa.Column("heir_name", sa.String(length=120), nullable=True),
        sa.Column("heir_nik", sa.String(length=16), nullable=True),
        sa.Column("user_id", sa.BigInteger(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("tenant_id", sa.BigInteger(), nullable=False),
        sa.CheckConstraint("nik ~ '^[0-9]{16}$'", name=op.f("ck_members_nik_format")),
        sa.CheckConstraint("kk_number ~ '^[0-9]{16}$'", name=op.f("ck_members_kk_format")),
        sa.CheckConstraint("gender IN ('L', 'P')", name=op.f("ck_members_gender_known")),
        sa.CheckConstraint(
            "phone IS NULL OR phone ~ '^\\+628[0-9]{7,11}$'", name=op.f("ck_members_phone_e164")
        ),
        sa.CheckConstraint(
            "status IN ('applied', 'refused', 'active', 'suspended', 'resigned', 'deceased')",
            name=op.f("ck_members_status_known"),
        ),
        sa.CheckConstraint(
            "(member_number IS NOT NULL) = (status IN ('active', 'suspended', 'resigned', 'deceased'))",
            name=op.f("ck_members_numbered_when_admitted"),
        ),
        sa.CheckConstraint(
            "status <> 'refused' OR refusal_reason IS NOT NULL", name=op.f("ck_members_refusal_has_reason")
        ),
        sa.CheckConstraint(
            "status <> 'deceased' OR heir_name IS NOT NULL", name=op.f("ck_members_death_has_heir")
        ),
        sa.ForeignKeyConstraint(["decided_by"], ["users.id"], name=op.f("fk_members_decided_by_users")),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["cooperatives.id"], name=op.f("fk_members_tenant_id_cooperatives")
        ),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_members_user_id_users")),
        sa.ForeignKeyConstraint(
            ["village_code"], ["regions.code"], name=op.f("fk_members_village_code_regions")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_members")),
        sa.UniqueConstraint("tenant_id", "id", name=op.f("uq_members_tenant_id_id")),
        sa.UniqueConstraint("tenant_id", "member_number", name=op.f("uq_members_tenant_id_member_number")),
        sa.UniqueConstraint("tenant_id", "nik", name=op.f("uq_members_tenant_id_nik")),
        sa.UniqueConstraint("tenant_id", "user_id", name=op.f("uq_members_tenant_id_user_id")),
    )
    op.create_index("ix_members_tenant_id_status_name", "members", ["tenant_id", "status", "name"])
    for statement in enable_tenant_rls("members"):
        op.execute(statement)


def downgrade() -> None:
    op.drop_index("ix_members_tenant_id_status_name", table_name="members")
    op.drop_table("members")
