"""The member portal: a member signed in with their phone number and PIN sees their own balances,
last movements and member card, and downloads their own data (UU PDP). Light pages, no JavaScript.
Every page resolves the member from the signed-in user; an account of anyone else is a 404."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, abort, g, jsonify, render_template
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from core.permissions import menu_item, requires
from erp.ledger import shu
from erp.loans import service as loans
from erp.loans.views import STATUS_LABELS as LOAN_STATUS_LABELS
from erp.membership import documents as member_documents
from erp.membership import service as membership
from erp.membership.models import Member
from erp.savings import service
from erp.savings.views import passbook_pdf

bp = Blueprint("portal", __name__)

menu_item("portal.home", _l("Simpanan saya"), "portal.view", tenant=True)


def _me() -> Member:
    member = membership.member_of_user(current_user.id)
    if member is None:
        abort(404)
    return member


@bp.get("/k/<tenant_slug>/saya/")
@requires("portal.view")
def home() -> Any:
    member = _me()
    accounts = service.member_accounts(member.id)
    return render_template(
        "savings/portal.html",
        member=member,
        accounts=accounts,
        total=sum(a.balance for a, _p in accounts),
        movements=service.member_movements(member.id, limit=10),
        shu_shares=shu.member_shares(member.id),
        loans=loans.member_loans(member.id),
        loan_labels=LOAN_STATUS_LABELS,
    )


@bp.get("/k/<tenant_slug>/saya/kartu.pdf")
@requires("portal.view")
def card() -> Any:
    member = _me()
    if member.member_number is None:
        abort(404)
    content = member_documents.member_card(member, g.cooperative)
    return Response(
        content,
        mimetype="application/pdf",
        headers={"Content-Disposition": f'inline; filename="kartu-{member.member_number}.pdf"'},
    )


@bp.get("/k/<tenant_slug>/saya/rekening/<int:account_id>/buku.pdf")
@requires("portal.view")
def passbook(account_id: int) -> Any:
    member = _me()
    account = service.get_account(account_id)
    if account.member_id != member.id:
        abort(404)
    return passbook_pdf(account.id)


@bp.get("/k/<tenant_slug>/saya/data.<fmt>")
@requires("portal.view")
def my_data(fmt: str) -> Any:
    if fmt not in ("json", "csv"):
        abort(404)
    member = _me()
    data = membership.export_own_data(member)
    data["savings"] = [
        {"number": a.number, "product": p.name, "balance": a.balance}
        for a, p in service.member_accounts(member.id)
    ]
    if fmt == "json":
        response = jsonify(data)
    else:
        flat = {k: v for k, v in data.items() if k not in ("savings", "photo")}
        if data["photo"]:
            flat["foto"] = str(_l("tersimpan; unduh data-saya.json untuk berkasnya"))
        for item in data["savings"]:
            flat[f"simpanan {item['number']}"] = item["balance"]
        response = Response(membership.export_csv(flat), mimetype="text/csv")
    response.headers["Content-Disposition"] = f'attachment; filename="data-saya.{fmt}"'
    response.headers["Cache-Control"] = "private, no-store"
    return response
