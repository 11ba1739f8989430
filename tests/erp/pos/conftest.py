"""The POS tests use the inventory shop (a cooperative with books, a gerai and a gudang), a kasir
with an open shift, and a supervisor with a PIN."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from core.auth import hash_password
from core.db import db
from core.models import User
from erp.pos import service
from erp.pos.models import Shift, SupervisorPin
from tests.conftest import add_staff
from tests.erp.inventory.conftest import Shop, shop  # noqa: F401

PIN = "493817"


@dataclass
class Counter:
    shop: Shop
    kasir: User
    shift: Shift
    supervisor: User


def make_supervisor(at: Shop, role: str = "manajer") -> User:
    from core.extensions import redis_client

    supervisor = add_staff(at.coop, role)
    # ids start again after each test's truncation: forget wrong PINs counted by an earlier test
    redis_client().delete(f"kopdes:pos:pin:{at.coop.id}:{supervisor.id}")
    db.session.add(SupervisorPin(user_id=supervisor.id, pin_hash=hash_password(PIN)))
    db.session.commit()
    return supervisor


@pytest.fixture
def counter(shop: Shop) -> Iterator[Counter]:  # noqa: F811
    kasir = add_staff(shop.coop, "kasir")
    shift = service.open_shift(kasir_id=kasir.id, location_id=shop.gerai.id, opening_float=100_000)
    yield Counter(shop, kasir, shift, make_supervisor(shop))
