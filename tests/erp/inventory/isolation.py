"""The inventory seeder for the tenant isolation suite: a gerai, a product named with the marker,
a photo key, a bigger unit, a goods receipt, an adjustment, a lot-tracked product received into a lot, a submitted stock count, a Kophub reservation, an RDKK allocation with a
purchase against it and an LPG limit."""

from __future__ import annotations

from datetime import date

from core.db import db
from erp.inventory import opname, service
from erp.inventory.models import LocationKind
from erp.ledger import service as ledger
from tenants.models import Cooperative


def seed_inventory(coop: Cooperative, marker: str, user_id: int) -> None:
    ledger.install_chart_of_accounts()
    db.session.commit()
    gerai = service.add_location("GERAI", f"Gerai {marker}", LocationKind.GERAI)
    product = service.add_product(
        code=f"SEED-{coop.id}", name=f"Beras {marker}", category="beras", unit="kg", price=13_000, het=13_500
    )
    service.add_unit(product.id, f"karung {marker}"[:20], 50)
    product.photo_key = f"{coop.id}/{'b' * 32}"  # the row only: no file behind it
    service.receive(product.id, gerai.id, 10, 110_000, idempotency_key=f"seed-{marker}", user_id=user_id)
    service.adjust(
        product.id,
        gerai.id,
        -1,
        reason=f"Rusak {marker}",
        idempotency_key=f"seed-adj-{marker}",
        user_id=user_id,
    )
    service.reserve(product.id, gerai.id, 2, key=f"seed-order-{marker}")
    db.session.commit()
    milk = service.add_product(
        code=f"SUSU-{coop.id}",
        name=f"Susu {marker}",
        category="susu",
        unit="kotak",
        price=6_000,
        tracks_lots=True,
    )
    service.receive(
        milk.id,
        gerai.id,
        12,
        60_000,
        idempotency_key=f"seed-lot-{marker}",
        user_id=user_id,
        lot=f"LOT-{coop.id}",
        expires_on=date(2099, 1, 1),
    )
    count = opname.start_count(gerai.id, user_id=user_id, note=f"Opname {marker}")
    first = opname.lines(count.id)[0][0].line
    opname.record_counts(count.id, {first.id: first.expected + 1}, user_id=user_id)
    opname.submit(count.id, user_id=user_id)
    urea = service.add_product(
        code=f"UREA-{coop.id}",
        name=f"Urea {marker}",
        category="pupuk",
        unit="kg",
        price=1_800,
        commodity="pupuk_urea",
    )
    nik = f"32041241078{coop.id % 100000:05d}"
    rows = service.read_rdkk_csv(f"nik;komoditas;kg\n{nik};urea;100\n".encode())
    service.import_rdkk(rows, date(2026, 1, 1), date(2026, 12, 31))
    service.consume_quota(urea, nik, 10, key=f"seed-quota-{marker}", on=date(2026, 6, 1))
    service.set_lpg_quota(4, user_id=user_id)
