"""People and access beyond a single cooperative: users, platform roles, partner organisations,
API tokens and notifications. These are platform tables (no `tenant_id`): a person is global and
belongs to cooperatives through `tenants.models.Membership`.
"""

from __future__ import annotations

import enum
from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base, utcnow_column


class User(UserMixin, Base):
    __tablename__ = "users"
    __table_args__ = (
        CheckConstraint("email IS NOT NULL OR phone IS NOT NULL", name="has_login"),
        CheckConstraint("phone IS NULL OR phone ~ '^\\+628[0-9]{7,11}$'", name="phone_e164"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    email: Mapped[str | None] = mapped_column(String(254), unique=True)
    phone: Mapped[str | None] = mapped_column(String(16), unique=True)
    password_hash: Mapped[str] = mapped_column(Text)
    locale: Mapped[str | None] = mapped_column(String(5))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = utcnow_column()

    @property
    def is_active(self) -> bool:
        return self.active


class PlatformRoleName(enum.StrEnum):
    PLATFORM_ADMIN = "platform_admin"
    SATGAS = "satgas"
    BUYER = "buyer"
    PARTNER = "partner"


class PartnerOrganisation(Base):
    """A state-owned or private partner (Bulog, Pupuk Indonesia, Pertamina…) with its own users."""

    __tablename__ = "partner_organisations"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    name: Mapped[str] = mapped_column(String(160), unique=True)
    created_at: Mapped[datetime] = utcnow_column()


class PlatformRole(Base):
    """A role beyond any cooperative; a satgas is scoped to a region, a partner user to its organisation."""

    __tablename__ = "platform_roles"
    __table_args__ = (
        UniqueConstraint("user_id", "role", "region_code", "partner_id"),
        CheckConstraint("role IN ('platform_admin', 'satgas', 'buyer', 'partner')", name="role_known"),
        CheckConstraint("(role = 'satgas') = (region_code IS NOT NULL)", name="satgas_has_region"),
        CheckConstraint("(role = 'partner') = (partner_id IS NOT NULL)", name="partner_has_org"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(20))
    region_code: Mapped[str | None] = mapped_column(ForeignKey("regions.code"))
    partner_id: Mapped[int | None] = mapped_column(ForeignKey("partner_organisations.id"))
    created_at: Mapped[datetime] = utcnow_column()


class ApiToken(Base):
    """A bearer token for `/api/v1`; only its SHA-256 is stored. A token bound to a cooperative
    carries that tenant; one bound to a partner organisation acts for the partner."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    cooperative_id: Mapped[int | None] = mapped_column(ForeignKey("cooperatives.id"))
    partner_id: Mapped[int | None] = mapped_column(ForeignKey("partner_organisations.id"))
    name: Mapped[str] = mapped_column(String(80))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(12))
    created_at: Mapped[datetime] = utcnow_column()
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class Notification(Base):
    """A message to a person (e-mail or WhatsApp/SMS), written in the same transaction as its cause
    and delivered by a job; no external sender is required to run Kopdes."""

    __tablename__ = "notifications"
    __table_args__ = (CheckConstraint("channel IN ('email', 'whatsapp')", name="channel_known"),)

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    channel: Mapped[str] = mapped_column(String(10))
    recipient: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = utcnow_column()
    delivered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class AuditEntry(Base):
    """Append-only record of who changed roles, money or personal data, when, and from what to what.
    The database refuses UPDATE and DELETE on this table."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    at: Mapped[datetime] = utcnow_column()
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    cooperative_id: Mapped[int | None] = mapped_column(ForeignKey("cooperatives.id"), index=True)
    action: Mapped[str] = mapped_column(String(60))
    entity: Mapped[str] = mapped_column(String(60))
    entity_id: Mapped[str | None] = mapped_column(String(40))
    before: Mapped[dict | None] = mapped_column(JSONB)
    after: Mapped[dict | None] = mapped_column(JSONB)
    ip: Mapped[str | None] = mapped_column(String(45))


class OutboxMessage(Base):
    """A job written in the transaction that needs it; dispatched to RQ only after commit."""

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_pending", "id", postgresql_where=text("done_at IS NULL")),)

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    tenant_id: Mapped[int | None] = mapped_column(BigInteger)
    job: Mapped[str] = mapped_column(String(120))
    args: Mapped[dict] = mapped_column(JSONB)
    created_at: Mapped[datetime] = utcnow_column()
    dispatched_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    done_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(Text)


class ScheduledRun(Base):
    """One run of a piece of scheduled work (close of business, rollups…), as it happened."""

    __tablename__ = "scheduled_runs"
    __table_args__ = (CheckConstraint("status IN ('running', 'ok', 'failed')", name="status_known"),)

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    name: Mapped[str] = mapped_column(String(80), index=True)
    started_at: Mapped[datetime] = utcnow_column()
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    status: Mapped[str] = mapped_column(String(10), default="running")
    detail: Mapped[str | None] = mapped_column(Text)
