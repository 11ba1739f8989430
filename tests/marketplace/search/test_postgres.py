"""The postgres adapter's own ways to stay fast on a national catalogue, checked for what they must
not change: with many matches (above EXACT_LIMIT) the page is found by other plans, and counts may
be estimates, said so; the results themselves are the same as when every match is counted."""

from __future__ import annotations

import pytest
from sqlalchemy import event

from core.db import db
from marketplace.listings import service as listings
from marketplace.search import postgres
from marketplace.search.port import Query, backend
from tenants.context import tenant
from tests.marketplace.conftest import make_market, run_index_jobs


@pytest.fixture
def catalogue(app):
    """Twelve listings in two provinces, three categories, varied prices, titles and stock."""
    bandung, wonosobo = make_market("32.04.12.2003"), make_market("33.07.07.1006")
    ids = []
    for n in range(12):
        market = bandung if n % 3 else wonosobo
        with tenant(market.coop.id):
            ids.append(
                market.publish(
                    market.product(stock=5 if n % 4 == 0 else 300),
                    title=("Beras merah" if n % 2 else "Gula aren cetak") + f" panen {n}",
                    description="Beras dari sawah desa." if n % 5 == 0 else "Hasil kebun anggota.",
                    category=("beras", "gula", "kopi_teh_kakao")[n % 3],
                    price=10_000 + (n * 7_919) % 40_000,
                    tiers=(),
                    certifications=(("halal", "ID32110000123450125"),) if n % 2 else (),
                ).id
            )
    run_index_jobs()
    return ids


QUERIES = [
    Query(**kw, sort=sort, page=page, per_page=3)
    for kw in (
        {},
        {"text": "beras"},
        {"text": "gula aren"},
        {"text": "ber", "province": "32"},
        {"text": "beras", "in_stock": True, "certification": "halal"},
        {"category": "gula", "price_min": 12_000, "price_max": 45_000},
    )
    for sort in ("relevance", "price_asc", "price_desc", "newest")
    for page in (1, 2, 4)
]


def _seen(query: Query) -> tuple:
    results = backend().search(query)
    return [h.listing_id for h in results.hits], results.total, results.facets, results.exact


def test_many_matches_find_the_same_pages_by_other_plans_and_count_exactly_when_the_sample_is_whole(
    catalogue, monkeypatch
):
    counted = {q: _seen(q) for q in QUERIES}
    assert all(exact for *_, exact in counted.values())
    monkeypatch.setattr(postgres, "EXACT_LIMIT", 2)  # every query above now has "many" matches
    for query in QUERIES:
        assert _seen(query) == counted[query], query


def test_estimated_counts_are_said_to_be_estimates_and_never_below_the_exact_limit(
    catalogue, monkeypatch, client
):
    exact = backend().search(Query(text="beras", sort="price_asc"))
    monkeypatch.setattr(postgres, "EXACT_LIMIT", 2)
    monkeypatch.setattr(postgres, "SAMPLE_PAGES", 0.5)  # half of the table's one page: a true sample
    estimated = backend().search(Query(text="beras", sort="price_asc"))
    assert not estimated.exact and estimated.total >= 3
    assert [h.listing_id for h in estimated.hits] == [h.listing_id for h in exact.hits]
    body = client.get("/kophub/?q=beras").get_data(as_text=True)
    assert "Sekitar" in body and "diperkirakan" in body and "± " in body


def test_below_the_limit_the_page_comes_with_the_counts_in_one_statement(catalogue):
    statements = []

    def note(conn, cursor, statement, *args):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", note)
    try:
        results = backend().search(Query(text="beras", province="32", sort="price_desc"))
    finally:
        event.remove(db.engine, "before_cursor_execute", note)
    assert results.exact and results.hits
    searching = [s for s in statements if "marketplace_search" in s]
    assert len(searching) == 2  # counts with the page's ids, then the page's cards


def test_the_programmes_name_every_cooperative_carries_finds_nothing_by_itself(app):
    market = make_market("32.04.12.2003")
    market.coop.name = "Koperasi Desa Merah Putih Cangkuang Wetan"
    db.session.commit()
    with tenant(market.coop.id):
        beras = market.publish(title="Beras pandan wangi", tiers=()).id
    run_index_jobs()
    assert [h.listing_id for h in backend().search(Query(text="merah")).hits] == []
    assert [h.listing_id for h in backend().search(Query(text="cangkuang")).hits] == [beras]


def test_search_documents_are_read_with_a_fixed_number_of_queries_whatever_the_listings(app):
    market = make_market("32.04.12.2003")
    with tenant(market.coop.id):
        one = [market.publish().id]
        many = [market.publish(title=f"Beras {n}").id for n in range(8)]
        db.session.commit()

        def queries(ids: list[int]) -> int:
            db.session.expire_all()
            statements = []
            handler = lambda *args: statements.append(args[2])  # noqa: E731
            event.listen(db.engine, "before_cursor_execute", handler)
            try:
                documents, gone = listings.documents_for(ids)
            finally:
                event.remove(db.engine, "before_cursor_execute", handler)
            assert len(documents) == len(ids) and gone == []
            return len(statements)

        queries(one)  # the transaction begins (and sets the tenant) on the first
        assert queries(one) == queries(many) == 7  # cooperative, listings and 3 of their parts, stock, places
