"""Pages of the member register: the list, an application, a member's page with the pengurus's
decisions, full personal data (audited), the member card, and the bulk import."""

from __future__ import annotations

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
from core.personal import mask_phone
from core.schemas import FormSchema, load_form
from erp.membership import documents, service
from erp.membership.models import MemberStatus
from erp.membership.schemas import (
    DeathSchema,
    MemberSchema,
    PortalAccessSchema,
    ReasonSchema,
    RefusalSchema,
    mask_nik,
)

bp = Blueprint("membership", __name__)

menu_item("membership.members", _l("Anggota"), "member.view", tenant=True)
tile(
    _l("Anggota aktif"),
    "member.view",
    lambda: service.counts_by_status().get("active", 0),
    endpoint="membership.members",
)
tile(
    _l("Permohonan menunggu"),
    "member.approve",
    lambda: service.counts_by_status().get("applied", 0),
    endpoint="membership.members",
)

MAX_UPLOAD = 5 * 1024 * 1024


@bp.app_template_filter("mask_nik")
def _mask_nik(nik: str | None) -> str:
    return mask_nik(nik)


@bp.app_template_filter("tanggal")
def _tanggal(day: Any) -> str:
    return format_date(day, "d MMMM y") if day else ""


@bp.app_template_global("has_permission")
def _has_permission(permission: str) -> bool:
    return has_permission(permission)


@bp.app_template_global("member_status_label")
def _status_label(status: str) -> Any:
    return service.status_label(status)


@bp.get("/k/<tenant_slug>/anggota/")
@requires("member.view")
def members() -> Any:
    status = request.args.get("status") or None
    if status not in {s.value for s in MemberStatus}:
        status = None
    query = request.args.get("q", "").strip()[:80]
    return render_template(
        "membership/members.html",
        members=service.list_members(status, query),
        counts=service.counts_by_status(),
        status=status,
        q=query,
        statuses=list(MemberStatus),
    )


@bp.route("/k/<tenant_slug>/anggota/daftar", methods=["GET", "POST"])
@requires("member.manage")
def apply() -> Any:
    errors: dict[str, Any] = {}
    status = 200
    if request.method == "POST":
        try:
            member = service.apply(load_form(MemberSchema()))
            flash(_("Permohonan %(name)s dicatat; menunggu keputusan pengurus.", name=member.name))
            return redirect(url_for("membership.member", member_id=member.id))
        except ValidationError as err:
            errors, status = form_messages(err), 422
        except DomainError as err:
            db.session.rollback()
            errors, status = err.as_form_errors(), err.status
    return render_template(
        "membership/apply.html", errors=errors, form=request.form, coop=g.cooperative
    ), status


@bp.get("/k/<tenant_slug>/anggota/<int:member_id>")
@requires("member.view")
def member(member_id: int) -> Any:
    return _member_page(member_id)


def _member_page(member_id: int, errors: dict[str, Any] | None = None, status: int = 200) -> Any:
    from erp.savings import service as savings

    found = service.get_member(member_id)
    return render_template(
        "membership/member.html",
        member=found,
        accounts=savings.member_accounts(found.id),
        errors=errors or {},
        form=request.form,
        can_decide=has_permission("member.approve"),
        can_manage=has_permission("member.manage"),
        can_see_personal=has_permission("member.personal"),
        has_photo=has_permission(PHOTO_PERMISSION) and service.has_photo(found.id),
        can_photo=has_permission(PHOTO_PERMISSION),
        phone=mask_phone(found.phone),
    ), status


# A member's photo is personal data: seen and changed only by those who keep the register.
PHOTO_PERMISSION = "member.manage"


@bp.post("/k/<tenant_slug>/anggota/<int:member_id>/foto")
@requires(PHOTO_PERMISSION)
def photo_upload(member_id: int) -> Any:
    """Upload a photo (or, with `hapus`, remove it). A bad file re-shows the page with the
    reason and changes nothing."""
    load_form(FormSchema())  # the CSRF token, checked like every form
    service.get_member(member_id)
    try:
        if "hapus" in request.form:
            service.remove_photo(member_id, by=current_user.id)
            flash(_("Foto anggota dihapus."))
        else:
            upload = request.files.get("photo")
            if upload is None or not upload.filename:
                message = _("Pilih foto JPEG atau PNG.")
                return _member_page(member_id, {"foto": {"photo": [message], "_": [message]}}, 422)
            service.set_photo(member_id, upload.read(service.PHOTO_UPLOAD_LIMIT + 1), by=current_user.id)
            flash(_("Foto anggota disimpan."))
    except DomainError as err:
        db.session.rollback()
        return _member_page(member_id, {"foto": err.as_form_errors()}, err.status)
    return redirect(url_for("membership.member", member_id=member_id))


@bp.get("/k/<tenant_slug>/anggota/<int:member_id>/foto.jpg")
@requires(PHOTO_PERMISSION)
def photo(member_id: int) -> Any:
    found = service.photo_of(member_id)
    if found is None:
        abort(404)
    response = Response(found.jpeg, mimetype="image/jpeg")
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


@bp.get("/k/<tenant_slug>/anggota/<int:member_id>/lengkap")
@requires("member.personal")
def personal(member_id: int) -> Any:
    found = service.view_personal_data(member_id, purpose="pengurus")
    return render_template("membership/personal.html", member=found)


_ACTIONS: dict[str, tuple[str, Any, Any, Any]] = {
    "setujui": ("member.approve", None, lambda m, d: service.approve(m), _l("Anggota disetujui.")),
    "tolak": (
        "member.approve",
        RefusalSchema,
        lambda m, d: service.refuse(m, d["reason"]),
        _l("Permohonan ditolak."),
    ),
    "skors": (
        "member.approve",
        ReasonSchema,
        lambda m, d: service.suspend(m, d["reason"]),
        _l("Keanggotaan diberhentikan sementara."),
    ),
    "aktifkan": ("member.approve", None, lambda m, d: service.reinstate(m), _l("Keanggotaan aktif kembali.")),
    "keluar": (
        "member.approve",
        ReasonSchema,
        lambda m, d: service.resign(m, d["reason"], on=d.get("on")),
        _l("Anggota keluar; simpanan dikembalikan."),
    ),
    "meninggal": (
        "member.approve",
        DeathSchema,
        lambda m, d: service.record_death(m, d["heir_name"], d.get("heir_nik"), d["on"]),
        _l("Kematian dicatat; simpanan diserahkan kepada ahli waris."),
    ),
    "akses-portal": (
        "member.manage",
        PortalAccessSchema,
        lambda m, d: service.grant_portal_access(m, d["pin"]),
        _l("Akses portal anggota dibuat: masuk dengan nomor HP dan PIN."),
    ),
}


@bp.post("/k/<tenant_slug>/anggota/<int:member_id>/<action>")
@requires("member.view")
def decide(member_id: int, action: str) -> Any:
    if action not in _ACTIONS:
        abort(404)
    permission, schema, operation, done = _ACTIONS[action]
    if not has_permission(permission):
        abort(403)
    service.get_member(member_id)
    try:
        data = load_form(schema()) if schema else {}
        operation(member_id, data)
    except ValidationError as err:
        return _member_page(member_id, {action: form_messages(err)}, 422)
    except DomainError as err:
        db.session.rollback()
        return _member_page(member_id, {action: err.as_form_errors()}, err.status)
    flash(str(done))
    return redirect(url_for("membership.member", member_id=member_id))


@bp.get("/k/<tenant_slug>/anggota/<int:member_id>/kartu.pdf")
@requires("member.view")
def card(member_id: int) -> Any:
    found = service.get_member(member_id)
    if found.member_number is None:
        abort(404)
    # The photo is printed only for those allowed to see it; others print the card without it.
    picture = service.photo_of(found.id) if has_permission(PHOTO_PERMISSION) else None
    card_pdf = documents.member_card(found, g.cooperative, picture.jpeg if picture else None)
    return _pdf(card_pdf, f"kartu-{found.member_number}.pdf")


@bp.route("/k/<tenant_slug>/anggota/impor", methods=["GET", "POST"])
@requires("member.manage")
def import_members() -> Any:
    problems: list[service.ImportProblem] = []
    message = None
    status = 200
    if request.method == "POST":
        upload = request.files.get("file")
        if upload is None or not upload.filename:
            message, status = _("Pilih berkas CSV atau XLSX."), 422
        else:
            content = upload.read(MAX_UPLOAD + 1)
            try:
                if len(content) > MAX_UPLOAD:
                    raise service.ImportRejected(
                        [service.ImportProblem(0, "file", _("Berkas lebih dari 5 MB."))]
                    )
                rows = service.read_import_file(upload.filename, content)
                count = service.import_members(rows)
                flash(_("%(n)s anggota diimpor.", n=count))
                return redirect(url_for("membership.members"))
            except service.ImportRejected as err:
                db.session.rollback()
                problems, message, status = err.problems, err.message, 422
    return render_template(
        "membership/import.html", problems=problems, message=message, columns=service.IMPORT_COLUMNS
    ), status


def _pdf(content: bytes, filename: str) -> Response:
    response = Response(content, mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'inline; filename="{filename}"'
    response.headers["Cache-Control"] = "private, no-store"
    return response
