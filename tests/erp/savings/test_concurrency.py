"""Races against the real database: many tellers withdrawing from one balance at the same moment."""

from __future__ import annotations

import threading
from datetime import date

from sqlalchemy import func, select

from core.db import db
from erp.ledger import service as ledger
from erp.ledger.models import JournalEntry
from erp.savings import service
from erp.savings.models import SavingsMovement
from erp.savings.service import InsufficientBalance
from tenants.context import tenant
from tests.conftest import add_staff

THREADS = 50


def test_fifty_concurrent_withdrawals_never_overdraw_and_each_posts_exactly_once(desk, app):
    account = desk.account()
    desk.deposit(account, 1_000_000)  # room for 10 withdrawals of 100.000
    tellers = [add_staff(desk.coop, "kasir").id for _ in range(THREADS)]
    with tenant(desk.coop.id):
        for teller in tellers:
            service.open_shift(teller, 0)
    barrier = threading.Barrier(THREADS)
    outcomes: list[str] = []
    lock = threading.Lock()

    def withdraw(n: int) -> None:
        with app.app_context(), tenant(desk.coop.id):
            barrier.wait()
            try:
                service.withdraw(account.id, 100_000, idempotency_key=f"race-{n}", teller_id=tellers[n])
                result = "ok"
            except InsufficientBalance:
                db.session.rollback()
                result = "refused"
            except Exception as err:  # any other failure fails the test below
                db.session.rollback()
                result = repr(err)
            finally:
                db.session.remove()
            with lock:
                outcomes.append(result)

    threads = [threading.Thread(target=withdraw, args=(n,)) for n in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert sorted(set(outcomes)) == ["ok", "refused"], outcomes
    assert outcomes.count("ok") == 10
    db.session.expire_all()
    assert service.get_account(account.id).balance == 0
    withdrawals = db.session.scalars(
        select(SavingsMovement).where(SavingsMovement.kind == "withdrawal")
    ).all()
    assert len(withdrawals) == 10
    keys = db.session.scalars(
        select(JournalEntry.idempotency_key).where(JournalEntry.idempotency_key.like("savings:race-%"))
    ).all()
    assert sorted(keys) == sorted(f"savings:{m.idempotency_key}" for m in withdrawals)
    assert {m.journal_entry_id for m in withdrawals} == set(
        db.session.scalars(select(JournalEntry.id).where(JournalEntry.idempotency_key.like("savings:race-%")))
    )
    assert ledger.account_balance("2-1100", date.today()) == 0
    assert all(check.ok for check in service.reconcile(date.today()))
    assert db.session.scalar(select(func.min(SavingsMovement.balance_after))) == 0


def test_the_same_withdrawal_sent_twice_at_once_is_paid_once(desk, app):
    account = desk.account()
    desk.deposit(account, 500_000)
    barrier = threading.Barrier(2)
    results: list[int] = []

    def withdraw() -> None:
        with app.app_context(), tenant(desk.coop.id):
            barrier.wait()
            movement = service.withdraw(
                account.id, 200_000, idempotency_key="double-tap", teller_id=desk.teller_id
            )
            results.append(movement.id)
            db.session.remove()

    threads = [threading.Thread(target=withdraw) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(results) == 2 and results[0] == results[1]
    db.session.expire_all()
    assert service.get_account(account.id).balance == 300_000
