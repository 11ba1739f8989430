"""A cooperative with its books, a gerai and a gudang, and a way to register stocked products."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from itertools import count

import pytest

from core.db import db
from erp.inventory import service
from erp.inventory.models import Location, LocationKind, Product
from erp.ledger import service as ledger
from tenants.context import tenant
from tenants.models import Cooperative
from tests.conftest import make_cooperative

_keys = count(1)


def key() -> str:
    return f"inv-{next(_keys)}"


@dataclass
class Shop:
    coop: Cooperative
    gerai: Location
    gudang: Location

    def product(self, code: str | None = None, price: int = 13_000, het: int | None = None, **kw) -> Product:
        return service.add_product(
            code=code or f"BRS-{next(_keys)}",
            name=kw.pop("name", "Beras SPHP 5 kg"),
            category=kw.pop("category", "beras"),
            unit=kw.pop("unit", "karung"),
            price=price,
            het=het,
            tracks_lots=kw.pop("tracks_lots", False),
            kena_ppn=kw.pop("kena_ppn", False),
        )

    def receive(self, product: Product, quantity: int, cost: int, **kw):
        return service.receive(product.id, self.gerai.id, quantity, cost, idempotency_key=key(), **kw)


def set_up_shop(coop: Cooperative) -> Shop:
    with tenant(coop.id):
        ledger.install_chart_of_accounts()
        db.session.commit()
        gerai = service.add_location("GERAI", "Gerai Sembako", LocationKind.GERAI)
        gudang = service.add_location("GUDANG", "Gudang Desa", LocationKind.GUDANG)
        return Shop(coop, gerai, gudang)


@pytest.fixture
def shop(app) -> Iterator[Shop]:
    coop = make_cooperative()
    s = set_up_shop(coop)
    with tenant(coop.id):
        yield s
