"""The edges of listings: the staff form (three tier rows, a number per certificate) and the
buyer's search form (query string)."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from marshmallow import ValidationError, fields, validate, validates_schema

from core.schemas import FormSchema, Trimmed
from erp.ledger.schemas import Rupiah
from marketplace.listings.models import CATEGORIES, CertificationKind
from marketplace.listings.service import MAX_QUANTITY, MAX_TIERS, ListingInput
from marketplace.search.port import MAX_PAGE, SORTS

_POSITIVE = validate.Range(min=1, error=_l("Harus lebih dari nol."))
_QUANTITY = validate.Range(min=1, max=MAX_QUANTITY, error=_l("Jumlah harus 1 sampai 1.000.000."))
TIER_ROWS = 3


class ListingFormSchema(FormSchema):
    product_id = fields.Integer(required=True)
    location_id = fields.Integer(required=True)
    title = Trimmed(required=True, validate=validate.Length(max=120))
    description = Trimmed(required=True, validate=validate.Length(max=4000))
    category = fields.String(required=True, validate=validate.OneOf(list(CATEGORIES)))
    grade = Trimmed(load_default=None, validate=validate.Length(max=40))
    price = Rupiah(required=True, validate=_POSITIVE)
    min_order = fields.Integer(required=True, validate=_QUANTITY)
    quantity_cap = fields.Integer(load_default=None, validate=_QUANTITY)
    harvested_on = fields.Date(load_default=None)
    tier_quantity_1 = fields.Integer(load_default=None, validate=_QUANTITY)
    tier_price_1 = Rupiah(load_default=None, validate=_POSITIVE)
    tier_quantity_2 = fields.Integer(load_default=None, validate=_QUANTITY)
    tier_price_2 = Rupiah(load_default=None, validate=_POSITIVE)
    tier_quantity_3 = fields.Integer(load_default=None, validate=_QUANTITY)
    tier_price_3 = Rupiah(load_default=None, validate=_POSITIVE)
    cert_halal = Trimmed(load_default=None, validate=validate.Length(max=60))
    cert_organik = Trimmed(load_default=None, validate=validate.Length(max=60))
    cert_sni = Trimmed(load_default=None, validate=validate.Length(max=60))

    @validates_schema
    def _tiers_complete(self, data: dict[str, Any], **_: Any) -> None:
        for n in range(1, TIER_ROWS + 1):
            quantity, price = data.get(f"tier_quantity_{n}"), data.get(f"tier_price_{n}")
            if (quantity is None) != (price is None):
                missing = f"tier_price_{n}" if price is None else f"tier_quantity_{n}"
                raise ValidationError(_l("Isi jumlah dan harga grosir bersama-sama."), missing)


def to_input(data: dict[str, Any]) -> ListingInput:
    tiers = tuple(
        (data[f"tier_quantity_{n}"], data[f"tier_price_{n}"])
        for n in range(1, min(TIER_ROWS, MAX_TIERS) + 1)
        if data.get(f"tier_quantity_{n}") is not None
    )
    certifications = tuple(
        (kind.value, data[f"cert_{kind.value}"])
        for kind in CertificationKind
        if data.get(f"cert_{kind.value}")
    )
    return ListingInput(
        product_id=data["product_id"],
        location_id=data["location_id"],
        title=data["title"],
        description=data["description"],
        category=data["category"],
        price=data["price"],
        min_order=data["min_order"],
        grade=data.get("grade"),
        quantity_cap=data.get("quantity_cap"),
        harvested_on=data.get("harvested_on"),
        tiers=tiers,
        certifications=certifications,
    )


class PhotoSchema(FormSchema):
    photo_id = fields.Integer(required=True)


class StatusSchema(FormSchema):
    action = fields.String(required=True, validate=validate.OneOf(["pause", "resume", "unpublish"]))


class SearchFormSchema(FormSchema):
    """The buyer's search, from the query string (short Indonesian parameter names)."""

    q = fields.String(load_default="", validate=validate.Length(max=200))
    kategori = fields.String(load_default=None, validate=validate.OneOf(list(CATEGORIES)))
    provinsi = fields.String(load_default=None, validate=validate.Regexp(r"^[0-9]{2}$"))
    kabupaten = fields.String(load_default=None, validate=validate.Regexp(r"^[0-9]{2}\.[0-9]{2}$"))
    harga_min = Rupiah(load_default=None)
    harga_maks = Rupiah(load_default=None)
    sertifikasi = fields.String(
        load_default=None, validate=validate.OneOf([k.value for k in CertificationKind])
    )
    stok = fields.Boolean(load_default=False)
    urut = fields.String(load_default="relevance", validate=validate.OneOf(SORTS))
    hal = fields.Integer(
        load_default=1, validate=validate.Range(min=1, max=MAX_PAGE, error=_l("Halaman 1 sampai 50."))
    )

    @validates_schema
    def _price_range(self, data: dict[str, Any], **_: Any) -> None:
        low, high = data.get("harga_min"), data.get("harga_maks")
        if low is not None and high is not None and low > high:
            raise ValidationError(_l("Harga terendah melebihi harga tertinggi."), "harga_maks")
