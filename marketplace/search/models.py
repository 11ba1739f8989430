"""The search documents of the postgres adapter: one row per listing a buyer may find, across all
cooperatives. A platform table (no tenant_id): it is the named cross-tenant read path of search,
holding only what a published listing already shows in public, and written only by the index job.

`tsv` is computed by the database from the text (Indonesian stems weighted title > keywords >
description, plus the unstemmed words of title and keywords for prefix matching as one types).
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, Computed, Date, DateTime, ForeignKey, Index, String, Text
from sqlalchemy.dialects.postgresql import ARRAY, TSVECTOR
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base

TSV_EXPRESSION = (
    "setweight(to_tsvector('indonesian'::regconfig, title), 'A') || "
    "setweight(to_tsvector('indonesian'::regconfig, keywords), 'B') || "
    "setweight(to_tsvector('indonesian'::regconfig, description), 'C') || "
    "setweight(to_tsvector('simple'::regconfig, title || ' ' || keywords), 'D')"
)


class SearchDocument(Base):
    """A listing as search sees it: text, filters (category, region, price, certifications,
    stock) and what a result card shows."""

    __tablename__ = "marketplace_search_documents"
    __table_args__ = (
        Index("ix_marketplace_search_documents_tsv", "tsv", postgresql_using="gin"),
        Index("ix_marketplace_search_documents_category_price", "category", "price"),
        Index("ix_marketplace_search_documents_province_code_price", "province_code", "price"),
        Index("ix_marketplace_search_documents_regency_code", "regency_code"),
        Index("ix_marketplace_search_documents_price", "price"),
        Index("ix_marketplace_search_documents_published_at", "published_at"),
        Index("ix_marketplace_search_documents_certifications", "certifications", postgresql_using="gin"),
    )

    listing_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    cooperative_id: Mapped[int] = mapped_column(ForeignKey("cooperatives.id", ondelete="CASCADE"), index=True)
    cooperative_slug: Mapped[str] = mapped_column(String(80))
    cooperative_name: Mapped[str] = mapped_column(String(160))
    title: Mapped[str] = mapped_column(String(120))
    description: Mapped[str] = mapped_column(Text)
    keywords: Mapped[str] = mapped_column(Text)
    category: Mapped[str] = mapped_column(String(20))
    grade: Mapped[str | None] = mapped_column(String(40))
    unit: Mapped[str] = mapped_column(String(20))
    price: Mapped[int] = mapped_column(BigInteger)
    lowest_price: Mapped[int] = mapped_column(BigInteger)
    min_order: Mapped[int] = mapped_column(BigInteger)
    available: Mapped[int] = mapped_column(BigInteger)
    certifications: Mapped[list[str]] = mapped_column(ARRAY(String(10)))
    province_code: Mapped[str] = mapped_column(String(2))
    regency_code: Mapped[str] = mapped_column(String(5))
    village_code: Mapped[str] = mapped_column(String(13))
    village_name: Mapped[str] = mapped_column(String(120))
    photo_key: Mapped[str | None] = mapped_column(String(80))
    harvested_on: Mapped[date | None] = mapped_column(Date)
    published_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    changed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    indexed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    tsv: Mapped[str] = mapped_column(TSVECTOR, Computed(TSV_EXPRESSION, persisted=True))
