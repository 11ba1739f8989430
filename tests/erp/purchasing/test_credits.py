"""Returns to the supplier and credit notes: goods leave stock at the cost they are carried at (out
of the receipt line's lot for lot-kept goods), the credit takes its amount off what is owed, the
rest is purchase price variance; entries balance, Persediaan equals the stock's value, and every
refusal leaves everything as it was."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from core.db import db
from erp.inventory import service as inventory
from erp.inventory.models import Lot, StockMove
from erp.ledger import service as ledger
from erp.ledger.models import JournalEntry, JournalLine
from erp.ledger.service import IdempotencyConflict
from erp.purchasing import service
from erp.purchasing.models import SupplierCredit
from erp.purchasing.service import (
    CreditLineInput,
    InvalidPurchase,
    InvalidTransition,
    Overpayment,
    ReceiptLineInput,
)
from tests.erp.purchasing.conftest import key

TODAY = date.today()
INVENTORY, PAYABLE, VARIANCE = "1-1500", "2-1300", "5-1100"


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def _balance(code: str) -> int:
    return ledger.account_balance(code, TODAY)


def _books_agree() -> None:
    assert _balance(INVENTORY) == inventory.stock_value()
    assert inventory.balances_match_moves()
    assert _balance(PAYABLE) == service.aging().total == service.payables_total()


def _state() -> tuple:
    return (
        _count(JournalEntry),
        _count(StockMove),
        _count(SupplierCredit),
        _balance(PAYABLE),
        inventory.stock_value(),
    )


def _rice_receipt(buying, karung: int = 10, price: int = 600_000, **kw):
    return service.receive_goods(
        supplier_id=buying.supplier.id,
        location_id=buying.shop.gudang.id,
        lines=[ReceiptLineInput(quantity=karung, product_id=buying.rice.id, unit="karung", unit_price=price)],
        idempotency_key=key(),
        **kw,
    )


def _invoiced(buying, karung: int = 10, price: int = 600_000):
    receipt = _rice_receipt(buying, karung, price)
    invoice = service.record_invoice(
        buying.supplier.id, [receipt.id], number=f"F-{receipt.id}", invoice_date=TODAY, amount=receipt.total
    )
    return invoice, service.receipt_lines(receipt.id)[0][0]


def _credit(**kw):
    data = {
        "number": "NK-001",
        "credit_date": TODAY,
        "reason": "rusak",
        "idempotency_key": key(),
        **kw,
    }
    return service.record_credit(**data)


def _entry_lines(credit_note) -> dict[str, tuple[int, int]]:
    rows = db.session.execute(
        select(JournalLine, ledger.LedgerAccount.code)
        .join(ledger.LedgerAccount, ledger.LedgerAccount.id == JournalLine.account_id)
        .where(JournalLine.entry_id == credit_note.journal_entry_id)
    )
    out: dict[str, tuple[int, int]] = {}
    for line, code in rows:
        d, c = out.get(code, (0, 0))
        out[code] = (d + line.debit, c + line.credit)
    return out


def test_damaged_sacks_sent_back_leave_stock_at_cost_and_the_invoice_owes_less(buying):
    invoice, line = _invoiced(buying)  # 10 karung × Rp600.000
    credit_note = _credit(
        invoice_id=invoice.id, amount=1_200_000, lines=[CreditLineInput(line.id, 2)], note="karung sobek"
    )
    assert (credit_note.goods_cost, credit_note.variance) == (1_200_000, 0)
    assert inventory.on_hand(buying.rice.id, buying.shop.gudang.id) == 400
    assert service.get_invoice(invoice.id).outstanding == 4_800_000
    assert db.session.get(type(line), line.id).returned == 2
    lines = _entry_lines(credit_note)
    assert lines == {PAYABLE: (1_200_000, 0), INVENTORY: (0, 1_200_000)}
    move = db.session.scalar(select(StockMove).where(StockMove.kind == "return"))
    assert (move.quantity, move.value) == (-100, -1_200_000)
    _books_agree()
    ledger_rows = service.supplier_ledger(buying.supplier.id)
    assert (ledger_rows[-1].kind, ledger_rows[-1].amount, ledger_rows[-1].balance) == (
        "credit",
        -1_200_000,
        4_800_000,
    )


def test_a_credit_other_than_the_carried_cost_puts_the_difference_in_hpp(buying):
    _rice_receipt(buying, 10, 500_000)  # stock now carries 20 karung at an average of 550.000
    invoice, line = _invoiced(buying, 10, 600_000)
    credit_note = _credit(invoice_id=invoice.id, amount=1_200_000, lines=[CreditLineInput(line.id, 2)])
    assert credit_note.goods_cost == 1_100_000
    assert _entry_lines(credit_note) == {
        PAYABLE: (1_200_000, 0),
        INVENTORY: (0, 1_100_000),
        VARIANCE: (0, 100_000),
    }
    short = _credit(
        invoice_id=invoice.id, number="NK-002", amount=500_000, lines=[CreditLineInput(line.id, 1)]
    )
    assert _entry_lines(short) == {PAYABLE: (500_000, 0), INVENTORY: (0, 550_000), VARIANCE: (50_000, 0)}
    _books_agree()


def test_a_price_correction_without_goods_reduces_the_payable_against_hpp(buying):
    invoice, _line = _invoiced(buying)
    stock = inventory.stock_value()
    credit_note = _credit(invoice_id=invoice.id, amount=250_000, reason="koreksi_harga")
    assert _entry_lines(credit_note) == {PAYABLE: (250_000, 0), VARIANCE: (0, 250_000)}
    assert inventory.stock_value() == stock
    assert service.get_invoice(invoice.id).outstanding == 5_750_000
    _books_agree()


def test_goods_returned_before_the_invoice_come_off_what_is_unbilled_and_the_invoice_bills_the_rest(buying):
    receipt = _rice_receipt(buying, 4, 600_000)
    line = service.receipt_lines(receipt.id)[0][0]
    _credit(receipt_id=receipt.id, amount=600_000, reason="salah_kirim", lines=[CreditLineInput(line.id, 1)])
    row = next(r for r in service.aging().rows if r.supplier.id == buying.supplier.id)
    assert row.buckets["unbilled"] == 1_800_000
    _books_agree()
    invoice = service.record_invoice(
        buying.supplier.id, [receipt.id], number="F-SISA", invoice_date=TODAY, amount=1_800_000
    )
    assert (invoice.received_value, invoice.difference) == (1_800_000, 0)
    _books_agree()
    with pytest.raises(InvalidTransition, match="F-SISA"):  # now it is the invoice's to credit
        _credit(receipt_id=receipt.id, number="NK-LAGI", amount=1_000, reason="koreksi_harga")
    db.session.rollback()


def test_a_lot_kept_product_goes_back_out_of_the_lot_it_came_in(buying):
    milk = inventory.add_product(
        code="SUSU-UHT", name="Susu UHT 1 L", category="susu", unit="kotak", price=19_000, tracks_lots=True
    )
    for lot, days in (("A1", 30), ("B2", 90)):
        service.receive_goods(
            supplier_id=buying.supplier.id,
            location_id=buying.shop.gudang.id,
            lines=[
                ReceiptLineInput(
                    quantity=24,
                    product_id=milk.id,
                    unit_price=15_000,
                    lot=lot,
                    expires_on=TODAY + timedelta(days=days),
                )
            ],
            idempotency_key=key(),
        )
    later = service.receipts(supplier_id=buying.supplier.id)[0]  # the B2 receipt
    line = service.receipt_lines(later.id)[0][0]
    _credit(receipt_id=later.id, amount=150_000, reason="kedaluwarsa", lines=[CreditLineInput(line.id, 10)])
    lots = {
        lot.code: lot.quantity for lot in db.session.scalars(select(Lot).where(Lot.product_id == milk.id))
    }
    assert lots == {"A1": 24, "B2": 14}  # not first-expiry-first-out: the lot that came in
    _books_agree()


@pytest.mark.parametrize(
    ("change", "field", "words"),
    [
        ({"lines": "more_than_received"}, "lines.0.quantity", "paling banyak 2 karung"),
        ({"amount": 6_000_001}, "amount", "saldo kredit"),
        ({"reason": "hilang"}, "reason", "alasan"),
        ({"reason": "lainnya"}, "note", "keterangan"),
        ({"credit_date": TODAY + timedelta(days=1)}, "credit_date", "masa depan"),
        ({"number": " "}, "number", "belum lengkap"),
    ],
)
def test_refusals_change_nothing(buying, change, field, words):
    invoice, line = _invoiced(buying)
    _credit(invoice_id=invoice.id, number="NK-0", amount=100_000, lines=[CreditLineInput(line.id, 8)])
    before = _state()
    kw = {"invoice_id": invoice.id, "amount": 100_000, "lines": [CreditLineInput(line.id, 1)], **change}
    if kw["lines"] == "more_than_received":
        kw["lines"] = [CreditLineInput(line.id, 3)]
    with pytest.raises((InvalidPurchase, Overpayment)) as refused:
        _credit(**kw)
    assert field in refused.value.fields
    assert words in str(refused.value.message).lower()
    db.session.rollback()
    assert _state() == before
    assert db.session.get(type(line), line.id).returned == 8


def test_returning_more_than_is_on_hand_is_refused_and_changes_nothing(buying):
    invoice, line = _invoiced(buying, 2)
    inventory.transfer(buying.rice.id, buying.shop.gudang.id, buying.shop.gerai.id, 60, idempotency_key=key())
    before = _state()
    with pytest.raises(InvalidPurchase) as refused:
        _credit(invoice_id=invoice.id, amount=1_200_000, lines=[CreditLineInput(line.id, 2)])
    assert "hanya 40 kg" in str(refused.value.message)
    db.session.rollback()
    assert _state() == before
    # from the gerai, where the goods went, it can go back
    _credit(
        invoice_id=invoice.id,
        amount=600_000,
        lines=[CreditLineInput(line.id, 1)],
        location_id=buying.shop.gerai.id,
    )
    assert inventory.on_hand(buying.rice.id, buying.shop.gerai.id) == 10
    _books_agree()


def test_a_credit_note_is_recorded_once_its_number_once_per_supplier(buying):
    invoice, line = _invoiced(buying)
    same = key()
    first = _credit(
        invoice_id=invoice.id, amount=600_000, lines=[CreditLineInput(line.id, 1)], idempotency_key=same
    )
    again = _credit(
        invoice_id=invoice.id, amount=600_000, lines=[CreditLineInput(line.id, 1)], idempotency_key=same
    )
    assert first.id == again.id and _count(SupplierCredit) == 1
    with pytest.raises(IdempotencyConflict):
        _credit(invoice_id=invoice.id, amount=700_000, idempotency_key=same)
    db.session.rollback()
    with pytest.raises(InvalidPurchase) as refused:
        _credit(invoice_id=invoice.id, amount=1_000, reason="koreksi_harga")  # NK-001 again
    assert "number" in refused.value.fields
    db.session.rollback()
    assert inventory.on_hand(buying.rice.id) == 450


def test_a_fully_credited_invoice_is_settled_and_cannot_be_paid(buying):
    invoice, line = _invoiced(buying, 1)
    _credit(invoice_id=invoice.id, amount=600_000, lines=[CreditLineInput(line.id, 1)])
    assert service.get_invoice(invoice.id).outstanding == 0
    assert service.invoices(open_only=True) == []
    with pytest.raises(Overpayment):
        service.pay_invoice(invoice.id, 1, method="kas", idempotency_key=key())
    db.session.rollback()
    _books_agree()
