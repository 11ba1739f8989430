"""A cooperative with its books, a gerai and a gudang, rice sold by the karung of 50 kg and oil by
the dus of 12, and a supplier on 30 days' terms."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from itertools import count

import pytest

from erp.inventory import service as inventory
from erp.inventory.models import Product
from erp.purchasing import service
from erp.purchasing.models import Supplier
from erp.purchasing.service import OrderLineInput
from tenants.context import tenant
from tests.conftest import make_cooperative
from tests.erp.inventory.conftest import Shop, set_up_shop

_keys = count(1)


def key() -> str:
    return f"beli-{next(_keys):06d}"


@dataclass
class Buying:
    shop: Shop
    rice: Product
    oil: Product
    supplier: Supplier

    def order(self, rice_karung: int = 10, oil_dus: int = 5, *, place: bool = True):
        order = service.create_order(
            self.supplier.id,
            [
                OrderLineInput(self.rice.id, rice_karung, 600_000, "karung"),
                OrderLineInput(self.oil.id, oil_dus, 180_000, "dus"),
            ],
        )
        return service.place_order(order.id) if place else order


def set_up_buying(coop) -> Buying:
    shop = set_up_shop(coop)
    with tenant(coop.id):
        rice = inventory.add_product(
            code="BRS-CURAH", name="Beras Medium Curah", category="beras", unit="kg", price=13_000
        )
        inventory.add_unit(rice.id, "karung", 50)
        oil = inventory.add_product(
            code="MINYAK-1L", name="MinyaKita 1 L", category="minyak", unit="botol", price=15_700
        )
        inventory.add_unit(oil.id, "dus", 12)
        supplier = service.add_supplier(
            name="Perum Bulog Kanwil Jabar", kind="bulog", npwp="01.234.567.8-901.000", payment_terms_days=30
        )
    return Buying(shop, rice, oil, supplier)


@pytest.fixture
def buying(app) -> Iterator[Buying]:
    coop = make_cooperative()
    b = set_up_buying(coop)
    with tenant(coop.id):
        yield b
