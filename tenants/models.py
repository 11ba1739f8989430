"""Cooperatives (the tenants), the people who work in them, and the official regions.

`TenantScoped` marks every table a cooperative owns: `tenant_id NOT NULL`, `UNIQUE (tenant_id, id)`
(whose index leads with `tenant_id`), forced row-level security added by its migration, and
composite foreign keys (`tenant_fk`) so the database refuses a row pointing into another tenant.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    DateTime,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    SmallInteger,
    String,
    UniqueConstraint,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Mapped, declared_attr, mapped_column

from core.db import Base, utcnow_column

COOPERATIVE_ROLES = (
    "ketua",
    "sekretaris",
    "bendahara",
    "pengawas",
    "manajer",
    "kasir",
    "apoteker",
    "gudang",
    "anggota",
)


class Region(Base):
    """A Kemendagri region: province (level 1), regency/city (2), district (3) or village (4)."""

    __tablename__ = "regions"
    __table_args__ = (
        CheckConstraint("level BETWEEN 1 AND 4", name="level_range"),
        Index("ix_regions_parent_code_name", "parent_code", "name"),
        Index(
            "ix_regions_lower_name", "level", "lower_name", postgresql_ops={"lower_name": "text_pattern_ops"}
        ),
    )

    code: Mapped[str] = mapped_column(String(13), primary_key=True)
    parent_code: Mapped[str | None] = mapped_column(String(13))
    level: Mapped[int] = mapped_column(SmallInteger)
    name: Mapped[str] = mapped_column(String(120))
    lower_name: Mapped[str] = mapped_column(String(120))
    kind: Mapped[str | None] = mapped_column(String(12))


class Cooperative(Base):
    """A Koperasi Desa/Kelurahan Merah Putih: one per village, the unit of tenancy."""

    __tablename__ = "cooperatives"
    __table_args__ = (CheckConstraint("slug ~ '^[a-z0-9]+(-[a-z0-9]+)*$'", name="slug_format"),)

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    name: Mapped[str] = mapped_column(String(160))
    village_code: Mapped[str] = mapped_column(ForeignKey("regions.code"), unique=True)
    created_at: Mapped[datetime] = utcnow_column()
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


class Membership(Base):
    """A person's place in a cooperative with one or more roles. A platform table: a person reads
    their own memberships across cooperatives to sign in and switch (a named cross-tenant path)."""

    __tablename__ = "memberships"
    __table_args__ = (
        UniqueConstraint("cooperative_id", "user_id"),
        CheckConstraint(
            "cardinality(roles) > 0 AND roles <@ ARRAY["
            + ", ".join(f"'{r}'" for r in COOPERATIVE_ROLES)
            + "]::varchar[]",
            name="roles_known",
        ),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    cooperative_id: Mapped[int] = mapped_column(ForeignKey("cooperatives.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    roles: Mapped[list[str]] = mapped_column(ARRAY(String(20)))
    created_at: Mapped[datetime] = utcnow_column()


class TenantScoped:
    """Mixin for every table a cooperative owns. Queries and new rows are scoped by
    `tenants.context`; the database enforces the same with forced row-level security."""

    @declared_attr
    def tenant_id(cls) -> Mapped[int]:
        return mapped_column(BigInteger, ForeignKey("cooperatives.id"), nullable=False)

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        table = getattr(cls, "__table__", None)
        if table is not None:
            table.append_constraint(UniqueConstraint("tenant_id", "id"))


def tenant_fk(column: str, target_table: str, **kwargs: Any) -> ForeignKeyConstraint:
    """A foreign key to another tenant table that includes `tenant_id`, so it cannot cross tenants."""
    return ForeignKeyConstraint(
        ["tenant_id", column], [f"{target_table}.tenant_id", f"{target_table}.id"], **kwargs
    )


class Invitation(TenantScoped, Base):
    """An invitation to join a cooperative's staff, sent by e-mail or WhatsApp; only the token's
    SHA-256 is stored. Accepted once, before it expires. Tenant data: staff see only their own
    cooperative's invitations, and the invitee opens it under the cooperative's URL."""

    __tablename__ = "invitations"
    __table_args__ = (CheckConstraint("email IS NOT NULL OR phone IS NOT NULL", name="has_contact"),)

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    email: Mapped[str | None] = mapped_column(String(254))
    phone: Mapped[str | None] = mapped_column(String(16))
    roles: Mapped[list[str]] = mapped_column(ARRAY(String(20)))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    invited_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = utcnow_column()
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    accepted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    accepted_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
