"""Cooperatives (the tenants), the people who work in them, and the official regions.

`TenantScoped` marks every table a cooperative owns: `tenant_id NOT NULL`, `UNIQUE (tenant_id, id)`
(whose index leads with `tenant_id`), forced row-level security added by its migration, and
composite foreign keys (`tenant_fk`) so the database refuses a row pointing into another tenant.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
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
FORMATION_MODELS = ("pembentukan_baru", "pengembangan", "revitalisasi")
OFFICER_POSITIONS = ("ketua", "sekretaris", "bendahara", "pengawas")
UNIT_TYPES = ("kantor", "sembako", "simpan_pinjam", "klinik", "apotek", "gudang", "logistik")
UNIT_STATUSES = ("direncanakan", "persiapan", "beroperasi")
STAGES = (
    "sosialisasi",
    "musdesus",
    "rapat_pembentukan",
    "akta_notaris",
    "pengesahan_badan_hukum",
    "operasional",
)
STAGES_WITH_ATTENDANCE = ("sosialisasi", "musdesus", "rapat_pembentukan")
STAGE_STATUSES = ("draf", "diajukan", "terverifikasi", "dikembalikan")


def _one_of(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN (" + ", ".join(f"'{v}'" for v in values) + ")"


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
    __table_args__ = (
        CheckConstraint("slug ~ '^[a-z0-9]+(-[a-z0-9]+)*$'", name="slug_format"),
        CheckConstraint(_one_of("formation_model", FORMATION_MODELS), name="formation_model_known"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    name: Mapped[str] = mapped_column(String(160))
    village_code: Mapped[str] = mapped_column(ForeignKey("regions.code"), unique=True)
    created_at: Mapped[datetime] = utcnow_column()
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # the public registry entry (directory and microsite); legal data and officers are tenant data
    formation_model: Mapped[str] = mapped_column(String(20), server_default="pembentukan_baru")
    address: Mapped[str | None] = mapped_column(String(300))
    phone: Mapped[str | None] = mapped_column(String(16))
    email: Mapped[str | None] = mapped_column(String(254))
    founded_on: Mapped[date | None] = mapped_column(Date)
    # the formation summary kept by `tenants.formation` in the same transaction as each review, so
    # lists across cooperatives (satgas, directory) need no tenant data
    verified_stage: Mapped[str | None] = mapped_column(String(30))
    stages_awaiting_review: Mapped[int] = mapped_column(SmallInteger, server_default="0")
    legal_entity: Mapped[bool] = mapped_column(server_default=text("false"))
    operating_units: Mapped[list[str]] = mapped_column(ARRAY(String(20)), server_default="{}")


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


class LegalData(TenantScoped, Base):
    """The cooperative's legal identity: SK badan hukum (AHU) and date, NIB, NPWP, bank account.
    At most one row per cooperative; formats are checked by `core.identifiers`."""

    __tablename__ = "cooperative_legal"
    __table_args__ = (
        UniqueConstraint("tenant_id"),
        CheckConstraint("nib IS NULL OR nib ~ '^[0-9]{13}$'", name="nib_format"),
        CheckConstraint("npwp IS NULL OR npwp ~ '^[0-9]{16}$'", name="npwp_format"),
        CheckConstraint("bank_account IS NULL OR bank_account ~ '^[0-9]{5,20}$'", name="bank_account_format"),
        CheckConstraint("NOT pkp OR (npwp IS NOT NULL AND pkp_since IS NOT NULL)", name="pkp_has_npwp"),
        CheckConstraint("ppn_rate BETWEEN 1 AND 2500", name="ppn_rate_range"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    ahu_number: Mapped[str | None] = mapped_column(String(80))
    ahu_date: Mapped[date | None] = mapped_column(Date)
    nib: Mapped[str | None] = mapped_column(String(13))
    npwp: Mapped[str | None] = mapped_column(String(16))
    bank_name: Mapped[str | None] = mapped_column(String(60))
    bank_account: Mapped[str | None] = mapped_column(String(20))
    bank_account_name: Mapped[str | None] = mapped_column(String(160))
    # a PKP (Pengusaha Kena Pajak) charges PPN from `pkp_since` at `ppn_rate` basis points of the
    # price before tax (11% = 1100: 12% on DPP nilai lain 11/12); only with an NPWP
    pkp: Mapped[bool] = mapped_column(Boolean, default=False, server_default=text("false"))
    pkp_since: Mapped[date | None] = mapped_column(Date)
    ppn_rate: Mapped[int] = mapped_column(Integer, default=1100, server_default=text("1100"))
    updated_at: Mapped[datetime] = utcnow_column()


class Officer(TenantScoped, Base):
    """A member of the pengurus (ketua, sekretaris, bendahara) or of the pengawas. One person holds
    one seat (a pengawas may not sit on the board); one ketua, sekretaris and bendahara each."""

    __tablename__ = "cooperative_officers"
    __table_args__ = (
        UniqueConstraint("tenant_id", "nik"),
        CheckConstraint(_one_of("position", OFFICER_POSITIONS), name="position_known"),
        CheckConstraint("nik ~ '^[0-9]{16}$'", name="nik_format"),
        Index(
            "uq_cooperative_officers_board_seat",
            "tenant_id",
            "position",
            unique=True,
            postgresql_where=text("position <> 'pengawas'"),
        ),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    position: Mapped[str] = mapped_column(String(12))
    name: Mapped[str] = mapped_column(String(120))
    nik: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = utcnow_column()


class BusinessUnit(TenantScoped, Base):
    """A gerai (business unit) from the standard list, with its status; only `beroperasi` units
    switch the matching ERP modules on (`tenants.service.operating_units`)."""

    __tablename__ = "cooperative_units"
    __table_args__ = (
        UniqueConstraint("tenant_id", "unit_type"),
        CheckConstraint(_one_of("unit_type", UNIT_TYPES), name="unit_type_known"),
        CheckConstraint(_one_of("status", UNIT_STATUSES), name="status_known"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    unit_type: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(15))
    started_on: Mapped[date | None] = mapped_column(Date)
    updated_at: Mapped[datetime] = utcnow_column()


class FormationStage(TenantScoped, Base):
    """One stage of forming the cooperative, as recorded by it and reviewed by the region's satgas:
    draf (incomplete) → diajukan (complete, awaiting review) → terverifikasi or dikembalikan."""

    __tablename__ = "formation_stages"
    __table_args__ = (
        UniqueConstraint("tenant_id", "stage"),
        CheckConstraint(_one_of("stage", STAGES), name="stage_known"),
        CheckConstraint(_one_of("status", STAGE_STATUSES), name="status_known"),
        CheckConstraint("attendance IS NULL OR attendance BETWEEN 0 AND 100000", name="attendance_range"),
        CheckConstraint("status <> 'dikembalikan' OR return_reason IS NOT NULL", name="returned_has_reason"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    stage: Mapped[str] = mapped_column(String(30))
    held_on: Mapped[date] = mapped_column(Date)
    attendance: Mapped[int | None] = mapped_column(Integer)
    notes: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(15))
    return_reason: Mapped[str | None] = mapped_column(Text)
    reviewed_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    reviewed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    updated_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    updated_at: Mapped[datetime] = utcnow_column()


class FormationEvidence(TenantScoped, Base):
    """An uploaded proof of a stage (berita acara, photo, akta): PDF, JPEG or PNG by content, kept
    privately under `instance/evidence/` by `storage_key`; served only to the cooperative's staff
    and to the satgas of its region."""

    __tablename__ = "formation_evidence"
    __table_args__ = (
        tenant_fk("stage_id", "formation_stages", ondelete="CASCADE"),
        CheckConstraint(
            "content_type IN ('application/pdf', 'image/jpeg', 'image/png')", name="content_type_known"
        ),
        CheckConstraint("size > 0", name="size_positive"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    stage_id: Mapped[int] = mapped_column(BigInteger)
    filename: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(40))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    storage_key: Mapped[str] = mapped_column(String(200), unique=True)
    uploaded_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    uploaded_at: Mapped[datetime] = utcnow_column()


class CooperativeActivity(Base):
    """When each cooperative last recorded a business event (a posting, a sale, a member change, a
    stage update: anything in the audit log), kept incrementally by the rollup job."""

    __tablename__ = "cooperative_activity"

    cooperative_id: Mapped[int] = mapped_column(
        ForeignKey("cooperatives.id", ondelete="CASCADE"), primary_key=True
    )
    last_activity_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)


class RegionRollup(Base):
    """Counts of the cooperatives in one region (village to nation, code `ID`), refreshed by the
    rollup job: the only path by which dashboards read across cooperatives."""

    __tablename__ = "region_rollups"
    __table_args__ = (
        CheckConstraint("level BETWEEN 0 AND 4", name="level_range"),
        Index("ix_region_rollups_parent_code", "parent_code"),
    )

    region_code: Mapped[str] = mapped_column(String(13), primary_key=True)
    parent_code: Mapped[str | None] = mapped_column(String(13))
    level: Mapped[int] = mapped_column(SmallInteger)
    registered: Mapped[int] = mapped_column(Integer)
    legal_entities: Mapped[int] = mapped_column(Integer)
    microsite_filled: Mapped[int] = mapped_column(Integer)
    active_30d: Mapped[int] = mapped_column(Integer)
    members: Mapped[int] = mapped_column(BigInteger)
    by_stage: Mapped[dict] = mapped_column(JSONB)
    by_model: Mapped[dict] = mapped_column(JSONB)
    by_unit: Mapped[dict] = mapped_column(JSONB)
    refreshed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class RollupSnapshot(Base):
    """The nation's and each province's headline counts per day, for the trend."""

    __tablename__ = "rollup_snapshots"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    region_code: Mapped[str] = mapped_column(String(13), primary_key=True)
    registered: Mapped[int] = mapped_column(Integer)
    legal_entities: Mapped[int] = mapped_column(Integer)
    active_30d: Mapped[int] = mapped_column(Integer)


class RollupWatermark(Base):
    """How far the rollup job has read an append-only source (the audit log's last id)."""

    __tablename__ = "rollup_watermarks"

    source: Mapped[str] = mapped_column(String(40), primary_key=True)
    last_id: Mapped[int] = mapped_column(BigInteger)
