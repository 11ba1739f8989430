"""JSON API of the member register, for the token's cooperative: members listed with personal
numbers masked, one member, and a new application."""

from __future__ import annotations

from typing import Any

from flask import g, request
from flask_babel import lazy_gettext as _l

from core.api import bp, documented
from core.errors import DomainError, NotFound
from core.permissions import requires
from core.schemas import load_json
from erp.membership import service
from erp.membership.models import MemberStatus
from erp.membership.schemas import MemberSchema, MemberSummarySchema


def require_cooperative() -> Any:
    coop = g.get("cooperative")
    if coop is None:
        raise DomainError(_l("Token ini tidak terikat pada koperasi."))
    return coop


def path_id(value: str) -> int:
    """An id from the path (the OpenAPI document lists plain `{id}` paths); not a number: 404."""
    if not value.isdigit() or len(value) > 18:
        raise NotFound(_l("Tidak ditemukan."))
    return int(value)


@bp.get("/members")
@documented(
    "Members of the token's cooperative (NIK masked)", response=MemberSummarySchema, many=True, tag="members"
)
@requires("member.view")
def members_list() -> Any:
    require_cooperative()
    status = request.args.get("status")
    if status not in {s.value for s in MemberStatus}:
        status = None
    return MemberSummarySchema(many=True).dump(service.list_members(status, request.args.get("q")))


@bp.get("/members/<member_id>")
@documented("One member (NIK masked)", response=MemberSummarySchema, tag="members")
@requires("member.view")
def members_one(member_id: str) -> Any:
    require_cooperative()
    return MemberSummarySchema().dump(service.get_member(path_id(member_id)))


@bp.post("/members")
@documented("Register an application to join", body=MemberSchema, response=MemberSummarySchema, tag="members")
@requires("member.manage")
def members_apply() -> Any:
    require_cooperative()
    member = service.apply(load_json(MemberSchema()))
    return MemberSummarySchema().dump(member), 201
