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


def seed_kophub_returns(coop: Cooperative, marker: str, user_id: int) -> None:
    """The transfer order of `seed_kophub_orders` is received; the buyer returns one unit with the
    marker as reason; the cooperative accepts and records the refund transfer."""
    from marketplace.orders import returns
    from marketplace.orders.models import OrderLine

    order_id = db.session.scalar(select(Order.id).where(Order.status == "dikirim").order_by(Order.id))
    assert order_id is not None
    orders.mark_received(order_id, user_id=user_id)
    line = db.session.scalar(select(OrderLine).where(OrderLine.order_id == order_id))
    assert line is not None
    asked = returns.request_return(order_id, {line.id: 1}, f"Retur {marker}", user_id=user_id)
    returns.accept(order_id, asked.id, disposition="stok", user_id=user_id)
    returns.record_refund(order_id, asked.id, reference=f"TRF-{marker}", user_id=user_id)
