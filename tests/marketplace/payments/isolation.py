"""The Kophub payouts seeder for the tenant isolation suite: a buyer pays an order by card (the
webhook's effect applied as Stripe would), the order is delivered and completed, and the platform
pays the cooperative out with a bank reference carrying the marker, so settlements, payouts and
payout lines all hold rows of the cooperative."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

from flask import current_app
from sqlalchemy import select

from core.db import db
from marketplace.buyers import service as buyers
from marketplace.listings import service as listings
from marketplace.orders import service as orders
from marketplace.orders.models import Order
from marketplace.payments import payouts, stripe_adapter
from marketplace.payments.models import Payment
from tenants.models import Cooperative
from tenants.service import legal_data
from tests.conftest import PASSWORD


def seed_kophub_payouts(coop: Cooperative, marker: str, user_id: int) -> None:
    listing = listings.listings()[0]  # from seed_listings
    user = buyers.register_buyer(
        name=f"Pemegang kartu {marker}",
        email=f"kartu-{coop.id}@example.id",
        phone=None,
        password=PASSWORD,
        kind="perorangan",
    )
    buyer = buyers.buyer_of(user.id)
    assert buyer is not None
    address = buyers.add_address(
        buyer,
        label="Kantor",
        recipient=f"Penerima kartu {marker}",
        phone="+6281234567891",
        street=f"Jl. Kartu {marker}",
        village_code=coop.village_code,
    )
    buyers.put_in_cart(buyer, coop.id, listing.id, 2)
    original = current_app.config["KOPDES"]
    current_app.config["KOPDES"] = replace(original, stripe_secret_key="sk_test_seed")
    try:
        record = orders.checkout(
            buyer, address_id=address.id, payment_method="stripe", idempotency_key=f"seed-{coop.id}-card"
        )
    finally:
        current_app.config["KOPDES"] = original
    order_id = db.session.scalar(select(Order.id).where(Order.checkout_id == record.id))
    assert order_id is not None
    order = orders._locked(order_id)
    payment = db.session.scalar(select(Payment).where(Payment.order_id == order_id))
    assert payment is not None
    payment.stripe_payment_intent = f"pi_seed_{coop.id}"
    stripe_adapter._apply_payment(order, payment)  # what payment_intent.succeeded does
    db.session.commit()
    orders.start_processing(order_id, user_id=user_id)
    orders.ship(order_id, courier="SiCepat", tracking_number=f"KARTU-{marker}"[:60], user_id=user_id)
    orders.mark_received(order_id, user_id=user_id)
    orders.complete(order_id, user_id=user_id)
    legal = legal_data()
    assert legal is not None  # from seed_registry
    legal.bank_name, legal.bank_account = legal.bank_name or "BRI", "1234567890"
    legal.bank_account_name = legal.bank_account_name or marker
    db.session.commit()
    made = payouts.create_payout(coop.id, user_id=user_id, now=datetime.now(UTC) + timedelta(days=30))
    payouts.mark_transferred(
        made.id, bank_reference=f"REF-{marker}"[:60], transfer_date=date.today(), user_id=user_id
    )
