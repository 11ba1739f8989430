"""A cooperative with its books and savings products, a teller with an open drawer, and members."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from itertools import count

import pytest

from core.db import db
from erp.savings import service
from erp.savings.models import ProductKind, SavingsAccount
from tenants.context import tenant
from tenants.models import Cooperative
from tests.conftest import add_staff, make_cooperative
from tests.erp.membership.factories import make_member

_keys = count(1)


def key() -> str:
    return f"k-{next(_keys)}"


@dataclass
class Desk:
    coop: Cooperative
    teller_id: int

    def account(self, kind: ProductKind = ProductKind.SUKARELA, opened=None, **member) -> SavingsAccount:
        m = make_member(**member)
        account = service.account_for(m.id, kind, on=opened)
        db.session.commit()
        return account

    def deposit(self, account: SavingsAccount, amount: int, **kwargs):
        return service.deposit(account.id, amount, idempotency_key=key(), teller_id=self.teller_id, **kwargs)

    def withdraw(self, account: SavingsAccount, amount: int, **kwargs):
        return service.withdraw(account.id, amount, idempotency_key=key(), teller_id=self.teller_id, **kwargs)


def set_up_desk(coop: Cooperative) -> Desk:
    teller = add_staff(coop, "kasir")
    with tenant(coop.id):
        service.install_products()
        db.session.commit()
        service.open_shift(teller.id, 1_000_000)
    return Desk(coop, teller.id)


@pytest.fixture
def desk(app) -> Iterator[Desk]:
    coop = make_cooperative()
    d = set_up_desk(coop)
    with tenant(coop.id):
        yield d
