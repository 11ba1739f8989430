"""Buyer pages of Kophub (platform pages, no cooperative in the URL): sign up as a buyer, the
buyer's profile and delivery addresses with the region picker."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user
from marshmallow import ValidationError

from core.db import db
from core.errors import DomainError, form_messages
from core.permissions import menu_item, requires
from core.schemas import load_form
from marketplace.buyers import service
from marketplace.buyers.models import Buyer
from marketplace.buyers.schemas import AddressSchema, ProfileSchema, SignUpSchema
from tenants import regions
from tenants.views import _picker_state

bp = Blueprint("buyers", __name__)

menu_item("buyers.account", "Kophub", "marketplace.buy", tenant=False)


def current_buyer() -> Buyer | None:
    return service.buyer_of(current_user.id) if current_user.is_authenticated else None


def _profile(data: dict[str, Any]) -> dict[str, Any]:
    return {"kind": data["kind"], "company_name": data.get("company_name"), "npwp": data.get("npwp")}


@bp.route("/kophub/daftar", methods=["GET", "POST"])
def sign_up() -> Any:
    """Become a Kophub buyer: with a new account, or with the account one is signed in with."""
    if current_buyer() is not None:
        return redirect(url_for("buyers.account"))
    errors: dict[str, Any] = {}
    status = 200
    if request.method == "POST":
        try:
            if current_user.is_authenticated:
                service.become_buyer(current_user, **_profile(load_form(ProfileSchema())))
            else:
                data = load_form(SignUpSchema())
                user = service.register_buyer(
                    name=data["name"],
                    email=data.get("email"),
                    phone=data.get("phone"),
                    password=data["password"],
                    **_profile(data),
                )
                login_user(user)
            flash(_("Akun pembeli Kophub siap. Tambahkan alamat pengiriman."))
            return redirect(url_for("buyers.account"))
        except ValidationError as err:
            errors, status = form_messages(err), 422
        except DomainError as err:
            db.session.rollback()
            errors, status = err.as_form_errors(), err.status
    return render_template("marketplace/buyers/sign_up.html", errors=errors, form=request.form), status


def _account_page(errors: dict[str, Any] | None = None, status: int = 200) -> Any:
    buyer = current_buyer()
    assert buyer is not None
    addresses = service.addresses(buyer)
    paths = regions.paths_of([a.village_code for a in addresses])
    return render_template(
        "marketplace/buyers/account.html",
        buyer=buyer,
        addresses=addresses,
        paths=paths,
        picker=_picker_state(),
        errors=errors or {},
        form=request.form if request.method == "POST" else request.args,
    ), status


def _require_buyer() -> Buyer:
    buyer = current_buyer()
    if buyer is None:
        from werkzeug.exceptions import NotFound

        raise NotFound()
    return buyer


@bp.get("/kophub/akun")
@login_required
def account() -> Any:
    if current_buyer() is None:
        return redirect(url_for("buyers.sign_up"))
    return _account_page()


@bp.post("/kophub/akun/profil")
@requires("marketplace.buy")
def update_profile() -> Any:
    buyer = _require_buyer()
    try:
        service.update_profile(buyer, **_profile(load_form(ProfileSchema())))
    except ValidationError as err:
        return _account_page(form_messages(err), 422)
    except DomainError as err:
        db.session.rollback()
        return _account_page(err.as_form_errors(), err.status)
    flash(_("Profil pembeli disimpan."))
    return redirect(url_for("buyers.account"))


@bp.post("/kophub/akun/alamat")
@requires("marketplace.buy")
def add_address() -> Any:
    buyer = _require_buyer()
    try:
        data = load_form(AddressSchema())
        service.add_address(buyer, **data)
    except ValidationError as err:
        return _account_page(form_messages(err), 422)
    except DomainError as err:
        db.session.rollback()
        return _account_page(err.as_form_errors(), err.status)
    flash(_("Alamat ditambahkan."))
    after = "orders.checkout" if request.args.get("next") == "checkout" else "buyers.account"
    return redirect(url_for(after))


@bp.post("/kophub/akun/alamat/<int:address_id>/hapus")
@requires("marketplace.buy")
def delete_address(address_id: int) -> Any:
    service.delete_address(_require_buyer(), address_id)
    flash(_("Alamat dihapus."))
    return redirect(url_for("buyers.account"))
