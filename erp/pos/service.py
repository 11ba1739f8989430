"""Checkout at the gerai counter, the sale as a receipt, today's figures, and member purchases for
SHU jasa usaha.

Invariants: a checkout locks the stock balances of its products in product-id order (`SELECT …
ORDER BY product_id FOR UPDATE`, STYLE rule 21), refuses to sell past what is on hand before writing
anything, and then writes the sale, its lines, the stock moves and one journal entry (penjualan,
HPP, persediaan, kas or bank) in one transaction; its idempotency key applies it once. A refused
checkout rolls back and leaves nothing behind.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from core.db import db
from core.errors import DomainError, ErrorCode, NotFound
from core.money import format_rupiah
from erp.inventory import service as inventory
from erp.inventory.models import Location, MoveKind, Product
from erp.ledger import service as ledger
from erp.ledger import shu
from erp.ledger.models import MAX_AMOUNT
from erp.ledger.service import IdempotencyConflict, NewEntry, credit, debit
from erp.membership import service as membership
from erp.membership.models import Member, MemberStatus
from erp.pos.models import PaymentMethod, Sale, SaleLine
from tenants.context import require_tenant

CASH = "1-1100"
BANK = "1-1110"
SALES = "4-2100"
COST_OF_SALES = "5-1100"
INVENTORY = "1-1500"
SOURCE = "pos"
MAX_LINES = 100
MAX_QUANTITY = 10_000


class InvalidSale(DomainError):
    code = ErrorCode.INVALID_INPUT
    status = 422


class OutOfStock(DomainError):
    code = ErrorCode.INSUFFICIENT_BALANCE
    status = 422


@dataclass(frozen=True)
class CartLine:
    product_id: int
    quantity: int
    price: int | None = None


@dataclass(frozen=True)
class Receipt:
    sale: Sale
    lines: list[tuple[SaleLine, Product]]
    member: Member | None


def checkout(
    lines: list[CartLine],
    *,
    location_id: int,
    payment_method: str,
    idempotency_key: str,
    paid: int | None = None,
    reference: str | None = None,
    member_number: str | None = None,
    kasir_id: int | None = None,
    on: date | None = None,
) -> Sale:
    """Sell `lines` at a location and commit; refuses (and writes nothing) on bad input, a price
    above HET, an unknown member, short payment or too little stock."""
    try:
        return _checkout(
            lines,
            location_id=location_id,
            payment_method=payment_method,
            idempotency_key=idempotency_key,
            paid=paid,
            reference=reference,
            member_number=member_number,
            kasir_id=kasir_id,
            on=on or date.today(),
        )
    except Exception:
        db.session.rollback()
        raise


def _checkout(
    lines: list[CartLine],
    *,
    location_id: int,
    payment_method: str,
    idempotency_key: str,
    paid: int | None,
    reference: str | None,
    member_number: str | None,
    kasir_id: int | None,
    on: date,
) -> Sale:
    require_tenant()
    if not isinstance(idempotency_key, str) or not 0 < len(idempotency_key) <= 100:
        raise InvalidSale(_l("Kunci transaksi tidak sah; muat ulang halaman."))
    cart = _validate_lines(lines)
    repeat = db.session.scalar(select(Sale).where(Sale.idempotency_key == idempotency_key))
    products = {
        p.id: p
        for p in db.session.scalars(select(Product).where(Product.id.in_({line.product_id for line in cart})))
    }
    priced: list[tuple[Product, int, int]] = []
    for line in cart:
        product = products.get(line.product_id)
        if product is None or not product.active:
            raise InvalidSale(
                _l("Barang tidak dikenal."), fields={"lines": [str(_l("Barang tidak dikenal."))]}
            )
        price = product.price if line.price is None else line.price
        if not isinstance(price, int) or isinstance(price, bool) or price <= 0 or price > MAX_AMOUNT:
            raise InvalidSale(
                _l("Harga harus bilangan bulat positif."), fields={"lines": [str(_l("Harga tidak sah."))]}
            )
        if product.het is not None and price > product.het:
            raise InvalidSale(
                _l(
                    "Harga %(name)s %(price)s melebihi HET %(het)s.",
                    name=product.name,
                    price=format_rupiah(price),
                    het=format_rupiah(product.het),
                ),
                fields={"lines": [str(_l("Melebihi HET."))]},
            )
        priced.append((product, line.quantity, price))
    total = sum(q * p for _, q, p in priced)
    if total > MAX_AMOUNT:
        raise InvalidSale(_l("Total penjualan terlalu besar."))
    method, paid_amount, ref = _payment(payment_method, paid, reference, total)
    if repeat is not None:
        if (repeat.total, repeat.payment_method) != (total, method):
            raise IdempotencyConflict(_l("Transaksi ini sudah dicatat dengan isi yang berbeda."))
        db.session.commit()
        return repeat
    member_id = _member_id(member_number)
    if db.session.scalar(select(func.count()).select_from(Location).where(Location.id == location_id)) != 1:
        raise InvalidSale(_l("Lokasi penjualan tidak ditemukan."))
    wanted: dict[int, int] = defaultdict(int)
    for product, quantity, _ in priced:
        wanted[product.id] += quantity
    balances = inventory.lock_balances(list(wanted), location_id)
    for product_id in sorted(wanted):
        balance = balances.get(product_id)
        have = balance.quantity if balance is not None else 0
        if wanted[product_id] > have:
            product = products[product_id]
            raise OutOfStock(
                _l(
                    "Stok %(name)s tidak cukup: tersisa %(have)s %(unit)s, diminta %(want)s.",
                    name=product.name,
                    have=have,
                    unit=product.unit,
                    want=wanted[product_id],
                ),
                fields={"lines": [str(_l("Stok tidak cukup."))]},
            )
    costs = {pid: inventory.cost_of(balances[pid], q) for pid, q in wanted.items()}
    cost_total = sum(costs.values())
    entry_lines = [debit(CASH if method == PaymentMethod.TUNAI else BANK, total), credit(SALES, total)]
    if cost_total:
        entry_lines += [debit(COST_OF_SALES, cost_total), credit(INVENTORY, cost_total)]
    entry = ledger.post(
        NewEntry(
            entry_date=on,
            description=f"Penjualan gerai ({method.value})",
            source_module=SOURCE,
            source_id=idempotency_key,
            idempotency_key=f"pos:sale:{idempotency_key}",
            lines=entry_lines,
        ),
        posted_by=kasir_id,
    )
    sale = Sale(
        location_id=location_id,
        member_id=member_id,
        kasir_id=kasir_id,
        sold_on=on,
        total=total,
        cost=cost_total,
        payment_method=method.value,
        paid=paid_amount,
        change=paid_amount - total,
        payment_reference=ref,
        idempotency_key=idempotency_key,
        journal_entry_id=entry.id,
    )
    db.session.add(sale)
    db.session.flush()
    remaining = dict(costs)
    left = dict(wanted)
    for product, quantity, price in priced:
        # a product on several lines shares its cost by quantity, the last line taking the rest
        share = (
            remaining[product.id]
            if quantity == left[product.id]
            else costs[product.id] * quantity // wanted[product.id]
        )
        remaining[product.id] -= share
        left[product.id] -= quantity
        db.session.add(
            SaleLine(
                sale_id=sale.id,
                product_id=product.id,
                quantity=quantity,
                price=price,
                amount=quantity * price,
                cost=share,
            )
        )
    for product_id in sorted(wanted):
        inventory.take(
            balances[product_id],
            wanted[product_id],
            kind=MoveKind.SALE,
            on=on,
            description=f"Penjualan #{sale.id}",
            idempotency_key=f"pos:{sale.id}:{product_id}",
            user_id=kasir_id,
            journal_entry_id=entry.id,
        )
    db.session.flush()
    db.session.commit()
    return sale


def _validate_lines(lines: Any) -> list[CartLine]:
    if not isinstance(lines, list | tuple) or not lines:
        raise InvalidSale(_l("Keranjang masih kosong."), fields={"lines": [str(_l("Wajib diisi."))]})
    if len(lines) > MAX_LINES:
        raise InvalidSale(_l("Terlalu banyak baris dalam satu penjualan."))
    cart = []
    for line in lines:
        if not isinstance(line, CartLine):
            raise InvalidSale(_l("Baris penjualan tidak sah."))
        if not isinstance(line.product_id, int) or isinstance(line.product_id, bool):
            raise InvalidSale(
                _l("Barang tidak dikenal."), fields={"lines": [str(_l("Barang tidak dikenal."))]}
            )
        q = line.quantity
        if not isinstance(q, int) or isinstance(q, bool) or not 0 < q <= MAX_QUANTITY:
            raise InvalidSale(
                _l("Jumlah harus bilangan bulat positif."), fields={"lines": [str(_l("Jumlah tidak sah."))]}
            )
        cart.append(line)
    return cart


def _payment(method: Any, paid: Any, reference: Any, total: int) -> tuple[PaymentMethod, int, str | None]:
    try:
        chosen = PaymentMethod(method)
    except ValueError:
        raise InvalidSale(
            _l("Cara bayar tidak dikenal."),
            fields={"payment_method": [str(_l("Pilih tunai, QRIS atau transfer."))]},
        ) from None
    if chosen == PaymentMethod.TUNAI:
        amount = total if paid is None else paid
        if not isinstance(amount, int) or isinstance(amount, bool) or amount < total or amount > MAX_AMOUNT:
            raise InvalidSale(
                _l("Uang diterima kurang dari total %(total)s.", total=format_rupiah(total)),
                fields={"paid": [str(_l("Kurang dari total."))]},
            )
        return chosen, amount, None
    ref = reference.strip() if isinstance(reference, str) else ""
    if not ref or len(ref) > 60:
        raise InvalidSale(
            _l("Nomor referensi pembayaran %(method)s wajib diisi.", method=chosen.value.upper()),
            fields={"reference": [str(_l("Wajib diisi."))]},
        )
    return chosen, total, ref


def _member_id(member_number: Any) -> int | None:
    if member_number is None or (isinstance(member_number, str) and not member_number.strip()):
        return None
    if not isinstance(member_number, str) or len(member_number) > 40:
        raise InvalidSale(_l("Nomor anggota tidak sah."), fields={"member_number": [str(_l("Tidak sah."))]})
    member = membership.member_by_number(member_number)
    if member is None:
        raise InvalidSale(
            _l("Anggota bernomor %(number)s tidak ditemukan.", number=member_number.strip().upper()),
            fields={"member_number": [str(_l("Tidak ditemukan."))]},
        )
    if member.status != MemberStatus.ACTIVE.value:
        raise InvalidSale(
            _l("Anggota %(number)s tidak aktif.", number=member_number.strip().upper()),
            fields={"member_number": [str(_l("Tidak aktif."))]},
        )
    return member.id


def receipt(sale_id: int) -> Receipt:
    require_tenant()
    sale = db.session.scalar(select(Sale).where(Sale.id == sale_id))
    if sale is None:
        raise NotFound(_l("Penjualan tidak ditemukan."))
    rows = db.session.execute(
        select(SaleLine, Product)
        .join(Product, (Product.id == SaleLine.product_id) & (Product.tenant_id == SaleLine.tenant_id))
        .where(SaleLine.sale_id == sale.id)
        .order_by(SaleLine.id)
    ).all()
    member = None
    if sale.member_id is not None:
        member = db.session.scalar(select(Member).where(Member.id == sale.member_id))
    return Receipt(sale, [(line, product) for line, product in rows], member)


def sales_on(day: date) -> tuple[int, int]:
    """How many sales and their total on `day`."""
    require_tenant()
    count, total = db.session.execute(
        select(func.count(), func.coalesce(func.sum(Sale.total), 0)).where(Sale.sold_on == day)
    ).one()
    return int(count), int(total)


def member_purchases(year: int) -> dict[int, int]:
    """Each member's purchases in `year` (rupiah), the base of SHU jasa usaha."""
    return purchases_between(date(year, 1, 1), date(year, 12, 31))


def purchases_between(start: date, end: date) -> dict[int, int]:
    """Each member's purchases from `start` to `end` inclusive (rupiah)."""
    require_tenant()
    rows = db.session.execute(
        select(Sale.member_id, func.sum(Sale.total))
        .where(Sale.member_id.is_not(None))
        .where(Sale.sold_on >= start, Sale.sold_on <= end)
        .group_by(Sale.member_id)
    )
    return {int(member_id or 0): int(total) for member_id, total in rows}


# SHU jasa usaha: members' purchases at the gerai count as their transactions with the cooperative.
shu.sources.register("jasa_usaha", purchases_between)
