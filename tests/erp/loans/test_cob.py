"""Close of business against the real database: accrual cleared by repayments, DPD and class,
PPAP equal to the loans' allowances, idempotent reruns, crashes mid-way, concurrent runs, a loan
held by the desk, and two cashiers posting the same repayment at once."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select, text

from core.db import db
from erp.ledger import service as ledger
from erp.ledger.models import JournalEntry
from erp.loans import cob, service
from erp.loans.models import Installment, Loan, Repayment
from tenants.context import tenant

FIRST_DUE = date(2026, 2, 28)


def _installment(loan: Loan, number: int) -> Installment:
    return db.session.scalar(
        select(Installment)
        .where(Installment.loan_id == loan.id, Installment.number == number)
        .execution_options(populate_existing=True)
    )


def _balance(code: str, on: date = date(2026, 12, 31)) -> int:
    return ledger.account_balance(code, on)


def _accrued_receivable_matches_installments() -> None:
    expected = db.session.scalar(
        select(func.coalesce(func.sum(Installment.bunga - Installment.paid_bunga), 0)).where(
            Installment.accrued_on.is_not(None)
        )
    )
    assert _balance(service.ACCRUED_INTEREST) == expected


def _ppap_matches_allowances() -> None:
    held = db.session.scalar(select(func.coalesce(func.sum(Loan.ppap), 0)).where(Loan.status == "dicairkan"))
    assert _balance(cob.PPAP) == held
    rows = ledger.trial_balance(date(2026, 12, 31))
    assert sum(r.debit for r in rows) == sum(r.credit for r in rows)


def test_bunga_falling_due_is_accrued_and_the_repayment_clears_it_without_counting_it_twice(office):
    loan = office.disbursed()
    first = _installment(loan, 1)
    assert first.due_date == FIRST_DUE

    [run] = cob.close_business(FIRST_DUE)

    assert run.status == "ok" and run.loans_processed == 1 and run.installments_accrued == 1
    first = _installment(loan, 1)
    assert (first.accrued_on, first.accrued_bunga) == (FIRST_DUE, first.bunga)
    assert _balance(service.ACCRUED_INTEREST) == first.bunga
    assert _balance(service.INTEREST_INCOME) == first.bunga
    assert _installment(loan, 2).accrued_on is None  # not yet due

    repayment = office.repay(loan, first.angsuran, FIRST_DUE)

    assert repayment.bunga == first.bunga
    assert _balance(service.ACCRUED_INTEREST) == 0
    assert _balance(service.INTEREST_INCOME) == first.bunga  # recognised once
    _accrued_receivable_matches_installments()
    _ppap_matches_allowances()


def test_bunga_paid_before_it_falls_due_is_not_accrued_again(office):
    loan = office.disbursed()
    first = _installment(loan, 1)
    office.repay(loan, first.angsuran, FIRST_DUE - timedelta(days=5))

    cob.close_business(FIRST_DUE)

    first = _installment(loan, 1)
    assert (first.accrued_on, first.accrued_bunga) == (FIRST_DUE, 0)
    assert _balance(service.ACCRUED_INTEREST) == 0
    assert _balance(service.INTEREST_INCOME) == first.bunga


def test_running_a_date_twice_changes_nothing(office):
    for _ in range(3):
        office.disbursed()
    cob.close_business(FIRST_DUE)
    entries = db.session.scalar(select(func.count()).select_from(JournalEntry))
    loans_before = db.session.execute(
        select(Loan.id, Loan.cob_date, Loan.dpd, Loan.ppap).order_by(Loan.id)
    ).all()

    assert cob.close_business(FIRST_DUE) == []

    assert db.session.scalar(select(func.count()).select_from(JournalEntry)) == entries
    assert db.session.execute(
        select(Loan.id, Loan.cob_date, Loan.dpd, Loan.ppap).order_by(Loan.id)
    ).all() == (loans_before)
    [run] = cob.runs()
    assert run.attempts == 1


def test_overdue_loans_get_days_past_due_class_denda_and_ppap_and_stop_accruing(office):
    late = office.disbursed()
    paying = office.disbursed()
    day = date(2026, 6, 30)  # 122 days after the first installment fell due
    for number in range(1, 6):
        inst = _installment(paying, number)
        office.repay(paying, inst.angsuran, inst.due_date)

    [run] = cob.close_business(day)

    db.session.expire_all()
    late, paying = db.session.get(Loan, late.id), db.session.get(Loan, paying.id)
    assert (late.dpd, late.kolektibilitas) == (122, "kurang_lancar")
    assert late.ppap == late.outstanding_pokok // 10
    assert late.denda_due == service.amount_due(late.id, day).denda > 0
    assert (paying.dpd, paying.kolektibilitas) == (0, "lancar")
    assert paying.ppap == cob.allowance(paying.outstanding_pokok, "lancar")
    assert _installment(late, 1).accrued_on is None  # non-accrual: bunga is income when paid
    assert _installment(paying, 5).accrued_on == day
    assert run.ppap_target == late.ppap + paying.ppap == run.ppap_delta
    _ppap_matches_allowances()
    _accrued_receivable_matches_installments()

    # the late member pays everything due: the next day the class, denda and PPAP come back down
    due = service.amount_due(late.id, day + timedelta(days=1))
    office.repay(late, due.denda + due.bunga + due.pokok, day + timedelta(days=1))
    [run2] = cob.close_business(day + timedelta(days=1))
    late = db.session.get(Loan, late.id)
    db.session.refresh(late)
    assert (late.dpd, late.kolektibilitas, late.denda_due) == (0, "lancar", 0)
    assert run2.ppap_delta < 0
    _ppap_matches_allowances()
    _accrued_receivable_matches_installments()


def test_accrued_bunga_comes_back_out_of_income_when_a_loan_stops_being_lancar(office):
    loan = office.disbursed()
    cob.close_business(FIRST_DUE)
    accrued_first = _installment(loan, 1).bunga
    assert _balance(service.ACCRUED_INTEREST) == accrued_first

    runs = cob.close_business(date(2026, 5, 31))  # every day from 1 March: 92 days late at the end

    turned = [r for r in runs if r.reversed_bunga]
    assert len(turned) == 1  # the day the first installment passed 90 days: kurang lancar
    db.session.expire_all()
    loan = db.session.get(Loan, loan.id)
    assert loan.kolektibilitas == "kurang_lancar"
    accrued_before = sum(_installment(loan, n).bunga for n in (1, 2, 3))  # due 28 Feb, 31 Mar, 30 Apr
    assert turned[0].reversed_bunga == accrued_before
    assert all(_installment(loan, n).accrued_on is None for n in (1, 2, 3, 4))
    assert _balance(service.ACCRUED_INTEREST) == 0
    assert _balance(service.INTEREST_INCOME) == 0  # nothing received, nothing held as income
    _accrued_receivable_matches_installments()

    # the member pays what is due: the bunga is income as it is received, once
    day = date(2026, 6, 1)
    due = service.amount_due(loan.id, day)
    office.repay(loan, due.denda + due.bunga + due.pokok, day)
    assert _balance(service.INTEREST_INCOME) == due.bunga
    cob.close_business(day)
    db.session.expire_all()
    assert db.session.get(Loan, loan.id).kolektibilitas == "lancar"
    assert _balance(service.INTEREST_INCOME) == due.bunga
    _accrued_receivable_matches_installments()
    _ppap_matches_allowances()


def test_missed_days_are_closed_one_by_one_in_order(office):
    office.disbursed()
    cob.close_business(FIRST_DUE - timedelta(days=2))

    runs = cob.close_business(FIRST_DUE + timedelta(days=2))

    assert [r.business_date for r in runs] == [
        FIRST_DUE - timedelta(days=1) + timedelta(days=n) for n in range(4)
    ]
    assert all(r.status == "ok" for r in runs)
    accrued = [r.installments_accrued for r in runs]
    assert accrued == [0, 1, 0, 0]
    assert db.session.scalar(select(func.max(Loan.cob_date))) == FIRST_DUE + timedelta(days=2)


def test_a_future_business_date_is_refused(office):
    with pytest.raises(cob.CobRefused):
        cob.close_business(date.today() + timedelta(days=1))
    assert cob.runs() == []


def test_a_crash_after_some_batches_then_a_rerun_closes_every_loan_once(office):
    loans = [office.disbursed(amount=1_000_000 + n * 10_000) for n in range(11)]
    day = date(2026, 3, 31)  # two installments of each loan due
    calls = []

    def crash(batch: int) -> None:
        calls.append(batch)
        if batch == 2:
            raise RuntimeError("worker killed")

    with pytest.raises(RuntimeError):
        cob.close_business(day, batch_size=4, after_batch=crash)

    [failed] = cob.runs()
    assert (failed.status, failed.loans_processed) == ("failed", 8)
    assert db.session.scalar(select(func.count()).where(Loan.cob_date == day)) == 8

    [run] = cob.close_business(day, batch_size=4)

    assert (run.status, run.attempts, run.loans_processed, run.installments_accrued) == ("ok", 2, 11, 22)
    assert db.session.scalar(select(func.count()).where(Loan.cob_date == day)) == len(loans)
    expected = db.session.scalar(select(func.sum(Installment.bunga)).where(Installment.due_date <= day))
    assert run.accrued_bunga == expected == _balance(service.ACCRUED_INTEREST)
    _accrued_receivable_matches_installments()
    _ppap_matches_allowances()


WORKER = """
import json, os, sys, time
from datetime import date
from core.app import create_app
from core.config import Config
from erp.loans import cob
from tenants.context import tenant

app = create_app(Config(**json.loads(os.environ["COB_CONFIG"])))
with app.app_context(), tenant(int(sys.argv[1])):
    def tick(batch):
        print(batch, flush=True)
        time.sleep(0.5)
    cob.close_business(date.fromisoformat(sys.argv[2]), batch_size=3, after_batch=tick)
print("finished", flush=True)
"""


def test_a_worker_killed_mid_run_then_a_rerun_closes_every_loan_once(office, config):
    for n in range(10):
        office.disbursed(amount=2_000_000 + n * 1000)
    day = date(2026, 3, 31)
    root = Path(__file__).resolve().parents[3]
    worker = subprocess.Popen(
        [sys.executable, "-c", WORKER, str(office.coop.id), day.isoformat()],
        cwd=root,
        env={**os.environ, "PYTHONPATH": str(root), "COB_CONFIG": json.dumps(config.__dict__)},
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert worker.stdout is not None
        for line in worker.stdout:
            if line.strip() == "2":
                break
        worker.send_signal(signal.SIGKILL)
    finally:
        worker.wait(timeout=30)
    assert worker.returncode == -signal.SIGKILL
    db.session.expire_all()
    [crashed] = cob.runs()
    assert crashed.status == "running" and 6 <= crashed.loans_processed < 10
    assert db.session.scalar(select(func.count()).where(Loan.cob_date == day)) == crashed.loans_processed

    [run] = cob.close_business(day)  # the dead worker's lock went with its connection

    assert (run.status, run.attempts, run.loans_processed, run.installments_accrued) == ("ok", 2, 10, 20)
    assert run.accrued_bunga == db.session.scalar(
        select(func.sum(Installment.bunga)).where(Installment.due_date <= day)
    )
    _accrued_receivable_matches_installments()
    _ppap_matches_allowances()


def test_two_runs_for_one_date_at_once_one_does_the_work(office, app):
    for n in range(6):
        office.disbursed(amount=1_000_000 + n)
    tenant_id = office.coop.id
    barrier = threading.Barrier(2)
    results: list[object] = []

    def run() -> None:
        with app.app_context(), tenant(tenant_id):
            try:
                barrier.wait()
                results.append(
                    cob.close_business(FIRST_DUE, batch_size=2, after_batch=lambda _n: time.sleep(0.1))
                )
            except Exception as err:  # fails the test below
                results.append(err)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert sorted(len(r) for r in results) == [0, 1], results  # type: ignore[arg-type]
    db.session.expire_all()
    [row] = cob.runs()
    assert (row.status, row.attempts, row.loans_processed, row.installments_accrued) == ("ok", 1, 6, 6)
    _accrued_receivable_matches_installments()
    _ppap_matches_allowances()


def test_a_loan_held_at_the_desk_is_passed_by_and_closed_by_the_next_run(office, app, config):
    held, *others = [office.disbursed(amount=1_000_000 + n) for n in range(3)]
    from sqlalchemy import create_engine

    engine = create_engine(config.database_url)
    try:
        with engine.connect() as desk:
            desk.execute(text("SELECT set_config('app.tenant_id', :t, true)"), {"t": str(office.coop.id)})
            desk.execute(text("SELECT id FROM loans WHERE id = :id FOR UPDATE"), {"id": held.id})
            started = time.monotonic()
            [run] = cob.close_business(FIRST_DUE)
            assert time.monotonic() - started < 10
            assert (run.status, run.loans_processed, run.loans_deferred) == ("incomplete", 2, 1)
            desk.rollback()
    finally:
        engine.dispose()
    assert db.session.get(Loan, held.id).cob_date is None

    [run] = cob.close_business(FIRST_DUE)

    assert (run.status, run.attempts, run.loans_processed, run.loans_deferred) == ("ok", 2, 3, 0)
    _accrued_receivable_matches_installments()
    _ppap_matches_allowances()


def test_two_cashiers_posting_the_same_repayment_at_once_record_one(office, app):
    loan = office.disbursed()
    tenant_id = office.coop.id
    barrier = threading.Barrier(2)
    ids: list[object] = []

    def pay() -> None:
        with app.app_context(), tenant(tenant_id):
            try:
                barrier.wait()
                r = service.repay(
                    loan.id, 500_000, idempotency_key="desk-same", teller_id=office.teller, on=FIRST_DUE
                )
                ids.append(r.id)
            except Exception as err:
                ids.append(err)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=pay) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert len(ids) == 2 and ids[0] == ids[1], ids
    assert db.session.scalar(select(func.count()).select_from(Repayment)) == 1
    assert (
        db.session.scalar(
            select(func.count())
            .select_from(JournalEntry)
            .where(JournalEntry.idempotency_key == "loans:repay:desk-same")
        )
        == 1
    )
    db.session.expire_all()
    assert _balance(service.LOANS_RECEIVABLE) == db.session.get(Loan, loan.id).outstanding_pokok


def test_the_nightly_schedule_queues_one_job_per_cooperative_and_the_job_closes_yesterday(office, app):
    from core.jobs import run_outbox_message
    from core.models import OutboxMessage
    from erp.loans import jobs

    office.disbursed()
    today = FIRST_DUE + timedelta(days=1)
    assert jobs.schedule_close_of_business(today) >= 1
    message = db.session.scalar(
        select(OutboxMessage).where(
            OutboxMessage.job == "erp.loans.jobs.close_business", OutboxMessage.tenant_id == office.coop.id
        )
    )
    assert message.args["through"] == FIRST_DUE.isoformat()
    assert run_outbox_message(message.id) == "done"
    db.session.expire_all()
    [run] = cob.runs()
    assert (run.business_date, run.status) == (FIRST_DUE, "ok")
