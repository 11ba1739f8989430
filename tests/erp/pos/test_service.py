"""Checkout in a shift: stock, sale, lines, payments and one journal entry together; discounts,
split payment and kasbon; receipts and copies; voids and returns under a supervisor's PIN; shift
close and the Z report. Refusals write nothing."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from core.db import db
from core.models import AuditEntry
from erp.inventory import service as inventory
from erp.inventory.models import StockMove
from erp.ledger import service as ledger
from erp.ledger.models import JournalEntry
from erp.pos import service
from erp.pos.models import (
    Payment,
    ReceiptPrint,
    Sale,
    SaleLine,
    SaleReturn,
)
from erp.pos.service import (
    ApprovalRequired,
    CartLine,
    CreditLimitExceeded,
    DiscountNotAllowed,
    InvalidSale,
    NoOpenShift,
    OutOfStock,
    PinLocked,
    PinRefused,
    ReturnRequest,
    Tender,
)
from tests.erp.inventory.conftest import key
from tests.erp.membership.factories import make_member
from tests.erp.pos.conftest import PIN

TODAY = date.today()


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def _written() -> tuple[int, ...]:
    return tuple(_count(m) for m in (Sale, SaleLine, Payment, StockMove, JournalEntry, SaleReturn))


def _sell(counter, lines, **kw):
    kw.setdefault("payment_method", "tunai") if "payments" not in kw else None
    return service.checkout(
        lines,
        location_id=counter.shop.gerai.id,
        idempotency_key=kw.pop("key", key()),
        kasir_id=kw.pop("kasir_id", counter.kasir.id),
        **kw,
    )


def _balanced() -> bool:
    rows = ledger.trial_balance(TODAY)
    return sum(r.debit for r in rows) == sum(r.credit for r in rows)


def test_a_cash_sale_writes_sale_moves_and_one_entry_with_change(counter):
    shop = counter.shop
    rice = shop.product(price=65_000, het=67_500)
    oil = shop.product(name="MinyaKita 1 L", unit="botol", price=15_700, het=15_700)
    shop.receive(rice, 10, 550_000)
    shop.receive(oil, 24, 336_000)
    sale = _sell(counter, [CartLine(rice.id, 2), CartLine(oil.id, 3)], paid=200_000)
    assert sale.total == 2 * 65_000 + 3 * 15_700
    assert sale.change == 200_000 - sale.total
    assert sale.cost == 110_000 + 42_000
    assert sale.shift_id == counter.shift.id
    assert inventory.on_hand(rice.id) == 8 and inventory.on_hand(oil.id) == 21
    assert ledger.account_balance("4-2100", TODAY) == sale.total
    assert ledger.account_balance("5-1100", TODAY) == sale.cost
    assert ledger.account_balance("1-1500", TODAY) == inventory.stock_value()
    assert _count(JournalEntry) == 3
    assert inventory.balances_match_moves()
    receipt = service.receipt(sale.id)
    assert [line.quantity for line, _ in receipt.lines] == [2, 3]
    assert [(p.method, p.amount) for p in receipt.payments] == [("tunai", 200_000)]


def test_a_sale_without_an_open_shift_is_refused_and_nothing_is_written(counter):
    rice = counter.shop.product()
    counter.shop.receive(rice, 5, 50_000)
    before = _written()
    with pytest.raises(NoOpenShift) as err:
        _sell(counter, [CartLine(rice.id, 1)], kasir_id=counter.supervisor.id)
    assert "shift" in str(err.value.message)
    assert _written() == before


def test_overselling_is_refused_with_a_message_and_nothing_is_written(counter):
    rice = counter.shop.product()
    counter.shop.receive(rice, 1, 50_000)
    before = _written()
    with pytest.raises(OutOfStock) as err:
        _sell(counter, [CartLine(rice.id, 2)])
    assert "tersisa 1" in str(err.value.message)
    assert _written() == before
    assert inventory.on_hand(rice.id) == 1


@pytest.mark.parametrize(
    "lines, kw, fragment",
    [
        ([], {}, "kosong"),
        ([CartLine(999_999, 1)], {}, "tidak dikenal"),
        (None, {"paid": 1}, "kurang"),
        (None, {"payment_method": "qris"}, "referensi"),
        (None, {"payment_method": "emas"}, "Cara bayar"),
        (None, {"member_number": "X-404"}, "tidak ditemukan"),
        (None, {"payment_method": "kredit"}, "anggota"),
        ("het", {}, "HET"),
        ("negative", {}, "positif"),
        ("negative-discount", {"may_discount": True}, "tidak negatif"),
        ("whole-discount", {"may_discount": True}, "lebih kecil"),
        (None, {"basket_discount": 13_000, "may_discount": True}, "lebih kecil"),
        (
            None,
            {"payments": [Tender("qris", 20_000, "QR-1")]},
            "melebihi total",
        ),
        (
            None,
            {"payments": [Tender("qris", 5_000, "QR-1"), Tender("qris", 8_000, "QR-2")]},
            "satu kali",
        ),
        (None, {"payments": [Tender("transfer", 5_000, "T-1")]}, "kurang"),
    ],
)
def test_bad_input_is_refused_and_nothing_written(counter, lines, kw, fragment):
    rice = counter.shop.product(price=13_000, het=13_500)
    counter.shop.receive(rice, 5, 50_000)
    if lines is None:
        lines = [CartLine(rice.id, 1)]
    elif lines == "het":
        lines = [CartLine(rice.id, 1, 14_000)]
    elif lines == "negative":
        lines = [CartLine(rice.id, -1)]
    elif lines == "negative-discount":
        lines = [CartLine(rice.id, 1, None, -500)]
    elif lines == "whole-discount":
        lines = [CartLine(rice.id, 1, None, 13_000)]
    before = _written()
    with pytest.raises(InvalidSale) as err:
        _sell(counter, lines, **kw)
    assert fragment in str(err.value.message)
    assert _written() == before
    assert inventory.on_hand(rice.id) == 5


def test_qris_posts_to_bank_and_member_purchases_count_for_shu(counter):
    rice = counter.shop.product(price=13_000)
    counter.shop.receive(rice, 10, 100_000)
    member = make_member()
    _sell(
        counter,
        [CartLine(rice.id, 2)],
        payment_method="qris",
        reference="QR-123",
        member_number=member.member_number,
    )
    _sell(counter, [CartLine(rice.id, 1)], member_number=member.member_number)
    _sell(counter, [CartLine(rice.id, 1)])
    assert ledger.account_balance("1-1110", TODAY) == 26_000
    assert service.member_purchases(TODAY.year) == {member.id: 39_000}
    assert service.member_purchases(TODAY.year - 1) == {}
    from erp.ledger import shu

    year = (date(TODAY.year, 1, 1), date(TODAY.year, 12, 31))
    assert shu.sources.sum("jasa_usaha", *year) == {member.id: 39_000}, "SHU jasa usaha reads the gerai"
    assert service.sales_on(TODAY) == (3, 52_000)


def test_a_checkout_repeated_under_its_key_sells_once(counter):
    rice = counter.shop.product()
    counter.shop.receive(rice, 5, 50_000)
    k = key()
    first = _sell(counter, [CartLine(rice.id, 1)], key=k)
    again = _sell(counter, [CartLine(rice.id, 1)], key=k)
    assert first.id == again.id
    assert inventory.on_hand(rice.id) == 4


# --- discounts ------------------------------------------------------------------------------------


def test_a_discount_by_someone_not_allowed_is_refused_and_nothing_written(counter):
    rice = counter.shop.product(price=13_000)
    counter.shop.receive(rice, 5, 50_000)
    before = _written()
    with pytest.raises(DiscountNotAllowed) as err:
        _sell(counter, [CartLine(rice.id, 1, None, 500)])
    assert "tidak berwenang" in str(err.value.message)
    with pytest.raises(DiscountNotAllowed):
        _sell(counter, [CartLine(rice.id, 1)], basket_discount=500)
    assert _written() == before


def test_line_and_basket_discounts_are_kept_on_the_lines_and_booked_as_net_revenue(counter):
    rice = counter.shop.product(price=13_000, het=13_500)
    sugar = counter.shop.product(name="Gula 1 kg", price=18_000)
    counter.shop.receive(rice, 10, 100_000)
    counter.shop.receive(sugar, 10, 150_000)
    sale = _sell(
        counter,
        [CartLine(rice.id, 2, None, 1_000), CartLine(sugar.id, 1)],
        basket_discount=1_000,
        may_discount=True,
    )
    lines = service.receipt(sale.id).lines
    gross = 2 * 13_000 + 18_000
    assert sale.discount == 2_000 and sale.total == gross - 2_000
    assert sum(line.discount for line, _ in lines) == 2_000
    assert sum(line.amount for line, _ in lines) == sale.total
    # the basket discount is shared by what each line still costs: 25.000 : 18.000
    assert [line.discount for line, _ in lines] == [1_000 + 581, 419]
    assert ledger.account_balance("4-2100", TODAY) == sale.total
    assert _balanced()


def test_a_discount_below_cost_needs_a_supervisor_pin(counter):
    rice = counter.shop.product(price=13_000)
    counter.shop.receive(rice, 10, 120_000)  # cost 12.000 each
    before = _written()
    with pytest.raises(ApprovalRequired) as err:
        _sell(counter, [CartLine(rice.id, 1, None, 2_000)], may_discount=True)
    assert "harga pokok" in str(err.value.message) and "12.000" in str(err.value.message)
    with pytest.raises(PinRefused):
        _sell(
            counter,
            [CartLine(rice.id, 1, None, 2_000)],
            may_discount=True,
            supervisor_id=counter.supervisor.id,
            supervisor_pin="000000",
        )
    assert _written() == before
    sale = _sell(
        counter,
        [CartLine(rice.id, 1, None, 2_000)],
        may_discount=True,
        supervisor_id=counter.supervisor.id,
        supervisor_pin=PIN,
    )
    assert sale.discount_approved_by == counter.supervisor.id and sale.total == 11_000
    assert db.session.scalar(
        select(func.count())
        .select_from(AuditEntry)
        .where(AuditEntry.action == "pos.discount_below_cost_approved")
    )


def test_a_discount_within_the_margin_needs_no_supervisor(counter):
    rice = counter.shop.product(price=13_000)
    counter.shop.receive(rice, 10, 100_000)
    sale = _sell(counter, [CartLine(rice.id, 1, None, 2_000)], may_discount=True)
    assert sale.total == 11_000 and sale.discount_approved_by is None


# --- payments -------------------------------------------------------------------------------------


def test_an_exact_split_payment_records_each_part_with_its_reference(counter):
    rice = counter.shop.product(price=13_000)
    counter.shop.receive(rice, 10, 100_000)
    member = make_member()
    service.update_settings(default_credit_limit=50_000, receipt_width=80)
    sale = _sell(
        counter,
        [CartLine(rice.id, 5)],  # 65.000
        payments=[Tender("tunai", 35_000), Tender("qris", 20_000, "QR-99"), Tender("kredit", 10_000)],
        member_number=member.member_number,
    )
    assert (sale.payment_method, sale.paid, sale.change) == ("campuran", 65_000, 0)
    payments = {p.method: (p.amount, p.reference) for p in service.receipt(sale.id).payments}
    assert payments == {"tunai": (35_000, None), "qris": (20_000, "QR-99"), "kredit": (10_000, None)}


def test_split_payment_with_cash_change(counter):
    rice = counter.shop.product(price=13_000)
    counter.shop.receive(rice, 10, 100_000)
    member = make_member()
    service.update_settings(default_credit_limit=50_000, receipt_width=80)
    sale = _sell(
        counter,
        [CartLine(rice.id, 5)],  # 65.000
        payments=[Tender("tunai", 50_000), Tender("qris", 10_000, "QR-99"), Tender("kredit", 10_000)],
        member_number=member.member_number,
    )
    cash_before = ledger.account_balance("1-1100", TODAY) - 45_000
    assert (sale.payment_method, sale.paid, sale.change) == ("campuran", 70_000, 5_000)
    assert cash_before == -100_000, "the goods were bought with 100.000 cash; the sale brought in 45.000 net"
    assert ledger.account_balance("1-1110", TODAY) == 10_000
    assert ledger.account_balance("1-1120", TODAY) == 10_000
    assert service.credit_status(member.member_number).balance == 10_000
    assert _balanced()


def test_kasbon_over_the_members_limit_is_refused_naming_what_is_left(counter):
    rice = counter.shop.product(price=13_000)
    counter.shop.receive(rice, 10, 100_000)
    member = make_member()
    service.update_settings(default_credit_limit=20_000, receipt_width=80)
    _sell(
        counter,
        [CartLine(rice.id, 1)],
        payments=[Tender("kredit", 13_000)],
        member_number=member.member_number,
    )
    before = _written()
    with pytest.raises(CreditLimitExceeded) as err:
        _sell(
            counter,
            [CartLine(rice.id, 1)],
            payments=[Tender("kredit", 13_000)],
            member_number=member.member_number,
        )
    assert "7.000" in str(err.value.message)
    assert _written() == before
    service.set_credit_limit(member.member_number, 50_000)
    _sell(
        counter,
        [CartLine(rice.id, 1)],
        payments=[Tender("kredit", 13_000)],
        member_number=member.member_number,
    )
    assert service.credit_status(member.member_number).balance == 26_000


def test_kasbon_repaid_in_cash_reduces_piutang_and_counts_in_the_drawer(counter):
    rice = counter.shop.product(price=13_000)
    counter.shop.receive(rice, 10, 100_000)
    member = make_member()
    service.update_settings(default_credit_limit=50_000, receipt_width=80)
    _sell(
        counter,
        [CartLine(rice.id, 2)],
        payments=[Tender("kredit", 26_000)],
        member_number=member.member_number,
    )
    with pytest.raises(InvalidSale):
        service.repay_credit(
            member.member_number,
            30_000,
            method="tunai",
            reference=None,
            kasir_id=counter.kasir.id,
            idempotency_key=key(),
        )
    service.repay_credit(
        member.member_number,
        20_000,
        method="tunai",
        reference=None,
        kasir_id=counter.kasir.id,
        idempotency_key=key(),
    )
    assert service.credit_status(member.member_number).balance == 6_000
    assert ledger.account_balance("1-1120", TODAY) == 6_000
    assert service.expected_cash(counter.shift) == 100_000 + 20_000


# --- receipts -------------------------------------------------------------------------------------


def test_the_first_print_is_the_original_and_every_reprint_a_numbered_audited_copy(counter):
    rice = counter.shop.product(price=13_000)
    counter.shop.receive(rice, 10, 100_000)
    sale = _sell(counter, [CartLine(rice.id, 1)])
    first = service.print_receipt(sale.id, printed_by=counter.kasir.id, form="html80")
    second = service.print_receipt(sale.id, printed_by=counter.kasir.id, form="pdf58")
    third = service.print_receipt(sale.id, printed_by=counter.kasir.id, form="html58")
    assert (first.copy_number, second.copy_number, third.copy_number) == (1, 2, 3)
    assert _count(ReceiptPrint) == 3
    reprints = db.session.scalars(
        select(AuditEntry.after).where(AuditEntry.action == "pos.receipt_reprinted").order_by(AuditEntry.id)
    ).all()
    assert [a["copy"] for a in reprints] == [1, 2]


def test_receipt_pdfs_are_made_for_both_paper_widths(counter, app):
    from erp.pos import documents

    rice = counter.shop.product(price=13_000)
    counter.shop.receive(rice, 10, 100_000)
    sale = _sell(counter, [CartLine(rice.id, 1)])
    with app.test_request_context():
        for width in (58, 80):
            pdf = documents.receipt(
                service.print_receipt(sale.id, printed_by=None, form=f"pdf{width}"), counter.shop.coop, width
            )
            assert pdf.startswith(b"%PDF") and b"SALINAN" not in pdf[:10]


# --- voids and returns ----------------------------------------------------------------------------


def test_a_void_in_the_same_shift_restocks_reverses_the_entry_and_the_kasbon(counter):
    rice = counter.shop.product(price=13_000)
    counter.shop.receive(rice, 10, 100_000)
    member = make_member()
    service.update_settings(default_credit_limit=50_000, receipt_width=80)
    sale = _sell(
        counter,
        [CartLine(rice.id, 3)],
        payments=[Tender("tunai", 20_000), Tender("kredit", 19_000)],
        member_number=member.member_number,
    )
    service.void_sale(
        sale.id,
        reason="Salah barang",
        kasir_id=counter.kasir.id,
        supervisor_id=counter.supervisor.id,
        supervisor_pin=PIN,
        idempotency_key=key(),
    )
    assert inventory.on_hand(rice.id) == 10
    assert inventory.stock_value() == 100_000
    assert inventory.balances_match_moves()
    for code in ("4-2100", "5-1100", "1-1120"):
        assert ledger.account_balance(code, TODAY) == 0
    assert ledger.account_balance("1-1500", TODAY) == inventory.stock_value()
    assert service.credit_status(member.member_number).balance == 0
    assert service.member_purchases(TODAY.year) == {}
    assert service.expected_cash(counter.shift) == 100_000
    with pytest.raises(InvalidSale):
        service.void_sale(
            sale.id,
            reason="lagi",
            kasir_id=counter.kasir.id,
            supervisor_id=counter.supervisor.id,
            supervisor_pin=PIN,
            idempotency_key=key(),
        )


def test_a_wrong_pin_writes_nothing_and_five_wrong_pins_lock_it(counter):
    rice = counter.shop.product(price=13_000)
    counter.shop.receive(rice, 10, 100_000)
    sale = _sell(counter, [CartLine(rice.id, 1)])
    before = _written()

    def void(pin: str) -> None:
        service.void_sale(
            sale.id,
            reason="x",
            kasir_id=counter.kasir.id,
            supervisor_id=counter.supervisor.id,
            supervisor_pin=pin,
            idempotency_key=key(),
        )

    with pytest.raises(PinRefused) as err:
        void("111111")
    assert "PIN supervisor salah. Sisa percobaan: 4" in str(err.value.message)
    from core.extensions import redis_client

    # three more wrong tries (set at once: other test runs on this machine may flush Redis between calls)
    redis_client().set(f"kopdes:pos:pin:{counter.shop.coop.id}:{counter.supervisor.id}", 4, ex=900)
    with pytest.raises(PinRefused) as err:
        void("222222")
    assert "Sisa percobaan: 0" in str(err.value.message)
    with pytest.raises(PinLocked):
        service.void_sale(
            sale.id,
            reason="x",
            kasir_id=counter.kasir.id,
            supervisor_id=counter.supervisor.id,
            supervisor_pin=PIN,
            idempotency_key=key(),
        )
    assert _written() == before
    with pytest.raises(ApprovalRequired):  # the kasir cannot approve their own void
        service.void_sale(
            sale.id,
            reason="x",
            kasir_id=counter.kasir.id,
            supervisor_id=counter.kasir.id,
            supervisor_pin=PIN,
            idempotency_key=key(),
        )


def test_a_partial_return_restocks_or_writes_off_and_reduces_the_shu_figure(counter):
    rice = counter.shop.product(price=13_000)
    oil = counter.shop.product(name="MinyaKita", price=15_700)
    counter.shop.receive(rice, 10, 100_000)
    counter.shop.receive(oil, 10, 140_000)
    member = make_member()
    sale = _sell(counter, [CartLine(rice.id, 4), CartLine(oil.id, 2)], member_number=member.member_number)
    lines = {line.product_id: line for line, _ in service.receipt(sale.id).lines}
    service.return_items(
        sale.id,
        [
            ReturnRequest(lines[rice.id].id, 1, restock=True),
            ReturnRequest(lines[oil.id].id, 1, restock=False),
        ],
        reason="Karung sobek, minyak bocor",
        kasir_id=counter.kasir.id,
        supervisor_id=counter.supervisor.id,
        supervisor_pin=PIN,
        idempotency_key=key(),
    )
    assert inventory.on_hand(rice.id) == 7 and inventory.on_hand(oil.id) == 8
    assert ledger.account_balance("1-1500", TODAY) == inventory.stock_value()
    assert ledger.account_balance("4-2100", TODAY) == sale.total - 13_000 - 15_700
    assert ledger.account_balance("5-1100", TODAY) == sale.cost - 10_000  # the oil's cost stays: written off
    assert service.member_purchases(TODAY.year) == {member.id: sale.total - 28_700}
    assert service.expected_cash(counter.shift) == 100_000 + sale.total - 28_700
    with pytest.raises(InvalidSale) as err:
        service.return_items(
            sale.id,
            [ReturnRequest(lines[oil.id].id, 2)],
            reason="lagi",
            kasir_id=counter.kasir.id,
            supervisor_id=counter.supervisor.id,
            supervisor_pin=PIN,
            idempotency_key=key(),
        )
    assert "tersisa 1" in str(err.value.message)
    assert _balanced()


# --- shifts and the Z report ----------------------------------------------------------------------


def test_closing_a_shift_records_and_posts_the_variance(counter):
    rice = counter.shop.product(price=13_000)
    counter.shop.receive(rice, 10, 100_000)
    _sell(counter, [CartLine(rice.id, 2)], paid=30_000)  # 26.000, change 4.000
    assert service.expected_cash(counter.shift) == 126_000
    with pytest.raises(InvalidSale):
        service.close_shift(counter.shift.id, {7_000: 1}, closed_by=counter.kasir.id)
    shift = service.close_shift(
        counter.shift.id, {100_000: 1, 20_000: 1, 5_000: 1}, closed_by=counter.kasir.id
    )  # 125.000: short by 1.000
    assert (shift.expected_cash, shift.counted_cash, shift.variance) == (126_000, 125_000, -1_000)
    assert ledger.account_balance("6-9100", TODAY) == 1_000
    assert shift.denominations == {"100000": 1, "20000": 1, "5000": 1}
    with pytest.raises(NoOpenShift):
        _sell(counter, [CartLine(rice.id, 1)])
    with pytest.raises(InvalidSale):
        service.close_shift(counter.shift.id, {100_000: 1}, closed_by=counter.kasir.id)
    report = service.z_report(TODAY)
    assert report.gerai.sales == 1 and report.gerai.net == 26_000
    assert report.gerai.by_method["tunai"] == 26_000
    assert report.gerai.variance == -1_000
    assert [r.label for r in report.kasir] == [counter.kasir.name]
    assert _balanced()


def test_a_return_of_a_lot_kept_product_goes_back_into_the_lots_its_sale_drew(counter):
    from datetime import timedelta

    from erp.inventory import lots

    milk = counter.shop.product(name="Susu UHT", price=7_000, tracks_lots=True)
    soon, later = TODAY + timedelta(days=20), TODAY + timedelta(days=90)
    counter.shop.receive(milk, 2, 10_000, lot="A-1", expires_on=soon)
    counter.shop.receive(milk, 5, 25_000, lot="B-2", expires_on=later)
    first = _sell(counter, [CartLine(milk.id, 2)])  # first expiry first: both from A-1
    _sell(counter, [CartLine(milk.id, 1)])  # A-1 is empty: from B-2, the lot sold from last
    [line] = [line for line, _ in service.receipt(first.id).lines]
    service.return_items(
        first.id,
        [ReturnRequest(line.id, 2, restock=True)],
        reason="Salah beli",
        kasir_id=counter.kasir.id,
        supervisor_id=counter.supervisor.id,
        supervisor_pin=PIN,
        idempotency_key=key(),
    )
    held = {lot.code: lot.quantity for lot, _ in lots.lots_of(milk.id)}
    assert held == {"A-1": 2, "B-2": 4}
    assert lots.lots_match_moves() and _balanced()
