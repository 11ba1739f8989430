"""The member register of a cooperative: one row per person who applied, with their lifecycle.

Invariants, each also held by the database: a NIK appears once per cooperative; a member number
(`A-0001`) is given once, on approval, and only active, suspended or departed members carry one; a
refusal carries its reason; a death names the heir; a member's portal user is linked at most once.
"""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    LargeBinary,
    SmallInteger,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base, utcnow_column
from tenants.models import TenantScoped, tenant_fk


class MemberStatus(enum.StrEnum):
    APPLIED = "applied"
    REFUSED = "refused"
    ACTIVE = "active"
    SUSPENDED = "suspended"
    RESIGNED = "resigned"
    DECEASED = "deceased"


NUMBERED = (MemberStatus.ACTIVE, MemberStatus.SUSPENDED, MemberStatus.RESIGNED, MemberStatus.DECEASED)


def _sql_list(values: tuple[str, ...] | type[enum.StrEnum]) -> str:
    return ", ".join(f"'{v}'" for v in values)


class Member(TenantScoped, Base):
    """A person in the register of one cooperative, from application to departure."""

    __tablename__ = "members"
    __table_args__ = (
        UniqueConstraint("tenant_id", "nik"),
        UniqueConstraint("tenant_id", "member_number"),
        UniqueConstraint("tenant_id", "user_id"),
        CheckConstraint("nik ~ '^[0-9]{16}$'", name="nik_format"),
        CheckConstraint("kk_number ~ '^[0-9]{16}$'", name="kk_format"),
        CheckConstraint("gender IN ('L', 'P')", name="gender_known"),
        CheckConstraint("phone IS NULL OR phone ~ '^\\+628[0-9]{7,11}$'", name="phone_e164"),
        CheckConstraint(f"status IN ({_sql_list(MemberStatus)})", name="status_known"),
        CheckConstraint(
            f"(member_number IS NOT NULL) = (status IN ({_sql_list(NUMBERED)}))",
            name="numbered_when_admitted",
        ),
        CheckConstraint("status <> 'refused' OR refusal_reason IS NOT NULL", name="refusal_has_reason"),
        CheckConstraint("status <> 'deceased' OR heir_name IS NOT NULL", name="death_has_heir"),
        Index("ix_members_tenant_id_status_name", "tenant_id", "status", "name"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    member_number: Mapped[str | None] = mapped_column(String(12))
    nik: Mapped[str] = mapped_column(String(16))
    kk_number: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(120))
    birth_place: Mapped[str] = mapped_column(String(80))
    birth_date: Mapped[date] = mapped_column(Date)
    gender: Mapped[str] = mapped_column(String(1))
    address: Mapped[str] = mapped_column(String(300))
    village_code: Mapped[str] = mapped_column(ForeignKey("regions.code"))
    phone: Mapped[str | None] = mapped_column(String(16))
    occupation: Mapped[str | None] = mapped_column(String(80))
    status: Mapped[str] = mapped_column(String(10), default=MemberStatus.APPLIED.value)
    applied_at: Mapped[datetime] = utcnow_column()
    joined_on: Mapped[date | None] = mapped_column(Date)
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    refusal_reason: Mapped[str | None] = mapped_column(String(300))
    status_reason: Mapped[str | None] = mapped_column(String(300))
    left_on: Mapped[date | None] = mapped_column(Date)
    heir_name: Mapped[str | None] = mapped_column(String(120))
    heir_nik: Mapped[str | None] = mapped_column(String(16))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    updated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


# A member photo is re-encoded to a small JPEG: the longest side at most this many pixels, and
# the stored file at most this many bytes (a passport-style photo at this size is about 20 KB).
PHOTO_MAX_SIDE = 480
PHOTO_MAX_BYTES = 200_000


class MemberPhoto(TenantScoped, Base):
    """A member's photo (optional, personal data): one per member, a JPEG re-encoded by the
    register without any metadata, kept in the database under the cooperative's row-level
    security. Replacing it overwrites it; removing it deletes the row."""

    __tablename__ = "member_photos"
    __table_args__ = (
        UniqueConstraint("tenant_id", "member_id"),
        tenant_fk("member_id", "members"),
        CheckConstraint(f"octet_length(jpeg) BETWEEN 1 AND {PHOTO_MAX_BYTES}", name="jpeg_size"),
        CheckConstraint(
            f"width BETWEEN 1 AND {PHOTO_MAX_SIDE} AND height BETWEEN 1 AND {PHOTO_MAX_SIDE}",
            name="dimensions",
        ),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    member_id: Mapped[int] = mapped_column(BigInteger)
    jpeg: Mapped[bytes] = mapped_column(LargeBinary)
    width: Mapped[int] = mapped_column(SmallInteger)
    height: Mapped[int] = mapped_column(SmallInteger)
    updated_at: Mapped[datetime] = utcnow_column()
    updated_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
