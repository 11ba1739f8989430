"""ledger

Revision ID: 0002
Revises: 0001

The books of each cooperative: chart of accounts, journal entries and lines, fiscal periods, all
under forced row-level security. Entries and lines are append-only, and a deferred constraint
trigger refuses at commit any entry whose lines do not balance or that has fewer than two lines.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from tenants.rls import append_only, enable_tenant_rls

TENANT_TABLES = ("ledger_accounts", "journal_entries", "journal_lines", "fiscal_periods")
APPEND_ONLY = ("journal_entries", "journal_lines")

# SECURITY DEFINER so the check sees every line of the entry whatever `app.tenant_id` holds when
# the transaction commits (a block may post as one tenant and commit after leaving its context);
# it reads only the entry named by the row that fired it, and raises or returns nothing.
ENTRY_BALANCES_FUNCTION = """
CREATE FUNCTION ledger_entry_balances() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public
AS $$
DECLARE
    entry bigint;
    line_count bigint;
    debit_total numeric;
    credit_total numeric;
BEGIN
    IF TG_TABLE_NAME = 'journal_entries' THEN
        entry := NEW.id;
    ELSE
        entry := NEW.entry_id;
    END IF;
    SELECT count(*), coalesce(sum(debit), 0), coalesce(sum(credit), 0)
      INTO line_count, debit_total, credit_total
      FROM journal_lines
     WHERE tenant_id = NEW.tenant_id AND entry_id = entry;
    IF line_count < 2 OR debit_total <> credit_total THEN
        RAISE EXCEPTION 'journal entry % does not balance: % lines, debit %, credit %',
            entry, line_count, debit_total, credit_total
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NULL;
END $$
"""
ENTRY_BALANCES_TRIGGERS = [
    f"CREATE CONSTRAINT TRIGGER {table}_balanced AFTER INSERT ON {table} "
    "DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION ledger_entry_balances()"
    for table in APPEND_ONLY
]

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "fiscal_periods",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("year", sa.SmallInteger(), nullable=False),
        sa.Column("month", sa.SmallInteger(), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_by", sa.BigInteger(), nullable=True),
        sa.Column("tenant_id", sa.BigInteger(), nullable=False),
        sa.CheckConstraint("month BETWEEN 1 AND 12", name=op.f("ck_fiscal_periods_month_range")),
        sa.CheckConstraint("year BETWEEN 2000 AND 2999", name=op.f("ck_fiscal_periods_year_range")),
        sa.ForeignKeyConstraint(["closed_by"], ["users.id"], name=op.f("fk_fiscal_periods_closed_by_users")),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["cooperatives.id"], name=op.f("fk_fiscal_periods_tenant_id_cooperatives")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fiscal_periods")),
        sa.UniqueConstraint("tenant_id", "id", name=op.f("uq_fiscal_periods_tenant_id_id")),
        sa.UniqueConstraint(
            "tenant_id", "year", "month", name=op.f("uq_fiscal_periods_tenant_id_year_month")
        ),
    )
    op.create_table(
        "journal_entries",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("entry_date", sa.Date(), nullable=False),
        sa.Column("description", sa.String(length=500), nullable=False),
        sa.Column("source_module", sa.String(length=40), nullable=False),
        sa.Column("source_id", sa.String(length=80), nullable=True),
        sa.Column("idempotency_key", sa.String(length=120), nullable=False),
        sa.Column("payload_hash", sa.String(length=64), nullable=False),
        sa.Column("reverses_entry_id", sa.BigInteger(), nullable=True),
        sa.Column("posted_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("posted_by", sa.BigInteger(), nullable=True),
        sa.Column("tenant_id", sa.BigInteger(), nullable=False),
        sa.CheckConstraint("idempotency_key <> ''", name=op.f("ck_journal_entries_idempotency_key_present")),
        sa.CheckConstraint(
            "char_length(payload_hash) = 64", name=op.f("ck_journal_entries_payload_hash_sha256")
        ),
        sa.CheckConstraint("reverses_entry_id <> id", name=op.f("ck_journal_entries_not_own_reversal")),
        sa.ForeignKeyConstraint(["posted_by"], ["users.id"], name=op.f("fk_journal_entries_posted_by_users")),
        sa.ForeignKeyConstraint(
            ["tenant_id", "reverses_entry_id"],
            ["journal_entries.tenant_id", "journal_entries.id"],
            name=op.f("fk_journal_entries_tenant_id_reverses_entry_id_journal_entries"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["cooperatives.id"], name=op.f("fk_journal_entries_tenant_id_cooperatives")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_journal_entries")),
        sa.UniqueConstraint(
            "tenant_id", "id", "entry_date", name=op.f("uq_journal_entries_tenant_id_id_entry_date")
        ),
        sa.UniqueConstraint("tenant_id", "id", name=op.f("uq_journal_entries_tenant_id_id")),
        sa.UniqueConstraint(
            "tenant_id", "idempotency_key", name=op.f("uq_journal_entries_tenant_id_idempotency_key")
        ),
        sa.UniqueConstraint(
            "tenant_id", "reverses_entry_id", name=op.f("uq_journal_entries_tenant_id_reverses_entry_id")
        ),
    )
    op.create_index(
        "ix_journal_entries_tenant_id_entry_date",
        "journal_entries",
        ["tenant_id", "entry_date"],
        unique=False,
    )
    op.create_index(
        "ix_journal_entries_tenant_id_source_module_source_id",
        "journal_entries",
        ["tenant_id", "source_module", "source_id"],
        unique=False,
    )
    op.create_table(
        "ledger_accounts",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("code", sa.String(length=16), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("type", sa.String(length=10), nullable=False),
        sa.Column("normal_side", sa.String(length=6), nullable=False),
        sa.Column("business_unit", sa.String(length=20), nullable=True),
        sa.Column("parent_id", sa.BigInteger(), nullable=True),
        sa.Column("active", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("tenant_id", sa.BigInteger(), nullable=False),
        sa.CheckConstraint(
            "business_unit IS NULL OR business_unit IN "
            "('sembako', 'simpan_pinjam', 'apotek', 'logistik', 'klinik', 'umum')",
            name=op.f("ck_ledger_accounts_business_unit_known"),
        ),
        sa.CheckConstraint("code ~ '^[1-9]-[0-9]{4,6}$'", name=op.f("ck_ledger_accounts_code_format")),
        sa.CheckConstraint(
            "normal_side IN ('debit', 'credit')", name=op.f("ck_ledger_accounts_normal_side_known")
        ),
        sa.CheckConstraint(
            "type IN ('asset', 'liability', 'equity', 'income', 'expense')",
            name=op.f("ck_ledger_accounts_type_known"),
        ),
        sa.CheckConstraint("parent_id <> id", name=op.f("ck_ledger_accounts_not_own_parent")),
        sa.ForeignKeyConstraint(
            ["tenant_id", "parent_id"],
            ["ledger_accounts.tenant_id", "ledger_accounts.id"],
            name=op.f("fk_ledger_accounts_tenant_id_parent_id_ledger_accounts"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["cooperatives.id"], name=op.f("fk_ledger_accounts_tenant_id_cooperatives")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ledger_accounts")),
        sa.UniqueConstraint("tenant_id", "code", name=op.f("uq_ledger_accounts_tenant_id_code")),
        sa.UniqueConstraint("tenant_id", "id", name=op.f("uq_ledger_accounts_tenant_id_id")),
    )
    op.create_table(
        "journal_lines",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("entry_id", sa.BigInteger(), nullable=False),
        sa.Column("entry_date", sa.Date(), nullable=False),
        sa.Column("account_id", sa.BigInteger(), nullable=False),
        sa.Column("debit", sa.BigInteger(), nullable=False),
        sa.Column("credit", sa.BigInteger(), nullable=False),
        sa.Column("memo", sa.String(length=200), nullable=True),
        sa.Column("tenant_id", sa.BigInteger(), nullable=False),
        sa.CheckConstraint("(debit > 0) <> (credit > 0)", name=op.f("ck_journal_lines_one_side")),
        sa.CheckConstraint("credit >= 0", name=op.f("ck_journal_lines_credit_not_negative")),
        sa.CheckConstraint("debit >= 0", name=op.f("ck_journal_lines_debit_not_negative")),
        sa.ForeignKeyConstraint(
            ["tenant_id", "account_id"],
            ["ledger_accounts.tenant_id", "ledger_accounts.id"],
            name=op.f("fk_journal_lines_tenant_id_account_id_ledger_accounts"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "entry_id", "entry_date"],
            ["journal_entries.tenant_id", "journal_entries.id", "journal_entries.entry_date"],
            name=op.f("fk_journal_lines_tenant_id_entry_id_entry_date_journal_entries"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["cooperatives.id"], name=op.f("fk_journal_lines_tenant_id_cooperatives")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_journal_lines")),
        sa.UniqueConstraint("tenant_id", "id", name=op.f("uq_journal_lines_tenant_id_id")),
    )
    op.create_index(
        "ix_journal_lines_tenant_id_account_id_entry_date",
        "journal_lines",
        ["tenant_id", "account_id", "entry_date"],
        unique=False,
    )
    op.create_index(
        "ix_journal_lines_tenant_id_entry_id", "journal_lines", ["tenant_id", "entry_id"], unique=False
    )
    op.execute(ENTRY_BALANCES_FUNCTION)
    statements = [s for table in TENANT_TABLES for s in enable_tenant_rls(table)]
    statements += [s for table in APPEND_ONLY for s in append_only(table)]
    for statement in statements + ENTRY_BALANCES_TRIGGERS:
        op.execute(statement)


def downgrade() -> None:
    op.drop_index("ix_journal_lines_tenant_id_entry_id", table_name="journal_lines")
    op.drop_index("ix_journal_lines_tenant_id_account_id_entry_date", table_name="journal_lines")
    op.drop_table("journal_lines")
    op.drop_table("ledger_accounts")
    op.drop_index("ix_journal_entries_tenant_id_source_module_source_id", table_name="journal_entries")
    op.drop_index("ix_journal_entries_tenant_id_entry_date", table_name="journal_entries")
    op.drop_table("journal_entries")
    op.drop_table("fiscal_periods")
    op.execute("DROP FUNCTION ledger_entry_balances")
