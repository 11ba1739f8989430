"""JSON API of the point of sale: a checkout in the kasir's open shift (the idempotency key
applies it once), a sale, and the counter's product search."""

from __future__ import annotations

from typing import Any

from flask import request
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from marshmallow import Schema, fields, validate

from core.api import bp, documented
from core.permissions import has_permission, requires
from core.schemas import load_json
from erp.inventory import service as inventory
from erp.membership.api import path_id, require_cooperative
from erp.pos import service
from erp.pos.schemas import SaleOutSchema
from erp.pos.service import CartLine, Tender


class SaleLineInSchema(Schema):
    product_id = fields.Integer(required=True, strict=True)
    quantity = fields.Integer(
        required=True,
        strict=True,
        validate=validate.Range(min=1, max=10_000, error=_l("Jumlah harus 1 sampai 10.000.")),
    )
    price = fields.Integer(load_default=None, strict=True)
    discount = fields.Integer(load_default=0, strict=True, validate=validate.Range(min=0))


class TenderSchema(Schema):
    method = fields.String(
        required=True,
        validate=validate.OneOf(
            ["tunai", "qris", "transfer", "kredit"], error=_l("Cara bayar tidak dikenal.")
        ),
    )
    amount = fields.Integer(load_default=None, strict=True)
    reference = fields.String(load_default=None, validate=validate.Length(max=60))


class CheckoutSchema(Schema):
    lines = fields.List(fields.Nested(SaleLineInSchema), required=True, validate=validate.Length(max=100))
    payment_method = fields.String(load_default=None)
    paid = fields.Integer(load_default=None, strict=True)
    reference = fields.String(load_default=None)
    payments = fields.List(fields.Nested(TenderSchema), load_default=None, validate=validate.Length(max=4))
    member_number = fields.String(load_default=None)
    quota_nik = fields.String(load_default=None, validate=validate.Length(max=24))
    quota_kk = fields.String(load_default=None, validate=validate.Length(max=24))
    basket_discount = fields.Integer(load_default=0, strict=True, validate=validate.Range(min=0))
    idempotency_key = fields.String(
        required=True,
        validate=validate.Regexp(r"^[A-Za-z0-9_\-]{8,64}$", error=_l("Kunci transaksi tidak sah.")),
    )


class ProductHitSchema(Schema):
    id = fields.Integer()
    code = fields.String()
    name = fields.String()
    unit = fields.String()
    price = fields.Integer()
    het = fields.Integer(allow_none=True)


@bp.post("/pos/sales")
@documented("Check out a basket at the gerai", body=CheckoutSchema, response=SaleOutSchema, tag="pos")
@requires("pos.sell")
def pos_checkout() -> Any:
    require_cooperative()
    data = load_json(CheckoutSchema())
    payments = (
        [Tender(p["method"], p["amount"], p["reference"]) for p in data["payments"]]
        if data["payments"] is not None
        else None
    )
    sale = service.checkout(
        [
            CartLine(line["product_id"], line["quantity"], line["price"], line["discount"])
            for line in data["lines"]
        ],
        location_id=inventory.default_location().id,
        payment_method=data["payment_method"],
        paid=data["paid"],
        reference=data["reference"],
        payments=payments,
        member_number=data["member_number"],
        quota_nik=data["quota_nik"],
        quota_kk=data["quota_kk"],
        basket_discount=data["basket_discount"],
        may_discount=has_permission("pos.discount"),
        idempotency_key=data["idempotency_key"],
        kasir_id=current_user.id,
    )
    return SaleOutSchema().dump(sale), 201


@bp.get("/pos/sales/<sale_id>")
@documented("A sale", response=SaleOutSchema, tag="pos")
@requires("pos.sell")
def pos_sale(sale_id: str) -> Any:
    require_cooperative()
    return SaleOutSchema().dump(service.receipt(path_id(sale_id)).sale)


@bp.get("/pos/products")
@documented(
    "Products for the counter search as you type (?q=)", response=ProductHitSchema, many=True, tag="pos"
)
@requires("pos.sell")
def pos_products() -> Any:
    require_cooperative()
    return ProductHitSchema(many=True).dump(service.search_products(request.args.get("q", ""), limit=8))
