"""The cooperative's own loan from a Himbara bank (BRI, BNI, Mandiri, BSI; PMK 49/2025): recorded
from the contract, received into Bank (Pinjaman Bank, a liability), its schedule with interest-only
grace months, payments to the bank split jasa → pokok, and what is outstanding.

Invariants: the schedule's pokok sums to the loan exactly (erp.loans.schedule, residue on the last
installment); a payment changes a loan only under `SELECT … FOR UPDATE` of it, posts Pinjaman Bank
and Beban Bunga Pinjaman Bank against Bank in the same transaction, and is applied once per
idempotency key; `outstanding_pokok` equals the unpaid pokok of the installments.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from core import audit
from core.db import db
from core.errors import AlreadyExists, NotFound
from core.money import InvariantViolation, format_rupiah, to_rupiah
from erp.ledger import service as ledger
from erp.ledger.service import NewEntry, NewLine, credit, debit
from erp.loans.models import BankLoan, BankLoanInstallment, BankLoanPayment, BankLoanStatus, BankName
from erp.loans.schedule import Method, add_months, build_schedule
from erp.loans.service import InvalidLoan, LoanRefused, RepaymentConflict
from tenants.context import require_tenant

BANK = "1-1110"
BANK_LOANS = "2-2100"
BANK_INTEREST = "6-7000"
SOURCE = "loans.bank"
MAX_TENOR = 360


@dataclass(frozen=True)
class Row:
    number: int
    due_date: date
    pokok: int
    bunga: int

    @property
    def angsuran(self) -> int:
        return self.pokok + self.bunga


def bank_schedule(
    amount: int, rate_per_year: Decimal, tenor: int, grace_months: int, method: Method, start: date
) -> list[Row]:
    """Monthly installments from `start`: `grace_months` of jasa only on the whole amount, then the
    rest of the tenor by `method` at the yearly rate / 12."""
    monthly = rate_per_year / 12 / 100
    rows = [Row(n, add_months(start, n), 0, to_rupiah(amount * monthly)) for n in range(1, grace_months + 1)]
    for row in build_schedule(amount, monthly, tenor - grace_months, method, add_months(start, grace_months)):
        rows.append(Row(grace_months + row.number, row.due_date, row.pokok, row.bunga))
    return rows


def record(data: dict[str, Any], *, by: int | None) -> BankLoan:
    """Record a signed contract (nothing received yet)."""
    require_tenant()
    _check(data)
    contract = data["contract_number"].strip()
    if db.session.scalar(select(BankLoan.id).where(BankLoan.contract_number == contract)):
        message = _l("Nomor perjanjian ini sudah dicatat.")
        raise AlreadyExists(message, {"contract_number": [str(message)]})
    loan = BankLoan(
        bank=data["bank"],
        contract_number=contract,
        purpose=data["purpose"].strip()[:200],
        amount=data["amount"],
        rate_per_year=data["rate_per_year"],
        tenor=data["tenor"],
        grace_months=data["grace_months"],
        method=data["method"],
        signed_on=data["signed_on"],
        status=BankLoanStatus.DICATAT.value,
        outstanding_pokok=0,
        created_by=by,
    )
    db.session.add(loan)
    db.session.flush()
    audit.record("bank_loan.record", "bank_loan", loan.id, after=_audit(loan), actor_id=by)
    db.session.commit()
    return loan


def receive(loan_id: int, *, on: date | None = None, by: int | None) -> BankLoan:
    """The bank paid the loan into the cooperative's account: Bank against Pinjaman Bank, and the
    schedule stored from that day."""
    loan = _lock(loan_id)
    if loan.status != BankLoanStatus.DICATAT.value:
        raise LoanRefused(_l("Pinjaman bank ini sudah diterima."))
    day = on or date.today()
    if day < loan.signed_on:
        raise InvalidLoan(
            _l("Tanggal terima tidak boleh sebelum tanggal perjanjian."),
            fields={"on": [str(_l("Tanggal tidak sah."))]},
        )
    entry = ledger.post(
        NewEntry(
            entry_date=day,
            description=f"Pencairan pinjaman {loan.bank} {loan.contract_number}"[:500],
            source_module=SOURCE,
            source_id=loan.id,
            idempotency_key=f"bank_loans:receive:{loan.id}",
            lines=[debit(BANK, loan.amount), credit(BANK_LOANS, loan.amount)],
        ),
        posted_by=by,
    )
    for row in bank_schedule(
        loan.amount, loan.rate_per_year, loan.tenor, loan.grace_months, Method(loan.method), day
    ):
        db.session.add(
            BankLoanInstallment(
                bank_loan_id=loan.id,
                number=row.number,
                due_date=row.due_date,
                pokok=row.pokok,
                bunga=row.bunga,
                paid_pokok=0,
                paid_bunga=0,
            )
        )
    loan.status = BankLoanStatus.DICAIRKAN.value
    loan.disbursed_on = day
    loan.disbursement_entry_id = entry.id
    loan.outstanding_pokok = loan.amount
    audit.record("bank_loan.receive", "bank_loan", loan.id, after=_audit(loan), actor_id=by)
    db.session.commit()
    return loan


def pay(
    loan_id: int, amount: int, *, idempotency_key: str, on: date | None = None, by: int | None
) -> BankLoanPayment:
    """Pay the bank from the cooperative's account: jasa then pokok, oldest installment first, up
    to everything still owed. A repeated key returns the first payment."""
    if isinstance(amount, bool) or not isinstance(amount, int) or amount <= 0:
        raise InvalidLoan(
            _l("Jumlah harus rupiah bulat lebih dari nol."),
            fields={"amount": [str(_l("Harus lebih dari nol."))]},
        )
    loan = _lock(loan_id)
    first = db.session.scalar(
        select(BankLoanPayment).where(BankLoanPayment.idempotency_key == idempotency_key)
    )
    if first is not None:
        if first.bank_loan_id != loan.id or first.amount != amount:
            raise RepaymentConflict(_l("Kunci transaksi sudah dipakai untuk pembayaran lain."))
        return first
    if loan.status != BankLoanStatus.DICAIRKAN.value:
        raise LoanRefused(_l("Pinjaman bank ini belum diterima atau sudah lunas."))
    day = on or date.today()
    rows = list(
        db.session.scalars(
            select(BankLoanInstallment)
            .where(BankLoanInstallment.bank_loan_id == loan.id)
            .order_by(BankLoanInstallment.number)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
    )
    owed = sum(r.unpaid for r in rows)
    if amount > owed:
        raise InvalidLoan(
            _l("Melebihi sisa kewajiban %(owed)s.", owed=format_rupiah(owed)),
            fields={"amount": [str(_l("Melebihi sisa kewajiban."))]},
        )
    left, bunga, pokok = amount, 0, 0
    for row in rows:
        if left == 0:
            break
        part = min(left, row.bunga - row.paid_bunga)
        row.paid_bunga += part
        bunga += part
        left -= part
        part = min(left, row.pokok - row.paid_pokok)
        row.paid_pokok += part
        pokok += part
        left -= part
    if left != 0:
        raise InvariantViolation("bank payment not fully allocated")
    lines: list[NewLine] = []
    if pokok:
        lines.append(debit(BANK_LOANS, pokok))
    if bunga:
        lines.append(debit(BANK_INTEREST, bunga))
    lines.append(credit(BANK, amount))
    entry = ledger.post(
        NewEntry(
            entry_date=day,
            description=f"Angsuran pinjaman {loan.bank} {loan.contract_number}"[:500],
            source_module=SOURCE,
            source_id=loan.id,
            idempotency_key=f"bank_loans:pay:{idempotency_key}",
            lines=lines,
        ),
        posted_by=by,
    )
    payment = BankLoanPayment(
        bank_loan_id=loan.id,
        amount=amount,
        bunga=bunga,
        pokok=pokok,
        paid_on=day,
        idempotency_key=idempotency_key,
        journal_entry_id=entry.id,
        recorded_by=by,
    )
    db.session.add(payment)
    loan.outstanding_pokok -= pokok
    if loan.outstanding_pokok != sum(r.pokok - r.paid_pokok for r in rows):
        raise InvariantViolation("bank loan outstanding differs from its schedule")
    if all(r.unpaid == 0 for r in rows):
        loan.status = BankLoanStatus.LUNAS.value
    db.session.flush()
    audit.record(
        "bank_loan.pay",
        "bank_loan",
        loan.id,
        after={"amount": amount, "bunga": bunga, "pokok": pokok},
        actor_id=by,
    )
    db.session.commit()
    return payment


def due_on(loan_id: int, on: date) -> int:
    """What has fallen due and is unpaid on `on`."""
    return sum(r.unpaid for r in installments(loan_id) if r.due_date <= on)


def next_installment(loan_id: int) -> BankLoanInstallment | None:
    return next((r for r in installments(loan_id) if r.unpaid > 0), None)


def bank_loans() -> list[BankLoan]:
    require_tenant()
    return list(db.session.scalars(select(BankLoan).order_by(BankLoan.signed_on.desc(), BankLoan.id.desc())))


def get(loan_id: int) -> BankLoan:
    require_tenant()
    loan = (
        db.session.scalar(select(BankLoan).where(BankLoan.id == loan_id))
        if isinstance(loan_id, int)
        else None
    )
    if loan is None:
        raise NotFound(_l("Pinjaman bank tidak ditemukan."))
    return loan


def installments(loan_id: int) -> list[BankLoanInstallment]:
    return list(
        db.session.scalars(
            select(BankLoanInstallment)
            .where(BankLoanInstallment.bank_loan_id == loan_id)
            .order_by(BankLoanInstallment.number)
        )
    )


def payments(loan_id: int) -> list[BankLoanPayment]:
    return list(
        db.session.scalars(
            select(BankLoanPayment)
            .where(BankLoanPayment.bank_loan_id == loan_id)
            .order_by(BankLoanPayment.id)
        )
    )


def outstanding() -> int:
    """Unpaid principal of all the cooperative's bank loans."""
    require_tenant()
    total = db.session.scalar(
        select(func.coalesce(func.sum(BankLoan.outstanding_pokok), 0)).where(
            BankLoan.status == BankLoanStatus.DICAIRKAN.value
        )
    )
    return int(total or 0)


def _lock(loan_id: int) -> BankLoan:
    require_tenant()
    loan = (
        db.session.scalar(
            select(BankLoan)
            .where(BankLoan.id == loan_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
        if isinstance(loan_id, int)
        else None
    )
    if loan is None:
        raise NotFound(_l("Pinjaman bank tidak ditemukan."))
    return loan


def _check(data: dict[str, Any]) -> None:
    fields: dict[str, list[str]] = {}
    if data.get("bank") not in {b.value for b in BankName}:
        fields["bank"] = [str(_l("Pilih bank Himbara."))]
    amount = data.get("amount")
    if isinstance(amount, bool) or not isinstance(amount, int) or amount <= 0:
        fields["amount"] = [str(_l("Harus lebih dari nol."))]
    rate = data.get("rate_per_year")
    if not isinstance(rate, Decimal) or not Decimal(0) <= rate <= Decimal(100):
        fields["rate_per_year"] = [str(_l("Antara 0 dan 100 persen."))]
    tenor, grace = data.get("tenor"), data.get("grace_months")
    if not isinstance(tenor, int) or not 0 < tenor <= MAX_TENOR:
        fields["tenor"] = [str(_l("Antara 1 dan 360 bulan."))]
    elif not isinstance(grace, int) or not 0 <= grace < tenor:
        fields["grace_months"] = [str(_l("Masa tenggang harus lebih pendek dari jangka waktu."))]
    if data.get("method") not in {m.value for m in Method}:
        fields["method"] = [str(_l("Pilih metode bunga."))]
    if not (data.get("contract_number") or "").strip():
        fields["contract_number"] = [str(_l("Wajib diisi."))]
    if not (data.get("purpose") or "").strip():
        fields["purpose"] = [str(_l("Wajib diisi."))]
    if not isinstance(data.get("signed_on"), date):
        fields["signed_on"] = [str(_l("Tanggal tidak sah."))]
    if fields:
        raise InvalidLoan(_l("Periksa isian pinjaman bank."), fields=fields)


def _audit(loan: BankLoan) -> dict[str, Any]:
    return {
        "bank": loan.bank,
        "contract": loan.contract_number,
        "amount": loan.amount,
        "rate_per_year": str(loan.rate_per_year),
        "tenor": loan.tenor,
        "grace_months": loan.grace_months,
        "status": loan.status,
    }
