"""The postgres search adapter (the embedded default): documents in `marketplace_search_documents`,
full text with the `indonesian` configuration (Snowball stemmer: "berasnya" and "beras" meet),
the last word also matched as a prefix of the unstemmed words, so results follow as one types.

One query returns the page of hits, one more the facet counts over every match (category,
province, regency once a province is chosen, certification, orderable now), both from the same
filters. Writes join the caller's transaction: the index job marks its outbox row done with them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict
from datetime import UTC, datetime
from functools import reduce
from typing import Any

from sqlalchemy import ColumnElement, delete, func, literal, literal_column, select, union_all
from sqlalchemy.dialects.postgresql import insert as pg_insert

from core.db import db
from marketplace.search.models import SearchDocument
from marketplace.search.port import Document, Facets, Hit, Query, Results

_INDONESIAN: ColumnElement[Any] = literal_column("'indonesian'::regconfig")
_SIMPLE: ColumnElement[Any] = literal_column("'simple'::regconfig")
_HIT_COLUMNS = [
    SearchDocument.listing_id,
    SearchDocument.cooperative_slug,
    SearchDocument.cooperative_name,
    SearchDocument.title,
    SearchDocument.category,
    SearchDocument.grade,
    SearchDocument.unit,
    SearchDocument.price,
    SearchDocument.lowest_price,
    SearchDocument.min_order,
    SearchDocument.available,
    SearchDocument.certifications,
    SearchDocument.province_code,
    SearchDocument.regency_code,
    SearchDocument.village_name,
    SearchDocument.photo_key,
    SearchDocument.harvested_on,
]


def ts_query(words: list[str]) -> ColumnElement[Any] | None:
    """Every word must match (stemmed); the last may also be the start of a word."""
    if not words:
        return None
    parts: list[ColumnElement[Any]] = [func.plainto_tsquery(_INDONESIAN, literal(w)) for w in words[:-1]]
    last = words[-1]
    parts.append(
        func.plainto_tsquery(_INDONESIAN, literal(last)).op("||")(
            func.to_tsquery(_SIMPLE, literal(f"{last}:*"))
        )
    )
    return reduce(lambda a, b: a.op("&&")(b), parts)


def conditions(query: Query) -> list[ColumnElement[bool]]:
    doc = SearchDocument
    found: list[ColumnElement[bool]] = []
    tsq = ts_query(query.words())
    if tsq is not None:
        found.append(doc.tsv.op("@@")(tsq))
    if query.category:
        found.append(doc.category == query.category)
    if query.province:
        found.append(doc.province_code == query.province)
    if query.regency:
        found.append(doc.regency_code == query.regency)
    if query.price_min is not None:
        found.append(doc.price >= query.price_min)
    if query.price_max is not None:
        found.append(doc.price <= query.price_max)
    if query.certification:
        found.append(doc.certifications.contains([query.certification]))
    if query.in_stock:
        found.append(doc.available >= doc.min_order)
    return found


def _order(query: Query) -> list[Any]:
    doc = SearchDocument
    sort = query.effective_sort
    if sort == "price_asc":
        return [doc.price.asc(), doc.listing_id.desc()]
    if sort == "price_desc":
        return [doc.price.desc(), doc.listing_id.desc()]
    if sort == "newest":
        return [doc.published_at.desc(), doc.listing_id.desc()]
    tsq = ts_query(query.words())
    return [func.ts_rank(doc.tsv, tsq).desc(), doc.listing_id.desc()]


class PostgresBackend:
    def upsert(self, documents: list[Document]) -> None:
        if not documents:
            return
        now = datetime.now(UTC)
        rows = [{**asdict(d), "certifications": list(d.certifications), "indexed_at": now} for d in documents]
        stmt = pg_insert(SearchDocument).values(rows)
        updated = {c: stmt.excluded[c] for c in rows[0] if c != "listing_id"}
        db.session.execute(stmt.on_conflict_do_update(index_elements=["listing_id"], set_=updated))

    def remove(self, listing_ids: list[int]) -> None:
        if listing_ids:
            db.session.execute(delete(SearchDocument).where(SearchDocument.listing_id.in_(listing_ids)))

    def refresh(self) -> None:
        """Documents are visible once the index job's transaction commits."""

    def rebuild(self, documents: Iterable[Document]) -> int:
        """Replace every document in one transaction: readers see the old set until it commits."""
        db.session.execute(delete(SearchDocument))
        batch: list[Document] = []
        count = 0
        for document in documents:
            batch.append(document)
            if len(batch) == 500:
                self.upsert(batch)
                count += len(batch)
                batch = []
        self.upsert(batch)
        return count + len(batch)

    def search(self, query: Query) -> Results:
        where = conditions(query)
        hits_stmt = (
            select(*_HIT_COLUMNS)
            .where(*where)
            .order_by(*_order(query))
            .limit(query.per_page)
            .offset(query.offset)
        )
        hits = [
            Hit(**{**row._asdict(), "certifications": tuple(row.certifications)})
            for row in db.session.execute(hits_stmt)
        ]
        facets = self.facets(query, where)
        total = sum(facets.category.values())
        return Results(total, hits, facets, min(max(query.page, 1), 50), query.per_page)

    def facets(self, query: Query, where: list[ColumnElement[bool]]) -> Facets:
        doc = SearchDocument
        matched = (
            select(
                doc.category,
                doc.province_code,
                doc.regency_code,
                doc.certifications,
                (doc.available >= doc.min_order).label("ready"),
            )
            .where(*where)
            .cte("matched")
        )
        cert = func.unnest(matched.c.certifications).table_valued("value").render_derived(name="cert")
        parts = [
            select(
                literal("category").label("facet"), matched.c.category.label("value"), func.count()
            ).group_by(matched.c.category),
            select(literal("province"), matched.c.province_code, func.count()).group_by(
                matched.c.province_code
            ),
            select(literal("certification"), cert.c.value, func.count())
            .select_from(matched.join(cert, literal(True)))
            .group_by(cert.c.value),
            select(literal("in_stock"), literal("ready"), func.count()).where(matched.c.ready),
        ]
        if query.province:
            parts.append(
                select(literal("regency"), matched.c.regency_code, func.count()).group_by(
                    matched.c.regency_code
                )
            )
        counts: dict[str, dict[str, int]] = {}
        for facet, value, count in db.session.execute(union_all(*parts)):
            counts.setdefault(facet, {})[value] = int(count)
        return Facets(
            category=_by_count(counts.get("category", {})),
            province=_by_count(counts.get("province", {})),
            regency=_by_count(counts.get("regency", {})),
            certification=_by_count(counts.get("certification", {})),
            in_stock=counts.get("in_stock", {}).get("ready", 0),
        )


def _by_count(counts: dict[str, int]) -> dict[str, int]:
    return dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))
