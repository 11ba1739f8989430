"""supplier payment approval, returns to the supplier and credit notes

Revision ID: 0035_supplier_returns
Revises: 0032_quota_give_back

Supplier payments at or above a cooperative's threshold wait as requests for a second person
(`purchasing_payment_requests`, threshold in `purchasing_settings`); a payment records who
approved it. Credit notes from a supplier (`purchasing_credits`, with the goods sent back in
`purchasing_credit_lines`) take their amount off an invoice (`credited`) or off a receipt not yet
invoiced, and count what each receipt line had returned. All under forced row-level security
with composite tenant keys; credit notes are append-only.
"""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

from tenants.rls import append_only, enable_tenant_rls

NEW_TABLES = (
    "purchasing_settings",
    "purchasing_payment_requests",
    "purchasing_credits",
    "purchasing_credit_lines",
)
APPEND_ONLY = ("purchasing_credits", "purchasing_credit_lines")

revision: str = "0035_supplier_returns"
down_revision: str | None = "0032_quota_give_back"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _tenant(table: str) -> list[Any]:
    return [
        sa.Column("tenant_id", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["cooperatives.id"], name=op.f(f"fk_{table}_tenant_id_cooperatives")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{table}")),
        sa.UniqueConstraint("tenant_id", "id", name=op.f(f"uq_{table}_tenant_id_id")),
    ]


def _fk(table: str, column: str, target: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["tenant_id", column],
        [f"{target}.tenant_id", f"{target}.id"],
        name=op.f(f"fk_{table}_tenant_id_{column}_{target}"),
    )


def _user(table: str, column: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint([column], ["users.id"], name=op.f(f"fk_{table}_{column}_users"))


def upgrade() -> None:
    op.add_column(
        "purchasing_invoices",
        sa.Column("credited", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
    )
    op.drop_constraint(
        op.f("ck_purchasing_invoices_paid_within_amount"), "purchasing_invoices", type_="check"
    )
    op.create_check_constraint(
        op.f("ck_purchasing_invoices_settled_within_amount"),
        "purchasing_invoices",
        "paid >= 0 AND credited >= 0 AND paid + credited <= amount",
    )
    op.add_column(
        "purchasing_receipts",
        sa.Column("credited", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
    )
    op.create_check_constraint(
        op.f("ck_purchasing_receipts_credited_within_total"),
        "purchasing_receipts",
        "credited >= 0 AND credited <= total",
    )
    op.add_column(
        "purchasing_receipt_lines",
        sa.Column("returned", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
    )
    op.create_check_constraint(
        op.f("ck_purchasing_receipt_lines_returned_within_received"),
        "purchasing_receipt_lines",
        "returned >= 0 AND returned <= quantity",
    )
    op.add_column("purchasing_payments", sa.Column("approved_by", sa.BigInteger(), nullable=True))
    op.create_foreign_key(
        op.f("fk_purchasing_payments_approved_by_users"),
        "purchasing_payments",
        "users",
        ["approved_by"],
        ["id"],
    )

    t = "purchasing_settings"
    op.create_table(
        t,
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("payment_approval_threshold", sa.BigInteger(), nullable=False),
        sa.Column("updated_by", sa.BigInteger(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        *_tenant(t),
        sa.CheckConstraint("payment_approval_threshold > 0", name=op.f(f"ck_{t}_threshold_positive")),
        _user(t, "updated_by"),
        sa.UniqueConstraint("tenant_id", name=op.f(f"uq_{t}_tenant_id")),
    )

    t = "purchasing_payment_requests"
    op.create_table(
        t,
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("invoice_id", sa.BigInteger(), nullable=False),
        sa.Column("supplier_id", sa.BigInteger(), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("method", sa.String(length=8), nullable=False),
        sa.Column("reference", sa.String(length=60), nullable=True),
        sa.Column("idempotency_key", sa.String(length=120), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("requested_by", sa.BigInteger(), nullable=False),
        sa.Column(
            "requested_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
        ),
        sa.Column("decided_by", sa.BigInteger(), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("rejection_reason", sa.String(length=200), nullable=True),
        sa.Column("payment_id", sa.BigInteger(), nullable=True),
        *_tenant(t),
        sa.CheckConstraint("amount > 0", name=op.f(f"ck_{t}_amount_positive")),
        sa.CheckConstraint("method IN ('kas', 'bank')", name=op.f(f"ck_{t}_method_known")),
        sa.CheckConstraint(
            "status IN ('menunggu', 'disetujui', 'ditolak')", name=op.f(f"ck_{t}_status_known")
        ),
        sa.CheckConstraint("decided_by <> requested_by", name=op.f(f"ck_{t}_four_eyes")),
        sa.CheckConstraint(
            "(status = 'menunggu') = (decided_by IS NULL)", name=op.f(f"ck_{t}_decided_has_decider")
        ),
        sa.CheckConstraint(
            "(status = 'disetujui') = (payment_id IS NOT NULL)", name=op.f(f"ck_{t}_approved_has_payment")
        ),
        sa.CheckConstraint(
            "(status = 'ditolak') = (rejection_reason IS NOT NULL)", name=op.f(f"ck_{t}_rejected_has_reason")
        ),
        _fk(t, "invoice_id", "purchasing_invoices"),
        _fk(t, "supplier_id", "purchasing_suppliers"),
        _fk(t, "payment_id", "purchasing_payments"),
        _user(t, "requested_by"),
        _user(t, "decided_by"),
        sa.UniqueConstraint("tenant_id", "idempotency_key", name=op.f(f"uq_{t}_tenant_id_idempotency_key")),
    )
    op.create_index(f"ix_{t}_tenant_id_status", t, ["tenant_id", "status"], unique=False)
    op.create_index(f"ix_{t}_tenant_id_invoice_id", t, ["tenant_id", "invoice_id"], unique=False)

    t = "purchasing_credits"
    op.create_table(
        t,
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("supplier_id", sa.BigInteger(), nullable=False),
        sa.Column("number", sa.String(length=40), nullable=False),
        sa.Column("credit_date", sa.Date(), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("goods_cost", sa.BigInteger(), nullable=False),
        sa.Column("reason", sa.String(length=16), nullable=False),
        sa.Column("note", sa.String(length=200), nullable=True),
        sa.Column("invoice_id", sa.BigInteger(), nullable=True),
        sa.Column("receipt_id", sa.BigInteger(), nullable=True),
        sa.Column("location_id", sa.BigInteger(), nullable=True),
        sa.Column("idempotency_key", sa.String(length=120), nullable=False),
        sa.Column("journal_entry_id", sa.BigInteger(), nullable=False),
        sa.Column("created_by", sa.BigInteger(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        *_tenant(t),
        sa.CheckConstraint("amount > 0", name=op.f(f"ck_{t}_amount_positive")),
        sa.CheckConstraint("goods_cost >= 0", name=op.f(f"ck_{t}_goods_cost_not_negative")),
        sa.CheckConstraint("(invoice_id IS NULL) <> (receipt_id IS NULL)", name=op.f(f"ck_{t}_one_target")),
        sa.CheckConstraint(
            "reason IN ('rusak', 'kedaluwarsa', 'salah_kirim', 'koreksi_harga', 'lainnya')",
            name=op.f(f"ck_{t}_reason_known"),
        ),
        _fk(t, "supplier_id", "purchasing_suppliers"),
        _fk(t, "invoice_id", "purchasing_invoices"),
        _fk(t, "receipt_id", "purchasing_receipts"),
        _fk(t, "location_id", "inventory_locations"),
        _fk(t, "journal_entry_id", "journal_entries"),
        _user(t, "created_by"),
        sa.UniqueConstraint(
            "tenant_id", "supplier_id", "number", name=op.f(f"uq_{t}_tenant_id_supplier_id_number")
        ),
        sa.UniqueConstraint("tenant_id", "idempotency_key", name=op.f(f"uq_{t}_tenant_id_idempotency_key")),
    )
    op.create_index(f"ix_{t}_tenant_id_invoice_id", t, ["tenant_id", "invoice_id"], unique=False)
    op.create_index(f"ix_{t}_tenant_id_receipt_id", t, ["tenant_id", "receipt_id"], unique=False)

    t = "purchasing_credit_lines"
    op.create_table(
        t,
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("credit_id", sa.BigInteger(), nullable=False),
        sa.Column("receipt_line_id", sa.BigInteger(), nullable=False),
        sa.Column("product_id", sa.BigInteger(), nullable=False),
        sa.Column("unit", sa.String(length=20), nullable=True),
        sa.Column("quantity", sa.BigInteger(), nullable=False),
        sa.Column("cost", sa.BigInteger(), nullable=False),
        sa.Column("lot", sa.String(length=40), nullable=True),
        *_tenant(t),
        sa.CheckConstraint("quantity > 0", name=op.f(f"ck_{t}_quantity_positive")),
        sa.CheckConstraint("cost >= 0", name=op.f(f"ck_{t}_cost_not_negative")),
        _fk(t, "credit_id", "purchasing_credits"),
        _fk(t, "receipt_line_id", "purchasing_receipt_lines"),
        _fk(t, "product_id", "inventory_products"),
    )
    op.create_index(f"ix_{t}_tenant_id_credit_id", t, ["tenant_id", "credit_id"], unique=False)

    for table in NEW_TABLES:
        for statement in enable_tenant_rls(table):
            op.execute(statement)
    for table in APPEND_ONLY:
        for statement in append_only(table):
            op.execute(statement)


def downgrade() -> None:
    for table in reversed(NEW_TABLES):
        op.drop_table(table)
    op.drop_constraint(
        op.f("fk_purchasing_payments_approved_by_users"), "purchasing_payments", type_="foreignkey"
    )
    op.drop_column("purchasing_payments", "approved_by")
    op.drop_constraint(
        "ck_purchasing_receipt_lines_returned_within_received", "purchasing_receipt_lines", type_="check"
    )
    op.drop_column("purchasing_receipt_lines", "returned")
    op.drop_constraint(
        op.f("ck_purchasing_receipts_credited_within_total"), "purchasing_receipts", type_="check"
    )
    op.drop_column("purchasing_receipts", "credited")
    op.drop_constraint(
        op.f("ck_purchasing_invoices_settled_within_amount"), "purchasing_invoices", type_="check"
    )
    op.create_check_constraint(
        op.f("ck_purchasing_invoices_paid_within_amount"),
        "purchasing_invoices",
        "paid >= 0 AND paid <= amount",
    )
    op.drop_column("purchasing_invoices", "credited")
