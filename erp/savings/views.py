"""Pages of savings at the desk: the teller's drawer, finding a member, a member's accounts with
deposit and withdrawal forms, receipts, passbooks and statements, withdrawals awaiting a second
person, product settings, wajib arrears and the control-account check."""

from __future__ import annotations

import secrets
from datetime import date, timedelta
from typing import Any

from flask import Blueprint, Response, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import format_date
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from marshmallow import ValidationError

from core.dashboard import tile
from core.db import db
from core.errors import DomainError, form_messages
from core.permissions import has_permission, menu_item, requires
from core.schemas import load_form
from erp.membership import service as membership
from erp.savings import documents, service
from erp.savings.schemas import CashSchema, MovementSchema, OpenAccountSchema, ProductSchema, product_changes

bp = Blueprint("savings", __name__)

menu_item("savings.desk", _l("Simpanan"), "savings.view", tenant=True)
tile(
    _l("Simpanan anggota"),
    "savings.view",
    lambda: service.total_balance(),
    endpoint="savings.desk",
    money=True,
)
tile(
    _l("Penarikan menunggu persetujuan"),
    "savings.approve",
    lambda: len(service.pending_withdrawals()),
    endpoint="savings.desk",
)


@bp.app_template_global("new_key")
def new_key() -> str:
    """A fresh idempotency key for a money form: sending the same form twice records it once."""
    return secrets.token_hex(12)


@bp.get("/k/<tenant_slug>/simpanan/")
@requires("savings.view")
def desk() -> Any:
    query = request.args.get("q", "").strip()[:80]
    found = membership.list_members("active", query, limit=30) if query else []
    if query and len(found) == 1:
        return redirect(url_for("savings.member_savings", member_id=found[0].id))
    shift = service.current_shift(current_user.id) if has_permission("savings.teller") else None
    return render_template(
        "savings/desk.html",
        q=query,
        found=found,
        shift=service.shift_summary(shift) if shift else None,
        requests=service.pending_withdrawals(),
        products=service.products(),
        errors={},
    )


@bp.post("/k/<tenant_slug>/simpanan/laci/<action>")
@requires("savings.teller")
def drawer(action: str) -> Any:
    if action not in ("buka", "tutup"):
        abort(404)
    try:
        cash = load_form(CashSchema())["cash"]
        if action == "buka":
            service.open_shift(current_user.id, cash)
            flash(_("Laci kas dibuka."))
        else:
            summary = service.close_shift(current_user.id, cash)
            difference = cash - summary.expected_cash
            if difference:
                flash(
                    _(
                        "Laci kas ditutup dengan selisih %(diff)s (seharusnya %(expected)s).",
                        diff=_rupiah(difference),
                        expected=_rupiah(summary.expected_cash),
                    ),
                    "error",
                )
            else:
                flash(_("Laci kas ditutup dan seimbang."))
    except ValidationError as err:
        flash(" ".join(m for msgs in form_messages(err).values() for m in msgs), "error")
        return redirect(url_for("savings.desk")), 303
    except DomainError as err:
        db.session.rollback()
        flash(str(err.message), "error")
    return redirect(url_for("savings.desk"))


@bp.get("/k/<tenant_slug>/simpanan/anggota/<int:member_id>")
@requires("savings.view")
def member_savings(member_id: int) -> Any:
    return _member_page(member_id)


def _member_page(
    member_id: int, errors: dict[int, Any] | None = None, status: int = 200, receipt_id: int | None = None
) -> Any:
    member = membership.get_member(member_id)
    accounts = service.member_accounts(member.id)
    held = {p.id for a, p in accounts if a.status == "open" and p.kind != "berjangka"}
    receipt = request.args.get("bukti", type=int) or receipt_id
    return render_template(
        "savings/member.html",
        member=member,
        accounts=accounts,
        movements=service.member_movements(member.id, limit=20),
        openable=[p for p in service.products(active_only=True) if p.id not in held],
        errors=errors or {},
        form=request.form,
        can_teller=has_permission("savings.teller"),
        receipt=receipt,
        today=date.today(),
    ), status


@bp.post("/k/<tenant_slug>/simpanan/anggota/<int:member_id>/buka")
@requires("savings.teller")
def open_account(member_id: int) -> Any:
    try:
        data = load_form(OpenAccountSchema())
        account = service.open_account(member_id, data["product_id"])
        db.session.commit()
        flash(_("Rekening %(number)s dibuka.", number=account.number))
    except ValidationError as err:
        return _member_page(member_id, {0: form_messages(err)}, 422)
    except DomainError as err:
        db.session.rollback()
        if err.status == 404 and not _member_exists(member_id):
            raise
        return _member_page(member_id, {0: err.as_form_errors()}, err.status)
    return redirect(url_for("savings.member_savings", member_id=member_id))


@bp.post("/k/<tenant_slug>/simpanan/rekening/<int:account_id>/<action>")
@requires("savings.teller")
def move(account_id: int, action: str) -> Any:
    if action not in ("setor", "tarik"):
        abort(404)
    account = service.get_account(account_id)
    try:
        data = load_form(MovementSchema())
        kwargs = {
            "idempotency_key": data["idempotency_key"],
            "teller_id": current_user.id,
            "note": data["note"],
        }
        if action == "setor":
            movement = service.deposit(account.id, data["amount"], **kwargs)
            flash(_("Setoran %(amount)s dicatat.", amount=_rupiah(data["amount"])))
        else:
            try:
                movement = service.withdraw(account.id, data["amount"], **kwargs)
            except service.ApprovalRequired as err:
                db.session.rollback()
                service.request_withdrawal(account.id, data["amount"], note=data["note"])
                flash(str(err.message) + " " + _("Permintaan menunggu persetujuan."))
                return redirect(url_for("savings.member_savings", member_id=account.member_id))
            flash(_("Penarikan %(amount)s dicatat.", amount=_rupiah(data["amount"])))
    except ValidationError as err:
        return _member_page(account.member_id, {account.id: form_messages(err)}, 422)
    except DomainError as err:
        db.session.rollback()
        return _member_page(account.member_id, {account.id: err.as_form_errors()}, err.status)
    return redirect(url_for("savings.member_savings", member_id=account.member_id, bukti=movement.id))


@bp.post("/k/<tenant_slug>/simpanan/rekening/<int:account_id>/perpanjang")
@requires("savings.teller")
def roll_over(account_id: int) -> Any:
    """At maturity a simpanan berjangka is either paid out (Tarik) or renewed for another term."""
    account = service.get_account(account_id)
    try:
        account = service.roll_over(account.id)
    except DomainError as err:
        db.session.rollback()
        return _member_page(account.member_id, {account.id: err.as_form_errors()}, err.status)
    flash(
        _("Simpanan berjangka diperpanjang sampai %(day)s.", day=format_date(account.maturity_on, "d MMM y"))
    )
    return redirect(url_for("savings.member_savings", member_id=account.member_id))


@bp.post("/k/<tenant_slug>/simpanan/penarikan/<int:request_id>/<action>")
@requires("savings.view")
def decide_withdrawal(request_id: int, action: str) -> Any:
    try:
        if action in ("setujui", "tolak"):
            if not has_permission("savings.approve"):
                abort(403)
            service.decide_withdrawal(request_id, approve=action == "setujui")
            flash(_("Permintaan disetujui.") if action == "setujui" else _("Permintaan ditolak."))
        elif action == "bayar":
            if not has_permission("savings.teller"):
                abort(403)
            movement = service.pay_withdrawal(request_id, teller_id=current_user.id)
            account = service.get_account(movement.account_id)
            flash(_("Penarikan %(amount)s dibayar.", amount=_rupiah(movement.amount)))
            return redirect(url_for("savings.member_savings", member_id=account.member_id, bukti=movement.id))
        else:
            abort(404)
    except DomainError as err:
        db.session.rollback()
        if err.status == 404:
            raise
        flash(str(err.message), "error")
    return redirect(url_for("savings.desk"))


@bp.get("/k/<tenant_slug>/simpanan/transaksi/<int:movement_id>/bukti.pdf")
@requires("savings.view")
def receipt(movement_id: int) -> Any:
    movement = service.get_movement(movement_id)
    account = service.get_account(movement.account_id)
    product = service.get_product(account.product_id)
    member = membership.get_member(account.member_id)
    return _pdf(
        documents.receipt(movement, account, product, member, g.cooperative), f"bukti-{movement.id}.pdf"
    )


@bp.get("/k/<tenant_slug>/simpanan/rekening/<int:account_id>/buku.pdf")
@requires("savings.view")
def passbook(account_id: int) -> Any:
    return passbook_pdf(account_id)


def passbook_pdf(account_id: int) -> Response:
    account = service.get_account(account_id)
    product = service.get_product(account.product_id)
    member = membership.get_member(account.member_id)
    rows = list(reversed(service.movements(account.id, limit=1000)))
    return _pdf(
        documents.passbook(member, account, product, g.cooperative, rows), f"buku-{account.number}.pdf"
    )


@bp.get("/k/<tenant_slug>/simpanan/rekening/<int:account_id>/mutasi.pdf")
@requires("savings.view")
def statement(account_id: int) -> Any:
    return statement_pdf(account_id)


def statement_pdf(account_id: int) -> Response:
    account = service.get_account(account_id)
    product = service.get_product(account.product_id)
    member = membership.get_member(account.member_id)
    end = _date_arg("sampai") or date.today()
    start = _date_arg("dari") or end.replace(day=1) - timedelta(days=60)
    if start > end:
        start, end = end, start
    opening, rows = service.statement(account.id, start, end)
    content = documents.statement(member, account, product, g.cooperative, start, end, opening, rows)
    return _pdf(content, f"mutasi-{account.number}.pdf")


@bp.route("/k/<tenant_slug>/simpanan/produk", methods=["GET", "POST"])
@requires("savings.view")
def products() -> Any:
    errors: dict[int, Any] = {}
    status = 200
    if request.method == "POST":
        if not has_permission("savings.manage"):
            abort(403)
        if "install" in request.form:
            created = service.install_products()
            db.session.commit()
            flash(_("%(n)s produk standar dipasang.", n=created))
            return redirect(url_for("savings.products"))
        product_id = request.form.get("product_id", type=int) or 0
        try:
            service.get_product(product_id)
            service.update_product(product_id, product_changes(load_form(ProductSchema())))
            flash(_("Pengaturan produk disimpan."))
            return redirect(url_for("savings.products"))
        except ValidationError as err:
            errors, status = {product_id: form_messages(err)}, 422
        except DomainError as err:
            db.session.rollback()
            if err.status == 404:
                raise
            errors, status = {product_id: err.as_form_errors()}, err.status
    return render_template(
        "savings/products.html",
        products=service.products(),
        errors=errors,
        form=request.form,
        can_manage=has_permission("savings.manage"),
    ), status


@bp.get("/k/<tenant_slug>/simpanan/tunggakan")
@requires("savings.view")
def arrears() -> Any:
    as_of = _date_arg("per") or date.today()
    return render_template("savings/arrears.html", arrears=service.wajib_arrears(as_of), as_of=as_of)


@bp.get("/k/<tenant_slug>/simpanan/rekonsiliasi")
@requires("savings.view")
def reconciliation() -> Any:
    as_of = _date_arg("per") or date.today()
    return render_template(
        "savings/reconciliation.html",
        checks=service.reconcile(as_of),
        consistent=service.balances_match_movements(),
        as_of=as_of,
    )


def _member_exists(member_id: int) -> bool:
    try:
        membership.get_member(member_id)
    except DomainError:
        return False
    return True


def _date_arg(name: str) -> date | None:
    raw = request.args.get(name)
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        return None


def _rupiah(amount: int) -> str:
    from flask_babel import get_locale

    from core.money import format_rupiah

    return format_rupiah(amount, str(get_locale() or "id"))


def _pdf(content: bytes, filename: str) -> Response:
    response = Response(content, mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'inline; filename="{filename}"'
    response.headers["Cache-Control"] = "private, no-store"
    return response
