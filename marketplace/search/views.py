"""Kophub for buyers, public and without login: the search page (words, filters, facets, sort,
pages; works without JavaScript), a listing's page (photos, price tiers, origin, the cooperative's
microsite) and the listing photos (immutable, cached for a year)."""

from __future__ import annotations

from typing import Any

from babel.numbers import format_decimal
from flask import Blueprint, Response, abort, current_app, render_template, request, send_file, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from marshmallow import ValidationError

from core.db import db
from core.errors import form_messages
from marketplace.listings import service as listings
from marketplace.listings.models import CATEGORIES, CERTIFICATION_LABELS
from marketplace.listings.schemas import SearchFormSchema
from marketplace.search.port import SORTS, Query, Results, backend
from tenants import regions
from tenants.models import Cooperative

bp = Blueprint("kophub", __name__)


def _sort_labels() -> dict[str, str]:
    return {
        "relevance": _("Paling sesuai"),
        "price_asc": _("Harga terendah"),
        "price_desc": _("Harga tertinggi"),
        "newest": _("Terbaru"),
    }


def _query(args: dict[str, Any]) -> Query:
    return Query(
        text=args["q"],
        category=args["kategori"],
        province=args["provinsi"],
        regency=args["kabupaten"]
        if args["provinsi"] and (args["kabupaten"] or "").startswith(args["provinsi"])
        else None,
        price_min=args["harga_min"],
        price_max=args["harga_maks"],
        certification=args["sertifikasi"],
        in_stock=args["stok"],
        sort=args["urut"],
        page=args["hal"],
    )


@bp.get("/kophub/")
def search() -> Any:
    raw = {k: v for k, v in request.args.items() if v.strip() != ""}
    errors: dict[str, Any] = {}
    status = 200
    try:
        args = SearchFormSchema().load(raw)
    except ValidationError as err:
        errors, status = form_messages(err), 422
        args = SearchFormSchema().load({k: v for k, v in raw.items() if k not in err.messages})
    query = _query(args)
    results: Results = backend().search(query)
    codes = list(results.facets.province) + list(results.facets.regency)
    names = {code: path.names[0] for code, path in regions.paths_of(codes).items()} if codes else {}
    hit_places = regions.paths_of([h.regency_code for h in results.hits]) if results.hits else {}
    response = Response(
        render_template(
            "marketplace/search/search.html",
            results=results,
            query=query,
            args=raw,
            errors=errors,
            names=names,
            hit_places=hit_places,
            categories=CATEGORIES,
            cert_labels=CERTIFICATION_LABELS,
            sorts=SORTS,
            sort_labels=_sort_labels(),
            link=lambda **change: _link(raw, change),
        ),
        status,
    )
    response.headers["Cache-Control"] = "public, max-age=30"
    return response


def _link(current: dict[str, Any], change: dict[str, Any]) -> str:
    """The search URL with some parameters changed (None removes one); a new filter starts at page 1."""
    params = {**current}
    if "hal" not in change:
        params.pop("hal", None)
    for key, value in change.items():
        if value is None:
            params.pop(key, None)
        else:
            params[key] = value
    if "provinsi" in change:
        params.pop("kabupaten", None)
    return url_for("kophub.search", **params)


@bp.get("/kophub/p/<int:listing_id>")
def listing(listing_id: int) -> Any:
    found = listings.public_listing(listing_id)
    coop = db.session.get(Cooperative, found.tenant_id) or abort(404)
    path = regions.path_of(found.origin_village_code)
    quotes = [listings.price_for(found, found.min_order)] + [
        listings.price_for(found, tier.min_quantity) for tier in found.tiers
    ]
    response = Response(
        render_template(
            "marketplace/search/listing.html",
            listing=found,
            coop=coop,
            place=path,
            quotes=quotes,
            available=listings.available(found),
            categories=CATEGORIES,
            cert_labels=CERTIFICATION_LABELS,
            can_order="orders.put_in_cart" in current_app.view_functions,
        )
    )
    response.headers["Cache-Control"] = "public, max-age=30"
    return response


@bp.get("/kophub/foto/<int:tenant_id>/<token>-<size>.jpg")
def photo(tenant_id: int, token: str, size: str) -> Any:
    path = listings.photo_path(f"{tenant_id}/{token}", size)
    if path is None or not path.is_file():
        abort(404)
    response = send_file(path, mimetype="image/jpeg", max_age=365 * 24 * 3600, conditional=True)
    response.headers["Cache-Control"] = "public, max-age=31536000, immutable"
    return response


@bp.app_template_filter("kh_number")
def number(value: int) -> str:
    """A count as the buyer's language writes it (154.000 in Indonesian)."""
    return format_decimal(value, locale=str(get_locale() or "id"))


@bp.app_template_global()
def photo_url(storage_key: str, size: str = "s") -> str:
    tenant_id, _sep, token = storage_key.partition("/")
    return url_for("kophub.photo", tenant_id=int(tenant_id), token=token, size=size)
