"""Early payoff, partial prepayment, restructuring, hapus buku with recovery, and repayment from
savings, each reproduced to the rupiah from hand-computed examples.

The loan of every test: Rp 10.000.000, 12 monthly installments, efektif 1,5 % per month, disbursed
31 January 2026 (installments due 28 Feb, 31 Mar, 30 Apr, 31 May, 30 Jun, …), denda 0,1 % per day
after 3 days' grace (tests/erp/loans/conftest.py)."""

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from core.db import db
from erp.ledger import service as ledger
from erp.ledger.service import NewEntry, credit, debit
from erp.loans import restructure, service
from erp.loans.models import Installment, Recovery, Repayment, ScheduleRow, ScheduleVersion
from erp.loans.service import ApproverNotAllowed, InvalidLoan, LoanRefused
from erp.savings import service as savings
from erp.savings.models import ProductKind
from erp.savings.service import InsufficientBalance
from tests.erp.loans.conftest import key, product_data

PAID_FIRST = date(2026, 2, 28)
MID_MARCH = date(2026, 3, 15)


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def _after_first_installment(office, **product):
    if product:
        office.product = service.create_product(product_data(code="PJ-LAIN", **product))
    loan = office.disbursed()
    office.repay(loan, 983_333, on=PAID_FIRST)
    return loan


def test_a_full_payoff_charges_the_running_period_pro_rata_and_waives_later_jasa(office):
    loan = _after_first_installment(office)
    quote = restructure.payoff_quote(loan.id, MID_MARCH)
    # installment 2 (due 31 March) has jasa 137.500 for 28 Feb–31 Mar (31 days); 15 days have run:
    # 137.500 × 15 / 31 = 66.532,26 → 66.532
    assert (quote.running_bunga, quote.future_pokok, quote.denda) == (66_532, 9_166_667, 0)
    assert quote.total == 9_233_199
    assert quote.waived == 825_000 - 66_532
    repayment = restructure.prepay_full(loan.id, idempotency_key=key(), teller_id=office.teller, on=MID_MARCH)
    assert (repayment.amount, repayment.bunga, repayment.pokok) == (9_233_199, 66_532, 9_166_667)
    loan = service.get_loan(loan.id)
    assert (loan.status, loan.outstanding_pokok, loan.schedule_version) == ("lunas", 0, 2)
    assert ledger.account_balance("1-1400", MID_MARCH) == 0
    assert ledger.account_balance("4-1100", MID_MARCH) == 150_000 + 66_532
    # the replaced schedule is kept whole; the one in force sums to the loan
    (old,) = restructure.schedule_versions(loan.id)
    assert old.version.reason_kind == "pelunasan" and len(old.rows) == 12
    assert sum(r.pokok for r in old.rows) == 10_000_000
    rows = service.installments(loan.id)
    assert [(r.number, r.pokok, r.bunga) for r in rows] == [(1, 833_333, 150_000), (2, 9_166_667, 66_532)]


@pytest.mark.parametrize(("rule", "total"), [("penuh", 9_166_667 + 137_500), ("tanpa", 9_166_667)])
def test_the_products_rule_sets_the_running_periods_jasa(office, rule, total):
    loan = _after_first_installment(office, prepayment_interest=rule)
    assert restructure.payoff_quote(loan.id, MID_MARCH).total == total


def test_a_full_payoff_with_arrears_pays_denda_and_overdue_first(office):
    loan = office.disbursed()
    # on 10 March: installment 1 is 10 days late (7 beyond grace): denda 983.333 × 0,1 % × 7 = 6.883;
    # the running period (28 Feb–31 Mar) has run 10 of 31 days: 137.500 × 10/31 = 44.354,8 → 44.355
    quote = restructure.payoff_quote(loan.id, date(2026, 3, 10))
    assert (quote.denda, quote.due_bunga, quote.due_pokok, quote.running_bunga) == (
        6_883,
        150_000,
        833_333,
        44_355,
    )
    assert quote.total == 6_883 + 150_000 + 10_000_000 + 44_355
    repayment = restructure.prepay_full(
        loan.id, idempotency_key=key(), teller_id=office.teller, on=date(2026, 3, 10)
    )
    assert (repayment.denda, repayment.bunga, repayment.pokok) == (6_883, 194_355, 10_000_000)


def test_a_partial_prepayment_for_a_smaller_installment_keeps_the_number_of_installments(office):
    loan = _after_first_installment(office)
    # 66.532 pays the running period's jasa; 3.000.000 reduces the principal to 6.166.667, spread
    # over the 11 installments left from 15 March: pokok 6.166.667 // 11 = 560.606 (last 560.607),
    # jasa of the first 6.166.667 × 1,5 % = 92.500, of the second 5.606.061 × 1,5 % = 84.091
    repayment = restructure.prepay_partial(
        loan.id, 3_066_532, mode="angsuran", idempotency_key=key(), teller_id=office.teller, on=MID_MARCH
    )
    assert (repayment.bunga, repayment.pokok) == (66_532, 3_000_000)
    loan = service.get_loan(loan.id)
    assert loan.outstanding_pokok == 6_166_667 and loan.tenor == 13
    rows = service.installments(loan.id)
    new = rows[2:]
    assert len(new) == 11 and new[0].due_date == date(2026, 4, 15)
    assert (new[0].pokok, new[0].bunga, new[1].bunga, new[-1].pokok) == (560_606, 92_500, 84_091, 560_607)
    assert sum(r.pokok for r in rows) == 10_000_000
    assert ledger.account_balance("1-1400", MID_MARCH) == 6_166_667


def test_a_partial_prepayment_for_a_shorter_tenor_keeps_the_installment(office):
    loan = _after_first_installment(office)
    # the installment was 970.833; 6.166.667 over 7 would start at 880.952 + 92.500 = 973.452 (too
    # much), over 8 at 770.833 + 92.500 = 863.333: 8 installments, the last 770.836
    restructure.prepay_partial(
        loan.id, 3_066_532, mode="tenor", idempotency_key=key(), teller_id=office.teller, on=MID_MARCH
    )
    new = service.installments(loan.id)[2:]
    assert len(new) == 8 and new[-1].due_date == date(2026, 11, 15)
    assert (new[0].pokok, new[-1].pokok) == (770_833, 770_836)


def test_a_partial_prepayment_that_covers_nothing_or_everything_is_refused_and_writes_nothing(office):
    loan = _after_first_installment(office)
    for amount in (66_532, 9_233_199):
        with pytest.raises(InvalidLoan):
            restructure.prepay_partial(
                loan.id, amount, mode="tenor", idempotency_key=key(), teller_id=office.teller, on=MID_MARCH
            )
        db.session.rollback()
    with pytest.raises(InvalidLoan):
        restructure.prepay_partial(
            loan.id, 3_066_532, mode="lain", idempotency_key=key(), teller_id=office.teller, on=MID_MARCH
        )
    db.session.rollback()
    assert _count(Repayment) == 1 and _count(ScheduleVersion) == 0 and _count(Installment) == 12


def test_a_repeated_prepayment_key_applies_once(office):
    loan = _after_first_installment(office)
    k = key()
    first = restructure.prepay_partial(
        loan.id, 3_066_532, mode="tenor", idempotency_key=k, teller_id=office.teller, on=MID_MARCH
    )
    again = restructure.prepay_partial(
        loan.id, 3_066_532, mode="tenor", idempotency_key=k, teller_id=office.teller, on=MID_MARCH
    )
    assert again.id == first.id and _count(ScheduleVersion) == 1


RESTRUCTURED = date(2026, 6, 15)


def _propose(office, loan, **terms):
    data = {"tenor": 24, "rate_per_month": Decimal("1.0"), "method": "anuitas", "reason": "Gagal panen"}
    return restructure.propose_restructuring(loan.id, by=office.maker, **{**data, **terms})


def test_a_restructuring_is_approved_by_another_person_and_keeps_the_class(office):
    loan = office.disbursed()
    # nothing paid; on 15 June the first installment is 107 days late: kurang lancar
    assert service.loan_kolektibilitas(loan, service.days_past_due(loan.id, RESTRUCTURED)) == "kurang_lancar"
    proposal = _propose(office, loan)
    with pytest.raises(ApproverNotAllowed):
        restructure.approve_restructuring(proposal.id, by=office.maker, on=RESTRUCTURED)
    db.session.rollback()
    done = restructure.approve_restructuring(proposal.id, by=office.checker, on=RESTRUCTURED)
    # overdue jasa 150.000 + 137.500 + 125.000 + 112.500 = 525.000, and 15 of the 30 days of the
    # period to 30 June on 6.666.668: 100.000 × 15/30 = 50.000; denda waived:
    # 983.333×104 + 970.833×73 + 958.333×43 + 945.833×12 (× 0,1 %) = 102.267 + 70.871 + 41.208 + 11.350
    assert (done.principal, done.carried_bunga, done.denda_waived) == (10_000_000, 575_000, 225_696)
    assert done.class_before == "kurang_lancar" and done.status == "disetujui"
    loan = service.get_loan(loan.id)
    assert (loan.method, loan.rate_per_month, loan.restructured_count, loan.tenor) == (
        "anuitas",
        Decimal("1.0000"),
        1,
        26,
    )
    rows = service.installments(loan.id)
    # the carried jasa falls due with the first new installment; anuitas 10 M at 1 % over 24 = 470.735
    assert [(r.pokok, r.bunga, r.due_date) for r in rows[:2]] == [
        (0, 525_000, date(2026, 7, 15)),
        (0, 50_000, date(2026, 7, 15)),
    ]
    assert (rows[2].pokok + rows[2].bunga, rows[2].bunga) == (470_735, 100_000)
    assert sum(r.pokok for r in rows) == 10_000_000 == loan.outstanding_pokok
    # on time now, but the class stays kurang lancar (DOMAIN.md has no upgrade rule)
    assert service.days_past_due(loan.id, date(2026, 7, 1)) == 0
    assert service.loan_kolektibilitas(loan, 0) == "kurang_lancar"
    assert service.portfolio_quality(date(2026, 7, 1)).by_class["kurang_lancar"] == 10_000_000
    (old,) = restructure.schedule_versions(loan.id)
    assert old.version.reason_kind == "restrukturisasi" and old.version.note == "Gagal panen"
    assert len(old.rows) == 12


def test_a_restructuring_proposal_needs_a_reason_and_valid_terms_and_one_at_a_time(office):
    loan = office.disbursed()
    for bad in ({"reason": " "}, {"tenor": 0}, {"rate_per_month": Decimal(101)}, {"method": "x"}):
        with pytest.raises(InvalidLoan):
            _propose(office, loan, **bad)
    proposal = _propose(office, loan)
    with pytest.raises(LoanRefused):
        _propose(office, loan)
    db.session.rollback()
    refused = restructure.refuse_restructuring(proposal.id, by=office.checker, reason="Agunan kurang")
    assert refused.status == "ditolak" and _count(ScheduleVersion) == 0


def _macet_loan(office):
    loan = office.disbursed()
    return loan, date(2027, 3, 1)  # first installment 366 days late: macet


def _allowance(amount: int, on: date) -> None:
    ledger.post(
        NewEntry(
            entry_date=on,
            description="PPAP",
            source_module="test",
            source_id=None,
            idempotency_key=f"ppap-{amount}",
            lines=[debit("6-3000", amount), credit("1-1410", amount)],
        )
    )
    db.session.commit()


def test_a_macet_loan_is_written_off_against_the_allowance_and_recovered_later(office):
    loan, on = _macet_loan(office)
    # as close of business would hold it: 4.000.000 against this loan (and 1.000.000 for others)
    _allowance(5_000_000, date(2026, 12, 31))
    service.get_loan(loan.id).ppap = 4_000_000
    db.session.commit()
    proposal = restructure.propose_write_off(
        loan.id, reason="Anggota pindah, tidak dapat ditagih", by=office.maker, on=on
    )
    with pytest.raises(ApproverNotAllowed):
        restructure.approve_write_off(proposal.id, by=office.maker, on=on)
    db.session.rollback()
    done = restructure.approve_write_off(proposal.id, by=office.checker, on=on)
    assert (done.pokok, done.bunga, done.from_allowance, done.from_expense) == (
        10_000_000,
        975_000,
        4_000_000,
        6_000_000,
    )
    assert service.get_loan(loan.id).status == "hapus_buku"
    assert ledger.account_balance("1-1400", on) == 0 and ledger.account_balance("1-1410", on) == 1_000_000
    assert ledger.account_balance("6-3000", on) == 5_000_000 + 6_000_000
    assert service.outstanding_portfolio() == 0
    restructure.recover(loan.id, 500_000, idempotency_key="pulih-1", teller_id=office.teller, on=on)
    restructure.recover(loan.id, 500_000, idempotency_key="pulih-1", teller_id=office.teller, on=on)
    assert ledger.account_balance("4-1400", on) == 500_000 and _count(Recovery) == 1
    with pytest.raises(InvalidLoan):
        restructure.recover(loan.id, 10_475_001, idempotency_key=key(), teller_id=office.teller, on=on)
    db.session.rollback()
    (row,) = restructure.write_off_register()
    assert (row.claim, row.recovered, row.remaining) == (10_975_000, 500_000, 10_475_000)


def test_only_a_macet_loan_can_be_written_off_and_not_twice(office):
    loan = office.disbursed()
    with pytest.raises(LoanRefused):
        restructure.propose_write_off(loan.id, reason="Tidak bayar", by=office.maker, on=date(2026, 6, 1))
    loan, on = _macet_loan(office)
    restructure.propose_write_off(loan.id, reason="Tidak bayar", by=office.maker, on=on)
    with pytest.raises(LoanRefused):
        restructure.propose_write_off(loan.id, reason="Lagi", by=office.maker, on=on)
    db.session.rollback()
    with pytest.raises(LoanRefused):
        restructure.recover(loan.id, 1_000, idempotency_key=key(), teller_id=office.teller, on=on)


def _member_with_savings(office, balance: int):
    savings.install_products()
    db.session.commit()
    loan = office.disbursed()
    account = savings.account_for(loan.member_id, ProductKind.SUKARELA)
    db.session.commit()
    savings.open_shift(office.teller, 0)
    savings.deposit(account.id, balance, idempotency_key=key(), teller_id=office.teller, on=date(2026, 2, 1))
    return loan, account


def test_an_installment_is_deducted_from_savings_in_one_transaction(office):
    loan, account = _member_with_savings(office, 1_000_000)
    repayment = restructure.repay_from_savings(
        loan.id, 983_333, idempotency_key=key(), teller_id=office.teller, on=PAID_FIRST
    )
    assert (repayment.channel, repayment.bunga, repayment.pokok) == ("simpanan", 150_000, 833_333)
    assert savings.get_account(account.id).balance == 16_667
    assert ledger.account_balance("2-1100", PAID_FIRST) == 16_667
    assert ledger.account_balance("1-1100", PAID_FIRST) == -9_850_000 + 1_000_000  # no cash moved
    assert ledger.account_balance("4-1100", PAID_FIRST) == 150_000
    assert service.get_loan(loan.id).outstanding_pokok == 10_000_000 - 833_333


def test_a_deduction_over_the_balance_is_refused_and_writes_nothing(office):
    loan, account = _member_with_savings(office, 500_000)
    with pytest.raises(InsufficientBalance):
        restructure.repay_from_savings(
            loan.id, 983_333, idempotency_key=key(), teller_id=office.teller, on=PAID_FIRST
        )
    assert _count(Repayment) == 0
    assert savings.get_account(account.id).balance == 500_000
    assert db.session.scalar(select(func.sum(Installment.paid_bunga))) == 0
    assert ledger.account_balance("4-1100", PAID_FIRST) == 0


def test_schedule_rows_of_old_versions_cannot_be_changed(office, app_engine):
    loan = _after_first_installment(office)
    restructure.prepay_full(loan.id, idempotency_key=key(), teller_id=office.teller, on=MID_MARCH)
    assert _count(ScheduleRow) == 12
    from sqlalchemy import text
    from sqlalchemy.exc import DBAPIError

    with app_engine.connect() as conn, conn.begin():
        conn.execute(text("SELECT set_config('app.tenant_id', :t, true)"), {"t": str(office.coop.id)})
        with pytest.raises(DBAPIError, match="append-only"):
            conn.execute(text("UPDATE loan_schedule_rows SET pokok = 0"))


def test_jasa_accrued_by_close_of_business_stays_a_receivable_when_carried_by_a_restructuring(office):
    from erp.loans import cob

    loan = office.disbursed()
    cob.close_business(PAID_FIRST)  # installment 1 falls due: 150.000 accrued to Piutang Jasa
    assert ledger.account_balance(service.ACCRUED_INTEREST, PAID_FIRST) == 150_000
    proposal = _propose(office, loan, tenor=6, method="efektif", rate_per_month=Decimal("1.5"))
    done = restructure.approve_restructuring(proposal.id, by=office.checker, on=MID_MARCH)
    assert done.carried_bunga == 150_000 + 66_532
    carried, running = service.installments(loan.id)[:2]
    assert (carried.bunga, carried.accrued_on, carried.accrued_bunga) == (150_000, PAID_FIRST, 150_000)
    assert (running.bunga, running.accrued_on) == (66_532, None)
    office.repay(loan, 216_532, on=MID_MARCH)
    assert ledger.account_balance(service.ACCRUED_INTEREST, MID_MARCH) == 0
    assert ledger.account_balance("4-1100", MID_MARCH) == 150_000 + 66_532  # each rupiah once


def test_close_of_business_keeps_a_restructured_loans_class(office):
    from erp.loans import cob

    loan = office.disbursed()
    restructure.approve_restructuring(_propose(office, loan).id, by=office.checker, on=RESTRUCTURED)
    cob.close_business(date(2026, 7, 1))
    loan = service.get_loan(loan.id)
    assert (loan.dpd, loan.kolektibilitas) == (0, "kurang_lancar")
    assert loan.ppap == 1_000_000  # 10 % of 10.000.000 for kurang lancar
