"""marketplace orders

Revision ID: 0016_marketplace_orders
Revises: 0015_marketplace_listings

Kophub buyers, addresses and carts; checkouts split into one order per cooperative (orders, their
lines, history and payments under forced row-level security); Stripe events recorded once by id;
the platform's Kophub settings.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql  # noqa: F401

from tenants.rls import enable_tenant_rls

TENANT_TABLES = (
    "marketplace_orders",
    "marketplace_order_lines",
    "marketplace_order_events",
    "marketplace_payments",
)
TABLES = (
    "marketplace_stripe_events",
    "marketplace_buyers",
    "marketplace_settings",
    "marketplace_addresses",
    "marketplace_cart_lines",
    "marketplace_checkouts",
    "marketplace_orders",
    "marketplace_checkout_orders",
    "marketplace_order_events",
    "marketplace_order_lines",
    "marketplace_payments",
)

revision: str = "0016_marketplace_orders"
down_revision: str | None = "0015_marketplace_listings"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "marketplace_stripe_events",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("event_id", sa.String(length=80), nullable=False),
        sa.Column("type", sa.String(length=80), nullable=False),
        sa.Column("object_id", sa.String(length=80), nullable=True),
        sa.Column("stripe_created", sa.BigInteger(), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("outcome", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_marketplace_stripe_events")),
        sa.UniqueConstraint("event_id", name=op.f("uq_marketplace_stripe_events_event_id")),
    )
    op.create_table(
        "marketplace_buyers",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column("company_name", sa.String(length=160), nullable=True),
        sa.Column("npwp", sa.String(length=16), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint(
            "kind = 'perorangan' OR (company_name IS NOT NULL AND npwp IS NOT NULL)",
            name=op.f("ck_marketplace_buyers_business_named"),
        ),
        sa.CheckConstraint("kind IN ('perorangan', 'usaha')", name=op.f("ck_marketplace_buyers_kind_known")),
        sa.CheckConstraint(
            "npwp IS NULL OR npwp ~ '^[0-9]{16}$'", name=op.f("ck_marketplace_buyers_npwp_format")
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_marketplace_buyers_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_marketplace_buyers")),
        sa.UniqueConstraint("user_id", name=op.f("uq_marketplace_buyers_user_id")),
    )
    op.create_table(
        "marketplace_settings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("fee_percent", sa.Numeric(precision=5, scale=2), nullable=False),
        sa.Column("payment_window_hours", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_by", sa.BigInteger(), nullable=True),
        sa.CheckConstraint(
            "fee_percent >= 0 AND fee_percent <= 20", name=op.f("ck_marketplace_settings_fee_range")
        ),
        sa.CheckConstraint("id = 1", name=op.f("ck_marketplace_settings_single_row")),
        sa.CheckConstraint(
            "payment_window_hours BETWEEN 1 AND 168", name=op.f("ck_marketplace_settings_window_range")
        ),
        sa.ForeignKeyConstraint(
            ["updated_by"], ["users.id"], name=op.f("fk_marketplace_settings_updated_by_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_marketplace_settings")),
    )
    op.create_table(
        "marketplace_addresses",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("buyer_id", sa.BigInteger(), nullable=False),
        sa.Column("label", sa.String(length=40), nullable=False),
        sa.Column("recipient", sa.String(length=120), nullable=False),
        sa.Column("phone", sa.String(length=16), nullable=False),
        sa.Column("street", sa.String(length=300), nullable=False),
        sa.Column("village_code", sa.String(length=13), nullable=False),
        sa.Column("postal_code", sa.String(length=5), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint("phone ~ '^\\+628[0-9]{7,11}$'", name=op.f("ck_marketplace_addresses_phone_e164")),
        sa.CheckConstraint(
            "postal_code IS NULL OR postal_code ~ '^[0-9]{5}$'",
            name=op.f("ck_marketplace_addresses_postal_code_format"),
        ),
        sa.ForeignKeyConstraint(
            ["buyer_id"],
            ["marketplace_buyers.id"],
            name=op.f("fk_marketplace_addresses_buyer_id_marketplace_buyers"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["village_code"], ["regions.code"], name=op.f("fk_marketplace_addresses_village_code_regions")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_marketplace_addresses")),
    )
    op.create_index("ix_marketplace_addresses_buyer_id", "marketplace_addresses", ["buyer_id"], unique=False)
    op.create_table(
        "marketplace_cart_lines",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("buyer_id", sa.BigInteger(), nullable=False),
        sa.Column("cooperative_id", sa.BigInteger(), nullable=False),
        sa.Column("listing_id", sa.BigInteger(), nullable=False),
        sa.Column("quantity", sa.BigInteger(), nullable=False),
        sa.Column("added_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint(
            "quantity > 0 AND quantity <= 100000", name=op.f("ck_marketplace_cart_lines_quantity_range")
        ),
        sa.ForeignKeyConstraint(
            ["buyer_id"],
            ["marketplace_buyers.id"],
            name=op.f("fk_marketplace_cart_lines_buyer_id_marketplace_buyers"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["cooperative_id"],
            ["cooperatives.id"],
            name=op.f("fk_marketplace_cart_lines_cooperative_id_cooperatives"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_marketplace_cart_lines")),
        sa.UniqueConstraint(
            "buyer_id",
            "cooperative_id",
            "listing_id",
            name=op.f("uq_marketplace_cart_lines_buyer_id_cooperative_id_listing_id"),
        ),
    )
    op.create_table(
        "marketplace_checkouts",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("buyer_id", sa.BigInteger(), nullable=False),
        sa.Column("idempotency_key", sa.String(length=64), nullable=False),
        sa.Column("payment_method", sa.String(length=10), nullable=False),
        sa.Column("total", sa.BigInteger(), nullable=False),
        sa.Column("stripe_payment_intent", sa.String(length=64), nullable=True),
        sa.Column("stripe_client_secret", sa.String(length=200), nullable=True),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint(
            "payment_method IN ('transfer', 'qris', 'cod', 'stripe')",
            name=op.f("ck_marketplace_checkouts_method_known"),
        ),
        sa.CheckConstraint("total > 0", name=op.f("ck_marketplace_checkouts_total_positive")),
        sa.ForeignKeyConstraint(
            ["buyer_id"],
            ["marketplace_buyers.id"],
            name=op.f("fk_marketplace_checkouts_buyer_id_marketplace_buyers"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_marketplace_checkouts")),
        sa.UniqueConstraint(
            "buyer_id", "idempotency_key", name=op.f("uq_marketplace_checkouts_buyer_id_idempotency_key")
        ),
        sa.UniqueConstraint(
            "stripe_payment_intent", name=op.f("uq_marketplace_checkouts_stripe_payment_intent")
        ),
    )
    op.create_index(
        op.f("ix_marketplace_checkouts_buyer_id"), "marketplace_checkouts", ["buyer_id"], unique=False
    )
    op.create_index(
        "ix_marketplace_checkouts_expires_at",
        "marketplace_checkouts",
        ["expires_at"],
        unique=False,
        postgresql_where=sa.text("expires_at IS NOT NULL"),
    )
    op.create_table(
        "marketplace_orders",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("number", sa.String(length=20), nullable=False),
        sa.Column("checkout_id", sa.BigInteger(), nullable=False),
        sa.Column("buyer_id", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("payment_method", sa.String(length=10), nullable=False),
        sa.Column("total", sa.BigInteger(), nullable=False),
        sa.Column("fee", sa.BigInteger(), nullable=False),
        sa.Column("buyer_name", sa.String(length=160), nullable=False),
        sa.Column("recipient", sa.String(length=120), nullable=False),
        sa.Column("phone", sa.String(length=16), nullable=False),
        sa.Column("street", sa.String(length=300), nullable=False),
        sa.Column("village_code", sa.String(length=13), nullable=False),
        sa.Column("postal_code", sa.String(length=5), nullable=True),
        sa.Column("courier", sa.String(length=40), nullable=True),
        sa.Column("tracking_number", sa.String(length=60), nullable=True),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("paid_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("shipped_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("cancel_reason", sa.String(length=300), nullable=True),
        sa.Column("tenant_id", sa.BigInteger(), nullable=False),
        sa.CheckConstraint(
            "payment_method IN ('transfer', 'qris', 'cod', 'stripe')",
            name=op.f("ck_marketplace_orders_method_known"),
        ),
        sa.CheckConstraint(
            "status <> 'dibatalkan' OR cancel_reason IS NOT NULL",
            name=op.f("ck_marketplace_orders_cancel_has_reason"),
        ),
        sa.CheckConstraint(
            "status IN ('menunggu_pembayaran', 'dibayar', 'diproses', 'dikirim', 'diterima', 'selesai', 'dibatalkan')",
            name=op.f("ck_marketplace_orders_status_known"),
        ),
        sa.CheckConstraint("fee >= 0 AND fee <= total", name=op.f("ck_marketplace_orders_fee_within_total")),
        sa.CheckConstraint(
            "shipped_at IS NULL OR (courier IS NOT NULL AND tracking_number IS NOT NULL)",
            name=op.f("ck_marketplace_orders_shipped_is_tracked"),
        ),
        sa.CheckConstraint("total > 0", name=op.f("ck_marketplace_orders_total_positive")),
        sa.ForeignKeyConstraint(
            ["buyer_id"],
            ["marketplace_buyers.id"],
            name=op.f("fk_marketplace_orders_buyer_id_marketplace_buyers"),
        ),
        sa.ForeignKeyConstraint(
            ["checkout_id"],
            ["marketplace_checkouts.id"],
            name=op.f("fk_marketplace_orders_checkout_id_marketplace_checkouts"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["cooperatives.id"], name=op.f("fk_marketplace_orders_tenant_id_cooperatives")
        ),
        sa.ForeignKeyConstraint(
            ["village_code"], ["regions.code"], name=op.f("fk_marketplace_orders_village_code_regions")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_marketplace_orders")),
        sa.UniqueConstraint("tenant_id", "id", name=op.f("uq_marketplace_orders_tenant_id_id")),
        sa.UniqueConstraint("tenant_id", "number", name=op.f("uq_marketplace_orders_tenant_id_number")),
    )
    op.create_index(
        "ix_marketplace_orders_tenant_id_status_id",
        "marketplace_orders",
        ["tenant_id", "status", "id"],
        unique=False,
    )
    op.create_table(
        "marketplace_checkout_orders",
        sa.Column("checkout_id", sa.BigInteger(), nullable=False),
        sa.Column("cooperative_id", sa.BigInteger(), nullable=False),
        sa.Column("order_id", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["checkout_id"],
            ["marketplace_checkouts.id"],
            name=op.f("fk_marketplace_checkout_orders_checkout_id_marketplace_checkouts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["cooperative_id", "order_id"],
            ["marketplace_orders.tenant_id", "marketplace_orders.id"],
            name=op.f("fk_marketplace_checkout_orders_cooperative_id_order_id_marketplace_orders"),
        ),
        sa.ForeignKeyConstraint(
            ["cooperative_id"],
            ["cooperatives.id"],
            name=op.f("fk_marketplace_checkout_orders_cooperative_id_cooperatives"),
        ),
        sa.PrimaryKeyConstraint("checkout_id", "cooperative_id", name=op.f("pk_marketplace_checkout_orders")),
    )
    op.create_table(
        "marketplace_order_events",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("order_id", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("actor_id", sa.BigInteger(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("tenant_id", sa.BigInteger(), nullable=False),
        sa.CheckConstraint(
            "status IN ('menunggu_pembayaran', 'dibayar', 'diproses', 'dikirim', 'diterima', 'selesai', 'dibatalkan')",
            name=op.f("ck_marketplace_order_events_status_known"),
        ),
        sa.ForeignKeyConstraint(
            ["actor_id"], ["users.id"], name=op.f("fk_marketplace_order_events_actor_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "order_id"],
            ["marketplace_orders.tenant_id", "marketplace_orders.id"],
            name=op.f("fk_marketplace_order_events_tenant_id_order_id_marketplace_orders"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["cooperatives.id"],
            name=op.f("fk_marketplace_order_events_tenant_id_cooperatives"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_marketplace_order_events")),
        sa.UniqueConstraint("tenant_id", "id", name=op.f("uq_marketplace_order_events_tenant_id_id")),
    )
    op.create_index(
        "ix_marketplace_order_events_tenant_id_order_id",
        "marketplace_order_events",
        ["tenant_id", "order_id"],
        unique=False,
    )
    op.create_table(
        "marketplace_order_lines",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("order_id", sa.BigInteger(), nullable=False),
        sa.Column("listing_id", sa.BigInteger(), nullable=False),
        sa.Column("product_id", sa.BigInteger(), nullable=False),
        sa.Column("location_id", sa.BigInteger(), nullable=False),
        sa.Column("title", sa.String(length=160), nullable=False),
        sa.Column("unit", sa.String(length=20), nullable=False),
        sa.Column("quantity", sa.BigInteger(), nullable=False),
        sa.Column("unit_price", sa.BigInteger(), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("reservation_key", sa.String(length=100), nullable=False),
        sa.Column("tenant_id", sa.BigInteger(), nullable=False),
        sa.CheckConstraint(
            "amount = quantity * unit_price",
            name=op.f("ck_marketplace_order_lines_amount_is_quantity_times_price"),
        ),
        sa.CheckConstraint("quantity > 0", name=op.f("ck_marketplace_order_lines_quantity_positive")),
        sa.CheckConstraint("unit_price > 0", name=op.f("ck_marketplace_order_lines_unit_price_positive")),
        sa.ForeignKeyConstraint(
            ["tenant_id", "location_id"],
            ["inventory_locations.tenant_id", "inventory_locations.id"],
            name=op.f("fk_marketplace_order_lines_tenant_id_location_id_inventory_locations"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "order_id"],
            ["marketplace_orders.tenant_id", "marketplace_orders.id"],
            name=op.f("fk_marketplace_order_lines_tenant_id_order_id_marketplace_orders"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "product_id"],
            ["inventory_products.tenant_id", "inventory_products.id"],
            name=op.f("fk_marketplace_order_lines_tenant_id_product_id_inventory_products"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["cooperatives.id"], name=op.f("fk_marketplace_order_lines_tenant_id_cooperatives")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_marketplace_order_lines")),
        sa.UniqueConstraint("tenant_id", "id", name=op.f("uq_marketplace_order_lines_tenant_id_id")),
    )
    op.create_index(
        "ix_marketplace_order_lines_tenant_id_order_id",
        "marketplace_order_lines",
        ["tenant_id", "order_id"],
        unique=False,
    )
    op.create_table(
        "marketplace_payments",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("order_id", sa.BigInteger(), nullable=False),
        sa.Column("provider", sa.String(length=10), nullable=False),
        sa.Column("method", sa.String(length=10), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(length=15), nullable=False),
        sa.Column("refunded", sa.BigInteger(), nullable=False),
        sa.Column("proof_key", sa.String(length=200), nullable=True),
        sa.Column("proof_type", sa.String(length=40), nullable=True),
        sa.Column("proof_size", sa.Integer(), nullable=True),
        sa.Column("proof_sha256", sa.String(length=64), nullable=True),
        sa.Column("payer_note", sa.String(length=200), nullable=True),
        sa.Column("refusal_reason", sa.String(length=200), nullable=True),
        sa.Column("stripe_payment_intent", sa.String(length=64), nullable=True),
        sa.Column("stripe_refund", sa.String(length=64), nullable=True),
        sa.Column("confirmed_by", sa.BigInteger(), nullable=True),
        sa.Column("paid_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("tenant_id", sa.BigInteger(), nullable=False),
        sa.CheckConstraint(
            "proof_key IS NULL OR (proof_type IN ('application/pdf', 'image/jpeg', 'image/png') AND proof_size BETWEEN 1 AND 2097152)",
            name=op.f("ck_marketplace_payments_proof_valid"),
        ),
        sa.CheckConstraint(
            "provider IN ('manual', 'stripe')", name=op.f("ck_marketplace_payments_provider_known")
        ),
        sa.CheckConstraint(
            "status <> 'lunas' OR paid_at IS NOT NULL", name=op.f("ck_marketplace_payments_paid_has_time")
        ),
        sa.CheckConstraint(
            "status IN ('menunggu', 'bukti_dikirim', 'lunas', 'gagal', 'dikembalikan')",
            name=op.f("ck_marketplace_payments_status_known"),
        ),
        sa.CheckConstraint("amount > 0", name=op.f("ck_marketplace_payments_amount_positive")),
        sa.CheckConstraint(
            "refunded >= 0 AND refunded <= amount", name=op.f("ck_marketplace_payments_refund_within_amount")
        ),
        sa.ForeignKeyConstraint(
            ["confirmed_by"], ["users.id"], name=op.f("fk_marketplace_payments_confirmed_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "order_id"],
            ["marketplace_orders.tenant_id", "marketplace_orders.id"],
            name=op.f("fk_marketplace_payments_tenant_id_order_id_marketplace_orders"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["cooperatives.id"], name=op.f("fk_marketplace_payments_tenant_id_cooperatives")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_marketplace_payments")),
        sa.UniqueConstraint("tenant_id", "id", name=op.f("uq_marketplace_payments_tenant_id_id")),
        sa.UniqueConstraint("tenant_id", "order_id", name=op.f("uq_marketplace_payments_tenant_id_order_id")),
    )
    op.create_index(
        "ix_marketplace_payments_stripe_payment_intent",
        "marketplace_payments",
        ["stripe_payment_intent"],
        unique=False,
    )
    op.execute(
        sa.text("INSERT INTO marketplace_settings (id, fee_percent, payment_window_hours) VALUES (1, 0, 24)")
    )
    for table in TENANT_TABLES:
        for statement in enable_tenant_rls(table):
            op.execute(statement)


def downgrade() -> None:
    for table in reversed(TABLES):
        op.drop_table(table)
