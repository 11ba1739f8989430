"""Purchasing at the service layer: suppliers, orders and their numbers, partial and excess
receipts, invoices with a difference, partial payments, overpayment, repeats, and the aging list
against Utang Usaha."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from core.db import db
from core.errors import DomainError
from core.models import AuditEntry
from erp.inventory import service as inventory
from erp.inventory.models import Lot, StockMove
from erp.ledger import service as ledger
from erp.ledger.models import JournalEntry
from erp.ledger.service import IdempotencyConflict
from erp.purchasing import service
from erp.purchasing.models import (
    GoodsReceipt,
    GoodsReceiptLine,
    OrderStatus,
    PurchaseOrder,
    Supplier,
    SupplierInvoice,
    SupplierPayment,
)
from erp.purchasing.service import (
    InvalidPurchase,
    InvalidTransition,
    OrderLineInput,
    Overpayment,
    ReceiptLineInput,
)
from tests.erp.membership.factories import make_member
from tests.erp.purchasing.conftest import key

TODAY = date.today()


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def _payable() -> int:
    return ledger.account_balance("2-1300", TODAY)


def _receive(buying, order, rice: int = 0, oil: int = 0, **kw):
    lines = service.order_lines(order.id)
    wanted = {buying.rice.id: rice, buying.oil.id: oil}
    return service.receive_goods(
        order_id=order.id,
        location_id=kw.pop("location_id", buying.shop.gudang.id),
        lines=[ReceiptLineInput(quantity=wanted[p.id], order_line_id=line.id) for line, p in lines],
        idempotency_key=kw.pop("idempotency_key", key()),
        **kw,
    )


# --- suppliers ---


def test_a_supplier_keeps_its_npwp_as_sixteen_digits_and_its_phone_in_e164(buying):
    supplier = service.add_supplier(
        name="Pangkalan LPG Bu Yati",
        kind="pertamina",
        npwp="3204124107900001",
        phone="0812-3456-7890",
        bank_name="BRI",
        bank_account="0123 0100 1234 567",
        payment_terms_days=7,
    )
    assert (supplier.npwp, supplier.phone, supplier.bank_account) == (
        "3204124107900001",
        "+6281234567890",
        "012301001234567",
    )
    assert buying.supplier.npwp == "0012345678901000"  # the old 15-digit form gains its leading 0


@pytest.mark.parametrize(
    ("changes", "field", "words"),
    [
        ({"npwp": "12.345"}, "npwp", "NPWP"),
        ({"phone": "12345"}, "phone", "HP"),
        ({"kind": "tengkulak"}, "kind", "Jenis"),
        ({"payment_terms_days": 400}, "payment_terms_days", "365"),
        ({"bank_account": "12-ab"}, "bank_account", "rekening"),
        ({"bank_account": "1234567"}, "bank_name", "bank"),
        ({"kind": "petani_anggota"}, "member_number", "anggota"),
        ({"member_number": "A-0001"}, "member_number", "petani anggota"),
        ({"name": "  "}, "name", "lengkap"),
    ],
)
def test_bad_supplier_data_is_refused_with_its_reason_and_writes_nothing(buying, changes, field, words):
    data = {"name": "Toko Tani Makmur", "kind": "lainnya", **changes}
    with pytest.raises(InvalidPurchase) as refused:
        service.add_supplier(**data)
    assert field in refused.value.fields
    assert words.lower() in str(refused.value.message).lower()
    db.session.rollback()
    assert _count(Supplier) == 1


def test_a_member_farmer_is_linked_to_the_member_once(buying):
    member = make_member()
    farmer = service.add_supplier(name="Pak Darto", kind="petani_anggota", member_number=member.member_number)
    assert farmer.member_id == member.id
    assert service.supplier_member_number(farmer) == member.member_number
    with pytest.raises(InvalidPurchase, match="sudah terdaftar"):
        service.add_supplier(name="Darto lagi", kind="petani_anggota", member_number=member.member_number)
    db.session.rollback()
    with pytest.raises(InvalidPurchase, match="tidak ditemukan"):
        service.add_supplier(name="Entah", kind="petani_anggota", member_number="X-9999")


def test_suppliers_are_searched_edited_and_deactivated_with_an_audit_trail(buying):
    service.add_supplier(name="Pupuk Indonesia Niaga", kind="pupuk_indonesia", phone="081298765432")
    assert [s.name for s in service.suppliers("pupuk")] == ["Pupuk Indonesia Niaga"]
    assert [s.name for s in service.suppliers("98765")] == ["Pupuk Indonesia Niaga"]
    service.update_supplier(
        buying.supplier.id, name="Bulog Cabang Bandung", kind="bulog", payment_terms_days=14
    )
    assert service.get_supplier(buying.supplier.id).payment_terms_days == 14
    service.set_supplier_active(buying.supplier.id, False)
    assert buying.supplier.id not in [s.id for s in service.suppliers()]
    assert buying.supplier.id in [s.id for s in service.suppliers(include_inactive=True)]
    with pytest.raises(InvalidPurchase, match="tidak aktif"):
        buying.order()
    actions = db.session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)).all()
    assert {"purchasing.supplier_changed", "purchasing.supplier_deactivated"} <= set(actions)


# --- orders ---


def test_orders_are_numbered_per_month_without_gaps_and_move_from_draft_to_ordered(buying):
    first = buying.order(place=False)
    second = buying.order()
    head = f"PO/{TODAY.year:04d}/{TODAY.month:02d}/"
    assert (first.number, second.number) == (f"{head}0001", f"{head}0002")
    assert first.status == OrderStatus.DRAFT and second.status == OrderStatus.DIPESAN
    assert first.total == 10 * 600_000 + 5 * 180_000
    with pytest.raises(InvalidTransition):
        service.place_order(second.id)
    db.session.rollback()
    with pytest.raises(InvalidPurchase):  # a refused order does not use up a number
        service.create_order(buying.supplier.id, [OrderLineInput(buying.rice.id, 0, 600_000, "karung")])
    db.session.rollback()
    assert buying.order().number == f"{head}0003"


@pytest.mark.parametrize(
    ("product", "quantity", "price", "unit", "field"),
    [
        ("none", 1, 1_000, None, "lines.0.product_id"),
        ("rice", 0, 1_000, None, "lines.0.quantity"),
        ("rice", -2, 1_000, None, "lines.0.quantity"),
        ("rice", 1, 0, None, "lines.0.unit_price"),
        ("rice", 1, 1_000, "sak", "lines.0.unit"),
        ("rice", 30_000, 1_000, "karung", "lines.0.quantity"),
    ],
)
def test_a_bad_order_line_is_refused_and_writes_nothing(buying, product, quantity, price, unit, field):
    product_id = buying.rice.id if product == "rice" else 10**9
    with pytest.raises(InvalidPurchase) as refused:
        service.create_order(buying.supplier.id, [OrderLineInput(product_id, quantity, price, unit)])
    assert field in refused.value.fields
    db.session.rollback()
    assert _count(PurchaseOrder) == 0


# --- receipts ---


def test_partial_receipts_put_stock_and_utang_usaha_in_step_and_the_order_follows(buying):
    order = buying.order(rice_karung=10, oil_dus=5)
    first = _receive(buying, order, rice=4, oil=5)
    assert service.get_order(order.id).status == OrderStatus.SEBAGIAN
    assert first.total == 4 * 600_000 + 5 * 180_000
    assert inventory.on_hand(buying.rice.id, buying.shop.gudang.id) == 200  # 4 karung of 50 kg
    assert inventory.on_hand(buying.oil.id, buying.shop.gudang.id) == 60
    assert _payable() == first.total
    assert ledger.account_balance("1-1500", TODAY) == first.total
    assert all(line.stock_move_id for line in db.session.scalars(select(GoodsReceiptLine)))
    second = _receive(buying, order, rice=6)
    assert service.get_order(order.id).status == OrderStatus.DITERIMA
    assert [(line.received, line.quantity) for line, _p in service.order_lines(order.id)] == [
        (10, 10),
        (5, 5),
    ]
    assert _payable() == order.total == first.total + second.total
    assert inventory.stock_value() == order.total
    with pytest.raises(InvalidTransition):
        _receive(buying, order, rice=1)


def test_receiving_more_than_is_outstanding_is_refused_naming_what_is_left_and_writes_nothing(buying):
    order = buying.order(rice_karung=10)
    _receive(buying, order, rice=7)
    receipts, moves, entries = _count(GoodsReceipt), _count(StockMove), _count(JournalEntry)
    with pytest.raises(InvalidPurchase) as refused:
        _receive(buying, order, rice=4, oil=1)
    assert "sisa 3" in str(refused.value.message)
    assert refused.value.fields == {"lines.0.quantity": ["Paling banyak 3."]}
    db.session.rollback()
    assert (_count(GoodsReceipt), _count(StockMove), _count(JournalEntry)) == (receipts, moves, entries)
    assert [line.received for line, _p in service.order_lines(order.id)] == [7, 0]
    assert service.get_order(order.id).status == OrderStatus.SEBAGIAN


def test_a_draft_or_cancelled_order_cannot_be_received(buying):
    draft = buying.order(place=False)
    with pytest.raises(InvalidTransition, match="draf"):
        _receive(buying, draft, rice=1)
    db.session.rollback()
    service.cancel_order(draft.id)
    with pytest.raises(InvalidTransition, match="dibatalkan"):
        _receive(buying, draft, rice=1)
    db.session.rollback()
    assert _count(GoodsReceipt) == 0


def test_a_repeated_receipt_is_received_once(buying):
    order = buying.order()
    same = key()
    first = _receive(buying, order, rice=2, idempotency_key=same)
    again = _receive(buying, order, rice=2, idempotency_key=same)
    assert first.id == again.id
    assert _count(GoodsReceipt) == 1 and _count(StockMove) == 1
    assert _payable() == 2 * 600_000
    with pytest.raises(IdempotencyConflict):
        _receive(buying, order, rice=2, idempotency_key=same, location_id=buying.shop.gerai.id)


def test_a_receipt_that_fails_on_a_later_line_writes_nothing_and_a_retry_receives_it_whole(
    buying, monkeypatch
):
    order = buying.order()
    same = key()
    real = inventory.receive
    calls = []

    def failing_on_the_second_line(*args, **kwargs):
        calls.append(args[0])
        if len(calls) == 2:
            raise RuntimeError("the database went away")
        return real(*args, **kwargs)

    monkeypatch.setattr(inventory, "receive", failing_on_the_second_line)
    with pytest.raises(RuntimeError):
        _receive(buying, order, rice=2, oil=3, idempotency_key=same)
    db.session.rollback()
    assert (_count(GoodsReceipt), _count(StockMove), _count(JournalEntry)) == (0, 0, 0)
    assert inventory.on_hand(buying.rice.id) == 0
    monkeypatch.setattr(inventory, "receive", real)
    _receive(buying, order, rice=2, oil=3, idempotency_key=same)
    assert _count(GoodsReceipt) == 1 and _count(StockMove) == 2
    assert (inventory.on_hand(buying.rice.id), inventory.on_hand(buying.oil.id)) > (0, 0)
    assert ledger.account_balance("1-1500", TODAY) == _payable()


def test_goods_can_be_received_without_an_order(buying):
    receipt = service.receive_goods(
        supplier_id=buying.supplier.id,
        location_id=buying.shop.gerai.id,
        lines=[ReceiptLineInput(quantity=3, product_id=buying.oil.id, unit="dus", unit_price=175_000)],
        idempotency_key=key(),
    )
    assert receipt.order_id is None and receipt.total == 525_000
    assert inventory.on_hand(buying.oil.id, buying.shop.gerai.id) == 36
    assert receipt.number == f"GR/{TODAY.year:04d}/{TODAY.month:02d}/0001"
    with pytest.raises(InvalidPurchase) as refused:
        service.receive_goods(
            supplier_id=buying.supplier.id,
            location_id=buying.shop.gerai.id,
            lines=[ReceiptLineInput(quantity=3, product_id=buying.oil.id, unit="dus", unit_price=0)],
            idempotency_key=key(),
        )
    assert "lines.0.unit_price" in refused.value.fields


def _milk(buying):
    return inventory.add_product(
        code="SUSU-UHT", name="Susu UHT 1 L", category="susu", unit="kotak", price=19_000, tracks_lots=True
    )


def _receive_free(buying, product, quantity=24, **line):
    return service.receive_goods(
        supplier_id=buying.supplier.id,
        location_id=buying.shop.gudang.id,
        lines=[ReceiptLineInput(quantity=quantity, product_id=product.id, unit_price=15_000, **line)],
        idempotency_key=key(),
    )


def test_a_lot_tracked_product_is_received_into_its_lot_with_its_expiry(buying):
    milk = _milk(buying)
    expiry = TODAY + timedelta(days=90)
    receipt = _receive_free(buying, milk, lot="l-2611a", expires_on=expiry)
    line = service.receipt_lines(receipt.id)[0][0]
    assert (line.lot, line.expires_on) == ("L-2611A", expiry)
    lot = db.session.scalar(select(Lot).where(Lot.product_id == milk.id))
    assert (lot.code, lot.expires_on, lot.quantity) == ("L-2611A", expiry, 24)


@pytest.mark.parametrize(
    ("product", "line", "field", "words"),
    [
        ("milk", {}, "lines.0.lot", "lot"),
        ("milk", {"lot": "A1", "expires_on": TODAY - timedelta(days=1)}, "lines.0.expires_on", "kedaluwarsa"),
        ("milk", {"lot": "A 1?"}, "lines.0.lot", "lot"),
        ("oil", {"lot": "B1"}, "lines.0.lot", "tidak dicatat per lot"),
    ],
)
def test_bad_lots_are_refused_before_anything_is_received(buying, product, line, field, words):
    milk = _milk(buying)
    rice_line = ReceiptLineInput(quantity=50, product_id=buying.rice.id, unit_price=12_000)
    wanted = {"milk": milk, "oil": buying.oil}[product]
    with pytest.raises(InvalidPurchase) as refused:
        service.receive_goods(
            supplier_id=buying.supplier.id,
            location_id=buying.shop.gudang.id,
            lines=[ReceiptLineInput(quantity=1, product_id=wanted.id, unit_price=1_000, **line), rice_line],
            idempotency_key=key(),
        )
    assert field in refused.value.fields
    assert words in str(refused.value.message)
    db.session.rollback()
    assert (_count(GoodsReceipt), _count(StockMove)) == (0, 0)


def test_a_known_lot_received_again_with_another_expiry_is_refused_whole(buying):
    milk = _milk(buying)
    _receive_free(buying, milk, lot="A1", expires_on=TODAY + timedelta(days=30))
    moves = _count(StockMove)
    with pytest.raises(InvalidPurchase, match="sudah tercatat"):
        service.receive_goods(
            supplier_id=buying.supplier.id,
            location_id=buying.shop.gudang.id,
            lines=[
                ReceiptLineInput(quantity=5, product_id=buying.rice.id, unit_price=12_000),
                ReceiptLineInput(
                    quantity=5, product_id=milk.id, unit_price=15_000, lot="A1", expires_on=TODAY
                ),
            ],
            idempotency_key=key(),
        )
    db.session.rollback()
    assert (_count(GoodsReceipt), _count(StockMove)) == (1, moves)


# --- invoices ---


def test_an_invoice_for_the_received_value_posts_nothing_more_and_is_due_after_the_terms(buying):
    order = buying.order()
    receipt = _receive(buying, order, rice=10, oil=5)
    entries = _count(JournalEntry)
    invoice = service.record_invoice(
        buying.supplier.id, [receipt.id], number="INV/BLG/0091", invoice_date=TODAY, amount=receipt.total
    )
    assert invoice.due_on == TODAY + timedelta(days=30)
    assert invoice.journal_entry_id is None and _count(JournalEntry) == entries
    assert _payable() == receipt.total
    again = service.record_invoice(
        buying.supplier.id, [receipt.id], number="INV/BLG/0091", invoice_date=TODAY, amount=receipt.total
    )
    assert again.id == invoice.id


@pytest.mark.parametrize("difference", [25_000, -40_000])
def test_an_invoice_that_differs_must_say_why_and_posts_the_difference(buying, difference):
    order = buying.order()
    receipt = _receive(buying, order, rice=10, oil=5)
    billed = receipt.total + difference
    with pytest.raises(InvalidPurchase, match="selisih") as refused:
        service.record_invoice(
            buying.supplier.id, [receipt.id], number="F-1", invoice_date=TODAY, amount=billed
        )
    assert "difference_note" in refused.value.fields
    db.session.rollback()
    assert _count(SupplierInvoice) == 0
    invoice = service.record_invoice(
        buying.supplier.id,
        [receipt.id],
        number="F-1",
        invoice_date=TODAY,
        amount=billed,
        difference_note="ongkos bongkar" if difference > 0 else "potongan harga",
    )
    assert invoice.difference == difference
    assert _payable() == billed
    assert ledger.account_balance("5-1100", TODAY) == difference
    assert ledger.account_balance("1-1500", TODAY) == receipt.total == inventory.stock_value()


def test_a_receipt_is_invoiced_once_and_only_by_its_own_supplier(buying):
    receipt = _receive(buying, buying.order(), rice=1)
    other = service.add_supplier(name="CV Lain", kind="lainnya")
    with pytest.raises(InvalidPurchase, match="tidak ditemukan"):
        service.record_invoice(other.id, [receipt.id], number="X", invoice_date=TODAY, amount=receipt.total)
    db.session.rollback()
    service.record_invoice(
        buying.supplier.id, [receipt.id], number="A", invoice_date=TODAY, amount=receipt.total
    )
    with pytest.raises(InvalidPurchase, match="sudah ditagih"):
        service.record_invoice(
            buying.supplier.id, [receipt.id], number="B", invoice_date=TODAY, amount=receipt.total
        )
    db.session.rollback()
    assert _count(SupplierInvoice) == 1


# --- payments ---


def _invoiced(buying, amount_rice: int = 10):
    receipt = _receive(buying, buying.order(rice_karung=amount_rice, oil_dus=1), rice=amount_rice, oil=1)
    return service.record_invoice(
        buying.supplier.id, [receipt.id], number=f"F-{receipt.id}", invoice_date=TODAY, amount=receipt.total
    )


def test_partial_payments_from_cash_and_bank_bring_the_invoice_and_utang_usaha_down(buying):
    invoice = _invoiced(buying)  # 6.180.000
    cash_before, bank_before = (
        ledger.account_balance("1-1100", TODAY),
        ledger.account_balance("1-1110", TODAY),
    )
    service.pay_invoice(invoice.id, 2_000_000, method="kas", idempotency_key=key())
    service.pay_invoice(invoice.id, 4_180_000, method="bank", reference="TRF 8812", idempotency_key=key())
    assert service.get_invoice(invoice.id).outstanding == 0
    assert _payable() == 0
    assert ledger.account_balance("1-1100", TODAY) == cash_before - 2_000_000
    assert ledger.account_balance("1-1110", TODAY) == bank_before - 4_180_000
    assert [p.amount for p in service.payments_of(invoice.id)] == [2_000_000, 4_180_000]


def test_paying_more_than_remains_is_refused_naming_the_remainder_and_writes_nothing(buying):
    invoice = _invoiced(buying)
    service.pay_invoice(invoice.id, 6_000_000, method="kas", idempotency_key=key())
    entries = _count(JournalEntry)
    with pytest.raises(Overpayment) as refused:
        service.pay_invoice(invoice.id, 180_001, method="kas", idempotency_key=key())
    assert "Rp 180.000" in str(refused.value.message)
    db.session.rollback()
    assert _count(JournalEntry) == entries and _count(SupplierPayment) == 1
    assert service.get_invoice(invoice.id).paid == 6_000_000


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"amount": 0}, "amount"),
        ({"amount": -5}, "amount"),
        ({"method": "cek"}, "method"),
        ({"method": "bank"}, "reference"),
        ({"paid_on": TODAY + timedelta(days=1)}, "paid_on"),
    ],
)
def test_bad_payment_input_is_refused_and_writes_nothing(buying, kwargs, field):
    invoice = _invoiced(buying)
    data = {"amount": 1_000, "method": "kas", "idempotency_key": key(), **kwargs}
    with pytest.raises(InvalidPurchase) as refused:
        service.pay_invoice(invoice.id, data.pop("amount"), **data)
    assert field in refused.value.fields
    db.session.rollback()
    assert _count(SupplierPayment) == 0


def test_a_repeated_payment_is_paid_once_and_a_changed_repeat_is_refused(buying):
    invoice = _invoiced(buying)
    same = key()
    first = service.pay_invoice(invoice.id, 1_000_000, method="kas", idempotency_key=same)
    again = service.pay_invoice(invoice.id, 1_000_000, method="kas", idempotency_key=same)
    assert first.id == again.id
    with pytest.raises(IdempotencyConflict):
        service.pay_invoice(invoice.id, 2_000_000, method="kas", idempotency_key=same)
    db.session.rollback()
    assert service.get_invoice(invoice.id).paid == 1_000_000
    assert _count(SupplierPayment) == 1


# --- the payable ledger and aging ---


def test_the_aging_list_totals_utang_usaha_and_sorts_by_days_late(buying):
    old = _receive(
        buying, buying.order(rice_karung=2, oil_dus=1), rice=2, oil=1, received_on=TODAY - timedelta(days=80)
    )
    service.record_invoice(
        buying.supplier.id,
        [old.id],
        number="LAMA",
        invoice_date=TODAY - timedelta(days=75),
        amount=old.total + 10_000,
        difference_note="ongkos angkut",
    )  # due 45 days ago
    fresh = _receive(buying, buying.order(rice_karung=1, oil_dus=1), rice=1, oil=1)
    service.record_invoice(
        buying.supplier.id, [fresh.id], number="BARU", invoice_date=TODAY, amount=fresh.total
    )
    unbilled = _receive(buying, buying.order(rice_karung=1, oil_dus=1), oil=1)
    farmer = service.add_supplier(name="Kelompok Tani Sri", kind="lainnya", payment_terms_days=0)
    service.receive_goods(
        supplier_id=farmer.id,
        location_id=buying.shop.gudang.id,
        lines=[ReceiptLineInput(quantity=100, product_id=buying.rice.id, unit_price=11_000)],
        idempotency_key=key(),
        received_on=TODAY - timedelta(days=120),
    )
    invoice = service.invoices(supplier_id=buying.supplier.id)[0][0]
    service.pay_invoice(invoice.id, 500_000, method="kas", idempotency_key=key())

    report = service.aging()
    assert report.total == _payable() == service.payables_total()
    row = next(r for r in report.rows if r.supplier.id == buying.supplier.id)
    assert row.buckets["d31_60"] == old.total + 10_000 - 500_000
    assert row.buckets["current"] == fresh.total
    assert row.buckets["unbilled"] == unbilled.total
    assert report.totals["unbilled"] == unbilled.total + 1_100_000
    ledger_rows = service.supplier_ledger(buying.supplier.id)
    assert ledger_rows[-1].balance == row.total
    assert [r.kind for r in ledger_rows][:2] == ["receipt", "difference"]


@pytest.mark.parametrize(
    ("late", "bucket"),
    [
        (-3, "current"),
        (0, "current"),
        (1, "d1_30"),
        (30, "d1_30"),
        (31, "d31_60"),
        (61, "d61_90"),
        (91, "d90"),
    ],
)
def test_days_late_fall_in_their_bucket(late, bucket):
    assert service.bucket_of(TODAY - timedelta(days=late), TODAY) == bucket


def test_a_refusal_is_a_domain_error_with_an_indonesian_message(buying):
    with pytest.raises(DomainError) as refused:
        service.pay_invoice(10**9, 1_000, method="kas", idempotency_key=key())
    assert str(refused.value.message) == "Tagihan pemasok tidak ditemukan."


def test_a_draft_is_changed_in_place_and_an_order_already_sent_is_not(buying):
    draft = buying.order(place=False)
    changed = service.update_order(
        draft.id, buying.supplier.id, [OrderLineInput(buying.oil.id, 8, 175_000, "dus")], note="dus saja"
    )
    assert (changed.number, changed.total, changed.note) == (draft.number, 8 * 175_000, "dus saja")
    assert [(line.product_id, line.quantity, line.unit) for line, _p in service.order_lines(draft.id)] == [
        (buying.oil.id, 8, "dus")
    ]
    with pytest.raises(InvalidPurchase):  # a bad line leaves the draft as it was
        service.update_order(draft.id, buying.supplier.id, [OrderLineInput(buying.oil.id, 0, 1, "dus")])
    db.session.rollback()
    assert service.get_order(draft.id).total == 8 * 175_000
    service.place_order(draft.id)
    with pytest.raises(InvalidTransition, match="draf"):
        service.update_order(draft.id, buying.supplier.id, [OrderLineInput(buying.oil.id, 1, 1, "dus")])
    db.session.rollback()
    actions = db.session.scalars(
        select(AuditEntry.action).where(AuditEntry.entity == "purchasing_order")
    ).all()
    assert actions.count("purchasing.order_changed") == 1
