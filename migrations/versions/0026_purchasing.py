"""purchasing

Revision ID: 0026_purchasing
Revises: 0025_inventory_lots

Suppliers, purchase orders and their lines, goods receipts and their lines, supplier invoices and
payments, each under forced row-level security with composite tenant keys; payments are
append-only.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from tenants.rls import append_only, enable_tenant_rls

NEW_TABLES = (
    "purchasing_suppliers",
    "purchasing_invoices",
    "purchasing_orders",
    "purchasing_order_lines",
    "purchasing_payments",
    "purchasing_receipts",
    "purchasing_receipt_lines",
)
APPEND_ONLY = ("purchasing_payments",)

revision: str = "0026_purchasing"
down_revision: str | None = "0025_inventory_lots"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "purchasing_suppliers",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("member_id", sa.BigInteger(), nullable=True),
        sa.Column("npwp", sa.String(length=16), nullable=True),
        sa.Column("phone", sa.String(length=16), nullable=True),
        sa.Column("address", sa.String(length=200), nullable=True),
        sa.Column("bank_name", sa.String(length=60), nullable=True),
        sa.Column("bank_account", sa.String(length=20), nullable=True),
        sa.Column("payment_terms_days", sa.Integer(), nullable=False),
        sa.Column("active", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("tenant_id", sa.BigInteger(), nullable=False),
        sa.CheckConstraint(
            "(kind = 'petani_anggota') = (member_id IS NOT NULL)",
            name=op.f("ck_purchasing_suppliers_member_iff_farmer"),
        ),
        sa.CheckConstraint(
            "bank_account IS NULL OR bank_account ~ '^[0-9]{5,20}$'",
            name=op.f("ck_purchasing_suppliers_bank_account_digits"),
        ),
        sa.CheckConstraint(
            "kind IN ('bulog', 'pupuk_indonesia', 'pertamina', 'id_food', 'petani_anggota', 'lainnya')",
            name=op.f("ck_purchasing_suppliers_kind_known"),
        ),
        sa.CheckConstraint(
            "npwp IS NULL OR npwp ~ '^[0-9]{16}$'", name=op.f("ck_purchasing_suppliers_npwp_sixteen_digits")
        ),
        sa.CheckConstraint(
            "payment_terms_days BETWEEN 0 AND 365", name=op.f("ck_purchasing_suppliers_terms_range")
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "member_id"],
            ["members.tenant_id", "members.id"],
            name=op.f("fk_purchasing_suppliers_tenant_id_member_id_members"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["cooperatives.id"], name=op.f("fk_purchasing_suppliers_tenant_id_cooperatives")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_purchasing_suppliers")),
        sa.UniqueConstraint("tenant_id", "id", name=op.f("uq_purchasing_suppliers_tenant_id_id")),
        sa.UniqueConstraint(
            "tenant_id", "member_id", name=op.f("uq_purchasing_suppliers_tenant_id_member_id")
        ),
    )
    op.create_index(
        "ix_purchasing_suppliers_tenant_id_name", "purchasing_suppliers", ["tenant_id", "name"], unique=False
    )
    op.create_table(
        "purchasing_invoices",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("supplier_id", sa.BigInteger(), nullable=False),
        sa.Column("number", sa.String(length=40), nullable=False),
        sa.Column("invoice_date", sa.Date(), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("received_value", sa.BigInteger(), nullable=False),
        sa.Column("difference_note", sa.String(length=200), nullable=True),
        sa.Column("paid", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column("journal_entry_id", sa.BigInteger(), nullable=True),
        sa.Column("created_by", sa.BigInteger(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("tenant_id", sa.BigInteger(), nullable=False),
        sa.CheckConstraint(
            "amount = received_value OR difference_note IS NOT NULL",
            name=op.f("ck_purchasing_invoices_difference_explained"),
        ),
        sa.CheckConstraint("amount > 0", name=op.f("ck_purchasing_invoices_amount_positive")),
        sa.CheckConstraint("due_on >= invoice_date", name=op.f("ck_purchasing_invoices_due_after_date")),
        sa.CheckConstraint(
            "paid >= 0 AND paid <= amount", name=op.f("ck_purchasing_invoices_paid_within_amount")
        ),
        sa.CheckConstraint("received_value > 0", name=op.f("ck_purchasing_invoices_received_value_positive")),
        sa.ForeignKeyConstraint(
            ["created_by"], ["users.id"], name=op.f("fk_purchasing_invoices_created_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "journal_entry_id"],
            ["journal_entries.tenant_id", "journal_entries.id"],
            name=op.f("fk_purchasing_invoices_tenant_id_journal_entry_id_journal_entries"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "supplier_id"],
            ["purchasing_suppliers.tenant_id", "purchasing_suppliers.id"],
            name=op.f("fk_purchasing_invoices_tenant_id_supplier_id_purchasing_suppliers"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["cooperatives.id"], name=op.f("fk_purchasing_invoices_tenant_id_cooperatives")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_purchasing_invoices")),
        sa.UniqueConstraint("tenant_id", "id", name=op.f("uq_purchasing_invoices_tenant_id_id")),
        sa.UniqueConstraint(
            "tenant_id",
            "supplier_id",
            "number",
            name=op.f("uq_purchasing_invoices_tenant_id_supplier_id_number"),
        ),
    )
    op.create_index(
        "ix_purchasing_invoices_tenant_id_due_on",
        "purchasing_invoices",
        ["tenant_id", "due_on"],
        unique=False,
    )
    op.create_table(
        "purchasing_orders",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("number", sa.String(length=24), nullable=False),
        sa.Column("supplier_id", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("ordered_on", sa.Date(), nullable=False),
        sa.Column("expected_on", sa.Date(), nullable=True),
        sa.Column("note", sa.String(length=300), nullable=True),
        sa.Column("total", sa.BigInteger(), nullable=False),
        sa.Column("created_by", sa.BigInteger(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("tenant_id", sa.BigInteger(), nullable=False),
        sa.CheckConstraint(
            "status IN ('draft', 'dipesan', 'sebagian', 'diterima', 'dibatalkan')",
            name=op.f("ck_purchasing_orders_status_known"),
        ),
        sa.CheckConstraint("total > 0", name=op.f("ck_purchasing_orders_total_positive")),
        sa.ForeignKeyConstraint(
            ["created_by"], ["users.id"], name=op.f("fk_purchasing_orders_created_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "supplier_id"],
            ["purchasing_suppliers.tenant_id", "purchasing_suppliers.id"],
            name=op.f("fk_purchasing_orders_tenant_id_supplier_id_purchasing_suppliers"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["cooperatives.id"], name=op.f("fk_purchasing_orders_tenant_id_cooperatives")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_purchasing_orders")),
        sa.UniqueConstraint("tenant_id", "id", name=op.f("uq_purchasing_orders_tenant_id_id")),
        sa.UniqueConstraint("tenant_id", "number", name=op.f("uq_purchasing_orders_tenant_id_number")),
    )
    op.create_index(
        "ix_purchasing_orders_tenant_id_supplier_id",
        "purchasing_orders",
        ["tenant_id", "supplier_id"],
        unique=False,
    )
    op.create_table(
        "purchasing_order_lines",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("order_id", sa.BigInteger(), nullable=False),
        sa.Column("product_id", sa.BigInteger(), nullable=False),
        sa.Column("unit", sa.String(length=20), nullable=True),
        sa.Column("quantity", sa.BigInteger(), nullable=False),
        sa.Column("unit_price", sa.BigInteger(), nullable=False),
        sa.Column("received", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column("tenant_id", sa.BigInteger(), nullable=False),
        sa.CheckConstraint("quantity > 0", name=op.f("ck_purchasing_order_lines_quantity_positive")),
        sa.CheckConstraint(
            "received >= 0 AND received <= quantity",
            name=op.f("ck_purchasing_order_lines_received_within_ordered"),
        ),
        sa.CheckConstraint("unit_price > 0", name=op.f("ck_purchasing_order_lines_unit_price_positive")),
        sa.ForeignKeyConstraint(
            ["tenant_id", "order_id"],
            ["purchasing_orders.tenant_id", "purchasing_orders.id"],
            name=op.f("fk_purchasing_order_lines_tenant_id_order_id_purchasing_orders"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "product_id"],
            ["inventory_products.tenant_id", "inventory_products.id"],
            name=op.f("fk_purchasing_order_lines_tenant_id_product_id_inventory_products"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["cooperatives.id"], name=op.f("fk_purchasing_order_lines_tenant_id_cooperatives")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_purchasing_order_lines")),
        sa.UniqueConstraint("tenant_id", "id", name=op.f("uq_purchasing_order_lines_tenant_id_id")),
    )
    op.create_index(
        "ix_purchasing_order_lines_tenant_id_order_id",
        "purchasing_order_lines",
        ["tenant_id", "order_id"],
        unique=False,
    )
    op.create_table(
        "purchasing_payments",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("invoice_id", sa.BigInteger(), nullable=False),
        sa.Column("supplier_id", sa.BigInteger(), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("method", sa.String(length=8), nullable=False),
        sa.Column("reference", sa.String(length=60), nullable=True),
        sa.Column("paid_on", sa.Date(), nullable=False),
        sa.Column("idempotency_key", sa.String(length=120), nullable=False),
        sa.Column("journal_entry_id", sa.BigInteger(), nullable=False),
        sa.Column("created_by", sa.BigInteger(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("tenant_id", sa.BigInteger(), nullable=False),
        sa.CheckConstraint("method IN ('kas', 'bank')", name=op.f("ck_purchasing_payments_method_known")),
        sa.CheckConstraint("amount > 0", name=op.f("ck_purchasing_payments_amount_positive")),
        sa.ForeignKeyConstraint(
            ["created_by"], ["users.id"], name=op.f("fk_purchasing_payments_created_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "invoice_id"],
            ["purchasing_invoices.tenant_id", "purchasing_invoices.id"],
            name=op.f("fk_purchasing_payments_tenant_id_invoice_id_purchasing_invoices"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "journal_entry_id"],
            ["journal_entries.tenant_id", "journal_entries.id"],
            name=op.f("fk_purchasing_payments_tenant_id_journal_entry_id_journal_entries"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "supplier_id"],
            ["purchasing_suppliers.tenant_id", "purchasing_suppliers.id"],
            name=op.f("fk_purchasing_payments_tenant_id_supplier_id_purchasing_suppliers"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["cooperatives.id"], name=op.f("fk_purchasing_payments_tenant_id_cooperatives")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_purchasing_payments")),
        sa.UniqueConstraint("tenant_id", "id", name=op.f("uq_purchasing_payments_tenant_id_id")),
        sa.UniqueConstraint(
            "tenant_id", "idempotency_key", name=op.f("uq_purchasing_payments_tenant_id_idempotency_key")
        ),
    )
    op.create_index(
        "ix_purchasing_payments_tenant_id_invoice_id",
        "purchasing_payments",
        ["tenant_id", "invoice_id"],
        unique=False,
    )
    op.create_table(
        "purchasing_receipts",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("number", sa.String(length=24), nullable=False),
        sa.Column("supplier_id", sa.BigInteger(), nullable=False),
        sa.Column("order_id", sa.BigInteger(), nullable=True),
        sa.Column("location_id", sa.BigInteger(), nullable=False),
        sa.Column("received_on", sa.Date(), nullable=False),
        sa.Column("total", sa.BigInteger(), nullable=False),
        sa.Column("note", sa.String(length=200), nullable=True),
        sa.Column("idempotency_key", sa.String(length=120), nullable=False),
        sa.Column("invoice_id", sa.BigInteger(), nullable=True),
        sa.Column("created_by", sa.BigInteger(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("tenant_id", sa.BigInteger(), nullable=False),
        sa.CheckConstraint("total > 0", name=op.f("ck_purchasing_receipts_total_positive")),
        sa.ForeignKeyConstraint(
            ["created_by"], ["users.id"], name=op.f("fk_purchasing_receipts_created_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "invoice_id"],
            ["purchasing_invoices.tenant_id", "purchasing_invoices.id"],
            name=op.f("fk_purchasing_receipts_tenant_id_invoice_id_purchasing_invoices"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "location_id"],
            ["inventory_locations.tenant_id", "inventory_locations.id"],
            name=op.f("fk_purchasing_receipts_tenant_id_location_id_inventory_locations"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "order_id"],
            ["purchasing_orders.tenant_id", "purchasing_orders.id"],
            name=op.f("fk_purchasing_receipts_tenant_id_order_id_purchasing_orders"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "supplier_id"],
            ["purchasing_suppliers.tenant_id", "purchasing_suppliers.id"],
            name=op.f("fk_purchasing_receipts_tenant_id_supplier_id_purchasing_suppliers"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["cooperatives.id"], name=op.f("fk_purchasing_receipts_tenant_id_cooperatives")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_purchasing_receipts")),
        sa.UniqueConstraint("tenant_id", "id", name=op.f("uq_purchasing_receipts_tenant_id_id")),
        sa.UniqueConstraint(
            "tenant_id", "idempotency_key", name=op.f("uq_purchasing_receipts_tenant_id_idempotency_key")
        ),
        sa.UniqueConstraint("tenant_id", "number", name=op.f("uq_purchasing_receipts_tenant_id_number")),
    )
    op.create_index(
        "ix_purchasing_receipts_tenant_id_supplier_id",
        "purchasing_receipts",
        ["tenant_id", "supplier_id"],
        unique=False,
    )
    op.create_table(
        "purchasing_receipt_lines",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("receipt_id", sa.BigInteger(), nullable=False),
        sa.Column("order_line_id", sa.BigInteger(), nullable=True),
        sa.Column("product_id", sa.BigInteger(), nullable=False),
        sa.Column("unit", sa.String(length=20), nullable=True),
        sa.Column("quantity", sa.BigInteger(), nullable=False),
        sa.Column("unit_price", sa.BigInteger(), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("lot", sa.String(length=40), nullable=True),
        sa.Column("expires_on", sa.Date(), nullable=True),
        sa.Column("stock_move_id", sa.BigInteger(), nullable=True),
        sa.Column("tenant_id", sa.BigInteger(), nullable=False),
        sa.CheckConstraint(
            "amount = quantity * unit_price",
            name=op.f("ck_purchasing_receipt_lines_amount_is_quantity_times_price"),
        ),
        sa.CheckConstraint("quantity > 0", name=op.f("ck_purchasing_receipt_lines_quantity_positive")),
        sa.CheckConstraint("unit_price > 0", name=op.f("ck_purchasing_receipt_lines_unit_price_positive")),
        sa.ForeignKeyConstraint(
            ["tenant_id", "order_line_id"],
            ["purchasing_order_lines.tenant_id", "purchasing_order_lines.id"],
            name=op.f("fk_purchasing_receipt_lines_tenant_id_order_line_id_purchasing_order_lines"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "product_id"],
            ["inventory_products.tenant_id", "inventory_products.id"],
            name=op.f("fk_purchasing_receipt_lines_tenant_id_product_id_inventory_products"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "receipt_id"],
            ["purchasing_receipts.tenant_id", "purchasing_receipts.id"],
            name=op.f("fk_purchasing_receipt_lines_tenant_id_receipt_id_purchasing_receipts"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "stock_move_id"],
            ["inventory_moves.tenant_id", "inventory_moves.id"],
            name=op.f("fk_purchasing_receipt_lines_tenant_id_stock_move_id_inventory_moves"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["cooperatives.id"],
            name=op.f("fk_purchasing_receipt_lines_tenant_id_cooperatives"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_purchasing_receipt_lines")),
        sa.UniqueConstraint("tenant_id", "id", name=op.f("uq_purchasing_receipt_lines_tenant_id_id")),
    )
    op.create_index(
        "ix_purchasing_receipt_lines_tenant_id_receipt_id",
        "purchasing_receipt_lines",
        ["tenant_id", "receipt_id"],
        unique=False,
    )

    for table in NEW_TABLES:
        for statement in enable_tenant_rls(table):
            op.execute(statement)
    for table in APPEND_ONLY:
        for statement in append_only(table):
            op.execute(statement)


def downgrade() -> None:
    for table in reversed(NEW_TABLES):
        op.drop_table(table)
