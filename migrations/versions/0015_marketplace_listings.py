"""marketplace listings and search documents

Revision ID: 0015_marketplace_listings
Revises: 0014_loans_cob

Kophub listings (price tiers, certifications, photos) under forced row-level security; the
platform table naming each listing's cooperative; the postgres search documents with their
Indonesian full-text vector.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from tenants.rls import enable_tenant_rls

TENANT_TABLES = (
    "marketplace_listings",
    "marketplace_listing_tiers",
    "marketplace_listing_certifications",
    "marketplace_listing_photos",
)

revision: str = "0015_marketplace_listings"
down_revision: str | None = "0014_loans_cob"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "marketplace_search_documents",
        sa.Column("listing_id", sa.BigInteger(), nullable=False),
        sa.Column("cooperative_id", sa.BigInteger(), nullable=False),
        sa.Column("cooperative_slug", sa.String(length=80), nullable=False),
        sa.Column("cooperative_name", sa.String(length=160), nullable=False),
        sa.Column("title", sa.String(length=120), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("keywords", sa.Text(), nullable=False),
        sa.Column("category", sa.String(length=20), nullable=False),
        sa.Column("grade", sa.String(length=40), nullable=True),
        sa.Column("unit", sa.String(length=20), nullable=False),
        sa.Column("price", sa.BigInteger(), nullable=False),
        sa.Column("lowest_price", sa.BigInteger(), nullable=False),
        sa.Column("min_order", sa.BigInteger(), nullable=False),
        sa.Column("available", sa.BigInteger(), nullable=False),
        sa.Column("certifications", postgresql.ARRAY(sa.String(length=10)), nullable=False),
        sa.Column("province_code", sa.String(length=2), nullable=False),
        sa.Column("regency_code", sa.String(length=5), nullable=False),
        sa.Column("village_code", sa.String(length=13), nullable=False),
        sa.Column("village_name", sa.String(length=120), nullable=False),
        sa.Column("photo_key", sa.String(length=80), nullable=True),
        sa.Column("harvested_on", sa.Date(), nullable=True),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("indexed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "tsv",
            postgresql.TSVECTOR(),
            sa.Computed(
                "setweight(to_tsvector('indonesian'::regconfig, title), 'A') || setweight(to_tsvector('indonesian'::regconfig, keywords), 'B') || setweight(to_tsvector('indonesian'::regconfig, description), 'C') || setweight(to_tsvector('simple'::regconfig, title || ' ' || keywords), 'D')",
                persisted=True,
            ),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["cooperative_id"],
            ["cooperatives.id"],
            name=op.f("fk_marketplace_search_documents_cooperative_id_cooperatives"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("listing_id", name=op.f("pk_marketplace_search_documents")),
    )
    op.create_index(
        "ix_marketplace_search_documents_category_price",
        "marketplace_search_documents",
        ["category", "price"],
        unique=False,
    )
    op.create_index(
        "ix_marketplace_search_documents_certifications",
        "marketplace_search_documents",
        ["certifications"],
        unique=False,
        postgresql_using="gin",
    )
    op.create_index(
        op.f("ix_marketplace_search_documents_cooperative_id"),
        "marketplace_search_documents",
        ["cooperative_id"],
        unique=False,
    )
    op.create_index(
        "ix_marketplace_search_documents_price", "marketplace_search_documents", ["price"], unique=False
    )
    op.create_index(
        "ix_marketplace_search_documents_province_code_price",
        "marketplace_search_documents",
        ["province_code", "price"],
        unique=False,
    )
    op.create_index(
        "ix_marketplace_search_documents_published_at",
        "marketplace_search_documents",
        ["published_at"],
        unique=False,
    )
    op.create_index(
        "ix_marketplace_search_documents_regency_code",
        "marketplace_search_documents",
        ["regency_code"],
        unique=False,
    )
    op.create_index(
        "ix_marketplace_search_documents_tsv",
        "marketplace_search_documents",
        ["tsv"],
        unique=False,
        postgresql_using="gin",
    )
    op.create_table(
        "marketplace_listings",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("product_id", sa.BigInteger(), nullable=False),
        sa.Column("location_id", sa.BigInteger(), nullable=False),
        sa.Column("title", sa.String(length=120), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("category", sa.String(length=20), nullable=False),
        sa.Column("grade", sa.String(length=40), nullable=True),
        sa.Column("unit", sa.String(length=20), nullable=False),
        sa.Column("price", sa.BigInteger(), nullable=False),
        sa.Column("min_order", sa.BigInteger(), nullable=False),
        sa.Column("quantity_cap", sa.BigInteger(), nullable=True),
        sa.Column("harvested_on", sa.Date(), nullable=True),
        sa.Column("origin_village_code", sa.String(length=13), nullable=False),
        sa.Column("status", sa.String(length=8), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_by", sa.BigInteger(), nullable=True),
        sa.Column("tenant_id", sa.BigInteger(), nullable=False),
        sa.CheckConstraint(
            "category IN ('beras', 'palawija', 'sayur', 'buah', 'rempah', 'kopi_teh_kakao', 'gula', 'minyak', 'ikan', 'ternak', 'olahan', 'kerajinan')",
            name=op.f("ck_marketplace_listings_category_known"),
        ),
        sa.CheckConstraint(
            "status IN ('tayang', 'dijeda', 'ditarik')", name=op.f("ck_marketplace_listings_status_known")
        ),
        sa.CheckConstraint("min_order > 0", name=op.f("ck_marketplace_listings_min_order_positive")),
        sa.CheckConstraint("price > 0", name=op.f("ck_marketplace_listings_price_positive")),
        sa.CheckConstraint(
            "quantity_cap IS NULL OR quantity_cap > 0",
            name=op.f("ck_marketplace_listings_quantity_cap_positive"),
        ),
        sa.ForeignKeyConstraint(
            ["created_by"], ["users.id"], name=op.f("fk_marketplace_listings_created_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["origin_village_code"],
            ["regions.code"],
            name=op.f("fk_marketplace_listings_origin_village_code_regions"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "location_id"],
            ["inventory_locations.tenant_id", "inventory_locations.id"],
            name=op.f("fk_marketplace_listings_tenant_id_location_id_inventory_locations"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "product_id"],
            ["inventory_products.tenant_id", "inventory_products.id"],
            name=op.f("fk_marketplace_listings_tenant_id_product_id_inventory_products"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["cooperatives.id"], name=op.f("fk_marketplace_listings_tenant_id_cooperatives")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_marketplace_listings")),
        sa.UniqueConstraint("tenant_id", "id", name=op.f("uq_marketplace_listings_tenant_id_id")),
    )
    op.create_index(
        "ix_marketplace_listings_tenant_id_product_id",
        "marketplace_listings",
        ["tenant_id", "product_id"],
        unique=False,
    )
    op.create_table(
        "marketplace_listing_certifications",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("listing_id", sa.BigInteger(), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("number", sa.String(length=60), nullable=False),
        sa.Column("tenant_id", sa.BigInteger(), nullable=False),
        sa.CheckConstraint(
            "kind IN ('halal', 'organik', 'sni')",
            name=op.f("ck_marketplace_listing_certifications_kind_known"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "listing_id"],
            ["marketplace_listings.tenant_id", "marketplace_listings.id"],
            name=op.f("fk_marketplace_listing_certifications_tenant_id_listing_id_marketplace_listings"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["cooperatives.id"],
            name=op.f("fk_marketplace_listing_certifications_tenant_id_cooperatives"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_marketplace_listing_certifications")),
        sa.UniqueConstraint(
            "tenant_id", "id", name=op.f("uq_marketplace_listing_certifications_tenant_id_id")
        ),
        sa.UniqueConstraint(
            "tenant_id",
            "listing_id",
            "kind",
            name=op.f("uq_marketplace_listing_certifications_tenant_id_listing_id_kind"),
        ),
    )
    op.create_table(
        "marketplace_listing_owners",
        sa.Column("listing_id", sa.BigInteger(), nullable=False),
        sa.Column("cooperative_id", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["cooperative_id"],
            ["cooperatives.id"],
            name=op.f("fk_marketplace_listing_owners_cooperative_id_cooperatives"),
        ),
        sa.ForeignKeyConstraint(
            ["listing_id"],
            ["marketplace_listings.id"],
            name=op.f("fk_marketplace_listing_owners_listing_id_marketplace_listings"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("listing_id", name=op.f("pk_marketplace_listing_owners")),
    )
    op.create_index(
        op.f("ix_marketplace_listing_owners_cooperative_id"),
        "marketplace_listing_owners",
        ["cooperative_id"],
        unique=False,
    )
    op.create_table(
        "marketplace_listing_photos",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("listing_id", sa.BigInteger(), nullable=False),
        sa.Column("position", sa.SmallInteger(), nullable=False),
        sa.Column("storage_key", sa.String(length=80), nullable=False),
        sa.Column("width", sa.Integer(), nullable=False),
        sa.Column("height", sa.Integer(), nullable=False),
        sa.Column("uploaded_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("tenant_id", sa.BigInteger(), nullable=False),
        sa.CheckConstraint(
            "position BETWEEN 0 AND 19", name=op.f("ck_marketplace_listing_photos_position_range")
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "listing_id"],
            ["marketplace_listings.tenant_id", "marketplace_listings.id"],
            name=op.f("fk_marketplace_listing_photos_tenant_id_listing_id_marketplace_listings"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["cooperatives.id"],
            name=op.f("fk_marketplace_listing_photos_tenant_id_cooperatives"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_marketplace_listing_photos")),
        sa.UniqueConstraint("storage_key", name=op.f("uq_marketplace_listing_photos_storage_key")),
        sa.UniqueConstraint("tenant_id", "id", name=op.f("uq_marketplace_listing_photos_tenant_id_id")),
    )
    op.create_table(
        "marketplace_listing_tiers",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("listing_id", sa.BigInteger(), nullable=False),
        sa.Column("min_quantity", sa.BigInteger(), nullable=False),
        sa.Column("price", sa.BigInteger(), nullable=False),
        sa.Column("tenant_id", sa.BigInteger(), nullable=False),
        sa.CheckConstraint(
            "min_quantity > 1", name=op.f("ck_marketplace_listing_tiers_min_quantity_above_one")
        ),
        sa.CheckConstraint("price > 0", name=op.f("ck_marketplace_listing_tiers_price_positive")),
        sa.ForeignKeyConstraint(
            ["tenant_id", "listing_id"],
            ["marketplace_listings.tenant_id", "marketplace_listings.id"],
            name=op.f("fk_marketplace_listing_tiers_tenant_id_listing_id_marketplace_listings"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["cooperatives.id"],
            name=op.f("fk_marketplace_listing_tiers_tenant_id_cooperatives"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_marketplace_listing_tiers")),
        sa.UniqueConstraint("tenant_id", "id", name=op.f("uq_marketplace_listing_tiers_tenant_id_id")),
        sa.UniqueConstraint(
            "tenant_id",
            "listing_id",
            "min_quantity",
            name=op.f("uq_marketplace_listing_tiers_tenant_id_listing_id_min_quantity"),
        ),
    )

    for table in TENANT_TABLES:
        for statement in enable_tenant_rls(table):
            op.execute(statement)


def downgrade() -> None:
    op.drop_table("marketplace_listing_tiers")
    op.drop_table("marketplace_listing_photos")
    op.drop_index(
        op.f("ix_marketplace_listing_owners_cooperative_id"), table_name="marketplace_listing_owners"
    )
    op.drop_table("marketplace_listing_owners")
    op.drop_table("marketplace_listing_certifications")
    op.drop_index("ix_marketplace_listings_tenant_id_product_id", table_name="marketplace_listings")
    op.drop_table("marketplace_listings")
    op.drop_index(
        "ix_marketplace_search_documents_tsv",
        table_name="marketplace_search_documents",
        postgresql_using="gin",
    )
    op.drop_index("ix_marketplace_search_documents_regency_code", table_name="marketplace_search_documents")
    op.drop_index("ix_marketplace_search_documents_published_at", table_name="marketplace_search_documents")
    op.drop_index(
        "ix_marketplace_search_documents_province_code_price", table_name="marketplace_search_documents"
    )
    op.drop_index("ix_marketplace_search_documents_price", table_name="marketplace_search_documents")
    op.drop_index(
        op.f("ix_marketplace_search_documents_cooperative_id"), table_name="marketplace_search_documents"
    )
    op.drop_index(
        "ix_marketplace_search_documents_certifications",
        table_name="marketplace_search_documents",
        postgresql_using="gin",
    )
    op.drop_index("ix_marketplace_search_documents_category_price", table_name="marketplace_search_documents")
    op.drop_table("marketplace_search_documents")
