"""Benchmark: loan close of business and the repayment at the desk.

1. Close of business over TENANTS × LOANS running loans (default 20 × 1,000; KOPDES_BENCH_FULL=1
   for 1,000 × 1,000 = 1,000,000; or KOPDES_BENCH_TENANTS / KOPDES_BENCH_LOANS). Each loan has six
   monthly installments, disbursed on one of 30 days so about 1 in 30 has an installment falling due
   on the business date; one loan in ten has not paid anything since its first installment (days
   past due, denda, a worse class and PPAP). Ours is `erp.loans.cob.close_business` per cooperative
   as the nightly job runs it (batches, checkpoints, per-loan stamps, journal entries through the
   ledger), with 1 worker process for one business date and 2 worker processes for the next. The
   baseline is set-based SQL over all cooperatives at once doing the same work for the first date —
   accrue the installments falling due, post one accrual entry per cooperative, set every loan's days
   past due, class, denda and allowance, post one PPAP entry per cooperative — timed, then rolled
   back. Target: ours (1 worker) / set-based ≤ 5.
2. Repayment: `erp.loans.service.repay` (loan row lock, installments locked, split denda → bunga →
   pokok, journal entry through the ledger, repayment row, audit) against the same reads and writes
   in plain SQL on the same kind of connection (application role, `set_config`). Rounds interleaved;
   the best round counts. Target: ours / plain ≤ 3.

Runs on its own fresh database (`kopdes_bench_loans`) on the embedded PostgreSQL.
"""

from __future__ import annotations

import multiprocessing
import os
import time
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine

from core.db import db
from erp.ledger import service as ledger
from erp.loans import cob, service
from tenants.context import tenant
from tenants.regions import import_regions

from common import add_cooperatives, fresh_database, make_app

BENCH_DB = "kopdes_bench_loans"
FULL = bool(os.environ.get("KOPDES_BENCH_FULL"))
TENANTS = int(os.environ.get("KOPDES_BENCH_TENANTS") or (1_000 if FULL else 20))
LOANS = int(os.environ.get("KOPDES_BENCH_LOANS") or 1_000)
DAY = date(2026, 6, 15)  # the first business date closed; the second is the day after
FIRST_DISBURSED = date(2026, 1, 1)
ROUNDS = 6
PER_ROUND = 50


# --- data, set-based (the bench's own setup, not the code under test) -----------------------------


def install_books(app: Any, tenant_ids: list[int]) -> None:
    with app.app_context():
        for tenant_id in tenant_ids:
            with tenant(tenant_id):
                ledger.install_chart_of_accounts()
                db.session.commit()


SEED = [
    # members, one per loan
    "INSERT INTO members (tenant_id, member_number, nik, kk_number, name, birth_place, birth_date, gender,"
    " address, village_code, status, joined_on) "
    "SELECT t, 'A-' || lpad(g::text, 5, '0'), '320412150190' || lpad((g % 10000)::text, 4, '0'),"
    " '3204120101900001', 'Anggota ' || g, 'Bandung', DATE '1990-01-15', 'L', 'Jl. Desa', '32.04.12.2003',"
    " 'active', DATE '2025-01-02' FROM unnest(CAST(:tenants AS bigint[])) AS t, generate_series(1, :n) AS g",
    # one product per cooperative: flat 1.5 % a month, denda 0.1 % a day after 3 days
    "INSERT INTO loan_products (tenant_id, code, name, method, frequency, rate_per_month, min_tenor,"
    " max_tenor, provisi_rate, admin_rate, denda_rate_per_day, grace_days, max_amount, second_approval_above)"
    " SELECT t, 'PJ-UMUM', 'Pinjaman Umum', 'flat', 'bulanan', 1.5, 1, 36, 1, 0.5, 0.1, 3, 50000000,"
    " 20000000 FROM unnest(CAST(:tenants AS bigint[])) AS t",
    # one running loan per member, disbursed on one of 30 days, 6 × 1.000.000 pokok
    "INSERT INTO loans (tenant_id, member_id, product_id, amount, tenor, purpose, status, method, frequency,"
    " rate_per_month, provisi, admin_fee, outstanding_pokok, applied_on, disbursed_on) "
    "SELECT m.tenant_id, m.id, p.id, 6000000, 6, 'Modal usaha', 'dicairkan', 'flat', 'bulanan', 1.5, 60000,"
    " 30000, 6000000, :first + (m.id % 30)::int, :first + (m.id % 30)::int "
    "FROM members m JOIN loan_products p ON p.tenant_id = m.tenant_id "
    "WHERE m.tenant_id = ANY(CAST(:tenants AS bigint[]))",
    # six installments each: 1.000.000 pokok and 90.000 jasa (flat 1.5 % of 6.000.000)
    "INSERT INTO loan_installments (tenant_id, loan_id, number, due_date, pokok, bunga, paid_pokok,"
    " paid_bunga, paid_denda) "
    "SELECT l.tenant_id, l.id, k, (l.disbursed_on + make_interval(months => k))::date, 1000000, 90000,"
    " 0, 0, 0"
    " FROM loans l, generate_series(1, 6) AS k WHERE l.tenant_id = ANY(CAST(:tenants AS bigint[]))",
    # what fell due before the business date: paid and accrued, except every tenth loan (nothing paid
    # since its first installment; accrued while it was lancar)
    "UPDATE loan_installments i SET accrued_on = i.due_date, accrued_bunga = 90000,"
    " paid_pokok = CASE WHEN i.loan_id % 10 = 0 AND i.number > 1 THEN 0 ELSE 1000000 END,"
    " paid_bunga = CASE WHEN i.loan_id % 10 = 0 AND i.number > 1 THEN 0 ELSE 90000 END "
    "WHERE i.due_date < :day AND i.tenant_id = ANY(CAST(:tenants AS bigint[]))",
    "UPDATE loans l SET outstanding_pokok = s.left FROM (SELECT loan_id, sum(pokok - paid_pokok) AS left"
    " FROM loan_installments WHERE tenant_id = ANY(CAST(:tenants AS bigint[])) GROUP BY loan_id) s"
    " WHERE s.loan_id = l.id",
    "ANALYZE",
]


def seed(owner: Engine, tenant_ids: list[int], per_tenant: int) -> None:
    with owner.begin() as conn:
        for statement in SEED:
            conn.execute(
                text(statement),
                {"tenants": tenant_ids, "n": per_tenant, "first": FIRST_DISBURSED, "day": DAY},
            )


# --- 1. close of business -------------------------------------------------------------------------

# The same accrual, days past due, class, denda and allowance, set-based over every cooperative.
SET_BASED_COB = [
    "CREATE TEMP TABLE due ON COMMIT DROP AS "
    "SELECT l.id AS loan_id, l.tenant_id, l.outstanding_pokok,"
    " coalesce(max(:day - i.due_date) FILTER (WHERE i.due_date < :day"
    "   AND i.paid_pokok + i.paid_bunga < i.pokok + i.bunga), 0) AS dpd,"
    " coalesce(sum(greatest(round((i.pokok + i.bunga - i.paid_pokok - i.paid_bunga) * p.denda_rate_per_day"
    "   / 100 * (:day - i.due_date - p.grace_days)) - i.paid_denda, 0))"
    "   FILTER (WHERE :day - i.due_date > p.grace_days AND i.paid_pokok + i.paid_bunga < i.pokok + i.bunga),"
    "   0) AS denda "
    "FROM loans l JOIN loan_products p ON p.id = l.product_id "
    "LEFT JOIN loan_installments i ON i.loan_id = l.id AND i.due_date <= :day "
    " AND (i.accrued_on IS NULL OR i.paid_pokok + i.paid_bunga < i.pokok + i.bunga) "
    "WHERE l.status = 'dicairkan' AND l.tenant_id = ANY(CAST(:tenants AS bigint[])) GROUP BY l.id",
    "UPDATE loans l SET cob_date = :day, dpd = d.dpd, denda_due = d.denda,"
    " kolektibilitas = CASE WHEN d.dpd <= 90 THEN 'lancar' WHEN d.dpd <= 180 THEN 'kurang_lancar'"
    "   WHEN d.dpd <= 360 THEN 'diragukan' ELSE 'macet' END,"
    " ppap = round(d.outstanding_pokok * CASE WHEN d.dpd <= 90 THEN 0.005 WHEN d.dpd <= 180 THEN 0.10"
    "   WHEN d.dpd <= 360 THEN 0.50 ELSE 1 END) "
    "FROM due d WHERE d.loan_id = l.id",
    "CREATE TEMP TABLE accrued ON COMMIT DROP AS "
    "WITH a AS (UPDATE loan_installments i SET accrued_on = :day, accrued_bunga = i.bunga - i.paid_bunga"
    " FROM loans l WHERE l.id = i.loan_id AND l.kolektibilitas = 'lancar' AND i.due_date <= :day"
    " AND i.accrued_on IS NULL AND l.tenant_id = ANY(CAST(:tenants AS bigint[]))"
    " RETURNING i.tenant_id, i.accrued_bunga) SELECT tenant_id, sum(accrued_bunga) AS amount FROM a"
    " GROUP BY tenant_id",
    "CREATE TEMP TABLE postings ON COMMIT DROP AS "
    "SELECT tenant_id, 'accrue' AS kind, amount FROM accrued WHERE amount > 0 UNION ALL "
    "SELECT tenant_id, 'ppap', sum(ppap) FROM loans WHERE status = 'dicairkan'"
    " AND tenant_id = ANY(CAST(:tenants AS bigint[])) GROUP BY tenant_id",
    "CREATE TEMP TABLE entries ON COMMIT DROP AS WITH e AS ("
    "INSERT INTO journal_entries (tenant_id, entry_date, description, source_module, source_id,"
    " idempotency_key, payload_hash) SELECT tenant_id, :day, 'COB ' || kind, 'loans', 'cob',"
    " 'bench:' || kind || ':' || tenant_id, repeat('a', 64) FROM postings RETURNING id, tenant_id,"
    " idempotency_key) SELECT e.id, e.tenant_id, p.kind, p.amount FROM e JOIN postings p"
    " ON 'bench:' || p.kind || ':' || p.tenant_id = e.idempotency_key",
    "INSERT INTO journal_lines (tenant_id, entry_id, entry_date, account_id, debit, credit) "
    "SELECT e.tenant_id, e.id, :day, a.id, CASE WHEN side = 'd' THEN e.amount ELSE 0 END,"
    " CASE WHEN side = 'c' THEN e.amount ELSE 0 END FROM entries e"
    " CROSS JOIN (VALUES ('d'), ('c')) AS s(side) JOIN ledger_accounts a ON a.tenant_id = e.tenant_id"
    " AND a.code = CASE WHEN e.kind = 'accrue' AND side = 'd' THEN '1-1420'"
    "   WHEN e.kind = 'accrue' THEN '4-1100' WHEN side = 'd' THEN '6-3000' ELSE '1-1410' END",
]


def set_based_cob(owner: Engine, tenant_ids: list[int]) -> tuple[float, int]:
    with owner.connect() as conn:
        started = time.perf_counter()
        with conn.begin() as tx:
            for statement in SET_BASED_COB:
                conn.execute(text(statement), {"day": DAY, "tenants": tenant_ids})
            elapsed = time.perf_counter() - started
            accrued = conn.execute(text("SELECT coalesce(sum(amount), 0) FROM accrued")).scalar_one()
            tx.rollback()
    return elapsed, int(accrued)


def _worker(args: tuple[str, str, list[int], str]) -> tuple[int, float]:
    """Close `day` for the given cooperatives; returns loans closed and seconds spent closing (the
    process's start-up and app creation left out)."""
    app_url, owner_url, tenant_ids, day = args
    app = make_app(app_url, owner_url)
    done = 0
    started = time.perf_counter()
    with app.app_context():
        for tenant_id in tenant_ids:
            with tenant(tenant_id):
                for run in cob.close_business(date.fromisoformat(day)):
                    if run.status != "ok":
                        raise SystemExit(f"run {run.business_date} of {tenant_id}: {run.status} {run.error}")
                    done += run.loans_processed
            db.session.remove()
    return done, time.perf_counter() - started


def ours_cob(
    app_url: str, owner_url: str, tenant_ids: list[int], day: date, workers: int
) -> tuple[float, int]:
    """Seconds until every worker has closed its share (the slowest worker's closing time, process
    start-up left out), and loans closed."""
    shares = [tenant_ids[n::workers] for n in range(workers)]
    if workers == 1:
        done, busy = _worker((app_url, owner_url, tenant_ids, day.isoformat()))
        return busy, done
    with multiprocessing.get_context("spawn").Pool(workers) as pool:
        results = pool.map(_worker, [(app_url, owner_url, s, day.isoformat()) for s in shares])
    return max(busy for _done, busy in results), sum(done for done, _busy in results)


def accrued_on(owner: Engine, day: date) -> int:
    with owner.connect() as conn:
        return int(
            conn.execute(
                text("SELECT coalesce(sum(accrued_bunga), 0) FROM loan_installments WHERE accrued_on = :d"),
                {"d": day},
            ).scalar_one()
        )


# --- 2. repayment ---------------------------------------------------------------------------------

PLAIN_REPAY = [
    "SELECT id, status, product_id, outstanding_pokok FROM loans WHERE id = :loan FOR UPDATE",
    "SELECT id FROM loan_repayments WHERE idempotency_key = :key",
    "SELECT denda_rate_per_day, grace_days FROM loan_products WHERE id = :product",
    "SELECT id, due_date, pokok, bunga, paid_pokok, paid_bunga, paid_denda, accrued_on FROM loan_installments"
    " WHERE loan_id = :loan ORDER BY number FOR UPDATE",
    "UPDATE loan_installments SET paid_bunga = :paid_bunga, paid_pokok = :paid_pokok WHERE id = :inst",
    "INSERT INTO journal_entries (tenant_id, entry_date, description, source_module, source_id,"
    " idempotency_key, payload_hash, posted_by) VALUES (:tenant, :day, 'Angsuran pinjaman', 'loans', :loan,"
    " :jkey, repeat('a', 64), NULL) RETURNING id",
    "INSERT INTO journal_lines (tenant_id, entry_id, entry_date, account_id, debit, credit)"
    " SELECT :tenant, :entry, :day, account, debit, credit FROM (VALUES (:cash, :amount, 0),"
    " (:income, 0, :bunga), (:receivable, 0, :pokok)) AS l(account, debit, credit) WHERE debit + credit > 0",
    "INSERT INTO loan_repayments (tenant_id, loan_id, amount, denda, bunga, pokok, paid_on, idempotency_key,"
    " journal_entry_id) VALUES (:tenant, :loan, :amount, 0, :bunga, :pokok, :day, :key, :entry)",
    "UPDATE loans SET outstanding_pokok = outstanding_pokok - :pokok WHERE id = :loan",
    "INSERT INTO audit_log (actor_id, cooperative_id, action, entity, entity_id, after) VALUES"
    " (NULL, :tenant, 'loan.repay', 'loan', :loan, CAST(:audit AS jsonb))",
]


def bench_repay(app: Any, app_engine: Engine, owner: Engine) -> tuple[float, float]:
    (coop_id,) = add_cooperatives(owner, 1, "desk-")
    install_books(app, [coop_id])
    seed(owner, [coop_id], 200)
    with owner.connect() as conn:
        loan_ids = list(
            conn.execute(
                text("SELECT id FROM loans WHERE tenant_id = :t AND id % 10 <> 0 ORDER BY id"), {"t": coop_id}
            ).scalars()
        )
        codes: dict[str, int] = dict(
            conn.execute(
                text(
                    "SELECT code, id FROM ledger_accounts WHERE tenant_id = :t"
                    " AND code IN ('1-1100', '4-1100', '1-1400')"
                ),
                {"t": coop_id},
            ).all()
        )
    ours_loans, plain_loans = loan_ids[::2], loan_ids[1::2]
    counter = iter(range(10**9))
    amount = 50_000
    day = DAY

    def ours() -> None:
        with app.app_context(), tenant(coop_id):
            for i in range(PER_ROUND):
                n = next(counter)
                service.repay(
                    ours_loans[i % len(ours_loans)], amount, idempotency_key=f"o-{n}", teller_id=None, on=day
                )
            db.session.remove()

    def plain() -> None:
        with app_engine.connect() as conn:
            for i in range(PER_ROUND):
                n = next(counter)
                loan = plain_loans[i % len(plain_loans)]
                with conn.begin():
                    conn.execute(text("SELECT set_config('app.tenant_id', :t, true)"), {"t": str(coop_id)})
                    p: dict[str, Any] = {
                        "loan": loan,
                        "key": f"p-{n}",
                        "jkey": f"loans:repay:p-{n}",
                        "tenant": coop_id,
                        "day": day,
                        "amount": amount,
                        "audit": '{"amount": 50000}',
                        "cash": codes["1-1100"],
                        "income": codes["4-1100"],
                        "receivable": codes["1-1400"],
                    }
                    row = conn.execute(text(PLAIN_REPAY[0]), p).one()
                    p["product"] = row.product_id
                    conn.execute(text(PLAIN_REPAY[1]), p).first()
                    conn.execute(text(PLAIN_REPAY[2]), p).one()
                    rows = conn.execute(text(PLAIN_REPAY[3]), p).all()
                    inst = next(r for r in rows if r.paid_pokok + r.paid_bunga < r.pokok + r.bunga)
                    bunga = min(amount, inst.bunga - inst.paid_bunga)
                    pokok = amount - bunga
                    p.update(
                        inst=inst.id,
                        paid_bunga=inst.paid_bunga + bunga,
                        paid_pokok=inst.paid_pokok + pokok,
                        bunga=bunga,
                        pokok=pokok,
                    )
                    conn.execute(text(PLAIN_REPAY[4]), p)
                    p["entry"] = conn.execute(text(PLAIN_REPAY[5]), p).scalar_one()
                    for statement in PLAIN_REPAY[6:]:
                        conn.execute(text(statement), p)

    ours()
    plain()  # warm-up
    ours_times, plain_times = [], []
    for _ in range(ROUNDS):
        ours_times.append(_timed(ours))
        plain_times.append(_timed(plain))
    return min(ours_times) / PER_ROUND, min(plain_times) / PER_ROUND


def _timed(func: Callable[[], None]) -> float:
    started = time.perf_counter()
    func()
    return time.perf_counter() - started


def main() -> None:
    started = time.perf_counter()
    app_url, owner_url = fresh_database(BENCH_DB)
    owner = create_engine(owner_url)
    with owner.begin() as conn:
        import_regions(conn)
    app = make_app(app_url, owner_url)
    app_engine = create_engine(app_url)
    print(f"setup: {time.perf_counter() - started:.1f}s")

    ours, plain = bench_repay(app, app_engine, owner)
    print(
        f"repayment (locks, split, journal, repayment, audit): ours {ours * 1000:.2f} ms,"
        f" plain SQL {plain * 1000:.2f} ms — ratio {ours / plain:.2f} (target ≤ 3)"
    )

    started = time.perf_counter()
    tenant_ids = add_cooperatives(owner, TENANTS, "cob-")
    install_books(app, tenant_ids)
    seed(owner, tenant_ids, LOANS)
    total = TENANTS * LOANS
    print(f"seeded {total:,} running loans in {TENANTS:,} cooperatives: {time.perf_counter() - started:.1f}s")

    baseline, base_accrued = set_based_cob(owner, tenant_ids)
    one, done_one = ours_cob(app_url, owner_url, tenant_ids, DAY, 1)
    if done_one != total or accrued_on(owner, DAY) != base_accrued:
        raise SystemExit(
            f"ours closed {done_one} loans and accrued {accrued_on(owner, DAY)};"
            f" baseline {total} and {base_accrued}"
        )
    two, done_two = ours_cob(app_url, owner_url, tenant_ids, DAY + timedelta(days=1), 2)
    if done_two != total:
        raise SystemExit(f"two workers closed {done_two} of {total} loans")
    print(
        f"close of business, set-based SQL (one date, all cooperatives): {baseline:.1f}s,"
        f" {total / baseline:,.0f} loans/s"
    )
    print(
        f"close of business, ours with 1 worker: {one:.1f}s, {total / one:,.0f} loans/s"
        f" — ratio {one / baseline:.2f} (target ≤ 5)"
    )
    print(
        f"close of business, ours with 2 workers (next date): {two:.1f}s, {total / two:,.0f} loans/s"
        f" — ratio {two / baseline:.2f}; speed-up over 1 worker {one / two:.2f}"
    )
    owner.dispose()
    app_engine.dispose()


if __name__ == "__main__":
    main()
