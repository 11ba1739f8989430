"""registry and formation

Revision ID: 0006
Revises: 0005

The cooperative's public registry entry (model of formation, address, contact, founding date, the
formation summary) on `cooperatives`; its legal data, officers, business units, formation stages
and their evidence as tenant tables under forced row-level security.
"""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

from tenants.rls import enable_tenant_rls

TENANT_TABLES = (
    "cooperative_legal",
    "cooperative_officers",
    "cooperative_units",
    "formation_stages",
    "formation_evidence",
)

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _tenant_columns(table: str) -> list[Any]:
    return [
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("tenant_id", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["cooperatives.id"], name=op.f(f"fk_{table}_tenant_id_cooperatives")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{table}")),
        sa.UniqueConstraint("tenant_id", "id", name=op.f(f"uq_{table}_tenant_id_id")),
    ]


def upgrade() -> None:
    op.add_column(
        "cooperatives",
        sa.Column("formation_model", sa.String(length=20), server_default="pembentukan_baru", nullable=False),
    )
    op.add_column("cooperatives", sa.Column("address", sa.String(length=300), nullable=True))
    op.add_column("cooperatives", sa.Column("phone", sa.String(length=16), nullable=True))
    op.add_column("cooperatives", sa.Column("email", sa.String(length=254), nullable=True))
    op.add_column("cooperatives", sa.Column("founded_on", sa.Date(), nullable=True))
    op.add_column("cooperatives", sa.Column("verified_stage", sa.String(length=30), nullable=True))
    op.add_column(
        "cooperatives",
        sa.Column("stages_awaiting_review", sa.SmallInteger(), server_default="0", nullable=False),
    )
    op.create_check_constraint(
        "formation_model_known",
        "cooperatives",
        "formation_model IN ('pembentukan_baru', 'pengembangan', 'revitalisasi')",
    )

    op.create_table(
        "cooperative_legal",
        *_tenant_columns("cooperative_legal"),
        sa.Column("ahu_number", sa.String(length=80), nullable=True),
        sa.Column("ahu_date", sa.Date(), nullable=True),
        sa.Column("nib", sa.String(length=13), nullable=True),
        sa.Column("npwp", sa.String(length=16), nullable=True),
        sa.Column("bank_name", sa.String(length=60), nullable=True),
        sa.Column("bank_account", sa.String(length=20), nullable=True),
        sa.Column("bank_account_name", sa.String(length=160), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.UniqueConstraint("tenant_id", name=op.f("uq_cooperative_legal_tenant_id")),
        sa.CheckConstraint(
            "nib IS NULL OR nib ~ '^[0-9]{13}$'", name=op.f("ck_cooperative_legal_nib_format")
        ),
        sa.CheckConstraint(
            "npwp IS NULL OR npwp ~ '^[0-9]{16}$'", name=op.f("ck_cooperative_legal_npwp_format")
        ),
        sa.CheckConstraint(
            "bank_account IS NULL OR bank_account ~ '^[0-9]{5,20}$'",
            name=op.f("ck_cooperative_legal_bank_account_format"),
        ),
    )
    op.create_table(
        "cooperative_officers",
        *_tenant_columns("cooperative_officers"),
        sa.Column("position", sa.String(length=12), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("nik", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.UniqueConstraint("tenant_id", "nik", name=op.f("uq_cooperative_officers_tenant_id_nik")),
        sa.CheckConstraint(
            "position IN ('ketua', 'sekretaris', 'bendahara', 'pengawas')",
            name=op.f("ck_cooperative_officers_position_known"),
        ),
        sa.CheckConstraint("nik ~ '^[0-9]{16}$'", name=op.f("ck_cooperative_officers_nik_format")),
    )
    op.create_index(
        "uq_cooperative_officers_board_seat",
        "cooperative_officers",
        ["tenant_id", "position"],
        unique=True,
        postgresql_where=sa.text("position <> 'pengawas'"),
    )
    op.create_table(
        "cooperative_units",
        *_tenant_columns("cooperative_units"),
        sa.Column("unit_type", sa.String(length=20), nullable=False),
        sa.Column("status", sa.String(length=15), nullable=False),
        sa.Column("started_on", sa.Date(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.UniqueConstraint("tenant_id", "unit_type", name=op.f("uq_cooperative_units_tenant_id_unit_type")),
        sa.CheckConstraint(
            "unit_type IN ('kantor', 'sembako', 'simpan_pinjam', 'klinik', 'apotek', 'gudang', 'logistik')",
            name=op.f("ck_cooperative_units_unit_type_known"),
        ),
        sa.CheckConstraint(
            "status IN ('direncanakan', 'persiapan', 'beroperasi')",
            name=op.f("ck_cooperative_units_status_known"),
        ),
    )
    op.create_table(
        "formation_stages",
        *_tenant_columns("formation_stages"),
        sa.Column("stage", sa.String(length=30), nullable=False),
        sa.Column("held_on", sa.Date(), nullable=False),
        sa.Column("attendance", sa.Integer(), nullable=True),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("status", sa.String(length=15), nullable=False),
        sa.Column("return_reason", sa.Text(), nullable=True),
        sa.Column("reviewed_by", sa.BigInteger(), nullable=True),
        sa.Column("reviewed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("updated_by", sa.BigInteger(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["reviewed_by"], ["users.id"], name=op.f("fk_formation_stages_reviewed_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["updated_by"], ["users.id"], name=op.f("fk_formation_stages_updated_by_users")
        ),
        sa.UniqueConstraint("tenant_id", "stage", name=op.f("uq_formation_stages_tenant_id_stage")),
        sa.CheckConstraint(
            "stage IN ('sosialisasi', 'musdesus', 'rapat_pembentukan', 'akta_notaris', "
            "'pengesahan_badan_hukum', 'operasional')",
            name=op.f("ck_formation_stages_stage_known"),
        ),
        sa.CheckConstraint(
            "status IN ('draf', 'diajukan', 'terverifikasi', 'dikembalikan')",
            name=op.f("ck_formation_stages_status_known"),
        ),
        sa.CheckConstraint(
            "attendance IS NULL OR attendance BETWEEN 0 AND 100000",
            name=op.f("ck_formation_stages_attendance_range"),
        ),
        sa.CheckConstraint(
            "status <> 'dikembalikan' OR return_reason IS NOT NULL",
            name=op.f("ck_formation_stages_returned_has_reason"),
        ),
    )
    op.create_table(
        "formation_evidence",
        *_tenant_columns("formation_evidence"),
        sa.Column("stage_id", sa.BigInteger(), nullable=False),
        sa.Column("filename", sa.String(length=200), nullable=False),
        sa.Column("content_type", sa.String(length=40), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("storage_key", sa.String(length=200), nullable=False),
        sa.Column("uploaded_by", sa.BigInteger(), nullable=True),
        sa.Column("uploaded_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id", "stage_id"],
            ["formation_stages.tenant_id", "formation_stages.id"],
            name=op.f("fk_formation_evidence_tenant_id_stage_id_formation_stages"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["uploaded_by"], ["users.id"], name=op.f("fk_formation_evidence_uploaded_by_users")
        ),
        sa.UniqueConstraint("storage_key", name=op.f("uq_formation_evidence_storage_key")),
        sa.CheckConstraint(
            "content_type IN ('application/pdf', 'image/jpeg', 'image/png')",
            name=op.f("ck_formation_evidence_content_type_known"),
        ),
        sa.CheckConstraint("size > 0", name=op.f("ck_formation_evidence_size_positive")),
    )
    for table in TENANT_TABLES:
        for statement in enable_tenant_rls(table):
            op.execute(statement)


def downgrade() -> None:
    for table in reversed(TENANT_TABLES):
        op.drop_table(table)
    op.drop_constraint("ck_cooperatives_formation_model_known", "cooperatives", type_="check")
    for column in (
        "stages_awaiting_review",
        "verified_stage",
        "founded_on",
        "email",
        "phone",
        "address",
        "formation_model",
    ):
        op.drop_column("cooperatives", column)
