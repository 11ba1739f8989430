"""The search port: what Kophub search is, whatever engine answers it.

A `Document` is a published listing with stock, as buyers may find it; a `Query` is what a buyer
asks (words, filters, sort, page); `Results` are the page of hits, the total and facet counts.
Adapters (`postgres`, `elasticsearch`) implement `SearchBackend` and pass the same contract tests.
`backend()` picks the adapter named by the configuration (KOPDES_SEARCH_BACKEND).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Protocol

from flask import current_app

SORTS = ("relevance", "price_asc", "price_desc", "newest")
PER_PAGE = 20
MAX_PAGE = 50
MAX_WORDS = 8
MAX_WORD_LENGTH = 30
_WORD = re.compile(r"[0-9a-z]+")


@dataclass(frozen=True)
class Document:
    listing_id: int
    cooperative_id: int
    cooperative_slug: str
    cooperative_name: str
    title: str
    description: str
    keywords: str  # category, grade and place names, searched after the title
    category: str
    grade: str | None
    unit: str
    price: int
    lowest_price: int
    min_order: int
    available: int
    certifications: tuple[str, ...]
    province_code: str
    regency_code: str
    village_code: str
    village_name: str
    photo_key: str | None
    harvested_on: date | None
    published_at: datetime
    changed_at: datetime


@dataclass(frozen=True)
class Query:
    text: str = ""
    category: str | None = None
    province: str | None = None
    regency: str | None = None
    price_min: int | None = None
    price_max: int | None = None
    certification: str | None = None
    in_stock: bool = False  # only what can be ordered now: at least the minimum order in stock
    sort: str = "relevance"
    page: int = 1
    per_page: int = PER_PAGE

    def words(self) -> list[str]:
        """The query's words, lower-cased letters and digits only (safe for any engine's syntax)."""
        return [w[:MAX_WORD_LENGTH] for w in _WORD.findall(self.text.lower())][:MAX_WORDS]

    @property
    def offset(self) -> int:
        return (min(max(self.page, 1), MAX_PAGE) - 1) * self.per_page

    @property
    def effective_sort(self) -> str:
        """Relevance needs words; without them the newest come first."""
        if self.sort not in SORTS:
            return "relevance" if self.words() else "newest"
        if self.sort == "relevance" and not self.words():
            return "newest"
        return self.sort


@dataclass(frozen=True)
class Hit:
    listing_id: int
    cooperative_slug: str
    cooperative_name: str
    title: str
    category: str
    grade: str | None
    unit: str
    price: int
    lowest_price: int
    min_order: int
    available: int
    certifications: tuple[str, ...]
    province_code: str
    regency_code: str
    village_name: str
    photo_key: str | None
    harvested_on: date | None


@dataclass(frozen=True)
class Facets:
    category: dict[str, int] = field(default_factory=dict)
    province: dict[str, int] = field(default_factory=dict)
    regency: dict[str, int] = field(default_factory=dict)
    certification: dict[str, int] = field(default_factory=dict)
    in_stock: int = 0


@dataclass(frozen=True)
class Results:
    total: int
    hits: list[Hit]
    facets: Facets
    page: int
    per_page: int
    # False when the total and the facet counts are estimates (an adapter may estimate only when
    # there are more matches than it counts exactly; the page then says "sekitar").
    exact: bool = True

    @property
    def pages(self) -> int:
        return min(MAX_PAGE, max(1, -(-self.total // self.per_page)))


class SearchBackend(Protocol):
    def upsert(self, documents: list[Document]) -> None:
        """Add or replace documents (by listing id)."""

    def remove(self, listing_ids: list[int]) -> None:
        """Drop documents; unknown ids are ignored."""

    def search(self, query: Query) -> Results:
        """One page of hits with the total and facet counts over every match."""

    def refresh(self) -> None:
        """Make every write so far visible to search (a no-op where writes are visible at commit)."""

    def rebuild(self, documents: Iterable[Document]) -> int:
        """Replace the whole index with `documents` without a moment of empty search; returns the
        number indexed."""


def backend() -> SearchBackend:
    """The adapter chosen by configuration."""
    config = current_app.config["KOPDES"]
    name = getattr(config, "search_backend", "postgres")
    if name == "elasticsearch":
        from marketplace.search.elasticsearch import ElasticsearchBackend

        return ElasticsearchBackend.from_config(config)
    if name != "postgres":
        raise RuntimeError(f"unknown KOPDES_SEARCH_BACKEND: {name}")
    from marketplace.search.postgres import PostgresBackend

    return PostgresBackend()
