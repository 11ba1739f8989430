"""Benchmark: the gerai counter.

1. Checkout of a five-line basket to a member in cash: `erp.pos.service.checkout` (shift, stock
   locks in product-id order, sale, lines, payment, stock moves, one journal entry through the
   ledger with its idempotency and period checks; the sale row is the member's SHU purchase record;
   one transaction, as the application role under forced RLS) against the same work written as one
   plain-SQL transaction with psycopg (TPC-C new-order-like: lock the five balances, read the
   prices, insert entry, lines, sale, sale lines, payment, moves, update balances). Rounds
   interleaved; mean per checkout from the best round, p95 over every checkout. Also the SQL
   statements one checkout sends, listed and counted. Targets: ours / plain ≤ 3, p95 < 50 ms.
2. Throughput: 8 kasir in 8 cooperatives checking out at once (threads), ours and plain.
3. Search as you type at the counter with 20,000 products in the cooperative: the `/kasir/cari`
   request through the whole app (session, tenant, permission, query, JSON), p95 over typed
   prefixes and names, against the same query in plain SQL. Target: p95 < 30 ms.
4. Counter page weight: the HTML of `/kasir/` with a five-line basket plus its CSS, JS and icon.
   Target < 100 KB.

KOPDES_BENCH_QUICK=1 (or `--quick`) runs fewer checkouts and 2,000 products. Runs on its own fresh
database (`kopdes_bench_pos`) on the embedded PostgreSQL.
"""

from __future__ import annotations

import gzip
import os
import random
import re
import statistics
import sys
import threading
import time
from datetime import date
from pathlib import Path
from typing import Any

import psycopg
from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import Engine

from core.auth import hash_password
from core.db import db
from erp.inventory import service as inventory
from erp.ledger import service as ledger
from erp.pos import service
from erp.pos.service import CartLine
from tenants.context import tenant
from tenants.regions import import_regions

from common import add_cooperatives, fresh_database, libpq, make_app, p95

BENCH_DB = "kopdes_bench_pos"
QUICK = bool(os.environ.get("KOPDES_BENCH_QUICK")) or "--quick" in sys.argv
ROUNDS = 4 if QUICK else 8
PER_ROUND = 20 if QUICK else 50
THREADS = 8
PER_THREAD = 20 if QUICK else 60
PRODUCTS = 2_000 if QUICK else 20_000
SEARCHES = 100 if QUICK else 400
PASSWORD = "bench-password-123"
STATIC = Path(__file__).resolve().parents[1] / "static"


def add_kasir(owner: Engine, coop_id: int) -> int:
    with owner.begin() as conn:
        user_id = conn.execute(
            text(
                "INSERT INTO users (name, email, password_hash, active)"
                " VALUES ('Kasir', :e, :p, true) RETURNING id"
            ),
            {"e": f"kasir{coop_id}@bench.id", "p": hash_password(PASSWORD)},
        ).scalar_one()
        conn.execute(
            text("INSERT INTO memberships (cooperative_id, user_id, roles) VALUES (:c, :u, ARRAY['kasir'])"),
            {"c": coop_id, "u": user_id},
        )
    return int(user_id)


class Gerai:
    """One cooperative's counter: its kasir with an open shift, five stocked products, a member."""

    def __init__(self, app: Any, owner: Engine, coop_id: int) -> None:
        self.coop_id = coop_id
        self.kasir = add_kasir(owner, coop_id)
        with app.app_context(), tenant(coop_id):
            ledger.install_chart_of_accounts()
            db.session.commit()
            inventory.ensure_default_locations()
            self.location = inventory.default_location().id
            self.products = []
            for n, (name, price) in enumerate(
                (
                    ("Beras SPHP 5 kg", 62_500),
                    ("MinyaKita 1 L", 15_700),
                    ("Gula 1 kg", 17_500),
                    ("Telur 1 kg", 28_000),
                    ("LPG 3 kg", 18_000),
                )
            ):
                product = inventory.add_product(
                    code=f"G{coop_id}-{n}", name=name, category="sembako", unit="pcs", price=price
                )
                inventory.receive(
                    product.id, self.location, 1_000_000, price * 800_000, idempotency_key=f"r-{coop_id}-{n}"
                )
                self.products.append((product.id, price))
            self.shift = service.open_shift(
                kasir_id=self.kasir, location_id=self.location, opening_float=0
            ).id
        with owner.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO members (tenant_id, member_number, nik, kk_number, name, birth_place,"
                    " birth_date, gender, address, village_code, status, joined_on) VALUES (:t, 'A-0001',"
                    " '3204121501900001', '3204120101900001', 'Anggota', 'Bandung', DATE '1990-01-15', 'L',"
                    " 'Jl. Desa', '32.04.12.2003', 'active', DATE '2025-01-02')"
                ),
                {"t": coop_id},
            )
            self.member = conn.execute(
                text("SELECT id FROM members WHERE tenant_id = :t"), {"t": coop_id}
            ).scalar_one()
            self.accounts = {
                code: id_
                for code, id_ in conn.execute(
                    text("SELECT code, id FROM ledger_accounts WHERE tenant_id = :t"), {"t": coop_id}
                )
            }

    def basket(self) -> list[CartLine]:
        return [CartLine(pid, 1 + i % 3) for i, (pid, _) in enumerate(self.products)]


def checkout_ours(app: Any, gerai: Gerai, n: int) -> None:
    with app.app_context(), tenant(gerai.coop_id):
        service.checkout(
            gerai.basket(),
            location_id=gerai.location,
            payment_method="tunai",
            member_number="A-0001",
            idempotency_key=f"o-{gerai.coop_id}-{n}",
            kasir_id=gerai.kasir,
        )
        db.session.remove()


def checkout_plain(conn: psycopg.Connection, gerai: Gerai, n: int) -> None:
    """The same checkout as one hand-written transaction."""
    today = date.today()
    ids = sorted(pid for pid, _ in gerai.products)
    quantities = {pid: 1 + i % 3 for i, (pid, _) in enumerate(gerai.products)}
    t = gerai.coop_id
    with conn.transaction():
        conn.execute("SELECT set_config('app.tenant_id', %s, true)", (str(t),))
        shift = _one(
            conn.execute(
                "SELECT id FROM pos_shifts WHERE kasir_id = %s AND closed_at IS NULL FOR SHARE",
                (gerai.kasir,),
            )
        )
        member = _one(
            conn.execute("SELECT id FROM members WHERE member_number = 'A-0001' AND status = 'active'")
        )
        prices: dict[int, int] = dict(
            conn.execute("SELECT id, price FROM inventory_products WHERE id = ANY(%s)", (ids,)).fetchall()
        )
        balances = {
            pid: (bid, q, v)
            for bid, pid, q, v in conn.execute(
                "SELECT id, product_id, quantity, value FROM inventory_balances WHERE location_id = %s"
                " AND product_id = ANY(%s) ORDER BY product_id FOR UPDATE",
                (gerai.location, ids),
            ).fetchall()
        }
        costs = {
            pid: (balances[pid][2] * quantities[pid] + balances[pid][1] // 2) // balances[pid][1]
            for pid in ids
        }
        total = sum(prices[pid] * quantities[pid] for pid in ids)
        cost = sum(costs.values())
        entry = _one(
            conn.execute(
                "INSERT INTO journal_entries (tenant_id, entry_date, description, source_module, source_id,"
                " idempotency_key, payload_hash, posted_by)"
                " VALUES (%s, %s, 'Penjualan gerai (tunai)', 'pos', %s, %s, repeat('a', 64), %s)"
                " RETURNING id",
                (t, today, f"p-{n}", f"pos:sale:p-{t}-{n}", gerai.kasir),
            )
        )[0]
        acc = gerai.accounts
        conn.execute(
            "INSERT INTO journal_lines (tenant_id, entry_id, entry_date, account_id, debit, credit) VALUES"
            " (%s, %s, %s, %s, %s, 0), (%s, %s, %s, %s, 0, %s),"
            " (%s, %s, %s, %s, %s, 0), (%s, %s, %s, %s, 0, %s)",
            (
                t,
                entry,
                today,
                acc["1-1100"],
                total,
                t,
                entry,
                today,
                acc["4-2100"],
                total,
                t,
                entry,
                today,
                acc["5-1100"],
                cost,
                t,
                entry,
                today,
                acc["1-1500"],
                cost,
            ),
        )
        sale = _one(
            conn.execute(
                "INSERT INTO pos_sales (tenant_id, location_id, shift_id, member_id, kasir_id, sold_on,"
                " total, discount, cost, payment_method, paid, change, idempotency_key, journal_entry_id)"
                " VALUES (%s, %s, %s, %s, %s, %s, %s, 0, %s, 'tunai', %s, 0, %s, %s) RETURNING id",
                (
                    t,
                    gerai.location,
                    shift[0],
                    member[0],
                    gerai.kasir,
                    today,
                    total,
                    cost,
                    total,
                    f"p-{t}-{n}",
                    entry,
                ),
            )
        )[0]
        with conn.cursor() as cur:
            cur.executemany(
                "INSERT INTO pos_sale_lines (tenant_id, sale_id, product_id, quantity, price, discount,"
                " amount, cost)"
                " VALUES (%s, %s, %s, %s, %s, 0, %s, %s)",
                [
                    (t, sale, pid, quantities[pid], prices[pid], quantities[pid] * prices[pid], costs[pid])
                    for pid in ids
                ],
            )
            conn.execute(
                "INSERT INTO pos_payments (tenant_id, sale_id, method, amount) VALUES (%s, %s, 'tunai', %s)",
                (t, sale, total),
            )
            cur.executemany(
                "UPDATE inventory_balances SET quantity = quantity - %s, value = value - %s WHERE id = %s",
                [(quantities[pid], costs[pid], balances[pid][0]) for pid in ids],
            )
            cur.executemany(
                "INSERT INTO inventory_moves (tenant_id, product_id, location_id, kind, quantity, value,"
                " quantity_after, value_after, occurred_on, description, idempotency_key, journal_entry_id,"
                " user_id)"
                " VALUES (%s, %s, %s, 'sale', %s, %s, %s, %s, %s, %s, %s, %s, %s)",
                [
                    (
                        t,
                        pid,
                        gerai.location,
                        -quantities[pid],
                        -costs[pid],
                        balances[pid][1] - quantities[pid],
                        balances[pid][2] - costs[pid],
                        today,
                        f"Penjualan #{sale}",
                        f"pos:{sale}:{pid}",
                        entry,
                        gerai.kasir,
                    )
                    for pid in ids
                ],
            )


def _one(cursor: Any) -> Any:
    row = cursor.fetchone()
    if row is None:
        raise SystemExit("the plain checkout found no row")
    return row


def count_statements(app: Any, engine: Engine, gerai: Gerai) -> list[str]:
    """The SQL statements one checkout sends (an executemany counts once: one round trip)."""
    seen: list[str] = []

    def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        checkout_ours(app, gerai, 10**8)
    finally:
        event.remove(engine, "before_cursor_execute", record)
    return seen


def bench_checkout(app: Any, app_url: str, gerai: Gerai) -> tuple[float, float, float, float]:
    counter = iter(range(10**9))
    ours_each: list[float] = []
    plain_each: list[float] = []

    def ours() -> float:
        started = time.perf_counter()
        for _ in range(PER_ROUND):
            t0 = time.perf_counter()
            checkout_ours(app, gerai, next(counter))
            ours_each.append(time.perf_counter() - t0)
        return time.perf_counter() - started

    with psycopg.connect(libpq(app_url)) as conn:

        def plain() -> float:
            started = time.perf_counter()
            for _ in range(PER_ROUND):
                t0 = time.perf_counter()
                checkout_plain(conn, gerai, next(counter))
                plain_each.append(time.perf_counter() - t0)
            return time.perf_counter() - started

        ours()
        plain()  # warm-up
        ours_each.clear()
        plain_each.clear()
        ours_rounds, plain_rounds = [], []
        for _ in range(ROUNDS):
            ours_rounds.append(ours())
            plain_rounds.append(plain())
    return min(ours_rounds) / PER_ROUND, min(plain_rounds) / PER_ROUND, p95(ours_each), p95(plain_each)


def bench_throughput(app: Any, app_url: str, gerais: list[Gerai]) -> tuple[float, float]:
    def run(work: Any) -> float:
        barrier = threading.Barrier(len(gerais))
        errors: list[BaseException] = []

        def worker(g: Gerai) -> None:
            barrier.wait()
            try:
                work(g)
            except BaseException as err:
                errors.append(err)

        threads = [threading.Thread(target=worker, args=(g,)) for g in gerais]
        started = time.perf_counter()
        for th in threads:
            th.start()
        for th in threads:
            th.join()
        if errors:
            raise errors[0]
        return len(gerais) * PER_THREAD / (time.perf_counter() - started)

    def ours(g: Gerai) -> None:
        for n in range(PER_THREAD):
            checkout_ours(app, g, 10**7 + n)

    def plain(g: Gerai) -> None:
        with psycopg.connect(libpq(app_url)) as conn:
            for n in range(PER_THREAD):
                checkout_plain(conn, g, 10**7 + n)

    return run(ours), run(plain)


def add_products_sql(owner: Engine, coop_id: int, count: int) -> None:
    words = [
        "Beras",
        "Minyak",
        "Gula",
        "Telur",
        "Tepung",
        "Kopi",
        "Teh",
        "Sabun",
        "Garam",
        "Kecap",
        "Sarden",
        "Mie",
        "Susu",
        "Biskuit",
        "Sirup",
        "Pupuk",
        "Bawang",
        "Cabai",
        "Jagung",
        "Kedelai",
    ]
    with owner.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO inventory_products (tenant_id, code, name, category, unit, price) "
                "SELECT :t, 'P' || lpad(g::text, 6, '0'),"
                " (CAST(:words AS text[]))[1 + g % 20] || ' Merek ' || g"
                " || ' ' || (1 + g % 5) || ' kg', 'sembako', 'pcs', 1000 + g % 50000 "
                "FROM generate_series(1, :n) AS g"
            ),
            {"t": coop_id, "n": count, "words": words},
        )
        conn.execute(text("ANALYZE inventory_products, pos_product_words"))


def login(app: Any, email: str) -> Any:
    client = app.test_client()
    page = client.get("/masuk").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)
    form = {"identifier": email, "password": PASSWORD}
    if token:
        form["csrf_token"] = token.group(1)
    response = client.post("/masuk", data=form)
    if response.status_code != 302:
        raise SystemExit(f"bench login failed: {response.status_code}")
    return client


# the counter's search written by hand: a code's prefix in code order, a name's word prefixes, by
# byte-order ranges over btree indexes (the only comparisons row-level security lets an index use)
PLAIN_CODE = """
(SELECT id, CASE WHEN code = %(code)s THEN 0 ELSE 1 END AS rank FROM inventory_products
 WHERE active AND code::text COLLATE "C" >= %(code)s AND code::text COLLATE "C" < %(code)s || %(top)s
 ORDER BY code::text COLLATE "C" LIMIT 8)
"""


def plain_search(words: list[str]) -> str:
    joins = "".join(
        f" JOIN pos_product_words w{i} ON w{i}.product_id = w0.product_id"
        f" AND w{i}.word >= %(w{i})s AND w{i}.word < %(w{i})s || %(top)s"
        for i in range(1, len(words))
    )
    by_name = (
        "UNION ALL (SELECT product_id, 2 FROM (SELECT DISTINCT w0.product_id, w0.name"
        f" FROM pos_product_words w0{joins} WHERE w0.word >= %(w0)s AND w0.word < %(w0)s || %(top)s"
        " ORDER BY w0.name, w0.product_id LIMIT 8) AS named)"
    )
    return f"""
SELECT p.* FROM inventory_products p JOIN (
  SELECT id, min(rank) AS rank FROM ({PLAIN_CODE} {by_name if words else ""}) AS hits GROUP BY id
) AS best ON best.id = p.id
ORDER BY best.rank, CASE WHEN best.rank < 2 THEN p.code::text COLLATE "C" END, p.name LIMIT 8
"""


def bench_search(app: Any, app_url: str, gerai: Gerai, slug: str) -> tuple[float, float, float]:
    client = login(app, f"kasir{gerai.coop_id}@bench.id")
    rng = random.Random(8)
    queries = []
    for _ in range(SEARCHES):
        kind = rng.random()
        if kind < 0.4:
            queries.append(rng.choice(["Ber", "Minyak", "gula", "tel", "Kopi", "sabun", "Mie", "susu"]))
        elif kind < 0.7:
            queries.append(f"P{rng.randint(1, PRODUCTS):06d}"[: rng.randint(3, 7)])
        else:
            queries.append(f"Merek {rng.randint(1, PRODUCTS)}")
    url = f"/k/{slug}/kasir/cari"
    client.get(url, query_string={"q": "beras"})  # warm-up
    through_app = []
    for q in queries:
        t0 = time.perf_counter()
        response = client.get(url, query_string={"q": q})
        through_app.append(time.perf_counter() - t0)
        if response.status_code != 200:
            raise SystemExit(f"search failed: {response.status_code}")
    plain = []
    with psycopg.connect(libpq(app_url)) as conn:
        for q in queries:
            t0 = time.perf_counter()
            with conn.transaction():
                conn.execute("SELECT set_config('app.tenant_id', %s, true)", (str(gerai.coop_id),))
                words = re.findall(r"[^\W_]+", q.lower())[:6]
                params = {"code": q.upper(), "top": "\U0010ffff"} | {f"w{i}": w for i, w in enumerate(words)}
                conn.execute(plain_search(words), params).fetchall()
            plain.append(time.perf_counter() - t0)
    return p95(through_app), statistics.mean(through_app), p95(plain)


def page_weight(app: Any, gerai: Gerai, slug: str) -> tuple[int, int]:
    client = login(app, f"kasir{gerai.coop_id}@bench.id")
    page = client.get(f"/k/{slug}/kasir/").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)
    for i in range(len(gerai.products)):
        client.post(
            f"/k/{slug}/kasir/tambah",
            data={"code": f"G{gerai.coop_id}-{i}", "csrf_token": token.group(1) if token else ""},
        )
    html = client.get(f"/k/{slug}/kasir/").get_data()
    if html.count(b"<tr>") < 6:
        raise SystemExit("the basket did not fill")
    assets = [(STATIC / name).read_bytes() for name in ("kopdes.css", "pos.css", "pos.js", "favicon.svg")]
    raw = len(html) + sum(len(a) for a in assets)
    zipped = len(gzip.compress(html)) + sum(len(gzip.compress(a)) for a in assets)
    return raw, zipped


def main() -> None:
    started = time.perf_counter()
    app_url, owner_url = fresh_database(BENCH_DB)
    owner = create_engine(owner_url)
    with owner.begin() as conn:
        import_regions(conn)
    app = make_app(app_url, owner_url)
    coop_ids = add_cooperatives(owner, 1 + THREADS, "gerai-", every=97)
    gerais = [Gerai(app, owner, c) for c in coop_ids]
    with owner.connect() as conn:
        slug = conn.execute(
            text("SELECT slug FROM cooperatives WHERE id = :c"), {"c": coop_ids[0]}
        ).scalar_one()
    add_products_sql(owner, coop_ids[0], PRODUCTS)
    print(f"setup: {time.perf_counter() - started:.1f}s{' (quick)' if QUICK else ''}")

    with app.app_context():
        sent = count_statements(app, db.engine, gerais[0])
    for sql in sent:
        print(f"  checkout sends: {' '.join(sql.split())[:110]}")
    statements = len(sent)
    ours, plain, ours_p95, plain_p95 = bench_checkout(app, app_url, gerais[0])
    print(
        f"checkout, 5 lines to a member in cash ({statements} SQL statements): ours {ours * 1000:.2f} ms"
        f" (p95 {ours_p95 * 1000:.1f} ms, target < 50), plain SQL {plain * 1000:.2f} ms"
        f" (p95 {plain_p95 * 1000:.1f} ms) — ratio {ours / plain:.2f} (target ≤ 3)"
    )
    ours_tps, plain_tps = bench_throughput(app, app_url, gerais[1:])
    print(
        f"throughput, {THREADS} kasir in {THREADS} cooperatives at once: ours {ours_tps:.0f} checkouts/s,"
        f" plain SQL {plain_tps:.0f} checkouts/s — ratio {plain_tps / ours_tps:.2f}"
    )
    search_p95, search_mean, plain_search_p95 = bench_search(app, app_url, gerais[0], slug)
    print(
        f"search as you type, {PRODUCTS:,} products: /kasir/cari p95 {search_p95 * 1000:.1f} ms"
        f" (mean {search_mean * 1000:.1f} ms, target p95 < 30),"
        f" plain SQL p95 {plain_search_p95 * 1000:.1f} ms"
        f" — ratio {search_p95 / plain_search_p95:.2f}"
    )
    raw, zipped = page_weight(app, gerais[0], slug)
    print(
        f"counter page with a 5-line basket, HTML + CSS + JS + icon: {raw / 1024:.1f} KB"
        f" ({zipped / 1024:.1f} KB gzipped) — ratio to 100 KB {raw / 102_400:.2f} (target ≤ 1)"
    )
    print(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    owner.dispose()


if __name__ == "__main__":
    main()
