"""The elasticsearch search adapter, with the official client.

Documents live in a versioned index (`kophub-listings-v1-<stamp>`) that buyers reach through the
alias `kophub-listings`; a rebuild creates a new index, bulk-loads it, swaps the alias in one
atomic request and deletes the old index, so search never answers from an empty or half-built
index. Text is analysed for Indonesian (lower case, stop words, the Snowball Indonesian stemmer);
queries also expand synonyms buyers use ("gabah, padi", "minyak goreng, migor", "gula merah, gula
aren"), forgive typos (fuzzy matching) and match the last word as a prefix while one types. Facets
are aggregations over the same filters.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import asdict
from datetime import UTC, datetime
from typing import Any

from elasticsearch import Elasticsearch, NotFoundError, helpers

from marketplace.search.port import Document, Facets, Hit, Query, Results

ALIAS = "kophub-listings"
MAPPING_VERSION = 1
SYNONYMS = [
    "gabah, padi",
    "minyak goreng, migor",
    "gula merah, gula aren, gula jawa",
    "cabai, cabe",
    "ketela, singkong, ubi kayu",
    "kopi bubuk, kopi giling",
]
SETTINGS: dict[str, Any] = {
    "number_of_shards": 1,
    "analysis": {
        "filter": {
            "indonesian_stop": {"type": "stop", "stopwords": "_indonesian_"},
            "indonesian_stemmer": {"type": "stemmer", "language": "indonesian"},
            "kophub_synonyms": {"type": "synonym_graph", "synonyms": SYNONYMS},
            "kophub_prefix": {"type": "edge_ngram", "min_gram": 2, "max_gram": 15},
        },
        "analyzer": {
            "kophub_text": {
                "tokenizer": "standard",
                "filter": ["lowercase", "asciifolding", "indonesian_stop", "indonesian_stemmer"],
            },
            "kophub_query": {
                "tokenizer": "standard",
                "filter": [
                    "lowercase",
                    "asciifolding",
                    "kophub_synonyms",
                    "indonesian_stop",
                    "indonesian_stemmer",
                ],
            },
            "kophub_prefix": {
                "tokenizer": "standard",
                "filter": ["lowercase", "asciifolding", "kophub_prefix"],
            },
            "kophub_prefix_query": {"tokenizer": "standard", "filter": ["lowercase", "asciifolding"]},
        },
    },
}
_TEXT = {"type": "text", "analyzer": "kophub_text", "search_analyzer": "kophub_query"}
_PREFIXED = {
    **_TEXT,
    "fields": {
        "prefix": {"type": "text", "analyzer": "kophub_prefix", "search_analyzer": "kophub_prefix_query"}
    },
}
MAPPINGS: dict[str, Any] = {
    "dynamic": "strict",
    "properties": {
        "listing_id": {"type": "long"},
        "cooperative_id": {"type": "long"},
        "cooperative_slug": {"type": "keyword", "index": False},
        "cooperative_name": {"type": "text", "analyzer": "kophub_text"},
        "title": _PREFIXED,
        "description": _TEXT,
        "keywords": _PREFIXED,
        "category": {"type": "keyword"},
        "grade": {"type": "keyword"},
        "unit": {"type": "keyword", "index": False},
        "price": {"type": "long"},
        "lowest_price": {"type": "long"},
        "min_order": {"type": "long"},
        "available": {"type": "long"},
        "orderable": {"type": "boolean"},
        "certifications": {"type": "keyword"},
        "province_code": {"type": "keyword"},
        "regency_code": {"type": "keyword"},
        "village_code": {"type": "keyword"},
        "village_name": {"type": "keyword", "index": False},
        "photo_key": {"type": "keyword", "index": False},
        "harvested_on": {"type": "date"},
        "published_at": {"type": "date"},
        "changed_at": {"type": "date"},
        "indexed_at": {"type": "date"},
    },
}
_HIT_FIELDS = [f for f in Hit.__dataclass_fields__]


def source(document: Document, now: datetime | None = None) -> dict[str, Any]:
    """A document as stored in the index (JSON-ready)."""
    body = asdict(document)
    body["certifications"] = list(document.certifications)
    body["orderable"] = document.available >= document.min_order
    body["indexed_at"] = (now or datetime.now(UTC)).isoformat()
    for key in ("harvested_on", "published_at", "changed_at"):
        if body[key] is not None:
            body[key] = body[key].isoformat()
    return body


def index_actions(documents: Iterable[Document], index: str) -> Iterator[dict[str, Any]]:
    now = datetime.now(UTC)
    for document in documents:
        yield {
            "_op_type": "index",
            "_index": index,
            "_id": str(document.listing_id),
            "_source": source(document, now),
        }


def delete_actions(listing_ids: Iterable[int], index: str) -> Iterator[dict[str, Any]]:
    for listing_id in listing_ids:
        yield {"_op_type": "delete", "_index": index, "_id": str(listing_id)}


def text_query(query: Query) -> dict[str, Any] | None:
    words = query.words()
    if not words:
        return None
    text = " ".join(words)
    return {
        "bool": {
            "should": [
                {
                    "multi_match": {
                        "query": text,
                        "fields": ["title^3", "keywords^2", "description"],
                        "operator": "and",
                        "fuzziness": "AUTO",
                        "prefix_length": 1,
                    }
                },
                {
                    "multi_match": {
                        "query": text,
                        "type": "bool_prefix",
                        "fields": ["title.prefix^2", "keywords.prefix"],
                        "operator": "and",
                    }
                },
            ],
            "minimum_should_match": 1,
        }
    }


def filters(query: Query) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    if query.category:
        found.append({"term": {"category": query.category}})
    if query.province:
        found.append({"term": {"province_code": query.province}})
    if query.regency:
        found.append({"term": {"regency_code": query.regency}})
    if query.price_min is not None or query.price_max is not None:
        bounds = {}
        if query.price_min is not None:
            bounds["gte"] = query.price_min
        if query.price_max is not None:
            bounds["lte"] = query.price_max
        found.append({"range": {"price": bounds}})
    if query.certification:
        found.append({"term": {"certifications": query.certification}})
    if query.in_stock:
        found.append({"term": {"orderable": True}})
    return found


def sort_clause(query: Query) -> list[Any]:
    sort = query.effective_sort
    if sort == "price_asc":
        return [{"price": "asc"}, {"listing_id": "desc"}]
    if sort == "price_desc":
        return [{"price": "desc"}, {"listing_id": "desc"}]
    if sort == "newest":
        return [{"published_at": "desc"}, {"listing_id": "desc"}]
    return ["_score", {"listing_id": "desc"}]


def search_body(query: Query) -> dict[str, Any]:
    """The search request of a query: hits, total and facets (aggregations) in one round trip."""
    must = text_query(query)
    aggs: dict[str, Any] = {
        "category": {"terms": {"field": "category", "size": 20}},
        "province": {"terms": {"field": "province_code", "size": 40}},
        "certification": {"terms": {"field": "certifications", "size": 5}},
        "in_stock": {"filter": {"term": {"orderable": True}}},
    }
    if query.province:
        aggs["regency"] = {"terms": {"field": "regency_code", "size": 60}}
    return {
        "query": {"bool": {"must": [must] if must else [{"match_all": {}}], "filter": filters(query)}},
        "sort": sort_clause(query),
        "from": query.offset,
        "size": query.per_page,
        "track_total_hits": True,
        "_source": _HIT_FIELDS,
        "aggs": aggs,
    }


def _buckets(aggregations: dict[str, Any], name: str) -> dict[str, int]:
    return {str(b["key"]): int(b["doc_count"]) for b in aggregations.get(name, {}).get("buckets", [])}


def parse_results(query: Query, response: dict[str, Any]) -> Results:
    hits = []
    for item in response["hits"]["hits"]:
        src = item["_source"]
        harvested = src.get("harvested_on")
        hits.append(
            Hit(
                **{
                    **{f: src.get(f) for f in _HIT_FIELDS},
                    "certifications": tuple(src.get("certifications") or ()),
                    "harvested_on": datetime.fromisoformat(harvested).date() if harvested else None,
                }
            )
        )
    aggregations = response.get("aggregations", {})
    facets = Facets(
        category=_buckets(aggregations, "category"),
        province=_buckets(aggregations, "province"),
        regency=_buckets(aggregations, "regency"),
        certification=_buckets(aggregations, "certification"),
        in_stock=int(aggregations.get("in_stock", {}).get("doc_count", 0)),
    )
    total = response["hits"]["total"]
    return Results(
        int(total["value"] if isinstance(total, dict) else total),
        hits,
        facets,
        min(max(query.page, 1), 50),
        query.per_page,
    )


class ElasticsearchBackend:
    def __init__(self, client: Elasticsearch, alias: str | None = None) -> None:
        self.client = client
        self.alias = alias or ALIAS

    @classmethod
    def from_config(cls, config: Any) -> ElasticsearchBackend:
        if not config.elasticsearch_url:
            raise RuntimeError("KOPDES_SEARCH_BACKEND=elasticsearch needs KOPDES_ELASTICSEARCH_URL")
        return cls(Elasticsearch(config.elasticsearch_url, request_timeout=10, retry_on_timeout=True))

    def new_index_name(self) -> str:
        return f"{self.alias}-v{MAPPING_VERSION}-{datetime.now(UTC):%Y%m%d%H%M%S%f}"

    def create_index(self) -> str:
        name = self.new_index_name()
        self.client.indices.create(index=name, settings=SETTINGS, mappings=MAPPINGS)
        return name

    def current_indices(self) -> list[str]:
        try:
            return sorted(self.client.indices.get_alias(name=self.alias).body)
        except NotFoundError:
            return []

    def ensure_index(self) -> None:
        """The first index behind the alias, when there is none yet."""
        if self.current_indices():
            return
        name = self.create_index()
        self.client.indices.update_aliases(actions=[{"add": {"index": name, "alias": self.alias}}])

    def upsert(self, documents: list[Document]) -> None:
        if documents:
            self.ensure_index()
            helpers.bulk(self.client, index_actions(documents, self.alias), refresh=False)

    def remove(self, listing_ids: list[int]) -> None:
        if listing_ids and self.current_indices():
            helpers.bulk(
                self.client, delete_actions(listing_ids, self.alias), raise_on_error=False, refresh=False
            )

    def refresh(self) -> None:
        self.client.indices.refresh(index=self.alias)

    def search(self, query: Query) -> Results:
        if not self.current_indices():
            return Results(0, [], Facets(), 1, query.per_page)
        response = self.client.search(index=self.alias, **search_body(query))
        return parse_results(query, response.body)

    def rebuild(self, documents: Iterable[Document]) -> int:
        """Zero-downtime reindex: a new index, bulk load, one atomic alias swap, old index gone."""
        old = self.current_indices()
        new = self.create_index()
        try:
            count, _errors = helpers.bulk(self.client, index_actions(documents, new), chunk_size=1000)
            self.client.indices.refresh(index=new)
        except Exception:
            self.client.indices.delete(index=new, ignore_unavailable=True)
            raise
        actions: list[dict[str, Any]] = [{"remove": {"index": index, "alias": self.alias}} for index in old]
        actions.append({"add": {"index": new, "alias": self.alias}})
        self.client.indices.update_aliases(actions=actions)
        for index in old:
            self.client.indices.delete(index=index, ignore_unavailable=True)
        return int(count)
