"""Order pages end to end over HTTP: a buyer orders from two cooperatives and sends a proof; each
cooperative's staff confirm and ship their own order; buyers and cooperatives see only their own."""

from __future__ import annotations

import io
import re

from sqlalchemy import select

from core.db import db
from marketplace.orders.models import Checkout, CheckoutOrder, Order
from marketplace.payments.models import Payment
from tenants.context import tenant
from tests.conftest import add_staff
from tests.marketplace.orders.conftest import make_shopper

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def _checkout_over_http(client, shopper, sellers) -> Checkout:
    a, b = sellers
    client.login(shopper.user)
    for seller, quantity in ((a, 10), (b, 5)):
        response = client.post("/kophub/keranjang", {"listing_id": seller.listing_id, "quantity": quantity})
        assert response.status_code == 302, response.get_data(as_text=True)[:300]
    page = client.get("/kophub/checkout").get_data(as_text=True)
    key = re.search(r'name="idempotency_key" value="([^"]+)"', page).group(1)
    form = {"address_id": shopper.address.id, "payment_method": "transfer", "idempotency_key": key}
    response = client.post("/kophub/checkout", form)
    assert response.status_code == 302
    assert client.post("/kophub/checkout", form).status_code == 302  # a double click orders once
    records = db.session.scalars(select(Checkout)).all()
    assert len(records) == 1
    return records[0]


def test_a_buyer_orders_from_two_cooperatives_and_each_confirms_and_ships_its_own(
    app, client, make_client, sellers, shopper
):
    a, b = sellers
    record = _checkout_over_http(client, shopper, sellers)
    pairs = dict(db.session.execute(select(CheckoutOrder.cooperative_id, CheckoutOrder.order_id)).all())
    page = client.get(f"/kophub/pesanan/{record.id}").get_data(as_text=True)
    assert a.coop.name in page and b.coop.name in page and "Menunggu pembayaran" in page
    for seller in (a, b):
        url = f"/kophub/pesanan/{record.id}/{seller.coop_id}/{pairs[seller.coop_id]}/bukti"
        response = client.post(
            url,
            {"proof": (io.BytesIO(PNG), "bukti.png"), "note": "a.n. Rina"},
            content_type="multipart/form-data",
        )
        assert response.status_code == 302
    for seller in (a, b):
        staff = make_client()
        staff.login(seller.staff)
        order_id = pairs[seller.coop_id]
        base = f"/k/{seller.coop.slug}/kophub/pesanan"
        listing = staff.get(f"{base}/").get_data(as_text=True)
        assert "KH-" in listing and "Rina Pembeli" in listing
        assert staff.get(f"{base}/{order_id}/bukti").status_code == 200
        assert staff.post(f"{base}/{order_id}/konfirmasi-bayar").status_code == 302
        assert staff.post(f"{base}/{order_id}/proses").status_code == 302
        bad = staff.post(f"{base}/{order_id}/kirim", {"courier": "JNE"})
        assert bad.status_code == 422 and "Wajib diisi" in bad.get_data(as_text=True)
        assert (
            staff.post(
                f"{base}/{order_id}/kirim", {"courier": "JNE", "tracking_number": "JNE0001"}
            ).status_code
            == 302
        )
        other = a if seller is b else b
        assert staff.get(f"/k/{other.coop.slug}/kophub/pesanan/{pairs[other.coop_id]}").status_code == 404
        assert staff.get(f"{base}/{pairs[other.coop_id]}").status_code == 404
    page = client.get(f"/kophub/pesanan/{record.id}").get_data(as_text=True)
    assert page.count("Dikirim dengan JNE") == 2


def test_a_proof_is_checked_by_its_content_and_size(app, client, sellers, shopper):
    a, _ = sellers
    record = _checkout_over_http(client, shopper, sellers)
    order_id = db.session.scalar(
        select(CheckoutOrder.order_id).where(CheckoutOrder.cooperative_id == a.coop_id)
    )
    url = f"/kophub/pesanan/{record.id}/{a.coop_id}/{order_id}/bukti"
    fake = client.post(
        url,
        {"proof": (io.BytesIO(b"<html>bukan gambar</html>"), "bukti.png")},
        content_type="multipart/form-data",
    )
    assert fake.status_code == 422 and "JPG/PNG" in fake.get_data(as_text=True)
    big = client.post(
        url,
        {"proof": (io.BytesIO(PNG + b"\x00" * (2 * 1024 * 1024)), "b.png")},
        content_type="multipart/form-data",
    )
    assert big.status_code == 422 and "terlalu besar" in big.get_data(as_text=True)
    with tenant(a.coop_id):
        assert db.session.scalar(select(Payment.status)) == "menunggu"


def test_a_buyer_sees_and_touches_only_their_own_orders(app, client, make_client, sellers, shopper):
    a, _ = sellers
    record = _checkout_over_http(client, shopper, sellers)
    order_id = db.session.scalar(
        select(CheckoutOrder.order_id).where(CheckoutOrder.cooperative_id == a.coop_id)
    )
    other = make_shopper(name="Budi Lain")
    intruder = make_client()
    intruder.login(other.user)
    assert intruder.get(f"/kophub/pesanan/{record.id}").status_code == 404
    base = f"/kophub/pesanan/{record.id}/{a.coop_id}/{order_id}"
    assert intruder.post(f"{base}/batal", {"reason": "iseng"}).status_code == 404
    assert (
        intruder.post(
            f"{base}/bukti", {"proof": (io.BytesIO(PNG), "b.png")}, content_type="multipart/form-data"
        ).status_code
        == 404
    )
    assert "Rina" not in intruder.get("/kophub/pesanan").get_data(as_text=True)
    with tenant(a.coop_id):
        assert db.session.scalar(select(Order.status)) == "menunggu_pembayaran"


def test_a_kasir_may_not_work_kophub_orders_and_a_bendahara_may_not_ship(
    app, make_client, sellers, shopper, client
):
    a, _ = sellers
    _checkout_over_http(client, shopper, sellers)
    order_id = db.session.scalar(
        select(CheckoutOrder.order_id).where(CheckoutOrder.cooperative_id == a.coop_id)
    )
    kasir = make_client()
    kasir.login(add_staff(a.coop, "kasir"))
    assert kasir.get(f"/k/{a.coop.slug}/kophub/pesanan/").status_code == 403
    bendahara = make_client()
    bendahara.login(add_staff(a.coop, "bendahara"))
    base = f"/k/{a.coop.slug}/kophub/pesanan/{order_id}"
    assert bendahara.post(f"{base}/konfirmasi-bayar").status_code == 302
    assert bendahara.post(f"{base}/proses").status_code == 403


def test_the_platform_admin_sets_the_fee_and_bad_input_changes_nothing(app, client):
    from decimal import Decimal

    from marketplace.orders import service
    from tests.conftest import grant_platform_role, make_user

    admin = make_user("Admin")
    grant_platform_role(admin, "platform_admin")
    client.login(admin)
    bad = client.post("/admin/kophub", {"fee_percent": "35", "payment_window_hours": "24"})
    assert bad.status_code == 422 and "0 sampai 20" in bad.get_data(as_text=True)
    assert service.settings().fee_percent == 0
    assert (
        client.post("/admin/kophub", {"fee_percent": "2.5", "payment_window_hours": "12"}).status_code == 302
    )
    db.session.expire_all()
    assert (service.settings().fee_percent, service.settings().payment_window_hours) == (Decimal("2.50"), 12)


def test_the_card_page_without_stripe_says_what_to_do_instead(app, client, sellers, shopper):
    from marketplace.orders.models import Checkout as CheckoutRow

    a, _ = sellers
    shopper.add(a, 5)
    record = shopper.checkout()  # by transfer: the card page has nothing to collect
    client.login(shopper.user)
    page = client.get(f"/kophub/bayar/{record.id}").get_data(as_text=True)
    assert "tidak menunggu pembayaran kartu" in page
    db.session.execute(CheckoutRow.__table__.update().values(payment_method="stripe"))
    with tenant(a.coop_id):
        db.session.execute(Payment.__table__.update().values(provider="stripe", method="stripe"))
    db.session.commit()
    page = client.get(f"/kophub/bayar/{record.id}")
    assert page.status_code == 200 and "Pembayaran kartu sedang tidak tersedia" in page.get_data(as_text=True)


def test_the_pages_speak_english_when_asked(app, client, make_client, sellers, shopper):
    a, _ = sellers
    record = _checkout_over_http(client, shopper, sellers)
    client.post("/bahasa", {"locale": "en"})
    for url, words in (
        ("/kophub/keranjang", "Cart"),
        ("/kophub/akun", "Delivery addresses"),
        ("/kophub/pesanan", "My orders"),
        (f"/kophub/pesanan/{record.id}", "Awaiting payment"),
    ):
        page = client.get(url)
        assert page.status_code == 200 and words in page.get_data(as_text=True), url
    staff = make_client()
    staff.login(a.staff)
    staff.post("/bahasa", {"locale": "en"})
    order_id = db.session.scalar(
        select(CheckoutOrder.order_id).where(CheckoutOrder.cooperative_id == a.coop_id)
    )
    page = staff.get(f"/k/{a.coop.slug}/kophub/pesanan/{order_id}").get_data(as_text=True)
    assert "Awaiting payment" in page and "Money received: confirm" in page
