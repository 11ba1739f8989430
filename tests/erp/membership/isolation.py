"""The register's seeder for the tenant isolation suite: an active member whose name and address
carry the marker."""

from __future__ import annotations

from core.db import db
from tenants.models import Cooperative
from tests.erp.membership.factories import make_member


def seed_membership(coop: Cooperative, marker: str, user_id: int) -> None:
    make_member(name=f"Anggota {marker}", address=f"Alamat {marker}", phone=None)
    db.session.flush()
