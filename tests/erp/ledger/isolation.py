"""The ledger's seeder for the tenant isolation suite (`tests/tenants/isolation.py`): fills every
ledger table with rows of one cooperative, the marker in visible text."""

from __future__ import annotations

from datetime import date

from core.db import db
from erp.ledger import service
from erp.ledger.models import LedgerAccount
from erp.ledger.service import NewEntry, credit, debit
from tenants.models import Cooperative


def seed_ledger(coop: Cooperative, marker: str, user_id: int) -> None:
    service.install_chart_of_accounts()
    db.session.add(LedgerAccount(code="1-1190", name=f"Kas {marker}", type="asset", normal_side="debit"))
    db.session.flush()
    service.post(
        NewEntry(
            entry_date=date(2025, 1, 10),
            description=f"Setoran simpanan pokok {marker}",
            source_module="isolation",
            source_id=marker,
            idempotency_key=f"isolation:{marker}",
            lines=[debit("1-1190", 50_000, marker), credit("3-1000", 50_000, marker)],
        ),
        posted_by=user_id,
    )
    service.close_period(2025, 1, closed_by=user_id)
