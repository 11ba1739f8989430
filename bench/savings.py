"""Benchmark: savings at the desk, the member import and the monthly interest run.

1. Deposit: `erp.savings.service.deposit` (row lock, movement, journal entry through the ledger with
   its idempotency checks, audit entry, notification; one transaction each, as the application role
   under forced RLS) against the same writes in plain SQL on the same connection kind (app role,
   `set_config`, the same rows inserted, account ids known in advance). Rounds interleaved; the best
   round counts. Target: ours / plain ≤ 3.
2. Import of 10,000 members through `erp.membership.service.import_members` (every row validated,
   NIK regions checked, duplicates searched, one insert): target under 30 s.
3. Monthly interest on sukarela over TENANTS × ACCOUNTS accounts (default 100 × 1,000; set
   KOPDES_BENCH_FULL=1 for 1,000 × 1,000): ours is the job per cooperative (`credit_interest`,
   which writes movements, balances and one journal entry per cooperative) against one set-based SQL
   statement over all cooperatives that computes the same daily-balance interest and writes the
   same movements and balances (then rolled back). Target: ours / set-based ≤ 5.

Runs on its own fresh database (`kopdes_bench_savings`) on the embedded PostgreSQL. A quick run of
the deposit figure alone: KOPDES_BENCH_DEPOSIT_ONLY=1.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine

from core.db import db
from erp.membership import service as membership
from erp.savings import jobs, service
from erp.savings.models import ProductKind
from tenants.context import tenant
from tenants.regions import import_regions

from common import add_cooperatives, fresh_database, make_app

BENCH_DB = "kopdes_bench_savings"
FULL = bool(os.environ.get("KOPDES_BENCH_FULL"))
TENANTS = 1_000 if FULL else 100
ACCOUNTS = 1_000
DEPOSIT_ACCOUNTS = 50
ROUNDS = 8
PER_ROUND = 60
IMPORT_ROWS = 10_000
LAST_MONTH = (date.today().replace(day=1) - timedelta(days=1)).replace(day=1)
MONTH_END = date.today().replace(day=1) - timedelta(days=1)


def add_teller(owner: Engine, coop_id: int) -> int:
    with owner.begin() as conn:
        user_id = conn.execute(
            text(
                "INSERT INTO users (name, email, password_hash, active)"
                " VALUES ('Kasir', :e, 'x', true) RETURNING id"
            ),
            {"e": f"kasir{coop_id}@bench.id"},
        ).scalar_one()
        conn.execute(
            text("INSERT INTO memberships (cooperative_id, user_id, roles) VALUES (:c, :u, ARRAY['kasir'])"),
            {"c": coop_id, "u": user_id},
        )
    return int(user_id)


def add_members_sql(owner: Engine, tenant_ids: list[int], per_tenant: int) -> None:
    """Active members with valid NIKs, in bulk (the bench's own setup, not the code under test)."""
    with owner.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO members (tenant_id, member_number, nik, kk_number, name, birth_place,"
                " birth_date, gender, address, village_code, status, joined_on) "
                "SELECT t, 'A-' || lpad(g::text, 4, '0'), '320412150190' || lpad(g::text, 4, '0'),"
                " '3204120101900001', 'Anggota ' || g, 'Bandung', DATE '1990-01-15', 'L', 'Jl. Desa',"
                " '32.04.12.2003', 'active', DATE '2025-01-02' "
                "FROM unnest(CAST(:tenants AS bigint[])) AS t, generate_series(1, :n) AS g"
            ),
            {"tenants": tenant_ids, "n": per_tenant},
        )


def install(app: Any, tenant_ids: list[int]) -> None:
    with app.app_context():
        for tenant_id in tenant_ids:
            with tenant(tenant_id):
                service.install_products()
                db.session.commit()


def add_sukarela_sql(owner: Engine, tenant_ids: list[int]) -> None:
    """One sukarela account per member with one deposit on the first of last month."""
    with owner.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO savings_accounts (tenant_id, number, member_id, product_id, kind, balance,"
                " status, opened_on) "
                "SELECT m.tenant_id, 'SS-' || m.member_number, m.id, p.id, 'sukarela',"
                " 1000000 + (m.id % 997) * 1000, 'open', :start "
                "FROM members m JOIN savings_products p ON p.tenant_id = m.tenant_id AND p.kind = 'sukarela' "
                "WHERE m.tenant_id = ANY(CAST(:tenants AS bigint[]))"
            ),
            {"tenants": tenant_ids, "start": LAST_MONTH},
        )
        conn.execute(
            text(
                "INSERT INTO savings_movements (tenant_id, account_id, kind, amount, balance_after,"
                " occurred_on, description, idempotency_key) "
                "SELECT tenant_id, id, 'deposit', balance, balance, opened_on, 'Setoran awal',"
                " 'bench-' || id "
                "FROM savings_accounts WHERE tenant_id = ANY(CAST(:tenants AS bigint[]))"
            ),
            {"tenants": tenant_ids},
        )
        conn.execute(text("ANALYZE"))


# --- 1. deposit ----------------------------------------------------------------------------------

PLAIN_DEPOSIT = [
    "SELECT balance FROM savings_accounts WHERE id = :account FOR UPDATE",
    "INSERT INTO journal_entries (tenant_id, entry_date, description, source_module, source_id,"
    " idempotency_key, payload_hash, posted_by) VALUES (:tenant, :day, 'Setoran tunai', 'savings', :number,"
    " :jkey, repeat('a', 64), :teller) RETURNING id",
    "INSERT INTO journal_lines (tenant_id, entry_id, entry_date, account_id, debit, credit) VALUES"
    " (:tenant, :entry, :day, :cash, :amount, 0), (:tenant, :entry, :day, :product_account, 0, :amount)",
    "INSERT INTO savings_movements (tenant_id, account_id, kind, amount, balance_after, occurred_on,"
    " description, idempotency_key, journal_entry_id, shift_id, teller_id) VALUES (:tenant, :account,"
    " 'deposit', :amount, :after, :day, 'Setoran tunai', :key, :entry, :shift, :teller) RETURNING id",
    "UPDATE savings_accounts SET balance = :after WHERE id = :account",
    "INSERT INTO audit_log (actor_id, cooperative_id, action, entity, entity_id, after) VALUES"
    " (:teller, :tenant, 'savings.deposit', 'savings_account', :account, CAST(:audit AS jsonb))",
    "INSERT INTO notifications (channel, recipient, subject, body) VALUES ('whatsapp', '+6281234567890',"
    " 'Setoran', 'Setoran tunai')",
]


def bench_deposit(app: Any, app_engine: Engine, owner: Engine) -> tuple[float, float]:
    (coop_id,) = add_cooperatives(owner, 1, "desk-")
    teller = add_teller(owner, coop_id)
    add_members_sql(owner, [coop_id], DEPOSIT_ACCOUNTS)
    install(app, [coop_id])
    with app.app_context(), tenant(coop_id):
        ours_accounts: list[int] = []
        plain_accounts: list[int] = []
        for ref in membership.active_members():
            account = service.account_for(ref.id, ProductKind.SUKARELA)
            (ours_accounts if len(ours_accounts) <= len(plain_accounts) else plain_accounts).append(
                account.id
            )
        db.session.commit()
        shift = service.open_shift(teller, 0)
        shift_id = shift.id
    with owner.connect() as conn:
        codes: dict[str, int] = dict(
            conn.execute(
                text(
                    "SELECT code, id FROM ledger_accounts"
                    " WHERE tenant_id = :t AND code IN ('1-1100', '2-1100')"
                ),
                {"t": coop_id},
            ).all()
        )
    counter = iter(range(10**9))

    def ours() -> None:
        with app.app_context(), tenant(coop_id):
            for i in range(PER_ROUND):
                n = next(counter)
                service.deposit(
                    ours_accounts[i % len(ours_accounts)], 10_000, idempotency_key=f"o-{n}", teller_id=teller
                )
            db.session.remove()

    def plain() -> None:
        with app_engine.connect() as conn:
            for i in range(PER_ROUND):
                n = next(counter)
                account = plain_accounts[i % len(plain_accounts)]
                with conn.begin():
                    conn.execute(text("SELECT set_config('app.tenant_id', :t, true)"), {"t": str(coop_id)})
                    params: dict[str, Any] = {
                        "tenant": coop_id,
                        "account": account,
                        "day": date.today(),
                        "number": f"SS-{account}",
                        "jkey": f"savings:p-{n}",
                        "key": f"p-{n}",
                        "teller": teller,
                        "cash": codes["1-1100"],
                        "product_account": codes["2-1100"],
                        "amount": 10_000,
                        "shift": shift_id,
                        "audit": '{"amount": 10000}',
                    }
                    balance = conn.execute(text(PLAIN_DEPOSIT[0]), params).scalar_one()
                    params["after"] = balance + 10_000
                    params["entry"] = conn.execute(text(PLAIN_DEPOSIT[1]), params).scalar_one()
                    for statement in PLAIN_DEPOSIT[2:]:
                        conn.execute(text(statement), params)

    ours()
    plain()  # warm-up
    ours_times, plain_times = [], []
    for _ in range(ROUNDS):
        ours_times.append(_timed(ours))
        plain_times.append(_timed(plain))
    return min(ours_times) / PER_ROUND, min(plain_times) / PER_ROUND


# --- 2. import -----------------------------------------------------------------------------------


def bench_import(app: Any, owner: Engine) -> float:
    (coop_id,) = add_cooperatives(owner, 1, "impor-")
    rows = []
    start = date(1950, 1, 1)
    for i in range(IMPORT_ROWS):
        born = start + timedelta(days=i * 3)
        women = i % 2 == 1
        day = born.day + (40 if women else 0)
        rows.append(
            {
                "nik": f"320412{day:02d}{born.month:02d}{born.year % 100:02d}{i % 9999 + 1:04d}",
                "kk_number": "3204120101900001",
                "name": f"Warga {i}",
                "birth_place": "Bandung",
                "birth_date": born.isoformat(),
                "gender": "P" if women else "L",
                "address": "Jl. Desa",
                "village_code": "32.04.12.2003",
                "phone": f"0812{i:08d}",
            }
        )
    with app.app_context(), tenant(coop_id):
        started = time.perf_counter()
        count = membership.import_members(rows)
        elapsed = time.perf_counter() - started
    if count != IMPORT_ROWS:
        raise SystemExit(f"import wrote {count} rows, expected {IMPORT_ROWS}")
    return elapsed


# --- 3. monthly interest -------------------------------------------------------------------------

SET_BASED_INTEREST = """
WITH rates AS (
    SELECT a.id, a.tenant_id, a.balance, p.interest_rate
    FROM savings_accounts a
    JOIN savings_products p ON p.tenant_id = a.tenant_id AND p.id = a.product_id
    WHERE p.kind = 'sukarela' AND p.interest_rate > 0 AND a.status = 'open' AND a.opened_on <= :end
      AND a.tenant_id = ANY(CAST(:tenants AS bigint[]))
), sums AS (
    SELECT r.id, r.tenant_id, r.balance, r.interest_rate,
           coalesce(sum(CASE WHEN m.kind IN ('deposit', 'interest') THEN m.amount ELSE -m.amount END), 0)
               AS since,
           coalesce(sum(CASE WHEN m.occurred_on <= :end THEN
               (CASE WHEN m.kind IN ('deposit', 'interest') THEN m.amount ELSE -m.amount END)
               * (:end - m.occurred_on + 1) ELSE 0 END), 0) AS weighted
    FROM rates r
    LEFT JOIN savings_movements m
           ON m.tenant_id = r.tenant_id AND m.account_id = r.id AND m.occurred_on >= :start
    GROUP BY r.id, r.tenant_id, r.balance, r.interest_rate
), interest AS (
    SELECT id, tenant_id,
           round(((balance - since) * :days + weighted) * interest_rate / 100 / 365)::bigint AS amount
    FROM sums
), updated AS (
    UPDATE savings_accounts a SET balance = a.balance + i.amount
    FROM interest i WHERE a.id = i.id AND i.amount > 0
    RETURNING a.id, a.tenant_id, a.balance, i.amount
)
INSERT INTO savings_movements (tenant_id, account_id, kind, amount, balance_after, occurred_on, description,
                               idempotency_key)
SELECT tenant_id, id, 'interest', amount, balance, :end, 'Jasa simpanan', 'baseline:' || id FROM updated
"""


def bench_interest(app: Any, owner: Engine) -> tuple[float, float, int]:
    tenant_ids = add_cooperatives(owner, TENANTS, "jasa-")
    add_members_sql(owner, tenant_ids, ACCOUNTS)
    install(app, tenant_ids)
    add_sukarela_sql(owner, tenant_ids)
    days = (MONTH_END - LAST_MONTH).days + 1
    params = {"tenants": tenant_ids, "start": LAST_MONTH, "end": MONTH_END, "days": days}
    with owner.connect() as conn:
        started = time.perf_counter()
        with conn.begin() as tx:
            baseline_rows = conn.execute(text(SET_BASED_INTEREST), params).rowcount
            baseline = time.perf_counter() - started
            tx.rollback()
    credited = 0
    with app.app_context():
        started = time.perf_counter()
        for tenant_id in tenant_ids:
            credited += jobs.credit_interest(tenant_id, LAST_MONTH.year, LAST_MONTH.month)
        ours = time.perf_counter() - started
    if credited != baseline_rows:
        raise SystemExit(f"interest credited {credited} accounts, the set-based baseline {baseline_rows}")
    return ours, baseline, credited


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
    app = make_app(app_url, owner_url, redis_db=14)
    app_engine = create_engine(app_url)
    print(f"setup: {time.perf_counter() - started:.1f}s")

    ours, plain = bench_deposit(app, app_engine, owner)
    print(
        f"deposit (sub-ledger + journal + audit): ours {ours * 1000:.2f} ms, plain SQL {plain * 1000:.2f} ms"
        f" — ratio {ours / plain:.2f} (target ≤ 3)"
    )
    if os.environ.get("KOPDES_BENCH_DEPOSIT_ONLY"):  # a quick run of the first figure alone
        return
    elapsed = bench_import(app, owner)
    print(
        f"import of {IMPORT_ROWS:,} members: {elapsed:.1f}s, {IMPORT_ROWS / elapsed:,.0f} rows/s"
        f" — ratio to the 30 s limit {elapsed / 30:.2f} (target ≤ 1)"
    )
    ours_i, base_i, accounts = bench_interest(app, owner)
    print(
        f"monthly interest, {accounts:,} sukarela accounts in {TENANTS:,} cooperatives:"
        f" ours {ours_i:.1f}s ({accounts / ours_i:,.0f} accounts/s), set-based SQL {base_i:.1f}s"
        f" — ratio {ours_i / base_i:.2f} (target ≤ 5)"
    )
    owner.dispose()
    app_engine.dispose()


if __name__ == "__main__":
    main()
