"""The public face of each cooperative: its microsite `/koperasi/<slug>` (light, no JavaScript,
OpenGraph tags), a printable QR poster linking to it, and the directory of all cooperatives."""

from __future__ import annotations

from typing import Any

import qrcode
import qrcode.image.svg
from flask import Blueprint, Response, abort, render_template, request, url_for
from marshmallow import ValidationError

from tenants import regions, service
from tenants.registry import LABELS
from tenants.schemas import DirectoryQuerySchema

bp = Blueprint("microsite", __name__)


@bp.get("/koperasi")
def directory() -> Any:
    try:
        args = DirectoryQuerySchema().load(request.args)
    except ValidationError:
        args = {"q": "", "region": None, "regency": None, "page": 1}
    query, region, regency = args["q"].strip(), args["region"], args["regency"]
    if region and regency and regency.startswith(region[:2] + "."):
        region = regency
    coops, total = service.directory(query, region, args["page"])
    provinces = regions.children(None)
    return render_template(
        "tenants/directory.html",
        coops=coops,
        total=total,
        paths=regions.paths_of([c.village_code for c in coops]),
        provinces=provinces,
        regencies=regions.children(region[:2]) if region else [],
        q=query,
        region=region or "",
        page=args["page"],
        pages=max(1, -(-total // service.DIRECTORY_PAGE)),
        labels=LABELS,
    )


@bp.get("/koperasi/<slug>")
def microsite(slug: str) -> Any:
    profile = service.public_profile(slug) or abort(404)
    response = Response(
        render_template(
            "tenants/microsite.html",
            p=profile,
            coop=profile.cooperative,
            url=url_for("microsite.microsite", slug=slug, _external=True),
            labels=LABELS,
        )
    )
    response.headers["Cache-Control"] = "public, max-age=300"
    return response


@bp.get("/koperasi/<slug>/poster")
def poster(slug: str) -> Any:
    coop = service.cooperative_by_slug(slug) or abort(404)
    return render_template(
        "tenants/poster.html",
        coop=coop,
        region=regions.path_of(coop.village_code),
        url=url_for("microsite.microsite", slug=slug, _external=True),
    )


@bp.get("/koperasi/<slug>/qr.svg")
def qr_code(slug: str) -> Any:
    """The QR code of the microsite's address, as SVG (sharp at any print size)."""
    coop = service.cooperative_by_slug(slug) or abort(404)
    url = url_for("microsite.microsite", slug=coop.slug, _external=True)
    image = qrcode.make(url, image_factory=qrcode.image.svg.SvgPathImage, box_size=10, border=2)
    response = Response(image.to_string(), mimetype="image/svg+xml")
    response.headers["Cache-Control"] = "public, max-age=86400"
    return response
