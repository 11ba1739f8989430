"""The point-of-sale seeder for the tenant isolation suite: counter settings, a supervisor's PIN, a
shift opened and closed, a split sale to a member (transfer + kasbon, the marker in the reference)
with its receipt printed twice, a partial return, a voided cash sale and a kasbon repayment."""

from __future__ import annotations

from sqlalchemy import select

from core.auth import hash_password
from core.db import db
from erp.inventory import service as inventory
from erp.membership.models import Member
from erp.pos import service
from erp.pos.models import SupervisorPin
from erp.pos.service import CartLine, ReturnRequest, Tender
from tenants.models import Cooperative
from tests.conftest import add_staff

SEED_PIN = "246813"


def seed_pos(coop: Cooperative, marker: str, user_id: int) -> None:
    product = inventory.product_by_code(f"SEED-{coop.id}")
    assert product is not None, "seed_inventory runs first"
    member_number = db.session.scalar(select(Member.member_number).where(Member.member_number.is_not(None)))
    location = inventory.default_location().id
    supervisor = add_staff(coop, "manajer")
    db.session.add(SupervisorPin(user_id=supervisor.id, pin_hash=hash_password(SEED_PIN)))
    db.session.commit()
    service.update_settings(default_credit_limit=100_000, receipt_width=58)
    shift = service.open_shift(kasir_id=user_id, location_id=location, opening_float=50_000)
    sale = service.checkout(
        [CartLine(product.id, 2)],
        location_id=location,
        payments=[Tender("transfer", 13_000, f"TRF-{marker}"), Tender("kredit", 13_000)],
        member_number=member_number,
        idempotency_key=f"seed-sale-{marker}",
        kasir_id=user_id,
    )
    service.print_receipt(sale.id, printed_by=user_id, form="html58")
    service.print_receipt(sale.id, printed_by=user_id, form="pdf58")
    line_id = service.receipt(sale.id).lines[0][0].id
    service.return_items(
        sale.id,
        [ReturnRequest(line_id, 1, restock=True)],
        reason=f"Retur {marker}",
        kasir_id=user_id,
        supervisor_id=supervisor.id,
        supervisor_pin=SEED_PIN,
        idempotency_key=f"seed-return-{marker}",
    )
    cash_sale = service.checkout(
        [CartLine(product.id, 1)],
        location_id=location,
        payment_method="tunai",
        paid=20_000,
        idempotency_key=f"seed-cash-{marker}",
        kasir_id=user_id,
    )
    service.void_sale(
        cash_sale.id,
        reason=f"Salah ketik {marker}",
        kasir_id=user_id,
        supervisor_id=supervisor.id,
        supervisor_pin=SEED_PIN,
        idempotency_key=f"seed-void-{marker}",
    )
    service.checkout(
        [CartLine(product.id, 1)],
        location_id=location,
        payments=[Tender("kredit", 13_000)],
        member_number=member_number,
        idempotency_key=f"seed-kasbon-{marker}",
        kasir_id=user_id,
    )
    service.repay_credit(
        member_number,
        5_000,
        method="tunai",
        reference=None,
        kasir_id=user_id,
        idempotency_key=f"seed-repay-{marker}",
    )
    service.close_shift(shift.id, {50_000: 1, 5_000: 1}, closed_by=user_id, note=f"Selisih {marker}")
