"""Region dashboards for the platform admin (the nation) and each satgas (their regions only):
counts from the rollups, drill-down nation → province → regency → district → village, lagging
cooperatives to follow up, and CSV/XLSX export of the table shown."""

from __future__ import annotations

import csv
import io
from typing import Any

from flask import Blueprint, Response, abort, render_template, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from marshmallow import fields, validate

from core.permissions import menu_item, requires
from core.schemas import FormSchema
from tenants import formation, regions, rollups
from tenants.models import FORMATION_MODELS, STAGES, UNIT_TYPES, RegionRollup
from tenants.registry import LABELS

bp = Blueprint("dashboards", __name__)

menu_item("dashboards.admin", _l("Dasbor nasional"), "platform.cooperatives", tenant=False)
menu_item("dashboards.satgas", _l("Dasbor wilayah"), "satgas.region", tenant=False)

LEVEL_LABELS = {
    0: _l("Nasional"),
    1: _l("Provinsi"),
    2: _l("Kabupaten/kota"),
    3: _l("Kecamatan"),
    4: _l("Desa"),
}


class DashboardQuerySchema(FormSchema):
    region = fields.String(
        load_default=None, validate=validate.Regexp(r"^(ID|\d{2}(\.\d{2}){0,2}(\.\d{4})?)$")
    )
    lagging = fields.Integer(load_default=None, validate=validate.OneOf((30, 60, 90)))
    format = fields.String(load_default=None, validate=validate.OneOf(("csv", "xlsx")))


@bp.get("/admin/dasbor")
@requires("platform.cooperatives")
def admin() -> Any:
    args = DashboardQuerySchema().load(request.args)
    return _dashboard(
        args, args["region"] or rollups.NATION, roots=[rollups.NATION], endpoint="dashboards.admin"
    )


@bp.get("/satgas/dasbor")
@requires("satgas.region")
def satgas() -> Any:
    args = DashboardQuerySchema().load(request.args)
    roots = formation.satgas_regions(current_user.id)
    region = args["region"] or (roots[0] if roots else None)
    if region is None or not (region in roots or formation.in_regions(region, roots)):
        abort(404)  # another region's numbers are not this satgas's to see
    return _dashboard(args, region, roots=roots, endpoint="dashboards.satgas")


def _dashboard(args: dict[str, Any], region: str, *, roots: list[str], endpoint: str) -> Any:
    data = rollups.region_dashboard(region)
    if args["format"]:
        return _export(region, data.children, args["format"])
    villages = (
        rollups.cooperatives_of_villages([c.region_code for c in data.children])
        if data.row is not None and data.row.level == 3
        else {}
    )
    names = regions.paths_of([c.region_code for c in data.children if c.region_code != rollups.NATION])
    crumbs = [] if region == rollups.NATION else regions.ancestors(region)
    if rollups.NATION not in roots:  # a satgas climbs no higher than their own region
        crumbs = [c for c in crumbs if c in roots or formation.in_regions(c, roots)]
    elif region != rollups.NATION:
        crumbs = [rollups.NATION, *crumbs]
    crumb_names = regions.paths_of([c for c in crumbs if c != rollups.NATION])
    return render_template(
        "tenants/region_dashboard.html",
        region=region,
        path=regions.path_of(region) if region != rollups.NATION else None,
        data=data,
        names=names,
        villages=villages,
        crumbs=crumbs,
        crumb_names=crumb_names,
        lagging_days=args["lagging"],
        lagging=rollups.lagging(region, args["lagging"]) if args["lagging"] else [],
        endpoint=endpoint,
        satgas_view=endpoint == "dashboards.satgas",
        stages=("belum", *STAGES),
        models=FORMATION_MODELS,
        unit_types=UNIT_TYPES,
        labels=LABELS,
        level_labels=LEVEL_LABELS,
        refreshed=rollups.last_refreshed(),
    )


def _export(region: str, rows: list[RegionRollup], fmt: str) -> Response:
    header = [
        _("Kode wilayah"),
        _("Wilayah"),
        _("Terdaftar"),
        _("Berbadan hukum"),
        _("Profil lengkap"),
        _("Aktif 30 hari"),
        _("Anggota"),
        *[str(LABELS["stages"].get(s, _("Belum ada tahap terverifikasi"))) for s in ("belum", *STAGES)],
        *[str(LABELS["models"][m]) for m in FORMATION_MODELS],
        *[str(LABELS["units"][u]) for u in UNIT_TYPES],
    ]
    paths = regions.paths_of([r.region_code for r in rows])
    table = [
        [
            r.region_code,
            paths[r.region_code].names[0] if r.region_code in paths else r.region_code,
            r.registered,
            r.legal_entities,
            r.microsite_filled,
            r.active_30d,
            r.members,
            *[r.by_stage.get(s, 0) for s in ("belum", *STAGES)],
            *[r.by_model.get(m, 0) for m in FORMATION_MODELS],
            *[r.by_unit.get(u, 0) for u in UNIT_TYPES],
        ]
        for r in rows
    ]
    filename = f"rollup-{region.replace('.', '')}.{fmt}"
    if fmt == "csv":
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(header)
        writer.writerows(table)
        body: bytes = out.getvalue().encode("utf-8-sig")  # the BOM lets spreadsheet programs read UTF-8
        mimetype = "text/csv"
    else:
        from openpyxl import Workbook

        book = Workbook(write_only=True)
        sheet = book.create_sheet(_("Rekap"))
        sheet.append(header)
        for line in table:
            sheet.append(line)
        buffer = io.BytesIO()
        book.save(buffer)
        body = buffer.getvalue()
        mimetype = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    response = Response(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
