"""The postgres search adapter (the embedded default): full text with the `indonesian`
configuration (Snowball stemmer: "berasnya" and "beras" meet), the last word also matched as a
prefix of the unstemmed words, so results follow as one types.

Search reads the narrow `marketplace_search_entries` and only the page's cards from the documents,
so its cost follows what it must read, not how many listings match:

- counts: the matches are counted, with their facets and the page's ids, up to `EXACT_LIMIT` in
  one statement; when there are more, the total and the facet counts are estimated from a sample of
  `SAMPLE_PAGES` pages of the entries (the same pages for the same query) and `Results.exact` says
  so. Below the limit every count is exact.
- the page, when there are many matches: found by walking the sort's index until the page is full
  (the matches are then dense), or, for words sorted by price, by gathering their pages (words
  follow the category, and the entries are kept in category order). Relevance puts listings whose
  title holds every word first, then the others, each newest first.

The read statements are written as SQL from fixed fragments (a search runs on every keystroke:
no statement building beyond joining strings), their values always bound as parameters.
Writes join the caller's transaction: the index job marks its outbox row done with them.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import delete, text
from sqlalchemy.dialects.postgresql import insert as pg_insert

from core.db import db
from marketplace.search.models import (
    CATEGORY_CODES,
    CERTIFICATION_BITS,
    WRITE_ALL_ENTRIES,
    WRITE_ENTRIES,
    SearchDocument,
    SearchEntry,
)
from marketplace.search.port import Document, Facets, Hit, Query, Results

EXACT_LIMIT = 5_000  # matches counted exactly; beyond, counts are estimated from a sample
SAMPLE_PAGES = 1_000  # pages of the entries read for an estimate
WRITE_BATCH = 500

_COUNTS = """
SELECT grouping(category) AS by_category, grouping(province) AS by_province,
       grouping(regency) AS by_regency, category, province, regency, count(*) AS n,
       count(*) FILTER (WHERE ready) AS ready, count(*) FILTER (WHERE {titled}) AS titled,
       count(*) FILTER (WHERE certifications & 1 <> 0) AS halal,
       count(*) FILTER (WHERE certifications & 2 <> 0) AS organik,
       count(*) FILTER (WHERE certifications & 4 <> 0) AS sni{page}
FROM {source}
GROUP BY GROUPING SETS ((category), (province), (regency), ())
"""
_PAGE_OF_ALL = ", (array_agg(listing_id ORDER BY {order}))[:first : :last] AS page"
_CAPPED = """(SELECT listing_id, price, published_at, category, province, regency, certifications, ready,
    title_words FROM marketplace_search_entries WHERE {where} LIMIT :cap) AS matched"""
_SAMPLED = """marketplace_search_entries AS sample TABLESAMPLE system (CAST(:percent AS real))
    REPEATABLE (:seed)
    WHERE {where}"""
_ENTRY_PAGES = "SELECT greatest(relpages, 1) FROM pg_class WHERE oid = 'marketplace_search_entries'::regclass"
_PAGE = """SELECT listing_id FROM marketplace_search_entries WHERE {where} ORDER BY {order}
    LIMIT :limit OFFSET :skip"""
_CARDS = """
SELECT listing_id, cooperative_slug, cooperative_name, title, category, grade, unit, price,
       lowest_price, min_order, available, certifications, province_code, regency_code, village_name,
       photo_key, harvested_on
FROM marketplace_search_documents WHERE listing_id = ANY(CAST(:ids AS bigint[]))
"""
_NEWEST = "published_at DESC, listing_id DESC"
_ORDERS = {
    "price_asc": "price ASC, listing_id DESC",
    "price_desc": "price DESC, listing_id DESC",
    "newest": _NEWEST,
}
_STEER = {
    True: ("enable_bitmapscan", "enable_seqscan"),  # walk the sort's index until the page is full
    False: ("enable_indexscan", "enable_seqscan"),  # read the matches' pages by bitmap and sort
}
_STEER_SQL = {
    (walk, value): "SELECT " + ", ".join(f"set_config('{name}', '{value}', true)" for name in names)
    for walk, names in _STEER.items()
    for value in ("on", "off")
}


@dataclass(frozen=True)
class Sql:
    """A query's conditions on the entries, its title-match test and their parameters."""

    where: str
    titled: str
    params: dict[str, Any]


def ts_query(words: list[str], params: dict[str, Any]) -> str | None:
    """Every word must match (stemmed); the last may also be the start of a word."""
    if not words:
        return None
    parts = []
    for i, word in enumerate(words):
        params[f"w{i}"] = word
        parts.append(f"plainto_tsquery('indonesian'::regconfig, CAST(:w{i} AS text))")
    params["prefix"] = f"{words[-1]}:*"
    parts[-1] = f"({parts[-1]} || to_tsquery('simple'::regconfig, CAST(:prefix AS text)))"
    return " && ".join(parts)


def conditions(query: Query) -> Sql | None:
    """The query's filters on the entries, or None when nothing can match (an unknown value)."""
    params: dict[str, Any] = {}
    where = ["true"]
    tsq = ts_query(query.words(), params)
    if tsq is not None:
        where.append(f"words @@ ({tsq})")
    if query.category:
        if query.category not in CATEGORY_CODES:
            return None
        where.append("category = :category")
        params["category"] = CATEGORY_CODES.index(query.category) + 1
    for name, value, digits in (("province", query.province, 2), ("regency", query.regency, 5)):
        if value:
            code = value.replace(".", "")
            if len(value) != digits or not code.isdigit():
                return None
            where.append(f"{name} = :{name}")
            params[name] = int(code)
    for bound, price, test in (
        ("price_min", query.price_min, "price >= :price_min"),
        ("price_max", query.price_max, "price <= :price_max"),
    ):
        if price is not None:
            where.append(test)
            params[bound] = int(price)
    if query.certification:
        if query.certification not in CERTIFICATION_BITS:
            return None
        where.append(f"certifications & {CERTIFICATION_BITS[query.certification]} <> 0")
    if query.in_stock:
        where.append("ready")
    titled = f"title_words @@ ({tsq})" if tsq is not None else "false"
    return Sql(" AND ".join(where), titled, params)


@dataclass
class Counts:
    total: int = 0
    titled: int = 0  # matches whose title holds every word
    exact: bool = True
    facets: dict[str, dict[str, int]] = field(default_factory=dict)
    page: list[int] = field(default_factory=list)  # the page's ids, when every match was counted


def _region(facet: str, code: int) -> str:
    return f"{code:02d}" if facet == "province" else f"{code // 100:02d}.{code % 100:02d}"


def _read_counts(rows: Iterable[Any], regencies: bool, scale: float = 1.0) -> Counts:
    def n(value: int) -> int:
        return int(value) if scale == 1.0 else _rounded(value * scale)

    counts = Counts(facets={"category": {}, "province": {}, "regency": {}, "certification": {}})
    for row in rows:
        if not row.by_category:
            counts.facets["category"][CATEGORY_CODES[row.category - 1]] = n(row.n)
        elif not row.by_province:
            counts.facets["province"][_region("province", row.province)] = n(row.n)
        elif not row.by_regency:
            if regencies:
                counts.facets["regency"][_region("regency", row.regency)] = n(row.n)
        else:
            counts.total, counts.titled = n(row.n), n(row.titled)
            counts.page = list(getattr(row, "page", None) or [])
            counts.facets["in_stock"] = {"ready": n(row.ready)}
            for kind in CERTIFICATION_BITS:
                if getattr(row, kind):
                    counts.facets["certification"][kind] = n(getattr(row, kind))
    return counts


def _rounded(value: float) -> int:
    """An estimate to two significant digits (an estimate claims no more)."""
    if value < 100:
        return max(1, round(value))
    digits = len(str(int(value))) - 2
    return int(round(value / 10**digits) * 10**digits)


def _order(query: Query, sql: Sql) -> str:
    if query.effective_sort == "relevance":
        return f"{sql.titled} DESC, {_NEWEST}"
    return _ORDERS[query.effective_sort]


def count(query: Query, sql: Sql) -> Counts:
    """Exact counts (and the page) up to EXACT_LIMIT matches, else an estimate from a sample."""
    regencies = bool(query.province)
    statement = _COUNTS.format(
        titled=sql.titled,
        page=_PAGE_OF_ALL.format(order=_order(query, sql)),
        source=_CAPPED.format(where=sql.where),
    )
    params = {
        **sql.params,
        "cap": EXACT_LIMIT + 1,
        "first": query.offset + 1,
        "last": query.offset + query.per_page,
    }
    exact = _read_counts(_planned(statement, params, walk=False), regencies)
    if exact.total <= EXACT_LIMIT:
        return exact
    connection = db.session.connection()
    pages = connection.exec_driver_sql(_ENTRY_PAGES).scalar() or 1
    percent = min(100.0, 100.0 * SAMPLE_PAGES / pages)
    seed = zlib.crc32(repr(_filters_of(query)).encode()) & 0x7FFFFFFF
    statement = _COUNTS.format(titled=sql.titled, page="", source=_SAMPLED.format(where=sql.where))
    rows = connection.execute(text(statement), {**sql.params, "percent": percent, "seed": seed})
    estimated = _read_counts(rows, regencies, 100.0 / percent)
    estimated.exact = percent >= 100.0
    estimated.total = max(estimated.total, EXACT_LIMIT + 1)
    return estimated


def _filters_of(query: Query) -> tuple[Any, ...]:
    return (
        query.words(),
        query.category,
        query.province,
        query.regency,
        query.price_min,
        query.price_max,
        query.certification,
        query.in_stock,
    )


def _planned(statement: str, params: dict[str, Any], *, walk: bool) -> list[Any]:
    """The rows of `statement`, its plan steered. Many dense matches: walk the sort's index until
    the page is full (no bitmap, no full scan); few or clustered matches: gather them by bitmap
    (their pages only) and sort them, without an index walk that could read most of the table."""
    connection = db.session.connection()
    connection.exec_driver_sql(_STEER_SQL[walk, "off"])
    try:
        return list(connection.execute(text(statement), params))
    finally:
        connection.exec_driver_sql(_STEER_SQL[walk, "on"])


def _ids(where: str, order: str, params: dict[str, Any], limit: int, skip: int, *, walk: bool) -> list[int]:
    statement = _PAGE.format(where=where, order=order)
    return [row[0] for row in _planned(statement, {**params, "limit": limit, "skip": skip}, walk=walk)]


def page_ids(query: Query, sql: Sql, counts: Counts) -> list[int]:
    """The listing ids of the page asked for, in order."""
    if counts.total <= EXACT_LIMIT:
        return counts.page  # every match was gathered by the count, the page with them
    sort = query.effective_sort
    if sort != "relevance":
        # Price follows the category, and words follow it too: the matches of words sit together
        # in the entries' page order, so they are gathered; without words, or within a category,
        # a walk of the price index meets matches evenly.
        walk = sort == "newest" or not query.words() or query.category is not None
        return _ids(sql.where, _ORDERS[sort], sql.params, query.per_page, query.offset, walk=walk)
    # Many matches: the title matches first (their own index when they are few: a title match
    # matches the whole text too), then the others from where the title matches ran out.
    wanted = query.offset + query.per_page
    filters = conditions(Query(**{**query.__dict__, "text": ""}))
    if filters is None:  # cannot be: the same filters as `sql`, without the words
        return []
    first = _ids(
        f"{filters.where} AND {sql.titled}",
        _NEWEST,
        {**filters.params, **sql.params},
        wanted,
        0,
        walk=counts.titled > EXACT_LIMIT,
    )
    rest: list[int] = []
    if len(first) < wanted:
        start = max(0, query.offset - len(first))
        where = f"{sql.where} AND ({sql.titled}) IS false"
        rest = _ids(where, _NEWEST, sql.params, wanted - len(first) - start, start, walk=True)
    return (first[query.offset :] + rest)[: query.per_page]


class PostgresBackend:
    def upsert(self, documents: list[Document]) -> None:
        """Write the documents and their entries: two statements per batch."""
        self._write(documents, entries=True)

    def _write(self, documents: list[Document], *, entries: bool) -> None:
        for start in range(0, len(documents), WRITE_BATCH):
            batch = documents[start : start + WRITE_BATCH]
            now = datetime.now(UTC)
            rows = [{**asdict(d), "certifications": list(d.certifications), "indexed_at": now} for d in batch]
            stmt = pg_insert(SearchDocument).values(rows)
            updated = {c: stmt.excluded[c] for c in rows[0] if c != "listing_id"}
            db.session.execute(stmt.on_conflict_do_update(index_elements=["listing_id"], set_=updated))
            if entries:
                db.session.execute(
                    text(WRITE_ENTRIES),
                    {"categories": list(CATEGORY_CODES), "ids": [d.listing_id for d in batch]},
                )

    def remove(self, listing_ids: list[int]) -> None:
        if listing_ids:
            db.session.execute(delete(SearchEntry).where(SearchEntry.listing_id.in_(listing_ids)))
            db.session.execute(delete(SearchDocument).where(SearchDocument.listing_id.in_(listing_ids)))

    def refresh(self) -> None:
        """Documents are visible once the index job's transaction commits."""

    def rebuild(self, documents: Iterable[Document]) -> int:
        """Replace every document in one transaction (readers see the old set until it commits):
        the documents by batch, then every entry in one statement, in their page order."""
        db.session.execute(delete(SearchEntry))
        db.session.execute(delete(SearchDocument))
        batch: list[Document] = []
        count = 0
        for document in documents:
            batch.append(document)
            if len(batch) == WRITE_BATCH:
                self._write(batch, entries=False)
                count += len(batch)
                batch = []
        self._write(batch, entries=False)
        db.session.execute(text(WRITE_ALL_ENTRIES), {"categories": list(CATEGORY_CODES)})
        return count + len(batch)

    def search(self, query: Query) -> Results:
        sql = conditions(query)
        if sql is None:
            return Results(0, [], Facets(), min(max(query.page, 1), 50), query.per_page)
        counts = count(query, sql)
        ids = page_ids(query, sql, counts)
        hits: list[Hit] = []
        if ids:
            rows = db.session.connection().execute(text(_CARDS), {"ids": ids})
            by_id = {row.listing_id: row for row in rows}
            hits = [
                Hit(**{**by_id[i]._asdict(), "certifications": tuple(by_id[i].certifications)})
                for i in ids
                if i in by_id
            ]
        facets = Facets(
            category=_by_count(counts.facets.get("category", {})),
            province=_by_count(counts.facets.get("province", {})),
            regency=_by_count(counts.facets.get("regency", {})),
            certification=_by_count(counts.facets.get("certification", {})),
            in_stock=counts.facets.get("in_stock", {}).get("ready", 0),
        )
        return Results(
            counts.total, hits, facets, min(max(query.page, 1), 50), query.per_page, exact=counts.exact
        )


def _by_count(counts: dict[str, int]) -> dict[str, int]:
    return dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))
