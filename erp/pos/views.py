"""The gerai counter, for keyboard and USB scanner alone: scan or type a code and press Enter to add
a line (the basket lives in the session, no JavaScript needed), then pay in cash, QRIS or transfer
and print the receipt on 58 or 80 mm paper."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import Blueprint, flash, g, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from core.dashboard import tile
from core.errors import DomainError
from core.permissions import menu_item, requires
from erp.inventory import service as inventory
from erp.inventory.models import Product
from erp.pos import service
from erp.pos.service import CartLine

bp = Blueprint("pos", __name__)

menu_item("pos.counter", _l("Kasir"), "pos.sell", tenant=True)
tile(
    _l("Penjualan gerai hari ini"),
    "pos.sell",
    lambda: service.sales_on(date.today())[1],
    endpoint="pos.counter",
    money=True,
)


def _cart_key() -> str:
    return f"pos-cart-{g.cooperative.id}"


def _cart() -> list[list[int]]:
    raw = session.get(_cart_key(), [])
    return [[int(p), int(q)] for p, q in raw] if isinstance(raw, list) else []


def _save(cart: list[list[int]]) -> None:
    session[_cart_key()] = cart


def _lines(cart: list[list[int]]) -> list[tuple[Product, int]]:
    found = []
    for product_id, quantity in cart:
        try:
            found.append((inventory.get_product(product_id), quantity))
        except DomainError:
            continue
    return found


def _page(status: int = 200, error: str | None = None) -> Any:
    lines = _lines(_cart())
    total = sum(p.price * q for p, q in lines)
    return render_template("pos/counter.html", lines=lines, total=total, error=error), status


@bp.get("/k/<tenant_slug>/kasir/")
@requires("pos.sell")
def counter() -> Any:
    return _page()


@bp.post("/k/<tenant_slug>/kasir/tambah")
@requires("pos.sell")
def add() -> Any:
    code = request.form.get("code", "").strip()[:20]
    raw_quantity = request.form.get("quantity", "1").strip() or "1"
    if not raw_quantity.isdigit() or not 0 < int(raw_quantity) <= 10_000:
        return _page(422, _("Jumlah harus bilangan bulat positif."))
    product = inventory.product_by_code(code)
    if product is None or not product.active:
        return _page(422, _("Kode %(code)s tidak dikenal.", code=code or "–"))
    cart = _cart()
    for line in cart:
        if line[0] == product.id:
            line[1] += int(raw_quantity)
            break
    else:
        cart.append([product.id, int(raw_quantity)])
    _save(cart)
    return redirect(url_for("pos.counter"), 303)


@bp.post("/k/<tenant_slug>/kasir/hapus/<int:product_id>")
@requires("pos.sell")
def remove(product_id: int) -> Any:
    _save([line for line in _cart() if line[0] != product_id])
    return redirect(url_for("pos.counter"), 303)


@bp.post("/k/<tenant_slug>/kasir/bayar")
@requires("pos.sell")
def pay() -> Any:
    cart = _cart()
    paid_raw = request.form.get("paid", "").strip().replace(".", "")
    if paid_raw and not paid_raw.isdigit():
        return _page(422, _("Uang diterima harus rupiah bulat."))
    try:
        sale = service.checkout(
            [CartLine(p, q) for p, q in cart],
            location_id=inventory.default_location().id,
            payment_method=request.form.get("payment_method", "tunai"),
            paid=int(paid_raw) if paid_raw else None,
            reference=request.form.get("reference"),
            member_number=request.form.get("member_number"),
            idempotency_key=request.form.get("idempotency_key", ""),
            kasir_id=current_user.id,
        )
    except DomainError as err:
        return _page(422, str(err.message))
    _save([])
    flash(_("Penjualan tersimpan."))
    return redirect(url_for("pos.receipt", sale_id=sale.id), 303)


@bp.get("/k/<tenant_slug>/kasir/struk/<int:sale_id>")
@requires("pos.sell")
def receipt(sale_id: int) -> Any:
    width = "58" if request.args.get("lebar") == "58" else "80"
    return render_template("pos/receipt.html", r=service.receipt(sale_id), width=width)
