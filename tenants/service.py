"""Use cases of the cooperative registry: create a cooperative, invite staff, accept an invitation,
change roles. Every change is audited in its own transaction.

Invariants: one cooperative per village; a membership has at least one known role; an invitation
is accepted at most once and never after it expires.
"""

from __future__ import annotations

import re
import secrets
import unicodedata
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from flask import url_for
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from core import audit
from core.auth import find_user, hash_password, token_digest
from core.db import db
from core.errors import AlreadyExists, DomainError, ErrorCode, NotFound
from core.models import Notification, PlatformRole, User
from tenants import regions
from tenants.models import COOPERATIVE_ROLES, Cooperative, Invitation, Membership

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
    """Register the cooperative of a village; a second one for the same village is refused."""
    village = regions.get(village_code)
    if village is None or village.level != 4:
        raise NotFound(
            _l("Desa/kelurahan tidak ditemukan dalam daftar wilayah resmi."),
            {"village_code": [str(_l("Pilih desa/kelurahan dari daftar."))]},
        )
    existing = db.session.scalar(select(Cooperative).where(Cooperative.village_code == village_code))
    if existing is not None:
        message = _l("Desa ini sudah memiliki koperasi: %(name)s.", name=existing.name)
        raise AlreadyExists(message, {"village_code": [str(message)]})
    name = name or suggested_name(village_code)
    coop = Cooperative(
        name=name,
        village_code=village_code,
        slug=_free_slug(slugify(village.name), village_code),
        created_by=created_by.id,
    )
    db.session.add(coop)
    db.session.flush()
    audit.record(
        "cooperative_created",
        "cooperative",
        coop.id,
        after={"name": name, "village_code": village_code, "slug": coop.slug},
        cooperative_id=coop.id,
    )
    db.session.commit()
    return coop


def cooperative_by_slug(slug: str) -> Cooperative | None:
    return db.session.scalar(select(Cooperative).where(Cooperative.slug == slug))


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
