from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from core.db import db
from core.models import AuditEntry
from erp.ledger import service as ledger
from erp.loans import service
from erp.loans.models import Installment, Loan, Repayment
from erp.loans.service import ApproverNotAllowed, InvalidLoan, LoanRefused, RepaymentConflict
from erp.savings import service as savings
from erp.savings.models import ProductKind
from tests.erp.loans.conftest import DISBURSED, key, product_data


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_an_application_is_approved_by_someone_other_than_its_maker(office):
    loan = office.apply()
    assert loan.status == "diajukan"
    with pytest.raises(ApproverNotAllowed):
        service.approve(loan.id, by=office.maker)
    assert service.approve(loan.id, by=office.checker).status == "disetujui"
    actions = db.session.scalars(select(AuditEntry.action).where(AuditEntry.entity == "loan")).all()
    assert actions == ["loan.apply", "loan.approve"]


def test_a_loan_above_the_threshold_needs_a_second_third_person(office):
    loan = office.apply(25_000_000)
    service.approve(loan.id, by=office.checker)
    assert loan.status == "diajukan" and service.needs_second_approval(loan)
    with pytest.raises(ApproverNotAllowed):
        service.approve(loan.id, by=office.checker)
    with pytest.raises(ApproverNotAllowed):
        service.approve(loan.id, by=office.maker)
    assert service.approve(loan.id, by=office.second_checker).status == "disetujui"


def test_a_refusal_needs_a_reason_and_is_audited(office):
    loan = office.apply()
    with pytest.raises(InvalidLoan):
        service.refuse(loan.id, by=office.checker, reason="  ")
    refused = service.refuse(loan.id, by=office.checker, reason="Usaha belum berjalan")
    assert (refused.status, refused.refusal_reason) == ("ditolak", "Usaha belum berjalan")
    with pytest.raises(LoanRefused):
        service.approve(loan.id, by=office.second_checker)


def test_an_application_outside_tenor_or_plafon_is_refused_and_writes_nothing(office):
    before = _count(Loan)
    with pytest.raises(InvalidLoan):
        office.apply(tenor=48)
    with pytest.raises(InvalidLoan):
        office.apply(60_000_000)
    assert _count(Loan) == before


def test_the_plafon_may_be_a_multiple_of_the_members_savings(office):
    savings.install_products()
    db.session.commit()
    product = service.create_product(product_data(code="PJ-TAB", savings_multiple=Decimal(3)))
    from tests.erp.membership.factories import make_member

    member = make_member()
    account = savings.account_for(member.id, ProductKind.SUKARELA)
    db.session.commit()
    savings.open_shift(office.teller, 0)
    savings.deposit(account.id, 1_000_000, idempotency_key=key(), teller_id=office.teller)
    assert service.plafon_for(member.id, product) == 3_000_000
    with pytest.raises(InvalidLoan):
        service.apply(member.id, product.id, 3_000_001, 12, "Modal", by=office.maker)
    assert service.apply(member.id, product.id, 3_000_000, 12, "Modal", by=office.maker).status == "diajukan"


def test_disbursement_stores_the_schedule_and_posts_the_loan_cash_and_provisi(office):
    loan = office.disbursed()
    assert loan.status == "dicairkan" and loan.outstanding_pokok == 10_000_000
    rows = service.installments(loan.id)
    assert len(rows) == 12
    assert (rows[1].pokok, rows[1].bunga) == (833_333, 137_500)
    assert sum(r.bunga for r in rows) == 975_000
    assert rows[0].due_date == date(2026, 2, 28)
    assert ledger.account_balance("1-1400", DISBURSED) == 10_000_000
    assert ledger.account_balance("4-1200", DISBURSED) == 150_000  # 1 % provisi + 0,5 % admin
    assert ledger.account_balance("1-1100", DISBURSED) == -9_850_000


def test_an_unapproved_loan_cannot_be_disbursed(office):
    loan = office.apply()
    with pytest.raises(LoanRefused):
        service.disburse(loan.id, by=office.teller)


def test_a_repayment_on_time_pays_bunga_then_pokok_and_posts_both(office):
    loan = office.disbursed()
    repayment = office.repay(loan, 983_333, on=date(2026, 2, 28))
    assert (repayment.denda, repayment.bunga, repayment.pokok) == (0, 150_000, 833_333)
    assert service.get_loan(loan.id).outstanding_pokok == 10_000_000 - 833_333
    assert ledger.account_balance("4-1100", date(2026, 2, 28)) == 150_000
    assert ledger.account_balance("1-1400", date(2026, 2, 28)) == 10_000_000 - 833_333


def test_a_late_repayment_pays_denda_first(office):
    loan = office.disbursed()
    # due 28 Feb, 3 days' grace: on 10 March it is 7 days late → 983.333 × 0,1 % × 7 = 6.883
    assert service.amount_due(loan.id, date(2026, 3, 10)).denda == 6_883
    assert service.days_past_due(loan.id, date(2026, 3, 10)) == 10
    repayment = office.repay(loan, 100_000, on=date(2026, 3, 10))
    assert (repayment.denda, repayment.bunga, repayment.pokok) == (6_883, 93_117, 0)
    assert ledger.account_balance("4-1300", date(2026, 3, 10)) == 6_883


def test_a_repeated_key_applies_once_and_a_different_amount_is_a_conflict(office):
    loan = office.disbursed()
    first = office.repay(loan, 500_000, on=date(2026, 2, 28), idempotency_key="desk-1")
    again = office.repay(loan, 500_000, on=date(2026, 2, 28), idempotency_key="desk-1")
    assert again.id == first.id and _count(Repayment) == 1
    with pytest.raises(RepaymentConflict):
        office.repay(loan, 400_000, on=date(2026, 2, 28), idempotency_key="desk-1")


def test_paying_more_than_the_payoff_is_refused_and_writes_nothing(office):
    loan = office.disbursed()
    payoff = service.payoff_amount(loan.id, DISBURSED)
    assert payoff == 10_975_000
    with pytest.raises(InvalidLoan):
        office.repay(loan, payoff + 1, on=DISBURSED)
    assert _count(Repayment) == 0
    assert db.session.scalar(select(func.sum(Installment.paid_bunga))) == 0


def test_paying_the_payoff_makes_the_loan_lunas(office):
    loan = office.disbursed()
    office.repay(loan, 10_975_000, on=DISBURSED)
    loan = service.get_loan(loan.id)
    assert (loan.status, loan.outstanding_pokok, loan.closed_on) == ("lunas", 0, DISBURSED)
    assert service.outstanding_portfolio() == 0


def test_kolektibilitas_follows_days_past_due_with_configurable_thresholds(office):
    assert [service.kolektibilitas(d) for d in (0, 90, 91, 180, 181, 360, 361)] == [
        "lancar",
        "lancar",
        "kurang_lancar",
        "kurang_lancar",
        "diragukan",
        "diragukan",
        "macet",
    ]
    assert service.kolektibilitas(31, (30, 60, 90)) == "kurang_lancar"


def test_the_portfolio_is_the_unpaid_principal_of_running_loans(office):
    loan = office.disbursed()
    office.disbursed(5_000_000, 6)
    office.repay(loan, 983_333, on=date(2026, 2, 28))
    assert service.outstanding_portfolio() == 15_000_000 - 833_333


def test_portfolio_quality_gives_par_and_npl_from_days_past_due(office):
    late = office.disbursed()
    office.disbursed(5_000_000, 6)
    office.repay(late, 983_333, on=date(2026, 2, 28))  # first paid; the second falls due 31 March
    # 45 days after 31 March the late loan is 45 days past due: PAR 1 and 30, not 90; still lancar
    quality = service.portfolio_quality(date(2026, 5, 15))
    outstanding_late = 10_000_000 - 833_333
    assert quality.outstanding == outstanding_late + 5_000_000
    # the 5 M loan's first installment fell due 28 Feb and is unpaid: 76 days
    assert quality.at_risk == {1: quality.outstanding, 30: quality.outstanding, 90: 0}
    assert quality.npl == 0 and quality.par(90) == Decimal(0)
    later = service.portfolio_quality(date(2026, 6, 5))  # 5 M loan now 97 days late
    assert later.by_class["kurang_lancar"] == 5_000_000 and later.npl == 5_000_000
    assert later.npl_ratio == Decimal("35.29")
