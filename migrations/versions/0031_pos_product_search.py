"""the counter's product search as you type: indexes for a code's prefix and a name's words

Revision ID: 0031_pos_product_search
Revises: 0030_search_entries

The kasir types the start of a code (a barcode or an internal code) or the start of some words of
a name. A code's prefix is found, in code order, by a btree on the code in the "C" collation
(LIKE 'X%' and ORDER BY use it whatever the database's collation). Words are found by a GIN index over the name's words in the `simple`
configuration (no stemming: "gula pas" is gula:* & pas:*), with the cooperative's own token
(`koperasiN`) among them, so the index intersects a word with the tenant instead of collecting
every cooperative's rice and filtering afterwards. Both are expression or operator-class indexes
declared here only; the query in `erp.pos.service.search_products` spells the same expression.
(pg_trgm would also find infixes, but the embedded PostgreSQL ships without it.)
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0031_pos_product_search"
down_revision: str | None = "0030_search_entries"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute(
        'CREATE INDEX ix_inventory_products_code_c ON inventory_products (tenant_id, (code::text COLLATE "C"))'
    )
    op.execute(
        "CREATE INDEX ix_inventory_products_name_words ON inventory_products USING gin"
        " (to_tsvector('simple'::regconfig, 'koperasi' || tenant_id::text || ' ' || name))"
        " WITH (fastupdate = off)"
    )


def downgrade() -> None:
    op.execute("DROP INDEX ix_inventory_products_name_words")
    op.execute("DROP INDEX ix_inventory_products_code_c")
