"""Benchmark: region dashboards from rollups vs the same numbers aggregated from the base tables.

Synthetic national data on its own database (`kopdes_bench_dashboard`): one cooperative per village
(every level-4 region, ~83,762), `MEMBERS` members spread over them (default 3 million; scale with
KOPDES_BENCH_MEMBERS), and a year of activity events (`EVENTS` audit entries). Figures:

  rollup refresh, whole nation (first run reads the whole audit log; then an incremental run
  after 10,000 new events)                                       target < 60 s;
  national / province dashboard page (Flask, platform admin) p95 vs one SQL aggregate over the base
  tables computing the same numbers (activity from the audit log, members from `members`)
                                                                 target p95 < 200 ms and ≥ 20×;
  microsite page p95                                             target < 50 ms.
"""

from __future__ import annotations

import os
import random
import time
from collections.abc import Callable

from sqlalchemy import create_engine, text

from core.app import create_app
from core.config import Config
from tenants.regions import import_regions

from common import fresh_database, p95

BENCH_DB = "kopdes_bench_dashboard"
MEMBERS = int(os.environ.get("KOPDES_BENCH_MEMBERS", 3_000_000))
EVENTS = int(os.environ.get("KOPDES_BENCH_EVENTS", 2_000_000))
PAGE_RUNS = 40
AGGREGATE_RUNS = 5
MICROSITE_RUNS = 200

# The same numbers as the dashboard's rollup row and child rows, from the base tables in one go.
BASELINE = """
WITH activity AS (
    SELECT cooperative_id, max(at) AS last_at FROM audit_log
    WHERE cooperative_id IS NOT NULL GROUP BY cooperative_id
), members AS (
    SELECT tenant_id, count(*) AS n FROM members WHERE status = 'active' GROUP BY tenant_id
), coop AS (
    SELECT c.village_code, coalesce(c.verified_stage, 'belum') AS stage, c.formation_model,
           c.legal_entity, c.operating_units,
           coalesce(a.last_at >= now() - interval '30 days', false) AS active, coalesce(m.n, 0) AS members
    FROM cooperatives c
    LEFT JOIN activity a ON a.cooperative_id = c.id
    LEFT JOIN members m ON m.tenant_id = c.id
    WHERE c.village_code LIKE :prefix
)
SELECT left(village_code, :width) AS region, count(*), count(*) FILTER (WHERE legal_entity),
       count(*) FILTER (WHERE active), sum(members),
       count(*) FILTER (WHERE stage = 'belum'), count(*) FILTER (WHERE formation_model = 'pengembangan'),
       count(*) FILTER (WHERE 'sembako' = ANY(operating_units))
FROM coop GROUP BY ROLLUP (left(village_code, :width))
"""


def load(owner_url: str) -> int:
    """Regions, one cooperative per village, members and a year of events (as the owner)."""
    engine = create_engine(owner_url)
    with engine.begin() as conn:
        import_regions(conn)
        conn.execute(
            text(
                "INSERT INTO cooperatives (slug, name, village_code, formation_model, verified_stage, "
                "legal_entity, operating_units, address, phone, founded_on) "
                "SELECT 'kop-' || replace(code, '.', ''), 'Koperasi Desa Merah Putih ' || name, code, "
                "(ARRAY['pembentukan_baru','pengembangan','revitalisasi'])[1 + abs(hashtext(code)) % 3], "
                "(ARRAY[NULL,'sosialisasi','musdesus','rapat_pembentukan','akta_notaris',"
                "'pengesahan_badan_hukum','operasional'])[1 + abs(hashtext(code || 's')) % 7], "
                "abs(hashtext(code || 'l')) % 10 < 8, "
                "CASE WHEN abs(hashtext(code || 'u')) % 2 = 0 THEN ARRAY['sembako','simpan_pinjam'] "
                "ELSE ARRAY['kantor']::varchar[] END, "
                "CASE WHEN abs(hashtext(code || 'a')) % 3 > 0 THEN 'Jl. Desa ' || name END, "
                "'+6281' || lpad((abs(hashtext(code)) % 100000000)::text, 8, '0'), DATE '2025-07-21' "
                "FROM regions WHERE level = 4"
            )
        )
        ids = conn.execute(text("SELECT min(id), max(id) FROM cooperatives")).one()
        coops = ids[1] - ids[0] + 1
        conn.execute(
            text(
                "INSERT INTO members (tenant_id, nik, kk_number, name, birth_place, birth_date, gender, "
                "address, village_code, status, member_number, joined_on) "
                "SELECT c.id, lpad(g::text, 16, '0'), lpad(g::text, 16, '0'), 'Anggota ' || g, 'Desa', "
                "DATE '1980-01-01', 'L', 'Desa', c.village_code, 'active', 'A-' || g, DATE '2025-08-01' "
                "FROM generate_series(1, :n) AS g "
                "JOIN cooperatives c ON c.id = :first + (g % :coops)"
            ),
            {"n": MEMBERS, "first": ids[0], "coops": coops},
        )
        conn.execute(
            text(
                "INSERT INTO audit_log (at, cooperative_id, action, entity) "
                "SELECT now() - (random() * interval '365 days'), :first + (g::bigint * 7919) % :coops, "
                "'journal_posted', 'journal_entry' FROM generate_series(1, :n) AS g"
            ),
            {"n": EVENTS, "first": ids[0], "coops": coops},
        )
        conn.execute(text("ANALYZE"))
    engine.dispose()
    return coops


def timed(run: Callable[[], object], times: int) -> list[float]:
    samples = []
    for _ in range(times):
        started = time.perf_counter()
        run()
        samples.append(time.perf_counter() - started)
    return samples


def main() -> None:
    app_url, owner_url = fresh_database(BENCH_DB)
    started = time.perf_counter()
    coops = load(owner_url)
    elapsed = time.perf_counter() - started
    print(f"data: {coops} cooperatives, {MEMBERS} members, {EVENTS} events in {elapsed:.1f} s")

    config = Config.from_env(database=BENCH_DB)
    config = Config(**{**config.__dict__, "database_url": app_url, "migration_database_url": owner_url})
    app = create_app(config)
    from core.auth import hash_password
    from core.db import db
    from core.models import PlatformRole, User
    from tenants import rollups

    with app.app_context():
        admin = User(
            name="Bench", email="bench@example.id", password_hash=hash_password("rahasia-sekali-123")
        )
        db.session.add(admin)
        db.session.flush()
        db.session.add(PlatformRole(user_id=admin.id, role="platform_admin"))
        db.session.commit()
        admin_id = admin.id

        full = timed(rollups.refresh, 1)[0]
        print(
            f"rollup refresh, whole nation, first (reads the whole audit log): {full:.2f} s (target < 60 s)"
        )
        with db.engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO audit_log (cooperative_id, action, entity) "
                    "SELECT (SELECT min(id) FROM cooperatives) + g % 80000, 'sale', 'pos' "
                    "FROM generate_series(1, 10000) g"
                )
            )
        incremental = timed(rollups.refresh, 1)[0]
        print(f"rollup refresh, incremental after 10,000 events: {incremental:.2f} s (target < 60 s)")

    client = app.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = str(admin_id)
        session["_fresh"] = True
    owner = create_engine(owner_url)
    for label, region, prefix, width in (
        ("national", None, "%", 2),
        ("province 32 (Jawa Barat)", "32", "32.%", 5),
    ):
        url = "/admin/dasbor" + (f"?region={region}" if region else "")
        assert client.get(url).status_code == 200
        pages = timed(lambda: client.get(url), PAGE_RUNS)  # noqa: B023 - called within the loop
        with owner.connect() as conn:
            params = {"prefix": prefix, "width": width}
            aggregate = timed(lambda: conn.execute(text(BASELINE), params).all(), AGGREGATE_RUNS)  # noqa: B023
        ours, base = p95(pages), p95(aggregate)
        print(
            f"{label} dashboard p95: rollup page {ours * 1000:.1f} ms, base-table aggregate "
            f"{base * 1000:.1f} ms (targets < 200 ms, ≥ 20×): ratio {base / ours:.1f}×"
        )
    with owner.connect() as conn:
        slugs = list(conn.execute(text("SELECT slug FROM cooperatives")).scalars())
    picks = random.Random(7).sample(slugs, MICROSITE_RUNS)
    anonymous = app.test_client()
    samples = []
    for slug in picks:
        started = time.perf_counter()
        assert anonymous.get(f"/koperasi/{slug}").status_code == 200
        samples.append(time.perf_counter() - started)
    micro = p95(samples) * 1000
    print(
        f"microsite p95: {micro:.1f} ms over {MICROSITE_RUNS} pages (target < 50 ms): ratio {micro / 50:.2f}"
    )
    owner.dispose()


if __name__ == "__main__":
    main()
