"""The savings seeder for the tenant isolation suite: products, an account with a deposit and a
withdrawal request, and a teller shift, the marker in visible text."""

from __future__ import annotations

from core.db import db
from erp.savings import service
from erp.savings.models import ProductKind
from tenants.models import Cooperative
from tests.erp.membership.factories import make_member


def seed_savings(coop: Cooperative, marker: str, user_id: int) -> None:
    service.install_products()
    db.session.commit()
    member = make_member(name=f"Penabung {marker}", phone=None)
    account = service.account_for(member.id, ProductKind.SUKARELA)
    db.session.commit()
    service.open_shift(user_id, 100_000)
    service.deposit(
        account.id, 7_000_000, idempotency_key=f"seed-{marker}", teller_id=user_id, note=f"Setoran {marker}"
    )
    service.request_withdrawal(account.id, 6_000_000, note=f"Penarikan {marker}")
