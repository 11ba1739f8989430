"""Pages of loans: the list of loans, product settings, the application form, the approval queue,
a loan's card with its printable schedule, disbursement and repayment at the desk."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from marshmallow import ValidationError

from core.dashboard import tile
from core.db import db
from core.errors import DomainError, form_messages
from core.money import format_rupiah
from core.permissions import has_permission, menu_item, requires
from core.schemas import load_form
from erp.loans import service
from erp.loans.models import LoanStatus
from erp.loans.schemas import ApplicationSchema, ProductSchema, RefusalSchema, RepaymentSchema
from erp.membership import service as membership

bp = Blueprint("loans", __name__)

menu_item("loans.index", _l("Pinjaman"), "loans.view", tenant=True)
tile(
    _l("Pinjaman beredar"),
    "loans.view",
    lambda: service.outstanding_portfolio(),
    endpoint="loans.index",
    money=True,
)

STATUS_LABELS = {
    LoanStatus.DIAJUKAN.value: _l("Diajukan"),
    LoanStatus.DISETUJUI.value: _l("Disetujui"),
    LoanStatus.DITOLAK.value: _l("Ditolak"),
    LoanStatus.DICAIRKAN.value: _l("Dicairkan"),
    LoanStatus.LUNAS.value: _l("Lunas"),
    LoanStatus.HAPUS_BUKU.value: _l("Hapus buku"),
}
KOLEKTIBILITAS_LABELS = {
    "lancar": _l("Lancar"),
    "kurang_lancar": _l("Kurang lancar"),
    "diragukan": _l("Diragukan"),
    "macet": _l("Macet"),
}
METHOD_LABELS = {"flat": _l("Flat"), "efektif": _l("Efektif (menurun)"), "anuitas": _l("Anuitas")}
PREPAYMENT_LABELS = {
    "harian": _l("Jasa periode berjalan dihitung harian"),
    "penuh": _l("Jasa periode berjalan penuh"),
    "tanpa": _l("Tanpa jasa periode berjalan"),
}


@bp.get("/k/<tenant_slug>/pinjaman/")
@requires("loans.view")
def index() -> Any:
    return render_template(
        "loans/index.html",
        loans=service.loans(),
        members=_member_names(),
        portfolio=service.outstanding_portfolio(),
        queue=len(service.approval_queue()),
        labels=STATUS_LABELS,
    )


@bp.route("/k/<tenant_slug>/pinjaman/produk", methods=["GET", "POST"])
@requires("loans.view")
def products() -> Any:
    errors: dict[int, Any] = {}
    status = 200
    if request.method == "POST":
        if not has_permission("loans.manage"):
            abort(403)
        product_id = request.form.get("product_id", type=int) or 0
        try:
            data = load_form(ProductSchema())
            if product_id:
                service.update_product(product_id, data)
            else:
                service.create_product(data)
            flash(_("Produk pinjaman disimpan."))
            return redirect(url_for("loans.products"))
        except ValidationError as err:
            errors, status = {product_id: form_messages(err)}, 422
        except DomainError as err:
            db.session.rollback()
            if err.status == 404:
                raise
            errors, status = {product_id: err.as_form_errors()}, err.status
    return render_template(
        "loans/products.html",
        products=service.products(),
        errors=errors,
        form=request.form,
        can_manage=has_permission("loans.manage"),
        methods=METHOD_LABELS,
        prepayment_rules=PREPAYMENT_LABELS,
        values={p.id: _product_values(p) for p in service.products()},
    ), status


@bp.route("/k/<tenant_slug>/pinjaman/ajukan", methods=["GET", "POST"])
@requires("loans.manage")
def apply() -> Any:
    errors: dict[str, Any] = {}
    status = 200
    if request.method == "POST":
        try:
            data = load_form(ApplicationSchema())
            loan = service.apply(
                data["member_id"],
                data["product_id"],
                data["amount"],
                data["tenor"],
                data["purpose"],
                by=current_user.id,
            )
            flash(_("Pengajuan pinjaman #%(id)s dicatat.", id=loan.id))
            return redirect(url_for("loans.card", loan_id=loan.id))
        except ValidationError as err:
            errors, status = form_messages(err), 422
        except DomainError as err:
            db.session.rollback()
            errors, status = err.as_form_errors(), (422 if err.status == 404 else err.status)
    return render_template(
        "loans/apply.html",
        members=membership.active_members(),
        products=service.products(active_only=True),
        errors=errors,
        form=request.form,
    ), status


@bp.get("/k/<tenant_slug>/pinjaman/persetujuan")
@requires("loans.approve")
def queue() -> Any:
    return render_template(
        "loans/queue.html", loans=service.approval_queue(), members=_member_names(), errors={}
    )


@bp.post("/k/<tenant_slug>/pinjaman/<int:loan_id>/<action>")
@requires("loans.view")
def decide(loan_id: int, action: str) -> Any:
    loan = service.get_loan(loan_id)
    try:
        if action == "setujui":
            _require("loans.approve")
            loan = service.approve(loan.id, by=current_user.id)
            flash(_("Pinjaman disetujui.") if loan.status == "disetujui" else _("Menunggu penyetuju kedua."))
        elif action == "tolak":
            _require("loans.approve")
            reason = load_form(RefusalSchema())["reason"]
            service.refuse(loan.id, by=current_user.id, reason=reason)
            flash(_("Pengajuan ditolak."))
        elif action == "cairkan":
            _require("loans.teller")
            service.disburse(loan.id, by=current_user.id)
            flash(_("Pinjaman dicairkan."))
        elif action == "bayar":
            _require("loans.teller")
            data = load_form(RepaymentSchema())
            repayment = service.repay(
                loan.id, data["amount"], idempotency_key=data["idempotency_key"], teller_id=current_user.id
            )
            flash(
                _(
                    "Angsuran %(amount)s dicatat: denda %(denda)s, jasa %(bunga)s, pokok %(pokok)s.",
                    amount=format_rupiah(repayment.amount),
                    denda=format_rupiah(repayment.denda),
                    bunga=format_rupiah(repayment.bunga),
                    pokok=format_rupiah(repayment.pokok),
                )
            )
        else:
            abort(404)
    except ValidationError as err:
        messages = form_messages(err)
        return _card(loan.id, {**messages, "_": [m for msgs in messages.values() for m in msgs]}, 422)
    except DomainError as err:
        db.session.rollback()
        if err.status == 404:
            raise
        return _card(loan.id, err.as_form_errors(), 422)
    return redirect(url_for("loans.card", loan_id=loan.id))


@bp.get("/k/<tenant_slug>/pinjaman/kualitas")
@requires("loans.view")
def quality() -> Any:
    as_of = _date_arg("per") or date.today()
    return render_template(
        "loans/quality.html",
        quality=service.portfolio_quality(as_of),
        classes=KOLEKTIBILITAS_LABELS,
        par_days=service.PAR_DAYS,
    )


@bp.get("/k/<tenant_slug>/pinjaman/<int:loan_id>")
@requires("loans.view")
def card(loan_id: int) -> Any:
    return _card(loan_id)


def _card(loan_id: int, errors: dict[str, Any] | None = None, status: int = 200) -> Any:
    from erp.loans.restructure_views import card_context

    loan = service.get_loan(loan_id)
    today = date.today()
    dpd = service.days_past_due(loan.id, today)
    return render_template(
        "loans/loan.html",
        loan=loan,
        member=membership.get_member(loan.member_id),
        product=service.get_product(loan.product_id),
        installments=service.installments(loan.id),
        repayments=service.repayments(loan.id),
        due=service.amount_due(loan.id, today) if loan.status == "dicairkan" else None,
        payoff=service.payoff_amount(loan.id, today) if loan.status == "dicairkan" else None,
        dpd=dpd,
        kolektibilitas=KOLEKTIBILITAS_LABELS[service.loan_kolektibilitas(loan, dpd)],
        labels=STATUS_LABELS,
        methods=METHOD_LABELS,
        errors=errors or {},
        form=request.form,
        today=today,
        **card_context(loan, today),
    ), status


def _product_values(product: Any) -> dict[str, str]:
    values = {name: getattr(product, name) for name in service.PRODUCT_FIELDS}
    return {k: "" if v is None else str(v) for k, v in values.items()}


def _date_arg(name: str) -> date | None:
    try:
        return date.fromisoformat(request.args.get(name, ""))
    except ValueError:
        return None


def _require(permission: str) -> None:
    if not has_permission(permission):
        abort(403)


def _member_names() -> dict[int, str]:
    return {m.id: f"{m.member_number} {m.name}" for m in membership.active_members()}
