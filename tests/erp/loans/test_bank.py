"""The cooperative's own Himbara loan: recorded, received into Bank, its schedule with grace
months, payments to the bank jasa → pokok, reproduced to the rupiah; bad input writes nothing."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from core.db import db
from core.errors import AlreadyExists
from erp.ledger import service as ledger
from erp.loans import bank
from erp.loans.models import BankLoan, BankLoanPayment
from erp.loans.schedule import Method
from erp.loans.service import InvalidLoan, LoanRefused, RepaymentConflict

RECEIVED = date(2026, 1, 15)


def contract(**overrides):
    data = {
        "bank": "BRI",
        "contract_number": "B.123/KUR/2026",
        "purpose": "Modal kerja gerai sembako",
        "amount": 120_000_000,
        "rate_per_year": Decimal(6),
        "tenor": 12,
        "grace_months": 2,
        "method": "efektif",
        "signed_on": date(2026, 1, 10),
    }
    return {**data, **overrides}


def test_the_schedule_has_interest_only_grace_months_then_declining_principal(app):
    # 6 % a year is 0,5 % a month: 600.000 in each of the 2 grace months; then 12.000.000 of pokok
    # for 10 months with jasa on the balance: 600.000, 540.000, … 60.000
    rows = bank.bank_schedule(120_000_000, Decimal(6), 12, 2, Method.EFEKTIF, RECEIVED)
    assert [(r.pokok, r.bunga) for r in rows[:4]] == [
        (0, 600_000),
        (0, 600_000),
        (12_000_000, 600_000),
        (12_000_000, 540_000),
    ]
    assert (rows[-1].pokok, rows[-1].bunga, rows[-1].due_date) == (12_000_000, 60_000, date(2027, 1, 15))
    assert rows[2].due_date == date(2026, 4, 15)
    assert sum(r.pokok for r in rows) == 120_000_000 and sum(r.bunga for r in rows) == 4_500_000


def test_a_pmk_49_loan_in_anuitas_sums_to_the_plafon(app):
    rows = bank.bank_schedule(3_000_000_000, Decimal(6), 72, 6, Method.ANUITAS, RECEIVED)
    assert len(rows) == 72 and sum(r.pokok for r in rows) == 3_000_000_000
    assert {r.bunga for r in rows[:6]} == {15_000_000} and all(r.pokok == 0 for r in rows[:6])


def test_a_bank_loan_is_received_into_bank_and_paid_jasa_then_pokok(office):
    loan = bank.record(contract(), by=office.checker)
    assert loan.status == "dicatat" and bank.outstanding() == 0
    bank.receive(loan.id, on=RECEIVED, by=office.checker)
    assert ledger.account_balance("1-1110", RECEIVED) == 120_000_000
    assert ledger.account_balance("2-2100", RECEIVED) == 120_000_000
    assert bank.outstanding() == 120_000_000
    bank.pay(loan.id, 600_000, idempotency_key="bank-1", on=date(2026, 2, 15), by=office.checker)
    bank.pay(loan.id, 600_000, idempotency_key="bank-1", on=date(2026, 2, 15), by=office.checker)
    payment = bank.pay(loan.id, 13_200_000, idempotency_key="bank-2", on=date(2026, 4, 15), by=office.checker)
    # March's 600.000 jasa, then April's 600.000 jasa and 12.000.000 pokok
    assert (payment.bunga, payment.pokok) == (1_200_000, 12_000_000)
    assert db.session.scalar(select(func.count()).select_from(BankLoanPayment)) == 2
    day = date(2026, 4, 15)
    assert ledger.account_balance("6-7000", day) == 1_800_000
    assert ledger.account_balance("2-2100", day) == 108_000_000
    assert ledger.account_balance("1-1110", day) == 120_000_000 - 13_800_000
    assert bank.get(loan.id).outstanding_pokok == 108_000_000


def test_paying_everything_makes_the_bank_loan_lunas_and_more_is_refused(office):
    loan = bank.record(contract(), by=office.checker)
    bank.receive(loan.id, on=RECEIVED, by=office.checker)
    with pytest.raises(InvalidLoan):
        bank.pay(loan.id, 124_500_001, idempotency_key="bank-x", by=office.checker)
    db.session.rollback()
    bank.pay(loan.id, 124_500_000, idempotency_key="bank-all", on=date(2026, 6, 1), by=office.checker)
    loan = bank.get(loan.id)
    assert (loan.status, loan.outstanding_pokok) == ("lunas", 0)
    with pytest.raises(RepaymentConflict):
        bank.pay(loan.id, 1, idempotency_key="bank-all", by=office.checker)
    db.session.rollback()
    with pytest.raises(LoanRefused):
        bank.pay(loan.id, 1, idempotency_key="bank-y", by=office.checker)


def test_bad_contracts_are_refused_and_write_nothing(office):
    for bad in (
        {"bank": "Bank Lain"},
        {"amount": 0},
        {"rate_per_year": Decimal(101)},
        {"tenor": 0},
        {"grace_months": 12},
        {"method": "x"},
        {"contract_number": " "},
    ):
        with pytest.raises(InvalidLoan):
            bank.record(contract(**bad), by=office.checker)
    bank.record(contract(), by=office.checker)
    with pytest.raises(AlreadyExists):
        bank.record(contract(), by=office.checker)
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(BankLoan)) == 1
    loan = bank.bank_loans()[0]
    with pytest.raises(LoanRefused):
        bank.pay(loan.id, 1_000, idempotency_key="early", by=office.checker)
    db.session.rollback()
    with pytest.raises(InvalidLoan):
        bank.receive(loan.id, on=date(2026, 1, 1), by=office.checker)  # before the contract
