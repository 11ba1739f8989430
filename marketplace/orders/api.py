"""JSON API of Kophub orders for a cooperative's own tools (token bound to the cooperative): its
orders, one order with lines and payment state, and shipping one (same services as the pages)."""

from __future__ import annotations

from typing import Any

from flask import request
from flask_login import current_user
from marshmallow import Schema, fields

from core.api import bp, documented
from core.permissions import requires
from core.schemas import load_json
from erp.membership.api import path_id, require_cooperative
from marketplace.orders import service
from marketplace.orders.models import OrderStatus
from marketplace.orders.schemas import ShipSchema


class OrderLineOutSchema(Schema):
    listing_id = fields.Integer()
    title = fields.String()
    unit = fields.String()
    quantity = fields.Integer()
    unit_price = fields.Integer()
    amount = fields.Integer()


class OrderOutSchema(Schema):
    id = fields.Integer()
    number = fields.String()
    status = fields.String()
    payment_method = fields.String()
    total = fields.Integer()
    fee = fields.Integer()
    buyer_name = fields.String()
    village_code = fields.String()
    courier = fields.String(allow_none=True)
    tracking_number = fields.String(allow_none=True)
    created_at = fields.DateTime()


class OrderDetailOutSchema(OrderOutSchema):
    payment_status = fields.String(allow_none=True)
    lines = fields.List(fields.Nested(OrderLineOutSchema))


class ShipInSchema(Schema):
    courier = ShipSchema().fields["courier"]
    tracking_number = ShipSchema().fields["tracking_number"]


def _detail(order_id: int) -> dict[str, Any]:
    found = service.order_view(order_id)
    data: dict[str, Any] = OrderOutSchema().dump(found.order)
    data["payment_status"] = found.payment.status if found.payment else None
    data["lines"] = OrderLineOutSchema(many=True).dump(found.lines)
    return data


@bp.get("/kophub/orders")
@documented("The cooperative's Kophub orders, newest first", response=OrderOutSchema, many=True, tag="kophub")
@requires("kophub.orders.view")
def kophub_orders() -> Any:
    require_cooperative()
    status = request.args.get("status")
    if status not in {s.value for s in OrderStatus}:
        status = None
    return OrderOutSchema(many=True).dump(service.orders(status))


@bp.get("/kophub/orders/<order_id>")
@documented("One Kophub order with its lines and payment state", response=OrderDetailOutSchema, tag="kophub")
@requires("kophub.orders.view")
def kophub_order(order_id: str) -> Any:
    require_cooperative()
    return _detail(path_id(order_id))


@bp.post("/kophub/orders/<order_id>/shipment")
@documented("Ship a packed order with courier and tracking number", body=ShipInSchema, tag="kophub")
@requires("kophub.orders.manage")
def kophub_ship(order_id: str) -> Any:
    require_cooperative()
    data = load_json(ShipInSchema())
    service.ship(
        path_id(order_id),
        courier=data["courier"],
        tracking_number=data["tracking_number"],
        user_id=current_user.id,
    )
    return _detail(path_id(order_id))
