"""PPN at the gerai: the cooperative's PKP status and rate, a product's tax flag, and the PPN of
each sale, sale line, return and return line

Revision ID: 0038_ppn
Revises: 0037_product_photo

Existing rows take the defaults: no cooperative is a PKP, no product is taxed, no sale carried PPN.
The PPN account (2-1311 Utang PPN Keluaran) is added to a cooperative's chart when it becomes a
PKP (`tenants.service.save_legal_data`), in that transaction, so no chart is touched here.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0038_ppn"
down_revision: str | None = "0037_product_photo"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _money(name: str) -> sa.Column:
    return sa.Column(name, sa.BigInteger(), server_default="0", nullable=False)


def upgrade() -> None:
    op.add_column(
        "cooperative_legal", sa.Column("pkp", sa.Boolean(), server_default=sa.text("false"), nullable=False)
    )
    op.add_column("cooperative_legal", sa.Column("pkp_since", sa.Date(), nullable=True))
    op.add_column(
        "cooperative_legal",
        sa.Column("ppn_rate", sa.Integer(), server_default=sa.text("1100"), nullable=False),
    )
    op.create_check_constraint(
        op.f("ck_cooperative_legal_pkp_has_npwp"),
        "cooperative_legal",
        "NOT pkp OR (npwp IS NOT NULL AND pkp_since IS NOT NULL)",
    )
    op.create_check_constraint(
        op.f("ck_cooperative_legal_ppn_rate_range"), "cooperative_legal", "ppn_rate BETWEEN 1 AND 2500"
    )
    op.add_column(
        "inventory_products",
        sa.Column("kena_ppn", sa.Boolean(), server_default=sa.text("false"), nullable=False),
    )
    op.add_column("pos_sales", sa.Column("ppn_rate", sa.Integer(), nullable=True))
    op.add_column("pos_sales", _money("ppn_base"))
    op.add_column("pos_sales", _money("ppn"))
    op.create_check_constraint(
        op.f("ck_pos_sales_ppn_within_base"),
        "pos_sales",
        "ppn >= 0 AND ppn <= ppn_base AND ppn_base <= total",
    )
    op.create_check_constraint(
        op.f("ck_pos_sales_ppn_only_when_pkp"),
        "pos_sales",
        "(ppn_rate IS NULL AND ppn_base = 0) OR ppn_rate BETWEEN 1 AND 2500",
    )
    for table in ("pos_sale_lines", "pos_returns", "pos_return_lines"):
        op.add_column(table, _money("ppn"))
        op.create_check_constraint(op.f(f"ck_{table}_ppn_within_amount"), table, "ppn >= 0 AND ppn <= amount")


def downgrade() -> None:
    for table in ("pos_return_lines", "pos_returns", "pos_sale_lines"):
        op.drop_constraint(op.f(f"ck_{table}_ppn_within_amount"), table, type_="check")
        op.drop_column(table, "ppn")
    op.drop_constraint(op.f("ck_pos_sales_ppn_only_when_pkp"), "pos_sales", type_="check")
    op.drop_constraint(op.f("ck_pos_sales_ppn_within_base"), "pos_sales", type_="check")
    for column in ("ppn", "ppn_base", "ppn_rate"):
        op.drop_column("pos_sales", column)
    op.drop_column("inventory_products", "kena_ppn")
    op.drop_constraint(op.f("ck_cooperative_legal_ppn_rate_range"), "cooperative_legal", type_="check")
    op.drop_constraint(op.f("ck_cooperative_legal_pkp_has_npwp"), "cooperative_legal", type_="check")
    for column in ("ppn_rate", "pkp_since", "pkp"):
        op.drop_column("cooperative_legal", column)
