"""The listings seeder for the tenant isolation suite: a product in stock published on Kophub with a
price tier, a certification and a photo row (no file), all named with the marker."""

from __future__ import annotations

from core.db import db
from erp.inventory import service as inventory
from erp.inventory.models import LocationKind
from erp.ledger import service as ledger
from marketplace.listings import service as listings
from marketplace.listings.models import Photo
from marketplace.listings.service import ListingInput
from tenants.models import Cooperative


def seed_listings(coop: Cooperative, marker: str, user_id: int) -> None:
    ledger.install_chart_of_accounts()
    db.session.commit()
    gudang = next((loc for loc in inventory.locations() if loc.kind == LocationKind.GUDANG.value), None)
    if gudang is None:
        gudang = inventory.add_location("GDKH", f"Gudang {marker}", LocationKind.GUDANG)
    product = inventory.add_product(
        code=f"KH-{coop.id}", name=f"Kopi {marker}", category="kopi", unit="kg", price=90_000
    )
    inventory.receive(
        product.id, gudang.id, 50, 3_000_000, idempotency_key=f"kh-seed-{marker}", user_id=user_id
    )
    listing = listings.publish(
        ListingInput(
            product_id=product.id,
            location_id=gudang.id,
            title=f"Kopi arabika {marker}",
            description=f"Kopi {marker} petik merah.",
            category="kopi_teh_kakao",
            price=95_000,
            min_order=1,
            tiers=((10, 90_000),),
            certifications=(("organik", f"LSO-{marker}"[:60]),),
        ),
        user_id=user_id,
    )
    db.session.add(
        Photo(listing_id=listing.id, position=0, storage_key=f"{coop.id}/{'a' * 32}", width=800, height=600)
    )
    db.session.commit()
