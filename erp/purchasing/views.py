"""Pages of purchasing under /k/<slug>/pembelian/: orders, suppliers (list, search, add, edit,
deactivate, payable ledger, invoices), a new order and its PDF, goods receipt against an order or
without one, invoices with their payments, payments waiting for a second person's approval (and
the threshold), returns to the supplier with its credit note, and the aging of what is owed."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from flask import Blueprint, abort, flash, g, make_response, redirect, render_template, request, url_for
from flask_babel import format_date, get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from marshmallow import ValidationError

from core.dashboard import tile
from core.errors import DomainError, form_messages, refused
from core.money import format_rupiah
from core.permissions import menu_item, requires
from core.schemas import load_form
from erp.purchasing import documents, service
from erp.purchasing.models import OrderStatus, PaymentRequest
from erp.purchasing.schemas import (
    CreditSchema,
    InvoiceSchema,
    OrderSchema,
    PaymentSchema,
    ReceiveSchema,
    RejectSchema,
    SupplierActiveSchema,
    SupplierSchema,
    ThresholdSchema,
    flat_errors,
    gather_rows,
)
from erp.purchasing.service import CreditLineInput, OrderLineInput, ReceiptLineInput

bp = Blueprint("purchasing", __name__)

menu_item("purchasing.index", _l("Pembelian"), "purchasing.view", tenant=True)
tile(
    _l("Utang ke pemasok"),
    "purchasing.view",
    service.payables_total,
    endpoint="purchasing.payables",
    money=True,
)
tile(
    _l("Pembayaran pemasok menunggu persetujuan"),
    "purchasing.approve",
    service.waiting_requests_count,
    endpoint="purchasing.approvals",
)

NEW_ROWS = 6


@bp.app_template_global("purchasing_labels")
def purchasing_labels() -> dict[str, Any]:
    return {
        "kinds": service.KIND_LABELS,
        "statuses": service.STATUS_LABELS,
        "methods": service.METHOD_LABELS,
        "buckets": service.BUCKETS,
        "requests": service.REQUEST_LABELS,
        "reasons": service.REASON_LABELS,
    }


# --- orders ---


@bp.get("/k/<tenant_slug>/pembelian/")
@requires("purchasing.view")
def index() -> Any:
    status = request.args.get("status") or None
    return render_template(
        "purchasing/index.html",
        orders=service.orders(status if status in OrderStatus.__members__.values() else None),
        status=status,
    )


@bp.get("/k/<tenant_slug>/pembelian/po/baru")
@requires("purchasing.manage")
def new_order() -> Any:
    return _order_form({}, {}, 200)


def _order_form(errors: dict[str, Any], values: dict[str, Any], status: int, editing: Any = None) -> Any:
    return (
        render_template(
            "purchasing/order_new.html",
            editing=editing,
            suppliers=service.suppliers(),
            products=service.products(),
            units=service.units_by_product(),
            rows=max(NEW_ROWS, len(values.get("rows", {})) + 1),
            values=values,
            errors=errors,
            chosen=request.args.get("supplier_id", type=int),
        ),
        status,
    )


def _posted_rows() -> dict[int, dict[str, str]]:
    """What was typed in each row, to show the form again as it was sent."""
    rows: dict[int, dict[str, str]] = {}
    for key, value in request.form.items():
        parts = key.split("-")
        if len(parts) == 3 and parts[0] == "lines" and parts[1].isdigit() and int(parts[1]) < 100:
            rows.setdefault(int(parts[1]), {})[parts[2]] = value
    return rows


@bp.post("/k/<tenant_slug>/pembelian/po")
@requires("purchasing.manage")
def create_order() -> Any:
    raw, positions = gather_rows(OrderSchema())
    values = {**request.form.to_dict(), "rows": _posted_rows()}
    try:
        data = OrderSchema().load(raw)
        order = service.create_order(
            data["supplier_id"],
            [
                OrderLineInput(r["product_id"], r["quantity"], r["unit_price"], r["unit"])
                for r in data["lines"]
            ],
            expected_on=data["expected_on"],
            note=data["note"],
            user_id=current_user.id,
        )
    except ValidationError as err:
        return _order_form(flat_errors(err.normalized_messages(), positions), values, 422)
    except DomainError as err:
        return _order_form(flat_errors(refused(err), positions), values, 422)
    flash(_("Pesanan %(number)s tersimpan sebagai draf.", number=order.number))
    return redirect(url_for("purchasing.order", order_id=order.id), 303)


@bp.get("/k/<tenant_slug>/pembelian/po/<int:order_id>/ubah")
@requires("purchasing.manage")
def edit_order(order_id: int) -> Any:
    found = service.get_order(order_id)
    if found.status != OrderStatus.DRAFT:
        return redirect(url_for("purchasing.order", order_id=order_id), 303)
    rows = {
        i: {
            "product_id": str(line.product_id),
            "quantity": str(line.quantity),
            "unit": line.unit or "",
            "unit_price": str(line.unit_price),
        }
        for i, (line, _product) in enumerate(service.order_lines(found.id))
    }
    values = {
        "supplier_id": str(found.supplier_id),
        "expected_on": found.expected_on.isoformat() if found.expected_on else "",
        "note": found.note or "",
        "rows": rows,
    }
    return _order_form({}, values, 200, editing=found)


@bp.post("/k/<tenant_slug>/pembelian/po/<int:order_id>/ubah")
@requires("purchasing.manage")
def update_order(order_id: int) -> Any:
    found = service.get_order(order_id)
    raw, positions = gather_rows(OrderSchema())
    values = {**request.form.to_dict(), "rows": _posted_rows()}
    try:
        data = OrderSchema().load(raw)
        service.update_order(
            order_id,
            data["supplier_id"],
            [
                OrderLineInput(r["product_id"], r["quantity"], r["unit_price"], r["unit"])
                for r in data["lines"]
            ],
            expected_on=data["expected_on"],
            note=data["note"],
            user_id=current_user.id,
        )
    except ValidationError as err:
        return _order_form(flat_errors(err.normalized_messages(), positions), values, 422, editing=found)
    except DomainError as err:
        if err.status == 404:
            raise
        return _order_form(flat_errors(refused(err), positions), values, 422, editing=found)
    flash(_("Draf %(number)s disimpan.", number=found.number))
    return redirect(url_for("purchasing.order", order_id=order_id), 303)


@bp.get("/k/<tenant_slug>/pembelian/po/<int:order_id>")
@requires("purchasing.view")
def order(order_id: int) -> Any:
    return _order_page(order_id, {}, {}, 200)


def _order_page(order_id: int, errors: dict[str, Any], values: dict[str, Any], status: int) -> Any:
    found = service.get_order(order_id)
    return (
        render_template(
            "purchasing/order.html",
            order=found,
            supplier=service.get_supplier(found.supplier_id),
            lines=service.order_lines(found.id),
            receipts=service.receipts(order_id=found.id),
            locations=service.locations(),
            errors=errors,
            values=values,
            today=date.today(),
        ),
        status,
    )


@bp.post("/k/<tenant_slug>/pembelian/po/<int:order_id>/pesan")
@requires("purchasing.manage")
def place_order(order_id: int) -> Any:
    return _order_step(
        order_id,
        service.place_order,
        lambda number: _("Pesanan %(number)s berstatus dipesan. Cetak PDF-nya untuk pemasok.", number=number),
    )


@bp.post("/k/<tenant_slug>/pembelian/po/<int:order_id>/batal")
@requires("purchasing.manage")
def cancel_order(order_id: int) -> Any:
    return _order_step(
        order_id, service.cancel_order, lambda number: _("Pesanan %(number)s dibatalkan.", number=number)
    )


def _order_step(order_id: int, step: Callable[..., Any], done: Callable[[str], str]) -> Any:
    """Move an order on (place, cancel) and go back to its page, saying what happened or why not."""
    try:
        found = step(order_id, user_id=current_user.id)
    except DomainError as err:
        if err.status == 404:
            raise
        refused(err)
    else:
        flash(done(found.number))
    return redirect(url_for("purchasing.order", order_id=order_id), 303)


@bp.get("/k/<tenant_slug>/pembelian/po/<int:order_id>/pdf")
@requires("purchasing.view")
def order_pdf(order_id: int) -> Any:
    found = service.get_order(order_id)
    pdf = documents.purchase_order(
        found, service.get_supplier(found.supplier_id), service.order_lines(found.id), g.cooperative
    )
    response = make_response(pdf)
    response.headers["Content-Type"] = "application/pdf"
    filename = found.number.replace("/", "-")
    response.headers["Content-Disposition"] = f'inline; filename="{filename}.pdf"'
    return response


@bp.post("/k/<tenant_slug>/pembelian/po/<int:order_id>/terima")
@requires("purchasing.manage")
def receive_order(order_id: int) -> Any:
    service.get_order(order_id)
    raw, positions = gather_rows(ReceiveSchema())
    values = {**request.form.to_dict(), "rows": _posted_rows()}
    try:
        data = ReceiveSchema().load(raw)
        receipt = service.receive_goods(
            order_id=order_id,
            location_id=data["location_id"],
            lines=[_receipt_line(r) for r in data["lines"]],
            received_on=data["received_on"],
            note=data["note"],
            idempotency_key=data["idempotency_key"],
            user_id=current_user.id,
        )
    except ValidationError as err:
        return _order_page(order_id, flat_errors(err.normalized_messages(), positions), values, 422)
    except DomainError as err:
        if err.status == 404:
            raise
        return _order_page(order_id, flat_errors(refused(err), positions), values, 422)
    flash(_("Penerimaan %(number)s dicatat; stok dan utang usaha bertambah.", number=receipt.number))
    return redirect(url_for("purchasing.receipt", receipt_id=receipt.id), 303)


def _receipt_line(row: dict[str, Any]) -> ReceiptLineInput:
    return ReceiptLineInput(
        quantity=row["quantity"],
        order_line_id=row["order_line_id"],
        product_id=row["product_id"],
        unit=row["unit"],
        unit_price=row["unit_price"],
        lot=row["lot"],
        expires_on=row["expires_on"],
    )


# --- receipts ---


@bp.get("/k/<tenant_slug>/pembelian/penerimaan/baru")
@requires("purchasing.manage")
def new_receipt() -> Any:
    return _receipt_form({}, {}, 200)


def _receipt_form(errors: dict[str, Any], values: dict[str, Any], status: int) -> Any:
    return (
        render_template(
            "purchasing/receipt_new.html",
            suppliers=service.suppliers(),
            products=service.products(),
            units=service.units_by_product(),
            locations=service.locations(),
            rows=max(NEW_ROWS, len(values.get("rows", {})) + 1),
            values=values,
            errors=errors,
            today=date.today(),
        ),
        status,
    )


@bp.post("/k/<tenant_slug>/pembelian/penerimaan")
@requires("purchasing.manage")
def create_receipt() -> Any:
    raw, positions = gather_rows(ReceiveSchema())
    values = {**request.form.to_dict(), "rows": _posted_rows()}
    try:
        data = ReceiveSchema().load(raw)
        if data["supplier_id"] is None:
            raise ValidationError({"supplier_id": [_("Pilih pemasok.")]})
        receipt = service.receive_goods(
            supplier_id=data["supplier_id"],
            location_id=data["location_id"],
            lines=[_receipt_line({**r, "order_line_id": None}) for r in data["lines"]],
            received_on=data["received_on"],
            note=data["note"],
            idempotency_key=data["idempotency_key"],
            user_id=current_user.id,
        )
    except ValidationError as err:
        return _receipt_form(flat_errors(err.normalized_messages(), positions), values, 422)
    except DomainError as err:
        return _receipt_form(flat_errors(refused(err), positions), values, 422)
    flash(_("Penerimaan %(number)s dicatat; stok dan utang usaha bertambah.", number=receipt.number))
    return redirect(url_for("purchasing.receipt", receipt_id=receipt.id), 303)


@bp.get("/k/<tenant_slug>/pembelian/penerimaan/<int:receipt_id>")
@requires("purchasing.view")
def receipt(receipt_id: int) -> Any:
    found = service.get_receipt(receipt_id)
    return render_template(
        "purchasing/receipt.html",
        receipt=found,
        supplier=service.get_supplier(found.supplier_id),
        order=service.get_order(found.order_id) if found.order_id else None,
        invoice=service.get_invoice(found.invoice_id) if found.invoice_id else None,
        location=next((loc for loc in service.locations() if loc.id == found.location_id), None),
        lines=service.receipt_lines(found.id),
        credits=service.credits_of(receipt_id=found.id),
    )


# --- suppliers ---


@bp.get("/k/<tenant_slug>/pembelian/pemasok")
@requires("purchasing.view")
def suppliers() -> Any:
    return _suppliers_page({}, {}, 200)


def _suppliers_page(errors: dict[str, Any], values: dict[str, Any], status: int) -> Any:
    query = (request.args.get("q") or "").strip()[:60]
    everyone = request.args.get("semua") == "1"
    return (
        render_template(
            "purchasing/suppliers.html",
            suppliers=service.suppliers(query, include_inactive=everyone),
            query=query,
            everyone=everyone,
            errors=errors,
            values=values,
        ),
        status,
    )


@bp.post("/k/<tenant_slug>/pembelian/pemasok")
@requires("purchasing.manage")
def add_supplier() -> Any:
    try:
        supplier = service.add_supplier(**load_form(SupplierSchema()))
    except ValidationError as err:
        return _suppliers_page(form_messages(err), request.form.to_dict(), 422)
    except DomainError as err:
        return _suppliers_page(refused(err), request.form.to_dict(), 422)
    flash(_("Pemasok %(name)s ditambahkan.", name=supplier.name))
    return redirect(url_for("purchasing.supplier", supplier_id=supplier.id), 303)


@bp.get("/k/<tenant_slug>/pembelian/pemasok/<int:supplier_id>")
@requires("purchasing.view")
def supplier(supplier_id: int) -> Any:
    return _supplier_page(supplier_id, {}, {}, 200)


def _supplier_page(supplier_id: int, errors: dict[str, Any], values: dict[str, Any], status: int) -> Any:
    found = service.get_supplier(supplier_id)
    return (
        render_template(
            "purchasing/supplier.html",
            supplier=found,
            member_number=service.supplier_member_number(found),
            ledger_rows=service.supplier_ledger(found.id),
            open_receipts=service.receipts(supplier_id=found.id, uninvoiced=True),
            invoices=service.invoices(supplier_id=found.id),
            orders=service.orders(supplier_id=found.id)[:20],
            errors=errors,
            values=values,
            today=date.today(),
        ),
        status,
    )


@bp.post("/k/<tenant_slug>/pembelian/pemasok/<int:supplier_id>")
@requires("purchasing.manage")
def update_supplier(supplier_id: int) -> Any:
    service.get_supplier(supplier_id)
    try:
        service.update_supplier(supplier_id, **load_form(SupplierSchema()))
    except ValidationError as err:
        return _supplier_page(supplier_id, form_messages(err), request.form.to_dict(), 422)
    except DomainError as err:
        if err.status == 404:
            raise
        return _supplier_page(supplier_id, refused(err), request.form.to_dict(), 422)
    flash(_("Data pemasok disimpan."))
    return redirect(url_for("purchasing.supplier", supplier_id=supplier_id), 303)


@bp.post("/k/<tenant_slug>/pembelian/pemasok/<int:supplier_id>/aktif")
@requires("purchasing.manage")
def set_supplier_active(supplier_id: int) -> Any:
    service.get_supplier(supplier_id)
    try:
        active = load_form(SupplierActiveSchema())["active"]
    except ValidationError:
        abort(400)
    found = service.set_supplier_active(supplier_id, active)
    flash(_("Pemasok diaktifkan kembali.") if found.active else _("Pemasok dinonaktifkan."))
    return redirect(url_for("purchasing.supplier", supplier_id=supplier_id), 303)


@bp.post("/k/<tenant_slug>/pembelian/pemasok/<int:supplier_id>/tagihan")
@requires("purchasing.pay")
def record_invoice(supplier_id: int) -> Any:
    service.get_supplier(supplier_id)
    try:
        data = load_form(InvoiceSchema())
        invoice = service.record_invoice(
            supplier_id,
            data["receipt_ids"],
            number=data["number"],
            invoice_date=data["invoice_date"],
            amount=data["amount"],
            difference_note=data["difference_note"],
            user_id=current_user.id,
        )
    except ValidationError as err:
        return _supplier_page(supplier_id, form_messages(err), _invoice_values(), 422)
    except DomainError as err:
        if err.status == 404:
            raise
        return _supplier_page(supplier_id, refused(err), _invoice_values(), 422)
    flash(
        _(
            "Tagihan %(number)s dicatat, jatuh tempo %(due)s.",
            number=invoice.number,
            due=format_date(invoice.due_on, "d MMM y"),
        )
    )
    return redirect(url_for("purchasing.invoice", invoice_id=invoice.id), 303)


def _invoice_values() -> dict[str, Any]:
    return {**request.form.to_dict(), "receipt_ids": request.form.getlist("receipt_ids")}


# --- invoices, payments, aging ---


@bp.get("/k/<tenant_slug>/pembelian/tagihan/<int:invoice_id>")
@requires("purchasing.view")
def invoice(invoice_id: int) -> Any:
    return _invoice_page(invoice_id, {}, {}, 200)


def _invoice_page(invoice_id: int, errors: dict[str, Any], values: dict[str, Any], status: int) -> Any:
    found = service.get_invoice(invoice_id)
    requests = service.payment_requests(invoice_id=found.id)
    return (
        render_template(
            "purchasing/invoice.html",
            invoice=found,
            supplier=service.get_supplier(found.supplier_id),
            receipts=[r for r in service.receipts(supplier_id=found.supplier_id) if r.invoice_id == found.id],
            payments=service.payments_of(found.id),
            requests=requests,
            waiting_total=sum(r.amount for r, _i, _s in requests if r.status == "menunggu"),
            people=service.people_named(
                {r.requested_by for r, _i, _s in requests} | {r.decided_by or 0 for r, _i, _s in requests}
            ),
            credits=service.credits_of(invoice_id=found.id),
            threshold=service.payment_threshold(),
            errors=errors,
            values=values,
            today=date.today(),
        ),
        status,
    )


@bp.post("/k/<tenant_slug>/pembelian/tagihan/<int:invoice_id>/bayar")
@requires("purchasing.pay")
def pay_invoice(invoice_id: int) -> Any:
    service.get_invoice(invoice_id)
    try:
        data = load_form(PaymentSchema())
        payment = service.pay_invoice(
            invoice_id,
            data["amount"],
            method=data["method"],
            reference=data["reference"],
            paid_on=data["paid_on"],
            idempotency_key=data["idempotency_key"],
            user_id=current_user.id,
        )
    except ValidationError as err:
        return _invoice_page(invoice_id, form_messages(err), request.form.to_dict(), 422)
    except DomainError as err:
        if err.status == 404:
            raise
        return _invoice_page(invoice_id, refused(err), request.form.to_dict(), 422)
    amount = format_rupiah(payment.amount, str(get_locale() or "id"))
    if isinstance(payment, PaymentRequest):
        if payment.status == "menunggu":
            flash(
                _(
                    "Pembayaran %(amount)s mencapai batas %(limit)s, jadi menunggu persetujuan orang kedua "
                    "(ketua, bendahara atau manajer). Uang belum keluar dan sisa tagihan belum berubah.",
                    amount=amount,
                    limit=format_rupiah(service.payment_threshold(), str(get_locale() or "id")),
                )
            )
        else:
            flash(_("Permintaan pembayaran %(amount)s ini sudah diputuskan.", amount=amount))
    else:
        flash(_("Pembayaran %(amount)s dicatat.", amount=amount))
    return redirect(url_for("purchasing.invoice", invoice_id=invoice_id), 303)


# --- payments waiting for approval ---


@bp.get("/k/<tenant_slug>/pembelian/persetujuan")
@requires("purchasing.approve")
def approvals() -> Any:
    return _approvals_page({}, {}, 200)


def _approvals_page(errors: dict[str, Any], values: dict[str, Any], status: int) -> Any:
    requests = service.payment_requests()
    return (
        render_template(
            "purchasing/approvals.html",
            waiting=[r for r in requests if r[0].status == "menunggu"],
            decided=[r for r in requests if r[0].status != "menunggu"][:30],
            threshold=service.payment_threshold(),
            people=service.people_named(
                {r.requested_by for r, _i, _s in requests} | {r.decided_by or 0 for r, _i, _s in requests}
            ),
            errors=errors,
            values=values,
        ),
        status,
    )


def _back_after_decision(invoice_id: int) -> Any:
    if request.form.get("kembali") == "tagihan":
        return redirect(url_for("purchasing.invoice", invoice_id=invoice_id), 303)
    return redirect(url_for("purchasing.approvals"), 303)


@bp.post("/k/<tenant_slug>/pembelian/persetujuan/<int:request_id>/setujui")
@requires("purchasing.approve")
def approve_payment(request_id: int) -> Any:
    try:
        decided = service.approve_payment(request_id, user_id=current_user.id)
    except DomainError as err:
        if err.status == 404:
            raise
        refused(err)
        invoice_id = service.request_invoice_id(request_id)
    else:
        invoice_id = decided.invoice_id
        amount = format_rupiah(decided.amount, str(get_locale() or "id"))
        flash(_("Pembayaran %(amount)s disetujui dan dibukukan.", amount=amount))
    return _back_after_decision(invoice_id)


@bp.post("/k/<tenant_slug>/pembelian/persetujuan/<int:request_id>/tolak")
@requires("purchasing.approve")
def reject_payment(request_id: int) -> Any:
    invoice_id = service.request_invoice_id(request_id)
    try:
        data = load_form(RejectSchema())
        decided = service.reject_payment(request_id, data["reason"], user_id=current_user.id)
    except ValidationError:
        flash(_("Tulis alasan penolakan."), "error")
    except DomainError as err:
        if err.status == 404:
            raise
        refused(err)
    else:
        amount = format_rupiah(decided.amount, str(get_locale() or "id"))
        flash(_("Pembayaran %(amount)s ditolak; tidak ada uang keluar.", amount=amount))
    return _back_after_decision(invoice_id)


@bp.post("/k/<tenant_slug>/pembelian/persetujuan/batas")
@requires("purchasing.settings")
def set_threshold() -> Any:
    try:
        data = load_form(ThresholdSchema())
        threshold = service.set_payment_threshold(data["payment_approval_threshold"], user_id=current_user.id)
    except ValidationError as err:
        return _approvals_page(form_messages(err), request.form.to_dict(), 422)
    except DomainError as err:
        return _approvals_page(refused(err), request.form.to_dict(), 422)
    flash(
        _(
            "Pembayaran pemasok mulai %(limit)s kini perlu persetujuan orang kedua.",
            limit=format_rupiah(threshold, str(get_locale() or "id")),
        )
    )
    return redirect(url_for("purchasing.approvals"), 303)


# --- returns to the supplier and credit notes ---


@bp.get("/k/<tenant_slug>/pembelian/tagihan/<int:invoice_id>/nota-kredit")
@requires("purchasing.return")
def new_invoice_credit(invoice_id: int) -> Any:
    return _credit_form({"invoice_id": invoice_id}, {}, {}, 200)


@bp.get("/k/<tenant_slug>/pembelian/penerimaan/<int:receipt_id>/nota-kredit")
@requires("purchasing.return")
def new_receipt_credit(receipt_id: int) -> Any:
    return _credit_form({"receipt_id": receipt_id}, {}, {}, 200)


def _credit_form(target: dict[str, int], errors: dict[str, Any], values: dict[str, Any], status: int) -> Any:
    invoice, receipt = None, None
    if "invoice_id" in target:
        invoice = service.get_invoice(target["invoice_id"])
        supplier_id, open_amount = invoice.supplier_id, invoice.outstanding
    else:
        receipt = service.get_receipt(target["receipt_id"])
        if receipt.invoice_id is not None:  # billed meanwhile: its credit notes go on the invoice
            return redirect(url_for("purchasing.new_invoice_credit", invoice_id=receipt.invoice_id), 303)
        supplier_id, open_amount = receipt.supplier_id, receipt.unbilled
    lines = service.returnable_lines(**target)
    return (
        render_template(
            "purchasing/credit_new.html",
            invoice=invoice,
            receipt=receipt,
            open_amount=open_amount,
            supplier=service.get_supplier(supplier_id),
            lines=lines,
            default_location=lines[0][2].location_id if lines else None,
            locations=service.locations(),
            values=values,
            errors=errors,
            today=date.today(),
        ),
        status,
    )


@bp.post("/k/<tenant_slug>/pembelian/tagihan/<int:invoice_id>/nota-kredit")
@requires("purchasing.return")
def record_invoice_credit(invoice_id: int) -> Any:
    service.get_invoice(invoice_id)
    return _record_credit({"invoice_id": invoice_id})


@bp.post("/k/<tenant_slug>/pembelian/penerimaan/<int:receipt_id>/nota-kredit")
@requires("purchasing.return")
def record_receipt_credit(receipt_id: int) -> Any:
    service.get_receipt(receipt_id)
    return _record_credit({"receipt_id": receipt_id})


def _record_credit(target: dict[str, int]) -> Any:
    raw, positions = gather_rows(CreditSchema())
    values = {**request.form.to_dict(), "rows": _posted_rows()}
    try:
        data = CreditSchema().load(raw)
        credit_note = service.record_credit(
            **target,
            number=data["number"],
            credit_date=data["credit_date"],
            amount=data["amount"],
            reason=data["reason"],
            note=data["note"],
            location_id=data["location_id"],
            lines=[CreditLineInput(r["receipt_line_id"], r["quantity"]) for r in data["lines"]],
            idempotency_key=data["idempotency_key"],
            user_id=current_user.id,
        )
    except ValidationError as err:
        return _credit_form(target, flat_errors(err.normalized_messages(), positions), values, 422)
    except DomainError as err:
        if err.status == 404:
            raise
        return _credit_form(target, flat_errors(refused(err), positions), values, 422)
    amount = format_rupiah(credit_note.amount, str(get_locale() or "id"))
    if credit_note.goods_cost:
        flash(
            _(
                "Nota kredit %(number)s dicatat: utang berkurang %(amount)s dan barang yang diretur "
                "keluar dari stok.",
                number=credit_note.number,
                amount=amount,
            )
        )
    else:
        flash(
            _(
                "Nota kredit %(number)s dicatat: utang berkurang %(amount)s.",
                number=credit_note.number,
                amount=amount,
            )
        )
    if credit_note.invoice_id is not None:
        return redirect(url_for("purchasing.invoice", invoice_id=credit_note.invoice_id), 303)
    return redirect(url_for("purchasing.receipt", receipt_id=credit_note.receipt_id), 303)


@bp.get("/k/<tenant_slug>/pembelian/utang")
@requires("purchasing.view")
def payables() -> Any:
    report = service.aging()
    return render_template(
        "purchasing/payables.html",
        report=report,
        in_books=service.payable_in_books(),
        invoices=service.invoices(open_only=True),
    )
