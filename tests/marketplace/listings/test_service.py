from __future__ import annotations

from dataclasses import replace

import pytest
from sqlalchemy import event, func, select

from core.db import db
from core.errors import NotFound
from erp.inventory import service as inventory
from marketplace.listings import service as listings
from marketplace.listings.models import Listing, ListingStatus, PriceTier
from marketplace.listings.service import InvalidListing, InvalidTransition
from marketplace.search.models import SearchDocument
from tenants.context import tenant
from tests.marketplace.conftest import index_jobs_pending, make_market, run_index_jobs


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_publishing_a_product_records_the_listing_with_its_tiers_origin_and_an_index_job(market):
    listing = market.publish()
    got = listings.get_listing(listing.id)
    assert got.status == ListingStatus.TAYANG.value
    assert got.unit == "kg"
    assert got.origin_village_code == market.coop.village_code
    assert [(t.min_quantity, t.price) for t in got.tiers] == [(100, 14_000), (500, 13_000)]
    assert [(c.kind, c.number) for c in got.certifications] == [("halal", "ID32110000123450125")]
    assert len(index_jobs_pending()) == 1


def test_the_price_of_a_quantity_follows_the_tiers(market):
    listing = market.publish()
    assert listings.price_for(listing, 10).unit_price == 15_000
    assert listings.price_for(listing, 99).total == 99 * 15_000
    assert listings.price_for(listing, 100).unit_price == 14_000
    assert listings.price_for(listing, 750) == listings.Quote(750, 13_000, 750 * 13_000, 500)
    with pytest.raises(InvalidListing):
        listings.price_for(listing, 9)


def test_available_is_stock_at_the_location_less_reservations_within_the_cap(market):
    product = market.product(stock=300)
    listing = market.publish(product)
    assert listings.available(listing) == 300
    capped = listings.update_listing(listing.id, market.data(product, quantity_cap=120))
    assert listings.available(capped) == 120
    if hasattr(inventory, "reserve"):
        inventory.reserve(product.id, market.shop.gudang.id, 250, key="order-1-line-1")
        db.session.commit()
        assert listings.available(listings.get_listing(listing.id)) == 50
    listings.pause(listing.id)
    assert listings.available(listings.get_listing(listing.id)) == 0


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"title": "  "}, "title"),
        ({"category": "senjata"}, "category"),
        ({"price": 0}, "price"),
        ({"min_order": -5}, "min_order"),
        ({"tiers": ((5, 14_000),)}, "tiers"),  # below the minimum order
        ({"tiers": ((100, 16_000),)}, "tiers"),  # dearer than the unit price
        ({"tiers": ((100, 14_000), (200, 14_500))}, "tiers"),  # not falling
        ({"certifications": (("halal", "x"),)}, "cert_halal"),
        ({"certifications": (("sni", "SNI 6128:2020"), ("sni", "SNI 6128:2021"))}, "certifications"),
        ({"quantity_cap": 5}, "quantity_cap"),
        ({"location_id": 999_999}, "location_id"),
        ({"product_id": 999_999}, "product_id"),
    ],
)
def test_bad_listing_input_is_refused_with_the_field_and_writes_nothing(market, change, field):
    data = market.data()
    with pytest.raises(InvalidListing) as refused:
        listings.publish(replace(data, **change))
    db.session.rollback()
    assert field in refused.value.fields
    assert count(Listing) == 0 and count(PriceTier) == 0
    assert index_jobs_pending() == []


def test_editing_replaces_tiers_and_certifications(market):
    listing = market.publish()
    data = market.data(
        listings.get_listing(listing.id) and inventory.get_product(listing.product_id),
        price=16_000,
        tiers=((50, 15_500),),
        certifications=(("organik", "LSO-001-IDN-2025"), ("halal", "ID32110000123450999")),
    )
    listings.update_listing(listing.id, data)
    got = listings.get_listing(listing.id)
    assert got.price == 16_000
    assert [(t.min_quantity, t.price) for t in got.tiers] == [(50, 15_500)]
    assert {(c.kind, c.number) for c in got.certifications} == {
        ("organik", "LSO-001-IDN-2025"),
        ("halal", "ID32110000123450999"),
    }


def test_pause_resume_and_unpublish_follow_their_rules(market):
    listing = market.publish()
    assert listings.pause(listing.id).status == "dijeda"
    with pytest.raises(InvalidTransition):
        listings.pause(listing.id)
    assert listings.resume(listing.id).status == "tayang"
    assert listings.unpublish(listing.id).status == "ditarik"
    with pytest.raises(InvalidTransition):
        listings.pause(listing.id)
    assert listings.resume(listing.id).status == "tayang"


def test_public_listing_reads_a_published_listing_of_any_cooperative_but_not_a_paused_one(app):
    m = make_market()
    with tenant(m.coop.id):
        listing = m.publish()
        paused = m.publish(title="Gabah kering giling")
        listings.pause(paused.id)
    found = listings.public_listing(listing.id)
    assert found.id == listing.id and found.tenant_id == m.coop.id
    assert [t.min_quantity for t in found.tiers] == [100, 500]
    with pytest.raises(NotFound):
        listings.public_listing(paused.id)
    with pytest.raises(NotFound):
        listings.public_listing(123_456_789)


def test_a_cooperative_cannot_read_or_edit_another_cooperatives_listing(app):
    a, b = make_market(), make_market()
    with tenant(a.coop.id):
        listing_id = a.publish().id
    with tenant(b.coop.id):
        with pytest.raises(NotFound):
            listings.get_listing(listing_id)
        with pytest.raises(NotFound):
            listings.pause(listing_id)
        db.session.rollback()
        with pytest.raises(NotFound):
            listings.public_listing(listing_id)  # not from inside another tenant's request either
        assert listings.listings() == []
    with tenant(a.coop.id):
        assert listings.get_listing(listing_id).status == "tayang"


def test_the_index_job_writes_the_document_and_removes_it_when_paused_or_sold_out(market):
    product = market.product(stock=40)
    listing = market.publish(product)
    run_index_jobs()
    doc = db.session.get(SearchDocument, listing.id)
    assert doc is not None and doc.available == 40 and doc.province_code == market.coop.village_code[:2]
    listings.pause(listing.id)
    run_index_jobs()
    db.session.expire_all()
    assert db.session.get(SearchDocument, listing.id) is None
    listings.resume(listing.id)
    run_index_jobs()
    assert db.session.get(SearchDocument, listing.id) is not None
    # the gerai adjusts the stock to nothing: the stock hook re-indexes, the listing disappears
    inventory.adjust(
        product.id, market.shop.gudang.id, -40, reason="Rusak kena banjir", idempotency_key="adj-1"
    )
    assert run_index_jobs() == 1
    db.session.expire_all()
    assert db.session.get(SearchDocument, listing.id) is None


def test_a_stock_change_looks_up_listings_only_for_products_that_may_have_one(market):
    listed, unlisted = market.product(stock=40), market.product(stock=40)
    listing = market.publish(listed)
    run_index_jobs()
    assert db.session.get(type(listed), listed.id).on_kophub
    asked: list[str] = []

    def capture(conn, cursor, statement, *args):
        if "FROM marketplace_listings" in statement:
            asked.append(statement)

    engine = db.session.get_bind()
    event.listen(engine, "before_cursor_execute", capture)
    try:
        inventory.adjust(unlisted.id, market.shop.gudang.id, -1, reason="Rusak", idempotency_key="adj-u")
        assert asked == [] and run_index_jobs() == 0  # loaded, never listed: nothing to look up
        inventory.adjust(listed.id, market.shop.gudang.id, -1, reason="Rusak", idempotency_key="adj-l")
        assert len(asked) == 1 and run_index_jobs() == 1
    finally:
        event.remove(engine, "before_cursor_execute", capture)
    db.session.expire_all()
    assert db.session.get(SearchDocument, listing.id).available == 39


def test_a_counter_sale_of_a_listed_product_re_indexes_its_listing(market):
    from erp.pos import service as pos
    from tests.conftest import add_staff

    product = market.product(stock=40)
    listing = market.publish(product)
    run_index_jobs()
    kasir = add_staff(market.coop, "kasir")
    pos.open_shift(kasir_id=kasir.id, location_id=market.shop.gudang.id, opening_float=0)
    pos.checkout(
        [pos.CartLine(product.id, 3)],
        location_id=market.shop.gudang.id,
        payment_method="tunai",
        idempotency_key="counter-1",
        kasir_id=kasir.id,
    )
    assert run_index_jobs() == 1
    db.session.expire_all()
    assert db.session.get(SearchDocument, listing.id).available == 37
