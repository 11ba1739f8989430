"""Kophub buyer accounts: sign up (a person or a business with its NPWP), delivery addresses, and
the cart across cooperatives.

Invariants: a buyer is a user with the platform role `buyer` and one buyer profile; a business
buyer has a company name and a valid 16-digit NPWP; an address is in a village of the official
list; a cart line names a listing the cooperative publishes, at a quantity of at least its minimum
order (checked again at checkout, where prices and stock are decided).
"""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.exc import IntegrityError

from core import audit
from core.auth import find_user, hash_password
from core.db import db
from core.errors import AlreadyExists, DomainError, ErrorCode, NotFound
from core.models import PlatformRole, User
from marketplace.buyers.models import Address, Buyer, BuyerKind, CartLine
from tenants import regions

MAX_ADDRESSES = 20
MAX_CART_LINES = 50
MAX_QUANTITY = 100_000


class InvalidBuyer(DomainError):
    code = ErrorCode.INVALID_INPUT
    status = 422


def buyer_of(user_id: int) -> Buyer | None:
    return db.session.scalar(select(Buyer).where(Buyer.user_id == user_id))


def _check_business(kind: str, company_name: str | None, npwp: str | None) -> tuple[str | None, str | None]:
    if kind not in BuyerKind.__members__.values():
        raise InvalidBuyer(_l("Jenis pembeli tidak dikenal."), {"kind": [str(_l("Pilihan tidak dikenal."))]})
    if kind == BuyerKind.PERORANGAN:
        return None, None
    fields: dict[str, list[str]] = {}
    if not company_name:
        fields["company_name"] = [str(_l("Wajib diisi untuk pembeli usaha."))]
    if not npwp:
        fields["npwp"] = [str(_l("Wajib diisi untuk pembeli usaha."))]
    if fields:
        raise InvalidBuyer(_l("Pembeli usaha wajib mengisi nama usaha dan NPWP."), fields)
    return company_name, npwp


def _grant_buyer(user: User, kind: str, company_name: str | None, npwp: str | None) -> Buyer:
    company_name, npwp = _check_business(kind, company_name, npwp)
    buyer = Buyer(user_id=user.id, kind=kind, company_name=company_name, npwp=npwp)
    db.session.add(buyer)
    if (
        db.session.scalar(
            select(PlatformRole.id).where(PlatformRole.user_id == user.id, PlatformRole.role == "buyer")
        )
        is None
    ):
        db.session.add(PlatformRole(user_id=user.id, role="buyer"))
    db.session.flush()
    audit.record(
        "marketplace.buyer_registered",
        "marketplace_buyer",
        buyer.id,
        after={"kind": kind, "company_name": company_name, "npwp": npwp},
        actor_id=user.id,
    )
    return buyer


def register_buyer(
    *,
    name: str,
    email: str | None,
    phone: str | None,
    password: str,
    kind: str,
    company_name: str | None = None,
    npwp: str | None = None,
) -> User:
    """A new account and its buyer profile, in one transaction (both or neither)."""
    if not email and not phone:
        raise InvalidBuyer(_l("Isi e-mail atau nomor HP."), {"email": [str(_l("Isi e-mail atau nomor HP."))]})
    _check_business(kind, company_name, npwp)
    for field, value in (("email", email), ("phone", phone)):
        if value and find_user(value) is not None:
            message = _l("Sudah ada akun dengan kontak ini. Silakan masuk.")
            raise AlreadyExists(message, {field: [str(message)]})
    user = User(name=name, email=email, phone=phone, password_hash=hash_password(password))
    db.session.add(user)
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        message = _l("Sudah ada akun dengan kontak ini. Silakan masuk.")
        raise AlreadyExists(message, {"email": [str(message)]}) from None
    audit.record("user_created", "user", user.id, after={"name": name}, actor_id=user.id)
    _grant_buyer(user, kind, company_name, npwp)
    db.session.commit()
    return user


def become_buyer(user: User, *, kind: str, company_name: str | None = None, npwp: str | None = None) -> Buyer:
    """A signed-in person (cooperative staff too) opens a buyer profile."""
    if buyer_of(user.id) is not None:
        raise AlreadyExists(_l("Anda sudah terdaftar sebagai pembeli."))
    buyer = _grant_buyer(user, kind, company_name, npwp)
    db.session.commit()
    return buyer


def update_profile(buyer: Buyer, *, kind: str, company_name: str | None, npwp: str | None) -> Buyer:
    company_name, npwp = _check_business(kind, company_name, npwp)
    before = {"kind": buyer.kind, "company_name": buyer.company_name, "npwp": buyer.npwp}
    buyer.kind, buyer.company_name, buyer.npwp = kind, company_name, npwp
    audit.record(
        "marketplace.buyer_updated",
        "marketplace_buyer",
        buyer.id,
        before=before,
        after={"kind": kind, "company_name": company_name, "npwp": npwp},
    )
    db.session.commit()
    return buyer


# --- addresses ------------------------------------------------------------------------------


def addresses(buyer: Buyer) -> list[Address]:
    return list(db.session.scalars(select(Address).where(Address.buyer_id == buyer.id).order_by(Address.id)))


def address_of(buyer: Buyer, address_id: int) -> Address:
    address = db.session.scalar(select(Address).where(Address.id == address_id, Address.buyer_id == buyer.id))
    if address is None:
        raise NotFound(_l("Alamat tidak ditemukan."))
    return address


def add_address(
    buyer: Buyer,
    *,
    label: str,
    recipient: str,
    phone: str,
    street: str,
    village_code: str | None,
    postal_code: str | None = None,
) -> Address:
    region = regions.get(village_code) if village_code else None
    if region is None or region.level != 4:
        raise InvalidBuyer(
            _l("Pilih desa/kelurahan tujuan sampai tingkat desa."),
            {"village_code": [str(_l("Pilih desa/kelurahan."))]},
        )
    count = len(addresses(buyer))
    if count >= MAX_ADDRESSES:
        raise InvalidBuyer(_l("Paling banyak %(n)s alamat.", n=MAX_ADDRESSES))
    address = Address(
        buyer_id=buyer.id,
        label=label,
        recipient=recipient,
        phone=phone,
        street=street,
        village_code=region.code,
        postal_code=postal_code,
    )
    db.session.add(address)
    db.session.commit()
    return address


def delete_address(buyer: Buyer, address_id: int) -> None:
    address = address_of(buyer, address_id)
    db.session.delete(address)
    db.session.commit()


# --- cart -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class CartItem:
    """A cart line with what the listing says now (None when it is no longer offered)."""

    line: CartLine
    offer: object | None


def cart_lines(buyer: Buyer) -> list[CartLine]:
    return list(
        db.session.scalars(
            select(CartLine)
            .where(CartLine.buyer_id == buyer.id)
            .order_by(CartLine.cooperative_id, CartLine.id)
        )
    )


def put_in_cart(buyer: Buyer, cooperative_id: int, listing_id: int, quantity: int) -> CartLine:
    """Set the quantity of a listing in the cart (adding it if new). The listing must be published;
    the quantity at least its minimum order."""
    from marketplace.orders import offers

    if not isinstance(quantity, int) or isinstance(quantity, bool) or not 0 < quantity <= MAX_QUANTITY:
        raise InvalidBuyer(_l("Jumlah harus 1 sampai 100.000."), {"quantity": [str(_l("Jumlah tidak sah."))]})
    offer = offers.offer(cooperative_id, listing_id)
    if offer is None:
        raise NotFound(_l("Produk ini tidak lagi dijual di Kophub."))
    offers.check_quantity(offer, quantity)
    existing = len(cart_lines(buyer))
    if existing >= MAX_CART_LINES:
        raise InvalidBuyer(_l("Keranjang penuh: paling banyak %(n)s produk.", n=MAX_CART_LINES))
    db.session.execute(
        pg_insert(CartLine)
        .values(buyer_id=buyer.id, cooperative_id=cooperative_id, listing_id=listing_id, quantity=quantity)
        .on_conflict_do_update(
            index_elements=["buyer_id", "cooperative_id", "listing_id"], set_={"quantity": quantity}
        )
    )
    db.session.commit()
    line = db.session.scalar(
        select(CartLine).where(
            CartLine.buyer_id == buyer.id,
            CartLine.cooperative_id == cooperative_id,
            CartLine.listing_id == listing_id,
        )
    )
    assert line is not None
    return line


def remove_from_cart(buyer: Buyer, line_id: int) -> None:
    db.session.execute(delete(CartLine).where(CartLine.id == line_id, CartLine.buyer_id == buyer.id))
    db.session.commit()
