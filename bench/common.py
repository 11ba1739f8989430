"""What every benchmark shares: a fresh migrated database, the app on it, cooperatives to fill, p95.

Imported by the programs beside it (`from common import ...`); run on its own it does nothing.
"""

from __future__ import annotations

import statistics

import psycopg
from flask import Flask
from sqlalchemy import make_url, text
from sqlalchemy.engine import Engine

from core import embedded
from core.app import create_app
from core.config import Config
from core.migrate import upgrade


def fresh_database(name: str) -> tuple[str, str]:
    """Drop and recreate database `name` on the embedded server, migrate it; return (app, owner) URLs."""
    _, postgres_url = embedded.ensure_postgres("postgres")
    host = make_url(postgres_url).query["host"]
    with psycopg.connect(f"host={host} user=postgres dbname=postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    app_url, owner_url = embedded.ensure_postgres(name)
    upgrade(owner_url, app_url)
    return app_url, owner_url


def make_app(app_url: str, owner_url: str, *, redis_db: int = 13) -> Flask:
    """The app as it runs in production, on the bench database and its own Redis database."""
    config = Config(
        database_url=app_url,
        migration_database_url=owner_url,
        redis_url=f"unix://{embedded.redis_socket()}?db={redis_db}",
        secret_key="bench",
        embedded=True,
        testing=True,
        secure_cookies=False,
    )
    return create_app(config)


def libpq(url: str) -> str:
    """A SQLAlchemy URL of the embedded server as a libpq connection string for plain psycopg."""
    parsed = make_url(url)
    return f"host={parsed.query['host']} user={parsed.username} dbname={parsed.database}"


def add_cooperatives(owner: Engine, count: int, prefix: str, *, every: int = 50) -> list[int]:
    """`count` cooperatives named `prefix`N in every `every`-th village not yet taken; their ids."""
    with owner.begin() as conn:
        return list(
            conn.execute(
                text(
                    "INSERT INTO cooperatives (slug, name, village_code) "
                    "SELECT :p || n, 'Koperasi ' || :p || n, code FROM ("
                    "  SELECT code, row_number() OVER (ORDER BY code) AS n FROM regions WHERE level = 4"
                    "  AND code NOT IN (SELECT village_code FROM cooperatives)"
                    ") AS villages WHERE n % :every = 0 ORDER BY n LIMIT :count RETURNING id"
                ),
                {"p": prefix, "count": count, "every": every},
            ).scalars()
        )


def p95(samples: list[float]) -> float:
    """The 95th percentile (the largest sample when there are fewer than 20)."""
    return statistics.quantiles(samples, n=20)[18] if len(samples) >= 20 else max(samples)
