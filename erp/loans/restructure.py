"""Changes to a running loan and its end: early payoff (full, or partial with the schedule
recomputed for a shorter tenor or a smaller installment), restructuring decided by a second person,
hapus buku of a macet loan against the PPAP allowance with recoveries later, and repayment by
deduction from the member's simpanan sukarela.

Invariants: every change happens under `SELECT … FOR UPDATE` of the loan and its installments, in
one transaction with its journal entries; the schedule in force always sums, with what was paid of
the rows it replaced, to the loan's amount, and `outstanding_pokok` equals its unpaid pokok; a
replaced schedule is never lost: its rows, with what had been paid of them, are copied into an
append-only version first. Money moves only through `service.repay` (the same denda → jasa → pokok
allocation as the desk) or `erp.ledger.service.post`, each under an idempotency key.

The running period's jasa on an early payoff follows the product's rule (`prepayment_interest`):
`harian` charges it pro rata by days since the period began, `penuh` the period's full jasa, `tanpa`
nothing; jasa of later periods is not owed. A restructured loan keeps, as its floor, the class it had
when restructured (DOMAIN.md sets no rule to upgrade it).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from core import audit
from core.db import db
from core.errors import NotFound
from core.money import InvariantViolation, format_rupiah, to_rupiah
from erp.ledger import service as ledger
from erp.ledger.models import JournalEntry
from erp.ledger.service import NewEntry, NewLine, credit, debit
from erp.loans import service
from erp.loans.models import (
    DecisionStatus,
    Installment,
    Loan,
    LoanProduct,
    LoanStatus,
    PrepaymentInterest,
    Recovery,
    Repayment,
    Restructuring,
    ScheduleRow,
    ScheduleVersion,
    WriteOff,
)
from erp.loans.schedule import Frequency, Method, annuity_payment, build_schedule, period_rate
from erp.loans.service import InvalidLoan, LoanRefused, RepaymentConflict
from erp.savings import service as savings
from erp.savings.models import ProductKind
from tenants.context import require_tenant

PPAP = "1-1410"
PPAP_EXPENSE = "6-3000"
RECOVERY_INCOME = "4-1400"
MAX_TENOR = 360


class Mode:
    """What a partial prepayment shortens: the tenor (installment kept) or the installment."""

    TENOR = "tenor"
    ANGSURAN = "angsuran"


@dataclass(frozen=True)
class Payoff:
    """What closing a loan on `on` takes: denda, what has fallen due (jasa and pokok), the running
    period's jasa by the product's rule, and the pokok not yet due; `waived` is the scheduled jasa
    of later periods that is not owed."""

    on: date
    denda: int
    due_bunga: int
    due_pokok: int
    running_bunga: int
    future_pokok: int
    waived: int

    @property
    def total(self) -> int:
        return self.denda + self.due_bunga + self.due_pokok + self.running_bunga + self.future_pokok

    @property
    def due(self) -> int:
        """What must be paid before any principal can be prepaid."""
        return self.denda + self.due_bunga + self.due_pokok + self.running_bunga


@dataclass(frozen=True)
class VersionView:
    version: ScheduleVersion
    rows: list[ScheduleRow]


@dataclass(frozen=True)
class WriteOffRow:
    """A line of the write-off register: the loan, what was written off, recovered and left."""

    write_off: WriteOff
    loan: Loan
    member: str
    recovered: int

    @property
    def claim(self) -> int:
        return self.write_off.pokok + self.write_off.bunga

    @property
    def remaining(self) -> int:
        return self.claim - self.recovered


# --- early payoff --------------------------------------------------------------------------------


def payoff_quote(loan_id: int, on: date) -> Payoff:
    """What closing the loan on `on` would take, by the product's rule (nothing is written)."""
    loan = service.get_loan(loan_id)
    if loan.status != LoanStatus.DICAIRKAN.value:
        raise LoanRefused(_l("Pinjaman ini tidak sedang berjalan."))
    product = _product(loan)
    return _payoff(loan, service.installments(loan.id), product, on)


def prepay_full(
    loan_id: int, *, idempotency_key: str, teller_id: int | None, on: date | None = None
) -> Repayment:
    """Pelunasan dipercepat: the later installments are replaced by one due today holding the pokok
    not yet due and the running period's jasa by the product's rule; then everything owed is paid
    through the desk's allocation and the loan is lunas."""
    day = on or date.today()
    loan, rows, product, first = _begin(loan_id, idempotency_key)
    if first is not None:
        return first
    quote = _payoff(loan, rows, product, day)
    future = [r for r in rows if r.due_date > day]
    if future:
        number = _supersede(loan, rows, future, day, "pelunasan", None, teller_id)
        if quote.future_pokok or quote.running_bunga:
            _add_row(loan, number, day, quote.future_pokok, quote.running_bunga)
    db.session.flush()
    repayment = service.repay(
        loan.id, quote.total, idempotency_key=idempotency_key, teller_id=teller_id, on=day, commit=False
    )
    if loan.status != LoanStatus.LUNAS.value:
        raise InvariantViolation("a full payoff left the loan open")
    audit.record(
        "loan.prepay_full",
        "loan",
        loan.id,
        after={"amount": quote.total, "waived_bunga": quote.waived, "on": day.isoformat()},
        actor_id=teller_id,
    )
    db.session.commit()
    return repayment


def prepay_partial(
    loan_id: int,
    amount: int,
    *,
    mode: str,
    idempotency_key: str,
    teller_id: int | None,
    on: date | None = None,
) -> Repayment:
    """Pelunasan sebagian: `amount` first pays what is due (denda, jasa and pokok fallen due, the
    running period's jasa by the product's rule); the rest reduces the principal, and the later
    installments are recomputed from today on the smaller principal, either keeping the
    installment (shorter tenor) or the number of installments (smaller installment)."""
    day = on or date.today()
    _require_amount(amount)
    if mode not in (Mode.TENOR, Mode.ANGSURAN):
        raise InvalidLoan(
            _l("Pilih: tenor lebih pendek atau angsuran lebih kecil."),
            fields={"mode": [str(_l("Pilih salah satu."))]},
        )
    loan, rows, product, first = _begin(loan_id, idempotency_key)
    if first is not None:
        if first.amount != amount:
            raise RepaymentConflict(_l("Kunci transaksi sudah dipakai untuk pembayaran lain."))
        return first
    quote = _payoff(loan, rows, product, day)
    principal = amount - quote.due
    if principal <= 0:
        raise InvalidLoan(
            _l(
                "Jumlah harus lebih dari kewajiban jatuh tempo %(due)s.",
                due=format_rupiah(quote.due),
            ),
            fields={"amount": [str(_l("Belum ada sisa untuk mengurangi pokok."))]},
        )
    if principal >= quote.future_pokok:
        raise InvalidLoan(
            _l(
                "Jumlah ini melunasi seluruh pinjaman (%(total)s); gunakan pelunasan penuh.",
                total=format_rupiah(quote.total),
            ),
            fields={"amount": [str(_l("Gunakan pelunasan penuh."))]},
        )
    future = [r for r in rows if r.due_date > day]
    remaining = quote.future_pokok - principal
    open_rows = [r for r in future if r.pokok > r.paid_pokok]
    keep_installment = open_rows[0].angsuran if open_rows else 0
    rate = loan.rate_per_month / 100
    method, frequency = Method(loan.method), Frequency(loan.frequency)
    count = len(open_rows)
    if mode == Mode.TENOR:
        count = _shortest_tenor(remaining, rate, method, frequency, keep_installment, count)
    number = _supersede(loan, rows, future, day, "pelunasan_sebagian", None, teller_id)
    _add_row(loan, number, day, principal, quote.running_bunga)
    for row in build_schedule(remaining, rate, count, method, day, frequency):
        _add_row(loan, number + row.number, row.due_date, row.pokok, row.bunga)
    loan.tenor = number + count
    db.session.flush()
    repayment = service.repay(
        loan.id, amount, idempotency_key=idempotency_key, teller_id=teller_id, on=day, commit=False
    )
    if loan.outstanding_pokok != remaining:
        raise InvariantViolation("a partial prepayment left the principal wrong")
    audit.record(
        "loan.prepay_partial",
        "loan",
        loan.id,
        after={"amount": amount, "principal": principal, "mode": mode, "installments": count},
        actor_id=teller_id,
    )
    db.session.commit()
    return repayment


# --- restructuring -------------------------------------------------------------------------------


def propose_restructuring(
    loan_id: int, *, tenor: int, rate_per_month: Decimal, method: str, reason: str, by: int
) -> Restructuring:
    """The maker's half: new tenor, monthly rate (percent) and method for a running loan, with the
    reason. One open proposal per loan."""
    loan = service.get_loan(loan_id)
    if loan.status != LoanStatus.DICAIRKAN.value:
        raise LoanRefused(_l("Hanya pinjaman berjalan yang dapat direstrukturisasi."))
    _check_terms(tenor, rate_per_month, method)
    reason = _reason(reason, "reason")
    if db.session.scalar(
        select(Restructuring.id).where(
            Restructuring.loan_id == loan.id, Restructuring.status == DecisionStatus.DIAJUKAN.value
        )
    ):
        raise LoanRefused(_l("Sudah ada usulan restrukturisasi yang menunggu keputusan."))
    proposal = Restructuring(
        loan_id=loan.id,
        status=DecisionStatus.DIAJUKAN.value,
        new_tenor=tenor,
        new_rate_per_month=rate_per_month,
        new_method=method,
        reason=reason,
        proposed_by=by,
    )
    db.session.add(proposal)
    db.session.flush()
    audit.record(
        "loan.restructure_proposed",
        "loan",
        loan.id,
        after={"tenor": tenor, "rate": str(rate_per_month), "method": method, "reason": reason},
        actor_id=by,
    )
    db.session.commit()
    return proposal


def preview_restructuring(proposal: Restructuring, on: date) -> tuple[int, int, list[Any]]:
    """What approving `proposal` on `on` would do: (principal, jasa carried, new schedule rows)."""
    loan = service.get_loan(proposal.loan_id)
    rows = service.installments(loan.id)
    product = _product(loan)
    principal, carried, _waived = _restructure_amounts(loan, rows, product, on)
    if principal <= 0:
        return 0, carried, []
    schedule = build_schedule(
        principal,
        proposal.new_rate_per_month / 100,
        proposal.new_tenor,
        Method(proposal.new_method),
        on,
        Frequency(loan.frequency),
    )
    return principal, carried, schedule


def approve_restructuring(proposal_id: int, *, by: int, on: date | None = None) -> Restructuring:
    """The checker's half, by another person: the unpaid installments are replaced by a schedule of
    the unpaid pokok on the new terms from today; overdue jasa and the running period's jasa are
    carried as an installment due today (kept apart from the new schedule so the close of business
    clears what it accrued); denda so far is waived. The loan keeps its class as a floor."""
    day = on or date.today()
    proposal = _undecided(Restructuring, proposal_id, by)
    loan, rows, product, _first = _begin(proposal.loan_id, None)
    dpd = service.days_past_due(loan.id, day)
    class_before = service.loan_kolektibilitas(loan, dpd)
    principal, carried, waived = _restructure_amounts(loan, rows, product, day)
    if principal <= 0:
        raise LoanRefused(_l("Tidak ada sisa pokok untuk direstrukturisasi."))
    running = _running_bunga(loan, rows, product, day)
    replaced = [r for r in rows if r.unpaid > 0]
    carry_rows = _carried(replaced, day)
    schedule = build_schedule(
        principal,
        proposal.new_rate_per_month / 100,
        proposal.new_tenor,
        Method(proposal.new_method),
        day,
        Frequency(loan.frequency),
    )
    number = _supersede(loan, rows, replaced, day, "restrukturisasi", proposal.reason, by)
    # carried jasa falls due with the first new installment, not at once
    first_due = schedule[0].due_date
    for accrued_on, amount in carry_rows:
        _add_row(loan, number, first_due, 0, amount, accrued_on=accrued_on)
        number += 1
    if running:
        _add_row(loan, number, first_due, 0, running)
        number += 1
    for row in schedule:
        _add_row(loan, number + row.number - 1, row.due_date, row.pokok, row.bunga)
    before = {"rate": str(loan.rate_per_month), "method": loan.method, "tenor": loan.tenor}
    loan.rate_per_month = proposal.new_rate_per_month
    loan.method = proposal.new_method
    loan.tenor = number - 1 + len(schedule)
    loan.restructured_count += 1
    loan.kolektibilitas_floor = class_before
    proposal.status = DecisionStatus.DISETUJUI.value
    proposal.decided_by = by
    proposal.decided_at = datetime.now(UTC)
    proposal.effective_on = day
    proposal.principal = principal
    proposal.carried_bunga = carried
    proposal.denda_waived = waived
    proposal.class_before = class_before
    db.session.flush()
    if loan.outstanding_pokok != _unpaid_pokok(loan.id):
        raise InvariantViolation("restructuring changed the outstanding principal")
    audit.record(
        "loan.restructure_approved",
        "loan",
        loan.id,
        before=before,
        after={
            "rate": str(loan.rate_per_month),
            "method": loan.method,
            "tenor": loan.tenor,
            "principal": principal,
            "carried_bunga": carried,
            "denda_waived": waived,
            "class_before": class_before,
        },
        actor_id=by,
    )
    db.session.commit()
    return proposal


def refuse_restructuring(proposal_id: int, *, by: int, reason: str) -> Restructuring:
    return _refuse(Restructuring, proposal_id, by, reason, "loan.restructure_refused")


def restructurings(loan_id: int | None = None, *, pending: bool = False) -> list[Restructuring]:
    return _proposals(Restructuring, loan_id, pending)


def schedule_versions(loan_id: int) -> list[VersionView]:
    """Every replaced schedule of a loan, newest first, with its rows."""
    require_tenant()
    versions = list(
        db.session.scalars(
            select(ScheduleVersion)
            .where(ScheduleVersion.loan_id == loan_id)
            .order_by(ScheduleVersion.version.desc())
        )
    )
    rows: dict[int, list[ScheduleRow]] = {v.id: [] for v in versions}
    if versions:
        for row in db.session.scalars(
            select(ScheduleRow)
            .where(ScheduleRow.version_id.in_(list(rows)))
            .order_by(ScheduleRow.version_id, ScheduleRow.number)
        ):
            rows[row.version_id].append(row)
    return [VersionView(v, rows[v.id]) for v in versions]


# --- hapus buku and recovery ---------------------------------------------------------------------


def propose_write_off(loan_id: int, *, reason: str, by: int, on: date | None = None) -> WriteOff:
    """The maker's half of hapus buku: only a running loan that is macet."""
    day = on or date.today()
    loan = service.get_loan(loan_id)
    _require_macet(loan, day)
    reason = _reason(reason, "reason")
    if db.session.scalar(
        select(WriteOff.id).where(
            WriteOff.loan_id == loan.id, WriteOff.status != DecisionStatus.DITOLAK.value
        )
    ):
        raise LoanRefused(_l("Pinjaman ini sudah diusulkan atau dihapus buku."))
    proposal = WriteOff(
        loan_id=loan.id,
        status=DecisionStatus.DIAJUKAN.value,
        reason=reason,
        proposed_by=by,
        pokok=0,
        bunga=0,
        from_allowance=0,
        from_expense=0,
    )
    db.session.add(proposal)
    db.session.flush()
    audit.record("loan.write_off_proposed", "loan", loan.id, after={"reason": reason}, actor_id=by)
    db.session.commit()
    return proposal


def approve_write_off(proposal_id: int, *, by: int, on: date | None = None) -> WriteOff:
    """The checker's half, by another person: the outstanding pokok leaves Pinjaman Anggota against
    the allowance held against it (what the allowance lacks goes to Beban PPAP); jasa accrued by the
    close of business and not paid is reversed; unpaid jasa stays part of the claim. The loan stays,
    as hapus buku, in the register."""
    day = on or date.today()
    proposal = _undecided(WriteOff, proposal_id, by)
    loan, rows, _product_, _first = _begin(proposal.loan_id, None)
    _require_macet(loan, day)
    pokok = loan.outstanding_pokok
    if pokok <= 0:
        raise InvariantViolation("a running loan without principal")
    bunga = sum(r.bunga - r.paid_bunga for r in rows if r.due_date <= day)
    accrued = sum(r.bunga - r.paid_bunga for r in rows if r.accrued_on is not None)
    # the allowance close of business holds against this loan, as far as the account has it
    from_allowance = min(pokok, loan.ppap, max(ledger.account_balance(PPAP, day), 0))
    lines: list[NewLine] = []
    if from_allowance:
        lines.append(debit(PPAP, from_allowance))
    if pokok > from_allowance:
        lines.append(debit(PPAP_EXPENSE, pokok - from_allowance))
    lines.append(credit(service.LOANS_RECEIVABLE, pokok))
    if accrued:  # jasa accrued while the loan was lancar and never paid is income no more
        lines += [debit(service.INTEREST_INCOME, accrued), credit(service.ACCRUED_INTEREST, accrued)]
    entry = ledger.post(
        NewEntry(
            entry_date=day,
            description=f"Hapus buku pinjaman #{loan.id}",
            source_module=service.SOURCE,
            source_id=loan.id,
            idempotency_key=f"loans:write_off:{loan.id}",
            lines=lines,
        ),
        posted_by=by,
    )
    loan.status = LoanStatus.HAPUS_BUKU.value
    loan.closed_on = day
    loan.ppap = 0
    proposal.status = DecisionStatus.DISETUJUI.value
    proposal.decided_by = by
    proposal.decided_at = datetime.now(UTC)
    proposal.written_off_on = day
    proposal.pokok = pokok
    proposal.bunga = bunga
    proposal.from_allowance = from_allowance
    proposal.from_expense = pokok - from_allowance
    proposal.journal_entry_id = entry.id
    audit.record(
        "loan.written_off",
        "loan",
        loan.id,
        after={"pokok": pokok, "bunga": bunga, "from_allowance": from_allowance, "reason": proposal.reason},
        actor_id=by,
    )
    db.session.commit()
    return proposal


def refuse_write_off(proposal_id: int, *, by: int, reason: str) -> WriteOff:
    return _refuse(WriteOff, proposal_id, by, reason, "loan.write_off_refused")


def write_offs(loan_id: int | None = None, *, pending: bool = False) -> list[WriteOff]:
    return _proposals(WriteOff, loan_id, pending)


def recover(
    loan_id: int, amount: int, *, idempotency_key: str, teller_id: int | None, on: date | None = None
) -> Recovery:
    """Money paid on a written-off loan: Kas against pendapatan pemulihan piutang hapus buku, up to
    what was written off (pokok and overdue jasa). A repeated key returns the first recovery."""
    _require_amount(amount)
    day = on or date.today()
    loan = service._lock(loan_id)
    first = db.session.scalar(select(Recovery).where(Recovery.idempotency_key == idempotency_key))
    if first is not None:
        if first.loan_id != loan.id or first.amount != amount:
            raise RepaymentConflict(_l("Kunci transaksi sudah dipakai untuk pembayaran lain."))
        return first
    if loan.status != LoanStatus.HAPUS_BUKU.value:
        raise LoanRefused(_l("Pemulihan hanya untuk pinjaman yang sudah dihapus buku."))
    written = db.session.scalar(
        select(WriteOff).where(WriteOff.loan_id == loan.id, WriteOff.status == DecisionStatus.DISETUJUI.value)
    )
    if written is None:
        raise InvariantViolation("a hapus buku loan without its write-off")
    left = written.pokok + written.bunga - _recovered(loan.id)
    if amount > left:
        raise InvalidLoan(
            _l("Melebihi sisa tagihan hapus buku %(left)s.", left=format_rupiah(left)),
            fields={"amount": [str(_l("Melebihi sisa tagihan."))]},
        )
    ledger.ensure_accounts(RECOVERY_INCOME)
    entry = ledger.post(
        NewEntry(
            entry_date=day,
            description=f"Pemulihan pinjaman hapus buku #{loan.id}",
            source_module=service.SOURCE,
            source_id=loan.id,
            idempotency_key=f"loans:recovery:{idempotency_key}",
            lines=[debit(service.CASH, amount), credit(RECOVERY_INCOME, amount)],
        ),
        posted_by=teller_id,
    )
    recovery = Recovery(
        loan_id=loan.id,
        amount=amount,
        received_on=day,
        idempotency_key=idempotency_key,
        journal_entry_id=entry.id,
        teller_id=teller_id,
    )
    db.session.add(recovery)
    db.session.flush()
    audit.record("loan.recovery", "loan", loan.id, after={"amount": amount}, actor_id=teller_id)
    db.session.commit()
    return recovery


def recoveries(loan_id: int) -> list[Recovery]:
    require_tenant()
    return list(db.session.scalars(select(Recovery).where(Recovery.loan_id == loan_id).order_by(Recovery.id)))


def write_off_register() -> list[WriteOffRow]:
    """Every written-off loan with what was written off, recovered since, and left to recover."""
    require_tenant()
    rows = db.session.execute(
        select(WriteOff, Loan)
        .join(Loan, (Loan.id == WriteOff.loan_id) & (Loan.tenant_id == WriteOff.tenant_id))
        .where(WriteOff.status == DecisionStatus.DISETUJUI.value)
        .order_by(WriteOff.written_off_on.desc(), WriteOff.id.desc())
        .limit(1000)
    ).all()
    recovered = dict(
        db.session.execute(
            select(Recovery.loan_id, func.sum(Recovery.amount)).group_by(Recovery.loan_id)
        ).all()
    )
    from erp.membership import service as membership

    names = {m.id: f"{m.member_number} {m.name}" for m in membership.active_members()}
    result = []
    for write_off, loan in rows:
        name = names.get(loan.member_id)
        if name is None:
            member = membership.get_member(loan.member_id)
            name = f"{member.member_number or ''} {member.name}".strip()
        result.append(WriteOffRow(write_off, loan, name, int(recovered.get(loan.id, 0))))
    return result


# --- deduction from savings ----------------------------------------------------------------------


def repay_from_savings(
    loan_id: int, amount: int, *, idempotency_key: str, teller_id: int | None, on: date | None = None
) -> Repayment:
    """Pay an installment from the member's simpanan sukarela: one transaction withdraws from the
    account under its row lock (erp.savings) and applies the same denda → jasa → pokok allocation as
    the desk, with one journal entry debiting Simpanan Sukarela. A short balance is refused and
    nothing is written."""
    _require_amount(amount)
    loan = service.get_loan(loan_id)
    account = next(
        (
            a
            for a, p in savings.member_accounts(loan.member_id)
            if p.kind == ProductKind.SUKARELA.value and a.status == "open"
        ),
        None,
    )
    if account is None:
        raise LoanRefused(_l("Anggota belum mempunyai rekening simpanan sukarela."))
    description = str(_l("Potong angsuran pinjaman #%(id)s", id=loan.id))

    def from_savings(credits: list[NewLine], day: date) -> JournalEntry:
        movement = savings.transfer_out(
            account.id,
            amount,
            idempotency_key=f"loan:{idempotency_key}",
            on=day,
            description=description,
            credit_lines=credits,
            teller_id=teller_id,
        )
        entry = db.session.get(JournalEntry, movement.journal_entry_id)
        if entry is None:
            raise InvariantViolation("a savings movement without its journal entry")
        return entry

    try:
        return service.repay(
            loan.id,
            amount,
            idempotency_key=idempotency_key,
            teller_id=teller_id,
            on=on,
            funding=from_savings,
            channel="simpanan",
        )
    except Exception:
        db.session.rollback()
        raise


# --- internals -----------------------------------------------------------------------------------


def _begin(loan_id: int, key: str | None) -> tuple[Loan, list[Installment], LoanProduct, Repayment | None]:
    """Lock the loan and its installments; a repeat of `key` returns its first repayment."""
    loan = service._lock(loan_id)
    if key is not None:
        if not isinstance(key, str) or not 0 < len(key) <= 100:
            raise InvalidLoan(_l("Formulir tidak sah; muat ulang halaman."))
        first = db.session.scalar(select(Repayment).where(Repayment.idempotency_key == key))
        if first is not None:
            if first.loan_id != loan.id:
                raise RepaymentConflict(_l("Kunci transaksi sudah dipakai untuk pembayaran lain."))
            return loan, [], _product(loan), first
    if loan.status != LoanStatus.DICAIRKAN.value:
        raise LoanRefused(_l("Pinjaman ini tidak sedang berjalan."))
    rows = list(
        db.session.scalars(
            select(Installment)
            .where(Installment.loan_id == loan.id)
            .order_by(Installment.number)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
    )
    return loan, rows, _product(loan), None


def _product(loan: Loan) -> LoanProduct:
    product = db.session.get(LoanProduct, loan.product_id)
    if product is None:
        raise InvariantViolation("a loan without its product")
    return product


def _payoff(loan: Loan, rows: Sequence[Installment], product: LoanProduct, on: date) -> Payoff:
    due = [r for r in rows if r.due_date <= on]
    future = [r for r in rows if r.due_date > on]
    running = _running_bunga(loan, rows, product, on)
    return Payoff(
        on=on,
        denda=sum(service._denda(r, product, on) for r in rows),
        due_bunga=sum(r.bunga - r.paid_bunga for r in due),
        due_pokok=sum(r.pokok - r.paid_pokok for r in due),
        running_bunga=running,
        future_pokok=sum(r.pokok - r.paid_pokok for r in future),
        waived=sum(r.bunga - r.paid_bunga for r in future) - running,
    )


def _running_bunga(loan: Loan, rows: Sequence[Installment], product: LoanProduct, on: date) -> int:
    """Jasa of the period running on `on` still owed by the product's rule: the next installment's
    jasa pro rata by days elapsed (harian), in full (penuh) or none (tanpa), less what was paid."""
    upcoming = [r for r in rows if r.due_date > on]
    if not upcoming:
        return 0
    nxt = upcoming[0]
    earlier = [r.due_date for r in rows if r.due_date <= on]
    start = max(earlier) if earlier else (loan.disbursed_on or on)
    rule = product.prepayment_interest
    if rule == PrepaymentInterest.TANPA.value or on <= start:
        owed = 0
    elif rule == PrepaymentInterest.PENUH.value:
        owed = nxt.bunga
    else:
        elapsed = (on - start).days
        length = max((nxt.due_date - start).days, 1)
        owed = min(to_rupiah(Decimal(nxt.bunga) * elapsed / length), nxt.bunga)
    return max(owed - nxt.paid_bunga, 0)


def _restructure_amounts(
    loan: Loan, rows: Sequence[Installment], product: LoanProduct, on: date
) -> tuple[int, int, int]:
    """(unpaid pokok, jasa carried: overdue and the running period's, denda waived)."""
    principal = sum(r.pokok - r.paid_pokok for r in rows)
    overdue = sum(r.bunga - r.paid_bunga for r in rows if r.due_date <= on)
    waived = sum(service._denda(r, product, on) for r in rows)
    return principal, overdue + _running_bunga(loan, rows, product, on), waived


def _carried(replaced: Sequence[Installment], on: date) -> list[tuple[date | None, int]]:
    """Overdue unpaid jasa of the replaced rows, grouped by the day close of business accrued it
    (None: not accrued), so a carried installment keeps that mark and its repayment clears the
    receivable (Piutang Jasa Pinjaman) rather than counting the income twice."""
    groups: dict[date | None, int] = {}
    for row in replaced:
        if row.due_date <= on and row.bunga > row.paid_bunga:
            groups[row.accrued_on] = groups.get(row.accrued_on, 0) + row.bunga - row.paid_bunga
    return sorted(groups.items(), key=lambda item: (item[0] is None, item[0] or on))


def _supersede(
    loan: Loan,
    rows: Sequence[Installment],
    replaced: Sequence[Installment],
    on: date,
    kind: str,
    note: str | None,
    by: int | None,
) -> int:
    """Copy the schedule in force into a new append-only version, then end the `replaced` rows: a
    row with something paid keeps just that (and falls due no later than `on`), a row with nothing
    paid goes. Returns the number the next new row takes."""
    version = ScheduleVersion(
        loan_id=loan.id,
        version=loan.schedule_version,
        reason_kind=kind,
        superseded_on=on,
        note=(note or None) and note[:300],
        created_by=by,
    )
    db.session.add(version)
    db.session.flush()
    for r in rows:
        db.session.add(
            ScheduleRow(
                version_id=version.id,
                number=r.number,
                due_date=r.due_date,
                pokok=r.pokok,
                bunga=r.bunga,
                paid_pokok=r.paid_pokok,
                paid_bunga=r.paid_bunga,
                paid_denda=r.paid_denda,
            )
        )
    gone = {r.id for r in replaced}
    for r in replaced:
        if r.paid_pokok or r.paid_bunga or r.paid_denda:
            r.pokok, r.bunga = r.paid_pokok, r.paid_bunga
            r.accrued_bunga = min(r.accrued_bunga, r.paid_bunga)
            r.due_date = min(r.due_date, on)
            gone.discard(r.id)
        else:
            db.session.delete(r)
    db.session.flush()
    loan.schedule_version += 1
    kept = [r.number for r in rows if r.id not in gone]
    return max(kept, default=0) + 1


def _add_row(
    loan: Loan, number: int, due: date, pokok: int, bunga: int, accrued_on: date | None = None
) -> Installment:
    row = Installment(
        loan_id=loan.id,
        number=number,
        due_date=due,
        pokok=pokok,
        bunga=bunga,
        paid_pokok=0,
        paid_bunga=0,
        paid_denda=0,
        accrued_on=accrued_on,
        accrued_bunga=bunga if accrued_on is not None else 0,
    )
    db.session.add(row)
    return row


def _shortest_tenor(
    principal: int, rate: Decimal, method: Method, frequency: Frequency, installment: int, most: int
) -> int:
    """The fewest installments, at most `most`, whose first installment is no more than
    `installment`: the member pays about as before and finishes sooner."""
    r = period_rate(rate, frequency)
    for n in range(1, most + 1):
        if method is Method.ANUITAS:
            first = annuity_payment(principal, r, n)
        else:  # flat and efektif alike: the first period's jasa is on the whole principal
            first = principal // n + to_rupiah(principal * r)
        if first <= installment:
            return n
    return most


def _unpaid_pokok(loan_id: int) -> int:
    total = db.session.scalar(
        select(func.coalesce(func.sum(Installment.pokok - Installment.paid_pokok), 0)).where(
            Installment.loan_id == loan_id
        )
    )
    return int(total or 0)


def _recovered(loan_id: int) -> int:
    total = db.session.scalar(
        select(func.coalesce(func.sum(Recovery.amount), 0)).where(Recovery.loan_id == loan_id)
    )
    return int(total or 0)


def _require_macet(loan: Loan, on: date) -> None:
    if loan.status != LoanStatus.DICAIRKAN.value:
        raise LoanRefused(_l("Hanya pinjaman berjalan yang dapat dihapus buku."))
    dpd = service.days_past_due(loan.id, on)
    if service.loan_kolektibilitas(loan, dpd) != "macet":
        raise LoanRefused(_l("Hanya pinjaman berkolektibilitas macet yang dapat dihapus buku."))


def _undecided(model: Any, proposal_id: int, by: int, *, refusing: bool = False) -> Any:
    """The proposal, locked, still to be decided, by someone other than its proposer."""
    proposal = _lock_proposal(model, proposal_id)
    if proposal.status != DecisionStatus.DIAJUKAN.value:
        raise LoanRefused(_l("Usulan ini sudah diputuskan."))
    if by == proposal.proposed_by:
        raise service.ApproverNotAllowed(
            _l("Pengusul tidak dapat memutuskan usulannya sendiri.")
            if refusing
            else _l("Persetujuan harus oleh orang lain, bukan pengusul.")
        )
    return proposal


def _refuse(model: Any, proposal_id: int, by: int, reason: str, action: str) -> Any:
    """Refuse a restructuring or write-off proposal with its reason (another person decides)."""
    proposal = _undecided(model, proposal_id, by, refusing=True)
    proposal.refusal_reason = _reason(reason, "reason")
    proposal.status = DecisionStatus.DITOLAK.value
    proposal.decided_by = by
    proposal.decided_at = datetime.now(UTC)
    audit.record(action, "loan", proposal.loan_id, after={"reason": proposal.refusal_reason}, actor_id=by)
    db.session.commit()
    return proposal


def _proposals(model: Any, loan_id: int | None, pending: bool) -> list[Any]:
    """The newest restructuring or write-off proposals, of one loan or all, optionally undecided."""
    require_tenant()
    stmt = select(model).order_by(model.id.desc()).limit(500)
    if loan_id is not None:
        stmt = stmt.where(model.loan_id == loan_id)
    if pending:
        stmt = stmt.where(model.status == DecisionStatus.DIAJUKAN.value)
    return list(db.session.scalars(stmt))


def _lock_proposal(model: Any, proposal_id: int) -> Any:
    require_tenant()
    found = (
        db.session.scalar(
            select(model)
            .where(model.id == proposal_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
        if isinstance(proposal_id, int)
        else None
    )
    if found is None:
        raise NotFound(_l("Usulan tidak ditemukan."))
    return found


def _check_terms(tenor: Any, rate: Any, method: Any) -> None:
    if isinstance(tenor, bool) or not isinstance(tenor, int) or not 0 < tenor <= MAX_TENOR:
        raise InvalidLoan(
            _l("Jangka waktu baru 1–%(max)s angsuran.", max=MAX_TENOR),
            fields={"tenor": [str(_l("Di luar batas."))]},
        )
    if not isinstance(rate, Decimal) or not Decimal(0) <= rate <= Decimal(100):
        raise InvalidLoan(
            _l("Jasa per bulan antara 0 dan 100 persen."),
            fields={"rate_per_month": [str(_l("Antara 0 dan 100 persen."))]},
        )
    if method not in {m.value for m in Method}:
        raise InvalidLoan(_l("Metode bunga tidak dikenal."), fields={"method": [str(_l("Pilih metode."))]})


def _reason(text: Any, field: str) -> str:
    value = (text or "").strip() if isinstance(text, str) else ""
    if not value:
        raise InvalidLoan(_l("Alasan wajib diisi."), fields={field: [str(_l("Wajib diisi."))]})
    return value[:300]


def _require_amount(amount: Any) -> None:
    if isinstance(amount, bool) or not isinstance(amount, int) or amount <= 0:
        raise InvalidLoan(
            _l("Jumlah harus rupiah bulat lebih dari nol."),
            fields={"amount": [str(_l("Harus lebih dari nol."))]},
        )
