"""Pages of the cooperative registry: platform admin (create cooperatives, invite their staff), the
cooperative's dashboard and staff, accepting an invitation, the satgas's region list, and the
region picker that works without JavaScript."""

from __future__ import annotations

from typing import Any

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_user
from marshmallow import ValidationError
from sqlalchemy import select

from core import audit
from core.dashboard import tile, visible_tiles
from core.db import db
from core.errors import DomainError, form_messages
from core.permissions import ROLE_LABELS, menu_item, platform_roles, requires
from core.schemas import load_form
from tenants import context as tenant_context
from tenants import regions, service
from tenants.models import COOPERATIVE_ROLES, Cooperative
from tenants.schemas import AcceptSchema, CooperativeCreateSchema, InvitationSchema, RolesSchema

bp = Blueprint("tenants", __name__)

menu_item("tenants.dashboard", _l("Beranda"), "dashboard.view", tenant=True)
menu_item("tenants.staff", _l("Staf & peran"), "staff.view", tenant=True)
menu_item("tenants.audit_log", _l("Log audit"), "audit.view", tenant=True)
menu_item("tenants.admin_cooperatives", _l("Koperasi"), "platform.cooperatives", tenant=False)
menu_item("tenants.satgas_home", _l("Wilayah saya"), "satgas.region", tenant=False)


def public_tenant_view(view: Any) -> Any:
    """Mark a `/k/<slug>/…` view that anyone may open (the tenant is set, no membership needed)."""
    view.public_tenant = True
    return view


def _picker_state() -> dict[str, Any]:
    """The region picker's chosen codes and options, from the query string or the form."""
    source = request.values
    chosen = {
        level: source.get(name) or None
        for level, name in ((1, "province"), (2, "regency"), (3, "district"), (4, "village_code"))
    }
    options = {1: regions.children(None)}
    for level in (1, 2, 3):
        code = chosen[level]
        if code and regions.get(code) is not None:
            options[level + 1] = regions.children(code)
        else:
            break
    return {"chosen": chosen, "options": options}


# --- platform admin -------------------------------------------------------------------------


@bp.route("/admin/koperasi", methods=["GET", "POST"])
@requires("platform.cooperatives")
def admin_cooperatives() -> Any:
    errors: dict[str, Any] = {}
    status = 200
    if request.method == "POST" and "create" in request.form:
        try:
            data = load_form(CooperativeCreateSchema())
            coop = service.create_cooperative(data["village_code"], data.get("name"), current_user)
            flash(_("%(name)s dibuat.", name=coop.name))
            return redirect(url_for("tenants.admin_cooperative", cooperative_id=coop.id))
        except ValidationError as err:
            errors, status = form_messages(err), 422
        except DomainError as err:
            db.session.rollback()
            errors, status = err.as_form_errors(), err.status
    q = request.args.get("q", "").strip()[:80]
    stmt = select(Cooperative).order_by(Cooperative.created_at.desc()).limit(100)
    if q:
        stmt = stmt.where(Cooperative.name.ilike(f"%{q}%"))
    coops = list(db.session.scalars(stmt))
    paths = regions.paths_of([c.village_code for c in coops])
    picker = _picker_state()
    suggested = None
    village = picker["chosen"][4]
    if village and regions.get(village) is not None and regions.get(village).level == 4:  # type: ignore[union-attr]
        suggested = service.suggested_name(village)
    return render_template(
        "tenants/admin_cooperatives.html",
        coops=coops,
        paths=paths,
        picker=picker,
        errors=errors,
        suggested=suggested,
        q=q,
        form=request.form,
    ), status


@bp.route("/admin/koperasi/<int:cooperative_id>", methods=["GET", "POST"])
@requires("platform.cooperatives")
def admin_cooperative(cooperative_id: int) -> Any:
    coop = db.session.get(Cooperative, cooperative_id) or abort(404)
    tenant_context.activate(coop.id)  # the platform admin acts inside this cooperative, by name
    return _staff_page(coop, template="tenants/admin_cooperative.html")


# --- inside a cooperative -------------------------------------------------------------------


@bp.get("/k/<tenant_slug>/")
@requires("dashboard.view")
def dashboard() -> Any:
    coop: Cooperative = g.cooperative
    if set(g.membership.roles) == {"anggota"} and "portal.home" in current_app.view_functions:
        return redirect(url_for("portal.home"))  # a member's home is their own savings
    return render_template(
        "tenants/dashboard.html", coop=coop, path=regions.path_of(coop.village_code), tiles=visible_tiles()
    )


def _staff_count() -> int:
    return service.staff_count(g.cooperative.id)


tile(_l("Staf"), "staff.view", _staff_count, endpoint="tenants.staff")
tile(
    _l("Undangan terbuka"), "staff.view", lambda: len(service.pending_invitations()), endpoint="tenants.staff"
)


@bp.route("/k/<tenant_slug>/staf", methods=["GET", "POST"])
@requires("staff.view")
def staff() -> Any:
    return _staff_page(g.cooperative, template="tenants/staff.html")


def _staff_page(coop: Cooperative, template: str) -> Any:
    """Staff list with the invite and role forms; shared by the cooperative and the platform admin."""
    from core.permissions import has_permission

    errors: dict[str, Any] = {}
    status = 200
    new_link = session.pop("invitation_link", None) if request.method == "GET" else None
    can_manage = has_permission("staff.manage") or has_permission("platform.cooperatives")
    if request.method == "POST":
        if not can_manage:
            abort(403)
        try:
            if "invite" in request.form:
                data = load_form(InvitationSchema())
                _invitation, link = service.invite_staff(
                    coop,
                    email=data.get("email"),
                    phone=data.get("phone"),
                    roles=data["roles"],
                    invited_by=current_user,
                )
                flash(_("Undangan dibuat. Kirim tautannya kepada orang yang diundang."))
                session["invitation_link"] = link  # shown once, after the redirect
                return redirect(request.path)
            elif "set_roles" in request.form:
                data = load_form(RolesSchema())
                service.set_roles(coop, data["user_id"], data["roles"])
                flash(_("Peran diperbarui."))
                return redirect(request.path)
        except ValidationError as err:
            errors, status = form_messages(err), 422
        except DomainError as err:
            db.session.rollback()
            errors, status = err.as_form_errors(), err.status
    return render_template(
        template,
        coop=coop,
        staff=service.staff_of(coop.id),
        invitations=service.pending_invitations(),
        roles=COOPERATIVE_ROLES,
        role_labels=ROLE_LABELS,
        errors=errors,
        new_link=new_link,
        can_manage=can_manage,
        form=request.form,
        path=regions.path_of(coop.village_code),
    ), status


@bp.route("/k/<tenant_slug>/undangan/<token>", methods=["GET", "POST"])
@public_tenant_view
def accept_invitation(token: str) -> Any:
    coop: Cooperative = g.cooperative
    errors: dict[str, Any] = {}
    status = 200
    try:
        invitation = service.open_invitation(token)
    except DomainError as err:
        return render_template("tenants/invitation_invalid.html", coop=coop, message=err.message), 410
    if request.method == "POST":
        try:
            if current_user.is_authenticated:
                service.accept_invitation(coop, token, user=current_user)
            else:
                data = load_form(AcceptSchema())
                user = service.accept_invitation(
                    coop, token, user=None, name=data["name"], password=data["password"]
                )
                login_user(user)
            flash(_("Selamat bergabung dengan %(name)s.", name=coop.name))
            return redirect(url_for("tenants.dashboard", tenant_slug=coop.slug))
        except ValidationError as err:
            errors, status = form_messages(err), 422
        except DomainError as err:
            db.session.rollback()
            errors, status = err.as_form_errors(), err.status
    return render_template(
        "tenants/accept.html",
        coop=coop,
        invitation=invitation,
        errors=errors,
        role_labels=ROLE_LABELS,
        form=request.form,
    ), status


@bp.get("/k/<tenant_slug>/audit")
@requires("audit.view")
def audit_log() -> Any:
    entries = audit.entries_for_cooperative(g.cooperative.id)
    return render_template("tenants/audit.html", coop=g.cooperative, entries=entries)


# --- satgas ---------------------------------------------------------------------------------


@bp.get("/satgas")
@requires("satgas.region")
def satgas_home() -> Any:
    """Cooperatives in the satgas's regions (a named cross-tenant read of the registry)."""
    codes = sorted({r.region_code for r in platform_roles() if r.role == "satgas" and r.region_code})
    areas = regions.paths_of(codes)
    condition = None
    for code in codes:
        clause = Cooperative.village_code.startswith(code + ".", autoescape=True)
        condition = clause if condition is None else condition | clause
    coops = (
        list(db.session.scalars(select(Cooperative).where(condition).order_by(Cooperative.name).limit(500)))
        if condition is not None
        else []
    )
    return render_template(
        "tenants/satgas.html",
        areas=[areas[c] for c in codes if c in areas],
        coops=coops,
        paths=regions.paths_of([c.village_code for c in coops]),
    )
