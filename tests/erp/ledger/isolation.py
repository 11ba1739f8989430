"""The ledger's seeder for the tenant isolation suite (`tests/tenants/isolation.py`): fills every
ledger table with rows of one cooperative, the marker in visible text."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from types import SimpleNamespace

from core.db import db
from core.models import User
from erp.ledger import service, shu
from erp.ledger.models import EquityBasis, LedgerAccount
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
    service.update_settings(
        approval_threshold=1_000_000,
        shares={
            "cadangan": Decimal(40),
            "jasa_modal": Decimal(20),
            "jasa_usaha": Decimal(20),
            "pembangunan_desa": Decimal(20),
            "pengurus": Decimal(0),
            "karyawan": Decimal(0),
            "pendidikan": Decimal(0),
            "sosial": Decimal(0),
        },
        equity_basis=EquityBasis.YEAR_END,
    )
    # A maker other than the seeded staff member, so that member can approve (never their own).
    maker = User(name=f"Pembuat {marker}", email=f"pembuat-{marker.lower()}@example.id", password_hash="x")
    db.session.add(maker)
    db.session.flush()
    lines = [
        {"account_code": "1-1100", "debit": 75_000, "credit": 0, "memo": marker},
        {"account_code": "3-2000", "debit": 0, "credit": 75_000, "memo": marker},
    ]
    for n in range(3):
        manual = service.submit_manual_entry(
            entry_date=date(2025, 2, 3),
            description=f"Simpanan wajib {marker} {n}",
            lines=lines,
            request_key=f"isolation:{marker}:{n}",
            created_by=maker.id,
        )
        if n == 1:
            service.approve_manual_entry(manual.id, approved_by=user_id)
        elif n == 2:
            service.refuse_manual_entry(manual.id, f"Salah akun {marker}", refused_by=user_id)
    # A distributed year, with one member's share (the member comes from a provider registered
    # for the seeding only, as the membership module registers its own).
    service.post(
        NewEntry(
            entry_date=date(2024, 3, 1),
            description=f"Penjualan {marker}",
            source_module="isolation",
            source_id=marker,
            idempotency_key=f"isolation:jual:{marker}",
            lines=[debit("1-1100", 1_000_000), credit("4-2100", 1_000_000)],
        ),
        posted_by=user_id,
    )
    service.close_year(2024, closed_by=user_id)
    member = SimpleNamespace(id=1, member_number=f"S-{marker}"[:20], name=f"Anggota {marker}")

    def members() -> list[SimpleNamespace]:
        return [member]

    def equity(as_of: date) -> dict[int, int]:
        return {1: 100_000}

    shu.sources.register("members", members)
    shu.sources.register("jasa_modal", equity)
    try:
        shu.distribute(2024, on=date(2025, 2, 10), posted_by=user_id)
    finally:
        shu.sources.unregister("members", members)
        shu.sources.unregister("jasa_modal", equity)
