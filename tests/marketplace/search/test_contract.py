"""The search contract, the same for every adapter: listings go in through the real path (publish,
the outbox's index job) and buyers' queries come out. Indonesian stemming, prefix while typing,
filters, facets, sort, pages, and listings that must disappear."""

from __future__ import annotations

from dataclasses import replace

import pytest

from erp.inventory import service as inventory
from marketplace.listings import service as listings
from marketplace.search.port import Query
from tenants.context import tenant
from tests.marketplace.conftest import make_market, run_index_jobs

JABAR_BANDUNG = "32.04.12.2003"
JABAR_BANDUNG_2 = "32.04.12.2004"
JATENG_WONOSOBO = "33.07.07.1006"
NTT_KUPANG = "53.01.06.2007"


@pytest.fixture
def catalogue(app, engine):
    """Five listings from three provinces; returns their ids by a short name."""
    bandung, wonosobo, kupang = (
        make_market(JABAR_BANDUNG),
        make_market(JATENG_WONOSOBO),
        make_market(NTT_KUPANG),
    )
    ids = {}
    with tenant(bandung.coop.id):
        ids["pandan"] = bandung.publish(
            bandung.product(stock=500), title="Beras Pandan Wangi", price=15_000
        ).id
        ids["berasnya"] = bandung.publish(
            bandung.product(stock=30),
            title="Berasnya pulen, langsung dari penggilingan",
            price=13_000,
            tiers=(),
            certifications=(("halal", "ID32110000123450125"), ("organik", "LSO-001-IDN-2025")),
        ).id
    with tenant(wonosobo.coop.id):
        ids["gabah"] = wonosobo.publish(
            wonosobo.product(stock=2_000),
            title="Gabah kering giling",
            price=7_000,
            tiers=(),
            certifications=(),
        ).id
        ids["aren"] = wonosobo.publish(
            wonosobo.product(stock=5),  # less than the minimum order of 10: listed, not orderable now
            title="Gula aren cetak",
            category="gula",
            price=30_000,
            tiers=(),
            certifications=(("sni", "SNI 01-3743-1995"),),
        ).id
    with tenant(kupang.coop.id):
        ids["kopi"] = kupang.publish(
            kupang.product(stock=100),
            title="Kopi arabika Flores Bajawa",
            description="Biji kopi sangrai sedang dari petani Ngada.",
            category="kopi_teh_kakao",
            price=120_000,
            tiers=(),
            certifications=(),
        ).id
    run_index_jobs()
    engine.refresh()
    return ids


def found(engine, **kw) -> list[int]:
    return [h.listing_id for h in engine.search(Query(**kw)).hits]


def test_indonesian_stemming_finds_berasnya_for_beras_and_beras_for_berasnya(engine, catalogue):
    assert catalogue["berasnya"] in found(engine, text="beras")
    assert catalogue["pandan"] in found(engine, text="berasnya")


def test_every_word_must_match(engine, catalogue):
    assert found(engine, text="beras pandan") == [catalogue["pandan"]]
    assert found(engine, text="beras arabika") == []


def test_a_word_being_typed_matches_as_a_prefix(engine, catalogue):
    assert found(engine, text="pand") == [catalogue["pandan"]]
    assert found(engine, text="kopi arab") == [catalogue["kopi"]]


def test_place_names_and_categories_are_searchable(engine, catalogue):
    assert set(found(engine, text="wonosobo")) == {catalogue["gabah"], catalogue["aren"]}


def test_filters_by_category_province_regency_price_certification_and_stock(engine, catalogue):
    assert found(engine, category="gula") == [catalogue["aren"]]
    assert set(found(engine, province="32")) == {catalogue["pandan"], catalogue["berasnya"]}
    assert set(found(engine, province="32", regency="32.04")) == {catalogue["pandan"], catalogue["berasnya"]}
    assert found(engine, regency="33.07", category="beras") == [catalogue["gabah"]]
    assert set(found(engine, price_min=13_000, price_max=30_000)) == {
        catalogue["pandan"],
        catalogue["berasnya"],
        catalogue["aren"],
    }
    assert found(engine, certification="organik") == [catalogue["berasnya"]]
    assert catalogue["aren"] not in found(engine, in_stock=True)
    assert len(found(engine, in_stock=True)) == 4


def test_facets_count_every_match_by_category_province_certification_and_stock(engine, catalogue):
    results = engine.search(Query(text="", per_page=2))
    assert results.total == 5 and len(results.hits) == 2
    assert results.exact  # a few matches are always counted exactly (estimates only for very many)
    assert results.facets.category == {"beras": 3, "gula": 1, "kopi_teh_kakao": 1}
    assert results.facets.province == {"32": 2, "33": 2, "53": 1}
    assert results.facets.certification == {"halal": 2, "organik": 1, "sni": 1}
    assert results.facets.in_stock == 4
    narrowed = engine.search(Query(text="beras", province="32"))
    assert narrowed.total == 2 and narrowed.facets.regency == {"32.04": 2}


def test_sort_by_price_both_ways_and_by_newest(engine, catalogue):
    by_price = found(engine, sort="price_asc")
    assert by_price == [catalogue[k] for k in ("gabah", "berasnya", "pandan", "aren", "kopi")]
    assert found(engine, sort="price_desc") == list(reversed(by_price))
    assert found(engine, sort="newest")[0] == catalogue["kopi"]


def test_relevance_puts_a_title_match_before_a_description_match(engine, catalogue):
    assert found(engine, text="kopi")[0] == catalogue["kopi"]


def test_pages_are_disjoint_and_cover_every_match(engine, catalogue):
    pages = [found(engine, sort="price_asc", per_page=2, page=p) for p in (1, 2, 3)]
    assert [len(p) for p in pages] == [2, 2, 1]
    assert len({i for p in pages for i in p}) == 5


def test_a_sold_out_paused_or_withdrawn_listing_disappears(engine, catalogue, app):
    kopi, pandan, gabah = catalogue["kopi"], catalogue["pandan"], catalogue["gabah"]
    for listing_id in (kopi, pandan, gabah):
        owner = listings.owner_of(listing_id)
        with tenant(owner):
            listing = listings.get_listing(listing_id)
            if listing_id == kopi:  # sold out at the gudang
                inventory.adjust(
                    listing.product_id,
                    listing.location_id,
                    -100,
                    reason="Terjual habis",
                    idempotency_key="sold-out",
                )
            elif listing_id == pandan:
                listings.pause(listing_id)
            else:
                listings.unpublish(listing_id)
    run_index_jobs()
    engine.refresh()
    left = found(engine)
    assert kopi not in left and pandan not in left and gabah not in left
    assert len(left) == 2


def test_an_edit_reaches_search(engine, catalogue):
    listing_id = catalogue["pandan"]
    with tenant(listings.owner_of(listing_id)):
        listing = listings.get_listing(listing_id)
        data = listings.ListingInput(
            product_id=listing.product_id,
            location_id=listing.location_id,
            title="Beras merah organik",
            description=listing.description,
            category="beras",
            price=18_000,
            min_order=10,
        )
        listings.update_listing(listing_id, replace(data))
    run_index_jobs()
    engine.refresh()
    assert found(engine, text="merah", category="beras") == [listing_id]
    assert found(engine, text="pandan") == []
