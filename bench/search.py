"""Benchmark: Kophub search on the postgres adapter vs a hand-written SQL baseline of the same
queries, and index freshness (a listing change to its visibility in search, through the outbox, a
real RQ worker process and the index job).

Synthetic national data on its own database (`kopdes_bench_search`): one cooperative per village
(every level-4 region, 83,762) and `LISTINGS` search documents spread over them (default 1,000,000;
scale with KOPDES_BENCH_LISTINGS or the first argument), loaded with COPY (KOPDES_BENCH_REUSE=1
measures again on the data of the last run). Figures:

  search with words, filters and facets p95 (adapter, through `marketplace.search`) vs the same two
  statements (page of hits, facet counts) as literal SQL on a plain connection
                                                     target p95 < 150 ms, ratio ≤ 1.5;
  index freshness: commit of a listing edit → visible in search, median and p95 over 20 edits.
"""

from __future__ import annotations

import io
import os
import random
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
from sqlalchemy import create_engine, make_url, text

from core import embedded
from core.app import create_app
from core.config import Config
from core.migrate import upgrade
from tenants.regions import import_regions

BENCH_DB = "kopdes_bench_search"
LISTINGS = int(sys.argv[1]) if len(sys.argv) > 1 else int(os.environ.get("KOPDES_BENCH_LISTINGS", 1_000_000))
QUERIES = 200
FRESHNESS_EDITS = 20
REDIS_DB = 13
ROOT = Path(__file__).resolve().parent.parent

# What villages sell: (category, title words, price range per unit).
PRODUCTS = [
    (
        "beras",
        ["Beras Pandan Wangi", "Beras IR64", "Beras Rojolele", "Beras merah", "Beras hitam"],
        (11_000, 19_000),
    ),
    ("beras", ["Gabah kering giling", "Gabah kering panen", "Berasnya pulen"], (5_500, 14_000)),
    ("palawija", ["Jagung pipil kering", "Kedelai lokal", "Kacang tanah", "Singkong segar"], (3_000, 15_000)),
    ("sayur", ["Cabai rawit merah", "Bawang merah Brebes", "Tomat sayur", "Kentang Dieng"], (6_000, 60_000)),
    ("buah", ["Salak pondoh", "Mangga arumanis", "Pisang kepok", "Jeruk siam"], (8_000, 35_000)),
    (
        "rempah",
        ["Lada putih Bangka", "Cengkeh kering", "Pala biji", "Kemiri kupas", "Vanili kering"],
        (40_000, 900_000),
    ),
    (
        "kopi_teh_kakao",
        ["Kopi arabika Gayo", "Kopi robusta Lampung", "Biji kakao fermentasi", "Teh hijau"],
        (35_000, 250_000),
    ),
    ("gula", ["Gula aren cetak", "Gula semut aren", "Gula merah kelapa"], (18_000, 45_000)),
    ("minyak", ["Minyak kelapa murni", "Minyak goreng curah", "Kopra putih"], (14_000, 80_000)),
    (
        "ikan",
        ["Ikan teri Medan", "Ikan asin jambal", "Udang vaname", "Rumput laut kering"],
        (20_000, 180_000),
    ),
    (
        "ternak",
        ["Telur ayam kampung", "Madu hutan", "Susu sapi segar", "Daging sapi lokal"],
        (15_000, 150_000),
    ),
    (
        "olahan",
        ["Keripik singkong balado", "Kerupuk udang", "Tempe kedelai", "Abon ikan tuna"],
        (10_000, 90_000),
    ),
    ("kerajinan", ["Anyaman bambu", "Tikar pandan", "Kain tenun ikat"], (25_000, 750_000)),
]
GRADES = ["Premium", "Super", "Medium", "Grade A", "Kualitas ekspor", None]
DESCRIPTIONS = [
    "Dipanen dan disortir oleh anggota koperasi, dikemas bersih.",
    "Langsung dari petani desa, tanpa perantara.",
    "Kualitas terjaga, siap kirim ke seluruh Indonesia.",
    "Hasil kebun anggota, diproses secara tradisional.",
]
SEARCH_WORDS = [
    "beras", "berasnya", "beras pandan", "kopi", "kopi arab", "gula aren", "gula", "cabai", "jagung",
    "minyak kelapa", "ikan", "telur", "madu", "pand", "teh", "keripik", "salak", "lada", "bawang merah", "",
]  # fmt: skip

# The same statements the adapter issues, written by hand.
BASELINE_HITS = """
SELECT listing_id, cooperative_slug, cooperative_name, title, category, grade, unit, price,
       lowest_price, min_order, available, certifications, province_code, regency_code, village_name,
       photo_key, harvested_on
FROM marketplace_search_documents
WHERE {where}
ORDER BY {order}
LIMIT 20 OFFSET %(offset)s
"""
BASELINE_FACETS = """
WITH matched AS (
    SELECT category, province_code, regency_code, certifications, available >= min_order AS ready
    FROM marketplace_search_documents WHERE {where}
)
SELECT 'category', category, count(*) FROM matched GROUP BY category
UNION ALL SELECT 'province', province_code, count(*) FROM matched GROUP BY province_code
UNION ALL SELECT 'certification', cert.value, count(*)
    FROM matched JOIN unnest(matched.certifications) AS cert(value) ON true GROUP BY cert.value
UNION ALL SELECT 'in_stock', 'ready', count(*) FROM matched WHERE ready
{regency}
"""


def fresh_database() -> tuple[str, str]:
    _, postgres_url = embedded.ensure_postgres("postgres")
    host = make_url(postgres_url).query["host"]
    with psycopg.connect(f"host={host} user=postgres dbname=postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{BENCH_DB}" WITH (FORCE)')
    app_url, owner_url = embedded.ensure_postgres(BENCH_DB)
    upgrade(owner_url, app_url)
    return app_url, owner_url


def _libpq(url: str) -> str:
    parsed = make_url(url)
    return f"host={parsed.query['host']} user={parsed.username} dbname={parsed.database}"


def load(owner_url: str) -> tuple[int, int]:
    """Regions, one cooperative per village, then `LISTINGS` documents by COPY (indexes dropped
    during the load and built after, as a bulk load should)."""
    engine = create_engine(owner_url)
    with engine.begin() as conn:
        import_regions(conn)
        conn.execute(
            text(
                "INSERT INTO cooperatives (slug, name, village_code) "
                "SELECT 'kop-' || replace(code, '.', ''), 'Koperasi Desa Merah Putih ' || name, code "
                "FROM regions WHERE level = 4"
            )
        )
    engine.dispose()
    with psycopg.connect(_libpq(owner_url), autocommit=True) as conn:
        coops = conn.execute(
            "SELECT c.id, c.slug, c.name, c.village_code, v.name, r.name, p.name FROM cooperatives c "
            "JOIN regions v ON v.code = c.village_code JOIN regions r ON r.code = left(c.village_code, 5) "
            "JOIN regions p ON p.code = left(c.village_code, 2) ORDER BY c.id"
        ).fetchall()
        index_defs = [
            row[0]
            for row in conn.execute(
                "SELECT indexdef FROM pg_indexes WHERE tablename = 'marketplace_search_documents' "
                "AND indexname <> 'pk_marketplace_search_documents'"
            )
        ]
        for (name,) in conn.execute(
            "SELECT indexname FROM pg_indexes WHERE tablename = 'marketplace_search_documents' "
            "AND indexname <> 'pk_marketplace_search_documents'"
        ).fetchall():
            conn.execute(f"DROP INDEX {name}")
        rng = random.Random(2026)
        now = datetime.now(UTC)
        columns = (
            "listing_id, cooperative_id, cooperative_slug, cooperative_name, title, description, "
            "keywords, category, grade, unit, price, lowest_price, min_order, available, certifications, "
            "province_code, regency_code, village_code, village_name, photo_key, harvested_on, "
            "published_at, changed_at, indexed_at"
        )
        with (
            conn.cursor() as cur,
            cur.copy(f"COPY marketplace_search_documents ({columns}) FROM STDIN") as copy,
        ):
            buffer = io.StringIO()
            for i in range(1, LISTINGS + 1):
                coop = coops[rng.randrange(len(coops))]
                category, titles, (low, high) = PRODUCTS[rng.randrange(len(PRODUCTS))]
                title = rng.choice(titles)
                grade = rng.choice(GRADES)
                price = rng.randrange(low, high) // 100 * 100
                min_order = rng.choice((1, 1, 5, 10, 50))
                available = rng.choice((0, 3, 20, 100, 500, 2_000)) + rng.randrange(1, 40)
                certs = [
                    c
                    for c in ("halal", "organik", "sni")
                    if rng.random() < (0.5, 0.1, 0.15)[("halal", "organik", "sni").index(c)]
                ]
                keywords = " ".join(
                    x for x in (category, grade or "", coop[4], coop[5], coop[6], coop[2]) if x
                )
                published = now - timedelta(minutes=rng.randrange(0, 60 * 24 * 365))
                row = (
                    i, coop[0], coop[1], coop[2], f"{title} {grade or ''}".strip(),
                    rng.choice(DESCRIPTIONS), keywords, category, grade or "\\N", "kg", price,
                    price - price // 10, min_order, available,
                    "{" + ",".join(certs) + "}", coop[3][:2], coop[3][:5], coop[3], coop[4], "\\N",
                    (published - timedelta(days=20)).date().isoformat(), published.isoformat(),
                    published.isoformat(), published.isoformat(),
                )  # fmt: skip
                buffer.write("\t".join(str(v).replace("\t", " ") for v in row) + "\n")
                if i % 20_000 == 0:
                    copy.write(buffer.getvalue())
                    buffer = io.StringIO()
            copy.write(buffer.getvalue())
        conn.execute("SET maintenance_work_mem = '256MB'")
        for definition in index_defs:
            conn.execute(definition)
        conn.execute("VACUUM ANALYZE marketplace_search_documents")
    return len(coops), LISTINGS


def p95(samples: list[float]) -> float:
    return statistics.quantiles(samples, n=20)[18] if len(samples) >= 20 else max(samples)


def queries(rng: random.Random) -> list:
    from marketplace.search.port import Query

    found = []
    provinces = ["11", "32", "33", "35", "51", "53", "61", "73", "94"]
    for _ in range(QUERIES):
        kw: dict = {"text": rng.choice(SEARCH_WORDS)}
        if rng.random() < 0.5:
            kw["province"] = rng.choice(provinces)
        if rng.random() < 0.3:
            kw["category"] = rng.choice(PRODUCTS)[0]
        if rng.random() < 0.3:
            kw["price_min"], kw["price_max"] = 10_000, 50_000
        if rng.random() < 0.2:
            kw["certification"] = rng.choice(("halal", "organik", "sni"))
        if rng.random() < 0.3:
            kw["in_stock"] = True
        kw["sort"] = rng.choice(("relevance", "relevance", "price_asc", "price_desc", "newest"))
        kw["page"] = rng.choice((1, 1, 1, 2, 3))
        found.append(Query(**kw))
    return found


def baseline_sql(query) -> tuple[str, str, dict]:
    """The hand-written SQL of a query: WHERE clause, ORDER BY, parameters."""
    where, params = ["true"], {"offset": query.offset}
    words = query.words()
    tsq = None
    if words:
        parts = [f"plainto_tsquery('indonesian', %(w{i})s)" for i in range(len(words) - 1)]
        parts.append(
            f"(plainto_tsquery('indonesian', %(w{len(words) - 1})s) || to_tsquery('simple', %(prefix)s))"
        )
        for i, w in enumerate(words):
            params[f"w{i}"] = w
        params["prefix"] = f"{words[-1]}:*"
        tsq = " && ".join(parts)
        where.append(f"tsv @@ ({tsq})")
    for field, column in (
        ("category", "category"),
        ("province", "province_code"),
        ("regency", "regency_code"),
    ):
        if getattr(query, field):
            where.append(f"{column} = %({field})s")
            params[field] = getattr(query, field)
    if query.price_min is not None:
        where.append("price >= %(price_min)s")
        params["price_min"] = query.price_min
    if query.price_max is not None:
        where.append("price <= %(price_max)s")
        params["price_max"] = query.price_max
    if query.certification:
        where.append("certifications @> ARRAY[%(cert)s]::varchar[]")
        params["cert"] = query.certification
    if query.in_stock:
        where.append("available >= min_order")
    order = {
        "price_asc": "price ASC, listing_id DESC",
        "price_desc": "price DESC, listing_id DESC",
        "newest": "published_at DESC, listing_id DESC",
    }.get(query.effective_sort, f"ts_rank(tsv, {tsq}) DESC, listing_id DESC")
    return " AND ".join(where), order, params


def run_baseline(conn: psycopg.Connection, query) -> None:
    where, order, params = baseline_sql(query)
    conn.execute(BASELINE_HITS.format(where=where, order=order), params).fetchall()
    regency = (
        "UNION ALL SELECT 'regency', regency_code, count(*) FROM matched GROUP BY regency_code"
        if query.province
        else ""
    )
    conn.execute(BASELINE_FACETS.format(where=where, regency=regency), params).fetchall()


def timed(run: Callable[[], object]) -> float:
    started = time.perf_counter()
    run()
    return time.perf_counter() - started


def freshness(app, config: Config, app_url: str, owner_url: str) -> list[float]:
    """Edit a listing FRESHNESS_EDITS times; each time, wait until search shows the new title.
    A real worker process runs the outbox's index jobs, as in production."""
    from core.db import db
    from erp.inventory import service as inventory
    from erp.inventory.models import LocationKind
    from erp.ledger import service as ledger
    from marketplace.listings import service as listings
    from marketplace.search.port import Query, backend
    from tenants.context import tenant

    with app.app_context():
        coop_id = db.session.execute(text("SELECT min(id) FROM cooperatives")).scalar_one()
        with tenant(coop_id):
            ledger.install_chart_of_accounts()
            db.session.commit()
            gudang = inventory.add_location("GUDANG", "Gudang", LocationKind.GUDANG)
            product = inventory.add_product(
                code="BENCH-1", name="Beras", category="beras", unit="kg", price=15_000
            )
            inventory.receive(product.id, gudang.id, 1_000, 10_000_000, idempotency_key="bench-receive")
            data = listings.ListingInput(
                product_id=product.id, location_id=gudang.id, title="Beras segar", description="Beras desa.",
                category="beras", price=15_000, min_order=1,
            )  # fmt: skip
            listing = listings.publish(data)
    env = {
        **os.environ,
        "KOPDES_DATABASE_URL": app_url,
        "KOPDES_MIGRATION_DATABASE_URL": owner_url,
        "KOPDES_REDIS_URL": config.redis_url,
        "KOPDES_SECRET_KEY": "bench-only-secret",
        "PYTHONPATH": str(ROOT),
    }
    worker = subprocess.Popen(
        [sys.executable, "-m", "flask", "--app", "wsgi", "kopdes", "worker"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    samples = []
    try:
        with app.app_context():
            search = backend()
            deadline = time.monotonic() + 60
            while not search.search(Query(text="segar")).hits and time.monotonic() < deadline:
                db.session.rollback()
                time.sleep(0.05)
            for n in range(FRESHNESS_EDITS):
                word = f"panen{n}x"
                with tenant(coop_id):
                    started = time.perf_counter()
                    listings.update_listing(
                        listing.id, data.__class__(**{**data.__dict__, "title": f"Beras {word}"})
                    )
                while True:
                    db.session.rollback()
                    hits = search.search(Query(text=word)).hits
                    if hits:
                        samples.append(time.perf_counter() - started)
                        break
                    if time.perf_counter() - started > 30:
                        raise RuntimeError("an edit did not reach search within 30 s")
                    time.sleep(0.002)
    finally:
        worker.terminate()
        worker.wait(10)
    return samples


def loaded(owner_url: str) -> tuple[int, int]:
    with psycopg.connect(_libpq(owner_url)) as conn:
        coops = conn.execute("SELECT count(*) FROM cooperatives").fetchone()
        docs = conn.execute("SELECT count(*) FROM marketplace_search_documents").fetchone()
    return int(coops[0]) if coops else 0, int(docs[0]) if docs else 0


def main() -> None:
    if os.environ.get("KOPDES_BENCH_REUSE") == "1":  # measure again on the data of the last run
        app_url, owner_url = embedded.ensure_postgres(BENCH_DB)
        upgrade(owner_url, app_url)
        coops, count = loaded(owner_url)
        print(f"data: {coops} cooperatives, {count} listings (reused from the last run)")
    else:
        app_url, owner_url = fresh_database()
        started = time.perf_counter()
        coops, count = load(owner_url)
        elapsed = time.perf_counter() - started
        print(f"data: {coops} cooperatives, {count} listings loaded with COPY in {elapsed:.1f} s")

    config = Config.from_env(database=BENCH_DB)
    sock = config.redis_url.split("?")[0]
    config = Config(
        **{
            **config.__dict__,
            "database_url": app_url,
            "migration_database_url": owner_url,
            "redis_url": f"{sock}?db={REDIS_DB}",
        }
    )
    app = create_app(config)
    app.extensions["kopdes_redis"].flushdb()
    from core.db import db
    from marketplace.search.port import backend

    rng = random.Random(7)
    plan = queries(rng)
    ours, base = [], []
    with app.app_context(), psycopg.connect(_libpq(app_url), autocommit=True) as plain:
        search = backend()
        for query in plan[:10]:  # warm both paths the same way
            search.search(query)
            run_baseline(plain, query)
        db.session.rollback()
        for query in plan:
            ours.append(timed(lambda: search.search(query)))  # noqa: B023
            db.session.rollback()
            base.append(timed(lambda: run_baseline(plain, query)))  # noqa: B023
    ours_p95, base_p95 = p95(ours) * 1000, p95(base) * 1000
    print(
        f"search with filters and facets p95 over {QUERIES} queries, {count} listings: adapter "
        f"{ours_p95:.1f} ms, hand-written SQL {base_p95:.1f} ms (medians "
        f"{statistics.median(ours) * 1000:.1f} / {statistics.median(base) * 1000:.1f} ms; "
        f"targets < 150 ms, ratio ≤ 1.5): ratio {ours_p95 / base_p95:.2f}"
    )
    samples = freshness(app, config, app_url, owner_url)
    print(
        f"index freshness, edit committed → visible in search, over {len(samples)} edits: median "
        f"{statistics.median(samples) * 1000:.0f} ms, p95 {p95(samples) * 1000:.0f} ms "
        f"(target: seconds): ratio {p95(samples) / 1.0:.2f} of 1 s"
    )
    with os.popen("uptime") as uptime:
        print(f"load: {uptime.read().strip()}")


if __name__ == "__main__":
    main()
