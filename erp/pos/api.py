"""JSON API of the point of sale: a checkout (the idempotency key applies it once) and a sale."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_login import current_user
from marshmallow import Schema, fields, validate

from core.api import bp, documented
from core.permissions import requires
from core.schemas import load_json
from erp.inventory import service as inventory
from erp.membership.api import path_id, require_cooperative
from erp.pos import service
from erp.pos.service import CartLine


class SaleLineInSchema(Schema):
    product_id = fields.Integer(required=True, strict=True)
    quantity = fields.Integer(
        required=True,
        strict=True,
        validate=validate.Range(min=1, max=10_000, error=_l("Jumlah harus 1 sampai 10.000.")),
    )
    price = fields.Integer(load_default=None, strict=True)


class CheckoutSchema(Schema):
    lines = fields.List(fields.Nested(SaleLineInSchema), required=True)
    payment_method = fields.String(required=True)
    paid = fields.Integer(load_default=None, strict=True)
    reference = fields.String(load_default=None)
    member_number = fields.String(load_default=None)
    idempotency_key = fields.String(
        required=True,
        validate=validate.Regexp(r"^[A-Za-z0-9_\-]{8,64}$", error=_l("Kunci transaksi tidak sah.")),
    )


class SaleOutSchema(Schema):
    id = fields.Integer()
    sold_on = fields.Date()
    member_id = fields.Integer(allow_none=True)
    total = fields.Integer()
    payment_method = fields.String()
    paid = fields.Integer()
    change = fields.Integer()
    payment_reference = fields.String(allow_none=True)


@bp.post("/pos/sales")
@documented("Check out a basket at the gerai", body=CheckoutSchema, response=SaleOutSchema, tag="pos")
@requires("pos.sell")
def pos_checkout() -> Any:
    require_cooperative()
    data = load_json(CheckoutSchema())
    sale = service.checkout(
        [CartLine(line["product_id"], line["quantity"], line["price"]) for line in data["lines"]],
        location_id=inventory.default_location().id,
        payment_method=data["payment_method"],
        paid=data["paid"],
        reference=data["reference"],
        member_number=data["member_number"],
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
