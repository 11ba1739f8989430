"""Test harness: one migrated real PostgreSQL database per run (`kopdes_test`, regions loaded),
real Redis (database 1), and a clean state per test by truncation.

Truncation rather than a rolled-back outer transaction: row-level security, `SET LOCAL` and the
outbox all depend on real commits, and races and jobs need several connections.
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine

os.environ.setdefault("KOPDES_INSECURE_COOKIES", "1")

from core.app import create_app
from core.auth import hash_password
from core.config import Config
from core.db import db
from core.models import PlatformRole, User
from tenants.models import Cooperative, Membership

# One database per test run, so runs in parallel on one machine do not collide.
TEST_DB = f"kopdes_test_{os.getpid()}"
REDIS_DB = 1 + os.getpid() % 15
PASSWORD = "rahasia-sekali-123"
KEEP = {"regions", "alembic_version", "inventory_het_caps"}  # het caps: seeded platform data


def _drop_database() -> None:
    import psycopg

    from core import embedded

    host = embedded.pg_socket_dir()
    with psycopg.connect(f"host={host} user=postgres dbname=postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{TEST_DB}" WITH (FORCE)')


def _fresh_database() -> Config:
    if os.environ.get("KOPDES_DATABASE_URL"):
        return Config.from_env(testing=True)
    from core import embedded

    embedded.ensure_postgres("postgres")
    _drop_database()
    config = Config.from_env(database=TEST_DB, testing=True)
    sock = config.redis_url.split("?")[0]
    return Config(**{**config.__dict__, "redis_url": f"{sock}?db={REDIS_DB}"})


@pytest.fixture(scope="session")
def config() -> Iterator[Config]:
    from core.migrate import upgrade
    from tenants.regions import import_regions

    cfg = _fresh_database()
    upgrade(cfg.migration_database_url, cfg.database_url)
    engine = create_engine(cfg.migration_database_url)
    with engine.begin() as conn:
        import_regions(conn)
    yield cfg
    if not os.environ.get("KOPDES_DATABASE_URL"):
        from sqlalchemy.orm import close_all_sessions

        close_all_sessions()
        with engine.connect() as conn:
            conn.execute(text("COMMIT"))
        engine.dispose()
        _drop_database()
    else:
        engine.dispose()


@pytest.fixture(scope="session")
def owner_engine(config: Config) -> Iterator[Engine]:
    """The owner role: for cleaning up and for looking behind the application's back."""
    engine = create_engine(config.migration_database_url)
    yield engine
    engine.dispose()


@pytest.fixture(scope="session")
def app_engine(config: Config) -> Iterator[Engine]:
    """A raw engine as the application role, for testing what the database itself allows."""
    engine = create_engine(config.database_url)
    yield engine
    engine.dispose()


@pytest.fixture(scope="session")
def _app(config: Config) -> Flask:
    app = create_app(config)
    app.config["PROPAGATE_UNHANDLED"] = True
    return app


def _tables(engine: Engine) -> list[str]:
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")).scalars()
        return sorted(t for t in rows if t not in KEEP)


@pytest.fixture(autouse=True)
def _clean(request: pytest.FixtureRequest) -> Iterator[None]:
    if "config" not in request.fixturenames:
        yield
        return
    engine = request.getfixturevalue("owner_engine")
    app = request.getfixturevalue("_app")
    yield
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {', '.join(_tables(engine))} RESTART IDENTITY CASCADE"))
    app.extensions["kopdes_redis"].flushdb()


@pytest.fixture
def app(_app: Flask) -> Iterator[Flask]:
    with _app.app_context():
        yield _app
        db.session.remove()
    from tenants.context import reset

    reset()


def _in_own_context(func: Any, *args: Any, **kwargs: Any) -> Any:
    """Run a request in a fresh thread, so it gets its own app context, `g` and database session,
    as in production, rather than sharing the test's."""
    result: dict[str, Any] = {}

    def target() -> None:
        try:
            result["value"] = func(*args, **kwargs)
        except BaseException as err:  # re-raised in the test's thread
            result["error"] = err

    thread = threading.Thread(target=target)
    thread.start()
    thread.join()
    if "error" in result:
        raise result["error"]
    return result["value"]


class Client:
    """A test client that sends the CSRF token of the page it saw last, as a browser would; each
    request runs in its own app context."""

    def __init__(self, flask_client: FlaskClient) -> None:
        self.raw = flask_client
        self.csrf: str | None = None

    def open(self, url: str, **kwargs: Any) -> Any:
        return self._remember(_in_own_context(self.raw.open, url, **kwargs))

    def _remember(self, response: Any) -> Any:
        match = re.search(rb'name="csrf_token" value="([^"]+)"', response.data)
        if match:
            self.csrf = match.group(1).decode()
        return response

    def get(self, url: str, **kwargs: Any) -> Any:
        return self.open(url, method="GET", **kwargs)

    def post(self, url: str, data: dict[str, Any] | None = None, *, csrf: bool = True, **kwargs: Any) -> Any:
        data = dict(data or {})
        if csrf:
            if self.csrf is None:
                self.get("/masuk")
            data.setdefault("csrf_token", self.csrf)
        return self.open(url, method="POST", data=data, **kwargs)

    def login(self, user: User, password: str = PASSWORD) -> Any:
        response = self.post("/masuk", {"identifier": user.email or user.phone, "password": password})
        assert response.status_code == 302, response.data[:500]
        self.get(response.location)  # as a browser does; the session (and CSRF token) is new
        return response


@pytest.fixture
def client(app: Flask) -> Client:
    return Client(app.test_client())


@pytest.fixture
def make_client(app: Flask) -> Any:
    return lambda: Client(app.test_client())


_counter = iter(range(1, 10**9))


def make_user(name: str = "Siti Aminah", *, email: str | None = None, phone: str | None = None) -> User:
    n = next(_counter)
    user = User(
        name=name,
        email=email or (None if phone else f"user{n}@example.id"),
        phone=phone,
        password_hash=hash_password(PASSWORD),
    )
    db.session.add(user)
    db.session.commit()
    return user


VILLAGES = ("32.04.12.2003", "33.07.07.1006", "53.01.06.2007", "32.04.12.2004")


def make_cooperative(village_code: str | None = None, slug: str | None = None) -> Cooperative:
    n = next(_counter)
    coop = Cooperative(
        name=f"Koperasi Uji {n}",
        slug=slug or f"uji-{n}",
        village_code=village_code or VILLAGES[n % len(VILLAGES)],
    )
    db.session.add(coop)
    db.session.commit()
    return coop


def add_staff(coop: Cooperative, *roles: str, user: User | None = None) -> User:
    user = user or make_user()
    db.session.add(Membership(cooperative_id=coop.id, user_id=user.id, roles=list(roles)))
    db.session.commit()
    return user


def grant_platform_role(user: User, role: str, **kwargs: Any) -> None:
    db.session.add(PlatformRole(user_id=user.id, role=role, **kwargs))
    db.session.commit()


@pytest.fixture
def two_coops(app: Flask) -> tuple[Cooperative, Cooperative]:
    return make_cooperative(VILLAGES[0], "koperasi-a"), make_cooperative(VILLAGES[1], "koperasi-b")
