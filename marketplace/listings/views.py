"""The cooperative's Kophub pages (staff, under /k/<slug>/kophub/penawaran/): its listings with
what each can sell now, publishing a product from stock, editing, photos, pause, resume and
unpublish."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from marshmallow import ValidationError

from core.dashboard import tile
from core.db import db
from core.errors import DomainError, form_messages
from core.permissions import menu_item, requires
from core.schemas import load_form
from erp.inventory import service as inventory
from marketplace.listings import service
from marketplace.listings.models import CATEGORIES, CERTIFICATION_LABELS, STATUS_LABELS, Listing
from marketplace.listings.schemas import ListingFormSchema, PhotoSchema, StatusSchema, to_input

bp = Blueprint("listings", __name__)

menu_item("listings.index", _l("Kophub"), "kophub.listings.view", tenant=True)
tile(
    _l("Penawaran tayang di Kophub"), "kophub.listings.view", service.listing_count, endpoint="listings.index"
)


def _labels() -> dict[str, Any]:
    return {"categories": CATEGORIES, "cert_labels": CERTIFICATION_LABELS, "status_labels": STATUS_LABELS}


@bp.get("/k/<tenant_slug>/kophub/penawaran/")
@requires("kophub.listings.view")
def index() -> Any:
    rows = service.listings()
    return render_template(
        "marketplace/listings/index.html",
        rows=[(listing, service.available(listing)) for listing in rows],
        **_labels(),
    )


def _form(listing: Listing | None, values: dict[str, Any], errors: dict[str, Any], status: int) -> Any:
    return (
        render_template(
            "marketplace/listings/form.html",
            listing=listing,
            values=values,
            errors=errors,
            products=inventory.products(),
            locations=inventory.locations(),
            available=service.available(listing) if listing is not None else None,
            **_labels(),
        ),
        status,
    )


def _values(listing: Listing) -> dict[str, Any]:
    values: dict[str, Any] = {
        "product_id": listing.product_id,
        "location_id": listing.location_id,
        "title": listing.title,
        "description": listing.description,
        "category": listing.category,
        "grade": listing.grade or "",
        "price": listing.price,
        "min_order": listing.min_order,
        "quantity_cap": listing.quantity_cap or "",
        "harvested_on": listing.harvested_on.isoformat() if listing.harvested_on else "",
    }
    for n, tier in enumerate(listing.tiers[:3], start=1):
        values[f"tier_quantity_{n}"], values[f"tier_price_{n}"] = tier.min_quantity, tier.price
    for cert in listing.certifications:
        values[f"cert_{cert.kind}"] = cert.number
    return values


@bp.get("/k/<tenant_slug>/kophub/penawaran/baru")
@requires("kophub.listings.manage")
def new() -> Any:
    return _form(None, {"min_order": 1}, {}, 200)


@bp.post("/k/<tenant_slug>/kophub/penawaran/baru")
@requires("kophub.listings.manage")
def publish() -> Any:
    try:
        listing = service.publish(to_input(load_form(ListingFormSchema())), user_id=current_user.id)
    except ValidationError as err:
        return _form(None, request.form.to_dict(), form_messages(err), 422)
    except DomainError as err:
        db.session.rollback()
        return _form(None, request.form.to_dict(), err.as_form_errors(), err.status)
    flash(_("Penawaran %(title)s tayang di Kophub.", title=listing.title))
    return redirect(url_for("listings.edit", listing_id=listing.id), 303)


@bp.get("/k/<tenant_slug>/kophub/penawaran/<int:listing_id>")
@requires("kophub.listings.view")
def edit(listing_id: int) -> Any:
    listing = service.get_listing(listing_id)
    return _form(listing, _values(listing), {}, 200)


@bp.post("/k/<tenant_slug>/kophub/penawaran/<int:listing_id>")
@requires("kophub.listings.manage")
def update(listing_id: int) -> Any:
    listing = service.get_listing(listing_id)
    try:
        service.update_listing(listing.id, to_input(load_form(ListingFormSchema())))
    except ValidationError as err:
        return _form(listing, request.form.to_dict(), form_messages(err), 422)
    except DomainError as err:
        db.session.rollback()
        return _form(
            service.get_listing(listing_id), request.form.to_dict(), err.as_form_errors(), err.status
        )
    flash(_("Penawaran disimpan."))
    return redirect(url_for("listings.edit", listing_id=listing_id), 303)


@bp.post("/k/<tenant_slug>/kophub/penawaran/<int:listing_id>/status")
@requires("kophub.listings.manage")
def change_status(listing_id: int) -> Any:
    listing = service.get_listing(listing_id)
    try:
        action = load_form(StatusSchema())["action"]
        service.change_status(listing.id, action)
    except ValidationError as err:
        return _form(listing, _values(listing), form_messages(err), 422)
    except DomainError as err:
        db.session.rollback()
        return _form(service.get_listing(listing_id), _values(listing), err.as_form_errors(), err.status)
    messages = {
        "pause": _("Penawaran dijeda: tidak tampil di pencarian sampai dilanjutkan."),
        "resume": _("Penawaran tayang kembali."),
        "unpublish": _("Penawaran ditarik dari Kophub."),
    }
    flash(messages[action])
    return redirect(url_for("listings.edit", listing_id=listing_id), 303)


@bp.post("/k/<tenant_slug>/kophub/penawaran/<int:listing_id>/foto")
@requires("kophub.listings.manage")
def add_photo(listing_id: int) -> Any:
    listing = service.get_listing(listing_id)
    upload = request.files.get("photo")
    try:
        if upload is None or not upload.filename:
            raise service.PhotoRefused(_l("Pilih berkas foto."), {"photo": [_("Wajib diisi.")]})
        service.add_photo(listing.id, upload.stream)
    except DomainError as err:
        db.session.rollback()
        return _form(service.get_listing(listing_id), _values(listing), err.as_form_errors(), err.status)
    flash(_("Foto ditambahkan."))
    return redirect(url_for("listings.edit", listing_id=listing_id), 303)


@bp.post("/k/<tenant_slug>/kophub/penawaran/<int:listing_id>/foto/hapus")
@requires("kophub.listings.manage")
def remove_photo(listing_id: int) -> Any:
    listing = service.get_listing(listing_id)
    try:
        service.remove_photo(listing.id, load_form(PhotoSchema())["photo_id"])
    except ValidationError as err:
        return _form(listing, _values(listing), form_messages(err), 422)
    flash(_("Foto dihapus."))
    return redirect(url_for("listings.edit", listing_id=listing_id), 303)
