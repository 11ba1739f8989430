"""A cooperative with its books, a loan product like DOMAIN.md §10, staff who apply and approve,
and members with savings."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from itertools import count

import pytest

from core.db import db
from erp.ledger import service as ledger
from erp.loans import service
from erp.loans.models import Loan, LoanProduct
from tenants.context import tenant
from tenants.models import Cooperative
from tests.conftest import add_staff, make_cooperative
from tests.erp.membership.factories import make_member

_keys = count(1)
DISBURSED = date(2026, 1, 31)


def key() -> str:
    return f"loan-{next(_keys)}"


def product_data(**overrides) -> dict:
    data = {
        "code": "PJ-UMUM",
        "name": "Pinjaman Umum",
        "method": "efektif",
        "frequency": "bulanan",
        "rate_per_month": Decimal("1.5"),
        "min_tenor": 1,
        "max_tenor": 36,
        "provisi_rate": Decimal("1"),
        "admin_rate": Decimal("0.5"),
        "denda_rate_per_day": Decimal("0.1"),
        "grace_days": 3,
        "max_amount": 50_000_000,
        "savings_multiple": None,
        "second_approval_above": 20_000_000,
        "active": True,
    }
    return {**data, **overrides}


@dataclass
class Office:
    coop: Cooperative
    maker: int
    checker: int
    second_checker: int
    teller: int
    product: LoanProduct

    def apply(self, amount: int = 10_000_000, tenor: int = 12, product: LoanProduct | None = None, **member):
        m = make_member(**member)
        return service.apply(
            m.id, (product or self.product).id, amount, tenor, "Modal usaha tani", by=self.maker, on=DISBURSED
        )

    def disbursed(self, amount: int = 10_000_000, tenor: int = 12, **kwargs) -> Loan:
        loan = self.apply(amount, tenor, **kwargs)
        service.approve(loan.id, by=self.checker)
        if loan.status != "disetujui":
            service.approve(loan.id, by=self.second_checker)
        return service.disburse(loan.id, by=self.teller, on=DISBURSED)

    def repay(self, loan: Loan, amount: int, on: date, **kwargs):
        return service.repay(
            loan.id,
            amount,
            idempotency_key=kwargs.pop("idempotency_key", key()),
            teller_id=self.teller,
            on=on,
            **kwargs,
        )


def set_up_office(coop: Cooperative) -> Office:
    maker, checker, second, teller = (
        add_staff(coop, role) for role in ("manajer", "ketua", "bendahara", "kasir")
    )
    with tenant(coop.id):
        ledger.install_chart_of_accounts()
        db.session.commit()
        product = service.create_product(product_data())
    return Office(coop, maker.id, checker.id, second.id, teller.id, product)


@pytest.fixture
def office(app) -> Iterator[Office]:
    coop = make_cooperative()
    o = set_up_office(coop)
    with tenant(coop.id):
        yield o
