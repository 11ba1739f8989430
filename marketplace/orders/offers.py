"""What a cooperative offers on Kophub, as the cart and checkout need it: the listing's title,
unit, minimum order and tiered price, its stock available to order, and where to reserve it. The
one seam between orders and `marketplace.listings` (read through its service, under the listing's
own cooperative) and through it the stock available at the listing's location."""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

from core.errors import DomainError, ErrorCode
from marketplace.listings import service as listings
from tenants.context import current_tenant_id, tenant
from tenants.models import Cooperative


class QuantityRefused(DomainError):
    code = ErrorCode.INVALID_INPUT
    status = 422


@dataclass(frozen=True)
class Offer:
    cooperative_id: int
    cooperative_name: str
    cooperative_slug: str
    village_code: str
    listing_id: int
    product_id: int
    location_id: int
    title: str
    unit: str
    min_order: int
    unit_price: int  # at the quantity asked for (tiers apply)
    available: int


def offer(cooperative_id: int, listing_id: int, quantity: int | None = None) -> Offer | None:
    """The listing as offered now (unit price at `quantity`, default its minimum order), or None
    when it is not published by that cooperative. Read under that cooperative (row-level security
    holds) with `listings.offered`: the listing, its tiers and its stock in one query."""
    from core.db import db

    current = current_tenant_id()
    if current is not None and current != cooperative_id:
        return None  # inside one cooperative, another's listing is not read
    coop = db.session.get(Cooperative, cooperative_id)
    if coop is None:
        return None
    with tenant(cooperative_id):
        listing = listings.offered([listing_id]).get(listing_id)
    if listing is None:
        return None
    wanted = max(quantity if quantity is not None else listing.min_order, listing.min_order)
    return Offer(
        cooperative_id=coop.id,
        cooperative_name=coop.name,
        cooperative_slug=coop.slug,
        village_code=coop.village_code,
        listing_id=listing.id,
        product_id=listing.product_id,
        location_id=listing.location_id,
        title=listing.title,
        unit=listing.unit,
        min_order=listing.min_order,
        unit_price=listings.price_for(listing, min(wanted, listings.MAX_QUANTITY)).unit_price,
        available=listing.available,
    )


def check_quantity(found: Offer, quantity: int) -> None:
    """Refuse a quantity under the minimum order or above what is available, saying why."""
    if quantity < found.min_order:
        message = _l(
            "Pesanan minimal %(n)s %(unit)s untuk %(title)s.",
            n=found.min_order,
            unit=found.unit,
            title=found.title,
        )
        raise QuantityRefused(message, {"quantity": [str(message)]})
    if quantity > found.available:
        message = _l(
            "Stok %(title)s tersedia %(n)s %(unit)s.", title=found.title, n=found.available, unit=found.unit
        )
        raise QuantityRefused(message, {"quantity": [str(message)]})
