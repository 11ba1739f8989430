"""The loans seeder for the tenant isolation suite: a product and a disbursed loan with a repayment,
the marker in visible text."""

from __future__ import annotations

from datetime import date

from core.db import db
from erp.ledger import service as ledger
from erp.loans import cob, service
from tenants.models import Cooperative
from tests.conftest import add_staff
from tests.erp.loans.conftest import product_data
from tests.erp.membership.factories import make_member


def seed_loans(coop: Cooperative, marker: str, user_id: int) -> None:
    ledger.install_chart_of_accounts()
    db.session.commit()
    checker = add_staff(coop, "ketua")
    product = service.create_product(product_data(code="PJ-SEED", name=f"Pinjaman {marker}"))
    member = make_member(name=f"Peminjam {marker}", phone=None)
    loan = service.apply(member.id, product.id, 1_000_000, 6, f"Usaha {marker}", by=user_id)
    service.approve(loan.id, by=checker.id)
    service.disburse(loan.id, by=user_id, on=date(2026, 1, 5))
    service.repay(loan.id, 200_000, idempotency_key=f"seed-{marker}", teller_id=user_id, on=date(2026, 2, 5))
    cob.close_business(date(2026, 3, 10))
