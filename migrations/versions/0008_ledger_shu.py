"""ledger shu allocations

Revision ID: 0008
Revises: 0007

Members' shares of a year's SHU as posted (jasa modal and jasa usaha with their weights), one row
per member and year, append-only and under forced row-level security.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from tenants.rls import append_only, enable_tenant_rls

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "shu_allocations",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("year", sa.SmallInteger(), nullable=False),
        sa.Column("member_id", sa.BigInteger(), nullable=False),
        sa.Column("member_number", sa.String(length=20), nullable=False),
        sa.Column("equity_weight", sa.BigInteger(), nullable=False),
        sa.Column("transaction_weight", sa.BigInteger(), nullable=False),
        sa.Column("jasa_modal", sa.BigInteger(), nullable=False),
        sa.Column("jasa_usaha", sa.BigInteger(), nullable=False),
        sa.Column("journal_entry_id", sa.BigInteger(), nullable=False),
        sa.Column("tenant_id", sa.BigInteger(), nullable=False),
        sa.CheckConstraint(
            "jasa_modal >= 0 AND jasa_usaha >= 0", name=op.f("ck_shu_allocations_shares_not_negative")
        ),
        sa.CheckConstraint(
            "equity_weight >= 0 AND transaction_weight >= 0",
            name=op.f("ck_shu_allocations_weights_not_negative"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "journal_entry_id"],
            ["journal_entries.tenant_id", "journal_entries.id"],
            name=op.f("fk_shu_allocations_tenant_id_journal_entry_id_journal_entries"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["cooperatives.id"], name=op.f("fk_shu_allocations_tenant_id_cooperatives")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_shu_allocations")),
        sa.UniqueConstraint("tenant_id", "id", name=op.f("uq_shu_allocations_tenant_id_id")),
        sa.UniqueConstraint(
            "tenant_id", "year", "member_id", name=op.f("uq_shu_allocations_tenant_id_year_member_id")
        ),
    )
    for statement in enable_tenant_rls("shu_allocations") + append_only("shu_allocations"):
        op.execute(statement)


def downgrade() -> None:
    op.drop_table("shu_allocations")
