"""Pages that change a running loan, on the loans blueprint: early payoff (full or partial), payment
from savings, restructuring and hapus buku proposals and their decisions, recoveries, and the
write-off register. Each parses its form with a schema and calls one `erp.loans.restructure` use
case; bad input gets the loan card again with a 422 and nothing written."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from marshmallow import ValidationError

from core.db import db
from core.errors import DomainError, form_messages
from core.money import format_rupiah
from core.permissions import has_permission, requires
from core.schemas import load_form
from erp.loans import restructure, service
from erp.loans.models import LoanStatus
from erp.loans.schemas import (
    PartialPrepaymentSchema,
    PayoffSchema,
    ReasonSchema,
    RepaymentSchema,
    RestructureSchema,
)
from erp.loans.views import KOLEKTIBILITAS_LABELS, METHOD_LABELS, _card, _member_names, bp
from erp.savings import service as savings


def card_context(loan: Any, today: date) -> dict[str, Any]:
    """What the loan card shows of this module: payoff quote, savings balance, pending proposals,
    earlier schedule versions, restructurings, write-off and recoveries."""
    context: dict[str, Any] = {
        "versions": restructure.schedule_versions(loan.id),
        "restructurings": restructure.restructurings(loan.id),
        "write_offs": restructure.write_offs(loan.id),
        "recoveries": restructure.recoveries(loan.id) if loan.status == LoanStatus.HAPUS_BUKU.value else [],
        "quote": None,
        "sukarela": None,
        "macet": False,
        "reason_labels": {
            "pelunasan": _l("Pelunasan dipercepat"),
            "pelunasan_sebagian": _l("Pelunasan sebagian"),
            "restrukturisasi": _l("Restrukturisasi"),
        },
        "decision_labels": {
            "diajukan": _l("Diajukan"),
            "disetujui": _l("Disetujui"),
            "ditolak": _l("Ditolak"),
        },
    }
    if loan.status == LoanStatus.DICAIRKAN.value:
        context["quote"] = restructure.payoff_quote(loan.id, today)
        dpd = service.days_past_due(loan.id, today)
        context["macet"] = service.loan_kolektibilitas(loan, dpd) == "macet"
        if has_permission("loans.teller"):
            context["sukarela"] = next(
                (a.balance for a, p in savings.member_accounts(loan.member_id) if p.kind == "sukarela"),
                None,
            )
    return context


@bp.post("/k/<tenant_slug>/pinjaman/<int:loan_id>/lunasi")
@requires("loans.teller")
def prepay_full(loan_id: int) -> Any:
    loan = service.get_loan(loan_id)

    def run() -> None:
        data = load_form(PayoffSchema())
        repayment = restructure.prepay_full(
            loan.id, idempotency_key=data["idempotency_key"], teller_id=current_user.id
        )
        flash(_("Pinjaman dilunasi: %(amount)s.", amount=format_rupiah(repayment.amount)))

    return _do(loan.id, run)


@bp.post("/k/<tenant_slug>/pinjaman/<int:loan_id>/lunasi-sebagian")
@requires("loans.teller")
def prepay_partial(loan_id: int) -> Any:
    loan = service.get_loan(loan_id)

    def run() -> None:
        data = load_form(PartialPrepaymentSchema())
        restructure.prepay_partial(
            loan.id,
            data["amount"],
            mode=data["mode"],
            idempotency_key=data["idempotency_key"],
            teller_id=current_user.id,
        )
        flash(
            _(
                "Pelunasan sebagian %(amount)s dicatat; jadwal baru di bawah.",
                amount=format_rupiah(data["amount"]),
            )
        )

    return _do(loan.id, run)


@bp.post("/k/<tenant_slug>/pinjaman/<int:loan_id>/potong-simpanan")
@requires("loans.teller")
def from_savings(loan_id: int) -> Any:
    loan = service.get_loan(loan_id)

    def run() -> None:
        data = load_form(RepaymentSchema())
        repayment = restructure.repay_from_savings(
            loan.id, data["amount"], idempotency_key=data["idempotency_key"], teller_id=current_user.id
        )
        flash(
            _(
                "Angsuran %(amount)s dipotong dari simpanan sukarela: "
                "denda %(denda)s, jasa %(bunga)s, pokok %(pokok)s.",
                amount=format_rupiah(repayment.amount),
                denda=format_rupiah(repayment.denda),
                bunga=format_rupiah(repayment.bunga),
                pokok=format_rupiah(repayment.pokok),
            )
        )

    return _do(loan.id, run)


@bp.post("/k/<tenant_slug>/pinjaman/<int:loan_id>/restrukturisasi")
@requires("loans.manage")
def propose_restructuring(loan_id: int) -> Any:
    loan = service.get_loan(loan_id)

    def run() -> None:
        data = load_form(RestructureSchema())
        restructure.propose_restructuring(
            loan.id,
            tenor=data["tenor"],
            rate_per_month=data["rate_per_month"],
            method=data["method"],
            reason=data["reason"],
            by=current_user.id,
        )
        flash(_("Usulan restrukturisasi dicatat; menunggu persetujuan orang lain."))

    return _do(loan.id, run)


@bp.post("/k/<tenant_slug>/pinjaman/<int:loan_id>/hapus-buku")
@requires("loans.manage")
def propose_write_off(loan_id: int) -> Any:
    loan = service.get_loan(loan_id)

    def run() -> None:
        data = load_form(ReasonSchema())
        restructure.propose_write_off(loan.id, reason=data["reason"], by=current_user.id)
        flash(_("Usulan hapus buku dicatat; menunggu persetujuan orang lain."))

    return _do(loan.id, run)


@bp.post("/k/<tenant_slug>/pinjaman/<int:loan_id>/pemulihan")
@requires("loans.teller")
def recover(loan_id: int) -> Any:
    loan = service.get_loan(loan_id)

    def run() -> None:
        data = load_form(RepaymentSchema())
        restructure.recover(
            loan.id, data["amount"], idempotency_key=data["idempotency_key"], teller_id=current_user.id
        )
        flash(_("Pemulihan %(amount)s dicatat sebagai pendapatan.", amount=format_rupiah(data["amount"])))

    return _do(loan.id, run)


@bp.get("/k/<tenant_slug>/pinjaman/perubahan")
@requires("loans.approve")
def changes() -> Any:
    return _changes_page({})


@bp.post("/k/<tenant_slug>/pinjaman/perubahan/<kind>/<int:proposal_id>/<action>")
@requires("loans.approve")
def decide_change(kind: str, proposal_id: int, action: str) -> Any:
    if kind not in ("restrukturisasi", "hapus-buku") or action not in ("setujui", "tolak"):
        abort(404)
    try:
        if action == "setujui":
            if kind == "restrukturisasi":
                restructure.approve_restructuring(proposal_id, by=current_user.id)
                flash(_("Restrukturisasi disetujui; jadwal baru berlaku."))
            else:
                restructure.approve_write_off(proposal_id, by=current_user.id)
                flash(_("Pinjaman dihapus buku."))
        else:
            reason = load_form(ReasonSchema())["reason"]
            if kind == "restrukturisasi":
                restructure.refuse_restructuring(proposal_id, by=current_user.id, reason=reason)
            else:
                restructure.refuse_write_off(proposal_id, by=current_user.id, reason=reason)
            flash(_("Usulan ditolak."))
    except ValidationError as err:
        messages = form_messages(err)
        return _changes_page({"_": [m for msgs in messages.values() for m in msgs]}, 422)
    except DomainError as err:
        db.session.rollback()
        if err.status == 404:
            raise
        return _changes_page(err.as_form_errors(), 422)
    return redirect(url_for("loans.changes"))


@bp.get("/k/<tenant_slug>/pinjaman/hapus-buku")
@requires("loans.view")
def write_off_register() -> Any:
    rows = restructure.write_off_register()
    return render_template(
        "loans/write_offs.html",
        rows=rows,
        totals={
            "claim": sum(r.claim for r in rows),
            "recovered": sum(r.recovered for r in rows),
            "remaining": sum(r.remaining for r in rows),
        },
    )


def _changes_page(errors: dict[str, Any], status: int = 200) -> Any:
    today = date.today()
    proposals = []
    for proposal in restructure.restructurings(pending=True):
        try:
            principal, carried, schedule = restructure.preview_restructuring(proposal, today)
        except DomainError:
            principal, carried, schedule = 0, 0, []
        proposals.append((proposal, principal, carried, schedule[:1]))
    return render_template(
        "loans/changes.html",
        restructurings=proposals,
        write_offs=restructure.write_offs(pending=True),
        loans={loan.id: loan for loan in service.loans(LoanStatus.DICAIRKAN)},
        members=_member_names(),
        methods=METHOD_LABELS,
        classes=KOLEKTIBILITAS_LABELS,
        errors=errors,
    ), status


def _do(loan_id: int, run: Any) -> Any:
    try:
        run()
    except ValidationError as err:
        messages = form_messages(err)
        return _card(loan_id, {**messages, "_": [m for msgs in messages.values() for m in msgs]}, 422)
    except DomainError as err:
        db.session.rollback()
        if err.status == 404:
            raise
        return _card(loan_id, err.as_form_errors(), 422)
    return redirect(url_for("loans.card", loan_id=loan_id))
