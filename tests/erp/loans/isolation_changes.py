"""Isolation seeder for loan changes: a partial prepayment (a replaced schedule version), a
restructuring proposal, a written-off loan with a recovery, and the cooperative's own bank loan
received and partly paid, the marker in visible text."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from erp.loans import bank, restructure, service
from tenants.models import Cooperative
from tests.conftest import add_staff
from tests.erp.loans.conftest import product_data
from tests.erp.membership.factories import make_member


def seed_loan_changes(coop: Cooperative, marker: str, user_id: int) -> None:
    """Needs the chart of accounts (seeded by `seed_loans` before it)."""
    checker = add_staff(coop, "ketua")
    product = service.create_product(product_data(code="PJ-UBAH", name=f"Pinjaman ubah {marker}"))
    today = date.today()

    def running(days_ago: int, amount: int = 2_000_000) -> int:
        member = make_member(name=f"Peminjam ubah {marker}", phone=None)
        loan = service.apply(member.id, product.id, amount, 12, f"Usaha {marker}", by=user_id)
        service.approve(loan.id, by=checker.id)
        service.disburse(loan.id, by=user_id, on=today - timedelta(days=days_ago))
        return loan.id

    prepaid = running(10)
    restructure.prepay_partial(
        prepaid, 1_000_000, mode="tenor", idempotency_key=f"ubah-{marker}", teller_id=user_id
    )
    restructure.propose_restructuring(
        running(40),
        tenor=24,
        rate_per_month=product.rate_per_month,
        method="anuitas",
        reason=f"Gagal panen {marker}",
        by=user_id,
    )
    macet = running(420)
    proposal = restructure.propose_write_off(macet, reason=f"Pindah {marker}", by=user_id)
    restructure.approve_write_off(proposal.id, by=checker.id)
    restructure.recover(macet, 100_000, idempotency_key=f"pulih-{marker}", teller_id=user_id)
    owed = bank.record(
        {
            "bank": "BSI",
            "contract_number": f"BSI-{marker}",
            "purpose": f"Gudang {marker}",
            "amount": 50_000_000,
            "rate_per_year": Decimal(6),
            "tenor": 12,
            "grace_months": 0,
            "method": "anuitas",
            "signed_on": today - timedelta(days=40),
        },
        by=user_id,
    )
    bank.receive(owed.id, on=today - timedelta(days=35), by=user_id)
    bank.pay(owed.id, 250_000, idempotency_key=f"bank-{marker}", by=user_id)
