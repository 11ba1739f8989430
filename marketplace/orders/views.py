"""Kophub order pages. Buyers (platform pages): the cart across cooperatives, checkout, their
orders with payment instructions. Cooperative staff (`/k/<slug>/kophub/pesanan/`): the orders to
work, from payment to delivery."""

from __future__ import annotations

import secrets
from datetime import date
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from marshmallow import ValidationError

from core.dashboard import tile
from core.db import db
from core.errors import DomainError, form_messages
from core.permissions import has_permission, menu_item, requires
from core.schemas import load_form
from marketplace.buyers import service as buyers
from marketplace.buyers.models import Buyer
from marketplace.buyers.schemas import CartLineSchema
from marketplace.orders import offers, returns, service
from marketplace.orders.models import OrderStatus, PaymentMethod
from marketplace.orders.schemas import (
    CheckoutSchema,
    ReasonSchema,
    RefundReferenceSchema,
    ReturnDecisionSchema,
    ReturnRequestSchema,
    SettingsSchema,
    ShipSchema,
)
from marketplace.payments import manual
from tenants import regions

bp = Blueprint("orders", __name__)

menu_item("orders.staff_orders", _l("Pesanan Kophub"), "kophub.orders.view", tenant=True)
menu_item("orders.settings_page", _l("Pengaturan Kophub"), "platform.kophub", tenant=False)
tile(
    _l("Pesanan Kophub perlu diproses"),
    "kophub.orders.view",
    lambda: service.counts_by_status().get(OrderStatus.DIBAYAR.value, 0),
    endpoint="orders.staff_orders",
)
tile(
    _l("Retur Kophub menunggu keputusan"),
    "kophub.orders.view",
    returns.pending_count,
    endpoint="orders.staff_orders",
)


def _buyer() -> Buyer:
    buyer = buyers.buyer_of(current_user.id) if current_user.is_authenticated else None
    if buyer is None:
        abort(404)
    return buyer


# --- buyer: cart and checkout ---------------------------------------------------------------


def _cart_page(errors: dict[str, Any] | None = None, status: int = 200) -> Any:
    buyer = _buyer()
    groups: dict[int, list[tuple[Any, Any]]] = {}
    for line in buyers.cart_lines(buyer):
        groups.setdefault(line.cooperative_id, []).append(
            (line, offers.offer(line.cooperative_id, line.listing_id, line.quantity))
        )
    return render_template("marketplace/orders/cart.html", groups=groups, errors=errors or {}), status


@bp.get("/kophub/keranjang")
@requires("marketplace.buy")
def cart() -> Any:
    return _cart_page()


@bp.post("/kophub/keranjang")
@login_required
def put_in_cart() -> Any:
    """Add a listing to the cart or change its quantity (the listing page's and the cart's form).
    A signed-in person without a buyer profile is sent to open one first."""
    buyer = buyers.buyer_of(current_user.id)
    if buyer is None:
        flash(_("Daftar sebagai pembeli dulu, lalu masukkan produk ke keranjang."))
        return redirect(url_for("buyers.sign_up"))
    try:
        data = load_form(CartLineSchema())
        owner = data.get("cooperative_id") or offers.listings.owner_of(data["listing_id"])
        if owner is None:
            abort(404)
        buyers.put_in_cart(buyer, owner, data["listing_id"], data["quantity"])
    except ValidationError as err:
        return _cart_page(form_messages(err), 422)
    except DomainError as err:
        db.session.rollback()
        return _cart_page(err.as_form_errors(), err.status)
    flash(_("Keranjang diperbarui."))
    return redirect(url_for("orders.cart"))


@bp.post("/kophub/keranjang/<int:line_id>/hapus")
@requires("marketplace.buy")
def remove_from_cart(line_id: int) -> Any:
    buyers.remove_from_cart(_buyer(), line_id)
    return redirect(url_for("orders.cart"))


def _checkout_page(errors: dict[str, Any] | None = None, status: int = 200) -> Any:
    buyer = _buyer()
    lines = buyers.cart_lines(buyer)
    priced = [(line, offers.offer(line.cooperative_id, line.listing_id, line.quantity)) for line in lines]
    total = sum(o.unit_price * line.quantity for line, o in priced if o is not None)
    addresses = buyers.addresses(buyer)
    return render_template(
        "marketplace/orders/checkout.html",
        priced=priced,
        total=total,
        addresses=addresses,
        paths=regions.paths_of([a.village_code for a in addresses]),
        methods=[m for m in PaymentMethod if m != PaymentMethod.STRIPE or service.stripe_enabled()],
        method_labels=service.METHOD_LABELS,
        key=request.form.get("idempotency_key") or secrets.token_urlsafe(18),
        errors=errors or {},
        form=request.form,
    ), status


@bp.get("/kophub/checkout")
@requires("marketplace.buy")
def checkout() -> Any:
    return _checkout_page()


@bp.post("/kophub/checkout")
@requires("marketplace.buy")
def place_order() -> Any:
    buyer = _buyer()
    try:
        data = load_form(CheckoutSchema())
        record = service.checkout(
            buyer,
            address_id=data["address_id"],
            payment_method=data["payment_method"],
            idempotency_key=data["idempotency_key"],
        )
    except ValidationError as err:
        return _checkout_page(form_messages(err), 422)
    except DomainError as err:
        db.session.rollback()
        return _checkout_page(err.as_form_errors(), err.status)
    if record.payment_method == PaymentMethod.STRIPE:
        return redirect(url_for("payments.stripe_page", checkout_id=record.id))
    flash(_("Pesanan dibuat. Ikuti petunjuk pembayaran untuk setiap koperasi."))
    return redirect(url_for("orders.my_checkout", checkout_id=record.id))


# --- buyer: orders --------------------------------------------------------------------------


@bp.get("/kophub/pesanan")
@requires("marketplace.buy")
def my_orders() -> Any:
    return render_template("marketplace/orders/my_orders.html", checkouts=service.checkouts_of(_buyer()))


def _my_checkout_page(checkout_id: int, errors: dict[str, Any] | None = None, status: int = 200) -> Any:
    record, views = service.buyer_checkout(_buyer(), checkout_id)
    return render_template(
        "marketplace/orders/my_checkout.html",
        record=record,
        views=views,
        paths=regions.paths_of([v.order.village_code for v in views]),
        errors=errors or {},
        labels=service.STATUS_LABELS,
        method_labels=service.METHOD_LABELS,
        cancellable=service.CANCELLABLE_BY["buyer"],
        return_labels=returns.RETURN_LABELS,
        disposition_labels=returns.DISPOSITION_LABELS,
        form=request.form,
    ), status


@bp.get("/kophub/pesanan/<int:checkout_id>")
@requires("marketplace.buy")
def my_checkout(checkout_id: int) -> Any:
    return _my_checkout_page(checkout_id)


def _buyer_action(checkout_id: int, cooperative_id: int, order_id: int, action: Any, done: str) -> Any:
    buyer = _buyer()
    try:
        with service.as_buyer(buyer, cooperative_id, order_id) as found:
            if found.order.checkout_id != checkout_id:
                abort(404)
            action(found)
    except ValidationError as err:
        return _my_checkout_page(checkout_id, {str(order_id): form_messages(err)}, 422)
    except DomainError as err:
        db.session.rollback()
        if err.status == 404:
            raise
        return _my_checkout_page(checkout_id, {str(order_id): err.as_form_errors()}, err.status)
    flash(done)
    return redirect(url_for("orders.my_checkout", checkout_id=checkout_id))


@bp.post("/kophub/pesanan/<int:checkout_id>/<int:cooperative_id>/<int:order_id>/bukti")
@requires("marketplace.buy")
def upload_proof(checkout_id: int, cooperative_id: int, order_id: int) -> Any:
    return _buyer_action(
        checkout_id,
        cooperative_id,
        order_id,
        lambda found: manual.submit_proof(
            found.order, request.files.get("proof"), request.form.get("note"), user_id=current_user.id
        ),
        _("Bukti pembayaran terkirim. Bendahara koperasi akan memeriksanya."),
    )


@bp.post("/kophub/pesanan/<int:checkout_id>/<int:cooperative_id>/<int:order_id>/batal")
@requires("marketplace.buy")
def buyer_cancel(checkout_id: int, cooperative_id: int, order_id: int) -> Any:
    return _buyer_action(
        checkout_id,
        cooperative_id,
        order_id,
        lambda found: service.cancel(
            found.order.id, by="buyer", reason=load_form(ReasonSchema())["reason"], user_id=current_user.id
        ),
        _("Pesanan dibatalkan."),
    )


@bp.post("/kophub/pesanan/<int:checkout_id>/<int:cooperative_id>/<int:order_id>/retur")
@requires("marketplace.buy")
def buyer_return(checkout_id: int, cooperative_id: int, order_id: int) -> Any:
    """The buyer asks to return some units of a received order (reason, photo optional)."""

    def run(found: Any) -> None:
        data = load_form(ReturnRequestSchema())
        returns.request_return(
            found.order.id,
            dict(zip(data["line_id"], data["quantity"], strict=True)),
            data["reason"],
            request.files.get("photo"),
            user_id=current_user.id,
        )

    return _buyer_action(
        checkout_id,
        cooperative_id,
        order_id,
        run,
        _("Permintaan retur terkirim. Koperasi akan memeriksanya."),
    )


@bp.post("/kophub/pesanan/<int:checkout_id>/<int:cooperative_id>/<int:order_id>/diterima")
@requires("marketplace.buy")
def buyer_received(checkout_id: int, cooperative_id: int, order_id: int) -> Any:
    return _buyer_action(
        checkout_id,
        cooperative_id,
        order_id,
        lambda found: service.mark_received(found.order.id, user_id=current_user.id),
        _("Terima kasih. Pesanan dicatat sudah diterima."),
    )


# --- cooperative staff ----------------------------------------------------------------------


@bp.get("/k/<tenant_slug>/kophub/pesanan/")
@requires("kophub.orders.view")
def staff_orders() -> Any:
    status = request.args.get("status")
    if status not in {s.value for s in OrderStatus}:
        status = None
    return render_template(
        "marketplace/orders/staff_orders.html",
        orders=service.orders(status),
        counts=service.counts_by_status(),
        status=status,
        labels=service.STATUS_LABELS,
        method_labels=service.METHOD_LABELS,
    )


def _staff_page(order_id: int, errors: dict[str, Any] | None = None, status: int = 200) -> Any:
    found = service.order_view(order_id)
    return render_template(
        "marketplace/orders/staff_order.html",
        view=found,
        path=regions.path_of(found.order.village_code),
        errors=errors or {},
        labels=service.STATUS_LABELS,
        method_labels=service.METHOD_LABELS,
        payment_labels=service.PAYMENT_LABELS,
        can_manage=has_permission("kophub.orders.manage"),
        can_confirm=has_permission("kophub.payments.confirm"),
        cancellable=service.CANCELLABLE_BY["cooperative"],
        today=date.today(),
        return_labels=returns.RETURN_LABELS,
        disposition_labels=returns.DISPOSITION_LABELS,
        waiting_return=any(r.record.status == "diajukan" for r in found.returns),
    ), status


@bp.get("/k/<tenant_slug>/kophub/pesanan/<int:order_id>")
@requires("kophub.orders.view")
def staff_order(order_id: int) -> Any:
    return _staff_page(order_id)


def _staff_action(order_id: int, action: Any, done: str) -> Any:
    try:
        action()
    except ValidationError as err:
        return _staff_page(order_id, form_messages(err), 422)
    except DomainError as err:
        db.session.rollback()
        if err.status == 404:
            raise
        return _staff_page(order_id, err.as_form_errors(), err.status)
    flash(done)
    return redirect(url_for("orders.staff_order", order_id=order_id))


@bp.post("/k/<tenant_slug>/kophub/pesanan/<int:order_id>/konfirmasi-bayar")
@requires("kophub.payments.confirm")
def confirm_payment(order_id: int) -> Any:
    return _staff_action(
        order_id, lambda: manual.confirm(order_id, user_id=current_user.id), _("Pembayaran dikonfirmasi.")
    )


@bp.post("/k/<tenant_slug>/kophub/pesanan/<int:order_id>/tolak-bukti")
@requires("kophub.payments.confirm")
def refuse_proof(order_id: int) -> Any:
    return _staff_action(
        order_id,
        lambda: manual.refuse_proof(order_id, load_form(ReasonSchema())["reason"], user_id=current_user.id),
        _("Bukti ditolak; pembeli diberi tahu."),
    )


@bp.post("/k/<tenant_slug>/kophub/pesanan/<int:order_id>/cod-lunas")
@requires("kophub.payments.confirm")
def cash_on_delivery(order_id: int) -> Any:
    return _staff_action(
        order_id,
        lambda: service.record_cash_on_delivery(order_id, user_id=current_user.id),
        _("Uang COD dicatat."),
    )


@bp.post("/k/<tenant_slug>/kophub/pesanan/<int:order_id>/proses")
@requires("kophub.orders.manage")
def process(order_id: int) -> Any:
    return _staff_action(
        order_id, lambda: service.start_processing(order_id, user_id=current_user.id), _("Pesanan diproses.")
    )


@bp.post("/k/<tenant_slug>/kophub/pesanan/<int:order_id>/kirim")
@requires("kophub.orders.manage")
def ship(order_id: int) -> Any:
    def run() -> None:
        data = load_form(ShipSchema())
        service.ship(
            order_id,
            courier=data["courier"],
            tracking_number=data["tracking_number"],
            user_id=current_user.id,
        )

    return _staff_action(order_id, run, _("Pesanan dikirim; stok dan jurnal dicatat."))


@bp.post("/k/<tenant_slug>/kophub/pesanan/<int:order_id>/diterima")
@requires("kophub.orders.manage")
def received(order_id: int) -> Any:
    return _staff_action(
        order_id, lambda: service.mark_received(order_id, user_id=current_user.id), _("Pesanan diterima.")
    )


@bp.post("/k/<tenant_slug>/kophub/pesanan/<int:order_id>/selesai")
@requires("kophub.orders.manage")
def complete(order_id: int) -> Any:
    return _staff_action(
        order_id, lambda: service.complete(order_id, user_id=current_user.id), _("Pesanan selesai.")
    )


@bp.post("/k/<tenant_slug>/kophub/pesanan/<int:order_id>/batal")
@requires("kophub.orders.manage")
def staff_cancel(order_id: int) -> Any:
    return _staff_action(
        order_id,
        lambda: service.cancel(
            order_id, by="cooperative", reason=load_form(ReasonSchema())["reason"], user_id=current_user.id
        ),
        _("Pesanan dibatalkan; stok dilepas."),
    )


@bp.post("/k/<tenant_slug>/kophub/pesanan/<int:order_id>/kembalikan-dana")
@requires("kophub.payments.confirm")
def refund(order_id: int) -> Any:
    return _staff_action(
        order_id,
        lambda: service.refund_after_cancel(order_id, user_id=current_user.id),
        _("Pengembalian dana diproses."),
    )


@bp.post("/k/<tenant_slug>/kophub/pesanan/<int:order_id>/retur/<int:return_id>/terima")
@requires("kophub.orders.manage")
def accept_return(order_id: int, return_id: int) -> Any:
    return _staff_action(
        order_id,
        lambda: returns.accept(
            order_id,
            return_id,
            disposition=load_form(ReturnDecisionSchema())["disposition"],
            user_id=current_user.id,
        ),
        _("Retur disetujui; stok dan jurnal dicatat."),
    )


@bp.post("/k/<tenant_slug>/kophub/pesanan/<int:order_id>/retur/<int:return_id>/tolak")
@requires("kophub.orders.manage")
def refuse_return(order_id: int, return_id: int) -> Any:
    return _staff_action(
        order_id,
        lambda: returns.refuse(
            order_id, return_id, load_form(ReasonSchema())["reason"], user_id=current_user.id
        ),
        _("Retur ditolak; pembeli diberi tahu."),
    )


@bp.post("/k/<tenant_slug>/kophub/pesanan/<int:order_id>/retur/<int:return_id>/dana-kembali")
@requires("kophub.payments.confirm")
def return_refunded(order_id: int, return_id: int) -> Any:
    return _staff_action(
        order_id,
        lambda: returns.record_refund(
            order_id,
            return_id,
            reference=load_form(RefundReferenceSchema())["reference"],
            user_id=current_user.id,
        ),
        _("Pengembalian dana retur dicatat."),
    )


@bp.get("/k/<tenant_slug>/kophub/pesanan/<int:order_id>/retur/<int:return_id>/foto")
@requires("kophub.orders.view")
def return_photo(order_id: int, return_id: int) -> Any:
    path = returns.photo_path(returns.return_of(order_id, return_id))
    if path is None:
        abort(404)
    response = send_file(path, max_age=0)
    response.headers["Content-Disposition"] = "inline"
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.get("/k/<tenant_slug>/kophub/pesanan/<int:order_id>/bukti")
@requires("kophub.orders.view")
def proof(order_id: int) -> Any:
    found = service.order_view(order_id)
    path = manual.proof_path(found.payment) if found.payment else None
    if path is None or found.payment is None:
        abort(404)
    response = send_file(path, mimetype=found.payment.proof_type, max_age=0)
    response.headers["Content-Disposition"] = "inline"
    response.headers["Cache-Control"] = "private, no-store"
    return response


# --- platform admin -------------------------------------------------------------------------


@bp.route("/admin/kophub", methods=["GET", "POST"])
@requires("platform.kophub")
def settings_page() -> Any:
    errors: dict[str, Any] = {}
    status = 200
    if request.method == "POST":
        try:
            data = load_form(SettingsSchema())
            service.update_settings(
                fee_percent=data["fee_percent"],
                payment_window_hours=data["payment_window_hours"],
                payout_hold_days=data["payout_hold_days"],
                return_window_days=data["return_window_days"],
                user_id=current_user.id,
            )
            flash(_("Pengaturan Kophub disimpan."))
            return redirect(url_for("orders.settings_page"))
        except ValidationError as err:
            errors, status = form_messages(err), 422
        except DomainError as err:
            db.session.rollback()
            errors, status = err.as_form_errors(), err.status
    current = service.settings()
    db.session.commit()
    return render_template(
        "marketplace/orders/settings.html", current=current, errors=errors, form=request.form
    ), status
