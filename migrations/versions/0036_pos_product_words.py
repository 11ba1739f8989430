"""the counter's name search over a table of product words instead of a full-text index

Revision ID: 0036_pos_product_words
Revises: 0035_supplier_returns

Under forced row-level security PostgreSQL applies the tenant policy before any operator that is
not leakproof, and neither `@@` (full text) nor `LIKE` is: the counter's search could use neither
the GIN index of migration 0031 nor the code index's prefix, and read every product of the
cooperative (70 ms at 20,000 products). Byte-order comparisons of text are leakproof, so the
words of an active product's name now sit in `pos_product_words`, one row per distinct lower-case
word with the name beside it, under a btree on (tenant, word, name) in which a typed word's prefix
is a range already in name order. Two statement triggers keep the words true to the products
whoever writes them (the app, imports, seeds): a product's words follow its name and exist only
while it is active.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from tenants.rls import enable_tenant_rls

revision: str = "0036_pos_product_words"
down_revision: str | None = "0035_supplier_returns"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# An active product's words as the counter's search types them: lower case, split at anything
# that is not a letter or digit, at most 40 characters, each once per product.
WORDS_OF = (
    "SELECT DISTINCT p.tenant_id, p.id, left(w, 40), p.name FROM {source},"
    " regexp_split_to_table(lower(p.name), '[^[:alnum:]]+') AS w WHERE p.active AND w <> ''{condition}"
)
CHANGED = "new_rows AS p JOIN old_rows AS o ON o.id = p.id"
CHANGED_WHERE = "(p.name, p.active) IS DISTINCT FROM (o.name, o.active)"

FUNCTIONS = [
    f"""
CREATE FUNCTION pos_product_words_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO pos_product_words (tenant_id, product_id, word, name)
    {WORDS_OF.format(source="new_rows AS p", condition="")};
    RETURN NULL;
END $$
""",
    f"""
CREATE FUNCTION pos_product_words_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM pos_product_words AS w USING {CHANGED}
    WHERE {CHANGED_WHERE} AND w.tenant_id = p.tenant_id AND w.product_id = p.id;
    INSERT INTO pos_product_words (tenant_id, product_id, word, name)
    {WORDS_OF.format(source=CHANGED, condition=" AND " + CHANGED_WHERE)};
    RETURN NULL;
END $$
""",
]

TRIGGERS = [
    "CREATE TRIGGER inventory_products_words_inserted AFTER INSERT ON inventory_products"
    " REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION pos_product_words_inserted()",
    "CREATE TRIGGER inventory_products_words_changed AFTER UPDATE ON inventory_products"
    " REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows"
    " FOR EACH STATEMENT EXECUTE FUNCTION pos_product_words_changed()",
]


def upgrade() -> None:
    op.create_table(
        "pos_product_words",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("product_id", sa.BigInteger(), nullable=False),
        sa.Column("word", sa.String(length=40, collation="C"), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("tenant_id", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id", "product_id"],
            ["inventory_products.tenant_id", "inventory_products.id"],
            name=op.f("fk_pos_product_words_tenant_id_product_id_inventory_products"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["cooperatives.id"], name=op.f("fk_pos_product_words_tenant_id_cooperatives")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pos_product_words")),
        sa.UniqueConstraint("tenant_id", "id", name=op.f("uq_pos_product_words_tenant_id_id")),
        sa.UniqueConstraint(
            "tenant_id", "product_id", "word", name=op.f("uq_pos_product_words_tenant_id_product_id_word")
        ),
    )
    op.create_index(
        "ix_pos_product_words_tenant_id_word",
        "pos_product_words",
        ["tenant_id", "word", "name", "product_id"],
        unique=False,
    )
    for statement in enable_tenant_rls("pos_product_words"):
        op.execute(statement)
    op.execute(
        "INSERT INTO pos_product_words (tenant_id, product_id, word, name) "
        + WORDS_OF.format(source="inventory_products AS p", condition="")
    )
    for statement in FUNCTIONS + TRIGGERS:
        op.execute(statement)
    op.execute("DROP INDEX ix_inventory_products_name_words")


def downgrade() -> None:
    op.execute(
        "CREATE INDEX ix_inventory_products_name_words ON inventory_products USING gin"
        " (to_tsvector('simple'::regconfig, 'koperasi' || tenant_id::text || ' ' || name))"
        " WITH (fastupdate = off)"
    )
    op.execute("DROP TRIGGER inventory_products_words_changed ON inventory_products")
    op.execute("DROP TRIGGER inventory_products_words_inserted ON inventory_products")
    op.execute("DROP FUNCTION pos_product_words_changed()")
    op.execute("DROP FUNCTION pos_product_words_inserted()")
    op.drop_table("pos_product_words")
