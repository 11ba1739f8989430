"""Pages of the gudang: products with on-hand and HET, adding a product, receiving goods, and a
product's stock card."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from marshmallow import ValidationError

from core.dashboard import tile
from core.db import db
from core.errors import DomainError, form_messages, refused
from core.images import PhotoRefused
from core.permissions import has_permission, menu_item, requires
from core.schemas import load_form
from erp.inventory import lots, opname, photos, service
from erp.inventory.schemas import (
    CommoditySchema,
    ExpiringSchema,
    HetCapSchema,
    LotTrackingSchema,
    LpgQuotaSchema,
    OpnameLinesSchema,
    OpnameSearchSchema,
    ProductPhotoSchema,
    ProductSchema,
    ProductTaxSchema,
    RdkkSchema,
    ReceiptSchema,
    ReorderSchema,
    StartOpnameSchema,
    TransferSchema,
    UnitSchema,
    counts_schema,
)
from tenants import regions
from tenants.service import ppn_percent, tax_status

bp = Blueprint("inventory", __name__)

menu_item("inventory.index", _l("Gudang"), "inventory.view", tenant=True)
menu_item("inventory.het_caps", _l("HET"), "platform.het", tenant=False)
tile(
    _l("Nilai persediaan sembako"),
    "inventory.view",
    service.stock_value,
    endpoint="inventory.index",
    money=True,
)


@bp.get("/k/<tenant_slug>/gudang/")
@requires("inventory.view")
def index() -> Any:
    return _page({}, 200)


def _page(errors: dict[str, Any], status: int) -> Any:
    products = service.products()
    stock = service.on_hand_by_product()
    return (
        render_template(
            "inventory/index.html",
            products=products,
            stock=stock,
            hets=service.hets_of(products),
            locations=service.locations(),
            unit_names=service.unit_names(),
            commodities=service.COMMODITY_LABELS,
            errors=errors,
        ),
        status,
    )


@bp.post("/k/<tenant_slug>/gudang/lokasi")
@requires("inventory.manage")
def set_up_locations() -> Any:
    service.ensure_default_locations()
    flash(_("Lokasi gerai dan gudang siap."))
    return redirect(url_for("inventory.index"), 303)


@bp.post("/k/<tenant_slug>/gudang/barang")
@requires("inventory.manage")
def add_product() -> Any:
    try:
        data = load_form(ProductSchema())
        product = service.add_product(**data)
    except ValidationError as err:
        return _page(form_messages(err), 422)
    except DomainError as err:
        return _page(refused(err), 422)
    flash(_("Barang %(name)s ditambahkan.", name=product.name))
    return redirect(url_for("inventory.index"), 303)


@bp.post("/k/<tenant_slug>/gudang/terima")
@requires("inventory.manage")
def receive() -> Any:
    try:
        data = load_form(ReceiptSchema())
        service.receive(
            data["product_id"],
            service.default_location().id,
            data["quantity"],
            data["total_cost"],
            on_credit=data["on_credit"],
            idempotency_key=data["idempotency_key"],
            user_id=current_user.id,
            unit=data["unit"],
            lot=data["lot"],
            expires_on=data["expires_on"],
        )
    except ValidationError as err:
        return _page(form_messages(err), 422)
    except DomainError as err:
        return _page(refused(err), 422)
    flash(_("Penerimaan barang dicatat."))
    return redirect(url_for("inventory.index"), 303)


@bp.post("/k/<tenant_slug>/gudang/pindah")
@requires("inventory.manage")
def transfer() -> Any:
    try:
        data = load_form(TransferSchema())
        service.transfer(
            data["product_id"],
            data["from_location_id"],
            data["to_location_id"],
            data["quantity"],
            idempotency_key=data["idempotency_key"],
            user_id=current_user.id,
            unit=data["unit"],
        )
    except ValidationError as err:
        return _page(form_messages(err), 422)
    except DomainError as err:
        return _page(refused(err), 422)
    flash(_("Pemindahan stok dicatat."))
    return redirect(url_for("inventory.index"), 303)


@bp.get("/k/<tenant_slug>/gudang/stok-menipis")
@requires("inventory.view")
def reorder_alerts() -> Any:
    return render_template("inventory/reorder.html", alerts=service.reorder_alerts())


@bp.post("/k/<tenant_slug>/gudang/barang/<int:product_id>/titik-pesan")
@requires("inventory.manage")
def set_reorder_point(product_id: int) -> Any:
    try:
        data = load_form(ReorderSchema())
        service.set_reorder_point(product_id, data["reorder_point"])
    except ValidationError as err:
        return _card(product_id, form_messages(err), 422)
    except DomainError as err:
        return _card(product_id, refused(err), 422)
    flash(_("Titik pesan ulang disimpan."))
    return redirect(url_for("inventory.stock_card", product_id=product_id), 303)


@bp.post("/k/<tenant_slug>/gudang/barang/<int:product_id>/komoditas")
@requires("inventory.manage")
def set_commodity(product_id: int) -> Any:
    try:
        data = load_form(CommoditySchema())
        product = service.set_commodity(product_id, data["commodity"], data["commodity_units"])
    except ValidationError as err:
        return _card(product_id, form_messages(err), 422)
    except DomainError as err:
        return _card(product_id, refused(err), 422)
    flash(_("Komoditas HET %(name)s disimpan.", name=product.name))
    return redirect(url_for("inventory.stock_card", product_id=product_id), 303)


@bp.get("/k/<tenant_slug>/gudang/barang/<int:product_id>")
@requires("inventory.view")
def stock_card(product_id: int) -> Any:
    return _card(product_id, {}, 200)


def _card(product_id: int, errors: dict[str, Any], status: int) -> Any:
    product = service.get_product(product_id)
    moves = service.stock_card(product.id)
    return (
        render_template(
            "inventory/card.html",
            product=product,
            moves=moves,
            move_lots=lots.codes_of({m.lot_id for m in moves if m.lot_id is not None}),
            lots=lots.lots_of(product.id) if product.tracks_lots else [],
            on_hand=service.on_hand(product.id),
            today=date.today(),
            units=service.units_of(product.id),
            commodities=service.COMMODITY_LABELS,
            het=service.het_for(product),
            tax=tax_status(),
            ppn_percent=ppn_percent,
            errors=errors,
        ),
        status,
    )


@bp.post("/k/<tenant_slug>/gudang/barang/<int:product_id>/lot")
@requires("inventory.manage")
def set_tracks_lots(product_id: int) -> Any:
    try:
        data = load_form(LotTrackingSchema())
        product = lots.set_tracks_lots(product_id, data["tracks_lots"], user_id=current_user.id)
    except ValidationError as err:
        return _card(product_id, form_messages(err), 422)
    except DomainError as err:
        return _card(product_id, refused(err), 422)
    if product.tracks_lots:
        flash(_("Stok %(name)s sekarang dicatat per lot.", name=product.name))
    else:
        flash(_("Stok %(name)s tidak lagi dicatat per lot.", name=product.name))
    return redirect(url_for("inventory.stock_card", product_id=product_id), 303)


@bp.post("/k/<tenant_slug>/gudang/barang/<int:product_id>/ppn")
@requires("inventory.manage")
def set_kena_ppn(product_id: int) -> Any:
    try:
        data = load_form(ProductTaxSchema())
        product = service.set_kena_ppn(product_id, data["kena_ppn"], user_id=current_user.id)
    except ValidationError as err:
        return _card(product_id, form_messages(err), 422)
    except DomainError as err:
        return _card(product_id, refused(err), 422)
    if product.kena_ppn:
        flash(_("%(name)s sekarang kena PPN.", name=product.name))
    else:
        flash(_("%(name)s tidak kena PPN.", name=product.name))
    return redirect(url_for("inventory.stock_card", product_id=product_id), 303)


@bp.get("/k/<tenant_slug>/gudang/kedaluwarsa")
@requires("inventory.view")
def expiring() -> Any:
    try:
        days = ExpiringSchema().load({k: v for k, v in request.args.items() if v != ""})["days"]
    except ValidationError as err:
        return render_template("inventory/expiring.html", rows=[], days=30, errors=form_messages(err)), 422
    rows = lots.expiring(days)
    return render_template("inventory/expiring.html", rows=rows, days=days, errors={})


@bp.post("/k/<tenant_slug>/gudang/barang/<int:product_id>/satuan")
@requires("inventory.manage")
def add_unit(product_id: int) -> Any:
    try:
        data = load_form(UnitSchema())
        unit = service.add_unit(product_id, data["name"], data["factor"], data["code"])
    except ValidationError as err:
        return _card(product_id, form_messages(err), 422)
    except DomainError as err:
        return _card(product_id, refused(err), 422)
    flash(_("Satuan %(unit)s ditambahkan.", unit=unit.name))
    return redirect(url_for("inventory.stock_card", product_id=product_id), 303)


@bp.get("/admin/het")
@requires("platform.het")
def het_caps() -> Any:
    return _het_page({}, 200)


@bp.post("/admin/het")
@requires("platform.het")
def add_het_cap() -> Any:
    try:
        data = load_form(HetCapSchema())
        cap = service.add_het_cap(
            data["commodity"],
            data["zone"],
            data["price"],
            data["effective_from"],
            data["source"],
            user_id=current_user.id,
        )
    except ValidationError as err:
        return _het_page(form_messages(err), 422)
    except DomainError as err:
        return _het_page(refused(err), 422)
    flash(_("HET %(what)s dicatat.", what=service.COMMODITY_LABELS[cap.commodity]))
    return redirect(url_for("inventory.het_caps"), 303)


def _het_page(errors: dict[str, Any], status: int) -> Any:
    provinces = regions.children(None)
    return (
        render_template(
            "inventory/het.html",
            caps=service.het_caps(),
            commodities=service.COMMODITY_LABELS,
            units=service.COMMODITY_UNITS,
            zones=service.ZONES,
            provinces=provinces,
            province_names={p.code: p.name for p in provinces},
            form=request.form,
            errors=errors,
        ),
        status,
    )


MAX_RDKK_UPLOAD = 2 * 1024 * 1024


@bp.get("/k/<tenant_slug>/gudang/kuota")
@requires("inventory.view")
def quotas() -> Any:
    return _quota_page({}, [], 200)


def _quota_page(errors: dict[str, Any], problems: list[Any], status: int) -> Any:
    return (
        render_template(
            "inventory/quotas.html",
            quotas=service.quotas(),
            lpg=service.lpg_quota(),
            labels=service.COMMODITY_LABELS,
            units=service.COMMODITY_UNITS,
            masked=service.masked,
            form=request.form,
            problems=problems,
            errors=errors,
        ),
        status,
    )


@bp.post("/k/<tenant_slug>/gudang/kuota/rdkk")
@requires("inventory.manage")
def import_rdkk() -> Any:
    from erp.membership.service import ImportRejected

    try:
        data = load_form(RdkkSchema())
    except ValidationError as err:
        return _quota_page(form_messages(err), [], 422)
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        return _quota_page({"file": [_("Pilih berkas CSV RDKK.")]}, [], 422)
    content = upload.read(MAX_RDKK_UPLOAD + 1)
    if len(content) > MAX_RDKK_UPLOAD:
        return _quota_page({"file": [_("Berkas lebih dari 2 MB.")]}, [], 422)
    try:
        count = service.import_rdkk(service.read_rdkk_csv(content), data["valid_from"], data["valid_to"])
    except ImportRejected as err:
        db.session.rollback()
        flash(str(err.message), "error")
        return _quota_page({}, err.problems, 422)
    except DomainError as err:
        return _quota_page(refused(err), [], 422)
    flash(_("%(n)s alokasi RDKK dimuat.", n=count))
    return redirect(url_for("inventory.quotas"), 303)


@bp.post("/k/<tenant_slug>/gudang/kuota/lpg")
@requires("inventory.manage")
def set_lpg_quota() -> Any:
    try:
        data = load_form(LpgQuotaSchema())
        service.set_lpg_quota(data["per_month"], user_id=current_user.id)
    except ValidationError as err:
        return _quota_page(form_messages(err), [], 422)
    except DomainError as err:
        return _quota_page(refused(err), [], 422)
    flash(_("Batas LPG 3 kg per KK disimpan."))
    return redirect(url_for("inventory.quotas"), 303)


@bp.get("/k/<tenant_slug>/gudang/opname/")
@requires("inventory.view")
def opnames() -> Any:
    return _opnames_page({}, 200)


def _opnames_page(errors: dict[str, Any], status: int) -> Any:
    return (
        render_template(
            "inventory/opnames.html",
            counts=opname.counts(),
            locations=service.locations(),
            statuses=opname.STATUS_LABELS,
            errors=errors,
        ),
        status,
    )


@bp.post("/k/<tenant_slug>/gudang/opname/")
@requires("inventory.manage")
def start_opname() -> Any:
    try:
        data = load_form(StartOpnameSchema())
        count = opname.start_count(data["location_id"], user_id=current_user.id, note=data["note"])
    except ValidationError as err:
        return _opnames_page(form_messages(err), 422)
    except DomainError as err:
        return _opnames_page(refused(err), 422)
    flash(_("Stok opname dimulai: hitung barang di rak lalu isi jumlahnya."))
    return redirect(url_for("inventory.opname_count", opname_id=count.id), 303)


@bp.get("/k/<tenant_slug>/gudang/opname/<int:opname_id>")
@requires("inventory.view")
def opname_count(opname_id: int) -> Any:
    return _count_page(opname_id, {}, 200)


def _count_page(opname_id: int, errors: dict[str, Any], status: int) -> Any:
    count = opname.get_count(opname_id)
    try:
        search = OpnameSearchSchema().load({k: v for k, v in request.args.items() if v != ""})
    except ValidationError:
        search = {"q": None, "page": 1}
    rows, total = opname.lines(count.id, query=search["q"], page=search["page"])
    location = next((loc for loc in service.locations() if loc.id == count.location_id), None)
    return (
        render_template(
            "inventory/opname.html",
            count=count,
            location=location,
            rows=rows,
            total=total,
            query=search["q"] or "",
            page=search["page"],
            pages=max(1, -(-total // opname.PAGE_SIZE)),
            report=opname.variance(count.id),
            may_approve=has_permission("inventory.opname_approve"),
            statuses=opname.STATUS_LABELS,
            errors=errors,
        ),
        status,
    )


@bp.post("/k/<tenant_slug>/gudang/opname/<int:opname_id>/hitung")
@requires("inventory.manage")
def record_counts(opname_id: int) -> Any:
    try:
        ids = load_form(OpnameLinesSchema())["lines"]
        counted = load_form(counts_schema(ids))
        changed = opname.record_counts(
            opname_id, {i: counted.get(f"c{i}") for i in ids}, user_id=current_user.id
        )
    except ValidationError as err:
        flash(_("Periksa jumlah yang ditandai; tidak ada yang disimpan."), "error")
        return _count_page(opname_id, form_messages(err), 422)
    except DomainError as err:
        return _count_page(opname_id, refused(err), 422)
    flash(_("%(n)s hitungan disimpan.", n=changed))
    args: dict[str, Any] = {k: v for k, v in request.args.items() if k in ("q", "halaman")}
    return redirect(url_for("inventory.opname_count", opname_id=opname_id, **args), 303)


def _transition(opname_id: int, action: Any, done: str) -> Any:
    try:
        action(opname_id, user_id=current_user.id)
    except DomainError as err:
        return _count_page(opname_id, refused(err), err.status)
    flash(done)
    return redirect(url_for("inventory.opname_count", opname_id=opname_id), 303)


@bp.post("/k/<tenant_slug>/gudang/opname/<int:opname_id>/ajukan")
@requires("inventory.manage")
def submit_opname(opname_id: int) -> Any:
    return _transition(opname_id, opname.submit, _("Stok opname diajukan untuk disetujui."))


@bp.post("/k/<tenant_slug>/gudang/opname/<int:opname_id>/hitung-ulang")
@requires("inventory.manage")
def reopen_opname(opname_id: int) -> Any:
    return _transition(opname_id, opname.reopen, _("Stok opname dibuka lagi untuk dihitung."))


@bp.post("/k/<tenant_slug>/gudang/opname/<int:opname_id>/batal")
@requires("inventory.manage")
def cancel_opname(opname_id: int) -> Any:
    return _transition(opname_id, opname.cancel, _("Stok opname dibatalkan; tidak ada yang dibukukan."))


@bp.post("/k/<tenant_slug>/gudang/opname/<int:opname_id>/setujui")
@requires("inventory.opname_approve")
def approve_opname(opname_id: int) -> Any:
    return _transition(opname_id, opname.approve, _("Stok opname disetujui; selisihnya dibukukan."))


@bp.post("/k/<tenant_slug>/gudang/barang/<int:product_id>/foto")
@requires("inventory.manage")
def product_photo(product_id: int) -> Any:
    """Upload a product's photo (or, with `hapus`, remove it). A refused file shows the page again
    with the reason and changes nothing."""
    service.get_product(product_id)
    try:
        remove = load_form(ProductPhotoSchema())["hapus"]
        if remove:
            photos.remove_photo(product_id, user_id=current_user.id)
            flash(_("Foto barang dihapus."))
        else:
            upload = request.files.get("photo")
            if upload is None or not upload.filename:
                raise PhotoRefused(_l("Pilih foto JPG, PNG, atau WebP."))
            photos.set_photo(product_id, upload.stream, user_id=current_user.id)
            flash(_("Foto barang disimpan."))
    except ValidationError as err:
        return _card(product_id, form_messages(err), 422)
    except DomainError as err:
        return _card(product_id, refused(err), err.status)
    return redirect(url_for("inventory.stock_card", product_id=product_id), 303)


# The key is random and a new photo gets a new key, so a browser may keep a file for good; the
# file is served only under its own cooperative's address, to its staff.
PHOTO_MAX_AGE = 365 * 24 * 3600


@bp.get("/k/<tenant_slug>/gudang/foto/<token>-<size>.jpg")
@requires("inventory.view")
def product_photo_file(token: str, size: str) -> Any:
    path = photos.photo_path(token, size)
    if path is None:
        abort(404)
    response = send_file(path, mimetype="image/jpeg", max_age=PHOTO_MAX_AGE, conditional=True)
    response.headers["Cache-Control"] = f"private, max-age={PHOTO_MAX_AGE}, immutable"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


@bp.app_template_global()
def product_photo_url(key: str | None, size: str = "s") -> str | None:
    """The address of a product photo at a size (`s` 96 px, `l` 600 px), or None without one."""
    if not key:
        return None
    return url_for("inventory.product_photo_file", token=photos.key_token(key), size=size)
