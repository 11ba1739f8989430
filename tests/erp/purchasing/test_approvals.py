"""Maker-checker on supplier payments: at or above the cooperative's threshold a payment waits for
a second person, posts nothing and leaves what is owed as it was; approval posts it once under the
invoice's lock (checking the remainder again), rejection needs a reason, the maker decides neither."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from core.db import db
from core.models import AuditEntry
from erp.ledger import service as ledger
from erp.ledger.models import JournalEntry
from erp.ledger.service import IdempotencyConflict
from erp.purchasing import service
from erp.purchasing.models import PaymentRequest, SupplierPayment
from erp.purchasing.service import (
    AlreadyDecided,
    InvalidPurchase,
    Overpayment,
    ReceiptLineInput,
    SelfApproval,
)
from tests.conftest import make_user
from tests.erp.purchasing.conftest import key

TODAY = date.today()


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def _payable() -> int:
    return ledger.account_balance("2-1300", TODAY)


def _invoice(buying, amount: int = 30_000_000, number: str = "F-BESAR"):
    receipt = service.receive_goods(
        supplier_id=buying.supplier.id,
        location_id=buying.shop.gudang.id,
        lines=[ReceiptLineInput(quantity=amount // 10_000, product_id=buying.rice.id, unit_price=10_000)],
        idempotency_key=key(),
    )
    return service.record_invoice(
        buying.supplier.id, [receipt.id], number=number, invoice_date=TODAY, amount=amount
    )


@pytest.fixture
def people(buying):
    return make_user("Bendahara Rina"), make_user("Ketua Darto"), make_user("Manajer Yusuf")


def test_the_default_threshold_is_ten_million_and_a_payment_below_it_is_paid_at_once(buying, people):
    maker, _checker, _other = people
    invoice = _invoice(buying)
    assert service.payment_threshold() == 10_000_000
    paid = service.pay_invoice(invoice.id, 9_999_999, method="kas", idempotency_key=key(), user_id=maker.id)
    assert isinstance(paid, SupplierPayment)
    assert service.get_invoice(invoice.id).paid == 9_999_999


def test_a_payment_at_the_threshold_waits_posts_nothing_and_leaves_the_aging_as_it_was(buying, people):
    maker, _checker, _other = people
    invoice = _invoice(buying)
    entries, payable, aging = _count(JournalEntry), _payable(), service.aging().total
    waiting = service.pay_invoice(
        invoice.id, 10_000_000, method="bank", reference="BG 004512", idempotency_key=key(), user_id=maker.id
    )
    assert isinstance(waiting, PaymentRequest) and waiting.status == "menunggu"
    db.session.expire_all()
    assert service.get_invoice(invoice.id).outstanding == 30_000_000
    assert (_count(JournalEntry), _count(SupplierPayment)) == (entries, 0)
    assert (_payable(), service.aging().total, service.payables_total()) == (payable, aging, payable)
    assert [r.id for r, _i, _s in service.payment_requests(waiting_only=True)] == [waiting.id]
    assert service.waiting_requests_count() == 1
    assert service.supplier_ledger(buying.supplier.id)[-1].balance == 30_000_000


def test_a_second_person_approves_it_once_and_it_posts_dated_the_day_of_approval(buying, people):
    maker, checker, _other = people
    invoice = _invoice(buying)
    bank_before = ledger.account_balance("1-1110", TODAY)
    waiting = service.pay_invoice(
        invoice.id, 12_000_000, method="bank", reference="TRF 77", idempotency_key=key(), user_id=maker.id
    )
    approved = service.approve_payment(waiting.id, user_id=checker.id)
    again = service.approve_payment(waiting.id, user_id=checker.id)  # the form sent twice
    assert approved.status == again.status == "disetujui" and again.payment_id == approved.payment_id
    payment = db.session.get(SupplierPayment, approved.payment_id)
    assert (payment.amount, payment.created_by, payment.approved_by, payment.paid_on) == (
        12_000_000,
        maker.id,
        checker.id,
        TODAY,
    )
    assert _count(SupplierPayment) == 1
    assert service.get_invoice(invoice.id).outstanding == 18_000_000
    assert _payable() == 18_000_000 == service.aging().total
    assert ledger.account_balance("1-1110", TODAY) == bank_before - 12_000_000
    actions = db.session.scalars(select(AuditEntry.action).where(AuditEntry.entity == "purchasing_invoice"))
    assert {"purchasing.payment_requested", "purchasing.payment_approved"} <= set(actions)


def test_the_maker_can_neither_approve_nor_reject_and_a_decided_request_stays_decided(buying, people):
    maker, checker, other = people
    invoice = _invoice(buying)
    waiting = service.pay_invoice(
        invoice.id, 15_000_000, method="kas", idempotency_key=key(), user_id=maker.id
    )
    with pytest.raises(SelfApproval):
        service.approve_payment(waiting.id, user_id=maker.id)
    db.session.rollback()
    with pytest.raises(SelfApproval):
        service.reject_payment(waiting.id, "salah hitung", user_id=maker.id)
    db.session.rollback()
    with pytest.raises(InvalidPurchase) as refused:
        service.reject_payment(waiting.id, "  ", user_id=checker.id)
    assert "reason" in refused.value.fields
    db.session.rollback()
    rejected = service.reject_payment(
        waiting.id, "Tagihan belum dicocokkan dengan surat jalan", user_id=checker.id
    )
    assert (rejected.status, rejected.decided_by) == ("ditolak", checker.id)
    with pytest.raises(AlreadyDecided):
        service.approve_payment(waiting.id, user_id=other.id)
    db.session.rollback()
    assert _count(SupplierPayment) == 0 and service.get_invoice(invoice.id).outstanding == 30_000_000


def test_approval_checks_the_remainder_again_and_refuses_what_no_longer_fits(buying, people):
    maker, checker, _other = people
    invoice = _invoice(buying, 20_000_000)
    waiting = service.pay_invoice(
        invoice.id, 15_000_000, method="kas", idempotency_key=key(), user_id=maker.id
    )
    # what waits counts against a new payment, so a second one cannot be asked beside it ...
    with pytest.raises(Overpayment) as refused:
        service.pay_invoice(invoice.id, 6_000_000, method="kas", idempotency_key=key(), user_id=maker.id)
    assert "menunggu persetujuan" in str(refused.value.message)
    db.session.rollback()
    # ... but a credit note from the supplier may still come in meanwhile
    service.record_credit(
        invoice_id=invoice.id,
        number="NK-9",
        credit_date=TODAY,
        amount=8_000_000,
        reason="koreksi_harga",
        idempotency_key=key(),
    )
    entries = _count(JournalEntry)
    with pytest.raises(Overpayment) as refused:
        service.approve_payment(waiting.id, user_id=checker.id)
    assert "Rp 12.000.000" in str(refused.value.message)
    db.session.rollback()
    assert _count(JournalEntry) == entries
    assert db.session.get(PaymentRequest, waiting.id).status == "menunggu"


def test_a_repeated_request_is_recorded_once_and_a_changed_one_is_refused(buying, people):
    maker, _checker, _other = people
    invoice = _invoice(buying)
    same = key()
    first = service.pay_invoice(invoice.id, 11_000_000, method="kas", idempotency_key=same, user_id=maker.id)
    again = service.pay_invoice(invoice.id, 11_000_000, method="kas", idempotency_key=same, user_id=maker.id)
    assert first.id == again.id
    with pytest.raises(IdempotencyConflict):
        service.pay_invoice(invoice.id, 11_000_001, method="kas", idempotency_key=same, user_id=maker.id)
    db.session.rollback()
    assert _count(PaymentRequest) == 1


def test_the_threshold_is_the_cooperatives_own_and_audited(buying, people):
    maker, ketua, _other = people
    assert service.set_payment_threshold(2_000_000, user_id=ketua.id) == 2_000_000
    invoice = _invoice(buying, 5_000_000)
    waiting = service.pay_invoice(
        invoice.id, 2_000_000, method="kas", idempotency_key=key(), user_id=maker.id
    )
    assert isinstance(waiting, PaymentRequest)
    with pytest.raises(InvalidPurchase):
        service.set_payment_threshold(0, user_id=ketua.id)
    db.session.rollback()
    assert service.payment_threshold() == 2_000_000
    assert db.session.scalar(
        select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "purchasing.settings_changed")
    )


def test_the_list_shows_what_waits_oldest_first_then_what_was_decided_newest_first(buying, people):
    maker, checker, _other = people
    invoice = _invoice(buying, 60_000_000)
    made = [
        service.pay_invoice(invoice.id, 10_000_000, method="kas", idempotency_key=key(), user_id=maker.id)
        for _ in range(4)
    ]
    service.approve_payment(made[0].id, user_id=checker.id)
    service.reject_payment(made[2].id, "dobel", user_id=checker.id)
    listed = [(r.id, r.status) for r, _i, _s in service.payment_requests()]
    assert listed == [
        (made[1].id, "menunggu"),
        (made[3].id, "menunggu"),
        (made[2].id, "ditolak"),
        (made[0].id, "disetujui"),
    ]
