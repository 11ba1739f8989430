"""The cooperative's Kophub orders over the JSON API: its own orders only, shipping with bad input
refused and nothing written."""

from __future__ import annotations

from sqlalchemy import select

from core.auth import issue_api_token
from core.db import db
from marketplace.orders import service
from marketplace.orders.models import CheckoutOrder
from marketplace.payments import manual
from tenants.context import tenant


def test_a_cooperative_lists_and_ships_its_orders_and_sees_none_of_another(
    app, make_client, sellers, shopper
):
    a, b = sellers
    shopper.add(a, 5)
    shopper.add(b, 5)
    shopper.checkout()
    pairs = dict(db.session.execute(select(CheckoutOrder.cooperative_id, CheckoutOrder.order_id)).all())
    with tenant(a.coop_id):
        manual.confirm(pairs[a.coop_id], user_id=a.staff.id)
        service.start_processing(pairs[a.coop_id], user_id=a.staff.id)
    _token, secret = issue_api_token(a.staff, "gudang", cooperative_id=a.coop_id)
    http = make_client()
    headers = {"Authorization": f"Bearer {secret}"}
    listed = http.get("/api/v1/kophub/orders", headers=headers).get_json()
    assert [o["id"] for o in listed] == [pairs[a.coop_id]]
    assert http.get(f"/api/v1/kophub/orders/{pairs[b.coop_id]}", headers=headers).status_code == 404
    url = f"/api/v1/kophub/orders/{pairs[a.coop_id]}/shipment"
    bad = http.open(url, method="POST", headers=headers, json={"courier": "JNE"})
    assert bad.status_code == 422 and "tracking_number" in bad.get_json()["error"]["fields"]
    ok = http.open(url, method="POST", headers=headers, json={"courier": "JNE", "tracking_number": "JNE9"})
    assert ok.status_code == 200 and ok.get_json()["status"] == "dikirim"
    assert ok.get_json()["lines"][0]["quantity"] == 5
