"""The edges of inventory: a new product (code, HET cap), a goods receipt, products and moves out."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from marshmallow import Schema, fields, validate

from core.schemas import FormSchema, Trimmed
from erp.ledger.schemas import Rupiah

_POSITIVE = validate.Range(min=1, error=_l("Harus lebih dari nol."))
_KEY = validate.Regexp(r"^[A-Za-z0-9_\-]{8,64}$", error=_l("Formulir tidak sah; muat ulang halaman."))


class ProductSchema(FormSchema):
    code = Trimmed(required=True, validate=validate.Length(max=20, error=_l("Paling banyak 20 karakter.")))
    name = Trimmed(required=True, validate=validate.Length(max=120, error=_l("Paling banyak 120 karakter.")))
    category = Trimmed(
        required=True, validate=validate.Length(max=40, error=_l("Paling banyak 40 karakter."))
    )
    unit = Trimmed(required=True, validate=validate.Length(max=20, error=_l("Paling banyak 20 karakter.")))
    price = Rupiah(required=True, validate=_POSITIVE)
    het = Rupiah(load_default=None, validate=_POSITIVE)
    commodity = Trimmed(load_default=None, validate=validate.Length(max=20))
    commodity_units = fields.Integer(
        load_default=1,
        validate=validate.Range(min=1, max=1_000_000, error=_l("Isi harus 1 sampai 1.000.000.")),
    )
    tracks_lots = fields.Boolean(load_default=False)
    kena_ppn = fields.Boolean(load_default=False)


class LotTrackingSchema(FormSchema):
    tracks_lots = fields.Boolean(load_default=False)


class ProductTaxSchema(FormSchema):
    kena_ppn = fields.Boolean(load_default=False)


class HetCapSchema(FormSchema):
    commodity = Trimmed(required=True, validate=validate.Length(max=20))
    zone = Trimmed(required=True, validate=validate.Length(max=8))
    price = Rupiah(required=True, validate=_POSITIVE)
    effective_from = fields.Date(required=True)
    source = Trimmed(
        required=True, validate=validate.Length(max=200, error=_l("Paling banyak 200 karakter."))
    )


class ReceiptSchema(FormSchema):
    product_id = fields.Integer(required=True, strict=False)
    quantity = fields.Integer(
        required=True,
        validate=validate.Range(min=1, max=1_000_000, error=_l("Jumlah harus 1 sampai 1.000.000.")),
    )
    total_cost = Rupiah(required=True, validate=_POSITIVE)
    on_credit = fields.Boolean(load_default=False)
    unit = Trimmed(load_default=None, validate=validate.Length(max=20))
    lot = Trimmed(load_default=None, validate=validate.Length(max=40, error=_l("Paling banyak 40 karakter.")))
    expires_on = fields.Date(load_default=None, allow_none=True)
    idempotency_key = fields.String(required=True, validate=_KEY)


class UnitSchema(FormSchema):
    name = Trimmed(required=True, validate=validate.Length(max=20, error=_l("Paling banyak 20 karakter.")))
    factor = fields.Integer(
        required=True,
        validate=validate.Range(min=2, max=1_000_000, error=_l("Isi satuan harus 2 sampai 1.000.000.")),
    )
    code = Trimmed(
        load_default=None, validate=validate.Length(max=20, error=_l("Paling banyak 20 karakter."))
    )


class ProductOutSchema(Schema):
    id = fields.Integer()
    code = fields.String()
    name = fields.String()
    category = fields.String()
    unit = fields.String()
    price = fields.Integer()
    het = fields.Integer(allow_none=True)
    kena_ppn = fields.Boolean()


class MoveOutSchema(Schema):
    id = fields.Integer()
    kind = fields.String()
    quantity = fields.Integer()
    value = fields.Integer()
    quantity_after = fields.Integer()
    value_after = fields.Integer()
    occurred_on = fields.Date()
    description = fields.String()
    lot_id = fields.Integer(allow_none=True)


class RdkkSchema(FormSchema):
    valid_from = fields.Date(required=True)
    valid_to = fields.Date(required=True)


class LpgQuotaSchema(FormSchema):
    per_month = fields.Integer(
        required=True,
        validate=validate.Range(min=1, max=1000, error=_l("Batas harus 1 sampai 1.000 tabung.")),
    )


class TransferSchema(FormSchema):
    product_id = fields.Integer(required=True, strict=False)
    from_location_id = fields.Integer(required=True, strict=False)
    to_location_id = fields.Integer(required=True, strict=False)
    quantity = fields.Integer(
        required=True,
        validate=validate.Range(min=1, max=1_000_000, error=_l("Jumlah harus 1 sampai 1.000.000.")),
    )
    unit = Trimmed(load_default=None, validate=validate.Length(max=20))
    idempotency_key = fields.String(required=True, validate=_KEY)


class CommoditySchema(FormSchema):
    commodity = Trimmed(load_default=None, validate=validate.Length(max=20))
    commodity_units = fields.Integer(
        load_default=1,
        validate=validate.Range(min=1, max=1_000_000, error=_l("Isi harus 1 sampai 1.000.000.")),
    )


class ReorderSchema(FormSchema):
    reorder_point = fields.Integer(
        load_default=None,
        allow_none=True,
        validate=validate.Range(min=0, max=1_000_000, error=_l("Harus 0 sampai 1.000.000.")),
    )


class ExpiringSchema(FormSchema):
    days = fields.Integer(
        load_default=30,
        data_key="hari",
        validate=validate.Range(min=0, max=366, error=_l("Jumlah hari harus 0 sampai 366.")),
    )


class StartOpnameSchema(FormSchema):
    location_id = fields.Integer(required=True, strict=False)
    note = Trimmed(
        load_default=None, validate=validate.Length(max=200, error=_l("Paling banyak 200 karakter."))
    )


class OpnameLinesSchema(FormSchema):
    lines = fields.List(fields.Integer(strict=False), required=True, validate=validate.Length(max=200))


def counts_schema(line_ids: list[int]) -> Schema:
    """The counted quantity of each line on the page (`c<line id>`); an empty box is no count."""
    quantity = validate.Range(min=0, max=1_000_000, error=_l("Jumlah hitungan harus 0 sampai 1.000.000."))
    return FormSchema.from_dict(
        {f"c{i}": fields.Integer(load_default=None, allow_none=True, validate=quantity) for i in line_ids},
        name="CountsSchema",
    )()


class OpnameSearchSchema(FormSchema):
    q = Trimmed(load_default=None, validate=validate.Length(max=60))
    page = fields.Integer(load_default=1, data_key="halaman", validate=validate.Range(min=1, max=10_000))


class ProductPhotoSchema(FormSchema):
    """The photo form of a product: the file comes in `photo`; `hapus` removes the photo instead."""

    hapus = fields.Boolean(load_default=False)
