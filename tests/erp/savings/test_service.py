from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from core.db import db
from core.models import Notification
from erp.ledger import service as ledger
from erp.ledger.models import JournalEntry
from erp.membership import service as membership
from erp.savings import service
from erp.savings.models import ProductKind, SavingsMovement
from erp.savings.service import (
    ApprovalRequired,
    IdempotencyConflict,
    InsufficientBalance,
    InvalidAmount,
    SavingsRefused,
)
from tests.conftest import add_staff

LAST_MONTH = (date.today().replace(day=1) - timedelta(days=1)).replace(day=1)


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_a_deposit_grows_the_balance_posts_kas_against_the_product_and_notifies(desk):
    account = desk.account(phone="+6281234567890")
    movement = desk.deposit(account, 150_000)
    assert (movement.balance_after, service.get_account(account.id).balance) == (150_000, 150_000)
    entry = db.session.get(JournalEntry, movement.journal_entry_id)
    assert [(line.account.code, line.debit, line.credit) for line in entry.lines] == [
        ("1-1100", 150_000, 0),
        ("2-1100", 0, 150_000),
    ]
    note = db.session.scalar(select(Notification))
    assert note.recipient == "+6281234567890" and "Rp 150.000" in note.body


def test_the_same_idempotency_key_deposits_once_and_another_payload_is_a_conflict(desk):
    account = desk.account()
    first = service.deposit(account.id, 10_000, idempotency_key="desk-1", teller_id=desk.teller_id)
    again = service.deposit(account.id, 10_000, idempotency_key="desk-1", teller_id=desk.teller_id)
    assert first.id == again.id and service.get_account(account.id).balance == 10_000
    with pytest.raises(IdempotencyConflict):
        service.deposit(account.id, 20_000, idempotency_key="desk-1", teller_id=desk.teller_id)
    assert _count(SavingsMovement) == 1


@pytest.mark.parametrize("amount", [0, -5_000, 10.5, "10000", True, None])
def test_a_bad_amount_is_refused_and_writes_nothing(desk, amount):
    account = desk.account()
    with pytest.raises(InvalidAmount):
        desk.deposit(account, amount)
    with pytest.raises(InvalidAmount):
        desk.withdraw(account, amount)
    assert _count(SavingsMovement) == 0 and _count(JournalEntry) == 0


def test_a_withdrawal_over_the_balance_is_refused_and_writes_nothing(desk):
    account = desk.account()
    desk.deposit(account, 50_000)
    with pytest.raises(InsufficientBalance):
        desk.withdraw(account, 50_001)
    db.session.rollback()
    assert service.get_account(account.id).balance == 50_000
    assert _count(SavingsMovement) == 1 and _count(JournalEntry) == 1


def test_pokok_is_paid_once_at_its_amount_and_wajib_in_multiples(desk):
    pokok = desk.account(ProductKind.POKOK)
    with pytest.raises(InvalidAmount):
        desk.deposit(pokok, 40_000)
    desk.deposit(pokok, 50_000)
    with pytest.raises(InvalidAmount):
        desk.deposit(pokok, 50_000)
    wajib = service.account_for(pokok.member_id, ProductKind.WAJIB)
    with pytest.raises(InvalidAmount):
        desk.deposit(wajib, 15_000)
    desk.deposit(wajib, 30_000)
    assert service.equity_balances(date.today()) == {pokok.member_id: 80_000}


def test_pokok_and_wajib_leave_only_with_the_member_who_gets_everything_back(desk):
    pokok = desk.account(ProductKind.POKOK)
    desk.deposit(pokok, 50_000)
    sukarela = service.account_for(pokok.member_id, ProductKind.SUKARELA)
    desk.deposit(sukarela, 25_000)
    with pytest.raises(SavingsRefused):
        desk.withdraw(pokok, 50_000)
    db.session.rollback()
    membership.resign(pokok.member_id, "Pindah domisili", on=date.today())
    accounts = service.member_accounts(pokok.member_id)
    assert {(a.balance, a.status) for a, _p in accounts} == {(0, "closed")}
    assert ledger.account_balance("3-1000", date.today()) == 0
    assert all(check.ok for check in service.reconcile(date.today()))


def test_a_large_withdrawal_needs_a_second_person(desk, app):
    account = desk.account()
    desk.deposit(account, 9_000_000)
    with pytest.raises(ApprovalRequired):
        desk.withdraw(account, 6_000_000)
    db.session.rollback()
    request = service.request_withdrawal(account.id, 6_000_000)
    service.decide_withdrawal(request.id, approve=True)
    movement = service.pay_withdrawal(request.id, teller_id=desk.teller_id)
    assert movement.balance_after == 3_000_000
    assert service.pay_withdrawal  # paying again changes nothing
    with pytest.raises(SavingsRefused):
        service.pay_withdrawal(request.id, teller_id=desk.teller_id)


def test_the_drawer_closes_with_expected_cash_from_its_movements(desk):
    account = desk.account()
    desk.deposit(account, 300_000)
    desk.withdraw(account, 120_000)
    summary = service.close_shift(desk.teller_id, 1_170_000)
    assert (summary.deposits, summary.withdrawals, summary.expected_cash) == (300_000, 120_000, 1_180_000)
    assert summary.shift.counted_cash == 1_170_000
    with pytest.raises(SavingsRefused):
        desk.deposit(account, 1_000)


def test_monthly_interest_follows_the_daily_balance_and_runs_once(desk):
    account = desk.account(opened=LAST_MONTH)
    days = (date.today().replace(day=1) - LAST_MONTH).days
    desk.deposit(account, 3_650_000, on=LAST_MONTH)
    mid = LAST_MONTH + timedelta(days=10)
    desk.deposit(account, 3_650_000, on=mid)
    assert service.credit_monthly_interest(LAST_MONTH.year, LAST_MONTH.month) == 1
    # 3% a year: Rp 300 per day on 3.650.000, Rp 600 from the 11th day
    expected = 300 * days + 300 * (days - 10)
    assert service.get_account(account.id).balance == 7_300_000 + expected
    assert service.credit_monthly_interest(LAST_MONTH.year, LAST_MONTH.month) == 0
    assert service.get_account(account.id).balance == 7_300_000 + expected
    assert ledger.account_balance("6-2000", date.today()) == expected
    assert all(check.ok for check in service.reconcile(date.today()))
    assert service.balances_match_movements()


def test_withholding_tax_is_taken_from_the_interest(desk):
    account = desk.account(opened=LAST_MONTH)
    product = service.product_by_kind(ProductKind.SUKARELA)
    from decimal import Decimal

    service.update_product(product.id, {"tax_rate": Decimal(10)})
    desk.deposit(account, 36_500_000, on=LAST_MONTH)
    service.credit_monthly_interest(LAST_MONTH.year, LAST_MONTH.month)
    days = (date.today().replace(day=1) - LAST_MONTH).days
    interest = 3_000 * days
    assert service.get_account(account.id).balance == 36_500_000 + interest - interest // 10
    assert ledger.account_balance("2-1310", date.today()) == interest // 10
    assert all(check.ok for check in service.reconcile(date.today()))


def test_wajib_arrears_count_the_months_owed(desk):
    wajib = desk.account(ProductKind.WAJIB)  # joined 2 January 2025
    desk.deposit(wajib, 30_000)
    arrears = service.wajib_arrears(date(2025, 6, 30))
    assert [(a.member_id, a.months_owed, a.amount_owed) for a in arrears] == [(wajib.member_id, 3, 30_000)]


def test_only_active_members_deposit(desk):
    account = desk.account()
    membership.suspend(account.member_id, "x")
    with pytest.raises(SavingsRefused):
        desk.deposit(account, 10_000)


def test_the_checker_is_not_the_maker(desk, app):
    from flask_login import login_user

    teller = db.session.get(__import__("core.models", fromlist=["User"]).User, desk.teller_id)
    account = desk.account()
    desk.deposit(account, 9_000_000)
    with app.test_request_context():
        login_user(teller)
        request = service.request_withdrawal(account.id, 6_000_000)
        with pytest.raises(SavingsRefused):
            service.decide_withdrawal(request.id, approve=True)
        other = add_staff(desk.coop, "bendahara")
        login_user(other)
        assert service.decide_withdrawal(request.id, approve=False).status == "rejected"


def test_the_monthly_job_queues_each_cooperative_and_credits_once(desk, app):
    from core.jobs import run_outbox_message
    from core.models import OutboxMessage
    from erp.savings import jobs
    from tenants.context import tenant

    account = desk.account(opened=LAST_MONTH)
    desk.deposit(account, 3_650_000, on=LAST_MONTH)
    with tenant(desk.coop.id):
        pass
    from tenants.context import reset

    reset()
    assert jobs.schedule_monthly_interest() == 1
    message = db.session.scalar(select(OutboxMessage))
    assert message.tenant_id == desk.coop.id and message.args["cooperative_id"] == desk.coop.id
    assert run_outbox_message(message.id) == "done"
    with tenant(desk.coop.id):
        assert service.get_account(account.id).balance > 3_650_000
        assert jobs.credit_interest(desk.coop.id, LAST_MONTH.year, LAST_MONTH.month) == 0


def test_a_time_deposit_earns_its_term_interest_at_maturity_once_and_may_then_be_withdrawn(desk):
    placed = date(2024, 1, 10)
    account = desk.account(ProductKind.BERJANGKA, opened=placed)  # 6% a year, 12 months
    desk.deposit(account, 10_000_000, on=placed)
    with pytest.raises(SavingsRefused):
        desk.withdraw(account, 1_000_000, on=date(2024, 6, 1))
    db.session.rollback()
    assert service.credit_matured_deposits(date(2024, 12, 31)) == 0
    assert service.credit_matured_deposits(date(2025, 1, 10)) == 1
    assert service.credit_matured_deposits(date(2025, 1, 11)) == 0
    assert service.get_account(account.id).balance == 10_600_000
    assert ledger.account_balance("2-1200", date(2025, 1, 10)) == 10_600_000
    service.request_withdrawal(account.id, 10_600_000)  # above the threshold: a second person
    assert all(check.ok for check in service.reconcile(date.today()))


def test_a_matured_time_deposit_rolls_over_with_its_jasa_for_another_term(desk):
    placed = date(2024, 1, 10)
    account = desk.account(ProductKind.BERJANGKA, opened=placed)  # 6% a year, 12 months
    desk.deposit(account, 10_000_000, on=placed)
    with pytest.raises(SavingsRefused):
        service.roll_over(account.id, on=date(2024, 12, 1))
    db.session.rollback()
    renewed = service.roll_over(account.id, on=date(2025, 1, 12))
    assert renewed.balance == 10_600_000, "the ended term's jasa is credited before renewing"
    assert renewed.maturity_on == date(2026, 1, 12)
    with pytest.raises(SavingsRefused):
        desk.withdraw(account, 1_000_000, on=date(2025, 6, 1))
    db.session.rollback()
    assert service.credit_matured_deposits(date(2025, 2, 1)) == 0, "no second credit for the ended term"
    assert service.credit_matured_deposits(date(2026, 1, 12)) == 1
    assert service.get_account(account.id).balance == 10_600_000 + 636_000
    assert all(check.ok for check in service.reconcile(date.today()))


def test_the_nightly_job_credits_matured_deposits_through_the_outbox(desk, app):
    from core.jobs import run_outbox_message
    from core.models import OutboxMessage
    from erp.savings import jobs
    from tenants.context import reset, tenant

    placed = date(2024, 1, 10)
    account = desk.account(ProductKind.BERJANGKA, opened=placed)
    desk.deposit(account, 1_000_000, on=placed)
    reset()
    assert jobs.schedule_maturities(date(2025, 2, 1)) == 1
    message = db.session.scalar(select(OutboxMessage).where(OutboxMessage.job.like("%credit_matured")))
    assert run_outbox_message(message.id) == "done"
    with tenant(desk.coop.id):
        assert service.get_account(account.id).balance == 1_060_000
