"""The gerai counter, for keyboard and USB scanner alone: scan or type a code and press Enter to add
a line (the basket lives in the session; a small script adds search as you type), give a discount
when allowed, pay in cash, QRIS, transfer, kasbon or several at once, and print the receipt on 58
or 80 mm paper or as PDF. Around it: the kasir's shift (open with a float, close by counting the
drawer), the day's sales with void and return under a supervisor's PIN, kasbon, and the Z report."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import Blueprint, Response, flash, g, jsonify, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from marshmallow import ValidationError

from core.dashboard import tile
from core.errors import DomainError, form_messages
from core.permissions import has_permission, menu_item, requires
from core.schemas import load_form
from erp.inventory import service as inventory
from erp.inventory.models import Product
from erp.pos import documents, service
from erp.pos.models import DENOMINATIONS
from erp.pos.schemas import (
    AddLineSchema,
    ApprovalSchema,
    CloseShiftSchema,
    CreditLimitSchema,
    LineDiscountSchema,
    OpenShiftSchema,
    PaySchema,
    PinSchema,
    QuotaSchema,
    RepaySchema,
    SettingsSchema,
)
from erp.pos.service import CartLine, ReturnRequest, Tender
from tenants.service import ppn_percent

bp = Blueprint("pos", __name__)

menu_item("pos.counter", _l("Kasir"), "pos.sell", tenant=True)
tile(
    _l("Penjualan gerai hari ini"),
    "pos.sell",
    lambda: service.sales_on(date.today())[1],
    endpoint="pos.counter",
    money=True,
)

MAX_CART = 100


# --- the basket in the session --------------------------------------------------------------------


def _cart_key() -> str:
    return f"pos-cart-{g.cooperative.id}"


def _cart() -> list[list[int]]:
    """[[product_id, quantity, discount], …]"""
    raw = session.get(_cart_key(), [])
    if not isinstance(raw, list):
        return []
    cart = []
    for item in raw:
        try:
            pid, qty, *rest = (int(x) for x in item)
        except (TypeError, ValueError):
            continue
        cart.append([pid, qty, rest[0] if rest else 0])
    return cart


def _save(cart: list[list[int]]) -> None:
    session[_cart_key()] = cart


def _lines(cart: list[list[int]]) -> list[tuple[Product, int, int]]:
    products = {p.id: p for p in service.products_by_id([pid for pid, _, _ in cart])}
    return [(products[pid], q, d) for pid, q, d in cart if pid in products]


def _counter(
    status: int = 200,
    error: str | None = None,
    errors: dict[str, Any] | None = None,
    quota_left: list[service.QuotaLeft] | None = None,
) -> Any:
    shift = service.open_shift_of(current_user.id)
    if shift is None:
        return render_template("pos/open_shift.html", errors=errors or {}, error=error), status
    lines = _lines(_cart())
    gross = sum(p.price * q for p, q, _ in lines)
    discount = sum(d for _, _, d in lines)
    # subsidised goods in the basket: the buyer's NIK (fertiliser) or KK (LPG 3 kg) is asked for
    quota_needs = {kind for kind in (service.quota_kind(p) for p, _, _ in lines) if kind}
    return (
        render_template(
            "pos/counter.html",
            shift=shift,
            lines=lines,
            gross=gross,
            line_discount=discount,
            total=gross - discount,
            error=error,
            errors=errors or {},
            may_discount=has_permission("pos.discount"),
            supervisors=service.supervisors(),
            quota_needs=quota_needs,
            quota_left=quota_left,
        ),
        status,
    )


@bp.get("/k/<tenant_slug>/kasir/")
@requires("pos.sell")
def counter() -> Any:
    return _counter()


@bp.get("/k/<tenant_slug>/kasir/cari")
@requires("pos.sell")
def search() -> Any:
    """Products matching what the kasir typed so far, for the search-as-you-type list."""
    found = service.search_products(request.args.get("q", ""), limit=8)
    return jsonify(
        [{"code": p.code, "name": p.name, "unit": p.unit, "price": p.price, "het": p.het} for p in found]
    )


@bp.post("/k/<tenant_slug>/kasir/tambah")
@requires("pos.sell")
def add() -> Any:
    try:
        data = load_form(AddLineSchema())
    except ValidationError as err:
        messages = form_messages(err)
        first = next(iter(messages.values()), [""])
        return _counter(422, str(first[0] if isinstance(first, list) else first), messages)
    found = inventory.lookup_code(data["code"])  # a pack's barcode counts its base units
    product, per_scan = found if found is not None else (None, 1)
    if product is None or not product.active:
        matches = service.search_products(data["code"], limit=2)
        if len(matches) == 1:  # a unique name match is as good as its code
            product, per_scan = matches[0], 1
        else:
            return _counter(422, _("Kode %(code)s tidak dikenal.", code=data["code"]))
    quantity = data["quantity"] * per_scan
    cart = _cart()
    for line in cart:
        if line[0] == product.id:
            if line[1] + quantity > service.MAX_QUANTITY:
                return _counter(422, _("Jumlah harus 1 sampai 10.000."))
            line[1] += quantity
            break
    else:
        if len(cart) >= MAX_CART:
            return _counter(422, _("Terlalu banyak baris dalam satu penjualan."))
        if quantity > service.MAX_QUANTITY:
            return _counter(422, _("Jumlah harus 1 sampai 10.000."))
        cart.append([product.id, quantity, 0])
    _save(cart)
    return redirect(url_for("pos.counter"), 303)


@bp.post("/k/<tenant_slug>/kasir/hapus/<int:product_id>")
@requires("pos.sell")
def remove(product_id: int) -> Any:
    _save([line for line in _cart() if line[0] != product_id])
    return redirect(url_for("pos.counter"), 303)


@bp.post("/k/<tenant_slug>/kasir/kosongkan")
@requires("pos.sell")
def clear() -> Any:
    _save([])
    return redirect(url_for("pos.counter"), 303)


@bp.post("/k/<tenant_slug>/kasir/potongan/<int:product_id>")
@requires("pos.sell")
def discount_line(product_id: int) -> Any:
    if not has_permission("pos.discount"):
        return _counter(403, _("Anda tidak berwenang memberi potongan harga; minta manajer."))
    try:
        data = load_form(LineDiscountSchema())
    except ValidationError as err:
        return _counter(422, _("Potongan harus rupiah bulat, tidak negatif."), form_messages(err))
    cart = _cart()
    for line in cart:
        if line[0] == product_id:
            product = inventory.get_product(product_id)
            if data["discount"] >= product.price * line[1]:
                return _counter(
                    422, _("Potongan untuk %(name)s harus lebih kecil dari harganya.", name=product.name)
                )
            line[2] = data["discount"]
    _save(cart)
    return redirect(url_for("pos.counter"), 303)


@bp.post("/k/<tenant_slug>/kasir/kuota")
@requires("pos.sell")
def check_quota() -> Any:
    """Before payment: the buyer's remaining quota of the basket's subsidised goods, or why not."""
    try:
        data = load_form(QuotaSchema())
    except ValidationError as err:
        return _counter(422, _("Periksa NIK atau nomor KK."), form_messages(err))
    try:
        left = service.check_quotas(
            [CartLine(p, q, None, d) for p, q, d in _cart()],
            member_number=data["member_number"],
            quota_nik=data["quota_nik"],
            quota_kk=data["quota_kk"],
        )
    except DomainError as err:
        return _counter(422, str(err.message), err.fields)
    return _counter(quota_left=left)


@bp.post("/k/<tenant_slug>/kasir/bayar")
@requires("pos.sell")
def pay() -> Any:
    cart = _cart()
    try:
        data = load_form(PaySchema())
    except ValidationError as err:
        return _counter(422, _("Periksa isian pembayaran."), form_messages(err))
    tenders = []
    for method in ("qris", "transfer", "kredit"):
        if data[method]:
            tenders.append(Tender(method, data[method], data.get(f"{method}_reference")))
    if data["tunai"] is not None or not tenders:
        tenders.insert(0, Tender("tunai", data["tunai"]))
    try:
        sale = service.checkout(
            [CartLine(p, q, None, d) for p, q, d in cart],
            location_id=inventory.default_location().id,
            payments=tenders,
            member_number=data["member_number"],
            quota_nik=data["quota_nik"],
            quota_kk=data["quota_kk"],
            basket_discount=data["basket_discount"],
            may_discount=has_permission("pos.discount"),
            supervisor_id=data["supervisor_id"],
            supervisor_pin=data["pin"],
            idempotency_key=data["idempotency_key"],
            kasir_id=current_user.id,
        )
    except DomainError as err:
        return _counter(err.status if err.status in (403, 422, 429) else 422, str(err.message), err.fields)
    _save([])
    flash(_("Penjualan tersimpan."))
    return redirect(url_for("pos.receipt", sale_id=sale.id), 303)


# --- receipts -------------------------------------------------------------------------------------


def _width() -> int:
    raw = request.args.get("lebar")
    if raw in ("58", "80"):
        return int(raw)
    return service.settings().receipt_width


@bp.get("/k/<tenant_slug>/kasir/struk/<int:sale_id>")
@requires("pos.sell")
def receipt(sale_id: int) -> Any:
    """The receipt, ready to print: the first time the original, every later time a numbered
    copy (SALINAN)."""
    width = _width()
    r = service.print_receipt(sale_id, printed_by=current_user.id, form=f"html{width}")
    return render_template(
        "pos/receipt.html", r=r, width=width, label=service.method_label, ppn_percent=ppn_percent
    )


@bp.get("/k/<tenant_slug>/kasir/struk/<int:sale_id>.pdf")
@requires("pos.sell")
def receipt_pdf(sale_id: int) -> Response:
    width = _width()
    r = service.print_receipt(sale_id, printed_by=current_user.id, form=f"pdf{width}")
    return _pdf(documents.receipt(r, g.cooperative, width), f"struk-{sale_id}.pdf")


def _pdf(content: bytes, filename: str) -> Response:
    response = Response(content, mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'inline; filename="{filename}"'
    response.headers["Cache-Control"] = "private, no-store"
    return response


# --- the day's sales, voids and returns ----------------------------------------------------------


@bp.get("/k/<tenant_slug>/kasir/penjualan")
@requires("pos.sell")
def sales() -> Any:
    return render_template("pos/sales.html", sales=service.recent_sales(limit=50), label=service.method_label)


def _return_page(
    sale_id: int, status: int = 200, errors: dict[str, Any] | None = None, failed: str | None = None
) -> Any:
    r = service.receipt(sale_id)
    shift = service.open_shift_of(current_user.id)
    return (
        render_template(
            "pos/return.html",
            r=r,
            returned=service.returned_quantities(sale_id),
            can_void=service.can_void(r.sale),
            has_shift=shift is not None,
            supervisors=service.supervisors(),
            errors=errors or {},
            failed=failed,
            label=service.method_label,
        ),
        status,
    )


@bp.get("/k/<tenant_slug>/kasir/penjualan/<int:sale_id>")
@requires("pos.sell")
def sale(sale_id: int) -> Any:
    return _return_page(sale_id)


@bp.post("/k/<tenant_slug>/kasir/penjualan/<int:sale_id>/void")
@requires("pos.sell")
def void(sale_id: int) -> Any:
    try:
        data = load_form(ApprovalSchema())
        service.void_sale(
            sale_id,
            reason=data["reason"],
            kasir_id=current_user.id,
            supervisor_id=data["supervisor_id"],
            supervisor_pin=data["pin"],
            idempotency_key=data["idempotency_key"],
        )
    except ValidationError as err:
        return _return_page(sale_id, 422, form_messages(err), "void")
    except DomainError as err:
        if err.status == 404:
            raise
        return _return_page(sale_id, 429 if err.status == 429 else 422, err.as_form_errors(), "void")
    flash(_("Penjualan #%(id)s dibatalkan (void).", id=sale_id))
    return redirect(url_for("pos.sale", sale_id=sale_id), 303)


@bp.post("/k/<tenant_slug>/kasir/penjualan/<int:sale_id>/retur")
@requires("pos.sell")
def return_sale(sale_id: int) -> Any:
    items = []
    for key in request.form:
        if key.startswith("q-"):
            raw = request.form.get(key, "").strip()
            if not raw or raw == "0":
                continue
            if not raw.isdigit() or not key[2:].isdigit():
                return _return_page(
                    sale_id, 422, {"_": [_("Jumlah retur harus bilangan bulat positif.")]}, "retur"
                )
            line_id = int(key[2:])
            items.append(ReturnRequest(line_id, int(raw), request.form.get(f"rusak-{line_id}") != "1"))
    try:
        data = load_form(ApprovalSchema())
        service.return_items(
            sale_id,
            items,
            reason=data["reason"],
            kasir_id=current_user.id,
            supervisor_id=data["supervisor_id"],
            supervisor_pin=data["pin"],
            idempotency_key=data["idempotency_key"],
        )
    except ValidationError as err:
        return _return_page(sale_id, 422, form_messages(err), "retur")
    except DomainError as err:
        if err.status == 404:
            raise
        return _return_page(sale_id, 429 if err.status == 429 else 422, err.as_form_errors(), "retur")
    flash(_("Retur penjualan #%(id)s tersimpan.", id=sale_id))
    return redirect(url_for("pos.sale", sale_id=sale_id), 303)


# --- shifts ---------------------------------------------------------------------------------------


@bp.post("/k/<tenant_slug>/kasir/shift/buka")
@requires("pos.sell")
def open_shift() -> Any:
    try:
        data = load_form(OpenShiftSchema())
        service.open_shift(
            kasir_id=current_user.id,
            location_id=inventory.default_location().id,
            opening_float=data["opening_float"],
        )
    except ValidationError as err:
        return _counter(422, _("Modal awal harus rupiah bulat."), form_messages(err))
    except DomainError as err:
        return _counter(422, str(err.message), err.fields)
    flash(_("Shift dibuka."))
    return redirect(url_for("pos.counter"), 303)


def _close_page(status: int = 200, errors: dict[str, Any] | None = None) -> Any:
    shift = service.open_shift_of(current_user.id)
    if shift is None:
        return redirect(url_for("pos.counter"), 303)
    return (
        render_template(
            "pos/close_shift.html",
            shift=shift,
            expected=service.expected_cash(shift),
            denominations=DENOMINATIONS,
            errors=errors or {},
        ),
        status,
    )


@bp.get("/k/<tenant_slug>/kasir/shift/tutup")
@requires("pos.sell")
def close_shift_form() -> Any:
    return _close_page()


@bp.post("/k/<tenant_slug>/kasir/shift/tutup")
@requires("pos.sell")
def close_shift() -> Any:
    shift = service.open_shift_of(current_user.id)
    if shift is None:
        return redirect(url_for("pos.counter"), 303)
    try:
        data = load_form(CloseShiftSchema())
        counts = {value: data[f"d{value}"] for value in DENOMINATIONS}
        closed = service.close_shift(shift.id, counts, closed_by=current_user.id, note=data["note"])
    except ValidationError as err:
        return _close_page(422, {**form_messages(err), "_": [_("Jumlah keping 0 sampai 100.000.")]})
    except DomainError as err:
        return _close_page(422, err.as_form_errors())
    _save([])
    flash(_("Shift ditutup."))
    return redirect(url_for("pos.z_report", tanggal=closed.business_day.isoformat()), 303)


# --- Z report -------------------------------------------------------------------------------------


def _day() -> date:
    raw = request.args.get("tanggal", "")
    try:
        return date.fromisoformat(raw) if raw else date.today()
    except ValueError:
        return date.today()


@bp.get("/k/<tenant_slug>/kasir/laporan-z")
@requires("pos.report")
def z_report() -> Any:
    report = service.z_report(_day())
    return render_template("pos/z_report.html", report=report, margin=service.margin_percent)


@bp.get("/k/<tenant_slug>/kasir/laporan-z.pdf")
@requires("pos.report")
def z_report_pdf() -> Response:
    report = service.z_report(_day())
    return _pdf(documents.z_report(report, g.cooperative), f"laporan-z-{report.day.isoformat()}.pdf")


# --- supervisor PIN, kasbon and settings ---------------------------------------------------------


@bp.route("/k/<tenant_slug>/kasir/pin", methods=["GET", "POST"])
@requires("pos.supervise")
def pin() -> Any:
    errors: dict[str, Any] = {}
    if request.method == "POST":
        try:
            data = load_form(PinSchema())
            if data["pin"] != data["pin_again"]:
                raise ValidationError({"pin_again": [_("PIN tidak sama.")]})
            service.set_pin(current_user.id, data["pin"], data["password"])
        except ValidationError as err:
            errors = form_messages(err)
        except DomainError as err:
            errors = err.as_form_errors()
        else:
            flash(_("PIN supervisor tersimpan."))
            return redirect(url_for("pos.pin"), 303)
    return (
        render_template("pos/pin.html", errors=errors, has_pin=service.has_pin(current_user.id)),
        422 if errors else 200,
    )


def _credit_page(member_number: str | None, status: int = 200, errors: dict[str, Any] | None = None) -> Any:
    status_ = None
    errors = dict(errors or {})
    if member_number:
        try:
            status_ = service.credit_status(member_number)
        except DomainError as err:
            errors.setdefault("_", [err.message])
            status = 404 if status == 200 else status
    return (
        render_template(
            "pos/credit.html",
            member_number=member_number or "",
            credit=status_,
            settings=service.settings(),
            may_manage=has_permission("pos.manage"),
            errors=errors,
        ),
        status,
    )


@bp.get("/k/<tenant_slug>/kasir/kasbon")
@requires("pos.sell")
def credit() -> Any:
    return _credit_page(request.args.get("anggota", "").strip()[:40] or None)


@bp.post("/k/<tenant_slug>/kasir/kasbon/<member_number>/bayar")
@requires("pos.sell")
def repay(member_number: str) -> Any:
    try:
        data = load_form(RepaySchema())
        service.repay_credit(
            member_number,
            data["amount"],
            method=data["method"],
            reference=data["reference"],
            kasir_id=current_user.id,
            idempotency_key=data["idempotency_key"],
        )
    except ValidationError as err:
        return _credit_page(member_number, 422, form_messages(err))
    except DomainError as err:
        return _credit_page(member_number, 422 if err.status != 404 else 404, err.as_form_errors())
    flash(_("Pembayaran kasbon tersimpan."))
    return redirect(url_for("pos.credit", anggota=member_number), 303)


@bp.post("/k/<tenant_slug>/kasir/kasbon/<member_number>/batas")
@requires("pos.manage")
def credit_limit(member_number: str) -> Any:
    try:
        data = load_form(CreditLimitSchema())
        service.set_credit_limit(member_number, data["credit_limit"])
    except ValidationError as err:
        return _credit_page(member_number, 422, form_messages(err))
    except DomainError as err:
        return _credit_page(member_number, 422 if err.status != 404 else 404, err.as_form_errors())
    flash(_("Batas kasbon tersimpan."))
    return redirect(url_for("pos.credit", anggota=member_number), 303)


@bp.post("/k/<tenant_slug>/kasir/pengaturan")
@requires("pos.manage")
def settings() -> Any:
    try:
        data = load_form(SettingsSchema())
        service.update_settings(
            default_credit_limit=data["default_credit_limit"], receipt_width=data["receipt_width"]
        )
    except ValidationError as err:
        return _credit_page(None, 422, form_messages(err))
    except DomainError as err:
        return _credit_page(None, 422, err.as_form_errors())
    flash(_("Pengaturan kasir tersimpan."))
    return redirect(url_for("pos.credit"), 303)
