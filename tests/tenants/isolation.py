"""What the tenant isolation suite knows about each module: how to fill every tenant table with
rows of one cooperative. Each module that adds a tenant table adds a seeder here; the suite fails
for a tenant table that no seeder fills, so no table escapes the attack tests.

Every seeder runs inside `tenants.context.tenant(coop.id)` and puts `marker` in visible text.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta

from core.auth import token_digest
from core.db import db
from tenants.models import (
    BusinessUnit,
    Cooperative,
    FormationEvidence,
    FormationStage,
    Invitation,
    LegalData,
    Officer,
)
from tests.erp.inventory.isolation import seed_inventory
from tests.erp.ledger.isolation import seed_ledger
from tests.erp.loans.isolation import seed_loans
from tests.erp.loans.isolation_changes import seed_loan_changes
from tests.erp.membership.isolation import seed_membership
from tests.erp.pos.isolation import seed_pos
from tests.erp.purchasing.isolation import seed_purchasing
from tests.erp.savings.isolation import seed_savings
from tests.marketplace.listings.isolation import seed_listings
from tests.marketplace.orders.isolation import seed_kophub_orders, seed_kophub_returns
from tests.marketplace.payments.isolation import seed_kophub_payouts

Seeder = Callable[[Cooperative, str, int], None]


def seed_invitations(coop: Cooperative, marker: str, user_id: int) -> None:
    db.session.add(
        Invitation(
            email=f"{marker.lower()}@example.id",
            roles=["kasir"],
            token_hash=token_digest(f"token-{marker}"),
            invited_by=user_id,
            expires_at=datetime.now(UTC) + timedelta(days=3),
        )
    )


def seed_registry(coop: Cooperative, marker: str, user_id: int) -> None:
    """Legal data, an officer, a unit, a formation stage and its evidence (no file on disk)."""
    db.session.add(LegalData(nib="1234567890123", bank_name="BRI", bank_account_name=marker))
    db.session.add(Officer(position="ketua", name=marker, nik="3204124501900001"))
    db.session.add(BusinessUnit(unit_type="sembako", status="beroperasi", started_on=date(2025, 8, 1)))
    stage = FormationStage(stage="sosialisasi", held_on=date(2025, 5, 1), status="diajukan", notes=marker)
    db.session.add(stage)
    db.session.flush()
    db.session.add(
        FormationEvidence(
            stage_id=stage.id,
            filename=f"{marker}.pdf",
            content_type="application/pdf",
            size=10,
            sha256="0" * 64,
            storage_key=f"{coop.id}/{marker.lower()}.pdf",
            uploaded_by=user_id,
        )
    )


SEEDERS: list[Seeder] = [
    seed_registry,
    seed_invitations,
    seed_ledger,
    seed_membership,
    seed_savings,
    seed_inventory,
    seed_pos,
    seed_purchasing,
    seed_loans,
    seed_loan_changes,
    seed_listings,
    seed_kophub_orders,
    seed_kophub_payouts,
    seed_kophub_returns,
]
