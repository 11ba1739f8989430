"""Who may do what: roles grant permissions, checked by one decorator, `requires`.

Cooperative roles apply inside the current tenant (from `g.membership`); platform roles (admin,
satgas, buyer, partner) apply anywhere. The menu shows only what the person's roles allow.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar, cast

from flask import g, redirect, request, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from core.errors import DomainError, ErrorCode, Forbidden, wants_json

# The books: the bendahara keeps them (enters journals, maintains the chart); another board member
# approves journals (maker-checker); the ketua also closes periods and sets the SHU allocation.
LEDGER_BENDAHARA = {"ledger.view", "ledger.enter", "ledger.accounts"}
LEDGER_APPROVER = {"ledger.view", "ledger.approve"}
LEDGER_KETUA = LEDGER_APPROVER | {"ledger.accounts", "ledger.close", "ledger.settings"}
# The registry entry and formation record: the board and the manager read it; ketua and sekretaris keep it.
REGISTRY_READ = {"registry.view"}
REGISTRY_KEEP = {"registry.view", "registry.manage"}

ROLE_PERMISSIONS: dict[str, frozenset[str]] = {
    # cooperative roles
    "ketua": frozenset(
        {"dashboard.view", "staff.view", "staff.manage", "audit.view"} | LEDGER_KETUA | REGISTRY_KEEP
    ),
    "sekretaris": frozenset(
        {"dashboard.view", "staff.view", "staff.manage"} | LEDGER_APPROVER | REGISTRY_KEEP
    ),
    "bendahara": frozenset({"dashboard.view", "staff.view"} | LEDGER_BENDAHARA | REGISTRY_READ),
    "pengawas": frozenset({"dashboard.view", "staff.view", "audit.view", "ledger.view"} | REGISTRY_READ),
    "manajer": frozenset({"dashboard.view", "staff.view", "ledger.view"} | REGISTRY_READ),
    "kasir": frozenset({"dashboard.view"}),
    "apoteker": frozenset({"dashboard.view"}),
    "gudang": frozenset({"dashboard.view"}),
    "anggota": frozenset({"dashboard.view"}),
    # platform roles
    "platform_admin": frozenset({"platform.cooperatives", "platform.partners"}),
    "satgas": frozenset({"satgas.region"}),
    "buyer": frozenset({"marketplace.buy"}),
    "partner": frozenset({"marketplace.buy", "partner.api"}),
}

# Membership and savings: the register is kept by the sekretaris (and ketua, manajer) and decided by
# pengurus (ketua, sekretaris), who alone see full NIK and phone; the kasir takes deposits at the
# desk; withdrawals above a product's limit are approved by a second person (ketua, bendahara,
# manajer); a member (anggota) sees only their own savings in the portal.
_MEMBERSHIP_SAVINGS = {
    "ketua": {"member.view", "member.manage", "member.approve", "member.personal", "savings.view"}
    | {"savings.approve", "savings.manage"},
    "sekretaris": {"member.view", "member.manage", "member.approve", "member.personal", "savings.view"},
    "bendahara": {"member.view", "savings.view", "savings.teller", "savings.approve", "savings.manage"},
    "pengawas": {"member.view", "savings.view"},
    "manajer": {"member.view", "member.manage", "savings.view", "savings.approve"},
    "kasir": {"member.view", "savings.view", "savings.teller"},
    "anggota": {"portal.view"},
}
for _role, _extra in _MEMBERSHIP_SAVINGS.items():
    ROLE_PERMISSIONS[_role] = ROLE_PERMISSIONS[_role] | frozenset(_extra)

# Loans: the manajer (and ketua, bendahara) sets products and takes applications; a different person
# among ketua, bendahara and manajer approves; the kasir and bendahara disburse and take repayments.
_LOANS = {
    "ketua": {"loans.view", "loans.manage", "loans.approve"},
    "sekretaris": {"loans.view"},
    "bendahara": {"loans.view", "loans.manage", "loans.approve", "loans.teller"},
    "pengawas": {"loans.view"},
    "manajer": {"loans.view", "loans.manage", "loans.approve"},
    "kasir": {"loans.view", "loans.teller"},
}
# Close of business: the board and the manager see its runs; ketua, bendahara and manajer may start one.
for _role in ("ketua", "sekretaris", "bendahara", "pengawas", "manajer"):
    _LOANS[_role] = _LOANS[_role] | {"loans.cob"}
for _role in ("ketua", "bendahara", "manajer"):
    _LOANS[_role] = _LOANS[_role] | {"loans.cob_run"}
for _role, _extra in _LOANS.items():
    ROLE_PERMISSIONS[_role] = ROLE_PERMISSIONS[_role] | frozenset(_extra)

# The cooperative's own bank financing: the board, pengawas and manajer read the bank loans and the
# financing-readiness pack; the bendahara (and the ketua) records the loan and its payments.
_FINANCING = {
    "ketua": {"financing.view", "financing.manage"},
    "sekretaris": {"financing.view"},
    "bendahara": {"financing.view", "financing.manage"},
    "pengawas": {"financing.view"},
    "manajer": {"financing.view"},
}
for _role, _extra in _FINANCING.items():
    ROLE_PERMISSIONS[_role] = ROLE_PERMISSIONS[_role] | frozenset(_extra)

# Sembako: the gudang keeps products and receives goods, the kasir sells at the counter, the manajer
# does both.
_SEMBAKO = {
    "gudang": {"inventory.view", "inventory.manage"},
    "manajer": {"inventory.view", "inventory.manage", "pos.sell"},
    "kasir": {"pos.sell"},
}
for _role, _extra in _SEMBAKO.items():
    ROLE_PERMISSIONS[_role] = ROLE_PERMISSIONS[_role] | frozenset(_extra)

# Stock opname: the gudang or the manajer counts; a second person approves the variance before it
# posts (ketua, manajer or pengawas, never the one who counted or submitted it).
_OPNAME_APPROVER = frozenset({"inventory.view", "inventory.opname_approve"})
for _role in ("ketua", "manajer", "pengawas"):
    ROLE_PERMISSIONS[_role] = ROLE_PERMISSIONS[_role] | _OPNAME_APPROVER

# Purchasing: the manajer and the gudang (and the ketua) keep suppliers, order goods and receive
# them; the bendahara (and the ketua) records supplier invoices and pays them; all four record goods
# sent back with the supplier's credit note; a payment at or above the cooperative's threshold is
# approved by a second person among ketua, bendahara and manajer (never who asked), and the ketua
# sets that threshold; the board and the pengawas read it all.
_PURCHASING = {
    "ketua": {"purchasing.view", "purchasing.manage", "purchasing.pay", "purchasing.return"}
    | {"purchasing.approve", "purchasing.settings"},
    "manajer": {"purchasing.view", "purchasing.manage", "purchasing.return", "purchasing.approve"},
    "gudang": {"purchasing.view", "purchasing.manage", "purchasing.return"},
    "bendahara": {"purchasing.view", "purchasing.pay", "purchasing.return", "purchasing.approve"},
    "sekretaris": {"purchasing.view"},
    "pengawas": {"purchasing.view"},
}
for _role, _extra in _PURCHASING.items():
    ROLE_PERMISSIONS[_role] = ROLE_PERMISSIONS[_role] | frozenset(_extra)

# The counter beyond selling: the manajer (and ketua) may give discounts and set kasbon limits;
# ketua, manajer and bendahara approve voids, returns and sales below cost with their PIN
# (supervisors); the kasir and those who oversee read the Z report.
_POS = {
    "ketua": {"pos.discount", "pos.supervise", "pos.manage", "pos.report"},
    "manajer": {"pos.discount", "pos.supervise", "pos.manage", "pos.report"},
    "bendahara": {"pos.supervise", "pos.report"},
    "pengawas": {"pos.report"},
    "kasir": {"pos.report"},
}
for _role, _extra in _POS.items():
    ROLE_PERMISSIONS[_role] = ROLE_PERMISSIONS[_role] | frozenset(_extra)

# HET caps are platform data: the platform admin records each decree with its effective date.
ROLE_PERMISSIONS["platform_admin"] = ROLE_PERMISSIONS["platform_admin"] | frozenset({"platform.het"})

# Kophub orders: the manajer and the gudang (and the ketua) pack and ship them; the bendahara (and
# the ketua) confirms payments and records cash on delivery; the board and pengawas read them. The
# platform admin sets the marketplace fee.
_KOPHUB_ORDERS = {
    "ketua": {"kophub.orders.view", "kophub.orders.manage", "kophub.payments.confirm"},
    "manajer": {"kophub.orders.view", "kophub.orders.manage"},
    "gudang": {"kophub.orders.view", "kophub.orders.manage"},
    "bendahara": {"kophub.orders.view", "kophub.payments.confirm"},
    "sekretaris": {"kophub.orders.view"},
    "pengawas": {"kophub.orders.view"},
    "platform_admin": {"platform.kophub"},
}
for _role, _extra in _KOPHUB_ORDERS.items():
    ROLE_PERMISSIONS[_role] = ROLE_PERMISSIONS[_role] | frozenset(_extra)

# Kophub listings: the manajer and the gudang (and the ketua) publish the cooperative's stock and
# keep its offers; the board and pengawas read them.
_KOPHUB_LISTINGS = {
    "ketua": {"kophub.listings.view", "kophub.listings.manage"},
    "manajer": {"kophub.listings.view", "kophub.listings.manage"},
    "gudang": {"kophub.listings.view", "kophub.listings.manage"},
    "sekretaris": {"kophub.listings.view"},
    "bendahara": {"kophub.listings.view"},
    "pengawas": {"kophub.listings.view"},
}
for _role, _extra in _KOPHUB_LISTINGS.items():
    ROLE_PERMISSIONS[_role] = ROLE_PERMISSIONS[_role] | frozenset(_extra)

ROLE_LABELS = {
    "ketua": _l("Ketua"),
    "sekretaris": _l("Sekretaris"),
    "bendahara": _l("Bendahara"),
    "pengawas": _l("Pengawas"),
    "manajer": _l("Manajer"),
    "kasir": _l("Kasir"),
    "apoteker": _l("Apoteker"),
    "gudang": _l("Petugas gudang"),
    "anggota": _l("Anggota"),
    "platform_admin": _l("Admin platform"),
    "satgas": _l("Satgas"),
    "buyer": _l("Pembeli"),
    "partner": _l("Mitra"),
}


class Unauthorized(DomainError):
    code = ErrorCode.UNAUTHORIZED
    status = 401


def platform_roles() -> list[Any]:
    """The signed-in person's platform roles, read once per request and only when first needed
    (an API token sets them itself, narrowed to its partner)."""
    if "platform_roles" not in g:
        from tenants.service import platform_roles_of

        g.platform_roles = platform_roles_of(current_user.id) if current_user.is_authenticated else []
    return cast(list[Any], g.platform_roles)


def _membership_roles() -> set[str]:
    membership = g.get("membership")
    return set(membership.roles) if membership is not None else set()


def has_permission(permission: str) -> bool:
    """Whether this request's roles grant `permission` (the membership's first: most requests
    need no read of the platform roles)."""

    def grants(roles: set[str]) -> bool:
        return any(permission in ROLE_PERMISSIONS.get(role, ()) for role in roles)

    return grants(_membership_roles()) or grants({r.role for r in platform_roles()})


F = TypeVar("F", bound=Callable[..., Any])


def requires(permission: str) -> Callable[[F], F]:
    """Allow the view only to a signed-in person whose roles grant `permission`."""

    def decorate(view: F) -> F:
        @functools.wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if not current_user.is_authenticated:
                if wants_json():
                    raise Unauthorized(_l("Token API tidak ada atau tidak sah."))
                return redirect(url_for("core.login", next=request.full_path))
            if not has_permission(permission):
                raise Forbidden(_l("Peran Anda tidak mengizinkan tindakan ini."))
            return view(*args, **kwargs)

        wrapper.required_permission = permission  # type: ignore[attr-defined]
        return wrapper  # type: ignore[return-value]

    return decorate


@dataclass(frozen=True)
class MenuItem:
    endpoint: str
    label: Any
    permission: str
    tenant: bool


MENU: list[MenuItem] = []


def menu_item(endpoint: str, label: Any, permission: str, *, tenant: bool) -> None:
    """Register a menu entry; it shows only to people whose roles grant `permission`."""
    MENU.append(MenuItem(endpoint, label, permission, tenant))


# The order of the menu, in one place (entries not listed follow, in registration order).
MENU_ORDER = (
    "tenants.dashboard",
    "portal.home",
    "membership.members",
    "savings.desk",
    "loans.index",
    "financing.index",
    "loans.reports",
    "pos.counter",
    "inventory.index",
    "purchasing.index",
    "listings.index",
    "ledger.index",
    "registry.profile",
    "registry.formation_page",
    "tenants.staff",
    "tenants.audit_log",
    "tenants.admin_cooperatives",
    "dashboards.admin",
    "tenants.satgas_home",
    "dashboards.satgas",
)


def visible_menu() -> list[MenuItem]:
    in_tenant = g.get("cooperative") is not None
    items = [m for m in MENU if (m.tenant == in_tenant or not m.tenant) and has_permission(m.permission)]
    rank = {endpoint: i for i, endpoint in enumerate(MENU_ORDER)}
    return sorted(items, key=lambda m: rank.get(m.endpoint, len(rank)))
