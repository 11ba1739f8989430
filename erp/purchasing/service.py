"""The purchasing use cases: keep suppliers, order goods (PO/YYYY/MM/NNNN), receive them into a
location through `erp.inventory.service.receive` on credit, record the supplier's invoice and pay
it (a second person approves payments at or above the cooperative's threshold), send goods back
against the supplier's credit note, and read the payable ledger and its aging.

Invariants: a purchase-order line never has more received than ordered (checked under a row lock
on the order, and by the database), and a receipt line never more returned than received; an
invoice's `paid` and `credited` only rise, under `SELECT … FOR UPDATE`, in the transaction that
writes the payment or credit note and posts it, and never above the invoice amount; a payment
waiting for approval posts nothing and is never approved by who asked for it; every posting
carries an idempotency key, so a repeated request posts once. What purchases owe (receipts,
invoice differences, less payments and credit notes) equals their share of Utang Usaha, and the
aging list totals exactly that; returned goods leave Persediaan at the cost stock carried them.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import Date, Integer, bindparam, case, cast, func, literal, or_, select, text, union_all
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.util import identity_key

from core import audit
from core.db import db
from core.errors import DomainError, ErrorCode, NotFound
from core.identifiers import normalize_bank_account, normalize_npwp
from core.models import User
from core.money import InvariantViolation, format_rupiah
from core.schemas import normalize_phone
from erp.inventory import lots
from erp.inventory import service as inventory
from erp.inventory.models import Location, Lot, MoveKind, Product
from erp.ledger import service as ledger
from erp.ledger.models import MAX_AMOUNT
from erp.ledger.service import IdempotencyConflict, NewEntry, credit, debit
from erp.membership import service as membership
from erp.membership.models import MemberStatus
from erp.purchasing.models import (
    DEFAULT_PAYMENT_APPROVAL_THRESHOLD,
    CreditReason,
    GoodsReceipt,
    GoodsReceiptLine,
    OrderStatus,
    PaymentMethod,
    PaymentRequest,
    PurchaseOrder,
    PurchaseOrderLine,
    PurchasingSettings,
    RequestStatus,
    Supplier,
    SupplierCredit,
    SupplierCreditLine,
    SupplierInvoice,
    SupplierKind,
    SupplierPayment,
)
from tenants.context import require_tenant

SOURCE = "purchasing"
PAYABLE = inventory.PAYABLE  # 2-1300 Utang Usaha: where receipts on credit go
CASH = "1-1100"
BANK = "1-1110"
# purchase price variance: the part of an invoice above (or below) what its receipts were booked at
PRICE_VARIANCE = "5-1100"
MAX_LINES = 50
MAX_QUANTITY = inventory.MAX_QUANTITY
MAX_LIST = 500

KIND_LABELS: dict[str, Any] = {
    SupplierKind.BULOG: _l("Perum Bulog"),
    SupplierKind.PUPUK_INDONESIA: _l("Pupuk Indonesia"),
    SupplierKind.PERTAMINA: _l("Pertamina (agen/pangkalan)"),
    SupplierKind.ID_FOOD: _l("ID Food"),
    SupplierKind.PETANI_ANGGOTA: _l("Petani anggota"),
    SupplierKind.LAINNYA: _l("Lainnya"),
}
STATUS_LABELS: dict[str, Any] = {
    OrderStatus.DRAFT: _l("draf"),
    OrderStatus.DIPESAN: _l("dipesan"),
    OrderStatus.SEBAGIAN: _l("sebagian diterima"),
    OrderStatus.DITERIMA: _l("diterima"),
    OrderStatus.DIBATALKAN: _l("dibatalkan"),
}
METHOD_LABELS: dict[str, Any] = {
    PaymentMethod.KAS: _l("Tunai (kas)"),
    PaymentMethod.BANK: _l("Transfer bank"),
}
REQUEST_LABELS: dict[str, Any] = {
    RequestStatus.MENUNGGU: _l("menunggu persetujuan"),
    RequestStatus.DISETUJUI: _l("disetujui"),
    RequestStatus.DITOLAK: _l("ditolak"),
}
REASON_LABELS: dict[str, Any] = {
    CreditReason.RUSAK: _l("Barang rusak"),
    CreditReason.KEDALUWARSA: _l("Barang kedaluwarsa"),
    CreditReason.SALAH_KIRIM: _l("Salah kirim (barang tidak sesuai)"),
    CreditReason.KOREKSI_HARGA: _l("Koreksi harga, tanpa barang"),
    CreditReason.LAINNYA: _l("Lainnya"),
}


class InvalidPurchase(DomainError):
    code = ErrorCode.INVALID_INPUT
    status = 422


class InvalidTransition(DomainError):
    code = ErrorCode.INVALID_TRANSITION
    status = 422


class Overpayment(DomainError):
    code = ErrorCode.INSUFFICIENT_BALANCE
    status = 422


def _refuse(message: Any, field_name: str, field_message: Any) -> InvalidPurchase:
    return InvalidPurchase(message, fields={field_name: [str(field_message)]})


def _text(value: Any, field_name: str, limit: int, *, required: bool = False) -> str | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise _refuse(_l("Data belum lengkap."), field_name, _l("Wajib diisi."))
        return None
    if not isinstance(value, str) or len(value.strip()) > limit:
        raise _refuse(
            _l("Teks terlalu panjang (paling banyak %(n)s karakter).", n=limit),
            field_name,
            _l("Paling banyak %(n)s karakter.", n=limit),
        )
    return value.strip()


def _whole(value: Any, field_name: str, limit: int) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not 0 < value <= limit:
        raise _refuse(
            _l("Jumlah harus bilangan bulat lebih dari nol."), field_name, _l("Harus lebih dari nol.")
        )
    return value


def _key(value: Any) -> str:
    if not isinstance(value, str) or not 8 <= len(value) <= 64:
        raise InvalidPurchase(_l("Formulir tidak sah; muat ulang halaman."))
    return value


# --- suppliers -----------------------------------------------------------------------------------


def _supplier_values(
    *,
    name: Any,
    kind: Any,
    member_number: Any = None,
    npwp: Any = None,
    phone: Any = None,
    address: Any = None,
    bank_name: Any = None,
    bank_account: Any = None,
    payment_terms_days: Any = 30,
) -> dict[str, Any]:
    values: dict[str, Any] = {"name": _text(name, "name", 120, required=True)}
    if kind not in SupplierKind.__members__.values():
        raise _refuse(_l("Jenis pemasok tidak dikenal."), "kind", _l("Pilihan tidak dikenal."))
    values["kind"] = SupplierKind(kind).value
    values["member_id"] = None
    number = _text(member_number, "member_number", 40)
    if values["kind"] == SupplierKind.PETANI_ANGGOTA:
        if number is None:
            raise _refuse(
                _l("Petani anggota harus ditautkan ke nomor anggotanya."),
                "member_number",
                _l("Wajib diisi untuk petani anggota."),
            )
        member = membership.member_by_number(number)
        if member is None:
            raise _refuse(
                _l("Anggota bernomor %(number)s tidak ditemukan.", number=number.upper()),
                "member_number",
                _l("Tidak ditemukan."),
            )
        if member.status != MemberStatus.ACTIVE.value:
            raise _refuse(
                _l("Anggota %(number)s tidak aktif.", number=number.upper()),
                "member_number",
                _l("Tidak aktif."),
            )
        values["member_id"] = member.id
    elif number is not None:
        raise _refuse(
            _l("Nomor anggota hanya untuk pemasok berjenis petani anggota."),
            "member_number",
            _l("Pilih jenis petani anggota atau kosongkan."),
        )
    values["npwp"] = None
    if npwp is not None and str(npwp).strip():
        try:
            values["npwp"] = normalize_npwp(str(npwp))
        except Exception as err:  # marshmallow's ValidationError carries the Indonesian reason
            raise _refuse(
                _l("NPWP tidak sah: 15 atau 16 angka."), "npwp", getattr(err, "messages", err)
            ) from err
    values["phone"] = None
    if phone is not None and str(phone).strip():
        values["phone"] = normalize_phone(str(phone))
        if values["phone"] is None:
            raise _refuse(
                _l("Nomor HP tidak sah (contoh: 0812 3456 7890)."), "phone", _l("Nomor HP tidak sah.")
            )
    values["address"] = _text(address, "address", 200)
    values["bank_name"] = _text(bank_name, "bank_name", 60)
    values["bank_account"] = None
    if bank_account is not None and str(bank_account).strip():
        try:
            values["bank_account"] = normalize_bank_account(str(bank_account))
        except Exception as err:
            raise _refuse(
                _l("Nomor rekening hanya angka (5–20 digit)."), "bank_account", _l("Tidak sah.")
            ) from err
    if values["bank_account"] is not None and values["bank_name"] is None:
        raise _refuse(
            _l("Sebutkan nama bank rekening itu."), "bank_name", _l("Wajib diisi bila ada rekening.")
        )
    if (
        not isinstance(payment_terms_days, int)
        or isinstance(payment_terms_days, bool)
        or not 0 <= payment_terms_days <= 365
    ):
        raise _refuse(
            _l("Tempo pembayaran harus 0 sampai 365 hari."), "payment_terms_days", _l("0 sampai 365 hari.")
        )
    values["payment_terms_days"] = payment_terms_days
    return values


def _refuse_taken_member(member_id: int | None, supplier_id: int | None) -> None:
    if member_id is None:
        return
    other = db.session.scalar(
        select(Supplier).where(Supplier.member_id == member_id, Supplier.id != (supplier_id or 0))
    )
    if other is not None:
        raise _refuse(
            _l("Anggota ini sudah terdaftar sebagai pemasok %(name)s.", name=other.name),
            "member_number",
            _l("Sudah terdaftar."),
        )


def _supplier_audit(s: Supplier) -> dict[str, Any]:
    return {
        "name": s.name,
        "kind": s.kind,
        "member_id": s.member_id,
        "npwp": s.npwp,
        "phone": s.phone,
        "bank_name": s.bank_name,
        "bank_account": s.bank_account,
        "payment_terms_days": s.payment_terms_days,
        "active": s.active,
    }


def add_supplier(**data: Any) -> Supplier:
    """Register a supplier; a member farmer is linked to their member record (one supplier each)."""
    require_tenant()
    values = _supplier_values(**data)
    _refuse_taken_member(values["member_id"], None)
    supplier = Supplier(**values)
    db.session.add(supplier)
    db.session.flush()
    audit.record(
        "purchasing.supplier_added", "purchasing_supplier", supplier.id, after=_supplier_audit(supplier)
    )
    db.session.commit()
    return supplier


def update_supplier(supplier_id: int, **data: Any) -> Supplier:
    supplier = _supplier_for_update(supplier_id)
    values = _supplier_values(**data)
    _refuse_taken_member(values["member_id"], supplier.id)
    before = _supplier_audit(supplier)
    for name, value in values.items():
        setattr(supplier, name, value)
    db.session.flush()
    audit.record(
        "purchasing.supplier_changed",
        "purchasing_supplier",
        supplier.id,
        before=before,
        after=_supplier_audit(supplier),
    )
    db.session.commit()
    return supplier


def set_supplier_active(supplier_id: int, active: bool) -> Supplier:
    """Deactivate a supplier (no new orders or receipts; its invoices can still be paid) or bring it
    back."""
    supplier = _supplier_for_update(supplier_id)
    if supplier.active != active:
        supplier.active = active
        audit.record(
            "purchasing.supplier_activated" if active else "purchasing.supplier_deactivated",
            "purchasing_supplier",
            supplier.id,
            before={"active": not active},
            after={"active": active},
        )
    db.session.commit()
    return supplier


def suppliers(query: str | None = None, *, include_inactive: bool = False) -> list[Supplier]:
    """Suppliers by name, matching `query` in the name, NPWP or phone."""
    require_tenant()
    stmt = select(Supplier).order_by(Supplier.active.desc(), Supplier.name).limit(MAX_LIST)
    if not include_inactive:
        stmt = stmt.where(Supplier.active.is_(True))
    wanted = (query or "").strip()[:60]
    if wanted:
        pattern = "%" + wanted.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        digits = "".join(c for c in wanted if c.isdigit())
        conditions: list[Any] = [Supplier.name.ilike(pattern)]
        if len(digits) >= 4:
            conditions += [Supplier.npwp.contains(digits), Supplier.phone.contains(digits)]
        stmt = stmt.where(or_(*conditions))
    return list(db.session.scalars(stmt))


def get_supplier(supplier_id: int) -> Supplier:
    require_tenant()
    supplier = db.session.get(Supplier, supplier_id) if isinstance(supplier_id, int) else None
    if supplier is None:
        raise NotFound(_l("Pemasok tidak ditemukan."))
    return supplier


def supplier_member_number(supplier: Supplier) -> str | None:
    if supplier.member_id is None:
        return None
    member = membership.get_member(supplier.member_id)
    return member.member_number


def _supplier_for_update(supplier_id: int) -> Supplier:
    require_tenant()
    supplier = db.session.scalar(select(Supplier).where(Supplier.id == supplier_id).with_for_update())
    if supplier is None:
        raise NotFound(_l("Pemasok tidak ditemukan."))
    return supplier


def _active_supplier(supplier_id: Any) -> Supplier:
    if not isinstance(supplier_id, int):
        raise _refuse(_l("Pilih pemasok."), "supplier_id", _l("Wajib diisi."))
    supplier = db.session.get(Supplier, supplier_id)
    if supplier is None:
        raise _refuse(_l("Pemasok tidak ditemukan."), "supplier_id", _l("Tidak ditemukan."))
    if not supplier.active:
        raise _refuse(
            _l("Pemasok %(name)s sudah tidak aktif.", name=supplier.name), "supplier_id", _l("Tidak aktif.")
        )
    return supplier


# --- numbering -----------------------------------------------------------------------------------


def _next_number(prefix: str, model: type[PurchaseOrder] | type[GoodsReceipt], on: date) -> str:
    """The next number `PREFIX/YYYY/MM/NNNN` of the cooperative, reserved under a transaction lock
    so two at once never share one; a rolled-back transaction frees it, so there are no gaps."""
    tenant_id = require_tenant()
    head = f"{prefix}/{on.year:04d}/{on.month:02d}/"
    db.session.execute(
        select(func.pg_advisory_xact_lock(func.hashtextextended(f"purchasing.{head}:{tenant_id}", 0)))
    )
    highest = db.session.scalar(
        select(func.max(cast(func.substr(model.number, len(head) + 1), Integer))).where(
            model.number.startswith(head)
        )
    )
    return f"{head}{int(highest or 0) + 1:04d}"


# --- purchase orders -----------------------------------------------------------------------------


@dataclass(frozen=True)
class OrderLineInput:
    product_id: int
    quantity: int
    unit_price: int
    unit: str | None = None


def _unit_of(product: Product, unit: Any, index: int) -> str | None:
    """The unit as stored on a line: None for the product's base unit, else a unit it has."""
    name = unit.strip() if isinstance(unit, str) else ""
    if not name or name.lower() == product.unit.lower():
        return None
    for candidate in inventory.units_of(product.id):
        if candidate.name.lower() == name.lower():
            return candidate.name
    raise _refuse(
        _l("Satuan %(unit)s tidak dikenal untuk %(name)s.", unit=name, name=product.name),
        f"lines.{index}.unit",
        _l("Tidak dikenal."),
    )


def _factor(product: Product, unit: str | None) -> int:
    return 1 if unit is None else inventory.to_base(product, 1, unit)


def _products(ids: Sequence[int]) -> dict[int, Product]:
    rows = db.session.scalars(select(Product).where(Product.id.in_(sorted(set(ids)))))
    return {p.id: p for p in rows}


def _order_lines(lines: Sequence[OrderLineInput]) -> tuple[list[PurchaseOrderLine], int]:
    """Checked order lines (not yet added) and their total."""
    if not lines:
        raise _refuse(_l("Isi paling sedikit satu baris barang."), "lines", _l("Wajib diisi."))
    if len(lines) > MAX_LINES:
        raise _refuse(_l("Paling banyak %(n)s baris.", n=MAX_LINES), "lines", _l("Terlalu banyak."))
    products = _products([line.product_id for line in lines])
    rows: list[PurchaseOrderLine] = []
    seen: set[tuple[int, str | None]] = set()
    for i, line in enumerate(lines):
        product = products.get(line.product_id)
        if product is None or not product.active:
            raise _refuse(_l("Barang tidak ditemukan."), f"lines.{i}.product_id", _l("Tidak ditemukan."))
        unit = _unit_of(product, line.unit, i)
        quantity = _whole(line.quantity, f"lines.{i}.quantity", MAX_QUANTITY)
        if quantity * _factor(product, unit) > MAX_QUANTITY:
            raise _refuse(_l("Jumlah terlalu besar."), f"lines.{i}.quantity", _l("Terlalu besar."))
        price = _whole(line.unit_price, f"lines.{i}.unit_price", MAX_AMOUNT)
        if quantity * price > MAX_AMOUNT:
            raise _refuse(_l("Nilai baris terlalu besar."), f"lines.{i}.unit_price", _l("Terlalu besar."))
        if (product.id, unit) in seen:
            raise _refuse(
                _l(
                    "%(name)s tertulis dua kali dengan satuan yang sama; gabungkan jumlahnya.",
                    name=product.name,
                ),
                f"lines.{i}.product_id",
                _l("Dua kali."),
            )
        seen.add((product.id, unit))
        rows.append(PurchaseOrderLine(product_id=product.id, unit=unit, quantity=quantity, unit_price=price))
    total = sum(r.amount for r in rows)
    if total > MAX_AMOUNT:
        raise _refuse(_l("Nilai pesanan terlalu besar."), "lines", _l("Terlalu besar."))
    return rows, total


def _expected(expected_on: date | None, day: date) -> date | None:
    if expected_on is not None and expected_on < day:
        raise _refuse(
            _l("Tanggal perkiraan tiba tidak boleh sebelum tanggal pesan."),
            "expected_on",
            _l("Terlalu awal."),
        )
    return expected_on


def create_order(
    supplier_id: int,
    lines: Sequence[OrderLineInput],
    *,
    ordered_on: date | None = None,
    expected_on: date | None = None,
    note: str | None = None,
    user_id: int | None = None,
) -> PurchaseOrder:
    """A draft purchase order to an active supplier, numbered at once (PO/YYYY/MM/NNNN)."""
    require_tenant()
    supplier = _active_supplier(supplier_id)
    day = ordered_on or date.today()
    expected_on = _expected(expected_on, day)
    rows, total = _order_lines(lines)
    order = PurchaseOrder(
        number=_next_number("PO", PurchaseOrder, day),
        supplier_id=supplier.id,
        status=OrderStatus.DRAFT.value,
        ordered_on=day,
        expected_on=expected_on,
        note=_text(note, "note", 300),
        total=total,
        created_by=user_id,
    )
    db.session.add(order)
    db.session.flush()
    for row in rows:
        row.order_id = order.id
        db.session.add(row)
    db.session.flush()
    audit.record(
        "purchasing.order_created",
        "purchasing_order",
        order.id,
        after={"number": order.number, "supplier_id": supplier.id, "total": total, "lines": len(rows)},
        actor_id=user_id,
    )
    db.session.commit()
    return order


def update_order(
    order_id: int,
    supplier_id: int,
    lines: Sequence[OrderLineInput],
    *,
    expected_on: date | None = None,
    note: str | None = None,
    user_id: int | None = None,
) -> PurchaseOrder:
    """Change a draft before it is sent: its supplier, lines, expected date and note (the number
    stays). An order already sent is changed only by cancelling it and ordering again."""
    order = _order_for_update(order_id)
    if order.status != OrderStatus.DRAFT:
        raise InvalidTransition(
            _l(
                "Hanya pesanan berstatus draf yang bisa diubah (sekarang: %(s)s).",
                s=STATUS_LABELS[order.status],
            )
        )
    supplier = _active_supplier(supplier_id)
    expected_on = _expected(expected_on, order.ordered_on)
    rows, total = _order_lines(lines)
    before = {"supplier_id": order.supplier_id, "total": order.total, "lines": _lines_audit(order.id)}
    for old in db.session.scalars(select(PurchaseOrderLine).where(PurchaseOrderLine.order_id == order.id)):
        db.session.delete(old)
    db.session.flush()
    for row in rows:
        row.order_id = order.id
        db.session.add(row)
    order.supplier_id, order.expected_on, order.total = supplier.id, expected_on, total
    order.note = _text(note, "note", 300)
    db.session.flush()
    audit.record(
        "purchasing.order_changed",
        "purchasing_order",
        order.id,
        before=before,
        after={"supplier_id": supplier.id, "total": total, "lines": _lines_audit(order.id)},
        actor_id=user_id,
    )
    db.session.commit()
    return order


def _lines_audit(order_id: int) -> list[list[Any]]:
    return [
        [r.product_id, r.quantity, r.unit, r.unit_price]
        for r in db.session.scalars(
            select(PurchaseOrderLine)
            .where(PurchaseOrderLine.order_id == order_id)
            .order_by(PurchaseOrderLine.id)
        )
    ]


def _order_for_update(order_id: int) -> PurchaseOrder:
    require_tenant()
    order = db.session.scalar(
        select(PurchaseOrder)
        .where(PurchaseOrder.id == order_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if order is None:
        raise NotFound(_l("Pesanan pembelian tidak ditemukan."))
    return order


def _transition(order: PurchaseOrder, to: OrderStatus, user_id: int | None) -> None:
    before = order.status
    order.status = to.value
    audit.record(
        "purchasing.order_status",
        "purchasing_order",
        order.id,
        before={"status": before},
        after={"status": to.value, "number": order.number},
        actor_id=user_id,
    )


def place_order(order_id: int, *, user_id: int | None = None) -> PurchaseOrder:
    """Send a draft to the supplier: draft → dipesan. Goods can then be received against it."""
    order = _order_for_update(order_id)
    if order.status != OrderStatus.DRAFT:
        raise InvalidTransition(
            _l(
                "Hanya pesanan berstatus draf yang bisa dipesan (sekarang: %(s)s).",
                s=STATUS_LABELS[order.status],
            )
        )
    _active_supplier(order.supplier_id)
    _transition(order, OrderStatus.DIPESAN, user_id)
    db.session.commit()
    return order


def cancel_order(order_id: int, *, user_id: int | None = None) -> PurchaseOrder:
    """Cancel an order not yet complete; what was already received stays received and owed."""
    order = _order_for_update(order_id)
    if order.status in (OrderStatus.DITERIMA, OrderStatus.DIBATALKAN):
        raise InvalidTransition(
            _l("Pesanan berstatus %(s)s tidak bisa dibatalkan.", s=STATUS_LABELS[order.status])
        )
    _transition(order, OrderStatus.DIBATALKAN, user_id)
    db.session.commit()
    return order


def get_order(order_id: int) -> PurchaseOrder:
    require_tenant()
    order = db.session.get(PurchaseOrder, order_id) if isinstance(order_id, int) else None
    if order is None:
        raise NotFound(_l("Pesanan pembelian tidak ditemukan."))
    return order


def order_lines(order_id: int) -> list[tuple[PurchaseOrderLine, Product]]:
    require_tenant()
    rows = db.session.execute(
        select(PurchaseOrderLine, Product)
        .join(
            Product,
            (Product.id == PurchaseOrderLine.product_id) & (Product.tenant_id == PurchaseOrderLine.tenant_id),
        )
        .where(PurchaseOrderLine.order_id == order_id)
        .order_by(PurchaseOrderLine.id)
    )
    return [(line, product) for line, product in rows]


def orders(status: str | None = None, supplier_id: int | None = None) -> list[tuple[PurchaseOrder, Supplier]]:
    """The newest orders first, with their suppliers."""
    require_tenant()
    stmt = (
        select(PurchaseOrder, Supplier)
        .join(
            Supplier,
            (Supplier.id == PurchaseOrder.supplier_id) & (Supplier.tenant_id == PurchaseOrder.tenant_id),
        )
        .order_by(PurchaseOrder.id.desc())
        .limit(MAX_LIST)
    )
    if status in OrderStatus.__members__.values():
        stmt = stmt.where(PurchaseOrder.status == status)
    if supplier_id is not None:
        stmt = stmt.where(PurchaseOrder.supplier_id == supplier_id)
    return [(o, s) for o, s in db.session.execute(stmt)]


# --- goods receipts ------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReceiptLineInput:
    """One line received: against a PO line (`order_line_id`, its product, unit and price), or,
    without an order, a product, unit and unit price of its own."""

    quantity: int
    order_line_id: int | None = None
    product_id: int | None = None
    unit: str | None = None
    unit_price: int | None = None
    lot: str | None = None
    expires_on: date | None = None


def _lot(
    product: Product, line: ReceiptLineInput, index: int, day: date, location_id: int
) -> tuple[str | None, date | None]:
    """The lot and expiry a line is received with, checked as `inventory.receive` will check them
    (so a receipt of many lines is refused whole, before anything is written): a lot-tracked
    product needs its lot code; goods already expired are not taken in; a lot already known at
    the location keeps its expiry; a product without lots takes none."""
    field_lot, field_expiry = f"lines.{index}.lot", f"lines.{index}.expires_on"
    raw = line.lot.strip() if isinstance(line.lot, str) else ""
    if not product.tracks_lots:
        if raw or line.expires_on is not None:
            raise _refuse(
                _l(
                    "%(name)s tidak dicatat per lot; kosongkan nomor lot dan kedaluwarsanya.",
                    name=product.name,
                ),
                field_lot,
                _l("Barang tanpa lot."),
            )
        return None, None
    if not raw:
        raise _refuse(
            _l("%(name)s dicatat per lot: isi nomor lot (batch) dari kemasannya.", name=product.name),
            field_lot,
            _l("Wajib diisi untuk barang ini."),
        )
    try:
        code = lots.normalise_lot(raw)
    except DomainError as err:
        raise _refuse(err.message, field_lot, _l("Nomor lot tidak sah.")) from err
    if line.expires_on is not None and line.expires_on < day:
        raise _refuse(
            _l(
                "Lot %(lot)s %(name)s sudah kedaluwarsa pada tanggal terima; "
                "barang kedaluwarsa tidak diterima.",
                lot=code,
                name=product.name,
            ),
            field_expiry,
            _l("Sudah kedaluwarsa."),
        )
    known = db.session.scalar(
        select(Lot).where(Lot.product_id == product.id, Lot.location_id == location_id, Lot.code == code)
    )
    if known is not None and known.expires_on != line.expires_on:
        raise _refuse(
            _l(
                "Lot %(lot)s sudah tercatat dengan tanggal kedaluwarsa %(day)s.",
                lot=code,
                day=known.expires_on.isoformat() if known.expires_on else "–",
            ),
            field_expiry,
            _l("Berbeda dengan lot yang sudah ada."),
        )
    return code, line.expires_on


def receive_goods(
    *,
    location_id: int,
    lines: Sequence[ReceiptLineInput],
    idempotency_key: str,
    order_id: int | None = None,
    supplier_id: int | None = None,
    received_on: date | None = None,
    note: str | None = None,
    user_id: int | None = None,
) -> GoodsReceipt:
    """Goods arrive into a location, against a purchase order (partly allowed, never above what is
    still outstanding) or from a supplier without one. Each line goes through
    `inventory.receive(on_credit=True)`: stock rises and Persediaan is debited against Utang Usaha.

    Everything is checked before anything is written, and the receipt, its lines, the order's new
    quantities, every line's stock and posting are written in one transaction: all or nothing.
    Each line's move is keyed, so repeating the request with the same key receives nothing twice."""
    require_tenant()
    key = _key(idempotency_key)
    repeat = db.session.scalar(select(GoodsReceipt).where(GoodsReceipt.idempotency_key == key))
    if repeat is not None:
        if (repeat.order_id, repeat.location_id) != (order_id, location_id) or (
            order_id is None and repeat.supplier_id != supplier_id
        ):
            raise IdempotencyConflict(_l("Transaksi ini sudah dicatat dengan isi yang berbeda."))
        _finish_receipt(repeat, user_id)
        return repeat
    day = received_on or date.today()
    if day > date.today():
        raise _refuse(_l("Tanggal terima tidak boleh di masa depan."), "received_on", _l("Di masa depan."))
    location = db.session.get(Location, location_id) if isinstance(location_id, int) else None
    if location is None:
        raise _refuse(_l("Pilih lokasi penerimaan."), "location_id", _l("Tidak ditemukan."))
    if not any(line.quantity for line in lines):
        raise _refuse(_l("Isi jumlah yang diterima paling sedikit satu barang."), "lines", _l("Wajib diisi."))
    if len(lines) > MAX_LINES:
        raise _refuse(_l("Paling banyak %(n)s baris.", n=MAX_LINES), "lines", _l("Terlalu banyak."))
    order: PurchaseOrder | None = None
    order_rows: dict[int, PurchaseOrderLine] = {}
    if order_id is not None:
        order = _order_for_update(order_id)
        if order.status not in (OrderStatus.DIPESAN, OrderStatus.SEBAGIAN):
            raise InvalidTransition(
                _l(
                    "Barang hanya bisa diterima untuk pesanan yang sudah dipesan (sekarang: %(s)s).",
                    s=STATUS_LABELS[order.status],
                )
            )
        supplier = get_supplier(order.supplier_id)
        order_rows = {
            row.id: row
            for row in db.session.scalars(
                select(PurchaseOrderLine)
                .where(PurchaseOrderLine.order_id == order.id)
                .order_by(PurchaseOrderLine.id)
                .with_for_update()
                .execution_options(populate_existing=True)
            )
        }
    else:
        supplier = _active_supplier(supplier_id)
    products = _products(
        [
            order_rows[line.order_line_id].product_id
            if line.order_line_id in order_rows
            else line.product_id or 0
            for line in lines
        ]
    )
    receipt_lines: list[tuple[GoodsReceiptLine, Product]] = []
    taking: dict[int, int] = defaultdict(int)
    for i, line in enumerate(lines):
        if line.quantity == 0:
            continue
        quantity = _whole(line.quantity, f"lines.{i}.quantity", MAX_QUANTITY)
        if order is not None:
            row = order_rows.get(line.order_line_id or 0)
            if row is None:
                raise _refuse(_l("Baris pesanan tidak dikenal."), f"lines.{i}.quantity", _l("Tidak dikenal."))
            product = products[row.product_id]
            taking[row.id] += quantity
            if taking[row.id] > row.outstanding:
                unit_name = row.unit or product.unit
                raise _refuse(
                    _l(
                        "%(name)s melebihi pesanan: dipesan %(ordered)s %(unit)s, sudah diterima "
                        "%(received)s, sisa %(left)s; yang dicatat sekarang %(now)s.",
                        name=product.name,
                        ordered=row.quantity,
                        unit=unit_name,
                        received=row.received,
                        left=row.outstanding,
                        now=taking[row.id],
                    ),
                    f"lines.{i}.quantity",
                    _l("Paling banyak %(n)s.", n=row.outstanding),
                )
            unit, price = row.unit, row.unit_price
        else:
            found = products.get(line.product_id or 0)
            if found is None or not found.active:
                raise _refuse(_l("Barang tidak ditemukan."), f"lines.{i}.product_id", _l("Tidak ditemukan."))
            product = found
            unit = _unit_of(product, line.unit, i)
            price = _whole(line.unit_price, f"lines.{i}.unit_price", MAX_AMOUNT)
        if quantity * _factor(product, unit) > MAX_QUANTITY:
            raise _refuse(_l("Jumlah terlalu besar."), f"lines.{i}.quantity", _l("Terlalu besar."))
        if quantity * price > MAX_AMOUNT:
            raise _refuse(_l("Nilai baris terlalu besar."), f"lines.{i}.quantity", _l("Terlalu besar."))
        lot, expires_on = _lot(product, line, i, day, location.id)
        receipt_lines.append(
            (
                GoodsReceiptLine(
                    order_line_id=line.order_line_id if order is not None else None,
                    product_id=product.id,
                    unit=unit,
                    quantity=quantity,
                    unit_price=price,
                    amount=quantity * price,
                    lot=lot,
                    expires_on=expires_on,
                ),
                product,
            )
        )
    total = sum(r.amount for r, _p in receipt_lines)
    if total > MAX_AMOUNT:
        raise _refuse(_l("Nilai penerimaan terlalu besar."), "lines", _l("Terlalu besar."))
    receipt = GoodsReceipt(
        number=_next_number("GR", GoodsReceipt, day),
        supplier_id=supplier.id,
        order_id=order.id if order is not None else None,
        location_id=location.id,
        received_on=day,
        total=total,
        note=_text(note, "note", 200),
        idempotency_key=key,
        created_by=user_id,
    )
    db.session.add(receipt)
    db.session.flush()
    for row_line, _product in receipt_lines:
        row_line.receipt_id = receipt.id
        db.session.add(row_line)
        if order is not None and row_line.order_line_id is not None:
            order_rows[row_line.order_line_id].received += row_line.quantity
    if order is not None:
        complete = all(r.received == r.quantity for r in order_rows.values())
        _transition(order, OrderStatus.DITERIMA if complete else OrderStatus.SEBAGIAN, user_id)
    db.session.flush()
    audit.record(
        "purchasing.goods_received",
        "purchasing_receipt",
        receipt.id,
        after={
            "number": receipt.number,
            "order": order.number if order is not None else None,
            "total": total,
            "lines": [[r.product_id, r.quantity, r.unit, r.amount, r.lot] for r, _p in receipt_lines],
        },
        actor_id=user_id,
    )
    _finish_receipt(receipt, user_id)
    return receipt


def _finish_receipt(receipt: GoodsReceipt, user_id: int | None) -> None:
    """Put every line of the receipt on hand that is not yet (in line order), then commit."""
    supplier = get_supplier(receipt.supplier_id)
    lines = list(
        db.session.scalars(
            select(GoodsReceiptLine)
            .where(GoodsReceiptLine.receipt_id == receipt.id)
            .order_by(GoodsReceiptLine.id)
        )
    )
    for index, line in enumerate(lines):
        if line.stock_move_id is not None:
            continue
        move = inventory.receive(
            line.product_id,
            receipt.location_id,
            line.quantity,
            line.amount,
            idempotency_key=f"purchasing:{receipt.idempotency_key}:{index}",
            on_credit=True,
            user_id=user_id,
            on=receipt.received_on,
            note=f"{receipt.number} {supplier.name}"[:200],
            unit=line.unit,
            lot=line.lot,
            expires_on=line.expires_on,
            commit=False,
        )
        line.stock_move_id = move.id
        db.session.flush()
    db.session.commit()


def get_receipt(receipt_id: int) -> GoodsReceipt:
    require_tenant()
    receipt = db.session.get(GoodsReceipt, receipt_id) if isinstance(receipt_id, int) else None
    if receipt is None:
        raise NotFound(_l("Penerimaan barang tidak ditemukan."))
    return receipt


def receipt_lines(receipt_id: int) -> list[tuple[GoodsReceiptLine, Product]]:
    require_tenant()
    rows = db.session.execute(
        select(GoodsReceiptLine, Product)
        .join(
            Product,
            (Product.id == GoodsReceiptLine.product_id) & (Product.tenant_id == GoodsReceiptLine.tenant_id),
        )
        .where(GoodsReceiptLine.receipt_id == receipt_id)
        .order_by(GoodsReceiptLine.id)
    )
    return [(line, product) for line, product in rows]


def receipts(
    *, supplier_id: int | None = None, order_id: int | None = None, uninvoiced: bool = False
) -> list[GoodsReceipt]:
    require_tenant()
    stmt = select(GoodsReceipt).order_by(GoodsReceipt.id.desc()).limit(MAX_LIST)
    if supplier_id is not None:
        stmt = stmt.where(GoodsReceipt.supplier_id == supplier_id)
    if order_id is not None:
        stmt = stmt.where(GoodsReceipt.order_id == order_id)
    if uninvoiced:
        stmt = stmt.where(GoodsReceipt.invoice_id.is_(None), GoodsReceipt.credited < GoodsReceipt.total)
    return list(db.session.scalars(stmt))


# --- invoices ------------------------------------------------------------------------------------


def record_invoice(
    supplier_id: int,
    receipt_ids: Sequence[int],
    *,
    number: str,
    invoice_date: date,
    amount: int,
    difference_note: str | None = None,
    user_id: int | None = None,
) -> SupplierInvoice:
    """Record a supplier's invoice for some of its receipts not yet invoiced. It is due after the
    supplier's payment terms from the invoice date.

    The receipts already put their value into Utang Usaha at the prices agreed. When the invoice
    asks for a different amount, the difference must be explained (`difference_note`: a price
    change, freight, a short delivery credited) and is posted on its own, keyed to the invoice:
    above the received value Dr Harga Pokok Penjualan / Cr Utang Usaha, below it the reverse. The
    stock keeps the cost it was received at, so the inventory sub-ledger still equals Persediaan
    (the goods may already be partly sold); the difference is a purchase price variance of the
    period, carried by cost of sales. After it, Utang Usaha holds exactly what the invoice asks."""
    require_tenant()
    supplier = _supplier_for_update(supplier_id)
    text_number = _text(number, "number", 40, required=True)
    assert text_number is not None
    if not isinstance(invoice_date, date):
        raise _refuse(_l("Tanggal tagihan wajib diisi."), "invoice_date", _l("Wajib diisi."))
    if invoice_date > date.today():
        raise _refuse(_l("Tanggal tagihan tidak boleh di masa depan."), "invoice_date", _l("Di masa depan."))
    billed = _whole(amount, "amount", MAX_AMOUNT)
    ids = sorted({i for i in receipt_ids if isinstance(i, int)})
    if not ids:
        raise _refuse(_l("Pilih penerimaan barang yang ditagih."), "receipt_ids", _l("Wajib dipilih."))
    existing = db.session.scalar(
        select(SupplierInvoice).where(
            SupplierInvoice.supplier_id == supplier.id, SupplierInvoice.number == text_number
        )
    )
    if existing is not None:
        covered = sorted(
            db.session.scalars(select(GoodsReceipt.id).where(GoodsReceipt.invoice_id == existing.id))
        )
        if covered == ids and existing.amount == billed and existing.invoice_date == invoice_date:
            return existing  # the same form sent twice
        raise _refuse(
            _l("Tagihan nomor %(number)s dari pemasok ini sudah dicatat.", number=text_number),
            "number",
            _l("Sudah dicatat."),
        )
    chosen = list(
        db.session.scalars(
            select(GoodsReceipt)
            .where(GoodsReceipt.id.in_(ids))
            .order_by(GoodsReceipt.id)
            .with_for_update()
            .execution_options(populate_existing=True)  # what credit notes took off them is current
        )
    )
    if len(chosen) != len(ids) or any(r.supplier_id != supplier.id for r in chosen):
        raise _refuse(
            _l("Penerimaan barang tidak ditemukan untuk pemasok ini."), "receipt_ids", _l("Tidak dikenal.")
        )
    taken = [r.number for r in chosen if r.invoice_id is not None]
    if taken:
        raise _refuse(
            _l("Penerimaan %(numbers)s sudah ditagih.", numbers=", ".join(taken)),
            "receipt_ids",
            _l("Sudah ditagih."),
        )
    if any(r.received_on > invoice_date for r in chosen):
        raise _refuse(
            _l("Tanggal tagihan tidak boleh sebelum barangnya diterima."), "invoice_date", _l("Terlalu awal.")
        )
    spent = [r.number for r in chosen if r.unbilled == 0]
    if spent:
        raise _refuse(
            _l(
                "Penerimaan %(numbers)s sudah dikreditkan seluruhnya; tidak ada yang ditagih.",
                numbers=", ".join(spent),
            ),
            "receipt_ids",
            _l("Sudah dikreditkan."),
        )
    received_value = sum(r.unbilled for r in chosen)
    note = _text(difference_note, "difference_note", 200)
    if billed != received_value and note is None:
        raise _refuse(
            _l(
                "Tagihan %(billed)s berbeda dari nilai barang diterima %(received)s (selisih %(diff)s): "
                "tulis alasannya (mis. ongkos kirim, perubahan harga).",
                billed=format_rupiah(billed),
                received=format_rupiah(received_value),
                diff=format_rupiah(billed - received_value),
            ),
            "difference_note",
            _l("Wajib diisi bila ada selisih."),
        )
    invoice = SupplierInvoice(
        supplier_id=supplier.id,
        number=text_number,
        invoice_date=invoice_date,
        due_on=invoice_date + timedelta(days=supplier.payment_terms_days),
        amount=billed,
        received_value=received_value,
        difference_note=note if billed != received_value else None,
        created_by=user_id,
    )
    db.session.add(invoice)
    db.session.flush()
    difference = billed - received_value
    if difference:
        ledger.ensure_accounts(PAYABLE, PRICE_VARIANCE)
        lines = (
            [debit(PRICE_VARIANCE, difference), credit(PAYABLE, difference)]
            if difference > 0
            else [debit(PAYABLE, -difference), credit(PRICE_VARIANCE, -difference)]
        )
        entry = ledger.post(
            NewEntry(
                entry_date=invoice_date,
                description=f"Selisih tagihan {text_number} {supplier.name}"[:200],
                source_module=SOURCE,
                source_id=invoice.id,
                idempotency_key=f"purchasing:invoice-difference:{invoice.id}",
                lines=lines,
            ),
            posted_by=user_id,
        )
        invoice.journal_entry_id = entry.id
    for receipt in chosen:
        receipt.invoice_id = invoice.id
    db.session.flush()
    audit.record(
        "purchasing.invoice_recorded",
        "purchasing_invoice",
        invoice.id,
        after={
            "number": text_number,
            "supplier_id": supplier.id,
            "amount": billed,
            "received_value": received_value,
            "receipts": [r.number for r in chosen],
            "due_on": invoice.due_on.isoformat(),
        },
        actor_id=user_id,
    )
    db.session.commit()
    return invoice


def get_invoice(invoice_id: int) -> SupplierInvoice:
    require_tenant()
    invoice = db.session.get(SupplierInvoice, invoice_id) if isinstance(invoice_id, int) else None
    if invoice is None:
        raise NotFound(_l("Tagihan pemasok tidak ditemukan."))
    return invoice


def invoices(
    *, supplier_id: int | None = None, open_only: bool = False
) -> list[tuple[SupplierInvoice, Supplier]]:
    require_tenant()
    stmt = (
        select(SupplierInvoice, Supplier)
        .join(
            Supplier,
            (Supplier.id == SupplierInvoice.supplier_id) & (Supplier.tenant_id == SupplierInvoice.tenant_id),
        )
        .order_by(SupplierInvoice.due_on, SupplierInvoice.id)
        .limit(MAX_LIST)
    )
    if supplier_id is not None:
        stmt = stmt.where(SupplierInvoice.supplier_id == supplier_id)
    if open_only:
        stmt = stmt.where(SupplierInvoice.paid + SupplierInvoice.credited < SupplierInvoice.amount)
    return [(i, s) for i, s in db.session.execute(stmt)]


def payments_of(invoice_id: int) -> list[SupplierPayment]:
    require_tenant()
    return list(
        db.session.scalars(
            select(SupplierPayment)
            .where(SupplierPayment.invoice_id == invoice_id)
            .order_by(SupplierPayment.id)
        )
    )


# --- payments ------------------------------------------------------------------------------------


def pay_invoice(
    invoice_id: int,
    amount: int,
    *,
    method: str,
    idempotency_key: str,
    reference: str | None = None,
    paid_on: date | None = None,
    user_id: int | None = None,
) -> SupplierPayment | PaymentRequest:
    """Pay a supplier invoice, fully or in part, from Kas or Bank: Dr Utang Usaha / Cr Kas or Bank,
    keyed by the request. The invoice row is locked first, so two payments at once are taken one
    after the other and the second sees what the first paid: more than what remains (less what
    already waits for approval) is refused.

    At or above the cooperative's threshold (`payment_threshold`) nothing is paid yet: the payment
    is recorded as a request waiting for a second person (`approve_payment`), posts nothing and
    leaves what the invoice owes as it was."""
    require_tenant()
    key = _key(idempotency_key)
    paying = _whole(amount, "amount", MAX_AMOUNT)
    if method not in PaymentMethod.__members__.values():
        raise _refuse(
            _l("Pilih cara bayar: tunai atau transfer bank."), "method", _l("Pilihan tidak dikenal.")
        )
    ref = _text(reference, "reference", 60)
    if method == PaymentMethod.BANK and ref is None:
        raise _refuse(
            _l("Transfer bank perlu nomor referensi dari bukti transfer."), "reference", _l("Wajib diisi.")
        )
    day = paid_on or date.today()
    if day > date.today():
        raise _refuse(_l("Tanggal bayar tidak boleh di masa depan."), "paid_on", _l("Di masa depan."))
    # the threshold rides along with the lock (one round trip); what waits and what repeats is read
    # after the lock is held, so it sees whatever the payment before this one committed
    # (plain columns, not the mapped invoice: a payment needs only these, and the session's copy
    # of the invoice, if any, expires at commit)
    found = db.session.execute(_LOCK_OPEN, {"invoice_id": invoice_id}).first()
    if found is None:
        raise NotFound(_l("Tagihan pemasok tidak ditemukan."))
    invoice = _OpenInvoice(*found[: len(_OPEN_COLUMNS)])
    supplier_name, threshold = found[len(_OPEN_COLUMNS) :]
    paid_id, request_id, waiting = db.session.execute(
        _REPEAT_AND_WAITING, {"key": key, "invoice_id": invoice.id}
    ).one()
    if paid_id is not None or request_id is not None:
        return _repeated_payment(paid_id, request_id, invoice.id, paying, method)
    if day < invoice.invoice_date:
        raise _refuse(
            _l("Tanggal bayar tidak boleh sebelum tanggal tagihan."), "paid_on", _l("Terlalu awal.")
        )
    _refuse_above_remainder(invoice, paying, int(waiting))
    if paying >= threshold:
        return _request_payment(invoice, paying, method, ref, key, int(threshold), user_id)
    payment = _write_payment(
        invoice, supplier_name, paying, method, ref, day, key, created_by=user_id, approved_by=None
    )
    db.session.commit()
    return payment


@dataclass(frozen=True)
class _OpenInvoice:
    """What paying needs of a locked invoice."""

    id: int
    tenant_id: int
    supplier_id: int
    number: str
    invoice_date: date
    amount: int
    paid: int
    credited: int

    @property
    def outstanding(self) -> int:
        return self.amount - self.paid - self.credited


_OPEN_COLUMNS = (
    SupplierInvoice.id,
    SupplierInvoice.tenant_id,
    SupplierInvoice.supplier_id,
    SupplierInvoice.number,
    SupplierInvoice.invoice_date,
    SupplierInvoice.amount,
    SupplierInvoice.paid,
    SupplierInvoice.credited,
)


def _threshold_column() -> Any:
    return func.coalesce(
        select(PurchasingSettings.payment_approval_threshold).scalar_subquery(),
        DEFAULT_PAYMENT_APPROVAL_THRESHOLD,
    )


# The two reads of a payment, built once: the invoice locked with its supplier's name and the
# cooperative's threshold; then, under the lock, a payment or request already made with this key
# and what already waits for approval on the invoice.
_LOCK_OPEN = (
    select(*_OPEN_COLUMNS, Supplier.name, _threshold_column())
    .join(
        Supplier,
        (Supplier.id == SupplierInvoice.supplier_id) & (Supplier.tenant_id == SupplierInvoice.tenant_id),
    )
    .where(SupplierInvoice.id == bindparam("invoice_id"))
    .with_for_update(of=SupplierInvoice)
)
_REPEAT_AND_WAITING = select(
    select(SupplierPayment.id)
    .where(
        SupplierPayment.tenant_id == func.current_tenant_id(),
        SupplierPayment.idempotency_key == bindparam("key"),
    )
    .scalar_subquery(),
    select(PaymentRequest.id)
    .where(
        PaymentRequest.tenant_id == func.current_tenant_id(),
        PaymentRequest.idempotency_key == bindparam("key"),
    )
    .scalar_subquery(),
    select(func.coalesce(func.sum(PaymentRequest.amount), 0))
    .where(
        PaymentRequest.tenant_id == func.current_tenant_id(),
        PaymentRequest.invoice_id == bindparam("invoice_id"),
        PaymentRequest.status == RequestStatus.MENUNGGU.value,
    )
    .scalar_subquery(),
)


def _repeated_payment(
    paid_id: int | None, request_id: int | None, invoice_id: int, paying: int, method: str
) -> SupplierPayment | PaymentRequest:
    """The first answer to a form sent again: the payment, or the request still waiting or decided."""
    first: SupplierPayment | PaymentRequest | None = (
        db.session.get(SupplierPayment, paid_id)
        if paid_id is not None
        else db.session.get(PaymentRequest, request_id)
    )
    if first is None:
        raise InvariantViolation("a repeated payment vanished")
    if (first.invoice_id, first.amount, first.method) != (invoice_id, paying, method):
        raise IdempotencyConflict(_l("Transaksi ini sudah dicatat dengan isi yang berbeda."))
    db.session.commit()
    return first


def _refuse_above_remainder(invoice: SupplierInvoice | _OpenInvoice, paying: int, waiting: int) -> None:
    left = invoice.outstanding - waiting
    if paying <= left:
        return
    if waiting:
        raise Overpayment(
            _l(
                "Pembayaran %(amount)s melebihi sisa tagihan %(number)s yang belum diajukan, yaitu %(left)s "
                "(%(waiting)s menunggu persetujuan).",
                amount=format_rupiah(paying),
                number=invoice.number,
                left=format_rupiah(max(left, 0)),
                waiting=format_rupiah(waiting),
            ),
            fields={"amount": [str(_l("Paling banyak %(left)s.", left=format_rupiah(max(left, 0))))]},
        )
    raise Overpayment(
        _l(
            "Pembayaran %(amount)s melebihi sisa tagihan %(number)s, yaitu %(left)s.",
            amount=format_rupiah(paying),
            number=invoice.number,
            left=format_rupiah(invoice.outstanding),
        ),
        fields={"amount": [str(_l("Paling banyak %(left)s.", left=format_rupiah(invoice.outstanding)))]},
    )


def _write_payment(
    invoice: SupplierInvoice | _OpenInvoice,
    supplier_name: str,
    paying: int,
    method: str,
    ref: str | None,
    day: date,
    key: str,
    *,
    created_by: int | None,
    approved_by: int | None,
) -> SupplierPayment:
    """Post and write a payment of the locked `invoice` (the caller commits)."""
    entry = ledger.post(
        NewEntry(
            entry_date=day,
            description=f"Bayar tagihan {invoice.number} {supplier_name}"[:200],
            source_module=SOURCE,
            source_id=invoice.id,
            idempotency_key=f"purchasing:payment:{key}",
            lines=[debit(PAYABLE, paying), credit(CASH if method == PaymentMethod.KAS else BANK, paying)],
        ),
        posted_by=approved_by or created_by,
    )
    if invoice.paid + paying + invoice.credited > invoice.amount:
        raise InvariantViolation("an invoice was paid above its amount")
    payment = db.session.scalar(
        select(SupplierPayment).from_statement(_PAY_STATEMENT),
        {
            "tenant_id": invoice.tenant_id,
            "invoice_id": invoice.id,
            "amount": paying,
            "method": method,
            "reference": ref,
            "paid_on": day,
            "idempotency_key": key,
            "journal_entry_id": entry.id,
            "created_by": created_by,
            "approved_by": approved_by,
        },
    )
    if payment is None:
        raise InvariantViolation("the locked invoice was not there to pay")
    before = invoice.paid
    # the statement raised `paid` in the database; a copy of the invoice the session holds takes
    # the new value as it is there
    held = db.session.identity_map.get(identity_key(SupplierInvoice, invoice.id))
    if held is not None:
        set_committed_value(held, "paid", before + paying)
    audit.record(
        "purchasing.invoice_paid",
        "purchasing_invoice",
        invoice.id,
        before={"paid": before},
        after={"paid": before + paying, "amount": paying, "method": method, "reference": ref},
        actor_id=approved_by or created_by,
    )
    return payment


# One statement raises the locked invoice's `paid` and writes the payment (the database checks
# that paid + credited stays within the amount); the ORM would send two.
_PAY_STATEMENT = text(
    """
    WITH settled AS (
        UPDATE purchasing_invoices SET paid = paid + :amount
        WHERE tenant_id = :tenant_id AND id = :invoice_id
        RETURNING tenant_id, id, supplier_id
    )
    INSERT INTO purchasing_payments (tenant_id, invoice_id, supplier_id, amount, method, reference,
                                     paid_on, idempotency_key, journal_entry_id, created_by, approved_by)
    SELECT tenant_id, id, supplier_id, :amount, :method, :reference, :paid_on, :idempotency_key,
           :journal_entry_id, :created_by, :approved_by
    FROM settled
    RETURNING *
    """
).columns(*SupplierPayment.__table__.c)


def _request_payment(
    invoice: _OpenInvoice,
    paying: int,
    method: str,
    ref: str | None,
    key: str,
    threshold: int,
    user_id: int | None,
) -> PaymentRequest:
    if user_id is None:
        raise InvalidPurchase(
            _l(
                "Pembayaran %(limit)s atau lebih perlu nama pembuatnya; masuk terlebih dahulu.",
                limit=format_rupiah(threshold),
            )
        )
    request = PaymentRequest(
        invoice_id=invoice.id,
        supplier_id=invoice.supplier_id,
        amount=paying,
        method=method,
        reference=ref,
        idempotency_key=key,
        status=RequestStatus.MENUNGGU.value,
        requested_by=user_id,
    )
    db.session.add(request)
    db.session.flush()
    audit.record(
        "purchasing.payment_requested",
        "purchasing_invoice",
        invoice.id,
        after={"request_id": request.id, "amount": paying, "method": method, "threshold": threshold},
        actor_id=user_id,
    )
    db.session.commit()
    return request


class SelfApproval(DomainError):
    code = ErrorCode.FORBIDDEN
    status = 403


class AlreadyDecided(DomainError):
    code = ErrorCode.INVALID_TRANSITION
    status = 409


def _request_under_invoice_lock(request_id: int) -> tuple[PaymentRequest, SupplierInvoice, str]:
    """The request and its invoice, both locked, the invoice first (as a payment locks it)."""
    require_tenant()
    invoice_id = (
        db.session.scalar(select(PaymentRequest.invoice_id).where(PaymentRequest.id == request_id))
        if isinstance(request_id, int)
        else None
    )
    if invoice_id is None:
        raise NotFound(_l("Permintaan pembayaran tidak ditemukan."))
    invoice, supplier_name = db.session.execute(
        select(SupplierInvoice, Supplier.name)
        .join(
            Supplier,
            (Supplier.id == SupplierInvoice.supplier_id) & (Supplier.tenant_id == SupplierInvoice.tenant_id),
        )
        .where(SupplierInvoice.id == invoice_id)
        .with_for_update(of=SupplierInvoice)
        .execution_options(populate_existing=True)
    ).one()
    request = db.session.scalar(
        select(PaymentRequest)
        .where(PaymentRequest.id == request_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if request is None:
        raise NotFound(_l("Permintaan pembayaran tidak ditemukan."))
    return request, invoice, supplier_name


def _refuse_decided(request: PaymentRequest, user_id: int, wanted: RequestStatus) -> bool:
    """True when `user_id` already made this same decision (a form sent twice); a request decided
    otherwise, or by someone else, is refused."""
    if request.status == RequestStatus.MENUNGGU:
        if user_id == request.requested_by:
            raise SelfApproval(
                _l("Pembayaran ini Anda sendiri yang mengajukan; persetujuan harus oleh orang lain.")
            )
        return False
    if request.status == wanted and request.decided_by == user_id:
        return True
    raise AlreadyDecided(
        _l("Permintaan pembayaran ini sudah %(status)s.", status=REQUEST_LABELS[request.status])
    )


def approve_payment(request_id: int, *, user_id: int, on: date | None = None) -> PaymentRequest:
    """The checker's half: someone other than who asked approves a waiting payment. Under the
    invoice's row lock the remainder is checked again (a payment or credit note may have come in
    meanwhile) and the payment is posted and written, once, dated the day of approval (when the
    money may leave). Approving again returns the same request."""
    request, invoice, supplier_name = _request_under_invoice_lock(request_id)
    if _refuse_decided(request, user_id, RequestStatus.DISETUJUI):
        db.session.commit()
        return request
    day = on or date.today()
    if day > date.today():
        raise _refuse(_l("Tanggal bayar tidak boleh di masa depan."), "paid_on", _l("Di masa depan."))
    day = max(day, invoice.invoice_date)
    if request.amount > invoice.outstanding:
        raise Overpayment(
            _l(
                "Sisa tagihan %(number)s sekarang %(left)s, kurang dari pembayaran yang diajukan %(amount)s; "
                "tolak permintaan ini dan ajukan jumlah yang benar.",
                number=invoice.number,
                left=format_rupiah(invoice.outstanding),
                amount=format_rupiah(request.amount),
            )
        )
    payment = _write_payment(
        invoice,
        supplier_name,
        request.amount,
        request.method,
        request.reference,
        day,
        f"request:{request.id}",
        created_by=request.requested_by,
        approved_by=user_id,
    )
    db.session.flush()
    request.status = RequestStatus.DISETUJUI.value
    request.decided_by = user_id
    request.decided_at = datetime.now(UTC)
    request.payment_id = payment.id
    db.session.flush()
    audit.record(
        "purchasing.payment_approved",
        "purchasing_invoice",
        invoice.id,
        after={"request_id": request.id, "payment_id": payment.id, "amount": request.amount},
        actor_id=user_id,
    )
    db.session.commit()
    return request


def reject_payment(request_id: int, reason: Any, *, user_id: int) -> PaymentRequest:
    """The checker may instead reject a waiting payment, saying why; nothing is paid."""
    request, invoice, _name = _request_under_invoice_lock(request_id)
    if _refuse_decided(request, user_id, RequestStatus.DITOLAK):
        db.session.commit()
        return request
    why = _text(reason, "reason", 200, required=True)
    request.status = RequestStatus.DITOLAK.value
    request.decided_by = user_id
    request.decided_at = datetime.now(UTC)
    request.rejection_reason = why
    db.session.flush()
    audit.record(
        "purchasing.payment_rejected",
        "purchasing_invoice",
        invoice.id,
        after={"request_id": request.id, "amount": request.amount, "reason": why},
        actor_id=user_id,
    )
    db.session.commit()
    return request


def payment_requests(
    *, invoice_id: int | None = None, waiting_only: bool = False
) -> list[tuple[PaymentRequest, SupplierInvoice, Supplier]]:
    """Payment requests with their invoices and suppliers: those waiting, oldest first, then the
    decided ones, newest first."""
    require_tenant()
    stmt = (
        select(PaymentRequest, SupplierInvoice, Supplier)
        .join(
            SupplierInvoice,
            (SupplierInvoice.id == PaymentRequest.invoice_id)
            & (SupplierInvoice.tenant_id == PaymentRequest.tenant_id),
        )
        .join(
            Supplier,
            (Supplier.id == PaymentRequest.supplier_id) & (Supplier.tenant_id == PaymentRequest.tenant_id),
        )
        .order_by(
            PaymentRequest.status != RequestStatus.MENUNGGU.value,
            case(
                (PaymentRequest.status == RequestStatus.MENUNGGU.value, PaymentRequest.id),
                else_=-PaymentRequest.id,
            ),
        )
        .limit(MAX_LIST)
    )
    if invoice_id is not None:
        stmt = stmt.where(PaymentRequest.invoice_id == invoice_id)
    if waiting_only:
        stmt = stmt.where(PaymentRequest.status == RequestStatus.MENUNGGU.value)
    return [(r, i, s) for r, i, s in db.session.execute(stmt)]


def request_invoice_id(request_id: int) -> int:
    """The invoice a payment request is for (to go back to its page)."""
    require_tenant()
    found = db.session.scalar(select(PaymentRequest.invoice_id).where(PaymentRequest.id == request_id))
    if found is None:
        raise NotFound(_l("Permintaan pembayaran tidak ditemukan."))
    return int(found)


def people_named(user_ids: set[int]) -> dict[int, str]:
    """The names of the staff who asked for or decided payments, by user id."""
    ids = sorted(i for i in user_ids if isinstance(i, int))
    if not ids:
        return {}
    rows = db.session.execute(select(User.id, User.name).where(User.id.in_(ids)))
    return {int(i): name for i, name in rows}


def waiting_requests_count() -> int:
    """Payments waiting for a second person (the home tile of those who approve)."""
    require_tenant()
    return int(
        db.session.scalar(
            select(func.count())
            .select_from(PaymentRequest)
            .where(PaymentRequest.status == RequestStatus.MENUNGGU.value)
        )
        or 0
    )


def payment_threshold() -> int:
    """From this many rupiah a supplier payment waits for a second person."""
    require_tenant()
    return int(db.session.scalar(select(_threshold_column())) or DEFAULT_PAYMENT_APPROVAL_THRESHOLD)


def set_payment_threshold(amount: Any, *, user_id: int | None = None) -> int:
    """Change the cooperative's approval threshold for supplier payments (audited)."""
    require_tenant()
    threshold = _whole(amount, "payment_approval_threshold", MAX_AMOUNT)
    current = db.session.scalar(select(PurchasingSettings).with_for_update())
    before = current.payment_approval_threshold if current is not None else DEFAULT_PAYMENT_APPROVAL_THRESHOLD
    if current is None:
        current = PurchasingSettings(payment_approval_threshold=threshold, updated_by=user_id)
        db.session.add(current)
    else:
        current.payment_approval_threshold = threshold
        current.updated_by = user_id
        current.updated_at = datetime.now(UTC)
    db.session.flush()
    audit.record(
        "purchasing.settings_changed",
        "purchasing_settings",
        current.id,
        before={"payment_approval_threshold": before},
        after={"payment_approval_threshold": threshold},
        actor_id=user_id,
    )
    db.session.commit()
    return threshold


# --- returns to the supplier and credit notes ------------------------------------------------------


@dataclass(frozen=True)
class CreditLineInput:
    """Goods of one receipt line sent back: `quantity` in that line's unit (a karung, a dus)."""

    receipt_line_id: int
    quantity: int


def record_credit(
    *,
    number: str,
    credit_date: date,
    amount: int,
    reason: str,
    idempotency_key: str,
    invoice_id: int | None = None,
    receipt_id: int | None = None,
    lines: Sequence[CreditLineInput] = (),
    location_id: int | None = None,
    note: str | None = None,
    user_id: int | None = None,
) -> SupplierCredit:
    """Record a supplier's credit note (nota kredit) against one invoice, or one receipt not yet
    invoiced, with the goods sent back (damaged, expired, wrong) or none (a price correction).

    The target is locked, then the receipt lines and the stock balances (product order). Returned
    goods leave `location_id` (else the receipt's location) through `inventory.take` at the
    moving-average cost they are carried at, out of the receipt line's lot for lot-kept goods;
    never more than was received less what went back before, nor more than is on hand there. One
    entry: Dr Utang Usaha the credit, Cr Persediaan the goods' carried cost, the rest to (or from)
    Harga Pokok Penjualan as purchase price variance, as an invoice's difference is posted. What
    remains on the invoice (or unbilled on the receipt) never goes below zero: a credit above it
    is refused. Everything in one transaction, keyed: the same form again records it once."""
    require_tenant()
    key = _key(idempotency_key)
    text_number = _text(number, "number", 40, required=True)
    if text_number is None:
        raise InvariantViolation("a required text came back empty")
    if not isinstance(credit_date, date):
        raise _refuse(_l("Tanggal nota kredit wajib diisi."), "credit_date", _l("Wajib diisi."))
    if credit_date > date.today():
        raise _refuse(
            _l("Tanggal nota kredit tidak boleh di masa depan."), "credit_date", _l("Di masa depan.")
        )
    crediting = _whole(amount, "amount", MAX_AMOUNT)
    if reason not in CreditReason.__members__.values():
        raise _refuse(_l("Pilih alasan nota kredit."), "reason", _l("Pilihan tidak dikenal."))
    why = _text(note, "note", 200)
    if reason == CreditReason.LAINNYA and why is None:
        raise _refuse(_l("Tulis keterangan untuk alasan lainnya."), "note", _l("Wajib diisi."))
    if (invoice_id is None) == (receipt_id is None):
        raise InvariantViolation("a credit note is against one invoice or one receipt")
    repeat = db.session.scalar(select(SupplierCredit).where(SupplierCredit.idempotency_key == key))
    if repeat is not None:
        if (repeat.invoice_id, repeat.receipt_id, repeat.amount, repeat.number) != (
            invoice_id,
            receipt_id,
            crediting,
            text_number,
        ):
            raise IdempotencyConflict(_l("Transaksi ini sudah dicatat dengan isi yang berbeda."))
        return repeat
    invoice: SupplierInvoice | None = None
    receipt: GoodsReceipt | None = None
    if invoice_id is not None:
        invoice = db.session.scalar(
            select(SupplierInvoice)
            .where(SupplierInvoice.id == invoice_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
        if invoice is None:
            raise NotFound(_l("Tagihan pemasok tidak ditemukan."))
        supplier_id, since, open_amount = invoice.supplier_id, invoice.invoice_date, invoice.outstanding
        receipts_of = list(
            db.session.scalars(
                select(GoodsReceipt).where(GoodsReceipt.invoice_id == invoice.id).order_by(GoodsReceipt.id)
            )
        )
    else:
        receipt = db.session.scalar(
            select(GoodsReceipt)
            .where(GoodsReceipt.id == receipt_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
        if receipt is None:
            raise NotFound(_l("Penerimaan barang tidak ditemukan."))
        if receipt.invoice_id is not None:
            billed = db.session.get(SupplierInvoice, receipt.invoice_id)
            raise InvalidTransition(
                _l(
                    "Penerimaan %(receipt)s sudah ditagih dengan tagihan %(invoice)s; catat nota kreditnya "
                    "pada tagihan itu.",
                    receipt=receipt.number,
                    invoice=billed.number if billed is not None else "",
                )
            )
        supplier_id, since, open_amount = receipt.supplier_id, receipt.received_on, receipt.unbilled
        receipts_of = [receipt]
    supplier = get_supplier(supplier_id)
    if credit_date < since:
        raise _refuse(
            _l("Tanggal nota kredit tidak boleh sebelum tanggal tagihan.")
            if invoice is not None
            else _l("Tanggal nota kredit tidak boleh sebelum barangnya diterima."),
            "credit_date",
            _l("Terlalu awal."),
        )
    taken_number = db.session.scalar(
        select(SupplierCredit.id).where(
            SupplierCredit.supplier_id == supplier_id, SupplierCredit.number == text_number
        )
    )
    if taken_number is not None:
        raise _refuse(
            _l("Nota kredit nomor %(number)s dari pemasok ini sudah dicatat.", number=text_number),
            "number",
            _l("Sudah dicatat."),
        )
    if crediting > open_amount:
        raise Overpayment(
            _l(
                "Nota kredit %(amount)s melebihi yang masih terutang pada %(document)s, yaitu %(left)s. "
                "Kelebihan sebagai saldo kredit pada pemasok belum bisa dicatat: catat paling banyak "
                "%(left)s, dan minta sisanya dipotong dari tagihan berikutnya atau dikembalikan tunai.",
                amount=format_rupiah(crediting),
                document=invoice.number if invoice is not None else receipts_of[0].number,
                left=format_rupiah(open_amount),
            ),
            fields={"amount": [str(_l("Paling banyak %(left)s.", left=format_rupiah(open_amount)))]},
        )
    wanted = [(i, line) for i, line in enumerate(lines) if line.quantity != 0]
    if len(wanted) > MAX_LINES:
        raise _refuse(_l("Paling banyak %(n)s baris.", n=MAX_LINES), "lines", _l("Terlalu banyak."))
    receipt_ids = [r.id for r in receipts_of]
    line_rows = {
        row.id: row
        for row in db.session.scalars(
            select(GoodsReceiptLine)
            .where(
                GoodsReceiptLine.receipt_id.in_(receipt_ids),
                GoodsReceiptLine.id.in_([line.receipt_line_id for _i, line in wanted] or [0]),
            )
            .order_by(GoodsReceiptLine.id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
    }
    products = _products([row.product_id for row in line_rows.values()])
    location = None
    if wanted:
        place = location_id if location_id is not None else receipts_of[0].location_id
        location = db.session.get(Location, place) if isinstance(place, int) else None
        if location is None:
            raise _refuse(_l("Pilih lokasi asal barang yang diretur."), "location_id", _l("Tidak ditemukan."))
    returning: list[tuple[int, GoodsReceiptLine, Product, int, int]] = []  # index, row, product, qty, base
    seen: set[int] = set()
    for i, line in wanted:
        row = line_rows.get(line.receipt_line_id) if isinstance(line.receipt_line_id, int) else None
        if row is None:
            raise _refuse(_l("Baris penerimaan tidak dikenal."), f"lines.{i}.quantity", _l("Tidak dikenal."))
        if row.id in seen:
            raise _refuse(
                _l("Satu baris penerimaan tertulis dua kali."), f"lines.{i}.quantity", _l("Dua kali.")
            )
        seen.add(row.id)
        product = products[row.product_id]
        quantity = _whole(line.quantity, f"lines.{i}.quantity", MAX_QUANTITY)
        unit_name = row.unit or product.unit
        if quantity > row.quantity - row.returned:
            raise _refuse(
                _l(
                    "%(name)s: diterima %(received)s %(unit)s, sudah diretur %(returned)s; paling banyak "
                    "%(left)s %(unit)s lagi yang bisa dikembalikan, bukan %(now)s.",
                    name=product.name,
                    received=row.quantity,
                    returned=row.returned,
                    left=row.quantity - row.returned,
                    unit=unit_name,
                    now=quantity,
                ),
                f"lines.{i}.quantity",
                _l("Paling banyak %(n)s.", n=row.quantity - row.returned),
            )
        returning.append((i, row, product, quantity, quantity * _factor(product, row.unit)))
    goods_cost = 0
    credit_lines: list[SupplierCreditLine] = []
    if returning and location is not None:
        balances = inventory.lock_balances([p.id for _i, _r, p, _q, _b in returning], location.id)
        for i, row, product, quantity, base in sorted(returning, key=lambda t: (t[2].id, t[1].id)):
            balance = balances.get(product.id)
            have = balance.available if balance is not None else 0
            if balance is None or base > have:
                raise _refuse(
                    _l(
                        "Stok %(name)s di %(location)s hanya %(have)s %(unit)s; tidak bisa meretur %(want)s "
                        "%(unit)s.",
                        name=product.name,
                        location=location.name,
                        have=have,
                        want=base,
                        unit=product.unit,
                    ),
                    f"lines.{i}.quantity",
                    _l("Melebihi stok."),
                )
            try:
                taken = inventory.take(
                    balance,
                    base,
                    kind=MoveKind.RETURN,
                    on=credit_date,
                    description=f"Retur ke {supplier.name}, nota kredit {text_number}"[:200],
                    idempotency_key=f"purchasing:credit:{key}:{row.id}",
                    user_id=user_id,
                    lot=row.lot,
                )
            except DomainError as err:
                raise _refuse(err.message, f"lines.{i}.quantity", _l("Melebihi stok.")) from err
            row.returned += quantity
            goods_cost += taken.cost
            credit_lines.append(
                SupplierCreditLine(
                    receipt_line_id=row.id,
                    product_id=product.id,
                    unit=row.unit,
                    quantity=quantity,
                    cost=taken.cost,
                    lot=row.lot,
                )
            )
    credit_note = SupplierCredit(
        supplier_id=supplier.id,
        number=text_number,
        credit_date=credit_date,
        amount=crediting,
        goods_cost=goods_cost,
        reason=CreditReason(reason).value,
        note=why,
        invoice_id=invoice.id if invoice is not None else None,
        receipt_id=receipt.id if receipt is not None else None,
        location_id=location.id if location is not None else None,
        idempotency_key=key,
        created_by=user_id,
    )
    entry_lines = [debit(PAYABLE, crediting)]
    if goods_cost:
        entry_lines.append(credit(inventory.INVENTORY, goods_cost))
    variance = crediting - goods_cost
    if variance > 0:
        entry_lines.append(credit(PRICE_VARIANCE, variance))
    elif variance < 0:
        entry_lines.append(debit(PRICE_VARIANCE, -variance))
    ledger.ensure_accounts(PAYABLE, inventory.INVENTORY, PRICE_VARIANCE)
    entry = ledger.post(
        NewEntry(
            entry_date=credit_date,
            description=f"Nota kredit {text_number} {supplier.name}"[:200],
            source_module=SOURCE,
            source_id=key,
            idempotency_key=f"purchasing:credit:{key}",
            lines=entry_lines,
        ),
        posted_by=user_id,
    )
    credit_note.journal_entry_id = entry.id
    db.session.add(credit_note)
    db.session.flush()
    for credit_line in credit_lines:
        credit_line.credit_id = credit_note.id
        db.session.add(credit_line)
    if invoice is not None:
        invoice.credited += crediting
    elif receipt is not None:
        receipt.credited += crediting
    db.session.flush()
    audit.record(
        "purchasing.credit_recorded",
        "purchasing_invoice" if invoice is not None else "purchasing_receipt",
        invoice.id if invoice is not None else credit_note.receipt_id,
        after={
            "number": text_number,
            "amount": crediting,
            "goods_cost": goods_cost,
            "reason": credit_note.reason,
            "lines": [[c.receipt_line_id, c.quantity, c.unit, c.cost, c.lot] for c in credit_lines],
        },
        actor_id=user_id,
    )
    db.session.commit()
    return credit_note


def credits_of(
    *, invoice_id: int | None = None, receipt_id: int | None = None
) -> list[tuple[SupplierCredit, list[tuple[SupplierCreditLine, Product]]]]:
    """The credit notes of an invoice (or of a receipt before it was invoiced), with their goods."""
    require_tenant()
    stmt = select(SupplierCredit).order_by(SupplierCredit.id)
    if invoice_id is not None:
        stmt = stmt.where(SupplierCredit.invoice_id == invoice_id)
    else:
        stmt = stmt.where(SupplierCredit.receipt_id == receipt_id)
    found = list(db.session.scalars(stmt))
    goods: dict[int, list[tuple[SupplierCreditLine, Product]]] = defaultdict(list)
    if found:
        rows = db.session.execute(
            select(SupplierCreditLine, Product)
            .join(
                Product,
                (Product.id == SupplierCreditLine.product_id)
                & (Product.tenant_id == SupplierCreditLine.tenant_id),
            )
            .where(SupplierCreditLine.credit_id.in_([c.id for c in found]))
            .order_by(SupplierCreditLine.id)
        )
        for line, product in rows:
            goods[line.credit_id].append((line, product))
    return [(c, goods[c.id]) for c in found]


def returnable_lines(
    *, invoice_id: int | None = None, receipt_id: int | None = None
) -> list[tuple[GoodsReceiptLine, Product, GoodsReceipt]]:
    """The receipt lines a credit note may send goods back from, with what each could still return."""
    require_tenant()
    stmt = (
        select(GoodsReceiptLine, Product, GoodsReceipt)
        .join(
            Product,
            (Product.id == GoodsReceiptLine.product_id) & (Product.tenant_id == GoodsReceiptLine.tenant_id),
        )
        .join(
            GoodsReceipt,
            (GoodsReceipt.id == GoodsReceiptLine.receipt_id)
            & (GoodsReceipt.tenant_id == GoodsReceiptLine.tenant_id),
        )
        .order_by(GoodsReceipt.id, GoodsReceiptLine.id)
        .limit(MAX_LIST)
    )
    if invoice_id is not None:
        stmt = stmt.where(GoodsReceipt.invoice_id == invoice_id)
    else:
        stmt = stmt.where(GoodsReceipt.id == receipt_id)
    return [(line, product, receipt) for line, product, receipt in db.session.execute(stmt)]


# --- the payable ledger and its aging --------------------------------------------------------------


@dataclass(frozen=True)
class LedgerRow:
    """One event of a supplier's payable: a receipt (+), an invoice difference (±), a payment (−),
    a credit note (−)."""

    day: date
    kind: str  # receipt, difference, payment, credit
    document: str
    description: str
    amount: int  # signed: what it adds to the payable
    balance: int
    link: tuple[str, int] | None = None


def supplier_ledger(supplier_id: int) -> list[LedgerRow]:
    """A supplier's payable as a running balance, oldest first: receipts put goods' value on it,
    an invoice's difference adjusts it, payments and credit notes take it down (a payment still
    waiting for approval is not on it)."""
    require_tenant()
    events: list[tuple[date, tuple[int, float], str, str, str, int, tuple[str, int] | None]] = []
    for r in db.session.scalars(select(GoodsReceipt).where(GoodsReceipt.supplier_id == supplier_id)):
        events.append(
            (
                r.received_on,
                (0, r.created_at.timestamp()),
                "receipt",
                r.number,
                str(_l("Barang diterima")),
                r.total,
                ("receipt", r.id),
            )
        )
    for inv in db.session.scalars(select(SupplierInvoice).where(SupplierInvoice.supplier_id == supplier_id)):
        if inv.difference:
            events.append(
                (
                    inv.invoice_date,
                    (1, inv.created_at.timestamp()),
                    "difference",
                    inv.number,
                    str(_l("Selisih tagihan: %(note)s", note=inv.difference_note or "")),
                    inv.difference,
                    ("invoice", inv.id),
                )
            )
    pays = db.session.execute(
        select(SupplierPayment, SupplierInvoice.number)
        .join(
            SupplierInvoice,
            (SupplierInvoice.id == SupplierPayment.invoice_id)
            & (SupplierInvoice.tenant_id == SupplierPayment.tenant_id),
        )
        .where(SupplierPayment.supplier_id == supplier_id)
    )
    for p, number in pays:
        label = METHOD_LABELS[p.method]
        events.append(
            (
                p.paid_on,
                (2, p.created_at.timestamp()),
                "payment",
                number,
                f"{label}{' · ' + p.reference if p.reference else ''}",
                -p.amount,
                ("invoice", p.invoice_id),
            )
        )
    for c in db.session.scalars(select(SupplierCredit).where(SupplierCredit.supplier_id == supplier_id)):
        label = REASON_LABELS[c.reason]
        events.append(
            (
                c.credit_date,
                (2, c.created_at.timestamp()),
                "credit",
                c.number,
                str(_l("Nota kredit: %(reason)s", reason=label)) + (f" · {c.note}" if c.note else ""),
                -c.amount,
                ("invoice", c.invoice_id) if c.invoice_id is not None else ("receipt", c.receipt_id or 0),
            )
        )
    # same day: receipts, then invoice differences, then payments and credit notes as recorded
    events.sort(key=lambda e: (e[0], e[1], e[3]))
    rows: list[LedgerRow] = []
    balance = 0
    for day, _order, kind, document, description, amount, link in events[-2000:]:
        balance += amount
        rows.append(LedgerRow(day, kind, document, description, amount, balance, link))
    return rows


BUCKETS: tuple[tuple[str, Any], ...] = (
    ("unbilled", _l("Diterima, belum ditagih")),
    ("current", _l("Belum jatuh tempo")),
    ("d1_30", _l("1–30 hari")),
    ("d31_60", _l("31–60 hari")),
    ("d61_90", _l("61–90 hari")),
    ("d90", _l("> 90 hari")),
)


@dataclass
class AgingRow:
    supplier: Supplier
    buckets: dict[str, int] = field(default_factory=lambda: dict.fromkeys((k for k, _ in BUCKETS), 0))

    @property
    def total(self) -> int:
        return sum(self.buckets.values())


def bucket_of(due_on: date, as_of: date) -> str:
    late = (as_of - due_on).days
    if late <= 0:
        return "current"
    if late <= 30:
        return "d1_30"
    if late <= 60:
        return "d31_60"
    if late <= 90:
        return "d61_90"
    return "d90"


@dataclass(frozen=True)
class Aging:
    rows: list[AgingRow]
    totals: dict[str, int]
    total: int
    as_of: date


def _aging_statement() -> Any:
    """Per supplier, what is owed in each bucket: receipts not yet invoiced (less their credit
    notes), and each open invoice's remainder by days past due on `as_of`. Built once."""
    late = bindparam("as_of", type_=Date) - SupplierInvoice.due_on
    owed = union_all(
        select(
            GoodsReceipt.supplier_id.label("supplier_id"),
            (GoodsReceipt.total - GoodsReceipt.credited).label("left"),
            literal("unbilled").label("bucket"),
        ).where(GoodsReceipt.invoice_id.is_(None), GoodsReceipt.credited < GoodsReceipt.total),
        select(
            SupplierInvoice.supplier_id,
            SupplierInvoice.amount - SupplierInvoice.paid - SupplierInvoice.credited,
            case(
                (late <= 0, "current"),
                (late <= 30, "d1_30"),
                (late <= 60, "d31_60"),
                (late <= 90, "d61_90"),
                else_="d90",
            ),
        ).where(SupplierInvoice.paid + SupplierInvoice.credited < SupplierInvoice.amount),
    ).subquery()
    # summed per supplier first, and only then joined to the suppliers: without fresh statistics
    # the planner may otherwise walk every open row once per supplier
    sums = (
        select(
            owed.c.supplier_id,
            *(
                func.coalesce(func.sum(owed.c.left).filter(owed.c.bucket == k), 0).label(k)
                for k, _label in BUCKETS
            ),
        )
        .group_by(owed.c.supplier_id)
        .cte("aging_sums")
        .prefix_with("MATERIALIZED")
    )
    return select(Supplier, *(sums.c[k] for k, _label in BUCKETS)).join(
        sums, sums.c.supplier_id == Supplier.id
    )


_AGING = _aging_statement()


def aging(as_of: date | None = None) -> Aging:
    """What purchases owe per supplier, by how late: goods received but not yet invoiced (less
    what credit notes took off them), then each invoice's unpaid and uncredited part by days past
    its due date; a payment waiting for approval has not paid anything. The total is the
    purchases' Utang Usaha. One statement: the buckets are summed in the database."""
    require_tenant()
    day = as_of or date.today()
    keys = [k for k, _label in BUCKETS]
    rows: list[AgingRow] = []
    for supplier, *sums in db.session.execute(_AGING, {"as_of": day}):
        row = AgingRow(supplier)
        for k, v in zip(keys, sums, strict=True):
            row.buckets[k] = int(v)
        rows.append(row)
    rows.sort(key=lambda r: (-r.total, r.supplier.name))
    totals = {k: sum(r.buckets[k] for r in rows) for k in keys}
    return Aging(rows, totals, sum(totals.values()), day)


def payables_total() -> int:
    """What purchases owe suppliers now (the home tile): received value plus invoice differences
    less payments and credit notes. One statement."""
    require_tenant()
    total = db.session.scalar(
        select(
            select(func.coalesce(func.sum(GoodsReceipt.total), 0)).scalar_subquery()
            + select(
                func.coalesce(func.sum(SupplierInvoice.amount - SupplierInvoice.received_value), 0)
            ).scalar_subquery()
            - select(func.coalesce(func.sum(SupplierPayment.amount), 0)).scalar_subquery()
            - select(func.coalesce(func.sum(SupplierCredit.amount), 0)).scalar_subquery()
        )
    )
    return int(total or 0)


def payable_in_books(as_of: date | None = None) -> int:
    """The Utang Usaha balance in the books, for comparing with the aging (it also holds what was
    bought on credit outside purchasing, e.g. a receipt entered straight in the gudang)."""
    try:
        return ledger.account_balance(PAYABLE, as_of or date.today())
    except DomainError:
        return 0


def locations() -> list[Location]:
    return inventory.locations()


def products() -> list[Product]:
    return inventory.products()


def units_by_product() -> dict[int, list[str]]:
    """Each product's bigger units, for the order form's unit choice."""
    require_tenant()
    from erp.inventory.models import ProductUnit

    out: dict[int, list[str]] = defaultdict(list)
    for product_id, name in db.session.execute(
        select(ProductUnit.product_id, ProductUnit.name).order_by(ProductUnit.product_id, ProductUnit.factor)
    ):
        out[product_id].append(name)
    return dict(out)
