"""Schema migrations (Alembic) run as the owner role, then the application role is granted what it
may do: read and write rows, never own a table, never bypass row-level security, and only insert
into the audit log."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config as AlembicConfig
from sqlalchemy import create_engine, make_url, text

ROOT = Path(__file__).resolve().parent.parent
APPEND_ONLY = ("audit_log",)


def alembic_config(owner_url: str) -> AlembicConfig:
    cfg = AlembicConfig(str(ROOT / "alembic.ini"))
    cfg.set_main_option("script_location", str(ROOT / "migrations"))
    cfg.attributes["owner_url"] = owner_url
    return cfg


def upgrade(owner_url: str, app_url: str, revision: str = "heads") -> None:
    command.upgrade(alembic_config(owner_url), revision)
    grant_app_role(owner_url, make_url(app_url).username or "kopdes_app")


def grant_app_role(owner_url: str, role: str) -> None:
    engine = create_engine(owner_url)
    with engine.begin() as conn:
        conn.execute(text(f'GRANT USAGE ON SCHEMA public TO "{role}"'))
        conn.execute(text(f'GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO "{role}"'))
        conn.execute(text(f'GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO "{role}"'))
        conn.execute(text(f'REVOKE ALL ON alembic_version FROM "{role}"'))
        for table in APPEND_ONLY:
            conn.execute(text(f'REVOKE UPDATE, DELETE, TRUNCATE ON {table} FROM "{role}"'))
    engine.dispose()
