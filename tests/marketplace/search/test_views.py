from __future__ import annotations

from tenants.context import tenant
from tests.marketplace.conftest import make_market, run_index_jobs


def _catalogue(app):
    bandung = make_market("32.04.12.2003")
    with tenant(bandung.coop.id):
        beras = bandung.publish(bandung.product(stock=500), title="Berasnya pulen Cangkuang").id
        paused = bandung.publish(bandung.product(stock=50), title="Beras ketan putih").id
        from marketplace.listings import service as listings

        listings.pause(paused)
    run_index_jobs()
    return bandung, beras, paused


def test_a_buyer_without_an_account_searches_in_indonesian_and_filters(app, client):
    bandung, beras, paused = _catalogue(app)
    page = client.get("/kophub/?q=beras")
    body = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Berasnya pulen Cangkuang" in body and "Beras ketan putih" not in body
    assert "Jawa Barat" in body  # the province facet, by name
    assert "Rp" in body and "/kg" in body
    filtered = client.get("/kophub/?q=beras&provinsi=33").get_data(as_text=True)
    assert "Berasnya pulen" not in filtered and "Tidak ada penawaran" in filtered
    assert "<script>" not in body and "style=" not in body  # CSP: no inline script or style


def test_bad_search_input_gets_a_message_and_still_a_page(app, client):
    _catalogue(app)
    response = client.get("/kophub/?q=beras&harga_min=murah&hal=999")
    body = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "rupiah bulat" in body and "Halaman 1 sampai 50" in body
    assert "Berasnya pulen" in body


def test_the_listing_page_shows_tiers_origin_and_the_cooperatives_microsite(app, client):
    bandung, beras, paused = _catalogue(app)
    body = client.get(f"/kophub/p/{beras}").get_data(as_text=True)
    assert "Berasnya pulen Cangkuang" in body
    assert "Rp 15.000" in body and "Rp 14.000" in body and "Rp 13.000" in body
    assert "Cangkuang Wetan" in body and "Jawa Barat" in body
    assert f"/koperasi/{bandung.coop.slug}" in body
    assert "ID32110000123450125" in body
    assert client.get(f"/kophub/p/{paused}").status_code == 404
    assert client.get("/kophub/p/999999").status_code == 404
