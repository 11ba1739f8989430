"""JSON API of the registry: the official regions (public reference data), and the token's
cooperative, its staff and invitations."""

from __future__ import annotations

from typing import Any

from flask import g, request
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from core.api import bp, documented
from core.errors import DomainError
from core.permissions import requires
from core.schemas import load_json
from tenants import regions, service
from tenants.schemas import (
    CooperativeSchema,
    InvitationInSchema,
    InvitationOutSchema,
    RegionPathSchema,
    RegionQuerySchema,
    RegionSchema,
    RegionSearchSchema,
    StaffSchema,
)


@bp.get("/regions")
@documented(
    "Provinces, or the regions directly under `parent`",
    response=RegionSchema,
    many=True,
    public=True,
    tag="regions",
)
def region_children() -> Any:
    args = RegionQuerySchema().load(request.args)
    return RegionSchema(many=True).dump(regions.children(args["parent"]))


@bp.get("/regions/search")
@documented(
    "Villages whose name starts with `q` (type-ahead)",
    response=RegionPathSchema,
    many=True,
    public=True,
    tag="regions",
)
def region_search() -> Any:
    args = RegionSearchSchema().load(request.args)
    return RegionPathSchema(many=True).dump(regions.search_villages(args["q"], args["within"]))


def _tenant_required() -> Any:
    coop = g.get("cooperative")
    if coop is None:
        raise DomainError(_l("Token ini tidak terikat pada koperasi."))
    return coop


@bp.get("/cooperative")
@documented("The token's cooperative", response=CooperativeSchema, tag="cooperative")
@requires("dashboard.view")
def cooperative() -> Any:
    coop = _tenant_required()
    path = regions.path_of(coop.village_code)
    return CooperativeSchema().dump({**coop.__dict__, "region": path.label if path else ""})


@bp.get("/cooperative/staff")
@documented(
    "Staff of the token's cooperative with their roles", response=StaffSchema, many=True, tag="cooperative"
)
@requires("staff.view")
def cooperative_staff() -> Any:
    coop = _tenant_required()
    return StaffSchema(many=True).dump(
        [{"user_id": u.id, "name": u.name, "roles": m.roles} for u, m in service.staff_of(coop.id)]
    )


@bp.get("/cooperative/invitations")
@documented(
    "Open invitations of the token's cooperative", response=InvitationOutSchema, many=True, tag="cooperative"
)
@requires("staff.view")
def cooperative_invitations() -> Any:
    _tenant_required()
    return InvitationOutSchema(many=True, exclude=("link",)).dump(service.pending_invitations())


@bp.post("/cooperative/invitations")
@documented(
    "Invite a person to the cooperative's staff",
    body=InvitationInSchema,
    response=InvitationOutSchema,
    tag="cooperative",
)
@requires("staff.manage")
def cooperative_invite() -> Any:
    coop = _tenant_required()
    data = load_json(InvitationInSchema())
    invitation, link = service.invite_staff(
        coop, email=data.get("email"), phone=data.get("phone"), roles=data["roles"], invited_by=current_user
    )
    return InvitationOutSchema().dump({**invitation.__dict__, "link": link}), 201
