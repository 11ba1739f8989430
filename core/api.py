"""The JSON API under `/api/v1`: bearer-token auth, and an OpenAPI 3 document generated from the
marshmallow schemas that each endpoint declares with `documented`.

A token bound to a cooperative makes that cooperative the tenant of the request (checked against
the person's membership); this is the API's one place that sets the tenant.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from flask import Blueprint, current_app, g, jsonify, request
from flask_login import current_user
from marshmallow import Schema, fields

from core.db import db
from core.models import User

bp = Blueprint("api", __name__, url_prefix="/api/v1")

F = TypeVar("F", bound=Callable[..., Any])


def documented(
    summary: str,
    *,
    response: type[Schema] | None = None,
    many: bool = False,
    body: type[Schema] | None = None,
    public: bool = False,
    tag: str = "kopdes",
) -> Callable[[F], F]:
    """Describe an endpoint for the OpenAPI document (its schemas are the ones the view uses)."""

    def decorate(view: F) -> F:
        view.api_doc = {  # type: ignore[attr-defined]
            "summary": summary,
            "response": response,
            "many": many,
            "body": body,
            "public": public,
            "tag": tag,
        }
        return view

    return decorate


def user_from_bearer() -> User | None:
    """Flask-Login request loader for the API: the token's user, with its tenant and partner."""
    if not request.path.startswith("/api/"):
        return None
    header = request.headers.get("Authorization", "")
    if not header.startswith("Bearer "):
        return None
    from core.auth import token_from_secret
    from tenants.context import activate
    from tenants.service import membership_of, platform_roles_of

    token = token_from_secret(header.removeprefix("Bearer ").strip())
    if token is None:
        return None
    user = db.session.get(User, token.user_id)
    if user is None or not user.active:
        return None
    g.api_token = token
    g.platform_roles = [
        r for r in platform_roles_of(user.id) if token.partner_id is None or r.partner_id == token.partner_id
    ]
    if token.cooperative_id is not None:
        membership = membership_of(user.id, token.cooperative_id)
        if membership is None:
            return None
        from core.db import db as _db
        from tenants.models import Cooperative

        g.membership = membership
        g.cooperative = _db.session.get(Cooperative, token.cooperative_id)
        activate(token.cooperative_id)
    db.session.commit()
    return user


class ErrorSchema(Schema):
    class _Body(Schema):
        code = fields.String(required=True)
        message = fields.String(required=True)
        field_errors = fields.Dict(
            keys=fields.String(), values=fields.List(fields.String()), data_key="fields"
        )

    error = fields.Nested(_Body, required=True)


def openapi_document() -> dict[str, Any]:
    spec = APISpec(
        title="Kopdes API",
        version="1",
        openapi_version="3.0.3",
        plugins=[MarshmallowPlugin()],
        info={"description": "API koperasi desa/kelurahan Merah Putih dan Kophub."},
    )
    spec.components.security_scheme("bearer", {"type": "http", "scheme": "bearer"})
    spec.components.schema("Error", schema=ErrorSchema)
    for rule in sorted(current_app.url_map.iter_rules(), key=lambda r: r.rule):
        view = current_app.view_functions.get(rule.endpoint)
        doc = getattr(view, "api_doc", None)
        if doc is None:
            continue
        path = rule.rule.replace("<", "{").replace(">", "}")
        for conv in ("int:", "string:"):
            path = path.replace("{" + conv, "{")
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            operation: dict[str, Any] = {
                "summary": doc["summary"],
                "tags": [doc["tag"]],
                "parameters": [
                    {"in": "path", "name": arg, "required": True, "schema": {"type": "string"}}
                    for arg in sorted(rule.arguments)
                ],
                "responses": {
                    "200": {"description": "OK"},
                    "422": {
                        "description": "Invalid input",
                        "content": {"application/json": {"schema": "Error"}},
                    },
                },
            }
            if doc["response"] is not None:
                schema: Any = doc["response"](many=True) if doc["many"] else doc["response"]
                operation["responses"]["200"]["content"] = {"application/json": {"schema": schema}}
            if doc["body"] is not None:
                operation["requestBody"] = {
                    "required": True,
                    "content": {"application/json": {"schema": doc["body"]}},
                }
            if not doc["public"]:
                operation["security"] = [{"bearer": []}]
                operation["responses"]["401"] = {
                    "description": "Missing or invalid token",
                    "content": {"application/json": {"schema": "Error"}},
                }
            spec.path(path=path, operations={method.lower(): operation})
    return spec.to_dict()


@bp.get("/openapi.json")
def openapi() -> Any:
    return jsonify(openapi_document())


class MeSchema(Schema):
    id = fields.Integer()
    name = fields.String()
    email = fields.String(allow_none=True)
    phone = fields.String(allow_none=True)
    platform_roles = fields.List(fields.String())
    cooperative = fields.String(allow_none=True)
    roles = fields.List(fields.String())


@bp.get("/me")
@documented("The signed-in person, their platform roles and the token's cooperative roles", response=MeSchema)
def me() -> Any:
    from core.permissions import Unauthorized

    if not current_user.is_authenticated:
        raise Unauthorized()
    membership = g.get("membership")
    coop = g.get("cooperative")
    return MeSchema().dump(
        {
            "id": current_user.id,
            "name": current_user.name,
            "email": current_user.email,
            "phone": current_user.phone,
            "platform_roles": sorted({r.role for r in g.get("platform_roles", [])}),
            "cooperative": coop.slug if coop else None,
            "roles": list(membership.roles) if membership else [],
        }
    )
