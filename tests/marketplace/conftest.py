"""A cooperative with stock to sell on Kophub, a way to publish a listing in one line, and a way to
run the index jobs the outbox holds (as the worker would)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace
from itertools import count
from typing import Any

import pytest
from sqlalchemy import select

from core.db import db
from core.jobs import run_outbox_message
from core.models import OutboxMessage
from erp.inventory import service as inventory
from erp.inventory.models import Product
from marketplace.listings import service as listings
from marketplace.listings.models import Listing
from marketplace.listings.service import ListingInput
from tenants.context import tenant
from tenants.models import Cooperative
from tests.conftest import make_cooperative
from tests.erp.inventory.conftest import Shop, set_up_shop

_keys = count(1)


@dataclass
class Market:
    shop: Shop

    @property
    def coop(self) -> Cooperative:
        return self.shop.coop

    def product(
        self, name: str = "Beras Pandan Wangi", unit: str = "kg", stock: int = 500, **kw: Any
    ) -> Product:
        product = inventory.add_product(
            code=f"KH-{next(_keys)}", name=name, category="beras", unit=unit, price=kw.pop("price", 14_000)
        )
        if stock:
            inventory.receive(
                product.id, self.shop.gudang.id, stock, stock * 10_000, idempotency_key=f"kh-{next(_keys)}"
            )
        return product

    def data(self, product: Product | None = None, **kw: Any) -> ListingInput:
        product = product or self.product()
        base = ListingInput(
            product_id=product.id,
            location_id=self.shop.gudang.id,
            title="Beras Pandan Wangi premium",
            description="Beras pulen dari sawah irigasi desa, digiling seminggu sebelum dikirim.",
            category="beras",
            price=15_000,
            min_order=10,
            grade="Premium",
            tiers=((100, 14_000), (500, 13_000)),
            certifications=(("halal", "ID32110000123450125"),),
        )
        return replace(base, **kw)

    def publish(self, product: Product | None = None, **kw: Any) -> Listing:
        return listings.publish(self.data(product, **kw))


def index_jobs_pending() -> list[int]:
    return list(
        db.session.scalars(
            select(OutboxMessage.id)
            .where(OutboxMessage.job == listings.INDEX_JOB, OutboxMessage.done_at.is_(None))
            .order_by(OutboxMessage.id)
        )
    )


def run_index_jobs() -> int:
    """Run every pending index job as the worker does; returns how many ran."""
    db.session.commit()
    ids = index_jobs_pending()
    for message_id in ids:
        assert run_outbox_message(message_id) == "done"
    return len(ids)


def make_market(village: str | None = None) -> Market:
    coop = make_cooperative(village)
    return Market(set_up_shop(coop))


@pytest.fixture
def market(app) -> Iterator[Market]:
    m = make_market()
    with tenant(m.coop.id):
        yield m
