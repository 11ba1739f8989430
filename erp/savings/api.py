"""JSON API of savings for the token's cooperative: a member's accounts, an account's movements,
and a deposit (the teller's drawer must be open; the idempotency key applies it once)."""

from __future__ import annotations

from typing import Any

from flask_login import current_user

from core.api import bp, documented
from core.permissions import requires
from core.schemas import load_json
from erp.membership.api import path_id, require_cooperative
from erp.savings import service
from erp.savings.schemas import AccountOutSchema, MovementOutSchema, MovementSchema


@bp.get("/members/<member_id>/savings")
@documented("A member's savings accounts", response=AccountOutSchema, many=True, tag="savings")
@requires("savings.view")
def member_accounts(member_id: str) -> Any:
    require_cooperative()
    from erp.membership import service as membership

    member = membership.get_member(path_id(member_id))
    return AccountOutSchema(many=True).dump([a for a, _p in service.member_accounts(member.id)])


@bp.get("/savings/accounts/<account_id>/movements")
@documented("The newest movements of an account", response=MovementOutSchema, many=True, tag="savings")
@requires("savings.view")
def account_movements(account_id: str) -> Any:
    require_cooperative()
    account = service.get_account(path_id(account_id))
    return MovementOutSchema(many=True).dump(service.movements(account.id, limit=100))


@bp.post("/savings/accounts/<account_id>/deposits")
@documented("Deposit cash into an account", body=MovementSchema, response=MovementOutSchema, tag="savings")
@requires("savings.teller")
def account_deposit(account_id: str) -> Any:
    require_cooperative()
    account = service.get_account(path_id(account_id))
    data = load_json(MovementSchema())
    movement = service.deposit(
        account.id,
        data["amount"],
        idempotency_key=data["idempotency_key"],
        teller_id=current_user.id,
        note=data["note"],
    )
    return MovementOutSchema().dump(movement), 201
