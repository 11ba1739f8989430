"""Pages of self-registration and of the cooperative's own registry entry: sign up, register a
cooperative for a village, its profile (legal data, officers, business units), and its formation
stages with their evidence. Every URL of the area is listed here."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, g, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_user
from marshmallow import ValidationError

from core.db import db
from core.errors import DomainError, form_messages
from core.permissions import has_permission, menu_item, requires
from core.schemas import load_form
from tenants import formation, imports, regions, service
from tenants.models import (
    FORMATION_MODELS,
    OFFICER_POSITIONS,
    STAGES,
    UNIT_STATUSES,
    UNIT_TYPES,
    Cooperative,
)
from tenants.schemas import (
    LegalDataSchema,
    OfficerRemoveSchema,
    OfficerSchema,
    ProfileSchema,
    RegistrationSchema,
    SignUpSchema,
    StageSchema,
    UnitsSchema,
)
from tenants.views import _picker_state

bp = Blueprint("registry", __name__)

menu_item("registry.profile", _l("Profil koperasi"), "registry.view", tenant=True)
menu_item("registry.formation_page", _l("Pembentukan"), "registry.view", tenant=True)

FORMATION_MODEL_LABELS = {
    "pembentukan_baru": _l("Pembentukan baru"),
    "pengembangan": _l("Pengembangan koperasi yang ada (mis. KUD, KSP)"),
    "revitalisasi": _l("Revitalisasi koperasi yang tidak aktif"),
}
POSITION_LABELS = {
    "ketua": _l("Ketua"),
    "sekretaris": _l("Sekretaris"),
    "bendahara": _l("Bendahara"),
    "pengawas": _l("Pengawas"),
}
UNIT_LABELS = {
    "kantor": _l("Kantor koperasi"),
    "sembako": _l("Gerai sembako"),
    "simpan_pinjam": _l("Simpan pinjam"),
    "klinik": _l("Klinik desa"),
    "apotek": _l("Apotek desa"),
    "gudang": _l("Pergudangan / cold storage"),
    "logistik": _l("Logistik"),
}
UNIT_STATUS_LABELS = {
    "direncanakan": _l("Direncanakan"),
    "persiapan": _l("Persiapan"),
    "beroperasi": _l("Beroperasi"),
}
LABELS = {
    "models": FORMATION_MODEL_LABELS,
    "positions": POSITION_LABELS,
    "units": UNIT_LABELS,
    "unit_statuses": UNIT_STATUS_LABELS,
    "stages": formation.STAGE_LABELS,
    "stage_statuses": formation.STATUS_LABELS,
}


@bp.app_template_filter("stage_label")
def stage_label(stage: str | None) -> str:
    """A formation stage's name in the page's language (— for none)."""
    return str(formation.STAGE_LABELS[stage]) if stage in formation.STAGE_LABELS else "—"


# --- sign up and register -------------------------------------------------------------------


@bp.route("/daftar", methods=["GET", "POST"])
def sign_up() -> Any:
    """Create an account, then go on to register a cooperative."""
    if current_user.is_authenticated:
        return redirect(url_for("registry.register"))
    errors: dict[str, Any] = {}
    status = 200
    if request.method == "POST":
        try:
            data = load_form(SignUpSchema())
            user = service.sign_up(data["name"], data.get("email"), data.get("phone"), data["password"])
            login_user(user)
            flash(_("Akun dibuat. Sekarang daftarkan koperasi desa Anda."))
            return redirect(url_for("registry.register"))
        except ValidationError as err:
            errors, status = form_messages(err), 422
        except DomainError as err:
            db.session.rollback()
            errors, status = err.as_form_errors(), err.status
    return render_template("tenants/sign_up.html", errors=errors, form=request.form), status


@bp.route("/daftar-koperasi", methods=["GET", "POST"])
def register() -> Any:
    """Register the cooperative of a village; the registrant becomes its ketua."""
    if not current_user.is_authenticated:
        return redirect(url_for("registry.sign_up"))
    errors: dict[str, Any] = {}
    status = 200
    if request.method == "POST":
        try:
            data = load_form(RegistrationSchema())
            village_code = data.pop("village_code")
            coop = service.register_cooperative(current_user, village_code, **data)
            flash(
                _("%(name)s terdaftar. Lengkapi data badan hukum, pengurus, dan unit usaha.", name=coop.name)
            )
            return redirect(url_for("registry.profile", tenant_slug=coop.slug))
        except ValidationError as err:
            errors, status = form_messages(err), 422
        except DomainError as err:
            db.session.rollback()
            errors, status = err.as_form_errors(), err.status
    picker = _picker_state()
    village = picker["chosen"][4]
    region = regions.get(village) if village else None
    suggested = service.suggested_name(village) if region is not None and region.level == 4 else None
    return render_template(
        "tenants/register.html",
        picker=picker,
        errors=errors,
        form=request.form,
        suggested=suggested,
        models=FORMATION_MODELS,
        labels=LABELS,
    ), status


# --- the cooperative's registry entry -------------------------------------------------------


@bp.route("/k/<tenant_slug>/profil", methods=["GET", "POST"])
@requires("registry.view")
def profile() -> Any:
    coop: Cooperative = g.cooperative
    errors: dict[str, Any] = {}
    status = 200
    section = request.form.get("section") if request.method == "POST" else None
    if request.method == "POST":
        if not has_permission("registry.manage"):
            abort(403)
        try:
            if section == "profile":
                service.update_profile(coop, load_form(ProfileSchema()))
                flash(_("Data umum disimpan."))
            elif section == "legal":
                service.save_legal_data(load_form(LegalDataSchema()))
                flash(_("Data badan hukum disimpan."))
            elif section == "officer":
                data = load_form(OfficerSchema())
                service.add_officer(data["position"], data["name"], data["nik"])
                flash(_("Pengurus/pengawas ditambahkan."))
            elif section == "officer_remove":
                service.remove_officer(load_form(OfficerRemoveSchema())["officer_id"])
                flash(_("Pengurus/pengawas dihapus."))
            elif section == "units":
                schema = UnitsSchema()
                service.save_units(schema.units(load_form(schema)))
                flash(_("Unit usaha disimpan."))
            else:
                abort(400)
            return redirect(url_for("registry.profile") + f"#{section}")
        except ValidationError as err:
            errors, status = form_messages(err), 422
        except DomainError as err:
            db.session.rollback()
            errors, status = err.as_form_errors(), err.status
    return render_template(
        "tenants/profile.html",
        coop=coop,
        path=regions.path_of(coop.village_code),
        legal=service.legal_data(),
        officers=service.officers(),
        units=service.business_units(),
        can_manage=has_permission("registry.manage"),
        errors=errors,
        section=section,
        form=request.form,
        labels=LABELS,
        models=FORMATION_MODELS,
        positions=OFFICER_POSITIONS,
        unit_types=UNIT_TYPES,
        unit_statuses=UNIT_STATUSES,
        mask_nik=service.mask_nik,
        ppn_percent=service.ppn_percent,
    ), status


@bp.get("/k/<tenant_slug>/pembentukan")
@requires("registry.view")
def formation_page() -> Any:
    return _formation_page()


def _formation_page(errors: dict[str, Any] | None = None, stage: str | None = None, status: int = 200) -> Any:
    return render_template(
        "tenants/formation.html",
        coop=g.cooperative,
        stages=formation.overview(),
        can_manage=has_permission("registry.manage"),
        errors=errors or {},
        failed_stage=stage,
        form=request.form,
        labels=LABELS,
        max_mb=formation.MAX_EVIDENCE_BYTES // (1024 * 1024),
    ), status


@bp.post("/k/<tenant_slug>/pembentukan/<stage>")
@requires("registry.manage")
def save_stage(stage: str) -> Any:
    if stage not in STAGES:
        abort(404)
    try:
        data = load_form(StageSchema())
        upload = request.files.get("evidence")
        formation.save_stage(
            stage,
            held_on=data["held_on"],
            attendance=data.get("attendance"),
            notes=data.get("notes"),
            upload=(upload.filename, upload.stream) if upload and upload.filename else None,
            user_id=current_user.id,
        )
    except ValidationError as err:
        return _formation_page(form_messages(err), stage, 422)
    except DomainError as err:
        db.session.rollback()
        return _formation_page(err.as_form_errors(), stage, err.status)
    flash(_("Tahap %(stage)s disimpan.", stage=formation.STAGE_LABELS[stage]))
    return redirect(url_for("registry.formation_page") + f"#{stage}")


@bp.get("/k/<tenant_slug>/pembentukan/bukti/<int:evidence_id>")
@requires("registry.view")
def evidence(evidence_id: int) -> Any:
    item, path = formation.evidence_file(evidence_id)
    return private_file(item, path)


def private_file(item: Any, path: Any) -> Any:
    """An evidence file, never cached by shared caches, shown inline (its type was checked)."""
    response = send_file(path, mimetype=item.content_type, download_name=item.filename, max_age=0)
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["Content-Security-Policy"] = (
        "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'"
    )
    return response


# --- bulk import (platform admin) ------------------------------------------------------------


@bp.route("/admin/koperasi/impor", methods=["GET", "POST"])
@requires("platform.cooperatives")
def import_registry() -> Any:
    """Upload an existing registry (CSV/XLSX): all rows imported, or every problem listed."""
    problems: list[imports.Problem] = []
    status = 200
    if request.method == "POST":
        upload = request.files.get("registry")
        try:
            if upload is None or not upload.filename:
                raise imports.ImportRejected([imports.Problem(0, "file", _("Pilih berkas CSV atau XLSX."))])
            count = imports.import_registry(upload.filename, upload.read(imports.MAX_BYTES + 1), current_user)
            flash(_("%(n)s koperasi diimpor.", n=count))
            return redirect(url_for("tenants.admin_cooperatives"))
        except imports.ImportRejected as err:
            db.session.rollback()
            problems, status = err.problems, 422
    return render_template(
        "tenants/import.html", problems=problems, columns=imports.COLUMNS, max_rows=imports.MAX_ROWS
    ), status
