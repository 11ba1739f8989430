"""pos counter

Revision ID: 0020_pos_counter
Revises: 0019_member_photos

The counter grows up: kasir shifts with opening float and counted close, discounts on sales and
lines, split payments (cash, QRIS, transfer, member credit), voids and returns with their lines,
receipt prints (original and copies), supervisors' PINs, member kasbon and its repayments, and the
cooperative's counter settings. New tables under forced row-level security; the append-only ones
refuse UPDATE and DELETE. It comes after both 0016 revisions committed beside it, so the history
has one head.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from tenants.rls import append_only, enable_tenant_rls

NEW_TABLES = (
    "pos_settings",
    "pos_supervisor_pins",
    "pos_member_credit",
    "pos_shifts",
    "pos_credit_repayments",
    "pos_payments",
    "pos_receipt_prints",
    "pos_returns",
    "pos_return_lines",
)
APPEND_ONLY = (
    "pos_credit_repayments",
    "pos_payments",
    "pos_receipt_prints",
    "pos_returns",
    "pos_return_lines",
)

revision: str = "0020_pos_counter"
down_revision: str | None = "0019_member_photos"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "pos_settings",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("default_credit_limit", sa.BigInteger(), nullable=False),
        sa.Column("receipt_width", sa.BigInteger(), nullable=False),
        sa.Column("tenant_id", sa.BigInteger(), nullable=False),
        sa.CheckConstraint("default_credit_limit >= 0", name=op.f("ck_pos_settings_limit_not_negative")),
        sa.CheckConstraint("receipt_width IN (58, 80)", name=op.f("ck_pos_settings_width_known")),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["cooperatives.id"], name=op.f("fk_pos_settings_tenant_id_cooperatives")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pos_settings")),
        sa.UniqueConstraint("tenant_id", "id", name=op.f("uq_pos_settings_tenant_id_id")),
        sa.UniqueConstraint("tenant_id", name=op.f("uq_pos_settings_tenant_id")),
    )
    op.create_table(
        "pos_supervisor_pins",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("pin_hash", sa.Text(), nullable=False),
        sa.Column("set_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("tenant_id", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["cooperatives.id"], name=op.f("fk_pos_supervisor_pins_tenant_id_cooperatives")
        ),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_pos_supervisor_pins_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pos_supervisor_pins")),
        sa.UniqueConstraint("tenant_id", "id", name=op.f("uq_pos_supervisor_pins_tenant_id_id")),
        sa.UniqueConstraint("tenant_id", "user_id", name=op.f("uq_pos_supervisor_pins_tenant_id_user_id")),
    )
    op.create_table(
        "pos_member_credit",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("member_id", sa.BigInteger(), nullable=False),
        sa.Column("balance", sa.BigInteger(), nullable=False),
        sa.Column("credit_limit", sa.BigInteger(), nullable=True),
        sa.Column("tenant_id", sa.BigInteger(), nullable=False),
        sa.CheckConstraint("balance >= 0", name=op.f("ck_pos_member_credit_balance_not_negative")),
        sa.CheckConstraint(
            "credit_limit IS NULL OR credit_limit >= 0", name=op.f("ck_pos_member_credit_limit_not_negative")
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "member_id"],
            ["members.tenant_id", "members.id"],
            name=op.f("fk_pos_member_credit_tenant_id_member_id_members"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["cooperatives.id"], name=op.f("fk_pos_member_credit_tenant_id_cooperatives")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pos_member_credit")),
        sa.UniqueConstraint("tenant_id", "id", name=op.f("uq_pos_member_credit_tenant_id_id")),
        sa.UniqueConstraint("tenant_id", "member_id", name=op.f("uq_pos_member_credit_tenant_id_member_id")),
    )
    op.create_table(
        "pos_shifts",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("location_id", sa.BigInteger(), nullable=False),
        sa.Column("kasir_id", sa.BigInteger(), nullable=False),
        sa.Column("business_day", sa.Date(), nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("opening_float", sa.BigInteger(), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("counted_cash", sa.BigInteger(), nullable=True),
        sa.Column("denominations", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("expected_cash", sa.BigInteger(), nullable=True),
        sa.Column("variance", sa.BigInteger(), nullable=True),
        sa.Column("variance_entry_id", sa.BigInteger(), nullable=True),
        sa.Column("note", sa.String(length=200), nullable=True),
        sa.Column("tenant_id", sa.BigInteger(), nullable=False),
        sa.CheckConstraint(
            "(closed_at IS NULL) = (counted_cash IS NULL) AND (closed_at IS NULL) = (expected_cash IS NULL)",
            name=op.f("ck_pos_shifts_closed_is_counted"),
        ),
        sa.CheckConstraint(
            "closed_at IS NULL OR variance = counted_cash - expected_cash",
            name=op.f("ck_pos_shifts_variance_is_difference"),
        ),
        sa.CheckConstraint(
            "counted_cash IS NULL OR counted_cash >= 0", name=op.f("ck_pos_shifts_counted_not_negative")
        ),
        sa.CheckConstraint("opening_float >= 0", name=op.f("ck_pos_shifts_float_not_negative")),
        sa.ForeignKeyConstraint(["kasir_id"], ["users.id"], name=op.f("fk_pos_shifts_kasir_id_users")),
        sa.ForeignKeyConstraint(
            ["tenant_id", "location_id"],
            ["inventory_locations.tenant_id", "inventory_locations.id"],
            name=op.f("fk_pos_shifts_tenant_id_location_id_inventory_locations"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "variance_entry_id"],
            ["journal_entries.tenant_id", "journal_entries.id"],
            name=op.f("fk_pos_shifts_tenant_id_variance_entry_id_journal_entries"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["cooperatives.id"], name=op.f("fk_pos_shifts_tenant_id_cooperatives")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pos_shifts")),
        sa.UniqueConstraint("tenant_id", "id", name=op.f("uq_pos_shifts_tenant_id_id")),
    )
    op.create_index(
        "ix_pos_shifts_one_open_per_kasir",
        "pos_shifts",
        ["tenant_id", "kasir_id"],
        unique=True,
        postgresql_where=sa.text("closed_at IS NULL"),
    )
    op.create_index(
        "ix_pos_shifts_tenant_id_business_day", "pos_shifts", ["tenant_id", "business_day"], unique=False
    )
    op.create_table(
        "pos_credit_repayments",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("member_id", sa.BigInteger(), nullable=False),
        sa.Column("shift_id", sa.BigInteger(), nullable=False),
        sa.Column("kasir_id", sa.BigInteger(), nullable=False),
        sa.Column("paid_on", sa.Date(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("method", sa.String(length=10), nullable=False),
        sa.Column("reference", sa.String(length=60), nullable=True),
        sa.Column("idempotency_key", sa.String(length=120), nullable=False),
        sa.Column("journal_entry_id", sa.BigInteger(), nullable=False),
        sa.Column("tenant_id", sa.BigInteger(), nullable=False),
        sa.CheckConstraint(
            "(method = 'tunai') = (reference IS NULL)",
            name=op.f("ck_pos_credit_repayments_non_cash_referenced"),
        ),
        sa.CheckConstraint(
            "method IN ('tunai', 'qris', 'transfer')", name=op.f("ck_pos_credit_repayments_method_known")
        ),
        sa.CheckConstraint("amount > 0", name=op.f("ck_pos_credit_repayments_amount_positive")),
        sa.ForeignKeyConstraint(
            ["kasir_id"], ["users.id"], name=op.f("fk_pos_credit_repayments_kasir_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "journal_entry_id"],
            ["journal_entries.tenant_id", "journal_entries.id"],
            name=op.f("fk_pos_credit_repayments_tenant_id_journal_entry_id_journal_entries"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "member_id"],
            ["members.tenant_id", "members.id"],
            name=op.f("fk_pos_credit_repayments_tenant_id_member_id_members"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "shift_id"],
            ["pos_shifts.tenant_id", "pos_shifts.id"],
            name=op.f("fk_pos_credit_repayments_tenant_id_shift_id_pos_shifts"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["cooperatives.id"], name=op.f("fk_pos_credit_repayments_tenant_id_cooperatives")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pos_credit_repayments")),
        sa.UniqueConstraint("tenant_id", "id", name=op.f("uq_pos_credit_repayments_tenant_id_id")),
        sa.UniqueConstraint(
            "tenant_id", "idempotency_key", name=op.f("uq_pos_credit_repayments_tenant_id_idempotency_key")
        ),
    )
    op.create_index(
        "ix_pos_credit_repayments_tenant_id_member_id",
        "pos_credit_repayments",
        ["tenant_id", "member_id"],
        unique=False,
    )
    op.create_table(
        "pos_payments",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("sale_id", sa.BigInteger(), nullable=False),
        sa.Column("method", sa.String(length=10), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("reference", sa.String(length=60), nullable=True),
        sa.Column("tenant_id", sa.BigInteger(), nullable=False),
        sa.CheckConstraint(
            "(method IN ('qris', 'transfer')) = (reference IS NOT NULL)",
            name=op.f("ck_pos_payments_non_cash_referenced"),
        ),
        sa.CheckConstraint(
            "method IN ('tunai', 'qris', 'transfer', 'kredit')", name=op.f("ck_pos_payments_method_known")
        ),
        sa.CheckConstraint("amount > 0", name=op.f("ck_pos_payments_amount_positive")),
        sa.ForeignKeyConstraint(
            ["tenant_id", "sale_id"],
            ["pos_sales.tenant_id", "pos_sales.id"],
            name=op.f("fk_pos_payments_tenant_id_sale_id_pos_sales"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["cooperatives.id"], name=op.f("fk_pos_payments_tenant_id_cooperatives")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pos_payments")),
        sa.UniqueConstraint("tenant_id", "id", name=op.f("uq_pos_payments_tenant_id_id")),
    )
    op.create_index(
        "ix_pos_payments_tenant_id_sale_id", "pos_payments", ["tenant_id", "sale_id"], unique=False
    )
    op.create_table(
        "pos_receipt_prints",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("sale_id", sa.BigInteger(), nullable=False),
        sa.Column("number", sa.BigInteger(), nullable=False),
        sa.Column("printed_by", sa.BigInteger(), nullable=True),
        sa.Column("printed_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("form", sa.String(length=8), nullable=False),
        sa.Column("tenant_id", sa.BigInteger(), nullable=False),
        sa.CheckConstraint("number > 0", name=op.f("ck_pos_receipt_prints_number_positive")),
        sa.ForeignKeyConstraint(
            ["printed_by"], ["users.id"], name=op.f("fk_pos_receipt_prints_printed_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "sale_id"],
            ["pos_sales.tenant_id", "pos_sales.id"],
            name=op.f("fk_pos_receipt_prints_tenant_id_sale_id_pos_sales"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["cooperatives.id"], name=op.f("fk_pos_receipt_prints_tenant_id_cooperatives")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pos_receipt_prints")),
        sa.UniqueConstraint("tenant_id", "id", name=op.f("uq_pos_receipt_prints_tenant_id_id")),
        sa.UniqueConstraint(
            "tenant_id", "sale_id", "number", name=op.f("uq_pos_receipt_prints_tenant_id_sale_id_number")
        ),
    )
    op.create_table(
        "pos_returns",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("sale_id", sa.BigInteger(), nullable=False),
        sa.Column("kind", sa.String(length=6), nullable=False),
        sa.Column("shift_id", sa.BigInteger(), nullable=False),
        sa.Column("kasir_id", sa.BigInteger(), nullable=False),
        sa.Column("supervisor_id", sa.BigInteger(), nullable=False),
        sa.Column("returned_on", sa.Date(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("reason", sa.String(length=200), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("cost", sa.BigInteger(), nullable=False),
        sa.Column("refund_cash", sa.BigInteger(), nullable=False),
        sa.Column("refund_bank", sa.BigInteger(), nullable=False),
        sa.Column("refund_credit", sa.BigInteger(), nullable=False),
        sa.Column("idempotency_key", sa.String(length=120), nullable=False),
        sa.Column("journal_entry_id", sa.BigInteger(), nullable=False),
        sa.Column("tenant_id", sa.BigInteger(), nullable=False),
        sa.CheckConstraint("kind IN ('void', 'retur')", name=op.f("ck_pos_returns_kind_known")),
        sa.CheckConstraint(
            "amount = refund_cash + refund_bank + refund_credit", name=op.f("ck_pos_returns_refund_is_amount")
        ),
        sa.CheckConstraint("amount > 0", name=op.f("ck_pos_returns_amount_positive")),
        sa.CheckConstraint(
            "refund_cash >= 0 AND refund_bank >= 0 AND refund_credit >= 0",
            name=op.f("ck_pos_returns_refunds_not_negative"),
        ),
        sa.ForeignKeyConstraint(["kasir_id"], ["users.id"], name=op.f("fk_pos_returns_kasir_id_users")),
        sa.ForeignKeyConstraint(
            ["supervisor_id"], ["users.id"], name=op.f("fk_pos_returns_supervisor_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "journal_entry_id"],
            ["journal_entries.tenant_id", "journal_entries.id"],
            name=op.f("fk_pos_returns_tenant_id_journal_entry_id_journal_entries"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "sale_id"],
            ["pos_sales.tenant_id", "pos_sales.id"],
            name=op.f("fk_pos_returns_tenant_id_sale_id_pos_sales"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "shift_id"],
            ["pos_shifts.tenant_id", "pos_shifts.id"],
            name=op.f("fk_pos_returns_tenant_id_shift_id_pos_shifts"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["cooperatives.id"], name=op.f("fk_pos_returns_tenant_id_cooperatives")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pos_returns")),
        sa.UniqueConstraint("tenant_id", "id", name=op.f("uq_pos_returns_tenant_id_id")),
        sa.UniqueConstraint(
            "tenant_id", "idempotency_key", name=op.f("uq_pos_returns_tenant_id_idempotency_key")
        ),
    )
    op.create_index(
        "ix_pos_returns_one_void_per_sale",
        "pos_returns",
        ["tenant_id", "sale_id"],
        unique=True,
        postgresql_where=sa.text("kind = 'void'"),
    )
    op.create_index(
        "ix_pos_returns_tenant_id_returned_on", "pos_returns", ["tenant_id", "returned_on"], unique=False
    )
    op.create_index("ix_pos_returns_tenant_id_sale_id", "pos_returns", ["tenant_id", "sale_id"], unique=False)
    op.create_table(
        "pos_return_lines",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("return_id", sa.BigInteger(), nullable=False),
        sa.Column("sale_line_id", sa.BigInteger(), nullable=False),
        sa.Column("product_id", sa.BigInteger(), nullable=False),
        sa.Column("quantity", sa.BigInteger(), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("cost", sa.BigInteger(), nullable=False),
        sa.Column("restocked", sa.Boolean(), nullable=False),
        sa.Column("tenant_id", sa.BigInteger(), nullable=False),
        sa.CheckConstraint(
            "amount >= 0 AND cost >= 0", name=op.f("ck_pos_return_lines_amounts_not_negative")
        ),
        sa.CheckConstraint("quantity > 0", name=op.f("ck_pos_return_lines_quantity_positive")),
        sa.ForeignKeyConstraint(
            ["tenant_id", "product_id"],
            ["inventory_products.tenant_id", "inventory_products.id"],
            name=op.f("fk_pos_return_lines_tenant_id_product_id_inventory_products"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "return_id"],
            ["pos_returns.tenant_id", "pos_returns.id"],
            name=op.f("fk_pos_return_lines_tenant_id_return_id_pos_returns"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "sale_line_id"],
            ["pos_sale_lines.tenant_id", "pos_sale_lines.id"],
            name=op.f("fk_pos_return_lines_tenant_id_sale_line_id_pos_sale_lines"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["cooperatives.id"], name=op.f("fk_pos_return_lines_tenant_id_cooperatives")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pos_return_lines")),
        sa.UniqueConstraint("tenant_id", "id", name=op.f("uq_pos_return_lines_tenant_id_id")),
    )
    op.create_index(
        "ix_pos_return_lines_tenant_id_return_id",
        "pos_return_lines",
        ["tenant_id", "return_id"],
        unique=False,
    )
    op.create_index(
        "ix_pos_return_lines_tenant_id_sale_line_id",
        "pos_return_lines",
        ["tenant_id", "sale_line_id"],
        unique=False,
    )
    op.add_column(
        "pos_sale_lines", sa.Column("discount", sa.BigInteger(), server_default="0", nullable=False)
    )
    op.add_column("pos_sales", sa.Column("shift_id", sa.BigInteger(), nullable=True))
    op.add_column("pos_sales", sa.Column("discount", sa.BigInteger(), server_default="0", nullable=False))
    op.add_column("pos_sales", sa.Column("discount_approved_by", sa.BigInteger(), nullable=True))
    op.create_index("ix_pos_sales_tenant_id_shift_id", "pos_sales", ["tenant_id", "shift_id"], unique=False)
    op.create_foreign_key(
        op.f("fk_pos_sales_discount_approved_by_users"),
        "pos_sales",
        "users",
        ["discount_approved_by"],
        ["id"],
    )
    op.create_foreign_key(
        op.f("fk_pos_sales_tenant_id_shift_id_pos_shifts"),
        "pos_sales",
        "pos_shifts",
        ["tenant_id", "shift_id"],
        ["tenant_id", "id"],
    )
    # ### end Alembic commands ###

    op.drop_constraint(op.f("ck_pos_sales_method_known"), "pos_sales", type_="check")
    op.drop_constraint(op.f("ck_pos_sales_non_cash_referenced"), "pos_sales", type_="check")
    op.create_check_constraint(
        op.f("ck_pos_sales_method_known"),
        "pos_sales",
        "payment_method IN ('tunai', 'qris', 'transfer', 'kredit', 'campuran')",
    )
    op.create_check_constraint(op.f("ck_pos_sales_discount_not_negative"), "pos_sales", "discount >= 0")
    op.create_check_constraint(
        op.f("ck_pos_sales_credit_has_member"),
        "pos_sales",
        "payment_method <> 'kredit' OR member_id IS NOT NULL",
    )
    op.drop_constraint(
        op.f("ck_pos_sale_lines_amount_is_quantity_times_price"), "pos_sale_lines", type_="check"
    )
    op.create_check_constraint(
        op.f("ck_pos_sale_lines_discount_not_negative"), "pos_sale_lines", "discount >= 0"
    )
    op.create_check_constraint(
        op.f("ck_pos_sale_lines_amount_is_net"), "pos_sale_lines", "amount = quantity * price - discount"
    )
    op.create_check_constraint(op.f("ck_pos_sale_lines_amount_positive"), "pos_sale_lines", "amount > 0")
    # the payments of sales made before this revision: one each, as the sale recorded it
    op.execute(
        "INSERT INTO pos_payments (tenant_id, sale_id, method, amount, reference) "
        "SELECT tenant_id, id, payment_method, paid, "
        "CASE WHEN payment_method = 'tunai' THEN NULL ELSE payment_reference END FROM pos_sales"
    )
    for table in NEW_TABLES:
        for statement in enable_tenant_rls(table):
            op.execute(statement)
    for table in APPEND_ONLY:
        for statement in append_only(table):
            op.execute(statement)


def downgrade() -> None:
    op.drop_constraint(op.f("ck_pos_sale_lines_amount_positive"), "pos_sale_lines", type_="check")
    op.drop_constraint(op.f("ck_pos_sale_lines_amount_is_net"), "pos_sale_lines", type_="check")
    op.drop_constraint(op.f("ck_pos_sale_lines_discount_not_negative"), "pos_sale_lines", type_="check")
    op.create_check_constraint(
        op.f("ck_pos_sale_lines_amount_is_quantity_times_price"),
        "pos_sale_lines",
        "amount = quantity * price",
    )
    op.drop_constraint(op.f("ck_pos_sales_credit_has_member"), "pos_sales", type_="check")
    op.drop_constraint(op.f("ck_pos_sales_discount_not_negative"), "pos_sales", type_="check")
    op.drop_constraint(op.f("ck_pos_sales_method_known"), "pos_sales", type_="check")
    op.create_check_constraint(
        op.f("ck_pos_sales_method_known"), "pos_sales", "payment_method IN ('tunai', 'qris', 'transfer')"
    )
    op.create_check_constraint(
        op.f("ck_pos_sales_non_cash_referenced"),
        "pos_sales",
        "payment_method = 'tunai' OR (payment_reference IS NOT NULL AND change = 0)",
    )
    op.drop_constraint(op.f("fk_pos_sales_tenant_id_shift_id_pos_shifts"), "pos_sales", type_="foreignkey")
    op.drop_constraint(op.f("fk_pos_sales_discount_approved_by_users"), "pos_sales", type_="foreignkey")
    op.drop_index("ix_pos_sales_tenant_id_shift_id", table_name="pos_sales")
    op.drop_column("pos_sales", "discount_approved_by")
    op.drop_column("pos_sales", "discount")
    op.drop_column("pos_sales", "shift_id")
    op.drop_column("pos_sale_lines", "discount")
    for table in reversed(NEW_TABLES):
        op.drop_table(table)
