"""compact search entries for Kophub search

Revision ID: 0030_search_entries
Revises: 0029_inventory_opname

What search filters, counts and sorts by moves out of the wide documents into a narrow table:
the stripped full-text vector, the title's words (relevance), small integer codes for category,
province, regency and certifications, orderable now, price and publication time. The documents keep
only what a result card shows; their vector and filter indexes go. Existing documents are copied.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0030_search_entries"
down_revision: str | None = "0029_inventory_opname"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CATEGORIES = (
    "beras", "palawija", "sayur", "buah", "rempah", "kopi_teh_kakao", "gula", "minyak", "ikan",
    "ternak", "olahan", "kerajinan",
)  # fmt: skip
OLD_INDEXES = (
    ("ix_marketplace_search_documents_tsv", "gin"),
    ("ix_marketplace_search_documents_category_price", None),
    ("ix_marketplace_search_documents_province_code_price", None),
    ("ix_marketplace_search_documents_regency_code", None),
    ("ix_marketplace_search_documents_price", None),
    ("ix_marketplace_search_documents_published_at", None),
    ("ix_marketplace_search_documents_certifications", "gin"),
)
OLD_TSV = (
    "setweight(to_tsvector('indonesian'::regconfig, title), 'A') || "
    "setweight(to_tsvector('indonesian'::regconfig, keywords), 'B') || "
    "setweight(to_tsvector('indonesian'::regconfig, description), 'C') || "
    "setweight(to_tsvector('simple'::regconfig, title || ' ' || keywords), 'D')"
)
COPY_ENTRIES = """
INSERT INTO marketplace_search_entries (listing_id, category, province, regency, certifications,
    ready, price, published_at, title_words, words)
SELECT d.listing_id,
       array_position(CAST(:categories AS text[]), d.category::text),
       CAST(d.province_code AS smallint),
       CAST(replace(d.regency_code, '.', '') AS smallint),
       (CASE WHEN 'halal' = ANY(d.certifications) THEN 1 ELSE 0 END
        | CASE WHEN 'organik' = ANY(d.certifications) THEN 2 ELSE 0 END
        | CASE WHEN 'sni' = ANY(d.certifications) THEN 4 ELSE 0 END),
       d.available >= d.min_order,
       d.price,
       d.published_at,
       strip(to_tsvector('indonesian'::regconfig, d.title) || to_tsvector('simple'::regconfig, d.title)),
       strip(to_tsvector('indonesian'::regconfig, d.title || ' ' || d.keywords || ' ' || d.description)
             || to_tsvector('simple'::regconfig, d.title || ' ' || d.keywords))
FROM marketplace_search_documents d
ORDER BY 2, d.regency_code, d.price
"""


def upgrade() -> None:
    op.create_table(
        "marketplace_search_entries",
        sa.Column("listing_id", sa.BigInteger(), nullable=False),
        sa.Column("category", sa.SmallInteger(), nullable=False),
        sa.Column("province", sa.SmallInteger(), nullable=False),
        sa.Column("regency", sa.SmallInteger(), nullable=False),
        sa.Column("certifications", sa.SmallInteger(), nullable=False),
        sa.Column("ready", sa.Boolean(), nullable=False),
        sa.Column("price", sa.BigInteger(), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("title_words", postgresql.TSVECTOR(), nullable=False),
        sa.Column("words", postgresql.TSVECTOR(), nullable=False),
        sa.ForeignKeyConstraint(
            ["listing_id"],
            ["marketplace_search_documents.listing_id"],
            name=op.f("fk_marketplace_search_entries_listing_id_marketplace_search_documents"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("listing_id", name=op.f("pk_marketplace_search_entries")),
        postgresql_with={"fillfactor": 90},
    )
    op.execute(sa.text(COPY_ENTRIES).bindparams(sa.bindparam("categories", list(CATEGORIES))))
    op.create_index(
        "ix_marketplace_search_entries_words",
        "marketplace_search_entries",
        ["words"],
        postgresql_using="gin",
        postgresql_with={"gin_pending_list_limit": 256},
    )
    op.create_index(
        "ix_marketplace_search_entries_title_words",
        "marketplace_search_entries",
        ["title_words"],
        postgresql_using="gin",
        postgresql_with={"gin_pending_list_limit": 256},
    )
    op.create_index(
        "ix_marketplace_search_entries_category_price", "marketplace_search_entries", ["category", "price"]
    )
    for column in ("province", "regency", "price", "published_at"):
        op.create_index(f"ix_marketplace_search_entries_{column}", "marketplace_search_entries", [column])
    for name, using in OLD_INDEXES:
        op.drop_index(name, table_name="marketplace_search_documents", postgresql_using=using)
    op.drop_column("marketplace_search_documents", "tsv")


def downgrade() -> None:
    op.add_column(
        "marketplace_search_documents",
        sa.Column("tsv", postgresql.TSVECTOR(), sa.Computed(OLD_TSV, persisted=True), nullable=False),
    )
    op.create_index(
        "ix_marketplace_search_documents_tsv", "marketplace_search_documents", ["tsv"], postgresql_using="gin"
    )
    op.create_index(
        "ix_marketplace_search_documents_category_price",
        "marketplace_search_documents",
        ["category", "price"],
    )
    op.create_index(
        "ix_marketplace_search_documents_province_code_price",
        "marketplace_search_documents",
        ["province_code", "price"],
    )
    op.create_index(
        "ix_marketplace_search_documents_regency_code", "marketplace_search_documents", ["regency_code"]
    )
    op.create_index("ix_marketplace_search_documents_price", "marketplace_search_documents", ["price"])
    op.create_index(
        "ix_marketplace_search_documents_published_at", "marketplace_search_documents", ["published_at"]
    )
    op.create_index(
        "ix_marketplace_search_documents_certifications",
        "marketplace_search_documents",
        ["certifications"],
        postgresql_using="gin",
    )
    op.drop_table("marketplace_search_entries")
