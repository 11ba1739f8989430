"""Pages of a satgas (task force) for one cooperative of their region: its registry entry, its
formation stages with evidence, and the verify/return decision. Every cooperative here is reached
through `formation.cooperative_for_satgas`, which refuses those outside the satgas's region."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from marshmallow import ValidationError

from core.db import db
from core.errors import DomainError, form_messages
from core.permissions import requires
from core.schemas import load_form
from tenants import formation, regions, service
from tenants.models import STAGES
from tenants.registry import LABELS, private_file
from tenants.schemas import ReviewSchema

bp = Blueprint("satgas", __name__)


@bp.get("/satgas/koperasi/<int:cooperative_id>")
@requires("satgas.region")
def cooperative(cooperative_id: int) -> Any:
    return _page(cooperative_id)


def _page(
    cooperative_id: int, errors: dict[str, Any] | None = None, stage: str | None = None, status: int = 200
) -> Any:
    coop = formation.cooperative_for_satgas(current_user.id, cooperative_id)
    return render_template(
        "tenants/satgas_cooperative.html",
        coop=coop,
        path=regions.path_of(coop.village_code),
        legal=service.legal_data(),
        officers=service.officers(),
        units=service.business_units(),
        stages=formation.overview(),
        errors=errors or {},
        failed_stage=stage,
        labels=LABELS,
    ), status


@bp.post("/satgas/koperasi/<int:cooperative_id>/tahap/<stage>")
@requires("satgas.region")
def review(cooperative_id: int, stage: str) -> Any:
    if stage not in STAGES:
        abort(404)
    try:
        data = load_form(ReviewSchema())
        formation.review_stage(
            current_user.id,
            cooperative_id,
            stage,
            verify=data["decision"] == "verify",
            reason=data.get("reason"),
        )
    except ValidationError as err:
        return _page(cooperative_id, form_messages(err), stage, 422)
    except DomainError as err:
        db.session.rollback()
        if err.status == 404:
            raise
        return _page(cooperative_id, err.as_form_errors(), stage, err.status)
    if data["decision"] == "verify":
        flash(_("Tahap %(stage)s diverifikasi.", stage=formation.STAGE_LABELS[stage]))
    else:
        flash(_("Tahap %(stage)s dikembalikan ke koperasi.", stage=formation.STAGE_LABELS[stage]))
    return redirect(url_for("satgas.cooperative", cooperative_id=cooperative_id) + f"#{stage}")


@bp.get("/satgas/koperasi/<int:cooperative_id>/bukti/<int:evidence_id>")
@requires("satgas.region")
def evidence(cooperative_id: int, evidence_id: int) -> Any:
    formation.cooperative_for_satgas(current_user.id, cooperative_id)
    item, path = formation.evidence_file(evidence_id)
    return private_file(item, path)
