"""JSON API of inventory for the token's cooperative: products, a product's stock card, a goods
receipt (the idempotency key applies it once)."""

from __future__ import annotations

from typing import Any

from flask_login import current_user

from core.api import bp, documented
from core.permissions import requires
from core.schemas import load_json
from erp.inventory import service
from erp.inventory.schemas import MoveOutSchema, ProductOutSchema, ReceiptSchema
from erp.membership.api import path_id, require_cooperative


@bp.get("/inventory/products")
@documented("Products of the gerai", response=ProductOutSchema, many=True, tag="inventory")
@requires("inventory.view")
def inventory_products() -> Any:
    require_cooperative()
    return ProductOutSchema(many=True).dump(service.products())


@bp.get("/inventory/products/<product_id>/moves")
@documented("A product's stock card", response=MoveOutSchema, many=True, tag="inventory")
@requires("inventory.view")
def inventory_stock_card(product_id: str) -> Any:
    require_cooperative()
    product = service.get_product(path_id(product_id))
    return MoveOutSchema(many=True).dump(service.stock_card(product.id))


@bp.post("/inventory/receipts")
@documented(
    "Receive goods at cost into the gerai", body=ReceiptSchema, response=MoveOutSchema, tag="inventory"
)
@requires("inventory.manage")
def inventory_receive() -> Any:
    require_cooperative()
    data = load_json(ReceiptSchema())
    move = service.receive(
        data["product_id"],
        service.default_location().id,
        data["quantity"],
        data["total_cost"],
        on_credit=data["on_credit"],
        idempotency_key=data["idempotency_key"],
        user_id=current_user.id,
        unit=data["unit"],
        lot=data["lot"],
        expires_on=data["expires_on"],
    )
    return MoveOutSchema().dump(move), 201
