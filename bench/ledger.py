"""Benchmark: the ledger's posting and its reports, against plain SQL in the same run.

1. Posting throughput: ENTRIES entries of three lines through `erp.ledger.service.post` (idempotency
   look-up, period lock and check, account look-up, entry and lines, the deferred balance check at
   commit; as the application role under forced RLS, one commit per BATCH entries) against the same
   rows inserted by psycopg with plain SQL on the same kind of connection (app role, `set_config`,
   one INSERT … RETURNING per entry and its three lines, account ids known in advance, the same
   commits). Interleaved in rounds, so both see the same server state. Target: ours / plain ≤ 3.
2. Reports over LINES lines of one cooperative (made with set-based SQL, then analysed): the trial
   balance (`service.trial_balance`) and the balance sheet with its comparative column
   (`statements.balance_sheet`) against a plain `SELECT account_id, sum(debit), sum(credit) … GROUP
   BY account_id` as the app role; the balance sheet also against the plain GROUP BY of the same
   two columns (this year's end and last year's). Best of REPEATS. Targets: ≤ 1.5 and under 1 s.

Runs on its own fresh database (`kopdes_bench_ledger`) on the embedded PostgreSQL. Smaller runs:
KOPDES_BENCH_ENTRIES=10000 KOPDES_BENCH_LINES=200000.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import psycopg

from core.app import create_app
from core.config import Config
from core.db import db
from erp.ledger import service, statements
from erp.ledger.service import NewEntry, credit, debit
from tenants.context import tenant
from tenants.models import Cooperative

from common import fresh_database, libpq

BENCH_DB = "kopdes_bench_ledger"
ENTRIES = int(os.environ.get("KOPDES_BENCH_ENTRIES", 100_000))
LINES = int(os.environ.get("KOPDES_BENCH_LINES", 2_000_000))
BATCH = 500
ROUNDS = 10
REPEATS = 5
YEAR = 2025
POSTING_ACCOUNTS = ("1-1100", "4-2100", "2-1310")


def day_of(n: int) -> date:
    return date(YEAR, 1, 1) + timedelta(days=n % 365)


def amounts(n: int) -> tuple[int, int, int]:
    total = 10_000 + (n * 7919) % 990_000
    tax = total // 11
    return total, total - tax, tax


# --- 1. posting ------------------------------------------------------------------------------------


def post_ours(start: int, count: int) -> None:
    kas, sales, tax = POSTING_ACCOUNTS
    for n in range(start, start + count):
        total, net, vat = amounts(n)
        service.post(
            NewEntry(
                entry_date=day_of(n),
                description=f"Penjualan tunai #{n}",
                source_module="bench",
                source_id=n,
                idempotency_key=f"bench:ours:{n}",
                lines=(debit(kas, total), credit(sales, net), credit(tax, vat)),
            )
        )
        if (n + 1) % BATCH == 0:
            db.session.commit()
    db.session.commit()


def post_plain(
    conn: psycopg.Connection[Any], tenant_id: int, account_ids: dict[str, int], start: int, count: int
) -> None:
    kas, sales, tax = (account_ids[code] for code in POSTING_ACCOUNTS)
    payload = "0" * 64
    with conn.cursor() as cur:
        cur.execute("SELECT set_config('app.tenant_id', %s, true)", (str(tenant_id),))
        for n in range(start, start + count):
            total, net, vat = amounts(n)
            on = day_of(n)
            cur.execute(
                "INSERT INTO journal_entries (tenant_id, entry_date, description, source_module, source_id,"
                " idempotency_key, payload_hash) VALUES (%s, %s, %s, 'bench', %s, %s, %s) RETURNING id",
                (tenant_id, on, f"Penjualan tunai #{n}", str(n), f"bench:plain:{n}", payload),
            )
            row = cur.fetchone()
            assert row is not None
            cur.executemany(
                "INSERT INTO journal_lines (tenant_id, entry_id, entry_date, account_id, debit, credit)"
                " VALUES (%s, %s, %s, %s, %s, %s)",
                [
                    (tenant_id, row[0], on, kas, total, 0),
                    (tenant_id, row[0], on, sales, 0, net),
                    (tenant_id, row[0], on, tax, 0, vat),
                ],
            )
            if (n + 1) % BATCH == 0:
                conn.commit()
                cur.execute("SELECT set_config('app.tenant_id', %s, true)", (str(tenant_id),))
    conn.commit()


def posting(app_url: str, coop: Cooperative) -> None:
    with tenant(coop.id):
        account_ids = {a.account.code: a.account.id for a in service.chart(date(YEAR, 12, 31))}
        db.session.commit()
    per_round = ENTRIES // ROUNDS
    ours = plain = 0.0
    with psycopg.connect(libpq(app_url)) as conn:
        for r in range(ROUNDS):
            start = r * per_round
            began = time.perf_counter()
            with tenant(coop.id):
                post_ours(start, per_round)
            ours += time.perf_counter() - began
            began = time.perf_counter()
            post_plain(conn, coop.id, account_ids, start, per_round)
            plain += time.perf_counter() - began
    total = per_round * ROUNDS
    label = f"posting {total:,} entries × 3 lines"
    print(f"{label}, plain SQL (psycopg): {plain:7.2f} s  {total / plain:7,.0f}/s")
    print(
        f"{label}, post():              {ours:7.2f} s  {total / ours:7,.0f}/s"
        f"  ratio {ours / plain:.2f} (target ≤ 3)"
    )


# --- 2. reports over many lines --------------------------------------------------------------------


def fill_lines(owner_url: str, tenant_id: int, lines: int) -> None:
    """`lines` lines (three per entry) over the chart's balance-sheet and result accounts of one
    cooperative, set-based as the owner with triggers off (the rows still balance per entry)."""
    entries = lines // 3
    with psycopg.connect(libpq(owner_url), autocommit=True) as conn:
        conn.execute("SET session_replication_role = replica")
        conn.execute(
            "INSERT INTO journal_entries (tenant_id, entry_date, description, source_module, source_id,"
            " idempotency_key, payload_hash)"
            " SELECT %s, DATE '2024-01-01' + (g %% 730), 'Transaksi ' || g, 'bench', g::text,"
            " 'bench:fill:' || g, repeat('0', 64) FROM generate_series(1, %s) AS g",
            (tenant_id, entries),
        )
        conn.execute(
            "WITH accounts AS (SELECT array_agg(id ORDER BY code) AS ids FROM ledger_accounts"
            " WHERE tenant_id = %s),"
            " e AS (SELECT id, entry_date, id %% 997 AS k, 1000 + (id * 7919) %% 900000 AS amount"
            " FROM journal_entries WHERE tenant_id = %s AND source_module = 'bench')"
            " INSERT INTO journal_lines (tenant_id, entry_id, entry_date, account_id, debit, credit)"
            " SELECT %s, e.id, e.entry_date, a.ids[1 + (e.k + x.i * 13) %% cardinality(a.ids)], x.d, x.c"
            " FROM e CROSS JOIN accounts a CROSS JOIN LATERAL (VALUES"
            " (0, e.amount, 0), (1, 0, e.amount / 3), (2, 0, e.amount - e.amount / 3)) AS x(i, d, c)",
            (tenant_id, tenant_id, tenant_id),
        )
        conn.execute("VACUUM ANALYZE journal_entries")
        conn.execute("VACUUM ANALYZE journal_lines")


def best(run: Callable[[], Any]) -> float:
    run()  # warm the cache
    times = []
    for _ in range(REPEATS):
        began = time.perf_counter()
        run()
        times.append(time.perf_counter() - began)
    return min(times)


def reports(app_url: str, owner_url: str, coop: Cooperative) -> None:
    fill_lines(owner_url, coop.id, LINES)
    as_of = date(YEAR, 12, 31)
    with psycopg.connect(libpq(app_url)) as conn:

        def plain() -> None:
            with conn.transaction(), conn.cursor() as cur:
                cur.execute("SELECT set_config('app.tenant_id', %s, true)", (str(coop.id),))
                cur.execute(
                    "SELECT account_id, sum(debit), sum(credit) FROM journal_lines"
                    " WHERE tenant_id = %s AND entry_date <= %s GROUP BY account_id",
                    (coop.id, as_of),
                )
                cur.fetchall()

        def plain_two_columns() -> None:
            with conn.transaction(), conn.cursor() as cur:
                cur.execute("SELECT set_config('app.tenant_id', %s, true)", (str(coop.id),))
                cur.execute(
                    "SELECT account_id, sum(debit - credit) FILTER (WHERE entry_date <= %s),"
                    " sum(debit - credit) FROM journal_lines"
                    " WHERE tenant_id = %s AND entry_date <= %s GROUP BY account_id",
                    (date(YEAR - 1, 12, 31), coop.id, as_of),
                )
                cur.fetchall()

        baseline = best(plain)
        baseline_two = best(plain_two_columns)
    with tenant(coop.id):
        count = db.session.execute(db.text("SELECT count(*) FROM journal_lines")).scalar_one()

        def trial_balance() -> None:
            service.trial_balance(as_of)
            db.session.rollback()

        def balance_sheet() -> None:
            statements.balance_sheet(statements.Span.of(YEAR))
            db.session.rollback()

        ours_tb = best(trial_balance)
        ours_bs = best(balance_sheet)
    print(f"{count:,} lines of one cooperative, plain GROUP BY:          {baseline * 1000:7.0f} ms")
    print(
        f"{count:,} lines, trial balance (service.trial_balance):    {ours_tb * 1000:7.0f} ms"
        f"  ratio {ours_tb / baseline:.2f} (target ≤ 1.5, < 1 s)"
    )
    print(f"{count:,} lines, plain GROUP BY of both balance-sheet columns: {baseline_two * 1000:4.0f} ms")
    print(
        f"{count:,} lines, balance sheet + comparative column:       {ours_bs * 1000:7.0f} ms"
        f"  ratio {ours_bs / baseline:.2f} to the one-column GROUP BY,"
        f" {ours_bs / baseline_two:.2f} to the same two columns (target ≤ 1.5, < 1 s)"
    )


def main() -> None:
    app_url, owner_url = fresh_database(BENCH_DB)
    with psycopg.connect(libpq(owner_url), autocommit=True) as conn:
        conn.execute(
            "INSERT INTO regions (code, parent_code, level, name, lower_name) VALUES"
            " ('99', NULL, 1, 'Bench', 'bench'), ('99.01.01.2001', '99', 4, 'Satu', 'satu'),"
            " ('99.01.01.2002', '99', 4, 'Dua', 'dua')"
        )
    config = Config(
        **{
            **Config.from_env(database=BENCH_DB).__dict__,
            "database_url": app_url,
            "migration_database_url": owner_url,
        }
    )
    app = create_app(config)
    with app.app_context():
        shop = Cooperative(name="Koperasi Bench Posting", slug="bench-posting", village_code="99.01.01.2001")
        books = Cooperative(name="Koperasi Bench Laporan", slug="bench-laporan", village_code="99.01.01.2002")
        db.session.add_all([shop, books])
        db.session.commit()
        for coop in (shop, books):
            with tenant(coop.id):
                service.install_chart_of_accounts()
                db.session.commit()
        posting(app_url, shop)
        reports(app_url, owner_url, books)
    with psycopg.connect(libpq(owner_url).replace(BENCH_DB, "postgres"), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{BENCH_DB}" WITH (FORCE)')


if __name__ == "__main__":
    main()
