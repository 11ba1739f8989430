"""The purchasing seeder for the tenant isolation suite: a supplier named with the marker, an
order partly received (a receipt line), a receipt invoiced with a difference, a payment, the
cooperative's own approval threshold, a payment waiting for approval, and a credit note with goods
sent back."""

from __future__ import annotations

from datetime import date

from erp.inventory import service as inventory
from erp.inventory.models import LocationKind
from erp.purchasing import service
from erp.purchasing.service import CreditLineInput, OrderLineInput, ReceiptLineInput
from tenants.models import Cooperative


def seed_purchasing(coop: Cooperative, marker: str, user_id: int) -> None:
    gudang = inventory.add_location("GUDANG-B", f"Gudang {marker}", LocationKind.GUDANG)
    product = inventory.add_product(
        code=f"GULA-{coop.id}", name=f"Gula {marker}", category="gula", unit="kg", price=17_500
    )
    supplier = service.add_supplier(
        name=f"Pemasok {marker}", kind="lainnya", npwp="0123456789012345", payment_terms_days=14
    )
    order = service.create_order(
        supplier.id, [OrderLineInput(product.id, 100, 15_000)], note=f"Catatan {marker}", user_id=user_id
    )
    service.place_order(order.id, user_id=user_id)
    line = service.order_lines(order.id)[0][0]
    receipt = service.receive_goods(
        order_id=order.id,
        location_id=gudang.id,
        lines=[ReceiptLineInput(quantity=40, order_line_id=line.id)],
        idempotency_key=f"seed-gr-{coop.id}-{marker}"[:64],
        note=f"Terima {marker}",
        user_id=user_id,
    )
    invoice = service.record_invoice(
        supplier.id,
        [receipt.id],
        number=f"INV-{marker}"[:40],
        invoice_date=date.today(),
        amount=receipt.total + 5_000,
        difference_note=f"Ongkos {marker}",
        user_id=user_id,
    )
    service.pay_invoice(
        invoice.id,
        100_000,
        method="bank",
        reference=f"TRF-{marker}"[:60],
        idempotency_key=f"seed-pay-{coop.id}-{marker}"[:64],
        user_id=user_id,
    )
    service.set_payment_threshold(200_000, user_id=user_id)
    service.pay_invoice(
        invoice.id,
        300_000,
        method="kas",
        reference=f"BG-{marker}"[:60],
        idempotency_key=f"seed-req-{coop.id}-{marker}"[:64],
        user_id=user_id,
    )
    receipt_line = service.receipt_lines(receipt.id)[0][0]
    service.record_credit(
        invoice_id=invoice.id,
        number=f"NK-{marker}"[:40],
        credit_date=date.today(),
        amount=50_000,
        reason="rusak",
        note=f"Retur {marker}",
        lines=[CreditLineInput(receipt_line.id, 1)],
        idempotency_key=f"seed-nk-{coop.id}-{marker}"[:64],
        user_id=user_id,
    )
