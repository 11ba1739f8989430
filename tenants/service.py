"""Use cases of the cooperative registry: sign up and register a cooperative, its profile, legal
data, officers and business units; invite staff, accept an invitation, change roles. Every change is
audited in its own transaction.

Invariants: one cooperative per village (concurrent registrations serialise on the village and the
database's UNIQUE backs it up); a membership has at least one known role; an invitation is accepted
at most once and never after it expires; one person holds one officer seat.
"""

from __future__ import annotations

import re
import secrets
import unicodedata
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from flask import url_for
from flask_babel import format_decimal
from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, delete, func, select, text
from sqlalchemy.exc import IntegrityError

from core import audit
from core.auth import find_user, hash_password, token_digest
from core.db import db
from core.errors import AlreadyExists, DomainError, ErrorCode, NotFound
from core.models import Notification, PlatformRole, User
from tenants import regions
from tenants.context import tenant
from tenants.models import (
    COOPERATIVE_ROLES,
    BusinessUnit,
    Cooperative,
    Invitation,
    LegalData,
    Membership,
    Officer,
)

INVITATION_DAYS = 14


class InvitationInvalid(DomainError):
    code = ErrorCode.INVITATION_INVALID


def slugify(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")[:60] or "koperasi"


def suggested_name(village_code: str) -> str:
    """`Koperasi Desa Merah Putih <desa>` or `Koperasi Kelurahan Merah Putih <kelurahan>`."""
    village = regions.get(village_code)
    if village is None or village.level != 4:
        raise NotFound(_l("Desa/kelurahan tidak ditemukan."))
    kind = "Kelurahan" if village.kind == "kelurahan" else "Desa"
    return f"Koperasi {kind} Merah Putih {village.name}"


def _free_slug(base: str, village_code: str) -> str:
    candidates = [base, f"{base}-{village_code.replace('.', '')}"]
    for slug in candidates:
        if db.session.scalar(select(Cooperative.id).where(Cooperative.slug == slug)) is None:
            return slug
    raise AlreadyExists(_l("Alamat (slug) sudah dipakai."))


def create_cooperative(village_code: str, name: str | None, created_by: User) -> Cooperative:
    """Register the cooperative of a village (platform admin); a second one is refused."""
    coop = _insert_cooperative(village_code, {"name": name}, created_by)
    db.session.commit()
    return coop


def sign_up(name: str, email: str | None, phone: str | None, password: str) -> User:
    """Create a person's account (anyone may, to register a cooperative or be invited later)."""
    if not email and not phone:
        raise DomainError(_l("Isi e-mail atau nomor HP."), {"email": [str(_l("Isi e-mail atau nomor HP."))]})
    for field, value in (("email", email), ("phone", phone)):
        if value and find_user(value) is not None:
            message = _l("Sudah ada akun dengan kontak ini. Silakan masuk.")
            raise AlreadyExists(message, {field: [str(message)]})
    user = User(name=name, email=email, phone=phone, password_hash=hash_password(password))
    db.session.add(user)
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        message = _l("Sudah ada akun dengan kontak ini. Silakan masuk.")
        raise AlreadyExists(message, {"email": [str(message)]}) from None
    audit.record("user_created", "user", user.id, after={"name": name}, actor_id=user.id)
    db.session.commit()
    return user


def register_cooperative(user: User, village_code: str, **profile: Any) -> Cooperative:
    """Self-registration: `user` registers the cooperative of a village and becomes its ketua.
    Two registrations of one village at once: the first commits, the second is refused by name."""
    coop = _insert_cooperative(village_code, profile, user)
    membership = Membership(cooperative_id=coop.id, user_id=user.id, roles=["ketua"])
    db.session.add(membership)
    db.session.flush()
    audit.record(
        "roles_changed",
        "membership",
        membership.id,
        after={"user_id": user.id, "roles": ["ketua"]},
        cooperative_id=coop.id,
    )
    db.session.commit()
    return coop


_PROFILE_FIELDS = ("name", "formation_model", "address", "phone", "email", "founded_on")


def _village_taken(village_code: str) -> AlreadyExists:
    existing = db.session.scalar(select(Cooperative).where(Cooperative.village_code == village_code))
    name = existing.name if existing is not None else village_code
    message = _l("Desa ini sudah memiliki koperasi: %(name)s.", name=name)
    return AlreadyExists(message, {"village_code": [str(message)]})


def _insert_cooperative(village_code: str, profile: dict[str, Any], created_by: User) -> Cooperative:
    village = regions.get(village_code)
    if village is None or village.level != 4:
        raise NotFound(
            _l("Desa/kelurahan tidak ditemukan dalam daftar wilayah resmi."),
            {"village_code": [str(_l("Pilih desa/kelurahan dari daftar."))]},
        )
    # registrations of one village queue here, so the later one sees the earlier one's row
    db.session.execute(
        text("SELECT pg_advisory_xact_lock(hashtext('kopdes-village'), hashtext(:code))"),
        {"code": village_code},
    )
    if db.session.scalar(select(Cooperative.id).where(Cooperative.village_code == village_code)):
        raise _village_taken(village_code)
    values = {k: v for k, v in profile.items() if k in _PROFILE_FIELDS and v not in (None, "")}
    values["name"] = values.get("name") or suggested_name(village_code)
    coop = Cooperative(
        village_code=village_code,
        slug=_free_slug(slugify(village.name), village_code),
        created_by=created_by.id,
        **values,
    )
    db.session.add(coop)
    try:
        with db.session.begin_nested():
            db.session.flush()
    except IntegrityError as err:  # the UNIQUE behind the lock, e.g. a writer that skipped it
        db.session.rollback()
        if "village_code" in str(err.orig):
            raise _village_taken(village_code) from None
        raise AlreadyExists(_l("Alamat (slug) sudah dipakai.")) from None
    audit.record(
        "cooperative_created",
        "cooperative",
        coop.id,
        after={"name": coop.name, "village_code": village_code, "slug": coop.slug},
        cooperative_id=coop.id,
        actor_id=created_by.id,
    )
    return coop


def update_profile(coop: Cooperative, changes: dict[str, Any]) -> Cooperative:
    """Change the public registry entry (name, model of formation, address, contact, founding date)."""
    before = {k: _plain(getattr(coop, k)) for k in _PROFILE_FIELDS}
    for key in _PROFILE_FIELDS:
        if key in changes:
            setattr(coop, key, changes[key] if key != "name" else changes[key] or coop.name)
    after = {k: _plain(getattr(coop, k)) for k in _PROFILE_FIELDS}
    if before != after:
        audit.record("cooperative_profile_changed", "cooperative", coop.id, before=before, after=after)
    db.session.commit()
    return coop


def _plain(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date) else value


# --- legal data, officers, business units (tenant data of the current cooperative) ------------

_LEGAL_FIELDS = ("ahu_number", "ahu_date", "nib", "npwp", "bank_name", "bank_account", "bank_account_name")
_TAX_FIELDS = ("pkp", "pkp_since", "ppn_rate")
# PPN a PKP charges: 12% on DPP nilai lain of 11/12 of the price (PMK 131/2024), 11% in effect
DEFAULT_PPN_RATE = 1100  # basis points of the price before tax
MAX_PPN_RATE = 2500
PPN_ACCOUNT = "2-1311"  # Utang PPN Keluaran, under Utang Pajak


class LegalDataRefused(DomainError):
    code = ErrorCode.INVALID_INPUT
    status = 422


def _registry_row() -> Cooperative:
    """The current cooperative's platform row, whose summary (legal entity, operating units) the
    dashboards count without reading tenant data."""
    from tenants.context import current_tenant_id

    coop = db.session.get(Cooperative, current_tenant_id())
    if coop is None:
        raise NotFound(_l("Koperasi tidak ditemukan."))
    return coop


def legal_data() -> LegalData | None:
    return db.session.scalar(select(LegalData))


def save_legal_data(values: dict[str, Any]) -> LegalData:
    """Replace the cooperative's legal data (missing fields are cleared; a missing PPN rate keeps
    the one saved, else 11%). A PKP needs an NPWP and the date it became PKP; becoming one adds
    the PPN account (2-1311 Utang PPN Keluaran) to the chart in the same transaction."""
    pkp, since, rate = bool(values.get("pkp")), values.get("pkp_since"), values.get("ppn_rate")
    legal = legal_data()
    if rate is None:
        rate = legal.ppn_rate if legal is not None else DEFAULT_PPN_RATE
    if pkp and not values.get("npwp"):
        message = _l("Koperasi PKP wajib punya NPWP: isi NPWP koperasi dulu.")
        db.session.rollback()
        raise LegalDataRefused(message, {"npwp": [str(message)], "pkp": [str(message)]})
    if pkp and not isinstance(since, date):
        message = _l("Isi tanggal pengukuhan PKP (tanggal mulai memungut PPN).")
        db.session.rollback()
        raise LegalDataRefused(message, {"pkp_since": [str(message)]})
    if isinstance(rate, bool) or not isinstance(rate, int) or not 1 <= rate <= MAX_PPN_RATE:
        message = _l("Tarif PPN antara 0,01 dan 25 persen (umumnya 11).")
        db.session.rollback()
        raise LegalDataRefused(message, {"ppn_rate": [str(message)]})
    fields_ = (*_LEGAL_FIELDS, *_TAX_FIELDS)
    before = None if legal is None else {k: _plain(getattr(legal, k)) for k in fields_}
    if legal is None:
        legal = LegalData()
        db.session.add(legal)
    for key in _LEGAL_FIELDS:
        setattr(legal, key, values.get(key))
    legal.pkp, legal.pkp_since, legal.ppn_rate = pkp, since, rate
    legal.updated_at = datetime.now(UTC)
    _registry_row().legal_entity = bool(legal.ahu_number)
    if pkp:
        from erp.ledger import service as ledger

        ledger.ensure_accounts(PPN_ACCOUNT)
    db.session.flush()
    audit.record(
        "legal_data_changed",
        "cooperative_legal",
        legal.id,
        before=before,
        after={k: _plain(getattr(legal, k)) for k in fields_},
    )
    db.session.commit()
    return legal


@dataclass(frozen=True)
class TaxStatus:
    """Whether the cooperative charges PPN on a day, at which rate, under which NPWP."""

    pkp: bool
    since: date | None
    rate: int  # basis points of the price before tax
    npwp: str | None


def tax_status(on: date | None = None) -> TaxStatus:
    """The cooperative's PPN standing on `on` (default today): PKP only from its PKP date."""
    legal = legal_data()
    day = on or date.today()
    if legal is None:
        return TaxStatus(False, None, DEFAULT_PPN_RATE, None)
    charging = legal.pkp and legal.pkp_since is not None and legal.pkp_since <= day
    return TaxStatus(charging, legal.pkp_since, legal.ppn_rate, legal.npwp)


def ppn_percent(rate: int) -> str:
    """A rate in basis points as the percent people read: 1100 → "11", 1150 → "11,5"."""
    return format_decimal(Decimal(rate) / 100, format="#,##0.##")


def ppn_rate_on(tenant_id: int, day: date) -> Any:
    """The PPN rate in basis points a PKP charges on `day`, or NULL, as a scalar subquery: for a
    use case that reads it beside rows it reads anyway (the counter's checkout), at no extra
    round trip."""
    return (
        select(LegalData.ppn_rate)
        .where(LegalData.tenant_id == tenant_id, LegalData.pkp.is_(True), LegalData.pkp_since <= day)
        .scalar_subquery()
    )


def officers() -> list[Officer]:
    from tenants.models import OFFICER_POSITIONS

    rows = list(db.session.scalars(select(Officer).order_by(Officer.id)))
    return sorted(rows, key=lambda o: (OFFICER_POSITIONS.index(o.position), o.id))


def add_officer(position: str, name: str, nik: str) -> Officer:
    """Seat a person as ketua, sekretaris, bendahara (one each) or pengawas (several)."""
    if db.session.scalar(select(Officer.id).where(Officer.nik == nik)):
        message = _l("Orang dengan NIK ini sudah menjabat di koperasi ini.")
        raise AlreadyExists(message, {"nik": [str(message)]})
    if position != "pengawas" and db.session.scalar(select(Officer.id).where(Officer.position == position)):
        message = _l("Jabatan ini sudah terisi. Hapus dulu pejabat lamanya.")
        raise AlreadyExists(message, {"position": [str(message)]})
    officer = Officer(position=position, name=name, nik=nik)
    db.session.add(officer)
    try:
        with db.session.begin_nested():
            db.session.flush()
    except IntegrityError:
        db.session.rollback()
        raise AlreadyExists(_l("Jabatan atau NIK ini sudah terisi.")) from None
    audit.record(
        "officer_added",
        "cooperative_officer",
        officer.id,
        after={"position": position, "name": name, "nik": mask_nik(nik)},
    )
    db.session.commit()
    return officer


def remove_officer(officer_id: int) -> None:
    officer = db.session.scalar(select(Officer).where(Officer.id == officer_id))
    if officer is None:
        raise NotFound(_l("Pengurus tidak ditemukan."))
    audit.record(
        "officer_removed",
        "cooperative_officer",
        officer.id,
        before={"position": officer.position, "name": officer.name, "nik": mask_nik(officer.nik)},
    )
    db.session.delete(officer)
    db.session.commit()


def mask_nik(nik: str) -> str:
    """`3204124501900001` → `320412••••••0001` (UU PDP: personal data shown masked)."""
    return nik[:6] + "•" * 6 + nik[-4:]


def business_units() -> dict[str, BusinessUnit]:
    return {u.unit_type: u for u in db.session.scalars(select(BusinessUnit))}


def save_units(units: dict[str, tuple[str | None, date | None]]) -> dict[str, BusinessUnit]:
    """Set the status and start date of each standard unit; a unit without status is dropped."""
    current = business_units()
    before = {t: [u.status, _plain(u.started_on)] for t, u in current.items()}
    for unit_type, (status, started_on) in units.items():
        unit = current.get(unit_type)
        if status is None:
            if unit is not None:
                db.session.execute(delete(BusinessUnit).where(BusinessUnit.id == unit.id))
                del current[unit_type]
            continue
        if unit is None:
            unit = current[unit_type] = BusinessUnit(unit_type=unit_type, status=status)
            db.session.add(unit)
        unit.status, unit.started_on, unit.updated_at = status, started_on, datetime.now(UTC)
    after = {t: [u.status, _plain(u.started_on)] for t, u in current.items()}
    _registry_row().operating_units = sorted(t for t, u in current.items() if u.status == "beroperasi")
    if before != after:
        audit.record("business_units_changed", "cooperative_units", None, before=before, after=after)
    db.session.commit()
    return current


def operating_units(cooperative_id: int) -> frozenset[str]:
    """The unit types a cooperative runs (status `beroperasi`): ERP modules switch on by these."""
    with tenant(cooperative_id):
        return frozenset(
            db.session.scalars(select(BusinessUnit.unit_type).where(BusinessUnit.status == "beroperasi"))
        )


def cooperative_by_slug(slug: str) -> Cooperative | None:
    return db.session.scalar(select(Cooperative).where(Cooperative.slug == slug))


def cooperative_and_membership(
    slug: str, user_id: int | None
) -> tuple[Cooperative | None, Membership | None]:
    """The cooperative of `slug` and the person's membership of it (None for either), in one
    statement: every request under `/k/<slug>/` asks."""
    joined = and_(Membership.cooperative_id == Cooperative.id, Membership.user_id == user_id)
    row = db.session.execute(
        select(Cooperative, Membership).outerjoin(Membership, joined).where(Cooperative.slug == slug)
    ).first()
    return (row[0], row[1]) if row is not None else (None, None)


def membership_of(user_id: int, cooperative_id: int) -> Membership | None:
    return db.session.scalar(
        select(Membership).where(Membership.user_id == user_id, Membership.cooperative_id == cooperative_id)
    )


@dataclass(frozen=True)
class Place:
    """One cooperative a person works in, with their roles there (for the switcher)."""

    cooperative: Cooperative
    roles: list[str]


def places_of(user_id: int) -> list[Place]:
    rows = db.session.execute(
        select(Cooperative, Membership.roles)
        .join(Membership, Membership.cooperative_id == Cooperative.id)
        .where(Membership.user_id == user_id)
        .order_by(Cooperative.name)
    )
    return [Place(coop, list(roles)) for coop, roles in rows]


def platform_roles_of(user_id: int) -> list[PlatformRole]:
    return list(db.session.scalars(select(PlatformRole).where(PlatformRole.user_id == user_id)))


def staff_of(cooperative_id: int) -> list[tuple[User, Membership]]:
    rows = db.session.execute(
        select(User, Membership)
        .join(Membership, Membership.user_id == User.id)
        .where(Membership.cooperative_id == cooperative_id)
        .order_by(User.name)
    )
    return [(u, m) for u, m in rows]


def staff_count(cooperative_id: int) -> int:
    return int(
        db.session.scalar(
            select(func.count()).select_from(Membership).where(Membership.cooperative_id == cooperative_id)
        )
        or 0
    )


def _clean_roles(roles: list[str]) -> list[str]:
    unknown = [r for r in roles if r not in COOPERATIVE_ROLES]
    if unknown or not roles:
        raise DomainError(
            _l("Pilih setidaknya satu peran yang dikenal."), {"roles": [str(_l("Peran tidak sah."))]}
        )
    return [r for r in COOPERATIVE_ROLES if r in roles]


def invite_staff(
    cooperative: Cooperative, *, email: str | None, phone: str | None, roles: list[str], invited_by: User
) -> tuple[Invitation, str]:
    """Invite a person (by e-mail or WhatsApp) to the cooperative with `roles`; returns the
    invitation and its link, which is also queued as a notification."""
    if not email and not phone:
        raise DomainError(_l("Isi e-mail atau nomor HP."), {"email": [str(_l("Isi e-mail atau nomor HP."))]})
    roles = _clean_roles(roles)
    token = secrets.token_urlsafe(24)
    invitation = Invitation(
        email=email,
        phone=phone,
        roles=roles,
        token_hash=token_digest(token),
        invited_by=invited_by.id,
        expires_at=datetime.now(UTC) + timedelta(days=INVITATION_DAYS),
    )
    db.session.add(invitation)
    db.session.flush()
    link = url_for("tenants.accept_invitation", tenant_slug=cooperative.slug, token=token, _external=True)
    channel, recipient = ("email", email) if email else ("whatsapp", phone)
    db.session.add(
        Notification(
            channel=channel,
            recipient=recipient or "",
            subject=str(_l("Undangan bergabung dengan %(name)s", name=cooperative.name)),
            body=str(
                _l(
                    "Anda diundang sebagai staf %(name)s. Buka tautan ini untuk bergabung: %(link)s",
                    name=cooperative.name,
                    link=link,
                )
            ),
        )
    )
    audit.record(
        "staff_invited",
        "invitation",
        invitation.id,
        after={"email": email, "phone": phone, "roles": roles},
    )
    db.session.commit()
    return invitation, link


def pending_invitations() -> list[Invitation]:
    """Open invitations of the current cooperative."""
    return list(
        db.session.scalars(
            select(Invitation).where(Invitation.accepted_at.is_(None)).order_by(Invitation.created_at.desc())
        )
    )


def open_invitation(token: str) -> Invitation:
    """The current cooperative's invitation for `token`, if it is still open."""
    invitation = db.session.scalar(select(Invitation).where(Invitation.token_hash == token_digest(token)))
    if invitation is None or invitation.accepted_at is not None:
        raise InvitationInvalid(_l("Undangan tidak sah atau sudah dipakai."))
    if invitation.expires_at < datetime.now(UTC):
        raise InvitationInvalid(_l("Undangan sudah kedaluwarsa. Minta undangan baru kepada pengurus."))
    return invitation


def accept_invitation(
    cooperative: Cooperative,
    token: str,
    *,
    user: User | None,
    name: str | None = None,
    password: str | None = None,
) -> User:
    """Join the cooperative: an existing (signed-in) person gains the roles, or a new account is
    created for the invited e-mail/phone. Roles already held are kept."""
    invitation = open_invitation(token)
    if user is None:
        contact = invitation.email or invitation.phone or ""
        if find_user(contact) is not None:
            raise InvitationInvalid(
                _l("Akun untuk kontak ini sudah ada. Masuk dulu, lalu buka tautan ini lagi.")
            )
        if not name or not password:
            raise DomainError(_l("Isi nama dan kata sandi."))
        user = User(
            name=name, email=invitation.email, phone=invitation.phone, password_hash=hash_password(password)
        )
        db.session.add(user)
        db.session.flush()
        audit.record("user_created", "user", user.id, after={"name": name}, actor_id=user.id)
    membership = membership_of(user.id, cooperative.id)
    before = None if membership is None else {"roles": list(membership.roles)}
    if membership is None:
        membership = Membership(cooperative_id=cooperative.id, user_id=user.id, roles=invitation.roles)
        db.session.add(membership)
    else:
        membership.roles = _clean_roles(sorted(set(membership.roles) | set(invitation.roles)))
    invitation.accepted_at = datetime.now(UTC)
    invitation.accepted_by = user.id
    db.session.flush()
    audit.record(
        "roles_changed",
        "membership",
        membership.id,
        before=before,
        after={"user_id": user.id, "roles": list(membership.roles)},
        actor_id=user.id,
    )
    db.session.commit()
    return user


def set_roles(cooperative: Cooperative, user_id: int, roles: list[str]) -> Membership:
    """Replace a staff member's roles (audited). The last ketua cannot give up the role."""
    membership = membership_of(user_id, cooperative.id)
    if membership is None:
        raise NotFound(_l("Staf tidak ditemukan."))
    roles = _clean_roles(roles)
    if "ketua" in membership.roles and "ketua" not in roles:
        ketua_count = db.session.scalar(
            select(func.count())
            .select_from(Membership)
            .where(Membership.cooperative_id == cooperative.id, Membership.roles.contains(["ketua"]))
        )
        if (ketua_count or 0) <= 1:
            raise DomainError(_l("Koperasi harus tetap memiliki seorang ketua."))
    before = {"roles": list(membership.roles)}
    membership.roles = roles
    audit.record(
        "roles_changed",
        "membership",
        membership.id,
        before=before,
        after={"user_id": user_id, "roles": roles},
    )
    db.session.commit()
    return membership


# --- public registry: microsite and directory (read-only, no personal data) ------------------

DIRECTORY_PAGE = 50


@dataclass(frozen=True)
class PublicProfile:
    """What anyone may see of a cooperative: no NIK, no contact of individuals, no finances."""

    cooperative: Cooperative
    region: regions.RegionPath | None
    legal_entity: bool
    legal_date: date | None
    members: int | None  # None while the cooperative keeps no member register here
    staff: int
    operating_units: list[str]
    officers: list[tuple[str, str]]
    last_activity: datetime | None
    progress: list[tuple[str, str, date | None]]


def public_profile(slug: str) -> PublicProfile | None:
    """The microsite of one cooperative: its registry entry, and the public part of its tenant data
    read under its own tenant (a named read path, like the marketplace's published listings)."""
    from core.models import AuditEntry
    from tenants import formation

    coop = cooperative_by_slug(slug)
    if coop is None:
        return None
    with tenant(coop.id):
        legal = legal_data()
        seats = [(o.position, o.name) for o in officers()]
        units = sorted(operating_units(coop.id))
        progress = formation.public_progress()
        members = _member_count()
    staff = db.session.scalar(
        select(func.count()).select_from(Membership).where(Membership.cooperative_id == coop.id)
    )
    last = db.session.scalar(select(func.max(AuditEntry.at)).where(AuditEntry.cooperative_id == coop.id))
    return PublicProfile(
        cooperative=coop,
        region=regions.path_of(coop.village_code),
        legal_entity=bool(legal and legal.ahu_number),
        legal_date=legal.ahu_date if legal else None,
        members=members,
        staff=staff or 0,
        operating_units=units,
        officers=seats,
        last_activity=last,
        progress=progress,
    )


def _member_count() -> int | None:
    """Active members from the membership module, where it is installed; None otherwise."""
    import importlib.util

    if importlib.util.find_spec("erp.membership.service") is None:
        return None
    from erp.membership import service as membership

    return membership.counts_by_status().get("active", 0)


def directory(
    query: str = "", region_code: str | None = None, page: int = 1
) -> tuple[list[Cooperative], int]:
    """Registered cooperatives by name, optionally within a region (province, regency, district)."""
    stmt = select(Cooperative)
    if query:
        stmt = stmt.where(Cooperative.name.icontains(query, autoescape=True))
    if region_code:
        stmt = stmt.where(Cooperative.village_code.startswith(region_code + ".", autoescape=True))
    total = db.session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    rows = db.session.scalars(
        stmt.order_by(Cooperative.name, Cooperative.id)
        .limit(DIRECTORY_PAGE)
        .offset((page - 1) * DIRECTORY_PAGE)
    )
    return list(rows), total
