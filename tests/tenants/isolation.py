"""What the tenant isolation suite knows about each module: how to fill every tenant table with
rows of one cooperative. Each module that adds a tenant table adds a seeder here; the suite fails
for a tenant table that no seeder fills, so no table escapes the attack tests.

Every seeder runs inside `tenants.context.tenant(coop.id)` and puts `marker` in visible text.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from core.auth import token_digest
from core.db import db
from tenants.models import Cooperative, Invitation
from tests.erp.ledger.isolation import seed_ledger
from tests.erp.membership.isolation import seed_membership
from tests.erp.savings.isolation import seed_savings

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


SEEDERS: list[Seeder] = [seed_invitations, seed_ledger, seed_membership, seed_savings]
