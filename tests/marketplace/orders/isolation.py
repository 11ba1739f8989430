"""The Kophub orders seeder for the tenant isolation suite: a buyer named with the marker orders
the listing of `seed_listings`, pays by transfer with a proof note, and the order is confirmed,
packed and shipped, so orders, lines, payments and history all hold rows of the cooperative."""

from __future__ import annotations

from sqlalchemy import select

from core.db import db
from marketplace.buyers import service as buyers
from marketplace.listings import service as listings
from marketplace.orders import service as orders
from marketplace.orders.models import Order
from marketplace.payments import manual
from marketplace.payments.models import Payment
from tenants.models import Cooperative
from tests.conftest import PASSWORD


def seed_kophub_orders(coop: Cooperative, marker: str, user_id: int) -> None:
    listing = listings.listings()[0]  # from seed_listings, which runs first
    user = buyers.register_buyer(
        name=f"Pembeli {marker}",
        email=f"pembeli-{coop.id}@example.id",
        phone=None,
        password=PASSWORD,
        kind="usaha",
        company_name=f"Toko {marker}",
        npwp="0123456789012345",
    )
    buyer = buyers.buyer_of(user.id)
    assert buyer is not None
    address = buyers.add_address(
        buyer,
        label=marker[:40],
        recipient=f"Penerima {marker}",
        phone="+6281234567890",
        street=f"Jl. {marker}",
        village_code=coop.village_code,
    )
    buyers.put_in_cart(buyer, coop.id, listing.id, 2)
    orders.checkout(
        buyer, address_id=address.id, payment_method="transfer", idempotency_key=f"seed-{coop.id}-kh"
    )
    order_id = db.session.scalar(select(Order.id))
    assert order_id is not None
    db.session.scalar(select(Payment).where(Payment.order_id == order_id)).payer_note = f"Bukti {marker}"
    db.session.commit()
    manual.confirm(order_id, user_id=user_id)
    orders.start_processing(order_id, user_id=user_id)
    orders.ship(order_id, courier="JNE", tracking_number=f"RESI-{marker}"[:60], user_id=user_id)
