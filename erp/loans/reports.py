"""Loan reports for the staff, each one `Table` shown as a page and exported as CSV and XLSX from
the same rows: the portfolio by product, aging of the portfolio by days past due, today's
collection list (who to visit, most urgent first) and a member's loan card.

Everything is read live from the loans and their installments as of the day asked, so a report
never depends on close of business having run; each is a few set-based queries per page.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from flask_babel import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from sqlalchemy import and_, func, select

from core.db import db
from core.personal import mask_phone
from erp.loans import service
from erp.loans.models import Installment, Loan, LoanProduct, LoanStatus, Repayment
from erp.membership import service as membership
from erp.membership.models import Member
from tenants.context import require_tenant
from tenants.models import Region

# Aging buckets of days past due: (label, lowest, highest or None).
AGING = (
    ("current", 0, 0),
    ("1-30", 1, 30),
    ("31-60", 31, 60),
    ("61-90", 61, 90),
    ("91-180", 91, 180),
    (">180", 181, None),
)
MAX_ROWS = 5000  # a collection list longer than this is cut (the page says so)

TEXT, MONEY, COUNT, DAY, PERCENT = "text", "money", "count", "date", "percent"


@dataclass(frozen=True)
class Column:
    label: str
    kind: str = TEXT
    export_only: bool = False  # in CSV and XLSX, left off the page to fit a screen


@dataclass
class Table:
    """A report's rows as plain values, with its columns' labels and kinds (for alignment and
    formats), an optional total row, and a note (e.g. that a list was cut)."""

    title: str
    columns: list[Column]
    rows: list[tuple[Any, ...]] = field(default_factory=list)
    total: tuple[Any, ...] | None = None
    note: str | None = None
    links: list[str | None] = field(default_factory=list)  # per row: a loan card to link to
    lead: int | None = None  # the column that heads a row's card on a phone


# --- the running portfolio as of a day -----------------------------------------------------------


@dataclass(frozen=True)
class _Running:
    loan_id: int
    member_id: int
    product_id: int
    amount: int
    outstanding: int
    dpd: int


def _running(as_of: date) -> list[_Running]:
    """Loans disbursed by `as_of` and still running, with their days past due on that day."""
    require_tenant()
    late_since = (
        select(Installment.loan_id, func.min(Installment.due_date).label("since"))
        .where(
            Installment.due_date < as_of,
            Installment.paid_pokok + Installment.paid_bunga < Installment.pokok + Installment.bunga,
        )
        .group_by(Installment.loan_id)
        .subquery()
    )
    rows = db.session.execute(
        select(
            Loan.id,
            Loan.member_id,
            Loan.product_id,
            Loan.amount,
            Loan.outstanding_pokok,
            late_since.c.since,
        )
        .outerjoin(late_since, late_since.c.loan_id == Loan.id)
        .where(Loan.status == LoanStatus.DICAIRKAN.value, Loan.disbursed_on <= as_of)
        .order_by(Loan.id)
    )
    return [
        _Running(loan_id, member_id, product_id, amount, outstanding, (as_of - since).days if since else 0)
        for loan_id, member_id, product_id, amount, outstanding, since in rows
    ]


def _pct(part: int, whole: int) -> Decimal:
    return (Decimal(part) * 100 / whole).quantize(Decimal("0.01")) if whole else Decimal(0)


def portfolio_by_product(as_of: date) -> Table:
    """Per product: running loans, their principal disbursed and outstanding, and the outstanding
    at risk beyond 30 days and non-performing (not lancar), with ratios."""
    loans = _running(as_of)
    products = {p.id: p for p in db.session.scalars(select(LoanProduct).order_by(LoanProduct.code))}
    sums: dict[int, list[int]] = {}
    for loan in loans:
        s = sums.setdefault(loan.product_id, [0, 0, 0, 0, 0])
        s[0] += 1
        s[1] += loan.amount
        s[2] += loan.outstanding
        if loan.dpd > 30:
            s[3] += loan.outstanding
        if service.kolektibilitas(loan.dpd) != "lancar":
            s[4] += loan.outstanding
    table = Table(
        _("Portofolio per produk"),
        [
            Column(_("Kode")),
            Column(_("Produk")),
            Column(_("Pinjaman"), COUNT),
            Column(_("Plafon dicairkan"), MONEY),
            Column(_("Sisa pokok"), MONEY),
            Column(_("PAR 30"), MONEY),
            Column(_("PAR 30 (%)"), PERCENT),
            Column(_("NPL"), MONEY),
            Column(_("NPL (%)"), PERCENT),
        ],
    )
    table.lead = 1
    for product_id, product in products.items():
        if product_id not in sums:
            continue
        n, amount, outstanding, par30, npl = sums[product_id]
        table.rows.append(
            (
                product.code,
                product.name,
                n,
                amount,
                outstanding,
                par30,
                _pct(par30, outstanding),
                npl,
                _pct(npl, outstanding),
            )
        )
    totals = [sum(s[i] for s in sums.values()) for i in range(5)]
    table.total = (
        _("Jumlah"),
        "",
        totals[0],
        totals[1],
        totals[2],
        totals[3],
        _pct(totals[3], totals[2]),
        totals[4],
        _pct(totals[4], totals[2]),
    )
    return table


def aging(as_of: date) -> Table:
    """The running portfolio by days past due, in the buckets of AGING."""
    loans = _running(as_of)
    counts = {name: [0, 0] for name, _lo, _hi in AGING}
    for loan in loans:
        name = bucket(loan.dpd)
        counts[name][0] += 1
        counts[name][1] += loan.outstanding
    whole = sum(c[1] for c in counts.values())
    table = Table(
        _("Umur tunggakan"),
        [
            Column(_("Hari lewat jatuh tempo")),
            Column(_("Pinjaman"), COUNT),
            Column(_("Sisa pokok"), MONEY),
            Column(_("Bagian (%)"), PERCENT),
        ],
    )
    table.lead = 0
    for name, _lo, _hi in AGING:
        n, outstanding = counts[name]
        table.rows.append((bucket_label(name), n, outstanding, _pct(outstanding, whole)))
    table.total = (_("Jumlah"), len(loans), whole, _pct(whole, whole))
    return table


def bucket(dpd: int) -> str:
    for name, low, high in AGING:
        if dpd >= low and (high is None or dpd <= high):
            return name
    raise ValueError(dpd)


def bucket_label(name: str) -> str:
    if name == "current":
        return _("Lancar (0 hari)")
    if name == ">180":
        return _("> 180 hari")
    return _("%(range)s hari", range=name.replace("-", "–"))


# --- collection list -----------------------------------------------------------------------------


def collection_list(on: date, *, show_phone: bool) -> Table:
    """Who to visit on `on`: every running loan with something due by that day and unpaid, with
    the member's address, village and phone (masked unless `show_phone`), what is due (denda, bunga,
    pokok) and how many days late; the latest first, then the largest amount."""
    require_tenant()
    rows = db.session.execute(
        select(
            Installment.loan_id,
            Installment.due_date,
            Installment.pokok - Installment.paid_pokok,
            Installment.bunga - Installment.paid_bunga,
            Installment.paid_denda,
            LoanProduct.denda_rate_per_day,
            LoanProduct.grace_days,
            Loan.member_id,
        )
        .join(Loan, and_(Loan.id == Installment.loan_id, Loan.tenant_id == Installment.tenant_id))
        .join(LoanProduct, and_(LoanProduct.id == Loan.product_id, LoanProduct.tenant_id == Loan.tenant_id))
        .where(
            Loan.status == LoanStatus.DICAIRKAN.value,
            Installment.due_date <= on,
            Installment.paid_pokok + Installment.paid_bunga < Installment.pokok + Installment.bunga,
        )
        .order_by(Installment.loan_id, Installment.number)
    ).all()
    due: dict[int, list[Any]] = {}
    for loan_id, due_date, pokok, bunga, paid_denda, rate, grace, member_id in rows:
        d = due.setdefault(loan_id, [member_id, 0, 0, 0, 0])
        late = (on - due_date).days
        d[1] += service.denda_owed(pokok + bunga, paid_denda, late, rate, grace)
        d[2] += bunga
        d[3] += pokok
        d[4] = max(d[4], late)
    ordered = sorted(due.items(), key=lambda kv: (-kv[1][4], -(kv[1][1] + kv[1][2] + kv[1][3]), kv[0]))
    shown = ordered[:MAX_ROWS]
    members = _members({v[0] for _k, v in shown})
    villages = _villages({m.village_code for m in members.values()})
    table = Table(
        _("Daftar tagihan %(day)s", day=on.isoformat()),
        [
            Column(_("Pinjaman")),
            Column(_("No. anggota")),
            Column(_("Nama")),
            Column(_("Alamat")),
            Column(_("Desa")),
            Column(_("Telepon")),
            Column(_("Hari terlambat"), COUNT),
            Column(_("Denda"), MONEY, export_only=True),
            Column(_("Jasa"), MONEY, export_only=True),
            Column(_("Pokok"), MONEY, export_only=True),
            Column(_("Jumlah tagihan"), MONEY),
        ],
    )
    for loan_id, (member_id, denda, bunga, pokok, late) in shown:
        m = members[member_id]
        phone = (m.phone or "") if show_phone else mask_phone(m.phone)
        table.rows.append(
            (
                f"#{loan_id}",
                m.member_number or "",
                m.name,
                m.address,
                villages.get(m.village_code, m.village_code),
                phone,
                max(late, 0),
                denda,
                bunga,
                pokok,
                denda + bunga + pokok,
            )
        )
        table.links.append(str(loan_id))
    total = [sum(r[i] for r in table.rows) for i in (7, 8, 9, 10)]
    table.total = (_("Jumlah: %(n)s pinjaman", n=len(table.rows)), "", "", "", "", "", "", *total)
    table.lead = 2
    if len(ordered) > MAX_ROWS:
        table.note = _("Hanya %(n)s pinjaman paling mendesak yang ditampilkan.", n=MAX_ROWS)
    return table


def _members(ids: set[int]) -> dict[int, Member]:
    if not ids:
        return {}
    return {m.id: m for m in db.session.scalars(select(Member).where(Member.id.in_(ids)))}


def _villages(codes: set[str]) -> dict[str, str]:
    if not codes:
        return {}
    return dict(db.session.execute(select(Region.code, Region.name).where(Region.code.in_(codes))).all())


# --- a member's loan card ------------------------------------------------------------------------


def member_card(member_id: int, labels: dict[str, Any]) -> tuple[Member, list[Table]]:
    """All of a member's loans: for each, its terms, its schedule with what was paid, and its
    repayments. `labels` names the loan statuses."""
    member = membership.get_member(member_id)
    loans = service.member_loans(member.id)
    products = {p.id: p for p in db.session.scalars(select(LoanProduct))}
    loan_ids = [loan.id for loan in loans]
    schedule: dict[int, list[Installment]] = {}
    for inst in db.session.scalars(
        select(Installment)
        .where(Installment.loan_id.in_(loan_ids))
        .order_by(Installment.loan_id, Installment.number)
    ):
        schedule.setdefault(inst.loan_id, []).append(inst)
    paid: dict[int, list[Repayment]] = {}
    for r in db.session.scalars(
        select(Repayment).where(Repayment.loan_id.in_(loan_ids)).order_by(Repayment.id)
    ):
        paid.setdefault(r.loan_id, []).append(r)
    summary = Table(
        _("Pinjaman %(name)s", name=member.name),
        [
            Column(_("Pinjaman")),
            Column(_("Produk")),
            Column(_("Dicairkan"), DAY),
            Column(_("Jumlah"), MONEY),
            Column(_("Tenor"), COUNT),
            Column(_("Sisa pokok"), MONEY),
            Column(_("Status")),
        ],
    )
    summary.lead = 1
    tables = [summary]
    for loan in loans:
        product = products.get(loan.product_id)
        summary.rows.append(
            (
                f"#{loan.id}",
                product.name if product else "",
                loan.disbursed_on,
                loan.amount,
                loan.tenor,
                loan.outstanding_pokok,
                str(labels.get(loan.status, loan.status)),
            )
        )
        summary.links.append(str(loan.id))
        rows = schedule.get(loan.id, [])
        if rows:
            t = Table(
                _("Jadwal angsuran pinjaman #%(id)s", id=loan.id),
                [
                    Column(_("Ke")),
                    Column(_("Jatuh tempo"), DAY),
                    Column(_("Pokok"), MONEY),
                    Column(_("Jasa"), MONEY),
                    Column(_("Angsuran"), MONEY),
                    Column(_("Pokok dibayar"), MONEY),
                    Column(_("Jasa dibayar"), MONEY),
                    Column(_("Denda dibayar"), MONEY),
                    Column(_("Sisa"), MONEY),
                ],
            )
            t.lead = 1
            for i in rows:
                t.rows.append(
                    (
                        str(i.number),
                        i.due_date,
                        i.pokok,
                        i.bunga,
                        i.angsuran,
                        i.paid_pokok,
                        i.paid_bunga,
                        i.paid_denda,
                        i.unpaid,
                    )
                )
            t.total = (
                _("Jumlah"),
                None,
                *(sum(r[k] for r in t.rows) for k in range(2, 9)),
            )
            tables.append(t)
        repayments = paid.get(loan.id, [])
        if repayments:
            t = Table(
                _("Pembayaran pinjaman #%(id)s", id=loan.id),
                [
                    Column(_("Tanggal"), DAY),
                    Column(_("Jumlah"), MONEY),
                    Column(_("Denda"), MONEY),
                    Column(_("Jasa"), MONEY),
                    Column(_("Pokok"), MONEY),
                ],
            )
            t.lead = 0
            for r in repayments:
                t.rows.append((r.paid_on, r.amount, r.denda, r.bunga, r.pokok))
            t.total = (_("Jumlah"), *(sum(r[k] for r in t.rows) for k in range(1, 5)))
            tables.append(t)
    return member, tables


# --- exports -------------------------------------------------------------------------------------


def _plain(value: Any) -> Any:
    if isinstance(value, date):
        return value.isoformat()
    if value is None:
        return ""
    return value


def to_csv(tables: Sequence[Table]) -> bytes:
    """The tables one after another (a title line, the header, the rows, the total), UTF-8 with a
    byte-order mark so spreadsheet programs on Windows read the accents right."""
    out = io.StringIO()
    writer = csv.writer(out)
    for n, table in enumerate(tables):
        if n:
            writer.writerow([])
        if len(tables) > 1:
            writer.writerow([table.title])
        writer.writerow([c.label for c in table.columns])
        for row in table.rows:
            writer.writerow([_plain(v) for v in row])
        if table.total is not None:
            writer.writerow([_plain(v) for v in table.total])
        if table.note:
            writer.writerow([table.note])
    return ("\ufeff" + out.getvalue()).encode()


def to_xlsx(tables: Sequence[Table], heading: str) -> bytes:
    """One sheet per table: the heading and title on top, bold header and total, rupiah as whole
    numbers with thousands separators, dates as dates."""
    wb = Workbook()
    wb.remove(wb.active)
    bold = Font(bold=True)
    used: set[str] = set()
    for n, table in enumerate(tables, 1):
        name = _sheet_name(table.title, n, used)
        ws = wb.create_sheet(name)
        ws.append([heading])
        ws.append([table.title])
        ws["A1"].font = bold
        ws.append([])
        ws.append([c.label for c in table.columns])
        for cell in ws[4]:
            cell.font = bold
        for row in [*table.rows, *([table.total] if table.total is not None else [])]:
            ws.append([v if not isinstance(v, Decimal) else float(v) for v in row])
        if table.total is not None:
            for cell in ws[ws.max_row]:
                cell.font = bold
        if table.note:
            ws.append([table.note])
        for i, column in enumerate(table.columns, 1):
            letter = get_column_letter(i)
            fmt = {MONEY: "#,##0", COUNT: "0", DAY: "yyyy-mm-dd", PERCENT: "0.00"}.get(column.kind)
            if fmt:
                for cell in ws[letter][4:]:
                    cell.number_format = fmt
            width = max([len(column.label)] + [len(str(_plain(r[i - 1]))) for r in table.rows[:200]])
            ws.column_dimensions[letter].width = min(max(width + 2, 8), 48)
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def _sheet_name(title: str, n: int, used: set[str]) -> str:
    clean = "".join(ch for ch in title if ch not in "[]:*?/\\")[:28] or "Laporan"
    name = clean if clean not in used else f"{clean[:25]} {n}"
    used.add(name)
    return name
