"""The point-of-sale seeder for the tenant isolation suite: a sale to a member of a product seeded
by the inventory seeder, the marker in the payment reference."""

from __future__ import annotations

from sqlalchemy import select

from core.db import db
from erp.inventory import service as inventory
from erp.membership.models import Member
from erp.pos import service
from erp.pos.service import CartLine
from tenants.models import Cooperative


def seed_pos(coop: Cooperative, marker: str, user_id: int) -> None:
    product = inventory.product_by_code(f"SEED-{coop.id}")
    assert product is not None, "seed_inventory runs first"
    member_number = db.session.scalar(select(Member.member_number).where(Member.member_number.is_not(None)))
    service.checkout(
        [CartLine(product.id, 2)],
        location_id=inventory.default_location().id,
        payment_method="transfer",
        reference=f"TRF-{marker}",
        member_number=member_number,
        idempotency_key=f"seed-sale-{marker}",
        kasir_id=user_id,
    )
