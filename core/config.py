"""Configuration, read once from the environment (`KOPDES_*`).

With no database URL set, the embedded PostgreSQL and Redis under `instance/` are started and used.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Config:
    database_url: str
    migration_database_url: str
    redis_url: str
    secret_key: str
    elasticsearch_url: str | None = None
    search_backend: str = "postgres"  # Kophub search: "postgres" or "elasticsearch"
    stripe_secret_key: str | None = None
    stripe_publishable_key: str | None = None
    stripe_webhook_secret: str | None = None
    embedded: bool = False
    testing: bool = False
    secure_cookies: bool = True
    extra: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_env(cls, *, database: str = "kopdes", testing: bool = False) -> Config:
        env = os.environ
        database_url = env.get("KOPDES_DATABASE_URL")
        if database_url:
            return cls(
                database_url=database_url,
                migration_database_url=env.get("KOPDES_MIGRATION_DATABASE_URL", database_url),
                redis_url=env.get("KOPDES_REDIS_URL", "redis://localhost:6379/0"),
                secret_key=_required_secret(env),
                elasticsearch_url=env.get("KOPDES_ELASTICSEARCH_URL"),
                search_backend=env.get("KOPDES_SEARCH_BACKEND", "postgres"),
                stripe_secret_key=env.get("KOPDES_STRIPE_SECRET_KEY"),
                stripe_publishable_key=env.get("KOPDES_STRIPE_PUBLISHABLE_KEY"),
                stripe_webhook_secret=env.get("KOPDES_STRIPE_WEBHOOK_SECRET"),
                testing=testing,
                secure_cookies=env.get("KOPDES_INSECURE_COOKIES") != "1",
            )
        from core import embedded

        urls = embedded.ensure_all(database)
        return cls(
            database_url=urls.database_url,
            migration_database_url=urls.migration_database_url,
            redis_url=env.get("KOPDES_REDIS_URL", urls.redis_url),
            secret_key=env.get("KOPDES_SECRET_KEY") or _embedded_secret(),
            elasticsearch_url=env.get("KOPDES_ELASTICSEARCH_URL"),
            search_backend=env.get("KOPDES_SEARCH_BACKEND", "postgres"),
            stripe_secret_key=env.get("KOPDES_STRIPE_SECRET_KEY"),
            stripe_publishable_key=env.get("KOPDES_STRIPE_PUBLISHABLE_KEY"),
            stripe_webhook_secret=env.get("KOPDES_STRIPE_WEBHOOK_SECRET"),
            embedded=True,
            testing=testing,
            secure_cookies=False,  # the embedded default serves plain http on localhost
        )


def _required_secret(env: os._Environ[str]) -> str:
    secret = env.get("KOPDES_SECRET_KEY")
    if not secret:
        raise RuntimeError("KOPDES_SECRET_KEY must be set when KOPDES_DATABASE_URL is set")
    return secret


def _embedded_secret() -> str:
    """A secret kept under instance/ so sessions survive a restart of `make run`."""
    from core.embedded import instance_dir

    path = instance_dir() / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(48))
        path.chmod(0o600)
    return path.read_text().strip()
