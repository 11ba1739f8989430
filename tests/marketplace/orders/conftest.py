"""Two cooperatives selling on Kophub (Bandung and Wonosobo) and a buyer in Bandung with an
address: what the order, payment and buyer tests start from."""

from __future__ import annotations

from dataclasses import dataclass
from itertools import count
from typing import Any

import pytest

from core.db import db
from core.models import User
from erp.inventory.models import Product
from marketplace.buyers import service as buyers
from marketplace.buyers.models import Address, Buyer
from marketplace.listings.models import Listing
from marketplace.orders import service
from marketplace.orders.models import Checkout
from tenants.context import tenant
from tests.conftest import PASSWORD, add_staff
from tests.marketplace.conftest import Market, make_market

_keys = count(1)
BANDUNG_VILLAGE = "32.04.12.2004"


def key() -> str:
    return f"checkout-{next(_keys):04d}"


@dataclass
class Seller:
    market: Market
    product: Product
    listing: Listing
    staff: User
    listing_id: int = 0
    coop_id: int = 0
    product_id: int = 0

    @property
    def coop(self):
        return self.market.coop

    @property
    def gudang_id(self) -> int:
        return self.market.shop.gudang.id


@dataclass
class Shopper:
    user: User
    buyer: Buyer
    address: Address

    def add(self, seller: Seller, quantity: int) -> None:
        buyers.put_in_cart(self.buyer, seller.coop_id, seller.listing_id, quantity)

    def checkout(self, method: str = "transfer", **kw: Any) -> Checkout:
        return service.checkout(
            self.buyer,
            address_id=self.address.id,
            payment_method=method,
            idempotency_key=kw.pop("key", key()),
        )


def make_seller(
    village: str, *, stock: int = 200, title: str = "Beras premium Pandan Wangi", **kw: Any
) -> Seller:
    market = make_market(village)
    with tenant(market.coop.id):
        product = market.product(stock=stock)
        listing = market.publish(product, title=title, min_order=kw.pop("min_order", 5), **kw)
        db.session.commit()
    staff = add_staff(market.coop, "ketua", "bendahara", "manajer", "gudang")
    return Seller(market, product, listing, staff, listing.id, market.coop.id, product.id)


def make_shopper(village: str = BANDUNG_VILLAGE, name: str = "Rina Pembeli") -> Shopper:
    user = buyers.register_buyer(
        name=name, email=f"pembeli{next(_keys)}@example.id", phone=None, password=PASSWORD, kind="perorangan"
    )
    buyer = buyers.buyer_of(user.id)
    assert buyer is not None
    address = buyers.add_address(
        buyer,
        label="Rumah",
        recipient=name,
        phone="+6281234567890",
        street="Jl. Melati 3",
        village_code=village,
    )
    return Shopper(user, buyer, address)


@pytest.fixture
def sellers(app) -> tuple[Seller, Seller]:
    return make_seller("32.04.12.2003"), make_seller("33.07.07.1006")


@pytest.fixture
def shopper(app) -> Shopper:
    return make_shopper()
