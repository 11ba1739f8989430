"""inventory HET by zone

Revision ID: 0017_inventory_het_zones
Revises: 0016_marketplace_orders

Platform-wide HET caps per commodity and zone with effective dates, seeded from DOMAIN.md §6, and
products linked to a capped commodity.
"""

from collections.abc import Sequence
from datetime import date

import sqlalchemy as sa
from alembic import op

revision: str = "0017_inventory_het_zones"
down_revision: str | None = "0016_marketplace_orders"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COMMODITIES = (
    "'beras_medium', 'beras_premium', 'minyakita', 'lpg_3kg', 'pupuk_urea', 'pupuk_npk', "
    "'pupuk_npk_kakao', 'pupuk_za', 'pupuk_organik'"
)
RICE = "Kepbadan 299/2025"
FERTILISER = "Kepmentan 1117/Kpts/SR.310/M/10/2025"
# the defaults of DOMAIN.md §6; the platform admin adds later decrees as new rows
DEFAULTS = [
    *[
        ("beras_medium", zone, price, date(2025, 8, 22), RICE)
        for zone, price in (("I", 13_500), ("II", 14_000), ("III", 15_500))
    ],
    *[
        ("beras_premium", zone, price, date(2025, 8, 22), RICE)
        for zone, price in (("I", 14_900), ("II", 15_400), ("III", 15_800))
    ],
    ("minyakita", "nasional", 15_700, date(2024, 7, 1), "HET MinyaKita sejak Juli 2024"),
    ("lpg_3kg", "12", 18_000, date(2025, 2, 1), "HET LPG 3 kg Provinsi Sumatera Utara, Februari 2025"),
    ("pupuk_urea", "nasional", 1_800, date(2025, 10, 22), FERTILISER),
    ("pupuk_npk", "nasional", 1_840, date(2025, 10, 22), FERTILISER),
    ("pupuk_npk_kakao", "nasional", 2_640, date(2025, 10, 22), FERTILISER),
    ("pupuk_za", "nasional", 1_360, date(2025, 10, 22), FERTILISER),
    ("pupuk_organik", "nasional", 640, date(2025, 10, 22), FERTILISER),
]


def upgrade() -> None:
    caps = op.create_table(
        "inventory_het_caps",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("commodity", sa.String(length=20), nullable=False),
        sa.Column("zone", sa.String(length=8), nullable=False),
        sa.Column("price", sa.BigInteger(), nullable=False),
        sa.Column("effective_from", sa.Date(), nullable=False),
        sa.Column("source", sa.String(length=200), nullable=False),
        sa.Column("created_by", sa.BigInteger(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint(
            f"commodity IN ({COMMODITIES})", name=op.f("ck_inventory_het_caps_commodity_known")
        ),
        sa.CheckConstraint("price > 0", name=op.f("ck_inventory_het_caps_price_positive")),
        sa.CheckConstraint(
            "zone ~ '^(nasional|I|II|III|[0-9]{2})$'", name=op.f("ck_inventory_het_caps_zone_known")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inventory_het_caps")),
        sa.UniqueConstraint(
            "commodity",
            "zone",
            "effective_from",
            name=op.f("uq_inventory_het_caps_commodity_zone_effective_from"),
        ),
    )
    op.bulk_insert(
        caps,
        [
            {"commodity": c, "zone": z, "price": p, "effective_from": d, "source": s}
            for c, z, p, d, s in DEFAULTS
        ],
    )
    op.add_column("inventory_products", sa.Column("commodity", sa.String(length=20), nullable=True))
    op.add_column(
        "inventory_products",
        sa.Column("commodity_units", sa.BigInteger(), server_default=sa.text("1"), nullable=False),
    )
    op.create_check_constraint(
        op.f("ck_inventory_products_commodity_known"),
        "inventory_products",
        f"commodity IS NULL OR commodity IN ({COMMODITIES})",
    )
    op.create_check_constraint(
        op.f("ck_inventory_products_commodity_units_positive"), "inventory_products", "commodity_units > 0"
    )


def downgrade() -> None:
    op.drop_constraint(
        op.f("ck_inventory_products_commodity_units_positive"), "inventory_products", type_="check"
    )
    op.drop_constraint(op.f("ck_inventory_products_commodity_known"), "inventory_products", type_="check")
    op.drop_column("inventory_products", "commodity_units")
    op.drop_column("inventory_products", "commodity")
    op.drop_table("inventory_het_caps")
