"""The loan use cases: set up products, apply, approve or refuse (maker-checker), disburse, take
repayments at the desk, and tell a loan's days past due and kolektibilitas, and the portfolio's
PAR 1/30/90 and NPL.

Invariants: whoever applied never approves, and above the product's threshold a second, third
person approves too; a refusal carries a reason; each decision is audited. Disbursement stores the
schedule and posts Pinjaman Anggota against Kas and provisi income in the same transaction. A
repayment changes a loan only under `SELECT … FOR UPDATE` of that loan, is split denda → bunga →
pokok installment by installment (oldest first), posts its journal entry in the same transaction,
and is applied once per idempotency key. The loan's outstanding principal always equals the unpaid
pokok of its installments.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from flask import current_app, has_app_context
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from core import audit
from core.db import db
from core.errors import DomainError, ErrorCode, NotFound
from core.money import InvariantViolation, format_rupiah, to_rupiah
from erp.ledger import service as ledger
from erp.ledger import shu
from erp.ledger.models import JournalEntry
from erp.ledger.service import NewEntry, NewLine, credit, debit
from erp.loans.models import CobRun, CobStatus, Installment, Loan, LoanProduct, LoanStatus, Repayment
from erp.loans.schedule import Frequency, Method, build_schedule
from erp.membership import service as membership
from erp.membership.models import MemberStatus
from erp.savings import service as savings
from tenants.context import current_tenant_id, require_tenant

CASH = "1-1100"
LOANS_RECEIVABLE = "1-1400"
INTEREST_INCOME = "4-1100"
PROVISI_INCOME = "4-1200"
DENDA_INCOME = "4-1300"
# Bunga accrued by close of business (erp/loans/cob.py) when an installment fell due; a repayment
# of that bunga clears this receivable instead of recognising the income a second time.
ACCRUED_INTEREST = "1-1420"
SOURCE = "loans"

# Days past due at which a loan falls into kurang lancar, diragukan and macet (DOMAIN.md §4:
# monthly installments in arrears over 3 months are kurang lancar; no DPD buckets are set by
# Permenkop 8/2023, so these are defaults a cooperative can change with LOANS_KOLEKTIBILITAS_DAYS).
DEFAULT_KOLEKTIBILITAS_DAYS = (90, 180, 360)
KOLEKTIBILITAS = ("lancar", "kurang_lancar", "diragukan", "macet")


class LoanRefused(DomainError):
    code = ErrorCode.INVALID_TRANSITION
    status = 422


class InvalidLoan(DomainError):
    code = ErrorCode.INVALID_INPUT
    status = 422


class ApproverNotAllowed(DomainError):
    code = ErrorCode.FORBIDDEN
    status = 422


class RepaymentConflict(DomainError):
    code = ErrorCode.IDEMPOTENCY_CONFLICT
    status = 422


@dataclass(frozen=True)
class Allocation:
    denda: int
    bunga: int
    pokok: int


# --- products ------------------------------------------------------------------------------------


PRODUCT_FIELDS = (
    "code",
    "name",
    "method",
    "frequency",
    "rate_per_month",
    "min_tenor",
    "max_tenor",
    "provisi_rate",
    "admin_rate",
    "denda_rate_per_day",
    "grace_days",
    "max_amount",
    "savings_multiple",
    "second_approval_above",
    "active",
    "prepayment_interest",
)


def create_product(data: dict[str, Any]) -> LoanProduct:
    require_tenant()
    product = LoanProduct(**{k: v for k, v in data.items() if k in PRODUCT_FIELDS})
    _check_product(product)
    db.session.add(product)
    db.session.flush()
    audit.record("loan_product.create", "loan_product", product.id, after=_product_audit(product))
    db.session.commit()
    return product


def update_product(product_id: int, data: dict[str, Any]) -> LoanProduct:
    product = get_product(product_id)
    before = _product_audit(product)
    for name, value in data.items():
        if name in PRODUCT_FIELDS:
            setattr(product, name, value)
    _check_product(product)
    audit.record(
        "loan_product.update", "loan_product", product.id, before=before, after=_product_audit(product)
    )
    db.session.commit()
    return product


def products(active_only: bool = False) -> list[LoanProduct]:
    require_tenant()
    stmt = select(LoanProduct).order_by(LoanProduct.code)
    if active_only:
        stmt = stmt.where(LoanProduct.active.is_(True))
    return list(db.session.scalars(stmt))


def get_product(product_id: int) -> LoanProduct:
    require_tenant()
    product = db.session.get(LoanProduct, product_id) if isinstance(product_id, int) else None
    if product is None or product.tenant_id != current_tenant_id():
        raise NotFound(_l("Produk pinjaman tidak ditemukan."))
    return product


# --- application and decision --------------------------------------------------------------------


def apply(
    member_id: int,
    product_id: int,
    amount: int,
    tenor: int,
    purpose: str,
    *,
    by: int | None,
    on: date | None = None,
) -> Loan:
    """An application of a member within the product's tenor and plafon; nothing is paid yet."""
    member = membership.get_member(member_id)
    product = get_product(product_id)
    if member.status != MemberStatus.ACTIVE.value:
        raise LoanRefused(_l("Pinjaman hanya untuk anggota aktif."))
    if not product.active:
        raise LoanRefused(_l("Produk pinjaman tidak aktif."))
    if not isinstance(amount, int) or amount <= 0:
        raise InvalidLoan(
            _l("Jumlah pinjaman tidak valid."), fields={"amount": [str(_l("Harus lebih dari nol."))]}
        )
    if not isinstance(tenor, int) or not product.min_tenor <= tenor <= product.max_tenor:
        raise InvalidLoan(
            _l("Jangka waktu %(min)s–%(max)s angsuran.", min=product.min_tenor, max=product.max_tenor),
            fields={"tenor": [str(_l("Di luar batas produk."))]},
        )
    plafon = plafon_for(member_id, product)
    if amount > plafon:
        raise InvalidLoan(
            _l("Melebihi plafon %(plafon)s.", plafon=format_rupiah(plafon)),
            fields={"amount": [str(_l("Melebihi plafon."))]},
        )
    purpose = (purpose or "").strip()
    if not purpose:
        raise InvalidLoan(_l("Tujuan pinjaman wajib diisi."), fields={"purpose": [str(_l("Wajib diisi."))]})
    loan = Loan(
        member_id=member.id,
        product_id=product.id,
        amount=amount,
        tenor=tenor,
        purpose=purpose[:200],
        status=LoanStatus.DIAJUKAN.value,
        method=product.method,
        frequency=product.frequency,
        rate_per_month=product.rate_per_month,
        provisi=to_rupiah(amount * product.provisi_rate / 100),
        admin_fee=to_rupiah(amount * product.admin_rate / 100),
        outstanding_pokok=0,
        applied_on=on or date.today(),
        applied_by=by,
    )
    db.session.add(loan)
    db.session.flush()
    audit.record("loan.apply", "loan", loan.id, after=_loan_audit(loan), actor_id=by)
    db.session.commit()
    return loan


def plafon_for(member_id: int, product: LoanProduct) -> int:
    """The most a member may borrow on a product: its absolute plafon, and if set, a multiple of
    the member's savings balance."""
    plafon = product.max_amount
    if product.savings_multiple is not None:
        balance = sum(savings.member_balances(member_id).values())
        plafon = min(plafon, int(balance * product.savings_multiple))
    return plafon


def approve(loan_id: int, *, by: int) -> Loan:
    """Approval by someone other than the applicant; above the product's threshold a second
    approver, again another person, completes it."""
    loan = _lock(loan_id)
    if loan.status != LoanStatus.DIAJUKAN.value:
        raise LoanRefused(_l("Hanya pengajuan yang dapat disetujui."))
    if by == loan.applied_by or by == loan.approved_by:
        raise ApproverNotAllowed(_l("Persetujuan harus oleh orang lain dari pembuat dan penyetuju pertama."))
    product = db.session.get(LoanProduct, loan.product_id)
    assert product is not None
    before = _loan_audit(loan)
    if loan.approved_by is None:
        loan.approved_by = by
        if loan.amount <= product.second_approval_above:
            _decided(loan, LoanStatus.DISETUJUI)
    else:
        loan.second_approved_by = by
        _decided(loan, LoanStatus.DISETUJUI)
    audit.record("loan.approve", "loan", loan.id, before=before, after=_loan_audit(loan), actor_id=by)
    db.session.commit()
    return loan


def needs_second_approval(loan: Loan) -> bool:
    return loan.status == LoanStatus.DIAJUKAN.value and loan.approved_by is not None


def refuse(loan_id: int, *, by: int, reason: str) -> Loan:
    loan = _lock(loan_id)
    if loan.status != LoanStatus.DIAJUKAN.value:
        raise LoanRefused(_l("Hanya pengajuan yang dapat ditolak."))
    if by == loan.applied_by:
        raise ApproverNotAllowed(_l("Pembuat pengajuan tidak dapat memutuskannya."))
    reason = (reason or "").strip()
    if not reason:
        raise InvalidLoan(_l("Alasan penolakan wajib diisi."), fields={"reason": [str(_l("Wajib diisi."))]})
    before = _loan_audit(loan)
    loan.refused_by = by
    loan.refusal_reason = reason[:300]
    _decided(loan, LoanStatus.DITOLAK)
    audit.record("loan.refuse", "loan", loan.id, before=before, after=_loan_audit(loan), actor_id=by)
    db.session.commit()
    return loan


def approval_queue() -> list[Loan]:
    require_tenant()
    return list(
        db.session.scalars(
            select(Loan).where(Loan.status == LoanStatus.DIAJUKAN.value).order_by(Loan.applied_at, Loan.id)
        )
    )


# --- disbursement --------------------------------------------------------------------------------


def disburse(loan_id: int, *, by: int | None, on: date | None = None) -> Loan:
    """Pay out an approved loan: store its schedule and post Pinjaman Anggota against Kas, the fees
    kept back as provisi income, all in one transaction."""
    loan = _lock(loan_id)
    if loan.status != LoanStatus.DISETUJUI.value:
        raise LoanRefused(_l("Hanya pinjaman yang disetujui dapat dicairkan."))
    day = on or date.today()
    rows = build_schedule(
        loan.amount,
        loan.rate_per_month / 100,
        loan.tenor,
        Method(loan.method),
        day,
        Frequency(loan.frequency),
    )
    fees = loan.provisi + loan.admin_fee
    if fees >= loan.amount:
        raise InvariantViolation("fees must be less than the loan")
    lines = [debit(LOANS_RECEIVABLE, loan.amount), credit(CASH, loan.amount - fees)]
    if fees:
        lines.append(credit(PROVISI_INCOME, fees))
    entry = ledger.post(
        NewEntry(
            entry_date=day,
            description=f"Pencairan pinjaman #{loan.id}",
            source_module=SOURCE,
            source_id=loan.id,
            idempotency_key=f"loans:disburse:{loan.id}",
            lines=lines,
        ),
        posted_by=by,
    )
    for row in rows:
        db.session.add(
            Installment(
                loan_id=loan.id,
                number=row.number,
                due_date=row.due_date,
                pokok=row.pokok,
                bunga=row.bunga,
                paid_pokok=0,
                paid_bunga=0,
                paid_denda=0,
            )
        )
    before = _loan_audit(loan)
    loan.status = LoanStatus.DICAIRKAN.value
    loan.disbursed_on = day
    loan.disbursement_entry_id = entry.id
    loan.outstanding_pokok = loan.amount
    audit.record("loan.disburse", "loan", loan.id, before=before, after=_loan_audit(loan), actor_id=by)
    db.session.commit()
    return loan


# --- the desk ------------------------------------------------------------------------------------


def amount_due(loan_id: int, on: date) -> Allocation:
    """What is due on `on`: denda of late installments, and bunga and pokok fallen due."""
    loan = get_loan(loan_id)
    product = db.session.get(LoanProduct, loan.product_id)
    assert product is not None
    denda = bunga = pokok = 0
    for inst in installments(loan.id):
        if inst.due_date > on:
            break
        denda += _denda(inst, product, on)
        bunga += inst.bunga - inst.paid_bunga
        pokok += inst.pokok - inst.paid_pokok
    return Allocation(denda, bunga, pokok)


def payoff_amount(loan_id: int, on: date) -> int:
    """Everything owed to close the loan on `on`: denda so far, all remaining bunga and pokok."""
    loan = get_loan(loan_id)
    product = db.session.get(LoanProduct, loan.product_id)
    assert product is not None
    return sum(_denda(i, product, on) + i.unpaid for i in installments(loan.id))


# Posts a repayment's journal entry from its credit lines (denda, jasa, pokok) and day: the desk's
# default debits Kas; a deduction from savings debits the member's simpanan instead.
Funding = Callable[[list[NewLine], date], JournalEntry]


def repay(
    loan_id: int,
    amount: int,
    *,
    idempotency_key: str,
    teller_id: int | None,
    on: date | None = None,
    funding: Funding | None = None,
    channel: str = "tunai",
    commit: bool = True,
) -> Repayment:
    """Cash in at the desk, split installment by installment (oldest first) into denda, bunga and
    pokok; more than the loan's payoff is refused. A repeated key returns the first repayment.
    `funding` posts the entry instead of the desk's Kas debit; with `commit=False` the caller's
    transaction goes on (prepayments rewrite the schedule first)."""
    if not isinstance(amount, int) or isinstance(amount, bool) or amount <= 0:
        raise InvalidLoan(
            _l("Jumlah angsuran tidak valid."), fields={"amount": [str(_l("Harus lebih dari nol."))]}
        )
    loan = _lock(loan_id)
    first = db.session.scalar(select(Repayment).where(Repayment.idempotency_key == idempotency_key))
    if first is not None:
        if first.loan_id != loan.id or first.amount != amount:
            raise RepaymentConflict(_l("Kunci transaksi sudah dipakai untuk pembayaran lain."))
        return first
    if loan.status != LoanStatus.DICAIRKAN.value:
        raise LoanRefused(_l("Pinjaman ini tidak sedang berjalan."))
    product = db.session.get(LoanProduct, loan.product_id)
    assert product is not None
    day = on or date.today()
    rows = list(
        db.session.scalars(
            select(Installment)
            .where(Installment.loan_id == loan.id)
            .order_by(Installment.number)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
    )
    payoff = sum(_denda(i, product, day) + i.unpaid for i in rows)
    if amount > payoff:
        raise InvalidLoan(
            _l("Melebihi sisa kewajiban %(payoff)s.", payoff=format_rupiah(payoff)),
            fields={"amount": [str(_l("Melebihi sisa kewajiban."))]},
        )
    left = amount
    denda = bunga = pokok = accrued = 0
    for inst in rows:
        if left == 0:
            break
        part = min(left, _denda(inst, product, day))
        inst.paid_denda += part
        denda += part
        left -= part
        part = min(left, inst.bunga - inst.paid_bunga)
        inst.paid_bunga += part
        bunga += part
        if inst.accrued_on is not None:
            accrued += part
        left -= part
        part = min(left, inst.pokok - inst.paid_pokok)
        inst.paid_pokok += part
        pokok += part
        left -= part
    if left != 0:
        raise InvariantViolation("repayment not fully allocated")
    credits: list[NewLine] = []
    for code, part in (
        (DENDA_INCOME, denda),
        (INTEREST_INCOME, bunga - accrued),
        (ACCRUED_INTEREST, accrued),
        (LOANS_RECEIVABLE, pokok),
    ):
        if part:
            credits.append(credit(code, part))
    if funding is not None:
        entry = funding(credits, day)
    else:
        entry = ledger.post(
            NewEntry(
                entry_date=day,
                description=f"Angsuran pinjaman #{loan.id}",
                source_module=SOURCE,
                source_id=loan.id,
                idempotency_key=f"loans:repay:{idempotency_key}",
                lines=[debit(CASH, amount), *credits],
            ),
            posted_by=teller_id,
        )
    repayment = Repayment(
        loan_id=loan.id,
        amount=amount,
        denda=denda,
        bunga=bunga,
        pokok=pokok,
        paid_on=day,
        idempotency_key=idempotency_key,
        journal_entry_id=entry.id,
        teller_id=teller_id,
        channel=channel,
    )
    db.session.add(repayment)
    loan.outstanding_pokok -= pokok
    if loan.outstanding_pokok != sum(i.pokok - i.paid_pokok for i in rows):
        raise InvariantViolation("outstanding principal differs from the schedule")
    if all(i.unpaid == 0 for i in rows):
        loan.status = LoanStatus.LUNAS.value
        loan.closed_on = day
    db.session.flush()
    audit.record(
        "loan.repay",
        "loan",
        loan.id,
        after={"amount": amount, "denda": denda, "bunga": bunga, "pokok": pokok, "key": idempotency_key},
        actor_id=teller_id,
    )
    if commit:
        db.session.commit()
    return repayment


# --- reading -------------------------------------------------------------------------------------


def get_loan(loan_id: int) -> Loan:
    require_tenant()
    loan = db.session.get(Loan, loan_id) if isinstance(loan_id, int) else None
    if loan is None or loan.tenant_id != current_tenant_id():
        raise NotFound(_l("Pinjaman tidak ditemukan."))
    return loan


def installments(loan_id: int) -> list[Installment]:
    return list(
        db.session.scalars(
            select(Installment).where(Installment.loan_id == loan_id).order_by(Installment.number)
        )
    )


def repayments(loan_id: int) -> list[Repayment]:
    return list(
        db.session.scalars(select(Repayment).where(Repayment.loan_id == loan_id).order_by(Repayment.id))
    )


def member_loans(member_id: int) -> list[Loan]:
    require_tenant()
    return list(db.session.scalars(select(Loan).where(Loan.member_id == member_id).order_by(Loan.id.desc())))


def loans(status: LoanStatus | None = None) -> list[Loan]:
    require_tenant()
    stmt = select(Loan).order_by(Loan.id.desc())
    if status is not None:
        stmt = stmt.where(Loan.status == status.value)
    return list(db.session.scalars(stmt))


def outstanding_portfolio() -> int:
    """Unpaid principal of all running loans."""
    require_tenant()
    total = db.session.scalar(
        select(func.coalesce(func.sum(Loan.outstanding_pokok), 0)).where(
            Loan.status == LoanStatus.DICAIRKAN.value
        )
    )
    return int(total or 0)


def days_past_due(loan_id: int, on: date) -> int:
    """Days since the oldest installment fallen due and not paid in full; 0 when none."""
    for inst in installments(loan_id):
        if inst.due_date >= on:
            return 0
        if inst.unpaid > 0:
            return (on - inst.due_date).days
    return 0


def kolektibilitas(dpd: int, thresholds: tuple[int, int, int] | None = None) -> str:
    """The quality class of a loan `dpd` days past due: lancar, kurang_lancar, diragukan, macet."""
    limits = thresholds or _thresholds()
    for name, limit in zip(KOLEKTIBILITAS, limits, strict=False):
        if dpd <= limit:
            return name
    return KOLEKTIBILITAS[-1]


def loan_kolektibilitas(loan: Loan, dpd: int) -> str:
    """A loan's class: by its days past due, but never better than its class when it was last
    restructured (`kolektibilitas_floor`; DOMAIN.md sets no upgrade rule for restructured loans)."""
    by_days = kolektibilitas(dpd)
    floor = loan.kolektibilitas_floor
    if floor and KOLEKTIBILITAS.index(floor) > KOLEKTIBILITAS.index(by_days):
        return floor
    return by_days


# --- portfolio quality ---------------------------------------------------------------------------


@dataclass(frozen=True)
class PortfolioQuality:
    """Outstanding principal of running loans on a day: in total, at risk beyond 1, 30 and 90
    days past due, by kolektibilitas class, and the NPL (all classes but lancar). `closed` says
    the figures are the ones the close of business recorded for that day; otherwise they are
    worked out from the loans as they stand now."""

    as_of: date
    outstanding: int
    at_risk: dict[int, int]
    by_class: dict[str, int]
    closed: bool = False

    def par(self, days: int) -> Decimal:
        return _ratio(self.at_risk[days], self.outstanding)

    @property
    def npl(self) -> int:
        return self.outstanding - self.by_class["lancar"]

    @property
    def npl_ratio(self) -> Decimal:
        return _ratio(self.npl, self.outstanding)

    def to_json(self) -> dict[str, Any]:
        return {
            "outstanding": self.outstanding,
            "at_risk": {str(days): amount for days, amount in self.at_risk.items()},
            "by_class": dict(self.by_class),
        }

    @classmethod
    def from_json(cls, as_of: date, data: dict[str, Any]) -> PortfolioQuality:
        at_risk = {int(days): int(amount) for days, amount in data["at_risk"].items()}
        by_class = {name: int(amount) for name, amount in data["by_class"].items()}
        return cls(as_of, int(data["outstanding"]), at_risk, by_class, closed=True)


PAR_DAYS = (1, 30, 90)


def portfolio_quality(as_of: date) -> PortfolioQuality:
    """PAR 1/30/90 and NPL of the running loans as of `as_of`: for a past day the close of
    business closed, as it recorded them; otherwise from the loans as they stand now."""
    require_tenant()
    if as_of < date.today():
        recorded = db.session.scalar(
            select(CobRun.portfolio).where(
                CobRun.business_date == as_of,
                CobRun.status == CobStatus.OK.value,
                CobRun.portfolio.is_not(None),
            )
        )
        if recorded is not None:
            return PortfolioQuality.from_json(as_of, recorded)
    return current_portfolio_quality(as_of)


def current_portfolio_quality(as_of: date) -> PortfolioQuality:
    """PAR 1/30/90 and NPL of the loans running now, with days past due counted to `as_of`."""
    require_tenant()
    running = list(db.session.scalars(select(Loan).where(Loan.status == LoanStatus.DICAIRKAN.value)))
    rows = db.session.execute(
        select(Installment.loan_id, func.min(Installment.due_date))
        .where(
            Installment.due_date < as_of,
            Installment.paid_pokok + Installment.paid_bunga < Installment.pokok + Installment.bunga,
        )
        .group_by(Installment.loan_id)
    )
    unpaid_since: dict[int, date] = {loan_id: since for loan_id, since in rows}
    at_risk = dict.fromkeys(PAR_DAYS, 0)
    by_class = dict.fromkeys(KOLEKTIBILITAS, 0)
    for loan in running:
        since = unpaid_since.get(loan.id)
        dpd = (as_of - since).days if since else 0
        for days in PAR_DAYS:
            if dpd >= days:
                at_risk[days] += loan.outstanding_pokok
        by_class[loan_kolektibilitas(loan, dpd)] += loan.outstanding_pokok
    return PortfolioQuality(as_of, sum(loan.outstanding_pokok for loan in running), at_risk, by_class)


def _ratio(part: int, whole: int) -> Decimal:
    return (Decimal(part) * 100 / whole).quantize(Decimal("0.01")) if whole else Decimal(0)


# --- internals -----------------------------------------------------------------------------------


def _thresholds() -> tuple[int, int, int]:
    if has_app_context():
        configured = current_app.config.get("LOANS_KOLEKTIBILITAS_DAYS")
        if configured:
            a, b, c = (int(x) for x in configured)
            return a, b, c
    return DEFAULT_KOLEKTIBILITAS_DAYS


def _denda(inst: Installment, product: LoanProduct, on: date) -> int:
    """Denda still owed on an installment: its unpaid amount × the daily rate × days late beyond
    the grace, less denda already paid on it."""
    return denda_owed(
        inst.unpaid,
        inst.paid_denda,
        (on - inst.due_date).days,
        product.denda_rate_per_day,
        product.grace_days,
    )


def denda_owed(unpaid: int, paid_denda: int, days_late: int, rate_per_day: Decimal, grace_days: int) -> int:
    """The product's denda rule on plain values (shared by the desk and close of business)."""
    days = days_late - grace_days
    if days <= 0 or unpaid == 0 or rate_per_day == 0:
        return 0
    owed = to_rupiah(Decimal(unpaid) * rate_per_day / 100 * days)
    return max(owed - paid_denda, 0)


def _decided(loan: Loan, status: LoanStatus) -> None:
    loan.status = status.value
    loan.decided_at = datetime.now(UTC)


def _lock(loan_id: int) -> Loan:
    require_tenant()
    loan = (
        db.session.scalar(
            select(Loan).where(Loan.id == loan_id).with_for_update().execution_options(populate_existing=True)
        )
        if isinstance(loan_id, int)
        else None
    )
    if loan is None:
        raise NotFound(_l("Pinjaman tidak ditemukan."))
    return loan


def _check_product(product: LoanProduct) -> None:
    if product.method not in {m.value for m in Method}:
        raise InvalidLoan(_l("Metode bunga tidak dikenal."), fields={"method": [str(_l("Pilih metode."))]})
    if product.max_tenor < product.min_tenor:
        raise InvalidLoan(
            _l("Tenor maksimum harus ≥ tenor minimum."),
            fields={"max_tenor": [str(_l("Lebih kecil dari minimum."))]},
        )


def _product_audit(product: LoanProduct) -> dict[str, Any]:
    return {name: str(getattr(product, name)) for name in PRODUCT_FIELDS}


def _loan_audit(loan: Loan) -> dict[str, Any]:
    return {
        "status": loan.status,
        "amount": loan.amount,
        "tenor": loan.tenor,
        "approved_by": loan.approved_by,
        "second_approved_by": loan.second_approved_by,
        "refusal_reason": loan.refusal_reason,
    }


# --- SHU jasa usaha ------------------------------------------------------------------------------


def interest_paid_between(start: date, end: date) -> dict[int, int]:
    """Jasa pinjaman (interest) each member paid on their loans from `start` to `end`, both
    inclusive, by the day it was paid: their transactions with the simpan pinjam unit, which weigh
    their SHU jasa usaha beside their gerai purchases. Denda and pokok are not counted."""
    require_tenant()
    rows = db.session.execute(
        select(Loan.member_id, func.sum(Repayment.bunga))
        .join(Loan, Loan.id == Repayment.loan_id)
        .where(Repayment.paid_on.between(start, end), Repayment.bunga > 0)
        .group_by(Loan.member_id)
    )
    return {member_id: int(paid) for member_id, paid in rows}


shu.sources.register("jasa_usaha", interest_paid_between)
shu.sources.register("loan_portfolio", portfolio_quality)
