"""Pages of the shared kernel: home, sign in/out, password reset, language, my account and tokens."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required, login_user, logout_user
from marshmallow import ValidationError, fields, validate

from core import auth
from core.db import db
from core.errors import DomainError, form_messages
from core.i18n import LOCALES
from core.schemas import FormSchema, Trimmed, load_form, password_field
from tenants import service as tenants

bp = Blueprint("core", __name__)


class LoginSchema(FormSchema):
    identifier = Trimmed(required=True, validate=validate.Length(max=254))
    password = fields.String(required=True, validate=validate.Length(max=200))
    next = fields.String(load_default=None)


class ResetRequestSchema(FormSchema):
    identifier = Trimmed(required=True, validate=validate.Length(max=254))


class ResetSchema(FormSchema):
    password = password_field()
    password_again = fields.String(required=True)


class LanguageSchema(FormSchema):
    locale = fields.String(required=True, validate=validate.OneOf(LOCALES))
    next = fields.String(load_default=None)


class TokenSchema(FormSchema):
    name = Trimmed(required=True, validate=validate.Length(max=80))
    cooperative_id = fields.Integer(required=True)


def _safe_next(target: str | None) -> str | None:
    """Only a local path may be a redirect target (no open redirects)."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target


def landing_url() -> str:
    """Where a signed-in person starts: their only cooperative, else the chooser or their desk."""
    places = tenants.places_of(current_user.id)
    roles = {r.role for r in tenants.platform_roles_of(current_user.id)}
    if len(places) == 1 and not roles:
        return url_for("tenants.dashboard", tenant_slug=places[0].cooperative.slug)
    if not places and "platform_admin" in roles:
        return url_for("tenants.admin_cooperatives")
    if not places and "satgas" in roles:
        return url_for("tenants.satgas_home")
    return url_for("core.account")


@bp.get("/")
def home() -> Any:
    if current_user.is_authenticated:
        return redirect(landing_url())
    return render_template("core/home.html")


@bp.route("/masuk", methods=["GET", "POST"])
def login() -> Any:
    if request.method == "GET":
        return render_template("core/login.html", errors={}, form={"next": request.args.get("next")})
    try:
        data = load_form(LoginSchema())
        user = auth.authenticate(data["identifier"], data["password"], request.remote_addr)
    except ValidationError as err:
        return render_template("core/login.html", errors=form_messages(err), form=request.form), 422
    except DomainError as err:
        db.session.rollback()
        return render_template("core/login.html", errors=err.as_form_errors(), form=request.form), err.status
    session.clear()  # a fresh session on sign-in
    login_user(user)
    db.session.commit()
    return redirect(_safe_next(data.get("next")) or landing_url())


@bp.post("/keluar")
def logout() -> Any:
    logout_user()
    session.clear()
    flash(_("Anda sudah keluar."))
    return redirect(url_for("core.login"))


@bp.route("/lupa-sandi", methods=["GET", "POST"])
def forgot_password() -> Any:
    if request.method == "GET":
        return render_template("core/forgot.html", errors={}, form={}, sent=False)
    try:
        data = load_form(ResetRequestSchema())
    except ValidationError as err:
        return render_template(
            "core/forgot.html", errors=form_messages(err), form=request.form, sent=False
        ), 422
    auth.request_password_reset(data["identifier"])
    return render_template("core/forgot.html", errors={}, form={}, sent=True)


@bp.route("/atur-ulang-sandi/<token>", methods=["GET", "POST"])
def reset_password(token: str) -> Any:
    if request.method == "GET":
        return render_template("core/reset.html", errors={}, token=token)
    try:
        data = load_form(ResetSchema())
        if data["password"] != data["password_again"]:
            raise ValidationError({"password_again": [str(_l("Kata sandi tidak sama."))]})
        auth.reset_password(token, data["password"])
    except ValidationError as err:
        return render_template("core/reset.html", errors=form_messages(err), token=token), 422
    except DomainError as err:
        db.session.rollback()
        return render_template("core/reset.html", errors=err.as_form_errors(), token=token), err.status
    flash(_("Kata sandi sudah diganti. Silakan masuk."))
    return redirect(url_for("core.login"))


@bp.post("/bahasa")
def set_language() -> Any:
    data = load_form(LanguageSchema())
    session["locale"] = data["locale"]
    if current_user.is_authenticated:
        current_user.locale = data["locale"]
        db.session.commit()
    return redirect(_safe_next(data.get("next")) or url_for("core.home"))


def _account_page(
    errors: dict[str, Any] | None = None, new_secret: str | None = None, status: int = 200
) -> Any:
    from core.models import ApiToken

    tokens = db.session.scalars(
        db.select(ApiToken)
        .where(ApiToken.user_id == current_user.id, ApiToken.revoked_at.is_(None))
        .order_by(ApiToken.created_at.desc())
    ).all()
    return render_template(
        "core/account.html",
        places=tenants.places_of(current_user.id),
        tokens=tokens,
        errors=errors or {},
        new_secret=new_secret,
    ), status


@bp.get("/akun")
@login_required
def account() -> Any:
    return _account_page(new_secret=session.pop("new_api_token", None))


@bp.post("/akun/token")
@login_required
def create_token() -> Any:
    """Issue an API token for one of the person's cooperatives; the secret is shown once."""
    try:
        data = load_form(TokenSchema())
    except ValidationError as err:
        return _account_page(form_messages(err), status=422)
    if tenants.membership_of(current_user.id, data["cooperative_id"]) is None:
        return _account_page({"cooperative_id": [_("Anda bukan staf koperasi itu.")]}, status=422)
    _token, secret = auth.issue_api_token(current_user, data["name"], cooperative_id=data["cooperative_id"])
    session["new_api_token"] = secret  # shown once, after the redirect; a reload issues nothing
    return redirect(url_for("core.account"))
