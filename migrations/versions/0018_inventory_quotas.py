"""inventory quotas

Revision ID: 0018_inventory_quotas
Revises: 0017_inventory_het_zones

Subsidised goods quotas: fertiliser per farmer per season from the e-RDKK list, LPG 3 kg per
household per month by the cooperative's rule; each purchase against a quota recorded once.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from tenants.rls import append_only, enable_tenant_rls

revision: str = "0018_inventory_quotas"
down_revision: str | None = "0017_inventory_het_zones"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TENANT_TABLES = ("inventory_quotas", "inventory_quota_uses", "inventory_quota_rules")
COMMODITIES = (
    "'beras_medium', 'beras_premium', 'minyakita', 'lpg_3kg', 'pupuk_urea', 'pupuk_npk', "
    "'pupuk_npk_kakao', 'pupuk_za', 'pupuk_organik'"
)


def _tenant(table: str) -> list[sa.schema.SchemaItem]:
    return [
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["cooperatives.id"], name=op.f(f"fk_{table}_tenant_id_cooperatives")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{table}")),
        sa.UniqueConstraint("tenant_id", "id", name=op.f(f"uq_{table}_tenant_id_id")),
    ]


def upgrade() -> None:
    op.create_table(
        "inventory_quotas",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("commodity", sa.String(length=20), nullable=False),
        sa.Column("holder", sa.String(length=16), nullable=False),
        sa.Column("source", sa.String(length=8), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("valid_to", sa.Date(), nullable=False),
        sa.Column("allowed", sa.BigInteger(), nullable=False),
        sa.Column("used", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column("tenant_id", sa.BigInteger(), nullable=False),
        sa.CheckConstraint("allowed >= 0", name=op.f("ck_inventory_quotas_allowed_not_negative")),
        sa.CheckConstraint(f"commodity IN ({COMMODITIES})", name=op.f("ck_inventory_quotas_commodity_known")),
        sa.CheckConstraint("holder ~ '^[0-9]{16}$'", name=op.f("ck_inventory_quotas_holder_sixteen_digits")),
        sa.CheckConstraint("valid_to >= valid_from", name=op.f("ck_inventory_quotas_period_ordered")),
        sa.CheckConstraint("source IN ('rdkk', 'lpg')", name=op.f("ck_inventory_quotas_source_known")),
        sa.CheckConstraint(
            "used >= 0 AND used <= allowed", name=op.f("ck_inventory_quotas_used_within_allowed")
        ),
        *_tenant("inventory_quotas"),
        sa.UniqueConstraint(
            "tenant_id",
            "commodity",
            "holder",
            "valid_from",
            name=op.f("uq_inventory_quotas_tenant_id_commodity_holder_valid_from"),
        ),
    )
    op.create_table(
        "inventory_quota_uses",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("quota_id", sa.BigInteger(), nullable=False),
        sa.Column("quantity", sa.BigInteger(), nullable=False),
        sa.Column("idempotency_key", sa.String(length=120), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("tenant_id", sa.BigInteger(), nullable=False),
        sa.CheckConstraint("quantity > 0", name=op.f("ck_inventory_quota_uses_quantity_positive")),
        sa.ForeignKeyConstraint(
            ["tenant_id", "quota_id"],
            ["inventory_quotas.tenant_id", "inventory_quotas.id"],
            name=op.f("fk_inventory_quota_uses_tenant_id_quota_id_inventory_quotas"),
        ),
        *_tenant("inventory_quota_uses"),
        sa.UniqueConstraint(
            "tenant_id", "idempotency_key", name=op.f("uq_inventory_quota_uses_tenant_id_idempotency_key")
        ),
    )
    op.create_index(
        "ix_inventory_quota_uses_tenant_id_quota_id",
        "inventory_quota_uses",
        ["tenant_id", "quota_id"],
        unique=False,
    )
    op.create_table(
        "inventory_quota_rules",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("commodity", sa.String(length=20), nullable=False),
        sa.Column("per_month", sa.BigInteger(), nullable=False),
        sa.Column("tenant_id", sa.BigInteger(), nullable=False),
        sa.CheckConstraint("commodity = 'lpg_3kg'", name=op.f("ck_inventory_quota_rules_commodity_lpg")),
        sa.CheckConstraint("per_month > 0", name=op.f("ck_inventory_quota_rules_per_month_positive")),
        *_tenant("inventory_quota_rules"),
        sa.UniqueConstraint(
            "tenant_id", "commodity", name=op.f("uq_inventory_quota_rules_tenant_id_commodity")
        ),
    )
    for table in TENANT_TABLES:
        for statement in enable_tenant_rls(table):
            op.execute(statement)
    for statement in append_only("inventory_quota_uses"):
        op.execute(statement)


def downgrade() -> None:
    for table in reversed(TENANT_TABLES):
        op.drop_table(table)
