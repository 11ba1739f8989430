"""The search tables of the postgres adapter: one document and one entry per listing a buyer may
find, across all cooperatives. Platform tables (no tenant_id): the named cross-tenant read path of
search, holding only what a published listing already shows in public, written only by the index
job (both rows in the same transaction; an entry is deleted with its document).

A document holds what a result card shows. An entry is the narrow row search filters, counts and
sorts by, so that a query touching many listings reads few pages: the stripped full-text vector
(Indonesian stems of title, keywords and description, plus the unstemmed words of title and keywords
for prefix matching as one types), the title's words (relevance), small integer codes for category,
province, regency and certifications, orderable now, price and publication time.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, Boolean, Date, DateTime, ForeignKey, Index, SmallInteger, String, Text
from sqlalchemy.dialects.postgresql import ARRAY, TSVECTOR
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base
from marketplace.listings.models import CATEGORIES, CertificationKind

# An entry's small integer codes. Category codes are positions in this tuple (from 1): a new
# category is appended, never inserted, or every entry must be rebuilt.
CATEGORY_CODES: tuple[str, ...] = tuple(CATEGORIES)
CERTIFICATION_BITS: dict[str, int] = {
    CertificationKind.HALAL.value: 1,
    CertificationKind.ORGANIK.value: 2,
    CertificationKind.SNI.value: 4,
}

# The entries of documents, computed by the database from the documents in one statement: those
# of some documents (`:ids`) for the index job, or all of them for the rebuild, written in
# (category, regency, price) order so that the listings of a category, and of a place within it,
# share pages (a query about rice reads the rice pages, not the whole table).
_ENTRIES_FROM_DOCUMENTS = """
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
{where}
ORDER BY array_position(CAST(:categories AS text[]), d.category::text), d.regency_code, d.price
ON CONFLICT (listing_id) DO UPDATE SET
    category = excluded.category, province = excluded.province, regency = excluded.regency,
    certifications = excluded.certifications, ready = excluded.ready, price = excluded.price,
    published_at = excluded.published_at, title_words = excluded.title_words, words = excluded.words
"""
WRITE_ENTRIES = _ENTRIES_FROM_DOCUMENTS.format(where="WHERE d.listing_id = ANY(CAST(:ids AS bigint[]))")
WRITE_ALL_ENTRIES = _ENTRIES_FROM_DOCUMENTS.format(where="")


class SearchDocument(Base):
    """A listing as search sees it: text, filters (category, region, price, certifications,
    stock) and what a result card shows."""

    __tablename__ = "marketplace_search_documents"

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


class SearchEntry(Base):
    """What search matches, filters, counts and sorts a listing by (see the module docstring)."""

    __tablename__ = "marketplace_search_entries"
    __table_args__ = (
        Index(
            "ix_marketplace_search_entries_words",
            "words",
            postgresql_using="gin",
            postgresql_with={"gin_pending_list_limit": 256},
        ),
        Index(
            "ix_marketplace_search_entries_title_words",
            "title_words",
            postgresql_using="gin",
            postgresql_with={"gin_pending_list_limit": 256},
        ),
        Index("ix_marketplace_search_entries_category_price", "category", "price"),
        Index("ix_marketplace_search_entries_province", "province"),
        Index("ix_marketplace_search_entries_regency", "regency"),
        Index("ix_marketplace_search_entries_price", "price"),
        Index("ix_marketplace_search_entries_published_at", "published_at"),
        {"postgresql_with": {"fillfactor": 90}},
    )

    listing_id: Mapped[int] = mapped_column(
        ForeignKey("marketplace_search_documents.listing_id", ondelete="CASCADE"), primary_key=True
    )
    category: Mapped[int] = mapped_column(SmallInteger)  # position in CATEGORY_CODES, from 1
    province: Mapped[int] = mapped_column(SmallInteger)  # "32" → 32
    regency: Mapped[int] = mapped_column(SmallInteger)  # "32.04" → 3204
    certifications: Mapped[int] = mapped_column(SmallInteger)  # CERTIFICATION_BITS, or-ed
    ready: Mapped[bool] = mapped_column(Boolean)  # at least the minimum order in stock
    price: Mapped[int] = mapped_column(BigInteger)
    published_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    title_words: Mapped[str] = mapped_column(TSVECTOR)
    words: Mapped[str] = mapped_column(TSVECTOR)
