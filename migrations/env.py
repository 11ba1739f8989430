"""Alembic environment: runs as the owner role given by `core.migrate` (or the environment)."""

from __future__ import annotations

import os

from alembic import context
from sqlalchemy import create_engine

from core.db import Base
from core.model_registry import import_all_models

import_all_models()
config = context.config
target_metadata = Base.metadata


def run_migrations_online() -> None:
    url = config.attributes.get("owner_url") or os.environ["KOPDES_MIGRATION_DATABASE_URL"]
    engine = create_engine(url)
    with engine.connect() as connection:
        context.configure(connection=connection, target_metadata=target_metadata, compare_type=True)
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


run_migrations_online()
