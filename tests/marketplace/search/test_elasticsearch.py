"""The elasticsearch adapter without a server: the official client runs for real and its HTTP node
is replaced (`node_class`) by one that records each request and answers like a tiny cluster
(indices, one alias, bulk, search). What is checked is what would go over the wire: the mapping and
its Indonesian analysis, the query, the bulk lines and the order of the zero-downtime swap."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from typing import Any

import pytest
from elastic_transport import ApiResponseMeta, BaseNode, HttpHeaders
from elastic_transport._node._base import NodeApiResponse
from elasticsearch import Elasticsearch, helpers

from marketplace.search import elasticsearch as adapter
from marketplace.search.elasticsearch import ElasticsearchBackend
from marketplace.search.port import Document, Query


class FakeCluster:
    def __init__(self) -> None:
        self.requests: list[tuple[str, str, Any]] = []
        self.aliases: dict[str, set[str]] = {}  # alias -> indices
        self.indices: set[str] = set()
        self.search_response: dict[str, Any] = {}
        self.fail_bulk_into: str | None = None

    def answer(self, method: str, target: str, body: Any) -> tuple[int, Any]:
        path = target.split("?")[0]
        parts = [p for p in path.split("/") if p]
        if method in ("PUT", "POST") and parts[-1] == "_bulk":
            items = []
            for line in body:
                op = next(iter(line)) if len(line) == 1 else None
                if op not in ("index", "delete") or not isinstance(line[op], dict) or "_id" not in line[op]:
                    continue
                meta = line[op]
                status = 500 if meta["_index"] == self.fail_bulk_into else (201 if op == "index" else 200)
                items.append({op: {"_index": meta["_index"], "_id": meta["_id"], "status": status}})
            failed = any(item[next(iter(item))]["status"] >= 300 for item in items)
            return 200, {"took": 1, "errors": failed, "items": items}
        if method == "GET" and parts[0] == "_alias":
            indices = self.aliases.get(parts[1])
            if not indices:
                return 404, {"error": "alias missing", "status": 404}
            return 200, {index: {"aliases": {parts[1]: {}}} for index in indices}
        if method == "PUT" and len(parts) == 1:
            self.indices.add(parts[0])
            return 200, {"acknowledged": True, "index": parts[0]}
        if method == "POST" and parts == ["_aliases"]:
            for action in body["actions"]:
                for kind, spec in action.items():
                    members = self.aliases.setdefault(spec["alias"], set())
                    (members.add if kind == "add" else members.discard)(spec["index"])
            return 200, {"acknowledged": True}
        if method == "DELETE" and len(parts) == 1:
            self.indices.discard(parts[0])
            return 200, {"acknowledged": True}
        if parts[-1] == "_refresh":
            return 200, {"_shards": {"total": 1, "successful": 1, "failed": 0}}
        if parts[-1] == "_search":
            return 200, self.search_response
        return 400, {"error": f"unexpected {method} {target}", "status": 400}


CLUSTER = FakeCluster()


class RecordingNode(BaseNode):
    def perform_request(self, method, target, body=None, headers=None, request_timeout=None):  # type: ignore[override]
        parsed: Any = None
        if body:
            text = body.decode()
            if target.split("?")[0].endswith("_bulk"):
                parsed = [json.loads(line) for line in text.splitlines() if line.strip()]
            else:
                parsed = json.loads(text)
        CLUSTER.requests.append((method, target.split("?")[0], parsed))
        status, answer = CLUSTER.answer(method, target, parsed)
        meta = ApiResponseMeta(
            status=status,
            http_version="1.1",
            headers=HttpHeaders({"x-elastic-product": "Elasticsearch", "content-type": "application/json"}),
            duration=0.0,
            node=self.config,
        )
        return NodeApiResponse(meta, json.dumps(answer).encode())


@pytest.fixture
def es() -> ElasticsearchBackend:
    global CLUSTER
    CLUSTER = FakeCluster()
    client = Elasticsearch("http://es.test:9200", node_class=RecordingNode, max_retries=0)
    return ElasticsearchBackend(client, alias="kophub-listings")


def doc(listing_id: int, **kw: Any) -> Document:
    base = dict(
        listing_id=listing_id,
        cooperative_id=7,
        cooperative_slug="kopdes-cangkuang-wetan",
        cooperative_name="Kopdes Cangkuang Wetan",
        title="Beras Pandan Wangi",
        description="Beras pulen",
        keywords="Beras dan gabah Premium Cangkuang Wetan Kabupaten Bandung Jawa Barat",
        category="beras",
        grade="Premium",
        unit="kg",
        price=15_000,
        lowest_price=13_000,
        min_order=10,
        available=400,
        certifications=("halal",),
        province_code="32",
        regency_code="32.04",
        village_code="32.04.12.2003",
        village_name="Cangkuang Wetan",
        photo_key=None,
        harvested_on=date(2026, 10, 1),
        published_at=datetime(2026, 11, 1, tzinfo=UTC),
        changed_at=datetime(2026, 11, 2, tzinfo=UTC),
    )
    base.update(kw)
    return Document(**base)


def test_the_first_write_creates_a_versioned_index_with_indonesian_analysis_behind_the_alias(es):
    es.upsert([doc(1)])
    methods = [(m, t) for m, t, _ in CLUSTER.requests]
    assert methods[0] == ("GET", "/_alias/kophub-listings")
    create = CLUSTER.requests[1]
    assert create[0] == "PUT" and create[1].startswith("/kophub-listings-v1-")
    analysis = create[2]["settings"]["analysis"]
    assert analysis["filter"]["indonesian_stemmer"] == {"type": "stemmer", "language": "indonesian"}
    assert analysis["filter"]["indonesian_stop"]["stopwords"] == "_indonesian_"
    synonyms = analysis["filter"]["kophub_synonyms"]["synonyms"]
    assert "gabah, padi" in synonyms and "minyak goreng, migor" in synonyms
    assert any("gula merah" in s and "gula aren" in s for s in synonyms)
    assert "kophub_synonyms" in analysis["analyzer"]["kophub_query"]["filter"]
    title = create[2]["mappings"]["properties"]["title"]
    assert title["analyzer"] == "kophub_text" and title["search_analyzer"] == "kophub_query"
    assert create[2]["mappings"]["properties"]["province_code"] == {"type": "keyword"}
    assert CLUSTER.requests[2] == (
        "POST",
        "/_aliases",
        {"actions": [{"add": {"index": create[1].strip("/"), "alias": "kophub-listings"}}]},
    )


def test_upsert_and_remove_send_bulk_index_and_delete_lines_through_the_alias(es):
    es.upsert([doc(1), doc(2, title="Gabah kering giling", available=3)])
    es.remove([2, 3])
    bulks = [body for method, target, body in CLUSTER.requests if target.endswith("_bulk")]
    assert len(bulks) == 2
    upsert, remove = bulks
    assert upsert[0] == {"index": {"_index": "kophub-listings", "_id": "1"}}
    assert upsert[1]["title"] == "Beras Pandan Wangi" and upsert[1]["orderable"] is True
    assert upsert[1]["harvested_on"] == "2026-10-01" and upsert[1]["certifications"] == ["halal"]
    assert upsert[3]["orderable"] is False  # 3 in stock, minimum order 10
    assert remove == [
        {"delete": {"_index": "kophub-listings", "_id": "2"}},
        {"delete": {"_index": "kophub-listings", "_id": "3"}},
    ]


def test_a_query_becomes_fuzzy_and_prefix_matching_with_filters_sort_page_and_aggregations(es):
    es.upsert([doc(1)])
    CLUSTER.search_response = {
        "hits": {
            "total": {"value": 21, "relation": "eq"},
            "hits": [{"_id": "1", "_source": {**adapter.source(doc(1)), "certifications": ["halal"]}}],
        },
        "aggregations": {
            "category": {"buckets": [{"key": "beras", "doc_count": 21}]},
            "province": {"buckets": [{"key": "32", "doc_count": 21}]},
            "regency": {"buckets": [{"key": "32.04", "doc_count": 21}]},
            "certification": {"buckets": [{"key": "halal", "doc_count": 9}]},
            "in_stock": {"doc_count": 20},
        },
    }
    query = Query(
        text="Berasnya premium!",
        province="32",
        certification="halal",
        price_min=10_000,
        price_max=20_000,
        in_stock=True,
        sort="price_asc",
        page=2,
    )
    results = es.search(query)
    method, target, body = CLUSTER.requests[-1]
    assert (method, target) == ("POST", "/kophub-listings/_search")
    should = body["query"]["bool"]["must"][0]["bool"]["should"]
    assert should[0]["multi_match"]["query"] == "berasnya premium"
    assert should[0]["multi_match"]["fuzziness"] == "AUTO"
    assert should[1]["multi_match"]["type"] == "bool_prefix"
    assert body["query"]["bool"]["filter"] == [
        {"term": {"province_code": "32"}},
        {"range": {"price": {"gte": 10_000, "lte": 20_000}}},
        {"term": {"certifications": "halal"}},
        {"term": {"orderable": True}},
    ]
    assert body["sort"] == [{"price": "asc"}, {"listing_id": "desc"}]
    assert (body["from"], body["size"], body["track_total_hits"]) == (20, 20, True)
    assert set(body["aggs"]) == {"category", "province", "regency", "certification", "in_stock"}
    assert results.total == 21 and results.hits[0].listing_id == 1
    assert results.hits[0].harvested_on == date(2026, 10, 1)
    assert results.facets.regency == {"32.04": 21} and results.facets.in_stock == 20


def test_an_empty_query_matches_all_newest_first(es):
    body = adapter.search_body(Query())
    assert body["query"]["bool"]["must"] == [{"match_all": {}}]
    assert body["sort"] == [{"published_at": "desc"}, {"listing_id": "desc"}]
    assert "regency" not in body["aggs"]


def test_a_rebuild_loads_a_new_index_then_swaps_the_alias_atomically_and_drops_the_old(es):
    es.upsert([doc(1)])
    old = next(iter(CLUSTER.aliases["kophub-listings"]))
    CLUSTER.requests.clear()
    assert es.rebuild(iter([doc(1), doc(2), doc(3)])) == 3
    steps = [(m, t) for m, t, _ in CLUSTER.requests]
    new = steps[1][1].strip("/")
    assert new != old and new.startswith("kophub-listings-v1-")
    assert steps == [
        ("GET", "/_alias/kophub-listings"),
        ("PUT", f"/{new}"),
        ("PUT", "/_bulk"),
        ("POST", f"/{new}/_refresh"),
        ("POST", "/_aliases"),
        ("DELETE", f"/{old}"),
    ]
    bulk = CLUSTER.requests[2][2]
    assert [line["index"]["_index"] for line in bulk[::2]] == [new, new, new]
    assert CLUSTER.requests[4][2] == {
        "actions": [
            {"remove": {"index": old, "alias": "kophub-listings"}},
            {"add": {"index": new, "alias": "kophub-listings"}},
        ]
    }
    assert CLUSTER.aliases["kophub-listings"] == {new}


def test_a_failed_rebuild_leaves_the_alias_on_the_old_index_and_removes_the_new_one(es):
    es.upsert([doc(1)])
    old = set(CLUSTER.aliases["kophub-listings"])
    CLUSTER.fail_bulk_into = "*"
    original = CLUSTER.answer

    def failing(method, target, body):
        if target.split("?")[0].endswith("_bulk"):
            CLUSTER.fail_bulk_into = body[0]["index"]["_index"]
        return original(method, target, body)

    CLUSTER.answer = failing  # type: ignore[method-assign]
    with pytest.raises(helpers.BulkIndexError):
        es.rebuild(iter([doc(5)]))
    assert CLUSTER.aliases["kophub-listings"] == old
    assert not any(m == "POST" and t == "/_aliases" for m, t, _ in CLUSTER.requests[3:])
    assert CLUSTER.requests[-1][0] == "DELETE" and CLUSTER.requests[-1][1] != f"/{next(iter(old))}"
