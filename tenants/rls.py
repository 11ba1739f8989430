"""Row-level security DDL used by migrations: every tenant table gets ENABLE + FORCE and one policy
comparing `tenant_id` with the transaction's `app.tenant_id` (unset → no rows at all)."""

from __future__ import annotations

CURRENT_TENANT_FUNCTION = """
CREATE OR REPLACE FUNCTION current_tenant_id() RETURNS bigint
LANGUAGE sql STABLE PARALLEL SAFE
AS $$ SELECT NULLIF(current_setting('app.tenant_id', true), '')::bigint $$
"""

REFUSE_CHANGE_FUNCTION = """
CREATE OR REPLACE FUNCTION refuse_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'insufficient_privilege';
END $$
"""


def enable_tenant_rls(table: str) -> list[str]:
    """Statements that put `table` under forced row-level security by tenant."""
    return [
        f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY",
        f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY",
        f"CREATE POLICY tenant_isolation ON {table} "
        "USING (tenant_id = current_tenant_id()) WITH CHECK (tenant_id = current_tenant_id())",
    ]


def append_only(table: str) -> list[str]:
    """Statements that make `table` refuse UPDATE and DELETE, whoever asks."""
    return [
        f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
        "FOR EACH ROW EXECUTE FUNCTION refuse_change()"
    ]
