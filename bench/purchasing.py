"""Benchmark: purchasing.

1. Paying a supplier invoice below the approval threshold: `erp.purchasing.service.pay_invoice`
   (invoice row lock reading the cooperative's threshold, one look-up of a repeated key and of what
   waits for approval, one journal entry Dr Utang Usaha / Cr Kas through the ledger with its
   idempotency and period checks, `paid` raised and the payment written in one statement, the audit
   entry; one transaction as the application role under forced RLS) against the same work as one
   plain-SQL transaction with psycopg (lock with the threshold, the same look-up, insert the entry
   and its two lines, raise `paid`, insert the payment and the audit row). Rounds interleaved; mean
   per payment from the best round, p95 over every payment. Ours sends 9 statements, the plain side
   8: the ledger adds its period lock, the closed-period check and the account look-up, and writes
   the entry with its lines in one.
2. The aging list of one cooperative with many suppliers and open invoices (`service.aging`, one
   statement: summed per supplier in a materialised CTE, then joined to the suppliers) against the
   same query by hand returning the same buckets with each supplier's name. (Joined before summing,
   a fresh table without statistics got a plan that walked every open row once per supplier: 40 ms.)

KOPDES_BENCH_QUICK=1 (or `--quick`) runs fewer payments and a smaller book. Runs on its own fresh
database (`kopdes_bench_purchasing`) on the embedded PostgreSQL.
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from datetime import date, timedelta
from typing import Any

import psycopg
from sqlalchemy import create_engine, text

from core.db import db
from erp.inventory import service as inventory
from erp.inventory.models import LocationKind
from erp.ledger import service as ledger
from erp.purchasing import service
from erp.purchasing.service import ReceiptLineInput
from tenants.context import tenant
from tenants.regions import import_regions

from common import add_cooperatives, fresh_database, libpq, make_app, p95

BENCH_DB = "kopdes_bench_purchasing"
QUICK = bool(os.environ.get("KOPDES_BENCH_QUICK")) or "--quick" in sys.argv
ROUNDS = 4 if QUICK else 8
PER_ROUND = 20 if QUICK else 50
SUPPLIERS = 20 if QUICK else 100
INVOICES_PER_SUPPLIER = 5 if QUICK else 10
AGING_RUNS = 10 if QUICK else 30


def set_up(app: Any, coop_id: int) -> tuple[int, dict[str, int], list[int]]:
    """A cooperative with its books, a gudang, one product, and SUPPLIERS suppliers each with
    INVOICES_PER_SUPPLIER invoiced receipts spread over the last 150 days; the invoice ids."""
    with app.app_context(), tenant(coop_id):
        ledger.install_chart_of_accounts()
        db.session.commit()
        gudang = inventory.add_location("GUDANG", "Gudang", LocationKind.GUDANG)
        rice = inventory.add_product(code="BRS-1", name="Beras", category="beras", unit="kg", price=13_000)
        invoices: list[int] = []
        today = date.today()
        for s in range(SUPPLIERS):
            supplier = service.add_supplier(name=f"Pemasok {s:04d}", kind="lainnya", payment_terms_days=30)
            for i in range(INVOICES_PER_SUPPLIER):
                day = today - timedelta(days=(s * 7 + i * 31) % 150)
                receipt = service.receive_goods(
                    supplier_id=supplier.id,
                    location_id=gudang.id,
                    lines=[ReceiptLineInput(quantity=1_000, product_id=rice.id, unit_price=11_000)],
                    idempotency_key=f"bench-gr-{s}-{i}",
                    received_on=day,
                )
                invoice = service.record_invoice(
                    supplier.id, [receipt.id], number=f"F-{s}-{i}", invoice_date=day, amount=receipt.total
                )
                invoices.append(invoice.id)
        accounts = {
            code: id_
            for code, id_ in db.session.execute(
                text("SELECT code, id FROM ledger_accounts WHERE code IN ('2-1300', '1-1100')")
            )
        }
        db.session.remove()
    return coop_id, accounts, invoices


def pay_ours(app: Any, coop_id: int, invoice_id: int, n: int) -> None:
    with app.app_context(), tenant(coop_id):
        service.pay_invoice(invoice_id, 1_000, method="kas", idempotency_key=f"bench-pay-o-{n:08d}")
        db.session.remove()


def pay_plain(
    conn: psycopg.Connection, coop_id: int, accounts: dict[str, int], invoice_id: int, n: int
) -> None:
    today = date.today()
    key = f"bench-pay-p-{n:08d}"
    with conn.transaction():
        conn.execute("SELECT set_config('app.tenant_id', %s, true)", (str(coop_id),))
        row = conn.execute(
            "SELECT supplier_id, amount - paid - credited, coalesce((SELECT payment_approval_threshold"
            " FROM purchasing_settings), 10000000) FROM purchasing_invoices WHERE id = %s FOR UPDATE",
            (invoice_id,),
        ).fetchone()
        assert row is not None and row[1] >= 1_000 and row[2] > 1_000
        check = conn.execute(
            "SELECT (SELECT id FROM purchasing_payments WHERE idempotency_key = %s),"
            " (SELECT id FROM purchasing_payment_requests WHERE idempotency_key = %s),"
            " (SELECT coalesce(sum(amount), 0) FROM purchasing_payment_requests"
            "  WHERE invoice_id = %s AND status = 'menunggu')",
            (key, key, invoice_id),
        ).fetchone()
        assert check is not None
        if check[0] is not None or check[1] is not None:
            return
        inserted = conn.execute(
            "INSERT INTO journal_entries (tenant_id, entry_date, description, source_module, source_id,"
            " idempotency_key, payload_hash) VALUES (%s, %s, 'Bayar tagihan', 'purchasing', %s, %s,"
            " repeat('a', 64)) RETURNING id",
            (coop_id, today, str(invoice_id), f"purchasing:payment:{key}"),
        ).fetchone()
        assert inserted is not None
        entry = inserted[0]
        conn.execute(
            "INSERT INTO journal_lines (tenant_id, entry_id, entry_date, account_id, debit, credit) VALUES"
            " (%s, %s, %s, %s, 1000, 0), (%s, %s, %s, %s, 0, 1000)",
            (coop_id, entry, today, accounts["2-1300"], coop_id, entry, today, accounts["1-1100"]),
        )
        conn.execute("UPDATE purchasing_invoices SET paid = paid + 1000 WHERE id = %s", (invoice_id,))
        conn.execute(
            "INSERT INTO purchasing_payments (tenant_id, invoice_id, supplier_id, amount, method, paid_on,"
            " idempotency_key, journal_entry_id) VALUES (%s, %s, %s, 1000, 'kas', %s, %s, %s)",
            (coop_id, invoice_id, row[0], today, key, entry),
        )
        conn.execute(
            "INSERT INTO audit_log (cooperative_id, action, entity, entity_id, after) VALUES"
            " (%s, 'purchasing.invoice_paid', 'purchasing_invoice', %s, '{\"amount\": 1000}')",
            (coop_id, str(invoice_id)),
        )


AGING_SQL = """
WITH sums AS MATERIALIZED (
  SELECT supplier_id,
         sum(left_) FILTER (WHERE bucket = 'unbilled'), sum(left_) FILTER (WHERE bucket = 'current'),
         sum(left_) FILTER (WHERE bucket = 'd1_30'), sum(left_) FILTER (WHERE bucket = 'd31_60'),
         sum(left_) FILTER (WHERE bucket = 'd61_90'), sum(left_) FILTER (WHERE bucket = 'd90')
  FROM (
    SELECT supplier_id, total - credited AS left_, 'unbilled' AS bucket FROM purchasing_receipts
    WHERE invoice_id IS NULL AND credited < total
    UNION ALL
    SELECT supplier_id, amount - paid - credited, CASE
        WHEN %(today)s - due_on <= 0 THEN 'current' WHEN %(today)s - due_on <= 30 THEN 'd1_30'
        WHEN %(today)s - due_on <= 60 THEN 'd31_60' WHEN %(today)s - due_on <= 90 THEN 'd61_90' ELSE 'd90' END
    FROM purchasing_invoices WHERE paid + credited < amount
  ) AS owed
  GROUP BY supplier_id
)
SELECT s.id, s.name, sums.* FROM sums JOIN purchasing_suppliers s ON s.id = sums.supplier_id
"""


def main() -> None:
    app_url, owner_url = fresh_database(BENCH_DB)
    owner = create_engine(owner_url)
    with owner.begin() as conn:
        import_regions(conn)
    app = make_app(app_url, owner_url)
    (coop,) = add_cooperatives(owner, 1, "beli-")
    started = time.perf_counter()
    coop_id, accounts, invoices = set_up(app, coop)
    print(
        f"setup: {SUPPLIERS} suppliers × {INVOICES_PER_SUPPLIER} invoiced receipts "
        f"in {time.perf_counter() - started:.1f} s"
    )

    ours_each: list[float] = []
    plain_each: list[float] = []
    ours_rounds: list[float] = []
    plain_rounds: list[float] = []
    counter = iter(range(10**8))
    with psycopg.connect(libpq(app_url)) as conn:
        for r in range(ROUNDS):
            for who in ("ours", "plain") if r % 2 == 0 else ("plain", "ours"):
                t_round = time.perf_counter()
                for k in range(PER_ROUND):
                    invoice = invoices[(r * PER_ROUND + k) % len(invoices)]
                    t0 = time.perf_counter()
                    if who == "ours":
                        pay_ours(app, coop_id, invoice, next(counter))
                        ours_each.append(time.perf_counter() - t0)
                    else:
                        pay_plain(conn, coop_id, accounts, invoice, next(counter))
                        plain_each.append(time.perf_counter() - t0)
                (ours_rounds if who == "ours" else plain_rounds).append(
                    (time.perf_counter() - t_round) / PER_ROUND
                )
    ours, plain = min(ours_rounds), min(plain_rounds)
    print(
        f"supplier payment: ours {ours * 1000:.2f} ms (p95 {p95(ours_each) * 1000:.2f}), "
        f"plain SQL {plain * 1000:.2f} ms (p95 {p95(plain_each) * 1000:.2f}), ratio {ours / plain:.2f}"
    )

    ours_aging: list[float] = []
    plain_aging: list[float] = []
    with psycopg.connect(libpq(app_url)) as conn:
        for _ in range(AGING_RUNS):
            t0 = time.perf_counter()
            with app.app_context(), tenant(coop_id):
                report = service.aging()
                db.session.remove()
            ours_aging.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            with conn.transaction():
                conn.execute("SELECT set_config('app.tenant_id', %s, true)", (str(coop_id),))
                rows = conn.execute(AGING_SQL, {"today": date.today()}).fetchall()
            plain_aging.append(time.perf_counter() - t0)
    total_plain = sum(sum(v or 0 for v in row[3:]) for row in rows)
    assert total_plain == report.total, (total_plain, report.total)
    mean_ours, mean_plain = statistics.mean(ours_aging), statistics.mean(plain_aging)
    print(
        f"aging list ({SUPPLIERS} suppliers, {len(invoices)} invoices): ours {mean_ours * 1000:.1f} ms "
        f"(p95 {p95(ours_aging) * 1000:.1f}), plain SQL {mean_plain * 1000:.1f} ms "
        f"(p95 {p95(plain_aging) * 1000:.1f}), ratio {mean_ours / mean_plain:.2f}"
    )
    owner.dispose()


if __name__ == "__main__":
    main()
