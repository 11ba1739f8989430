from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from core.db import Base
from core.model_registry import import_all_models


def test_models_and_migrations_agree(owner_engine):
    import_all_models()
    with owner_engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), Base.metadata)
    assert diff == []


def test_the_app_role_owns_no_table_and_cannot_bypass_rls(owner_engine, config):
    from sqlalchemy import make_url, text

    role = make_url(config.database_url).username
    with owner_engine.connect() as conn:
        owned = conn.execute(
            text("SELECT count(*) FROM pg_tables WHERE schemaname = 'public' AND tableowner = :r"),
            {"r": role},
        ).scalar()
        flags = conn.execute(
            text("SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = :r"), {"r": role}
        ).one()
    assert owned == 0
    assert tuple(flags) == (False, False)


def test_the_migration_history_is_one_line():
    from alembic.script import ScriptDirectory

    from core.migrate import alembic_config

    scripts = ScriptDirectory.from_config(alembic_config(""))
    assert len(scripts.get_heads()) == 1, "relink your migration's down_revision to the current head"
    merges = [s.revision for s in scripts.walk_revisions() if isinstance(s.down_revision, tuple)]
    assert merges == [], "one line: no merge revisions"
