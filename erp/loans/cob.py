"""Close of business (tutup buku harian) of a cooperative's loans for a business date: accrue the
bunga of installments falling due, apply denda, set each loan's days past due and kolektibilitas,
and post the change of the PPAP allowance.

Invariants:
- one run row per cooperative and business date; a date that finished (`ok`) is never worked again,
  so running it twice changes nothing;
- one run at a time per cooperative (a session advisory lock on a connection of its own, released
  by PostgreSQL if the worker dies): a second run at the same moment does nothing;
- loans are worked in small batches, each in its own short transaction that also stamps the loans
  with the business date (`loans.cob_date`) and marks the accrued installments: a rerun after a
  crash takes up exactly the loans not yet stamped, and an installment's bunga is accrued once;
- a loan a cashier holds is skipped (`SKIP LOCKED`) and retried at the end with a short lock wait;
  a run that still could not reach it ends `incomplete` and the next run finishes it; no table lock;
- once every loan is stamped, the PPAP account (1-1410) is brought to the sum of the loans'
  allowances by one entry posting the difference, in the transaction that marks the run `ok`;
- bunga accrued is a receivable (1-1420) that repayments clear (see `service.repay`); loans that are
  not lancar are non-accrual: their bunga is income only when paid. Denda is applied on the loan
  (what the member owes, by the product's rule and grace) and is income when paid.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any, cast

from flask import current_app, has_app_context
from flask_babel import lazy_gettext as _l
from psycopg.errors import LockNotAvailable
from sqlalchemy import Table, func, select, text, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.exc import OperationalError

from core.db import db
from core.errors import DomainError, ErrorCode
from core.money import InvariantViolation, to_rupiah
from erp.ledger import service as ledger
from erp.ledger.models import LedgerAccount
from erp.ledger.service import NewEntry, credit, debit
from erp.loans import service
from erp.loans.models import CobRun, CobStatus, Installment, Loan, LoanProduct, LoanStatus
from tenants.context import require_tenant

PPAP = "1-1410"
PPAP_EXPENSE = "6-3000"
BATCH = 500
MAX_BATCH = 2000
# How far back a catch-up reaches: accruals are cumulative (an installment due on a missed day is
# accrued on the next run), so older days add nothing but history.
MAX_CATCH_UP_DAYS = 92
LOCK_WAIT = "2s"
# PPAP (allowance) rates by kolektibilitas, percent of outstanding principal: DOMAIN.md §4
# (PPAPWD 0.5% L + 10% KL + 50% D + 100% M); a deployment may set LOANS_PPAP_RATES.
DEFAULT_PPAP_RATES = {
    "lancar": Decimal("0.5"),
    "kurang_lancar": Decimal("10"),
    "diragukan": Decimal("50"),
    "macet": Decimal("100"),
}

_INSTALLMENTS = cast(Table, Installment.__table__)
_LOANS = cast(Table, Loan.__table__)
_RUNS = cast(Table, CobRun.__table__)


class CobRefused(DomainError):
    code = ErrorCode.INVALID_INPUT
    status = 422


@dataclass
class _Totals:
    loans: int = 0
    installments: int = 0
    accrued: int = 0
    reversed: int = 0
    denda: int = 0


AfterBatch = Callable[[int], None]


def close_business(
    through: date | None = None,
    *,
    batch_size: int = BATCH,
    after_batch: AfterBatch | None = None,
) -> list[CobRun]:
    """Run close of business for every business date not yet closed, in order, through `through`
    (yesterday by default). A cooperative's first run closes `through` only. Stops at the first
    date that does not finish, so dates are never closed out of order. Returns the runs worked;
    an empty list when another run of this cooperative is under way or nothing is left."""
    tenant_id = require_tenant()
    today = date.today()
    through = through or today - timedelta(days=1)
    if through > today:
        raise CobRefused(
            _l("Tanggal tutup buku tidak boleh setelah hari ini."),
            fields={"business_date": [str(_l("Tanggal di masa depan."))]},
        )
    if not 1 <= batch_size <= MAX_BATCH:
        raise InvariantViolation("batch size out of range")
    lock = _TenantLock(tenant_id)
    if not lock.acquire():
        return []
    try:
        runs = []
        for day in _dates_to_close(through):
            run = _close_day(day, batch_size, after_batch)
            runs.append(run)
            if run.status != CobStatus.OK.value:
                break
        return runs
    finally:
        lock.release()
        db.session.expire_all()


def runs(limit: int = 60) -> list[CobRun]:
    """The latest runs, newest business date first."""
    require_tenant()
    return list(
        db.session.scalars(select(CobRun).order_by(CobRun.business_date.desc()).limit(min(limit, 400)))
    )


def last_closed() -> date | None:
    require_tenant()
    return db.session.scalar(
        select(func.max(CobRun.business_date)).where(CobRun.status == CobStatus.OK.value)
    )


def ppap_rates() -> dict[str, Decimal]:
    if has_app_context():
        configured = current_app.config.get("LOANS_PPAP_RATES")
        if configured:
            return {k: Decimal(str(configured[k])) for k in DEFAULT_PPAP_RATES}
    return dict(DEFAULT_PPAP_RATES)


def allowance(outstanding: int, kolektibilitas: str, rates: dict[str, Decimal] | None = None) -> int:
    """The PPAP held against a loan: its outstanding principal × its class's rate, to the rupiah."""
    rate = (rates or ppap_rates())[kolektibilitas]
    return to_rupiah(Decimal(outstanding) * rate / 100)


# --- one business date ---------------------------------------------------------------------------


def _dates_to_close(through: date) -> list[date]:
    last = last_closed()
    db.session.commit()
    if last is not None and last >= through:
        return []
    first = through if last is None else max(last + timedelta(days=1), through - timedelta(MAX_CATCH_UP_DAYS))
    return [first + timedelta(days=n) for n in range((through - first).days + 1)]


def _close_day(day: date, batch_size: int, after_batch: AfterBatch | None) -> CobRun:
    run_id = _start(day)
    run = db.session.get(CobRun, run_id)
    if run is None:
        raise InvariantViolation("close of business run vanished")
    if run.status == CobStatus.OK.value:
        return run
    try:
        products = _products()
        rates = ppap_rates()
        thresholds = service._thresholds()
        after = 0
        batch_no = 0
        while True:
            ids = _lock_batch(day, after, batch_size)
            if not ids:
                db.session.commit()
                break
            totals = _work(day, run_id, ids, products, rates, thresholds)
            _count(run_id, totals, batches=1)
            db.session.commit()
            after = ids[-1]
            batch_no += 1
            if after_batch is not None:
                after_batch(batch_no)
        deferred = _work_locked_loans(day, run_id, products, rates, thresholds)
        return _finish(run_id, day, deferred)
    except Exception as err:
        db.session.rollback()
        db.session.execute(
            update(_RUNS)
            .where(_RUNS.c.id == run_id)
            .values(status=CobStatus.FAILED.value, error=repr(err)[:2000], finished_at=datetime.now(UTC))
        )
        db.session.commit()
        raise


def _start(day: date) -> int:
    """The run row of `day`, created or taken up again (attempts counted)."""
    accrued = select(LedgerAccount.id).where(LedgerAccount.code == service.ACCRUED_INTEREST)
    if db.session.scalar(accrued) is None:
        ledger.install_chart_of_accounts()  # books opened before Piutang Jasa Pinjaman was in the chart
    inserted = db.session.execute(
        pg_insert(CobRun)
        .values(tenant_id=require_tenant(), business_date=day, status=CobStatus.RUNNING.value)
        .on_conflict_do_nothing(index_elements=["tenant_id", "business_date"])
        .returning(CobRun.id)
    ).scalar()
    if inserted is None:
        run_id, status = db.session.execute(
            select(CobRun.id, CobRun.status).where(CobRun.business_date == day).with_for_update()
        ).one()
        if status != CobStatus.OK.value:
            db.session.execute(
                update(_RUNS)
                .where(_RUNS.c.id == run_id)
                .values(
                    status=CobStatus.RUNNING.value,
                    attempts=_RUNS.c.attempts + 1,
                    loans_deferred=0,
                    started_at=func.now(),
                    error=None,
                    finished_at=None,
                )
            )
    else:
        run_id = inserted
    db.session.commit()
    return int(run_id)


def _lock_batch(day: date, after: int, size: int) -> list[int]:
    """The next running loans not yet closed for `day`, locked; those a cashier holds are passed by."""
    return list(
        db.session.scalars(
            select(Loan.id)
            .where(
                Loan.status == LoanStatus.DICAIRKAN.value,
                Loan.id > after,
                (Loan.cob_date.is_(None)) | (Loan.cob_date < day),
                Loan.disbursed_on <= day,
            )
            .order_by(Loan.id)
            .limit(size)
            .with_for_update(skip_locked=True)
        )
    )


def _work_locked_loans(
    day: date, run_id: int, products: dict[int, tuple[Decimal, int]], rates: Any, thresholds: Any
) -> int:
    """Loans passed by because a cashier held them: one at a time, waiting briefly for each.
    Returns how many are still out of reach."""
    left = list(
        db.session.scalars(
            select(Loan.id)
            .where(
                Loan.status == LoanStatus.DICAIRKAN.value,
                (Loan.cob_date.is_(None)) | (Loan.cob_date < day),
                Loan.disbursed_on <= day,
            )
            .order_by(Loan.id)
        )
    )
    db.session.commit()
    deferred = 0
    for loan_id in left:
        try:
            db.session.execute(text(f"SET LOCAL lock_timeout = '{LOCK_WAIT}'"))
            locked = db.session.scalar(
                select(Loan.id)
                .where(
                    Loan.id == loan_id,
                    Loan.status == LoanStatus.DICAIRKAN.value,
                    (Loan.cob_date.is_(None)) | (Loan.cob_date < day),
                )
                .with_for_update()
            )
            if locked is not None:
                _count(run_id, _work(day, run_id, [loan_id], products, rates, thresholds), batches=0)
            db.session.commit()
        except OperationalError as err:
            if not isinstance(err.orig, LockNotAvailable):
                raise
            db.session.rollback()
            deferred += 1
    return deferred


def _finish(run_id: int, day: date, deferred: int) -> CobRun:
    run = db.session.scalar(
        select(CobRun).where(CobRun.id == run_id).with_for_update().execution_options(populate_existing=True)
    )
    if run is None:
        raise InvariantViolation("close of business run vanished")
    run.loans_deferred = deferred
    run.finished_at = datetime.now(UTC)
    if deferred:
        run.status = CobStatus.INCOMPLETE.value
        run.error = f"{deferred} loan(s) held by the desk; the next run closes them"
        db.session.commit()
        return run
    target = int(
        db.session.scalar(
            select(func.coalesce(func.sum(Loan.ppap), 0)).where(Loan.status == LoanStatus.DICAIRKAN.value)
        )
        or 0
    )
    held = ledger.account_balance(PPAP, day)
    delta = target - held
    if delta:
        lines = (
            [debit(PPAP_EXPENSE, delta), credit(PPAP, delta)]
            if delta > 0
            else [debit(PPAP, -delta), credit(PPAP_EXPENSE, -delta)]
        )
        entry = ledger.post(
            NewEntry(
                entry_date=day,
                description=f"Penyesuaian PPAP tutup buku {day.isoformat()}",
                source_module=service.SOURCE,
                source_id=f"cob:{run_id}",
                idempotency_key=f"loans:cob:{day.isoformat()}:ppap",
                lines=lines,
            )
        )
        run.ppap_entry_id = entry.id
    run.ppap_target = target
    run.ppap_delta = delta
    run.portfolio = service.current_portfolio_quality(day).to_json()
    run.status = CobStatus.OK.value
    run.error = None
    db.session.commit()
    return run


# --- one batch -----------------------------------------------------------------------------------


def _work(
    day: date,
    run_id: int,
    loan_ids: list[int],
    products: dict[int, tuple[Decimal, int]],
    rates: dict[str, Decimal],
    thresholds: tuple[int, int, int],
) -> _Totals:
    """Close `loan_ids` (locked by the caller) for `day`, in the caller's transaction."""
    loans = db.session.execute(
        select(
            _LOANS.c.id, _LOANS.c.product_id, _LOANS.c.outstanding_pokok, _LOANS.c.kolektibilitas_floor
        ).where(_LOANS.c.id.in_(loan_ids))
    ).all()
    open_rows = db.session.execute(
        select(
            _INSTALLMENTS.c.id,
            _INSTALLMENTS.c.loan_id,
            _INSTALLMENTS.c.due_date,
            _INSTALLMENTS.c.pokok
            + _INSTALLMENTS.c.bunga
            - _INSTALLMENTS.c.paid_pokok
            - _INSTALLMENTS.c.paid_bunga,
            _INSTALLMENTS.c.bunga - _INSTALLMENTS.c.paid_bunga,
            _INSTALLMENTS.c.paid_denda,
            _INSTALLMENTS.c.accrued_on,
        )
        .where(
            _INSTALLMENTS.c.loan_id.in_(loan_ids),
            _INSTALLMENTS.c.due_date <= day,
            (_INSTALLMENTS.c.accrued_on.is_(None))
            | (
                _INSTALLMENTS.c.paid_pokok + _INSTALLMENTS.c.paid_bunga
                < _INSTALLMENTS.c.pokok + _INSTALLMENTS.c.bunga
            ),
        )
        .order_by(_INSTALLMENTS.c.loan_id, _INSTALLMENTS.c.number)
    ).all()
    by_loan: dict[int, list[Any]] = {}
    for row in open_rows:
        by_loan.setdefault(row[1], []).append(row)
    totals = _Totals(loans=len(loans))
    accruals: list[dict[str, Any]] = []
    reversals: list[int] = []
    updates: list[dict[str, Any]] = []
    for loan_id, product_id, outstanding, floor in loans:
        rate, grace = products[product_id]
        rows = by_loan.get(loan_id, ())
        dpd = 0
        denda = 0
        for _id, _loan, due, unpaid, _bunga, paid_denda, _acc in rows:
            late = (day - due).days
            if late > 0 and unpaid > 0:
                dpd = max(dpd, late)
                denda += service.denda_owed(unpaid, paid_denda, late, rate, grace)
        kolektibilitas = service.kolektibilitas(dpd, thresholds)
        if floor and service.KOLEKTIBILITAS.index(floor) > service.KOLEKTIBILITAS.index(kolektibilitas):
            kolektibilitas = floor  # a restructured loan keeps the class it had (erp/loans/restructure.py)
        if kolektibilitas == "lancar":
            for inst_id, _loan, _due, _unpaid, bunga_left, _paid, accrued_on in rows:
                if accrued_on is None:
                    accruals.append({"b_id": inst_id, "b_amount": bunga_left})
                    totals.accrued += bunga_left
                    totals.installments += 1
        else:
            # A loan no longer lancar keeps no unreceived bunga in income: what was accrued and is
            # still unpaid comes back out, to be recognised when paid (or accrued again should the
            # loan become lancar once more).
            for inst_id, _loan, _due, _unpaid, bunga_left, _paid, accrued_on in rows:
                if accrued_on is not None and bunga_left > 0:
                    reversals.append(inst_id)
                    totals.reversed += bunga_left
        totals.denda += denda
        updates.append(
            {
                "b_id": loan_id,
                "b_dpd": dpd,
                "b_class": kolektibilitas,
                "b_denda": denda,
                "b_ppap": allowance(outstanding, kolektibilitas, rates),
            }
        )
    # One statement per table for the whole batch (rows passed as arrays), not one per row.
    if accruals:
        db.session.execute(
            text(
                "UPDATE loan_installments i SET accrued_on = :day, accrued_bunga = v.amount "
                "FROM unnest(CAST(:ids AS bigint[]), CAST(:amounts AS bigint[])) AS v(id, amount) "
                "WHERE i.id = v.id"
            ),
            {"day": day, "ids": [a["b_id"] for a in accruals], "amounts": [a["b_amount"] for a in accruals]},
        )
    if reversals:
        db.session.execute(
            text(
                "UPDATE loan_installments SET accrued_on = NULL, accrued_bunga = 0 "
                "WHERE id = ANY(CAST(:ids AS bigint[]))"
            ),
            {"ids": reversals},
        )
    db.session.execute(
        text(
            "UPDATE loans l SET cob_date = :day, dpd = v.dpd, kolektibilitas = v.class, denda_due = v.denda,"
            " ppap = v.ppap FROM unnest(CAST(:ids AS bigint[]), CAST(:dpd AS int[]), CAST(:class AS text[]),"
            " CAST(:denda AS bigint[]), CAST(:ppap AS bigint[])) AS v(id, dpd, class, denda, ppap) "
            "WHERE l.id = v.id"
        ),
        {
            "day": day,
            "ids": [u["b_id"] for u in updates],
            "dpd": [u["b_dpd"] for u in updates],
            "class": [u["b_class"] for u in updates],
            "denda": [u["b_denda"] for u in updates],
            "ppap": [u["b_ppap"] for u in updates],
        },
    )
    if totals.accrued:
        ledger.post(
            NewEntry(
                entry_date=day,
                description=(
                    f"Akrual jasa pinjaman {day.isoformat()}: {totals.installments} angsuran jatuh tempo "
                    f"(pinjaman #{loan_ids[0]}–#{loan_ids[-1]})"
                ),
                source_module=service.SOURCE,
                source_id=f"cob:{run_id}",
                idempotency_key=f"loans:cob:{day.isoformat()}:accrue:{loan_ids[0]}-{loan_ids[-1]}",
                lines=[
                    debit(service.ACCRUED_INTEREST, totals.accrued),
                    credit(service.INTEREST_INCOME, totals.accrued),
                ],
            )
        )
    if totals.reversed:
        ledger.post(
            NewEntry(
                entry_date=day,
                description=(
                    f"Pembalikan akrual jasa pinjaman bermasalah {day.isoformat()}: {len(reversals)} "
                    f"angsuran (pinjaman #{loan_ids[0]}–#{loan_ids[-1]})"
                ),
                source_module=service.SOURCE,
                source_id=f"cob:{run_id}",
                idempotency_key=f"loans:cob:{day.isoformat()}:reverse:{loan_ids[0]}-{loan_ids[-1]}",
                lines=[
                    debit(service.INTEREST_INCOME, totals.reversed),
                    credit(service.ACCRUED_INTEREST, totals.reversed),
                ],
            )
        )
    return totals


def _count(run_id: int, totals: _Totals, *, batches: int) -> None:
    db.session.execute(
        update(_RUNS)
        .where(_RUNS.c.id == run_id)
        .values(
            batches=_RUNS.c.batches + batches,
            loans_processed=_RUNS.c.loans_processed + totals.loans,
            installments_accrued=_RUNS.c.installments_accrued + totals.installments,
            accrued_bunga=_RUNS.c.accrued_bunga + totals.accrued,
            reversed_bunga=_RUNS.c.reversed_bunga + totals.reversed,
            denda_due=_RUNS.c.denda_due + totals.denda,
        )
    )


def _products() -> dict[int, tuple[Decimal, int]]:
    rows = db.session.execute(select(LoanProduct.id, LoanProduct.denda_rate_per_day, LoanProduct.grace_days))
    result = {pid: (rate, grace) for pid, rate, grace in rows}
    db.session.commit()
    return result


class _TenantLock:
    """A session-level advisory lock on a connection of its own, held for the whole run across the
    batches' transactions; PostgreSQL drops it with the connection if the worker dies."""

    def __init__(self, tenant_id: int) -> None:
        self.key = f"loans:cob:{tenant_id}"
        self.conn: Any = None

    def acquire(self) -> bool:
        self.conn = db.engine.connect()
        got = self.conn.execute(
            text("SELECT pg_try_advisory_lock(hashtextextended(:k, 0))"), {"k": self.key}
        ).scalar()
        self.conn.commit()
        if not got:
            self.conn.close()
            self.conn = None
        return bool(got)

    def release(self) -> None:
        if self.conn is None:
            return
        try:
            self.conn.execute(text("SELECT pg_advisory_unlock(hashtextextended(:k, 0))"), {"k": self.key})
            self.conn.commit()
        finally:
            self.conn.close()
            self.conn = None
