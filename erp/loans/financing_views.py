"""Pages of the cooperative's own financing, for the bendahara and the board: its Himbara bank
loans (record the contract, receive the money, pay the installments) and the kesiapan pembiayaan
pack (the checklist on a page, the whole pack as PDF and XLSX). Every URL of the area is here."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import Blueprint, Response, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from marshmallow import ValidationError

from core.dashboard import tile
from core.db import db
from core.errors import DomainError, form_messages
from core.money import format_rupiah
from core.permissions import menu_item, requires
from core.schemas import load_form
from erp.loans import bank, readiness
from erp.loans.models import BankName
from erp.loans.schemas import BankLoanSchema, BankPaymentSchema, BankReceiptSchema
from erp.loans.views import METHOD_LABELS

bp = Blueprint("financing", __name__)

menu_item("financing.index", _l("Pembiayaan bank"), "financing.view", tenant=True)
tile(
    _l("Pinjaman bank"), "financing.view", lambda: bank.outstanding(), endpoint="financing.index", money=True
)

BANK_STATUS = {"dicatat": _l("Dicatat"), "dicairkan": _l("Berjalan"), "lunas": _l("Lunas")}
PMK_DEFAULTS = {"rate_per_year": "6", "tenor": "72", "grace_months": "6", "method": "anuitas"}
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@bp.route("/k/<tenant_slug>/pembiayaan/", methods=["GET", "POST"])
@requires("financing.view")
def index() -> Any:
    errors: dict[str, Any] = {}
    status = 200
    if request.method == "POST":
        _require_manage()
        try:
            loan = bank.record(load_form(BankLoanSchema()), by=current_user.id)
            flash(_("Pinjaman %(bank)s %(contract)s dicatat.", bank=loan.bank, contract=loan.contract_number))
            return redirect(url_for("financing.loan", loan_id=loan.id))
        except ValidationError as err:
            errors, status = form_messages(err), 422
        except DomainError as err:
            db.session.rollback()
            errors, status = err.as_form_errors(), err.status
    return render_template(
        "loans/bank_index.html",
        loans=bank.bank_loans(),
        outstanding=bank.outstanding(),
        banks=[b.value for b in BankName],
        methods=METHOD_LABELS,
        statuses=BANK_STATUS,
        errors=errors,
        form=request.form if errors else PMK_DEFAULTS,
    ), status


@bp.get("/k/<tenant_slug>/pembiayaan/<int:loan_id>")
@requires("financing.view")
def loan(loan_id: int) -> Any:
    return _loan_page(loan_id)


@bp.post("/k/<tenant_slug>/pembiayaan/<int:loan_id>/terima")
@requires("financing.manage")
def receive(loan_id: int) -> Any:
    found = bank.get(loan_id)
    try:
        received_on = load_form(BankReceiptSchema())["received_on"]
        bank.receive(found.id, on=received_on, by=current_user.id)
        flash(_("Pencairan dari bank dicatat; jadwal angsuran dibuat."))
    except ValidationError as err:
        return _loan_page(found.id, form_messages(err), 422)
    except DomainError as err:
        db.session.rollback()
        if err.status == 404:
            raise
        return _loan_page(found.id, err.as_form_errors(), 422)
    return redirect(url_for("financing.loan", loan_id=found.id))


@bp.post("/k/<tenant_slug>/pembiayaan/<int:loan_id>/bayar")
@requires("financing.manage")
def pay(loan_id: int) -> Any:
    found = bank.get(loan_id)
    try:
        data = load_form(BankPaymentSchema())
        payment = bank.pay(
            found.id, data["amount"], idempotency_key=data["idempotency_key"], by=current_user.id
        )
        flash(
            _(
                "Pembayaran %(amount)s ke bank dicatat: bunga %(bunga)s, pokok %(pokok)s.",
                amount=format_rupiah(payment.amount),
                bunga=format_rupiah(payment.bunga),
                pokok=format_rupiah(payment.pokok),
            )
        )
    except ValidationError as err:
        messages = form_messages(err)
        return _loan_page(found.id, {**messages, "_": [m for msgs in messages.values() for m in msgs]}, 422)
    except DomainError as err:
        db.session.rollback()
        if err.status == 404:
            raise
        return _loan_page(found.id, err.as_form_errors(), 422)
    return redirect(url_for("financing.loan", loan_id=found.id))


@bp.get("/k/<tenant_slug>/pembiayaan/kesiapan")
@requires("financing.view")
def readiness_page() -> Any:
    pack = readiness.build(g.cooperative)
    return render_template("loans/readiness.html", pack=pack, statuses=readiness.Status)


@bp.get("/k/<tenant_slug>/pembiayaan/kesiapan.<fmt>")
@requires("financing.view")
def readiness_download(fmt: str) -> Any:
    if fmt not in ("pdf", "xlsx"):
        return Response(status=404)
    pack = readiness.build(g.cooperative)
    name = f"kesiapan-pembiayaan-{g.cooperative.slug}-{pack.as_of.isoformat()}.{fmt}"
    content, mime = (readiness.pdf(pack), "application/pdf") if fmt == "pdf" else (readiness.xlsx(pack), XLSX)
    return Response(
        content,
        mimetype=mime,
        headers={"Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"},
    )


def _loan_page(loan_id: int, errors: dict[str, Any] | None = None, status: int = 200) -> Any:
    found = bank.get(loan_id)
    today = date.today()
    return render_template(
        "loans/bank_loan.html",
        loan=found,
        installments=bank.installments(found.id),
        payments=bank.payments(found.id),
        due=bank.due_on(found.id, today),
        upcoming=bank.next_installment(found.id),
        methods=METHOD_LABELS,
        statuses=BANK_STATUS,
        errors=errors or {},
        form=request.form,
        today=today,
    ), status


def _require_manage() -> None:
    from flask import abort

    from core.permissions import has_permission

    if not has_permission("financing.manage"):
        abort(403)
