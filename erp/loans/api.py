"""JSON API of loans for the token's cooperative: a member's loans, a loan with its schedule, and a
repayment at the desk (the idempotency key applies it once)."""

from __future__ import annotations

from typing import Any

from flask_login import current_user

from core.api import bp, documented
from core.permissions import requires
from core.schemas import load_json
from erp.loans import service
from erp.loans.schemas import InstallmentOutSchema, LoanOutSchema, RepaymentOutSchema, RepaymentSchema
from erp.membership.api import path_id, require_cooperative


@bp.get("/members/<member_id>/loans")
@documented("A member's loans", response=LoanOutSchema, many=True, tag="loans")
@requires("loans.view")
def member_loans(member_id: str) -> Any:
    require_cooperative()
    from erp.membership import service as membership

    member = membership.get_member(path_id(member_id))
    return LoanOutSchema(many=True).dump(service.member_loans(member.id))


@bp.get("/loans/<loan_id>")
@documented("A loan", response=LoanOutSchema, tag="loans")
@requires("loans.view")
def loan_detail(loan_id: str) -> Any:
    require_cooperative()
    return LoanOutSchema().dump(service.get_loan(path_id(loan_id)))


@bp.get("/loans/<loan_id>/schedule")
@documented("A loan's schedule of installments", response=InstallmentOutSchema, many=True, tag="loans")
@requires("loans.view")
def loan_schedule(loan_id: str) -> Any:
    require_cooperative()
    loan = service.get_loan(path_id(loan_id))
    return InstallmentOutSchema(many=True).dump(service.installments(loan.id))


@bp.post("/loans/<loan_id>/repayments")
@documented("Take a repayment", body=RepaymentSchema, response=RepaymentOutSchema, tag="loans")
@requires("loans.teller")
def loan_repayment(loan_id: str) -> Any:
    require_cooperative()
    loan = service.get_loan(path_id(loan_id))
    data = load_json(RepaymentSchema())
    repayment = service.repay(
        loan.id, data["amount"], idempotency_key=data["idempotency_key"], teller_id=current_user.id
    )
    return RepaymentOutSchema().dump(repayment), 201
