"""Benchmark: what tenancy costs on indexed tenant queries, 1,000 tenants × 1,000 rows.

Ours: the same queries through the application's session as the application role (`kopdes_app`)
inside a Flask app context, the tenant set by `tenants.context.tenant()`, so the ORM guard
(`with_loader_criteria`), the per-transaction `set_config('app.tenant_id', …)` and forced row-level
security all apply; rows are returned as rows, like the baseline's (loading ORM entities is the
ORM's cost, not tenancy's, and is shown on its own line). Baseline: the same
queries in plain SQL with `WHERE tenant_id = …` over SQLAlchemy Core, as the superuser `postgres`
(no row-level security, no GUC). One simulated request is one transaction of ten indexed queries
(eight `(tenant_id, id)` lookups and two ten-row range scans) for a random tenant; the same
requests are replayed for every figure, interleaved in rounds so that drift on a shared machine
affects all alike. Target: ours / baseline ≤ 1.15.

The other figures break the ratio down, layer by layer (ratios to the baseline, then between them):
  ORM entities, guard + set_config + RLS     the application's usual way, objects loaded;
  Core SQL + set_config (superuser)          the extra round trip alone (RLS is bypassed);
  Core SQL + set_config + RLS (app role)     … and the row-level security predicate;
  ORM entities, no tenancy (superuser)       the ORM alone, both tenancy listeners removed;
  ORM entities, no guard (app role)          … plus set_config + RLS, the guard listener removed.
Rounds are short and many, and the best round counts: the machine may be shared.

Runs on its own fresh database (`kopdes_bench`) on the embedded PostgreSQL.
"""

from __future__ import annotations

import os
import random
import statistics
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import cast

from flask import Flask
from sqlalchemy import (
    BigInteger,
    PrimaryKeyConstraint,
    String,
    Table,
    UniqueConstraint,
    create_engine,
    event,
    make_url,
    select,
    text,
)
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Mapped, Session, mapped_column
from sqlalchemy.schema import AddConstraint, DropConstraint

from core import embedded
from core.app import create_app
from core.config import Config
from core.db import Base, db, utcnow_column
from core.migrate import grant_app_role
from tenants import context
from tenants.models import TenantScoped
from tenants.regions import import_regions
from tenants.rls import enable_tenant_rls

from common import fresh_database

BENCH_DB = "kopdes_bench"
TENANTS = 1_000
ROWS_PER_TENANT = 1_000
LOOKUPS = 8
RANGES = 2
RANGE_ROWS = 10
ROUNDS = 30
MIN_ROUNDS = 10
BUDGET_SECONDS = 40.0  # for the rounds after MIN_ROUNDS: the whole bench stays near a minute
REQUESTS_PER_ROUND = 50
TARGET_RATIO = 1.15


class BenchItem(TenantScoped, Base):
    """A tenant table like the application's: `tenant_id`, `UNIQUE (tenant_id, id)`, forced RLS."""

    __tablename__ = "bench_items"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    name: Mapped[str] = mapped_column(String(80))
    amount: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = utcnow_column()


ITEMS = cast(Table, BenchItem.__table__)
COLUMNS = "id, tenant_id, name, amount, created_at"
LOOKUP_SQL = text(f"SELECT {COLUMNS} FROM bench_items WHERE tenant_id = :t AND id = :id")
RANGE_SQL = text(f"SELECT {COLUMNS} FROM bench_items WHERE tenant_id = :t AND id >= :lo ORDER BY id LIMIT :n")


@dataclass(frozen=True)
class Request:
    tenant: int  # a cooperatives.id
    ids: tuple[int, ...]  # rows of that tenant to look up
    starts: tuple[int, ...]  # where the range scans start


@dataclass
class Figure:
    label: str
    run: Callable[[list[Request]], None]
    per_request: list[float] = field(default_factory=list)


# --- setup ---------------------------------------------------------------------------------------


def load(owner: Engine, app_url: str, owner_url: str) -> list[int]:
    """Regions, 1,000 cooperatives in distinct real villages, and 1,000 rows each in bench_items
    (interleaved by tenant, as rows written over time are); returns the cooperatives' ids.

    Row `(g - 1) * TENANTS + k` is the g-th row of the k-th cooperative."""
    with owner.begin() as conn:
        import_regions(conn)
        conn.execute(
            text(
                "INSERT INTO cooperatives (slug, name, village_code) "
                "SELECT 'bench-' || n, 'Koperasi Bench ' || n, code FROM ("
                "  SELECT code, row_number() OVER (ORDER BY code) AS n FROM regions WHERE level = 4"
                ") AS villages WHERE n % 80 = 0 ORDER BY n LIMIT :tenants"
            ),
            {"tenants": TENANTS},
        )
        ITEMS.create(conn)
        for statement in enable_tenant_rls(ITEMS.name):
            conn.execute(text(statement))
        # Known-good rows, loaded fast: the keys' indexes built after the load, and the per-row
        # foreign-key triggers skipped (superuser only).
        keys = [c for c in ITEMS.constraints if isinstance(c, PrimaryKeyConstraint | UniqueConstraint)]
        for key in keys:
            conn.execute(DropConstraint(key))
        conn.execute(text("SET LOCAL session_replication_role = replica"))
        conn.execute(
            text(
                "INSERT INTO bench_items (id, tenant_id, name, amount) "
                "SELECT (g - 1) * :tenants + c.k, c.id, 'barang ' || g, (g * 7919 + c.k) % 100000 "
                "FROM generate_series(1, :rows) AS g "
                "CROSS JOIN (SELECT id, row_number() OVER (ORDER BY id) AS k FROM cooperatives) AS c "
                "ORDER BY g, c.k"
            ),
            {"tenants": TENANTS, "rows": ROWS_PER_TENANT},
        )
        conn.execute(text("SET LOCAL maintenance_work_mem = '256MB'"))
        for key in keys:
            conn.execute(AddConstraint(key))
        tenants = list(conn.execute(text("SELECT id FROM cooperatives ORDER BY id")).scalars())
    grant_app_role(owner_url, make_url(app_url).username or embedded.APP_ROLE)
    with owner.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE bench_items"))
    assert len(tenants) == TENANTS
    return tenants


def plan(tenants: list[int], count: int, rng: random.Random) -> list[Request]:
    requests = []
    for _ in range(count):
        k = rng.randrange(TENANTS)
        rows = [
            (g * TENANTS) + k + 1 for g in rng.sample(range(ROWS_PER_TENANT - RANGE_ROWS), LOOKUPS + RANGES)
        ]
        requests.append(Request(tenants[k], tuple(rows[:LOOKUPS]), tuple(rows[LOOKUPS:])))
    return requests


# --- the figures ---------------------------------------------------------------------------------


def core_sql(engine: Engine, *, set_tenant: bool) -> Callable[[list[Request]], None]:
    """Plain SQL over SQLAlchemy Core, `WHERE tenant_id = …`; optionally the app's set_config first."""

    def run(requests: list[Request]) -> None:
        for r in requests:
            with engine.begin() as conn:
                if set_tenant:
                    context._set_guc(conn, r.tenant)
                for i in r.ids:
                    conn.execute(LOOKUP_SQL, {"t": r.tenant, "id": i}).one()
                for lo in r.starts:
                    conn.execute(RANGE_SQL, {"t": r.tenant, "lo": lo, "n": RANGE_ROWS}).all()

    return run


def orm_ours(app: Flask) -> Callable[[list[Request]], None]:
    """The application's way: ORM entities, the tenant from `tenant()`, guard + set_config + RLS."""

    def run(requests: list[Request]) -> None:
        with app.app_context():
            for r in requests:
                with context.tenant(r.tenant):
                    for i in r.ids:
                        db.session.scalars(select(BenchItem).where(BenchItem.id == i)).one()
                    for lo in r.starts:
                        db.session.scalars(
                            select(BenchItem)
                            .where(BenchItem.id >= lo)
                            .order_by(BenchItem.id)
                            .limit(RANGE_ROWS)
                        ).all()
                    db.session.commit()
                db.session.remove()  # as at the end of a request

    return run


def session_rows(app: Flask) -> Callable[[list[Request]], None]:
    """The same queries as the baseline, rows not objects, through the application's session: the
    tenant from `tenant()`, so the ORM guard, set_config and RLS all apply."""
    columns = (BenchItem.id, BenchItem.tenant_id, BenchItem.name, BenchItem.amount, BenchItem.created_at)

    def run(requests: list[Request]) -> None:
        with app.app_context():
            for r in requests:
                with context.tenant(r.tenant):
                    for i in r.ids:
                        db.session.execute(select(*columns).where(BenchItem.id == i)).one()
                    for lo in r.starts:
                        db.session.execute(
                            select(*columns)
                            .where(BenchItem.id >= lo)
                            .order_by(BenchItem.id)
                            .limit(RANGE_ROWS)
                        ).all()
                    db.session.commit()
                db.session.remove()

    return run


def orm_explicit(app: Flask, *, without: tuple[str, ...]) -> Callable[[list[Request]], None]:
    """ORM entities with an explicit `WHERE tenant_id`, some tenancy listeners removed: without
    both (and as the superuser) it is the ORM alone; without the guard only, set_config + RLS."""

    def run(requests: list[Request]) -> None:
        with app.app_context(), without_listeners(*without):
            for r in requests:
                with context.tenant(r.tenant):
                    for i in r.ids:
                        db.session.scalars(
                            select(BenchItem).where(BenchItem.tenant_id == r.tenant, BenchItem.id == i)
                        ).one()
                    for lo in r.starts:
                        db.session.scalars(
                            select(BenchItem)
                            .where(BenchItem.tenant_id == r.tenant, BenchItem.id >= lo)
                            .order_by(BenchItem.id)
                            .limit(RANGE_ROWS)
                        ).all()
                    db.session.commit()
                db.session.remove()

    return run


GUARD = "do_orm_execute"
SET_CONFIG = "after_begin"
_LISTENERS = {SET_CONFIG: context._set_tenant_on_begin, GUARD: context._scope_queries}


@contextmanager
def without_listeners(*names: str) -> Iterator[None]:
    """Remove some of the tenancy listeners of `tenants.context` for a while."""
    for name in names:
        event.remove(Session, name, _LISTENERS[name])
    try:
        yield
    finally:
        for name in names:
            event.listen(Session, name, _LISTENERS[name])


# --- checks --------------------------------------------------------------------------------------


def check(app: Flask, app_engine: Engine, tenants: list[int], request: Request) -> None:
    """The figures measure what they claim: RLS and the guard are on for the app role."""
    a, b = request.tenant, next(t for t in tenants if t != request.tenant)
    count = text("SELECT count(*) FROM bench_items WHERE tenant_id = :t")
    with app_engine.begin() as conn:
        context._set_guc(conn, a)
        assert conn.execute(LOOKUP_SQL, {"t": b, "id": request.ids[0]}).first() is None
        assert conn.execute(count, {"t": b}).scalar() == 0
        assert conn.execute(count, {"t": a}).scalar() == ROWS_PER_TENANT
        for sql, params in (
            (LOOKUP_SQL, {"id": request.ids[0]}),
            (RANGE_SQL, {"lo": request.starts[0], "n": 10}),
        ):
            explained = "\n".join(conn.execute(text(f"EXPLAIN {sql.text}"), {"t": a, **params}).scalars())
            assert "Index Scan" in explained, explained
    with app.app_context():
        try:
            db.session.scalars(select(BenchItem).limit(1)).all()
            raise AssertionError("a tenant query without a tenant was not refused")
        except context.TenantRequired:
            db.session.rollback()
        with context.tenant(a):
            rows = db.session.scalars(select(BenchItem).where(BenchItem.id.in_(request.ids))).all()
            assert {row.tenant_id for row in rows} == {a} and len(rows) == LOOKUPS
            other = db.session.scalars(select(BenchItem).where(BenchItem.tenant_id == b).limit(1)).all()
            assert other == []
            db.session.commit()
        db.session.remove()


def main() -> None:
    started = time.perf_counter()
    app_url, owner_url = fresh_database(BENCH_DB)
    owner_engine = create_engine(owner_url)
    tenants = load(owner_engine, app_url, owner_url)
    app_engine = create_engine(app_url)
    config = Config(
        database_url=app_url,
        migration_database_url=owner_url,
        redis_url=f"unix://{embedded.redis_socket()}?db=15",  # never used by these queries
        secret_key="bench",  # a throwaway bench app
        embedded=True,
        testing=True,
        secure_cookies=False,
    )
    app = create_app(config)
    owner_app = create_app(Config(**{**config.__dict__, "database_url": owner_url}))
    rng = random.Random(20251125)
    warmup = plan(tenants, 2 * REQUESTS_PER_ROUND, rng)
    rounds = [plan(tenants, REQUESTS_PER_ROUND, rng) for _ in range(ROUNDS)]
    check(app, app_engine, tenants, warmup[0])
    setup = time.perf_counter() - started

    figures = [
        Figure("baseline: Core SQL, WHERE tenant_id, superuser", core_sql(owner_engine, set_tenant=False)),
        Figure("ours: session rows, app role, guard + set_config + RLS", session_rows(app)),
        Figure("  ORM entities, app role, guard + set_config + RLS", orm_ours(app)),
        Figure("  Core SQL + set_config round trip, superuser", core_sql(owner_engine, set_tenant=True)),
        Figure("  Core SQL + set_config + RLS, app role", core_sql(app_engine, set_tenant=True)),
        Figure(
            "  ORM entities, WHERE tenant_id, superuser, no tenancy",
            orm_explicit(owner_app, without=(SET_CONFIG, GUARD)),
        ),
        Figure(
            "  ORM entities, WHERE tenant_id, set_config + RLS, no guard", orm_explicit(app, without=(GUARD,))
        ),
    ]
    for figure in figures:
        figure.run(warmup)
    measuring = time.perf_counter()
    done = 0
    for requests in rounds:
        if done >= MIN_ROUNDS and time.perf_counter() - measuring > BUDGET_SECONDS:
            break
        for figure in figures:
            start = time.perf_counter()
            figure.run(requests)
            figure.per_request.append((time.perf_counter() - start) / len(requests))
        done += 1
    owner_engine.dispose()
    app_engine.dispose()

    queries = LOOKUPS + RANGES
    print(
        f"{TENANTS} tenants x {ROWS_PER_TENANT} rows; {done} rounds x {REQUESTS_PER_ROUND} requests "
        f"of {queries} queries in one transaction; µs per request, best and median round "
        f"(setup {setup:.1f} s, load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs)"
    )
    best = [min(f.per_request) for f in figures]
    for figure, seconds in zip(figures, best, strict=True):
        median = statistics.median(figure.per_request)
        print(
            f"{figure.label:<60} best {seconds * 1e6:6.0f}  median {median * 1e6:6.0f}"
            f"  ratio {seconds / best[0]:5.2f}"
        )
    for label, between in (
        ("tenancy in the ORM: entities / entities without tenancy", best[2] / best[5]),
        ("  of which set_config + RLS: no guard / no tenancy", best[6] / best[5]),
        ("  of which the ORM guard: entities / no guard", best[2] / best[6]),
    ):
        print(f"{label:<60} {'':27}  ratio {between:5.2f}")
    ratio = best[1] / best[0]
    print(f"target ours/baseline <= {TARGET_RATIO}: {'met' if ratio <= TARGET_RATIO else 'MISSED'}")


if __name__ == "__main__":
    main()
