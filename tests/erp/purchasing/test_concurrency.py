"""Races against the real database: payments of one invoice sent at the same moment."""

from __future__ import annotations

import threading
from datetime import date

from sqlalchemy import func, select

from core.db import db
from erp.inventory import service as inventory
from erp.ledger import service as ledger
from erp.purchasing import service
from erp.purchasing.models import SupplierPayment
from erp.purchasing.service import Overpayment, ReceiptLineInput
from tenants.context import tenant
from tests.erp.purchasing.conftest import key

THREADS = 8


def _race(app, coop_id: int, jobs: list[dict]) -> list[str]:
    barrier = threading.Barrier(len(jobs))
    outcomes: list[str] = []
    lock = threading.Lock()

    def pay(job: dict) -> None:
        with app.app_context(), tenant(coop_id):
            barrier.wait()
            try:
                service.pay_invoice(job["invoice"], job["amount"], method="kas", idempotency_key=job["key"])
                result = "ok"
            except Overpayment:
                db.session.rollback()
                result = "refused"
            except Exception as err:  # any other failure fails the test
                db.session.rollback()
                result = repr(err)
            finally:
                db.session.remove()
            with lock:
                outcomes.append(result)

    threads = [threading.Thread(target=pay, args=(job,)) for job in jobs]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return outcomes


def _invoice(buying, amount: int):
    receipt = service.receive_goods(
        supplier_id=buying.supplier.id,
        location_id=buying.shop.gudang.id,
        lines=[ReceiptLineInput(quantity=amount // 10_000, product_id=buying.rice.id, unit_price=10_000)],
        idempotency_key=key(),
    )
    invoice = service.record_invoice(
        buying.supplier.id, [receipt.id], number="RACE-1", invoice_date=date.today(), amount=amount
    )
    db.session.commit()
    return invoice


def test_payments_racing_on_one_invoice_never_pay_it_above_its_amount(buying, app):
    invoice = _invoice(buying, 1_000_000)
    jobs = [{"invoice": invoice.id, "amount": 300_000, "key": key()} for _ in range(THREADS)]
    outcomes = _race(app, buying.shop.coop.id, jobs)
    assert sorted(set(outcomes)) == ["ok", "refused"], outcomes
    assert outcomes.count("ok") == 3
    db.session.expire_all()
    assert service.get_invoice(invoice.id).paid == 900_000
    assert db.session.scalar(select(func.sum(SupplierPayment.amount))) == 900_000
    assert ledger.account_balance("2-1300", date.today()) == 100_000


def test_the_same_payment_sent_twice_at_once_is_paid_once(buying, app):
    invoice = _invoice(buying, 1_000_000)
    same = key()
    outcomes = _race(app, buying.shop.coop.id, [{"invoice": invoice.id, "amount": 400_000, "key": same}] * 2)
    assert outcomes == ["ok", "ok"]
    db.session.expire_all()
    assert service.get_invoice(invoice.id).paid == 400_000
    assert db.session.scalar(select(func.count()).select_from(SupplierPayment)) == 1
    assert ledger.account_balance("2-1300", date.today()) == 600_000


def test_approvers_racing_on_one_waiting_payment_post_it_once(buying, app):
    from erp.purchasing.models import PaymentRequest
    from erp.purchasing.service import AlreadyDecided
    from tests.conftest import make_user

    invoice = _invoice(buying, 30_000_000)
    maker = make_user("Bendahara")
    checkers = [make_user(f"Penyetuju {i}") for i in range(4)]
    waiting = service.pay_invoice(
        invoice.id, 20_000_000, method="kas", idempotency_key=key(), user_id=maker.id
    )
    db.session.commit()
    barrier = threading.Barrier(len(checkers) + 1)
    outcomes: list[str] = []
    lock = threading.Lock()

    def decide(user_id: int | None, approve: bool) -> None:
        with app.app_context(), tenant(buying.shop.coop.id):
            barrier.wait()
            try:
                if approve:
                    service.approve_payment(waiting.id, user_id=user_id)
                else:
                    service.reject_payment(waiting.id, "dobel", user_id=user_id)
                result = "approved" if approve else "rejected"
            except AlreadyDecided:
                db.session.rollback()
                result = "late"
            except Exception as err:  # any other failure fails the test
                db.session.rollback()
                result = repr(err)
            finally:
                db.session.remove()
            with lock:
                outcomes.append(result)

    jobs = [(c.id, True) for c in checkers] + [(checkers[0].id, False)]
    threads = [threading.Thread(target=decide, args=job) for job in jobs]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    decided = [o for o in outcomes if o != "late"]
    assert len(decided) == 1 and set(outcomes) <= {"approved", "rejected", "late"}, outcomes
    db.session.expire_all()
    request = db.session.get(PaymentRequest, waiting.id)
    paid = 20_000_000 if request.status == "disetujui" else 0
    assert service.get_invoice(invoice.id).paid == paid
    assert db.session.scalar(select(func.coalesce(func.sum(SupplierPayment.amount), 0))) == paid
    assert ledger.account_balance("2-1300", date.today()) == 30_000_000 - paid


def test_payments_and_credit_notes_racing_on_one_invoice_never_take_it_below_zero(buying, app):
    from erp.purchasing.models import SupplierCredit
    from erp.purchasing.service import CreditLineInput

    invoice = _invoice(buying, 1_000_000)  # 100 kg of rice at 10.000
    line = service.receipt_lines(service.receipts(supplier_id=buying.supplier.id)[0].id)[0][0]
    db.session.commit()
    barrier = threading.Barrier(6)
    outcomes: list[str] = []
    lock = threading.Lock()

    def act(n: int) -> None:
        with app.app_context(), tenant(buying.shop.coop.id):
            barrier.wait()
            try:
                if n < 3:
                    service.pay_invoice(invoice.id, 300_000, method="kas", idempotency_key=key())
                else:
                    service.record_credit(
                        invoice_id=invoice.id,
                        number=f"NK-RACE-{n}",
                        credit_date=date.today(),
                        amount=300_000,
                        reason="rusak",
                        lines=[CreditLineInput(line.id, 30)],
                        idempotency_key=key(),
                    )
                result = "ok"
            except Overpayment:
                db.session.rollback()
                result = "refused"
            except Exception as err:  # any other failure fails the test
                db.session.rollback()
                result = repr(err)
            finally:
                db.session.remove()
            with lock:
                outcomes.append(result)

    threads = [threading.Thread(target=act, args=(n,)) for n in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert outcomes.count("ok") == 3 and outcomes.count("refused") == 3, outcomes
    db.session.expire_all()
    found = service.get_invoice(invoice.id)
    credits = db.session.scalar(select(func.coalesce(func.sum(SupplierCredit.amount), 0)))
    paid = db.session.scalar(select(func.coalesce(func.sum(SupplierPayment.amount), 0)))
    assert (found.paid, found.credited) == (paid, credits) and paid + credits == 900_000
    assert ledger.account_balance("2-1300", date.today()) == 100_000
    assert ledger.account_balance("1-1500", date.today()) == inventory.stock_value()
    assert inventory.on_hand(buying.rice.id) == 100 - credits // 10_000
