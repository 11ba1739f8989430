"""The inventory use cases: register products (EAN-13 or internal code, HET cap) and locations,
receive goods at cost (posting persediaan against kas or utang usaha), adjust stock, lock balances
for a sale, and read the stock card.

Invariants: a balance changes only under `SELECT … FOR UPDATE`, locked in product-id order (STYLE
rule 21), in the transaction that writes its move and posts its journal entry; the value of stock
leaves at moving-average cost, and the last unit takes the whole remaining value, so the sum of
balance values equals the persediaan account.
"""

from __future__ import annotations

import calendar
import csv
import io
import re
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from flask_babel import format_date
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select, text
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.orm.attributes import set_committed_value

from core import audit
from core.db import db
from core.errors import DomainError, ErrorCode, NotFound
from core.money import InvariantViolation, format_rupiah
from erp.inventory import lots
from erp.inventory.models import (
    Commodity,
    HetCap,
    Location,
    LocationKind,
    MoveKind,
    Product,
    ProductUnit,
    Quota,
    QuotaRule,
    QuotaSource,
    QuotaUse,
    Reservation,
    ReservationStatus,
    StockBalance,
    StockMove,
)
from erp.ledger import service as ledger
from erp.ledger.models import MAX_AMOUNT
from erp.ledger.service import IdempotencyConflict, NewEntry, credit, debit
from tenants import regions
from tenants.context import require_tenant
from tenants.models import Cooperative

INVENTORY = "1-1500"
CASH = "1-1100"
PAYABLE = "2-1300"
COST_OF_SALES = "5-1100"
SOURCE = "inventory"
MAX_QUANTITY = 1_000_000
INTERNAL_CODE = re.compile(r"^[A-Z0-9][A-Z0-9-]{1,19}$")


class InvalidInventory(DomainError):
    code = ErrorCode.INVALID_INPUT
    status = 422


class InvalidTransition(DomainError):
    code = ErrorCode.INVALID_TRANSITION
    status = 422


class QuotaExceeded(DomainError):
    code = ErrorCode.INSUFFICIENT_BALANCE
    status = 422


class OutOfStock(DomainError):
    code = ErrorCode.INSUFFICIENT_BALANCE
    status = 422


@dataclass(frozen=True)
class Taken:
    """What a sale took from one balance: the quantity and its value at cost."""

    product_id: int
    quantity: int
    cost: int


def ean13_valid(code: str) -> bool:
    """True when `code` is 13 digits whose last is the EAN-13 check digit of the first twelve."""
    if len(code) != 13 or not code.isdigit():
        return False
    total = sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(code[:12]))
    return (10 - total % 10) % 10 == int(code[12])


def normalise_code(raw: Any) -> str:
    """A product code as stored: an EAN-13 barcode (check digit verified) or an internal code of
    letters, digits and dashes. Refuses anything else with a message saying why."""
    if not isinstance(raw, str) or not raw.strip():
        raise InvalidInventory(_l("Kode barang wajib diisi."), fields={"code": [str(_l("Wajib diisi."))]})
    code = raw.strip().upper()
    if code.isdigit() and len(code) == 13:
        if not ean13_valid(code):
            raise InvalidInventory(
                _l("Digit pemeriksa barcode EAN-13 %(code)s salah.", code=code),
                fields={"code": [str(_l("Digit pemeriksa salah."))]},
            )
        return code
    if code.isdigit() and len(code) in (8, 12, 14):
        raise InvalidInventory(
            _l("Barcode harus 13 digit (EAN-13)."), fields={"code": [str(_l("Bukan EAN-13."))]}
        )
    if not INTERNAL_CODE.match(code):
        raise InvalidInventory(
            _l("Kode internal hanya huruf, angka dan tanda hubung (2–20 karakter)."),
            fields={"code": [str(_l("Kode tidak sah."))]},
        )
    return code


def _require_amount(value: Any, field: str, *, allow_zero: bool = False, limit: int = MAX_AMOUNT) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 0 or (value == 0 and not allow_zero):
        raise InvalidInventory(
            _l("Nilai harus bilangan bulat positif."),
            fields={field: [str(_l("Harus bilangan bulat positif."))]},
        )
    if value > limit:
        raise InvalidInventory(_l("Nilai terlalu besar."), fields={field: [str(_l("Terlalu besar."))]})
    return value


COMMODITY_LABELS: dict[str, Any] = {
    Commodity.BERAS_MEDIUM: _l("Beras medium/SPHP"),
    Commodity.BERAS_PREMIUM: _l("Beras premium"),
    Commodity.MINYAKITA: _l("MinyaKita"),
    Commodity.LPG_3KG: _l("LPG 3 kg"),
    Commodity.PUPUK_UREA: _l("Pupuk urea bersubsidi"),
    Commodity.PUPUK_NPK: _l("Pupuk NPK bersubsidi"),
    Commodity.PUPUK_NPK_KAKAO: _l("Pupuk NPK kakao bersubsidi"),
    Commodity.PUPUK_ZA: _l("Pupuk ZA bersubsidi"),
    Commodity.PUPUK_ORGANIK: _l("Pupuk organik bersubsidi"),
}
COMMODITY_UNITS: dict[str, str] = {
    Commodity.BERAS_MEDIUM: "kg",
    Commodity.BERAS_PREMIUM: "kg",
    Commodity.MINYAKITA: "liter",
    Commodity.LPG_3KG: "tabung",
    Commodity.PUPUK_UREA: "kg",
    Commodity.PUPUK_NPK: "kg",
    Commodity.PUPUK_NPK_KAKAO: "kg",
    Commodity.PUPUK_ZA: "kg",
    Commodity.PUPUK_ORGANIK: "kg",
}
# rice zones of Kepbadan 299/2025 by province code: I Jawa, Lampung, Sumsel, Bali, NTB, Sulawesi;
# II other Sumatra, NTT, Kalimantan; III Maluku, Papua
RICE_ZONES = {
    **dict.fromkeys(("31", "32", "33", "34", "35", "36", "18", "16", "51", "52"), "I"),
    **dict.fromkeys(("71", "72", "73", "74", "75", "76"), "I"),
    **dict.fromkeys(("11", "12", "13", "14", "15", "17", "19", "21", "53"), "II"),
    **dict.fromkeys(("61", "62", "63", "64", "65"), "II"),
    **dict.fromkeys(("81", "82", "91", "92", "93", "94", "95", "96"), "III"),
}
NATIONAL = "nasional"
ZONES = ("I", "II", "III", NATIONAL)


@dataclass(frozen=True)
class Cap:
    """The HET that applies to one unit of a product: the amount and where it comes from."""

    amount: int
    source: str
    cap: HetCap | None = None


def zones_of(province: str) -> list[str]:
    """The zones a province falls in, most specific first: itself, its rice zone, the nation."""
    zone = RICE_ZONES.get(province)
    return [province, *([zone] if zone else []), NATIONAL]


def cooperative_province() -> str:
    """The province code of the current cooperative's village."""
    tenant_id = require_tenant()
    village = db.session.scalar(select(Cooperative.village_code).where(Cooperative.id == tenant_id))
    return (village or "")[:2]


def cap_in_force(commodity: str, province: str, on: date) -> HetCap | None:
    """The HET of `commodity` in force on `on` for a province: of the zones it falls in, the most
    specific one with a cap dated on or before that day, and in it the latest such cap."""
    chain = zones_of(province)
    rows = db.session.scalars(
        select(HetCap)
        .where(HetCap.commodity == commodity, HetCap.zone.in_(chain), HetCap.effective_from <= on)
        .order_by(HetCap.effective_from.desc(), HetCap.id.desc())
    )
    latest: dict[str, HetCap] = {}
    for row in rows:
        latest.setdefault(row.zone, row)
    return next((latest[z] for z in chain if z in latest), None)


def _cap(het: int | None, commodity: str | None, units: int, on: date) -> Cap | None:
    caps = []
    if het is not None:
        caps.append(Cap(het, str(_l("HET yang ditetapkan untuk barang ini"))))
    if commodity is not None:
        row = cap_in_force(commodity, cooperative_province(), on)
        if row is not None:
            zone = row.zone if row.zone in ZONES else (_region_name(row.zone) or row.zone)
            source = _l(
                "HET %(what)s zona %(zone)s %(price)s per %(unit)s, %(source)s, berlaku sejak %(since)s",
                what=COMMODITY_LABELS[Commodity(commodity)],
                zone=zone,
                price=format_rupiah(row.price),
                unit=COMMODITY_UNITS[Commodity(commodity)],
                source=row.source,
                since=format_date(row.effective_from),
            )
            caps.append(Cap(row.price * units, str(source), row))
    return min(caps, key=lambda c: c.amount) if caps else None


def _region_name(code: str) -> str | None:
    region = regions.get(code)
    return region.name if region is not None else None


def het_for(product: Product, on: date | None = None) -> Cap | None:
    """The HET of one unit of `product` on a day: the lower of its own cap and the cap in force
    for its commodity in the cooperative's zone (times the commodity units it holds)."""
    return _cap(product.het, product.commodity, product.commodity_units, on or date.today())


def hets_of(items: list[Product], on: date | None = None) -> dict[int, int]:
    """The HET in force per product id (only products that have one), one cap lookup per
    commodity."""
    day = on or date.today()
    province = cooperative_province() if any(p.commodity for p in items) else ""
    by_commodity = {c: cap_in_force(c, province, day) for c in {p.commodity for p in items if p.commodity}}
    out = {}
    for p in items:
        row = by_commodity.get(p.commodity) if p.commodity else None
        caps = [c for c in (p.het, row.price * p.commodity_units if row else None) if c is not None]
        if caps:
            out[p.id] = min(caps)
    return out


def check_het(
    price: int,
    het: int | None,
    *,
    commodity: str | None = None,
    commodity_units: int = 1,
    on: date | None = None,
) -> None:
    """Refuse a price above the HET in force, naming the cap and its source."""
    cap = _cap(het, commodity, commodity_units, on or date.today())
    if cap is not None and price > cap.amount:
        raise InvalidInventory(
            _l(
                "Harga jual %(price)s melebihi HET %(het)s (%(source)s).",
                price=format_rupiah(price),
                het=format_rupiah(cap.amount),
                source=cap.source,
            ),
            fields={"price": [str(_l("Melebihi HET %(het)s.", het=format_rupiah(cap.amount)))]},
        )


def check_sale_price(product: Product, price: int, on: date | None = None) -> None:
    """For a sale: refuse a unit price above the product's HET in force on the day."""
    check_het(price, product.het, commodity=product.commodity, commodity_units=product.commodity_units, on=on)


def _require_commodity(commodity: Any, units: Any) -> tuple[str | None, int]:
    if commodity is None or commodity == "":
        return None, 1
    if commodity not in Commodity.__members__.values():
        raise InvalidInventory(
            _l("Komoditas HET tidak dikenal."), fields={"commodity": [str(_l("Tidak dikenal."))]}
        )
    if not isinstance(units, int) or isinstance(units, bool) or not 0 < units <= MAX_QUANTITY:
        raise InvalidInventory(
            _l("Isi komoditas per satuan barang harus bilangan bulat positif."),
            fields={"commodity_units": [str(_l("Harus bilangan bulat positif."))]},
        )
    return Commodity(commodity).value, units


def add_het_cap(
    commodity: str, zone: str, price: int, effective_from: date, source: str, *, user_id: int | None = None
) -> HetCap:
    """A platform admin records a HET decree: the cap of a commodity per its unit in a zone (I, II,
    III, nasional, or a province code) from a date on. Earlier caps stay as history."""
    if commodity not in Commodity.__members__.values():
        raise InvalidInventory(
            _l("Komoditas HET tidak dikenal."), fields={"commodity": [str(_l("Tidak dikenal."))]}
        )
    zone = zone.strip() if isinstance(zone, str) else ""
    if zone not in ZONES:
        region = regions.get(zone) if re.fullmatch(r"[0-9]{2}", zone) else None
        if region is None or region.level != 1:
            raise InvalidInventory(
                _l("Zona harus I, II, III, nasional, atau kode provinsi."),
                fields={"zone": [str(_l("Tidak dikenal."))]},
            )
    _require_amount(price, "price")
    if not isinstance(effective_from, date):
        raise InvalidInventory(
            _l("Tanggal berlaku wajib diisi."), fields={"effective_from": [str(_l("Wajib diisi."))]}
        )
    text_source = source.strip() if isinstance(source, str) else ""
    if not text_source or len(text_source) > 200:
        raise InvalidInventory(
            _l("Sumber (nomor keputusan) wajib diisi, paling banyak 200 karakter."),
            fields={"source": [str(_l("Wajib diisi."))]},
        )
    if db.session.scalar(
        select(HetCap.id).where(
            HetCap.commodity == commodity, HetCap.zone == zone, HetCap.effective_from == effective_from
        )
    ):
        raise InvalidInventory(
            _l("Sudah ada HET untuk komoditas dan zona ini yang berlaku pada tanggal itu."),
            fields={"effective_from": [str(_l("Sudah ada."))]},
        )
    cap = HetCap(
        commodity=Commodity(commodity).value,
        zone=zone,
        price=price,
        effective_from=effective_from,
        source=text_source,
        created_by=user_id,
    )
    db.session.add(cap)
    db.session.flush()
    audit.record(
        "inventory.het_cap_added",
        "inventory_het_cap",
        cap.id,
        after={"commodity": cap.commodity, "zone": zone, "price": price, "from": effective_from.isoformat()},
        actor_id=user_id,
    )
    db.session.commit()
    return cap


def het_caps() -> list[HetCap]:
    """Every HET cap on record, by commodity, zone and date (newest first)."""
    return list(
        db.session.scalars(
            select(HetCap).order_by(HetCap.commodity, HetCap.zone, HetCap.effective_from.desc()).limit(1000)
        )
    )


def add_product(
    *,
    code: str,
    name: str,
    category: str,
    unit: str,
    price: int,
    het: int | None = None,
    commodity: str | None = None,
    commodity_units: int = 1,
    tracks_lots: bool = False,
    kena_ppn: bool = False,
) -> Product:
    """Register a product; linked to a capped commodity, its price must be within the HET in force
    in the cooperative's zone today. `tracks_lots`: stock kept per lot with its expiry (FEFO).
    `kena_ppn`: a PKP cooperative charges PPN on it (not on exempt staples)."""
    require_tenant()
    normalised = normalise_code(code)
    _require_amount(price, "price")
    if het is not None:
        _require_amount(het, "het")
    commodity, commodity_units = _require_commodity(commodity, commodity_units)
    check_het(price, het, commodity=commodity, commodity_units=commodity_units)
    for field, text_value, limit in (("name", name, 120), ("category", category, 40), ("unit", unit, 20)):
        if not isinstance(text_value, str) or not text_value.strip() or len(text_value.strip()) > limit:
            raise InvalidInventory(
                _l("Data barang belum lengkap."), fields={field: [str(_l("Wajib diisi."))]}
            )
    if lookup_code(normalised) is not None:
        raise InvalidInventory(
            _l("Kode %(code)s sudah dipakai barang lain.", code=normalised),
            fields={"code": [str(_l("Sudah dipakai."))]},
        )
    product = Product(
        code=normalised,
        name=name.strip(),
        category=category.strip(),
        unit=unit.strip(),
        price=price,
        het=het,
        commodity=commodity,
        commodity_units=commodity_units,
        tracks_lots=bool(tracks_lots),
        kena_ppn=bool(kena_ppn),
    )
    db.session.add(product)
    db.session.flush()
    audit.record("inventory.product_added", "inventory_product", product.id, after={"code": normalised})
    db.session.commit()
    return product


def set_kena_ppn(product_id: int, kena_ppn: Any, *, user_id: int | None = None) -> Product:
    """Mark a product as taxed (PPN, when the cooperative is a PKP) or exempt, audited. Sales
    already made keep the PPN they carried."""
    require_tenant()
    if not isinstance(kena_ppn, bool):
        raise InvalidInventory(_l("Pilih kena PPN atau tidak."), fields={"kena_ppn": [str(_l("Tidak sah."))]})
    product = db.session.scalar(select(Product).where(Product.id == product_id).with_for_update())
    if product is None:
        db.session.rollback()
        raise NotFound(_l("Barang tidak ditemukan."))
    before = product.kena_ppn
    if before != kena_ppn:
        product.kena_ppn = kena_ppn
        audit.record(
            "inventory.product_tax_changed",
            "inventory_product",
            product.id,
            before={"kena_ppn": before},
            after={"kena_ppn": kena_ppn},
            actor_id=user_id,
        )
    db.session.commit()
    return product


def set_price(product_id: int, price: int, het: int | None = None) -> Product:
    """Change the selling price (and the HET cap); a price above the cap is refused."""
    _require_amount(price, "price")
    if het is not None:
        _require_amount(het, "het")
    product = db.session.scalar(select(Product).where(Product.id == product_id).with_for_update())
    if product is None:
        raise NotFound(_l("Barang tidak ditemukan."))
    check_het(price, het, commodity=product.commodity, commodity_units=product.commodity_units)
    before = {"price": product.price, "het": product.het}
    product.price, product.het = price, het
    audit.record(
        "inventory.price_set",
        "inventory_product",
        product.id,
        before=before,
        after={"price": price, "het": het},
    )
    db.session.commit()
    return product


def add_location(code: str, name: str, kind: LocationKind) -> Location:
    require_tenant()
    if kind not in LocationKind.__members__.values():
        raise InvalidInventory(
            _l("Jenis lokasi tidak dikenal."), fields={"kind": [str(_l("Tidak dikenal."))]}
        )
    location = Location(code=normalise_code(code), name=name.strip(), kind=LocationKind(kind).value)
    db.session.add(location)
    db.session.commit()
    return location


def products(active_only: bool = True) -> list[Product]:
    require_tenant()
    stmt = select(Product).order_by(Product.name)
    if active_only:
        stmt = stmt.where(Product.active.is_(True))
    return list(db.session.scalars(stmt))


def locations() -> list[Location]:
    require_tenant()
    return list(db.session.scalars(select(Location).order_by(Location.id)))


def default_location(kind: LocationKind = LocationKind.GERAI) -> Location:
    location = db.session.scalar(select(Location).where(Location.kind == kind.value).order_by(Location.id))
    if location is None:
        raise NotFound(_l("Belum ada lokasi %(kind)s.", kind=kind.value))
    return location


def product_by_code(code: str) -> Product | None:
    require_tenant()
    if not isinstance(code, str) or not code.strip():
        return None
    return db.session.scalar(select(Product).where(Product.code == code.strip().upper()))


def get_product(product_id: int) -> Product:
    require_tenant()
    product = db.session.scalar(select(Product).where(Product.id == product_id))
    if product is None:
        raise NotFound(_l("Barang tidak ditemukan."))
    return product


def add_unit(product_id: int, name: str, factor: int, code: str | None = None) -> ProductUnit:
    """A bigger unit of a product worth `factor` base units (karung 50 kg of a product kept in kg:
    factor 50), with an optional barcode of its own, unique among products and units."""
    product = get_product(product_id)
    label = name.strip() if isinstance(name, str) else ""
    if not label or len(label) > 20:
        raise InvalidInventory(_l("Nama satuan wajib diisi."), fields={"name": [str(_l("Wajib diisi."))]})
    if label.lower() == product.unit.lower():
        raise InvalidInventory(
            _l("%(unit)s sudah satuan dasar barang ini.", unit=label),
            fields={"name": [str(_l("Sudah satuan dasar."))]},
        )
    if not isinstance(factor, int) or isinstance(factor, bool) or not 1 < factor <= MAX_QUANTITY:
        raise InvalidInventory(
            _l("Isi satuan harus bilangan bulat lebih dari 1 (dalam %(unit)s).", unit=product.unit),
            fields={"factor": [str(_l("Lebih dari 1."))]},
        )
    normalised = normalise_code(code) if code is not None and str(code).strip() else None
    if normalised is not None and lookup_code(normalised) is not None:
        raise InvalidInventory(
            _l("Kode %(code)s sudah dipakai barang lain.", code=normalised),
            fields={"code": [str(_l("Sudah dipakai."))]},
        )
    if db.session.scalar(
        select(ProductUnit.id).where(
            ProductUnit.product_id == product.id, func.lower(ProductUnit.name) == label.lower()
        )
    ):
        raise InvalidInventory(
            _l("Satuan %(unit)s sudah ada untuk barang ini.", unit=label),
            fields={"name": [str(_l("Sudah ada."))]},
        )
    unit = ProductUnit(product_id=product.id, name=label, factor=factor, code=normalised)
    db.session.add(unit)
    db.session.flush()
    audit.record(
        "inventory.unit_added", "inventory_product", product.id, after={"unit": label, "factor": factor}
    )
    db.session.commit()
    return unit


def units_of(product_id: int) -> list[ProductUnit]:
    require_tenant()
    return list(
        db.session.scalars(
            select(ProductUnit).where(ProductUnit.product_id == product_id).order_by(ProductUnit.factor)
        )
    )


def unit_names() -> list[str]:
    """The bigger units in use across products, for the receipt form's unit choice."""
    require_tenant()
    return list(db.session.scalars(select(ProductUnit.name).distinct().order_by(ProductUnit.name)))


def to_base(product: Product, quantity: int, unit: str | None) -> int:
    """`quantity` of `unit` in the product's base unit, exactly (an integer). No unit or the base
    unit itself: unchanged. An unknown unit or a result beyond the limit is refused."""
    _require_amount(quantity, "quantity", limit=MAX_QUANTITY)
    if unit is None or not unit.strip() or unit.strip().lower() == product.unit.lower():
        return quantity
    factor = db.session.scalar(
        select(ProductUnit.factor).where(
            ProductUnit.product_id == product.id, func.lower(ProductUnit.name) == unit.strip().lower()
        )
    )
    if factor is None:
        raise InvalidInventory(
            _l("Satuan %(unit)s tidak dikenal untuk %(name)s.", unit=unit.strip(), name=product.name),
            fields={"unit": [str(_l("Tidak dikenal."))]},
        )
    base = quantity * factor
    if base > MAX_QUANTITY:
        raise InvalidInventory(_l("Jumlah terlalu besar."), fields={"quantity": [str(_l("Terlalu besar."))]})
    return base


def lookup_code(code: str) -> tuple[Product, int] | None:
    """The product a scanned code names and how many base units one scan is: 1 for the product's
    own code, the unit's factor for a pack's barcode (a dus of 40 → 40). None when unknown."""
    require_tenant()
    if not isinstance(code, str) or not code.strip():
        return None
    wanted = code.strip().upper()
    product = db.session.scalar(select(Product).where(Product.code == wanted))
    if product is not None:
        return product, 1
    row = db.session.execute(
        select(Product, ProductUnit.factor)
        .join(
            ProductUnit, (ProductUnit.product_id == Product.id) & (ProductUnit.tenant_id == Product.tenant_id)
        )
        .where(ProductUnit.code == wanted)
    ).first()
    return (row[0], int(row[1])) if row is not None else None


def on_hand(product_id: int, location_id: int | None = None) -> int:
    stmt = select(func.coalesce(func.sum(StockBalance.quantity), 0)).where(
        StockBalance.product_id == product_id
    )
    if location_id is not None:
        stmt = stmt.where(StockBalance.location_id == location_id)
    return int(db.session.scalar(stmt) or 0)


def lock_balances(product_ids: list[int], location_id: int) -> dict[int, StockBalance]:
    """Lock (`FOR UPDATE`) the balances of `product_ids` at a location in product-id order and
    return them by product; a product never stocked there has no row and so nothing to take."""
    tenant_id = require_tenant()
    ids = sorted(set(product_ids))
    if not ids:
        return {}
    rows = db.session.scalars(
        select(StockBalance)
        .where(StockBalance.tenant_id == tenant_id, StockBalance.location_id == location_id)
        .where(StockBalance.product_id.in_(ids))
        .order_by(StockBalance.product_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return {row.product_id: row for row in rows}


def cost_of(balance: StockBalance, quantity: int) -> int:
    """The value at moving-average cost of `quantity` taken from `balance`; the last unit takes
    all that is left, so no value stays behind without stock."""
    if quantity >= balance.quantity:
        return balance.value
    return (balance.value * quantity + balance.quantity // 2) // balance.quantity


def take(
    balance: StockBalance,
    quantity: int,
    *,
    kind: MoveKind,
    on: date,
    description: str,
    idempotency_key: str,
    user_id: int | None,
    journal_entry_id: int | None = None,
    lot: str | None = None,
) -> Taken:
    """Take `quantity` out of a locked balance at moving-average cost and write its move. Units
    held by Kophub reservations are not for sale: asking for more than is available is refused.
    A product that tracks lots is drawn from the lot named, or first-expiry-first-out, one move
    per lot; a sale never takes an expired lot."""
    _refuse_unavailable(balance, quantity)
    cost = cost_of(balance, quantity)
    if lots.tracks_lots(balance.product_id):
        product = get_product(balance.product_id)
        plan = lots.plan_draw(balance, product, quantity, kind=kind, on=on, lot_code=lot)
        lots.write_moves(
            balance,
            plan,
            cost,
            sign=-1,
            kind=kind,
            on=on,
            description=description,
            idempotency_key=idempotency_key,
            user_id=user_id,
            journal_entry_id=journal_entry_id,
        )
        return Taken(balance.product_id, quantity, cost)
    if lot is not None:
        raise lots.InvalidLot(
            _l("Barang ini tidak dicatat per lot; kosongkan nomor lot."),
            fields={"lot": [str(_l("Barang tanpa lot."))]},
        )
    balance.quantity -= quantity
    balance.value -= cost
    db.session.add(
        StockMove(
            product_id=balance.product_id,
            location_id=balance.location_id,
            kind=kind.value,
            quantity=-quantity,
            value=-cost,
            quantity_after=balance.quantity,
            value_after=balance.value,
            occurred_on=on,
            description=description[:200],
            idempotency_key=idempotency_key,
            journal_entry_id=journal_entry_id,
            user_id=user_id,
        )
    )
    return Taken(balance.product_id, quantity, cost)


def _refuse_unavailable(balance: StockBalance, quantity: int) -> None:
    if quantity <= balance.available:
        return
    if balance.reserved:
        raise OutOfStock(
            _l(
                "Stok tidak cukup: tersedia %(available)s, diminta %(want)s "
                "(%(reserved)s sudah dipesan lewat Kophub).",
                available=balance.available,
                want=quantity,
                reserved=balance.reserved,
            )
        )
    raise OutOfStock(
        _l(
            "Stok tidak cukup: tersedia %(available)s, diminta %(want)s.",
            available=balance.available,
            want=quantity,
        )
    )


# Products whose stock a transaction changed outside the ORM's unit of work (`take_all`), by id in
# `Session.info`: whoever follows stock changes (Kophub's listings) reads it with the flushed ones.
STOCK_TOUCHED = "inventory.stock_touched"

_TAKE_ALL = text(
    """
    WITH balances AS (
        UPDATE inventory_balances AS b SET quantity = t.quantity_after, value = t.value_after
        FROM unnest(CAST(:balance_ids AS bigint[]), CAST(:quantity_after AS bigint[]),
                    CAST(:value_after AS bigint[])) AS t(id, quantity_after, value_after)
        WHERE b.id = t.id
    )
    INSERT INTO inventory_moves (tenant_id, product_id, location_id, kind, quantity, value,
                                 quantity_after, value_after, occurred_on, description,
                                 idempotency_key, journal_entry_id, user_id)
    SELECT :tenant_id, m.product_id, m.location_id, :kind, -m.quantity, -m.cost, m.quantity_after,
           m.value_after, :occurred_on, :description, m.idempotency_key, :journal_entry_id, :user_id
    FROM unnest(CAST(:product_ids AS bigint[]), CAST(:location_ids AS bigint[]),
                CAST(:quantities AS bigint[]), CAST(:costs AS bigint[]),
                CAST(:quantity_after AS bigint[]), CAST(:value_after AS bigint[]),
                CAST(:keys AS text[])) AS m(product_id, location_id, quantity, cost, quantity_after,
                                            value_after, idempotency_key)
    """
)


def take_all(
    taking: list[tuple[StockBalance, int]],
    *,
    kind: MoveKind,
    on: date,
    description: str,
    key_prefix: str,
    user_id: int | None,
    journal_entry_id: int | None = None,
) -> list[Taken]:
    """`take` from several locked balances at once (a sale's basket): the same checks and costs,
    but the balances' new figures and their moves (keyed `<key_prefix>:<product_id>`) are written
    in one statement instead of through the ORM's unit of work, and the balances in the session
    carry the new figures. Products that keep lots are taken one by one through `take`."""
    tenant_id = require_tenant()
    taken: list[Taken] = []
    batch: list[tuple[StockBalance, int, int]] = []

    def key_of(balance: StockBalance) -> str:
        return f"{key_prefix}:{balance.product_id}"

    for balance, quantity in taking:
        if lots.tracks_lots(balance.product_id):
            taken.append(
                take(
                    balance,
                    quantity,
                    kind=kind,
                    on=on,
                    description=description,
                    idempotency_key=key_of(balance),
                    user_id=user_id,
                    journal_entry_id=journal_entry_id,
                )
            )
            continue
        _refuse_unavailable(balance, quantity)
        batch.append((balance, quantity, cost_of(balance, quantity)))
    if not batch:
        return taken
    after = [(b.quantity - q, b.value - c) for b, q, c in batch]
    db.session.execute(
        _TAKE_ALL,
        {
            "tenant_id": tenant_id,
            "kind": kind.value,
            "occurred_on": on,
            "description": description[:200],
            "journal_entry_id": journal_entry_id,
            "user_id": user_id,
            "balance_ids": [b.id for b, _, _ in batch],
            "product_ids": [b.product_id for b, _, _ in batch],
            "location_ids": [b.location_id for b, _, _ in batch],
            "quantities": [q for _, q, _ in batch],
            "costs": [c for _, _, c in batch],
            "quantity_after": [q for q, _ in after],
            "value_after": [v for _, v in after],
            "keys": [key_of(b) for b, _, _ in batch],
        },
    )
    touched = db.session.info.setdefault(STOCK_TOUCHED, set())
    for (balance, quantity, cost), (quantity_after, value_after) in zip(batch, after, strict=True):
        set_committed_value(balance, "quantity", quantity_after)
        set_committed_value(balance, "value", value_after)
        touched.add(balance.product_id)
        taken.append(Taken(balance.product_id, quantity, cost))
    return taken


def available(product_id: int, location_id: int) -> int:
    """Units of a product at a location that may still be sold or reserved: on hand less active
    reservations. A read without a lock: decide under `reserve` or `take`, not on this figure."""
    require_tenant()
    balance = db.session.scalar(
        select(StockBalance).where(
            StockBalance.product_id == product_id, StockBalance.location_id == location_id
        )
    )
    return balance.available if balance is not None else 0


def reserve(product_id: int, location_id: int, quantity: int, *, key: str) -> int:
    """Hold `quantity` units for a Kophub order and return the reservation id. Locks the balance
    (the same lock a gerai sale takes), so a reservation and a sale of the last units cannot both
    succeed. Idempotent by `key`: the same key with the same payload returns the first id, with a
    different payload it is refused. Joins the caller's transaction (no commit)."""
    _require_amount(quantity, "quantity", limit=MAX_QUANTITY)
    _require_key(key)
    if not isinstance(product_id, int) or not isinstance(location_id, int):
        raise NotFound(_l("Barang tidak ditemukan."))
    balance = lock_balances([product_id], location_id).get(product_id)
    repeat = db.session.scalar(select(Reservation).where(Reservation.idempotency_key == key))
    if repeat is not None:
        if (repeat.product_id, repeat.location_id, repeat.quantity) != (product_id, location_id, quantity):
            raise IdempotencyConflict(_l("Transaksi ini sudah dicatat dengan isi yang berbeda."))
        return repeat.id
    have = balance.available if balance is not None else 0
    if balance is None or quantity > have:
        get_product(product_id)  # an unknown product is "not found", not "out of stock"
        raise OutOfStock(
            _l(
                "Stok tidak cukup untuk dipesan: tersedia %(available)s, diminta %(want)s.",
                available=have,
                want=quantity,
            ),
            fields={"quantity": [str(_l("Tersedia %(available)s.", available=have))]},
        )
    balance.reserved += quantity
    reservation = Reservation(
        product_id=product_id,
        location_id=location_id,
        quantity=quantity,
        status=ReservationStatus.ACTIVE.value,
        idempotency_key=key,
    )
    db.session.add(reservation)
    db.session.flush()
    return reservation.id


def release(reservation: int | str) -> Reservation:
    """Give back the units of an active reservation (order cancelled or unpaid in time), by id or
    key. Releasing twice is harmless; a fulfilled reservation cannot be released. Joins the caller's
    transaction (no commit)."""
    held = _locked_reservation(reservation)
    if held.status == ReservationStatus.RELEASED.value:
        return held
    if held.status == ReservationStatus.FULFILLED.value:
        raise InvalidTransition(_l("Pesanan ini sudah dikirim; stoknya tidak dapat dilepas."))
    balance = lock_balances([held.product_id], held.location_id)[held.product_id]
    balance.reserved -= held.quantity
    held.status = ReservationStatus.RELEASED.value
    held.closed_at = func.now()
    db.session.flush()
    return held


def fulfil(
    reservation: int | str,
    *,
    on: date | None = None,
    description: str | None = None,
    user_id: int | None = None,
) -> Taken:
    """Ship an active reservation (by id or key): its units leave stock as a Kophub sale move at
    moving-average cost, and that cost is posted (HPP Sembako against Persediaan). Returns the
    quantity and cost; the caller posts the revenue. Fulfilling twice returns the first result; a
    released reservation cannot be fulfilled. Joins the caller's transaction (no commit)."""
    held = _locked_reservation(reservation)
    if held.status == ReservationStatus.FULFILLED.value:
        move = db.session.scalar(select(StockMove).where(StockMove.id == held.move_id))
        if move is None:
            raise InvariantViolation("fulfilled reservation without its move")
        return Taken(
            held.product_id, held.quantity, -sum(m.value for m in lots.moves_of(move.idempotency_key))
        )
    if held.status == ReservationStatus.RELEASED.value:
        raise InvalidTransition(_l("Pesanan ini sudah dibatalkan; stoknya sudah dilepas."))
    day = on or date.today()
    balance = lock_balances([held.product_id], held.location_id)[held.product_id]
    balance.reserved -= held.quantity
    cost = cost_of(balance, held.quantity)
    entry_id = None
    if cost:
        entry_id = ledger.post(
            NewEntry(
                entry_date=day,
                description=f"HPP penjualan Kophub {held.quantity} unit",
                source_module=SOURCE,
                source_id=held.id,
                idempotency_key=f"inventory:kophub:{held.idempotency_key}",
                lines=[debit(COST_OF_SALES, cost), credit(INVENTORY, cost)],
            ),
            posted_by=user_id,
        ).id
    move_key = f"kophub:{held.idempotency_key}"
    taken = take(
        balance,
        held.quantity,
        kind=MoveKind.KOPHUB,
        on=day,
        description=description or str(_l("Penjualan Kophub")),
        idempotency_key=move_key,
        user_id=user_id,
        journal_entry_id=entry_id,
    )
    db.session.flush()
    move = db.session.scalar(select(StockMove).where(StockMove.idempotency_key == move_key))
    if move is None:
        raise InvariantViolation("fulfilled reservation without its move")
    held.status = ReservationStatus.FULFILLED.value
    held.move_id = move.id
    held.closed_at = func.now()
    db.session.flush()
    return taken


def _locked_reservation(reservation: int | str) -> Reservation:
    stmt = select(Reservation).with_for_update().execution_options(populate_existing=True)
    if isinstance(reservation, int) and not isinstance(reservation, bool):
        stmt = stmt.where(Reservation.id == reservation)
    elif isinstance(reservation, str) and 0 < len(reservation) <= 120:
        stmt = stmt.where(Reservation.idempotency_key == reservation)
    else:
        raise NotFound(_l("Pesanan stok tidak ditemukan."))
    held = db.session.scalar(stmt)
    if held is None:
        raise NotFound(_l("Pesanan stok tidak ditemukan."))
    return held


def receive(
    product_id: int,
    location_id: int,
    quantity: int,
    total_cost: int,
    *,
    idempotency_key: str,
    on_credit: bool = False,
    user_id: int | None = None,
    on: date | None = None,
    note: str | None = None,
    unit: str | None = None,
    lot: str | None = None,
    expires_on: date | None = None,
    commit: bool = True,
) -> StockMove:
    """Goods received at cost: the balance grows in quantity and value (moving average) and
    Persediaan Sembako is debited against Kas, or Utang Usaha when bought on credit. `quantity` is
    in `unit` (a karung, a dus) when given, stored in the product's base unit. A product that
    tracks lots needs the `lot` (batch code) and, when it has one, its `expires_on`. Commits,
    unless `commit` is False: then it joins the caller's transaction (a receipt of many lines)."""
    _require_amount(quantity, "quantity", limit=MAX_QUANTITY)
    _require_amount(total_cost, "total_cost")
    _require_key(idempotency_key)
    if unit is not None:
        quantity = to_base(get_product(product_id), quantity, unit)
    repeat = db.session.scalar(select(StockMove).where(StockMove.idempotency_key == idempotency_key))
    if repeat is not None:
        if (repeat.product_id, repeat.location_id, repeat.quantity, repeat.value) != (
            product_id,
            location_id,
            quantity,
            total_cost,
        ):
            raise IdempotencyConflict(_l("Transaksi ini sudah dicatat dengan isi yang berbeda."))
        return repeat
    product = get_product(product_id)
    day = on or date.today()
    if product.tracks_lots:
        lots.normalise_lot(lot)
    elif lot is not None or expires_on is not None:
        raise lots.InvalidLot(
            _l(
                "%(name)s tidak dicatat per lot; kosongkan nomor lot dan tanggal kedaluwarsa, atau "
                "aktifkan pencatatan lot di kartu stok.",
                name=product.name,
            ),
            fields={"lot": [str(_l("Barang tanpa lot."))]},
        )
    balance = _balance_for_update(product_id, location_id)
    lot_row = (
        lots.lot_for_receipt(product, location_id, lot, expires_on, day) if product.tracks_lots else None
    )
    entry = ledger.post(
        NewEntry(
            entry_date=day,
            description=f"Penerimaan barang {product.name} {quantity} {product.unit}",
            source_module=SOURCE,
            source_id=product.id,
            idempotency_key=f"inventory:receipt:{idempotency_key}",
            lines=[debit(INVENTORY, total_cost), credit(PAYABLE if on_credit else CASH, total_cost)],
        ),
        posted_by=user_id,
    )
    balance.quantity += quantity
    balance.value += total_cost
    if lot_row is not None:
        lot_row.quantity += quantity
    move = StockMove(
        product_id=product_id,
        location_id=location_id,
        kind=MoveKind.RECEIPT.value,
        quantity=quantity,
        value=total_cost,
        quantity_after=balance.quantity,
        value_after=balance.value,
        occurred_on=day,
        description=(note or str(_l("Penerimaan barang")))[:200],
        idempotency_key=idempotency_key,
        journal_entry_id=entry.id,
        user_id=user_id,
        lot_id=lot_row.id if lot_row is not None else None,
    )
    db.session.add(move)
    db.session.flush()
    if commit:
        db.session.commit()
    return move


def transfer(
    product_id: int,
    from_location_id: int,
    to_location_id: int,
    quantity: int,
    *,
    idempotency_key: str,
    user_id: int | None = None,
    on: date | None = None,
    unit: str | None = None,
) -> StockMove:
    """Move stock between locations (gudang → gerai and back) as a pair of moves: out of one at
    moving-average cost, into the other at that same value. Nothing is posted: both sit in
    Persediaan. Units held by Kophub reservations do not move. Idempotent by key."""
    _require_key(idempotency_key)
    if from_location_id == to_location_id:
        raise InvalidInventory(
            _l("Lokasi asal dan tujuan harus berbeda."),
            fields={"to_location_id": [str(_l("Sama dengan asal."))]},
        )
    product = get_product(product_id)
    amount = to_base(product, quantity, unit)
    out_key, in_key = f"{idempotency_key}:keluar", f"{idempotency_key}:masuk"
    repeat = db.session.scalar(select(StockMove).where(StockMove.idempotency_key == in_key))
    if repeat is not None:
        moved = sum(m.quantity for m in lots.moves_of(in_key)) if repeat.lot_id else repeat.quantity
        if (repeat.product_id, repeat.location_id, moved) != (product_id, to_location_id, amount):
            raise IdempotencyConflict(_l("Transaksi ini sudah dicatat dengan isi yang berbeda."))
        return repeat
    # make both rows exist, then lock them in id order (STYLE rule 21)
    for location_id in sorted((from_location_id, to_location_id)):
        _balance_for_update(product_id, location_id)
    rows = {
        b.location_id: b
        for b in db.session.scalars(
            select(StockBalance)
            .where(
                StockBalance.product_id == product_id,
                StockBalance.location_id.in_((from_location_id, to_location_id)),
            )
            .order_by(StockBalance.id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
    }
    source, target = rows[from_location_id], rows[to_location_id]
    day = on or date.today()
    if product.tracks_lots:
        return _transfer_lots(product, source, target, amount, day, out_key, in_key, user_id)
    taken = take(
        source,
        amount,
        kind=MoveKind.TRANSFER,
        on=day,
        description=str(_l("Pindah ke lokasi lain")),
        idempotency_key=out_key,
        user_id=user_id,
    )
    target.quantity += amount
    target.value += taken.cost
    move = StockMove(
        product_id=product_id,
        location_id=to_location_id,
        kind=MoveKind.TRANSFER.value,
        quantity=amount,
        value=taken.cost,
        quantity_after=target.quantity,
        value_after=target.value,
        occurred_on=day,
        description=str(_l("Pindahan dari lokasi lain")),
        idempotency_key=in_key,
        user_id=user_id,
    )
    db.session.add(move)
    db.session.flush()
    db.session.commit()
    return move


def _transfer_lots(
    product: Product,
    source: StockBalance,
    target: StockBalance,
    amount: int,
    day: date,
    out_key: str,
    in_key: str,
    user_id: int | None,
) -> StockMove:
    """A lot-tracked transfer: the lots leave first-expiry-first-out and arrive under the same
    codes and expiry, each part at the value it left with."""
    if amount > source.available:
        raise OutOfStock(
            _l(
                "Stok tidak cukup: tersedia %(available)s, diminta %(want)s.",
                available=source.available,
                want=amount,
            )
        )
    cost = cost_of(source, amount)
    plan = lots.plan_draw(source, product, amount, kind=MoveKind.TRANSFER, on=day)
    parts = lots.write_moves(
        source,
        plan,
        cost,
        sign=-1,
        kind=MoveKind.TRANSFER,
        on=day,
        description=str(_l("Pindah ke lokasi lain")),
        idempotency_key=out_key,
        user_id=user_id,
        journal_entry_id=None,
    )
    arriving = [
        (lots.lot_for_receipt(product, target.location_id, p.lot.code, p.lot.expires_on, day), p.quantity)
        for p in parts
    ]
    lots.write_moves(
        target,
        arriving,
        cost,
        sign=1,
        kind=MoveKind.TRANSFER,
        on=day,
        description=str(_l("Pindahan dari lokasi lain")),
        idempotency_key=in_key,
        user_id=user_id,
        journal_entry_id=None,
    )
    db.session.flush()
    move = db.session.scalar(select(StockMove).where(StockMove.idempotency_key == in_key))
    if move is None:
        raise InvariantViolation("transfer without its move")
    db.session.commit()
    return move


def set_commodity(product_id: int, commodity: str | None, commodity_units: int = 1) -> Product:
    """Link a product to a capped commodity (or unlink it, with None): the same checks as adding
    it, so its selling price must be within the HET in force for the commodity in the
    cooperative's zone today (times the commodity units one unit of it holds)."""
    require_tenant()
    commodity, commodity_units = _require_commodity(commodity, commodity_units)
    product = db.session.scalar(select(Product).where(Product.id == product_id).with_for_update())
    if product is None:
        raise NotFound(_l("Barang tidak ditemukan."))
    check_het(product.price, product.het, commodity=commodity, commodity_units=commodity_units)
    before = {"commodity": product.commodity, "commodity_units": product.commodity_units}
    product.commodity, product.commodity_units = commodity, commodity_units
    audit.record(
        "inventory.commodity_set",
        "inventory_product",
        product.id,
        before=before,
        after={"commodity": commodity, "commodity_units": commodity_units},
    )
    db.session.commit()
    return product


def set_reorder_point(product_id: int, reorder_point: int | None) -> Product:
    """Set (or clear, with None) the on-hand level at which a product is listed for reordering."""
    if reorder_point is not None and (
        not isinstance(reorder_point, int)
        or isinstance(reorder_point, bool)
        or not 0 <= reorder_point <= MAX_QUANTITY
    ):
        raise InvalidInventory(
            _l("Titik pesan ulang harus bilangan bulat 0 sampai 1.000.000."),
            fields={"reorder_point": [str(_l("Tidak sah."))]},
        )
    product = get_product(product_id)
    audit.record(
        "inventory.reorder_point_set",
        "inventory_product",
        product.id,
        before={"reorder_point": product.reorder_point},
        after={"reorder_point": reorder_point},
    )
    product.reorder_point = reorder_point
    db.session.commit()
    return product


@dataclass(frozen=True)
class ReorderAlert:
    product: Product
    on_hand: int
    available: int


def reorder_alerts() -> list[ReorderAlert]:
    """Active products whose stock available for sale (all locations, less Kophub reservations)
    is at or below their reorder point, emptiest first."""
    require_tenant()
    totals = (
        select(
            StockBalance.product_id,
            func.sum(StockBalance.quantity).label("q"),
            func.sum(StockBalance.quantity - StockBalance.reserved).label("a"),
        )
        .group_by(StockBalance.product_id)
        .subquery()
    )
    rows = db.session.execute(
        select(Product, func.coalesce(totals.c.q, 0), func.coalesce(totals.c.a, 0))
        .outerjoin(totals, totals.c.product_id == Product.id)
        .where(Product.active.is_(True), Product.reorder_point.is_not(None))
        .where(func.coalesce(totals.c.a, 0) <= Product.reorder_point)
        .order_by(func.coalesce(totals.c.a, 0), Product.name)
        .limit(500)
    )
    return [ReorderAlert(p, int(q), int(a)) for p, q, a in rows]


def adjust(
    product_id: int,
    location_id: int,
    quantity: int,
    *,
    reason: str,
    idempotency_key: str,
    user_id: int | None = None,
    on: date | None = None,
    lot: str | None = None,
    expires_on: date | None = None,
) -> StockMove:
    """Correct on-hand by `quantity` (negative: lost or damaged; positive: found) at the moving
    average cost; the value difference is posted between Persediaan and HPP Sembako. For a product
    that tracks lots, a loss comes out of the lot named (or first-expiry-first-out, expired lots
    first) and units found go into the lot named (new lots take `expires_on`)."""
    if (
        not isinstance(quantity, int)
        or isinstance(quantity, bool)
        or quantity == 0
        or abs(quantity) > MAX_QUANTITY
    ):
        raise InvalidInventory(
            _l("Jumlah penyesuaian harus bilangan bulat bukan nol."),
            fields={"quantity": [str(_l("Bukan nol."))]},
        )
    if not isinstance(reason, str) or not reason.strip():
        raise InvalidInventory(
            _l("Alasan penyesuaian wajib diisi."), fields={"reason": [str(_l("Wajib diisi."))]}
        )
    _require_key(idempotency_key)
    repeat = db.session.scalar(select(StockMove).where(StockMove.idempotency_key == idempotency_key))
    if repeat is not None:
        return repeat
    product = get_product(product_id)
    day = on or date.today()
    if quantity > 0 and product.tracks_lots:
        lots.normalise_lot(lot)
    elif not product.tracks_lots and (lot is not None or expires_on is not None):
        raise lots.InvalidLot(
            _l("Barang ini tidak dicatat per lot; kosongkan nomor lot."),
            fields={"lot": [str(_l("Barang tanpa lot."))]},
        )
    balance = _balance_for_update(product_id, location_id)
    if quantity < 0:
        if -quantity > balance.quantity:
            raise OutOfStock(
                _l("Stok hanya %(n)s; tidak dapat dikurangi %(q)s.", n=balance.quantity, q=-quantity)
            )
        taken = take(
            balance,
            -quantity,
            kind=MoveKind.ADJUSTMENT,
            on=day,
            description=reason.strip(),
            idempotency_key=idempotency_key,
            user_id=user_id,
            lot=lot,
        )
        value = -taken.cost
    elif product.tracks_lots:
        found = lots.lot_for_receipt(product, location_id, lot, expires_on, day, receiving=False)
        value = (balance.value // balance.quantity if balance.quantity else 0) * quantity
        lots.write_moves(
            balance,
            [(found, quantity)],
            value,
            sign=1,
            kind=MoveKind.ADJUSTMENT,
            on=day,
            description=reason.strip(),
            idempotency_key=idempotency_key,
            user_id=user_id,
            journal_entry_id=None,
        )
    else:
        unit_cost = balance.value // balance.quantity if balance.quantity else 0
        value = unit_cost * quantity
        balance.quantity += quantity
        balance.value += value
        db.session.add(
            StockMove(
                product_id=product_id,
                location_id=location_id,
                kind=MoveKind.ADJUSTMENT.value,
                quantity=quantity,
                value=value,
                quantity_after=balance.quantity,
                value_after=balance.value,
                occurred_on=day,
                description=reason.strip()[:200],
                idempotency_key=idempotency_key,
                user_id=user_id,
            )
        )
    db.session.flush()
    move = db.session.scalar(select(StockMove).where(StockMove.idempotency_key == idempotency_key))
    assert move is not None
    if value:
        lines = (
            [debit(COST_OF_SALES, -value), credit(INVENTORY, -value)]
            if value < 0
            else [debit(INVENTORY, value), credit(COST_OF_SALES, value)]
        )
        ledger.post(
            NewEntry(
                entry_date=day,
                description=f"Penyesuaian stok: {reason.strip()}"[:200],
                source_module=SOURCE,
                source_id=move.id,
                idempotency_key=f"inventory:adjustment:{idempotency_key}",
                lines=lines,
            ),
            posted_by=user_id,
        )
    db.session.commit()
    return move


def stock_card(product_id: int, limit: int = 200) -> list[StockMove]:
    """The product's moves, oldest first (the last `limit`)."""
    require_tenant()
    rows = db.session.scalars(
        select(StockMove).where(StockMove.product_id == product_id).order_by(StockMove.id.desc()).limit(limit)
    )
    return list(reversed(list(rows)))


def stock_value() -> int:
    require_tenant()
    return int(db.session.scalar(select(func.coalesce(func.sum(StockBalance.value), 0))) or 0)


def balances_match_moves() -> bool:
    """Every balance equals the sum of its moves, in quantity and in value."""
    require_tenant()
    sums = select(
        StockMove.product_id,
        StockMove.location_id,
        func.sum(StockMove.quantity).label("q"),
        func.sum(StockMove.value).label("v"),
    ).group_by(StockMove.product_id, StockMove.location_id)
    by_key = {(p, loc): (int(q), int(v)) for p, loc, q, v in db.session.execute(sums)}
    for balance in db.session.scalars(select(StockBalance)):
        if by_key.pop((balance.product_id, balance.location_id), (0, 0)) != (balance.quantity, balance.value):
            return False
    return not by_key


def _balance_for_update(product_id: int, location_id: int) -> StockBalance:
    tenant_id = require_tenant()
    if db.session.scalar(select(Location.id).where(Location.id == location_id)) is None:
        raise NotFound(_l("Lokasi tidak ditemukan."))
    db.session.execute(
        pg_insert(StockBalance)
        .values(tenant_id=tenant_id, product_id=product_id, location_id=location_id, quantity=0, value=0)
        .on_conflict_do_nothing(index_elements=["tenant_id", "product_id", "location_id"])
    )
    balance = db.session.scalar(
        select(StockBalance)
        .where(StockBalance.product_id == product_id, StockBalance.location_id == location_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    assert balance is not None
    return balance


def _require_key(key: Any) -> None:
    if not isinstance(key, str) or not 0 < len(key) <= 100:
        raise InvalidInventory(_l("Kunci transaksi tidak sah; muat ulang formulir."))


def on_hand_by_product() -> dict[int, int]:
    """On hand per product across locations."""
    require_tenant()
    rows = db.session.execute(
        select(StockBalance.product_id, func.sum(StockBalance.quantity)).group_by(StockBalance.product_id)
    )
    return {int(p): int(q) for p, q in rows}


def ensure_default_locations() -> None:
    """A gerai and a gudang for a cooperative that has none yet."""
    require_tenant()
    have = {loc.kind for loc in locations()}
    if LocationKind.GERAI.value not in have:
        db.session.add(Location(code="GERAI", name=str(_l("Gerai")), kind=LocationKind.GERAI.value))
    if LocationKind.GUDANG.value not in have:
        db.session.add(Location(code="GUDANG", name=str(_l("Gudang")), kind=LocationKind.GUDANG.value))
    db.session.commit()


# --- subsidised goods quotas -------------------------------------------------------------------

FERTILISERS = frozenset(
    {
        Commodity.PUPUK_UREA,
        Commodity.PUPUK_NPK,
        Commodity.PUPUK_NPK_KAKAO,
        Commodity.PUPUK_ZA,
        Commodity.PUPUK_ORGANIK,
    }
)
RDKK_NAMES = {
    "urea": Commodity.PUPUK_UREA,
    "npk": Commodity.PUPUK_NPK,
    "npk kakao": Commodity.PUPUK_NPK_KAKAO,
    "npk_kakao": Commodity.PUPUK_NPK_KAKAO,
    "za": Commodity.PUPUK_ZA,
    "organik": Commodity.PUPUK_ORGANIK,
    **{c.value: c for c in FERTILISERS},
}
MAX_RDKK_ROWS = 20_000
MAX_QUOTA = 1_000_000


def masked(holder: str) -> str:
    """A NIK or KK as shown to staff (UU PDP): the last four digits only."""
    return f"•••• {holder[-4:]}"


def _holder(raw: Any, field: str = "holder") -> str:
    digits = re.sub(r"[\s.\-/]", "", raw) if isinstance(raw, str) else ""
    if not re.fullmatch(r"[0-9]{16}", digits):
        raise InvalidInventory(
            _l("NIK atau nomor KK harus 16 angka."), fields={field: [str(_l("Harus 16 angka."))]}
        )
    return digits


def _quota_commodity(product: Product) -> Commodity | None:
    """The commodity of `product` if its sale counts against a quota: subsidised fertiliser
    always (the RDKK list), LPG 3 kg when the cooperative has set a per-household limit."""
    if product.commodity is None:
        return None
    commodity = Commodity(product.commodity)
    if commodity in FERTILISERS:
        return commodity
    if commodity == Commodity.LPG_3KG and lpg_quota() is not None:
        return commodity
    return None


def needs_quota(product: Product) -> bool:
    """Whether selling `product` needs the buyer's NIK (fertiliser) or nomor KK (LPG 3 kg)."""
    return _quota_commodity(product) is not None


def lpg_quota() -> int | None:
    """Tabung of LPG 3 kg a household (nomor KK) may buy per month here, if limited."""
    require_tenant()
    return db.session.scalar(
        select(QuotaRule.per_month).where(QuotaRule.commodity == Commodity.LPG_3KG.value)
    )


def set_lpg_quota(per_month: int, *, user_id: int | None = None) -> None:
    """Set the per-household monthly limit of LPG 3 kg; months already begun keep their limit."""
    tenant_id = require_tenant()
    if not isinstance(per_month, int) or isinstance(per_month, bool) or not 0 < per_month <= 1000:
        raise InvalidInventory(
            _l("Batas LPG harus 1 sampai 1.000 tabung per KK per bulan."),
            fields={"per_month": [str(_l("1 sampai 1.000."))]},
        )
    db.session.execute(
        pg_insert(QuotaRule)
        .values(tenant_id=tenant_id, commodity=Commodity.LPG_3KG.value, per_month=per_month)
        .on_conflict_do_update(index_elements=["tenant_id", "commodity"], set_={"per_month": per_month})
    )
    audit.record("inventory.lpg_quota_set", "inventory_quota_rule", None, after={"per_month": per_month})
    db.session.commit()


def import_rdkk(rows: list[dict[str, str]], valid_from: date, valid_to: date) -> int:
    """Load a season's e-RDKK allocation (NIK or member number, commodity, kg) for the period, all
    rows or none: every bad row is reported with its line. A farmer already listed for the season
    gets the new allocation, never below what they have already bought."""
    from erp.membership import service as membership
    from erp.membership.service import ImportProblem, ImportRejected

    require_tenant()
    if not isinstance(valid_from, date) or not isinstance(valid_to, date) or valid_to < valid_from:
        raise InvalidInventory(
            _l("Masa berlaku musim tidak sah: tanggal akhir harus sesudah tanggal awal."),
            fields={"valid_to": [str(_l("Sesudah tanggal awal."))]},
        )
    if valid_to - valid_from > timedelta(days=366):
        raise InvalidInventory(
            _l("Satu musim RDKK paling lama satu tahun."), fields={"valid_to": [str(_l("Terlalu lama."))]}
        )
    if not rows:
        raise ImportRejected([ImportProblem(0, "file", str(_l("Berkas kosong.")))])
    if len(rows) > MAX_RDKK_ROWS:
        raise ImportRejected(
            [ImportProblem(0, "file", str(_l("Paling banyak %(n)s baris per impor.", n=MAX_RDKK_ROWS)))]
        )
    problems: list[ImportProblem] = []
    wanted: dict[tuple[str, str], tuple[int, int]] = {}  # (commodity, NIK) → (kg, line)
    for line, row in enumerate(rows, start=2):
        who = (row.get("nik") or row.get("anggota") or "").strip()
        holder = re.sub(r"[\s.\-/]", "", who)
        if not re.fullmatch(r"[0-9]{16}", holder):
            member = membership.member_by_number(who) if who else None
            if member is None:
                problems.append(
                    ImportProblem(
                        line, "nik", str(_l("Bukan NIK 16 angka atau nomor anggota yang terdaftar."))
                    )
                )
                continue
            holder = member.nik
        commodity = RDKK_NAMES.get((row.get("komoditas") or "").strip().lower())
        if commodity is None:
            problems.append(
                ImportProblem(
                    line, "komoditas", str(_l("Komoditas harus urea, npk, npk kakao, za atau organik."))
                )
            )
            continue
        kg_text = (row.get("kg") or "").strip().replace(".", "")
        if not kg_text.isdigit() or not 0 < int(kg_text) <= MAX_QUOTA:
            problems.append(ImportProblem(line, "kg", str(_l("Jumlah kg harus bilangan bulat positif."))))
            continue
        if (commodity.value, holder) in wanted:
            problems.append(
                ImportProblem(line, "nik", str(_l("Petani dan komoditas ini sudah ada di baris lain.")))
            )
            continue
        wanted[(commodity.value, holder)] = (int(kg_text), line)
    if problems:
        raise ImportRejected(problems)
    existing = {
        (q.commodity, q.holder): q
        for q in db.session.scalars(
            select(Quota)
            .where(Quota.source == QuotaSource.RDKK.value, Quota.valid_from == valid_from)
            .with_for_update()
        )
    }
    for (commodity_value, holder), (kg, line) in wanted.items():
        quota = existing.get((commodity_value, holder))
        if quota is None:
            db.session.add(
                Quota(
                    commodity=commodity_value,
                    holder=holder,
                    source=QuotaSource.RDKK.value,
                    valid_from=valid_from,
                    valid_to=valid_to,
                    allowed=kg,
                    used=0,
                )
            )
        elif kg < quota.used:
            problems.append(
                ImportProblem(
                    line,
                    "kg",
                    str(_l("Petani %(who)s sudah menebus %(used)s kg.", who=masked(holder), used=quota.used)),
                )
            )
        else:
            quota.allowed, quota.valid_to = kg, valid_to
    if problems:
        raise ImportRejected(problems)
    audit.record(
        "inventory.rdkk_imported",
        "inventory_quota",
        None,
        after={"rows": len(wanted), "from": valid_from.isoformat(), "to": valid_to.isoformat()},
    )
    db.session.commit()
    return len(wanted)


def read_rdkk_csv(content: bytes) -> list[dict[str, str]]:
    """Rows of an RDKK CSV (UTF-8, comma or semicolon) by lower-case column name; the columns are
    `nik` (or `anggota`, a member number), `komoditas` and `kg`."""
    from erp.membership.service import ImportProblem, ImportRejected

    try:
        text_content = content.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise ImportRejected([ImportProblem(0, "file", str(_l("Berkas CSV harus UTF-8.")))]) from err
    sample = text_content[:2000]
    delimiter = ";" if sample.count(";") > sample.count(",") else ","
    rows = list(csv.reader(io.StringIO(text_content), delimiter=delimiter))
    if not rows:
        raise ImportRejected([ImportProblem(0, "file", str(_l("Berkas kosong.")))])
    header = [h.strip().lower() for h in rows[0]]
    missing = [c for c in ("komoditas", "kg") if c not in header]
    if "nik" not in header and "anggota" not in header:
        missing.insert(0, "nik")
    if missing:
        raise ImportRejected(
            [ImportProblem(1, "header", str(_l("Kolom tidak ada: %(cols)s", cols=", ".join(missing))))]
        )
    return [dict(zip(header, row, strict=False)) for row in rows[1:] if any(cell.strip() for cell in row)]


def quotas(limit: int = 500) -> list[Quota]:
    """The quotas on record, newest period first."""
    require_tenant()
    return list(
        db.session.scalars(
            select(Quota).order_by(Quota.valid_from.desc(), Quota.commodity, Quota.holder).limit(limit)
        )
    )


def _month(on: date) -> tuple[date, date]:
    return on.replace(day=1), on.replace(day=calendar.monthrange(on.year, on.month)[1])


def _quota_row(commodity: Commodity, holder: str, on: date, *, lock: bool) -> Quota | None:
    stmt = select(Quota).where(
        Quota.commodity == commodity.value,
        Quota.holder == holder,
        Quota.valid_from <= on,
        Quota.valid_to >= on,
    )
    if lock:
        stmt = stmt.with_for_update().execution_options(populate_existing=True)
    return db.session.scalar(stmt.order_by(Quota.valid_from.desc()))


def _lpg_month_quota(holder: str, on: date) -> Quota | None:
    """The household's quota row for the month of `on`, made from the rule on first purchase."""
    tenant_id = require_tenant()
    per_month = lpg_quota()
    if per_month is None:
        return None
    first, last = _month(on)
    db.session.execute(
        pg_insert(Quota)
        .values(
            tenant_id=tenant_id,
            commodity=Commodity.LPG_3KG.value,
            holder=holder,
            source=QuotaSource.LPG.value,
            valid_from=first,
            valid_to=last,
            allowed=per_month,
            used=0,
        )
        .on_conflict_do_nothing(index_elements=["tenant_id", "commodity", "holder", "valid_from"])
    )
    return _quota_row(Commodity.LPG_3KG, holder, on, lock=True)


def check_quota(product: Product, holder: Any, quantity: int, *, on: date | None = None) -> int | None:
    """What the buyer may still take of `product`'s commodity after buying `quantity` units of it
    (in the commodity's unit: kg, tabung), or None when the product has no quota. Refuses, naming
    what remains, a buyer not on the RDKK list, a missing NIK/KK, or a purchase over the quota.
    Reads without a lock: decide with `consume_quota` in the sale's transaction."""
    return _quota(product, holder, quantity, on or date.today(), key=None)


def consume_quota(
    product: Product, holder: Any, quantity: int, *, key: str, on: date | None = None
) -> int | None:
    """Count `quantity` units of `product` against the buyer's quota under a row lock, in the
    caller's transaction (no commit), and return what remains (None: no quota applies). The same
    key counts once. Refused like `check_quota`, writing nothing."""
    _require_key(key)
    return _quota(product, holder, quantity, on or date.today(), key=key)


def give_back_quota(product: Product, quantity: int, *, use_key: str, key: str) -> int | None:
    """Give back to the buyer's quota `quantity` units of the purchase counted under `use_key`
    (a voided or returned subsidised sale), under the quota's row lock, in the caller's transaction.
    Never more than that purchase took; the same `key` gives back once. Returns the units given
    back (None: that purchase was counted against no quota)."""
    _require_key(key)
    _require_amount(quantity, "quantity", limit=MAX_QUANTITY)
    use = db.session.scalar(select(QuotaUse).where(QuotaUse.idempotency_key == use_key))
    if use is None:
        return None
    quota = db.session.scalar(select(Quota).where(Quota.id == use.quota_id).with_for_update())
    if quota is None:
        raise InvariantViolation("a quota use without its quota")
    repeat = db.session.scalar(select(QuotaUse).where(QuotaUse.idempotency_key == key))
    if repeat is not None:
        return -repeat.quantity
    given = -int(
        db.session.scalar(
            select(func.coalesce(func.sum(QuotaUse.quantity), 0)).where(QuotaUse.reverses_id == use.id)
        )
        or 0
    )
    amount = min(quantity * product.commodity_units, use.quantity - given)
    if amount <= 0:
        return 0
    quota.used -= amount
    db.session.add(QuotaUse(quota_id=quota.id, quantity=-amount, reverses_id=use.id, idempotency_key=key))
    db.session.flush()
    return amount


def _quota(product: Product, holder_raw: Any, quantity: int, on: date, *, key: str | None) -> int | None:
    commodity = _quota_commodity(product)
    if commodity is None:
        return None
    _require_amount(quantity, "quantity", limit=MAX_QUANTITY)
    what = COMMODITY_LABELS[commodity]
    unit = COMMODITY_UNITS[commodity]
    if holder_raw is None or (isinstance(holder_raw, str) and not holder_raw.strip()):
        message = (
            _l("Nomor KK pembeli wajib diisi untuk %(what)s.", what=what)
            if commodity == Commodity.LPG_3KG
            else _l("NIK petani wajib diisi untuk %(what)s.", what=what)
        )
        raise QuotaExceeded(message, fields={"holder": [str(_l("Wajib diisi."))]})
    holder = _holder(holder_raw)
    amount = quantity * product.commodity_units
    if commodity == Commodity.LPG_3KG:
        quota = (
            _lpg_month_quota(holder, on) if key is not None else _quota_row(commodity, holder, on, lock=False)
        )
        if quota is None:  # a household that has not bought this month yet
            per_month = lpg_quota() or 0
            left = per_month
        else:
            left = quota.allowed - quota.used
    else:
        quota = _quota_row(commodity, holder, on, lock=key is not None)
        if quota is None:
            raise QuotaExceeded(
                _l(
                    "Petani dengan NIK %(who)s tidak terdaftar di RDKK untuk %(what)s pada musim ini.",
                    who=masked(holder),
                    what=what,
                ),
                fields={"holder": [str(_l("Tidak terdaftar di RDKK."))]},
            )
        left = quota.allowed - quota.used
    if key is not None and quota is not None:
        repeat = db.session.scalar(select(QuotaUse).where(QuotaUse.idempotency_key == key))
        if repeat is not None:
            if (repeat.quota_id, repeat.quantity) != (quota.id, amount):
                raise IdempotencyConflict(_l("Transaksi ini sudah dicatat dengan isi yang berbeda."))
            return left
    if amount > left:
        raise QuotaExceeded(
            _l(
                "Kuota %(what)s untuk %(who)s tersisa %(left)s %(unit)s; diminta %(want)s %(unit)s.",
                what=what,
                who=masked(holder),
                left=left,
                unit=unit,
                want=amount,
            ),
            fields={"quantity": [str(_l("Sisa kuota %(left)s %(unit)s.", left=left, unit=unit))]},
        )
    if key is None or quota is None:
        return left - amount
    quota.used += amount
    db.session.add(QuotaUse(quota_id=quota.id, quantity=amount, idempotency_key=key))
    db.session.flush()
    return left - amount
