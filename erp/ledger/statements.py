"""Financial statements of a cooperative under SAK EP, each with the previous period beside it:
laporan posisi keuangan, laporan hasil usaha (SHU), perubahan ekuitas and arus kas (indirect).

Invariants, each checked on every build (an `InvariantViolation` otherwise): total assets equal
liabilities plus equity; the cash flow's net change equals the change of the cash and bank
accounts. The income statement leaves out the year-end closing entry, which only moves the result.
A statement is plain data (`Statement`): the pages, the PDF and the XLSX render the same rows.
"""

from __future__ import annotations

import calendar
import enum
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from flask_babel import format_date
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from core.db import db
from core.money import InvariantViolation
from erp.ledger import service
from erp.ledger.models import AccountType, BusinessUnit, JournalEntry, JournalLine, LedgerAccount, Side
from tenants.context import require_tenant


class Kind(enum.StrEnum):
    POSISI_KEUANGAN = "posisi-keuangan"
    HASIL_USAHA = "hasil-usaha"
    PERUBAHAN_EKUITAS = "perubahan-ekuitas"
    ARUS_KAS = "arus-kas"


TITLES = {
    Kind.POSISI_KEUANGAN: _l("Laporan Posisi Keuangan"),
    Kind.HASIL_USAHA: _l("Laporan Hasil Usaha"),
    Kind.PERUBAHAN_EKUITAS: _l("Laporan Perubahan Ekuitas"),
    Kind.ARUS_KAS: _l("Laporan Arus Kas"),
}


@dataclass(frozen=True)
class Row:
    """A row of a statement: `section` (a heading), `item`, `total` or `grand` (the bottom line)."""

    label: Any
    values: tuple[int | None, ...]
    kind: str = "item"
    code: str | None = None


@dataclass(frozen=True)
class Statement:
    kind: Kind
    title: Any
    period: Any
    columns: tuple[Any, ...]
    rows: list[Row] = field(default_factory=list)
    unit: str | None = None
    note: Any = None


@dataclass(frozen=True)
class Span:
    """From `start` to `end`, both inclusive; `previous` is the same span a year earlier."""

    start: date
    end: date

    @classmethod
    def of(cls, year: int, until_month: int = 12) -> Span:
        return cls(date(year, 1, 1), date(year, until_month, calendar.monthrange(year, until_month)[1]))

    @property
    def previous(self) -> Span:
        def back(day: date) -> date:
            last = calendar.monthrange(day.year - 1, day.month)[1]
            return date(day.year - 1, day.month, min(day.day, last))

        return Span(back(self.start), back(self.end))

    def label(self) -> str:
        if self.start.month == 1 and self.start.day == 1 and self.end.month == 12 and self.end.day == 31:
            return str(self.end.year)
        return f"{format_date(self.start, 'd MMM y')} – {format_date(self.end, 'd MMM y')}"


# --- balances -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Account:
    id: int
    code: str
    name: str
    type: str
    normal_side: str
    business_unit: str | None


def _accounts() -> dict[int, _Account]:
    rows = db.session.execute(
        select(
            LedgerAccount.id,
            LedgerAccount.code,
            LedgerAccount.name,
            LedgerAccount.type,
            LedgerAccount.normal_side,
            LedgerAccount.business_unit,
        ).order_by(LedgerAccount.code)
    )
    return {row.id: _Account(*row) for row in rows}


def net_debits(end: date, start: date | None = None) -> dict[int, int]:
    """Debits less credits per account over lines dated up to `end` (from `start` if given): one
    GROUP BY over the index that leads with (tenant, account, date)."""
    stmt = select(JournalLine.account_id, func.sum(JournalLine.debit - JournalLine.credit)).where(
        JournalLine.entry_date <= end
    )
    if start is not None:
        stmt = stmt.where(JournalLine.entry_date >= start)
    return {
        account_id: int(net) for account_id, net in db.session.execute(stmt.group_by(JournalLine.account_id))
    }


def net_debits_at(days: Sequence[date]) -> list[dict[int, int]]:
    """`net_debits` at several dates in one scan (a statement and its comparative column); only the
    earlier dates need a filter, the latest is every line the scan reads."""
    latest = max(days)
    net = JournalLine.debit - JournalLine.credit
    columns = [
        func.sum(net) if day == latest else func.sum(net).filter(JournalLine.entry_date <= day)
        for day in days
    ]
    stmt = (
        select(JournalLine.account_id, *columns)
        .where(JournalLine.entry_date <= latest)
        .group_by(JournalLine.account_id)
    )
    result: list[dict[int, int]] = [{} for _ in days]
    for account_id, *nets in db.session.execute(stmt):
        for column, value in enumerate(nets):
            if value is not None:
                result[column][account_id] = int(value)
    return result


def _closing_nets(span: Span) -> dict[int, int]:
    """The year-end closing entries' lines within `span`, to take back out of income and expenses."""
    ids = select(JournalEntry.id).where(
        JournalEntry.source_module == service.YEAR_END_SOURCE,
        JournalEntry.entry_date.between(span.start, span.end),
    )
    stmt = (
        select(JournalLine.account_id, func.sum(JournalLine.debit - JournalLine.credit))
        .where(JournalLine.entry_id.in_(ids), JournalLine.entry_date.between(span.start, span.end))
        .group_by(JournalLine.account_id)
    )
    return {account_id: int(net) for account_id, net in db.session.execute(stmt)}


def _activity(span: Span) -> dict[int, int]:
    """Net debits of the span without the year-end closing entries."""
    nets = net_debits(span.end, span.start)
    for account_id, net in _closing_nets(span).items():
        nets[account_id] = nets.get(account_id, 0) - net
    return nets


def _on_normal_side(account: _Account, net_debit: int) -> int:
    return net_debit if account.normal_side == Side.DEBIT else -net_debit


def _result(accounts: dict[int, _Account], nets: dict[int, int], unit: str | None = None) -> int:
    """Income less expenses (credits over debits) of the income and expense accounts in `nets`."""
    return -sum(
        net
        for account_id, net in nets.items()
        if accounts[account_id].type in (AccountType.INCOME, AccountType.EXPENSE)
        and (unit is None or accounts[account_id].business_unit == unit)
    )


def _in_unit(account: _Account, unit: str | None) -> bool:
    return unit is None or account.business_unit == unit


def shared_counterpart(unit: str, end: date, start: date | None = None, *, closing: bool = True) -> int:
    """Debits less credits of the lines on accounts outside `unit` in the entries that also touch
    the unit's accounts, dated up to `end` (from `start` if given; without the year-end closing
    entries when `closing` is false): what the unit handed to (positive) or took from the shared
    and other units' accounts. Read apart from the unit's own balances, so the statements' checks
    compare two independent sums."""
    unit_accounts = select(LedgerAccount.id).where(LedgerAccount.business_unit == unit)
    dated = JournalLine.entry_date <= end if start is None else JournalLine.entry_date.between(start, end)
    touching = select(JournalLine.entry_id).where(JournalLine.account_id.in_(unit_accounts), dated)
    stmt = select(func.coalesce(func.sum(JournalLine.debit - JournalLine.credit), 0)).where(
        JournalLine.entry_id.in_(touching), JournalLine.account_id.not_in(unit_accounts), dated
    )
    if not closing:
        closing_ids = select(JournalEntry.id).where(JournalEntry.source_module == service.YEAR_END_SOURCE)
        stmt = stmt.where(JournalLine.entry_id.not_in(closing_ids))
    return int(db.session.scalar(stmt) or 0)


RK_LABEL = _l("Rekening antar unit (RK pusat)")


def _unit_note(kind: Kind, unit: str) -> Any:
    from erp.ledger.schemas import UNIT_LABELS

    label = UNIT_LABELS.get(unit, unit)
    if kind == Kind.ARUS_KAS:
        return _l(
            "Hanya akun yang ditandai unit %(unit)s. Kas dan bank bersama koperasi tidak dipecah per "
            "unit: kas yang dihasilkan unit lalu diserahkan ke kas bersama (atau diterima darinya) "
            "tampil sebagai Rekening antar unit (RK pusat).",
            unit=label,
        )
    return _l(
        "Hanya akun yang ditandai unit %(unit)s. Akun bersama tanpa unit (kas, bank, simpanan pokok "
        "dan wajib, SHU tahun berjalan, dan lain-lain) tidak dipecah per unit; hubungan unit dengan "
        "akun bersama tampil sebagai Rekening antar unit (RK pusat): positif berarti unit memakai "
        "dana koperasi, dalam kurung berarti dana hasil unit tersimpan di akun bersama.",
        unit=label,
    )


# --- laporan posisi keuangan ----------------------------------------------------------------------


def balance_sheet(span: Span, unit: BusinessUnit | None = None) -> Statement:
    """Assets, liabilities and equity at the end of the span and a year before. Contra accounts
    (PPAP, akumulasi penyusutan) show as negative assets; the result not yet closed into SHU tahun
    berjalan shows as its own equity line.

    For one business unit: only the accounts tagged with it, the unit's result not yet closed, and
    the rekening antar unit (RK pusat) — the unit's net claim on the shared accounts, read from the
    other side of the unit's entries — so the unit's sheet balances on its own."""
    require_tenant()
    all_accounts = _accounts()
    unit_value = unit.value if unit else None
    accounts = {i: a for i, a in all_accounts.items() if _in_unit(a, unit_value)}
    ends = (span.end, span.previous.end)
    nets = net_debits_at(ends)

    def amount(account: _Account, column: int) -> int:
        net = nets[column].get(account.id, 0)
        sign = 1 if account.type == AccountType.ASSET else -1
        return sign * net

    def group(title: Any, members: list[_Account]) -> tuple[list[Row], tuple[int, int]]:
        rows = [
            Row(a.name, (amount(a, 0), amount(a, 1)), code=a.code)
            for a in members
            if amount(a, 0) or amount(a, 1)
        ]
        totals = (sum(amount(a, 0) for a in members), sum(amount(a, 1) for a in members))
        if not rows:
            return [], totals
        return [
            Row(title, (None, None), "section"),
            *rows,
            Row(_l("Jumlah %(group)s", group=title), totals, "total"),
        ], totals

    def of_type(
        kind: AccountType, prefix: str | None = None, not_prefix: str | None = None
    ) -> list[_Account]:
        return [
            a
            for a in accounts.values()
            if a.type == kind
            and (prefix is None or a.code.startswith(prefix))
            and (not_prefix is None or not a.code.startswith(not_prefix))
        ]

    rows: list[Row] = []
    current_assets, ca = group(_l("Aset lancar"), of_type(AccountType.ASSET, prefix="1-1"))
    fixed_assets, fa = group(_l("Aset tidak lancar"), of_type(AccountType.ASSET, not_prefix="1-1"))
    total_assets = (ca[0] + fa[0], ca[1] + fa[1])
    rows += [Row(_l("ASET"), (None, None), "section"), *current_assets, *fixed_assets]
    rows.append(Row(_l("JUMLAH ASET"), total_assets, "grand"))

    short, sl = group(_l("Kewajiban jangka pendek"), of_type(AccountType.LIABILITY, prefix="2-1"))
    long, ll = group(_l("Kewajiban jangka panjang"), of_type(AccountType.LIABILITY, not_prefix="2-1"))
    equity_rows, eq = group(_l("Ekuitas"), of_type(AccountType.EQUITY))
    extra: list[Row] = []
    unclosed = tuple(_result(all_accounts, n, unit_value) for n in nets)
    if any(unclosed):
        label = (
            _l("SHU tahun berjalan (belum ditutup)") if unit_value is None else _l("SHU unit (belum ditutup)")
        )
        extra.append(Row(label, unclosed))
    if unit_value is not None:
        extra.append(Row(RK_LABEL, tuple(-shared_counterpart(unit_value, day) for day in ends)))
    extra = [row for row in extra if any(row.values)]
    if extra:
        if not equity_rows:
            equity_rows = [
                Row(_l("Ekuitas"), (None, None), "section"),
                Row(_l("Jumlah Ekuitas"), eq, "total"),
            ]
        for row in extra:
            equity_rows.insert(-1, row)
            eq = (eq[0] + int(row.values[0] or 0), eq[1] + int(row.values[1] or 0))
        equity_rows[-1] = Row(equity_rows[-1].label, eq, "total")
    total_le = (sl[0] + ll[0] + eq[0], sl[1] + ll[1] + eq[1])
    rows += [Row(_l("KEWAJIBAN DAN EKUITAS"), (None, None), "section"), *short, *long, *equity_rows]
    rows.append(Row(_l("JUMLAH KEWAJIBAN DAN EKUITAS"), total_le, "grand"))
    if total_assets != total_le:
        raise InvariantViolation(
            f"balance sheet of {unit_value} does not balance: {total_assets} vs {total_le}"
        )
    labels = tuple(_l("Per %(date)s", date=format_date(day, "d MMM y")) for day in ends)
    note = _unit_note(Kind.POSISI_KEUANGAN, unit_value) if unit_value else None
    return Statement(
        Kind.POSISI_KEUANGAN, TITLES[Kind.POSISI_KEUANGAN], labels[0], labels, rows, unit_value, note
    )


# --- laporan hasil usaha --------------------------------------------------------------------------


def income_statement(span: Span, unit: BusinessUnit | None = None) -> Statement:
    """Income, cost of goods sold and expenses over the span and the same span a year before,
    consolidated or for one business unit (the accounts tagged with it)."""
    require_tenant()
    accounts = _accounts()
    spans = (span, span.previous)
    nets = [_activity(s) for s in spans]
    unit_value = unit.value if unit else None

    def chosen(predicate: Any) -> list[_Account]:
        return [
            a
            for a in accounts.values()
            if predicate(a) and (unit_value is None or a.business_unit == unit_value)
        ]

    def group(title: Any, members: list[_Account], sign: int) -> tuple[list[Row], tuple[int, int]]:
        values = {a.id: tuple(sign * -n.get(a.id, 0) for n in nets) for a in members}
        rows = [Row(a.name, values[a.id], code=a.code) for a in members if any(values[a.id])]
        totals = (sum(v[0] for v in values.values()), sum(v[1] for v in values.values()))
        return [
            Row(title, (None, None), "section"),
            *rows,
            Row(_l("Jumlah %(group)s", group=title), totals, "total"),
        ], totals

    income, inc = group(_l("Pendapatan"), chosen(lambda a: a.type == AccountType.INCOME), 1)
    cogs, cg = group(
        _l("Harga pokok penjualan"),
        chosen(lambda a: a.type == AccountType.EXPENSE and a.code.startswith("5-")),
        -1,
    )
    expenses, ex = group(
        _l("Beban usaha dan lain-lain"),
        chosen(lambda a: a.type == AccountType.EXPENSE and not a.code.startswith("5-")),
        -1,
    )
    gross = (inc[0] - cg[0], inc[1] - cg[1])
    result = (gross[0] - ex[0], gross[1] - ex[1])
    for column, net in enumerate(nets):
        if result[column] != _result(accounts, net, unit_value):
            raise InvariantViolation("income statement lines do not add up to the result")
    rows = [*income, *cogs, Row(_l("Hasil usaha kotor"), gross, "total"), *expenses]
    rows.append(Row(_l("SISA HASIL USAHA (SHU)"), result, "grand"))
    labels = tuple(s.label() for s in spans)
    return Statement(Kind.HASIL_USAHA, TITLES[Kind.HASIL_USAHA], span.label(), labels, rows, unit_value)


def unit_results(span: Span) -> list[tuple[str | None, int, int, int]]:
    """Per business unit (None: not tagged) over the span: income, costs (HPP and expenses), SHU."""
    require_tenant()
    accounts = _accounts()
    nets = _activity(span)
    totals: dict[str | None, list[int]] = {}
    for account_id, net in nets.items():
        account = accounts[account_id]
        if account.type not in (AccountType.INCOME, AccountType.EXPENSE):
            continue
        bucket = totals.setdefault(account.business_unit, [0, 0])
        if account.type == AccountType.INCOME:
            bucket[0] += -net
        else:
            bucket[1] += net
    order = [u.value for u in BusinessUnit]
    keys = sorted(totals, key=lambda u: order.index(u) if u in order else len(order))
    return [(u, totals[u][0], totals[u][1], totals[u][0] - totals[u][1]) for u in keys]


# --- perubahan ekuitas ----------------------------------------------------------------------------


def equity_changes(span: Span, unit: BusinessUnit | None = None) -> Statement:
    """Each equity account from its opening to its closing balance, additions and reductions
    apart, for the span and for the same span a year before; the result not yet closed is its own
    line, so the closing column equals the balance sheet's equity. For one business unit: its own
    equity accounts, its result not yet closed and its rekening antar unit (RK pusat), which end at
    the unit's net assets (its assets less its liabilities)."""
    require_tenant()
    accounts = _accounts()
    unit_value = unit.value if unit else None
    equity = [a for a in accounts.values() if a.type == AccountType.EQUITY and _in_unit(a, unit_value)]
    rows: list[Row] = []
    for s in (span, span.previous):
        opening = net_debits(s.start - timedelta(days=1))
        closing = net_debits(s.end)
        credits = dict(
            db.session.execute(
                select(JournalLine.account_id, func.sum(JournalLine.credit))
                .where(JournalLine.entry_date.between(s.start, s.end))
                .group_by(JournalLine.account_id)
            ).all()
        )
        rows.append(Row(s.label(), (None, None, None, None), "section"))
        totals = [0, 0, 0, 0]
        for a in equity:
            start, end = -opening.get(a.id, 0), -closing.get(a.id, 0)
            added = int(credits.get(a.id) or 0)
            reduced = added - (end - start)
            if start or end or added:
                rows.append(Row(a.name, (start, added, reduced, end), code=a.code))
            for i, v in enumerate((start, added, reduced, end)):
                totals[i] += v
        balances = [
            (
                _l("SHU tahun berjalan (belum ditutup)")
                if unit_value is None
                else _l("SHU unit (belum ditutup)"),
                _result(accounts, opening, unit_value),
                _result(accounts, closing, unit_value),
            )
        ]
        if unit_value is not None:
            balances.append(
                (
                    RK_LABEL,
                    -shared_counterpart(unit_value, s.start - timedelta(days=1)),
                    -shared_counterpart(unit_value, s.end),
                )
            )
        for label, at_start, at_end in balances:
            if at_start or at_end:
                change = at_end - at_start
                values = (at_start, max(change, 0), max(-change, 0), at_end)
                rows.append(Row(label, values))
                for i, v in enumerate(values):
                    totals[i] += v
        net_assets = sum(
            closing.get(a.id, 0)
            for a in accounts.values()
            if a.type in (AccountType.ASSET, AccountType.LIABILITY) and _in_unit(a, unit_value)
        )
        if totals[3] != net_assets:
            raise InvariantViolation(
                f"equity of {unit_value} at {s.end} is {totals[3]}, net assets {net_assets}"
            )
        rows.append(Row(_l("Jumlah ekuitas"), tuple(totals), "grand"))
    columns = (_l("Saldo awal"), _l("Penambahan"), _l("Pengurangan"), _l("Saldo akhir"))
    note = _unit_note(Kind.PERUBAHAN_EKUITAS, unit_value) if unit_value else None
    return Statement(
        Kind.PERUBAHAN_EKUITAS, TITLES[Kind.PERUBAHAN_EKUITAS], span.label(), columns, rows, unit_value, note
    )


# --- arus kas (metode tidak langsung) -------------------------------------------------------------


def cash_flow(span: Span, unit: BusinessUnit | None = None) -> Statement:
    """Cash flow by the indirect method: the period's SHU, adjusted for non-cash items and changes
    in working capital (operating), changes in non-current assets (investing), in long-term debt and
    equity (financing). Their sum is the change in cash and bank.

    For one business unit: the same over the accounts tagged with it, its cash being only the cash
    accounts tagged with it (often none); the cash it handed to or took from the shared accounts is
    a financing line, the rekening antar unit (RK pusat), read from the other side of its entries."""
    require_tenant()
    accounts = _accounts()
    unit_value = unit.value if unit else None
    cash_ids = {a.id for a in service.cash_accounts() if _in_unit(accounts[a.id], unit_value)}
    spans = (span, span.previous)
    columns_rows: list[dict[str, Any]] = []
    for s in spans:
        opening = net_debits(s.start - timedelta(days=1))
        closing = net_debits(s.end)
        result = _result(accounts, _activity(s), unit_value)
        delta = {i: closing.get(i, 0) - opening.get(i, 0) for i in set(opening) | set(closing)}
        if unit_value is not None:  # the closing entry moves a unit's result out to the shared SHU
            for account_id, moved in _closing_nets(s).items():
                delta[account_id] = delta.get(account_id, 0) - moved
        cash_effect = {i: -d for i, d in delta.items()}  # a debit increase of a non-cash account uses cash
        items: dict[str, dict[int, int]] = {"adjust": {}, "working": {}, "investing": {}, "financing": {}}
        shu_movements = 0
        for account_id, effect in cash_effect.items():
            a = accounts[account_id]
            if account_id in cash_ids or not effect or not _in_unit(a, unit_value):
                continue
            if a.type in (AccountType.INCOME, AccountType.EXPENSE) or a.code == service.SHU_BERJALAN:
                shu_movements += effect
            elif (
                a.type == AccountType.ASSET and a.normal_side == Side.CREDIT and not a.code.startswith("1-1")
            ):
                items["adjust"][account_id] = effect  # penyusutan: an expense that used no cash
            elif a.type == AccountType.ASSET and a.code.startswith("1-1"):
                items["working"][account_id] = effect
            elif a.type == AccountType.ASSET:
                items["investing"][account_id] = effect
            elif a.type == AccountType.LIABILITY and a.code.startswith("2-1"):
                items["working"][account_id] = effect
            else:
                items["financing"][account_id] = effect
        distributed = shu_movements - result  # what left SHU other than the period's own result
        cash_start = sum(v for i, v in opening.items() if i in cash_ids)
        cash_end = sum(v for i, v in closing.items() if i in cash_ids)
        columns_rows.append(
            {
                "result": result,
                "items": items,
                "distributed": distributed,
                "cash_start": cash_start,
                "cash_end": cash_end,
                # cash the unit took from (handed to, negative) the shared accounts
                "transfers": -shared_counterpart(unit_value, s.end, s.start, closing=False)
                if unit_value is not None
                else 0,
            }
        )
    rows: list[Row] = []

    def section(title: Any, keys: Iterable[str], extra: list[tuple[Any, tuple[int, int]]]) -> tuple[int, int]:
        rows.append(Row(title, (None, None), "section"))
        totals = [0, 0]
        for label, values in extra:
            if any(values):
                rows.append(Row(label, values))
            totals = [totals[0] + values[0], totals[1] + values[1]]
        ids = sorted(
            {i for c in columns_rows for k in keys for i in c["items"][k]}, key=lambda i: accounts[i].code
        )
        for account_id in ids:
            values = tuple(sum(c["items"][k].get(account_id, 0) for k in keys) for c in columns_rows)
            rows.append(
                Row(
                    _l("Perubahan %(account)s", account=accounts[account_id].name),
                    values,
                    code=accounts[account_id].code,
                )
            )
            totals = [totals[0] + values[0], totals[1] + values[1]]
        return totals[0], totals[1]

    results = (columns_rows[0]["result"], columns_rows[1]["result"])
    operating = section(
        _l("Arus kas dari aktivitas operasi"), ["adjust", "working"], [(_l("SHU periode berjalan"), results)]
    )
    rows.append(Row(_l("Kas bersih dari aktivitas operasi"), operating, "total"))
    investing = section(_l("Arus kas dari aktivitas investasi"), ["investing"], [])
    rows.append(Row(_l("Kas bersih dari aktivitas investasi"), investing, "total"))
    distributions = (columns_rows[0]["distributed"], columns_rows[1]["distributed"])
    transfers = (columns_rows[0]["transfers"], columns_rows[1]["transfers"])
    financing = section(
        _l("Arus kas dari aktivitas pendanaan"),
        ["financing"],
        [(_l("Pembagian SHU"), distributions), (RK_LABEL, transfers)],
    )
    rows.append(Row(_l("Kas bersih dari aktivitas pendanaan"), financing, "total"))
    net = tuple(operating[i] + investing[i] + financing[i] for i in range(2))
    starts = (columns_rows[0]["cash_start"], columns_rows[1]["cash_start"])
    ends = (columns_rows[0]["cash_end"], columns_rows[1]["cash_end"])
    rows.append(Row(_l("Kenaikan (penurunan) kas bersih"), net, "total"))
    rows.append(Row(_l("Kas dan bank awal periode"), starts))
    rows.append(Row(_l("KAS DAN BANK AKHIR PERIODE"), ends, "grand"))
    for i in range(2):
        if starts[i] + net[i] != ends[i]:
            raise InvariantViolation(
                f"cash flow of {unit_value} does not reconcile: {starts[i]} + {net[i]} != {ends[i]}"
            )
    labels = tuple(s.label() for s in spans)
    note = _unit_note(Kind.ARUS_KAS, unit_value) if unit_value else None
    return Statement(Kind.ARUS_KAS, TITLES[Kind.ARUS_KAS], span.label(), labels, rows, unit_value, note)


def build(kind: Kind, span: Span, unit: BusinessUnit | None = None) -> Statement:
    """Statement `kind` over `span`, consolidated or for one business unit."""
    if kind == Kind.POSISI_KEUANGAN:
        return balance_sheet(span, unit)
    if kind == Kind.HASIL_USAHA:
        return income_statement(span, unit)
    if kind == Kind.PERUBAHAN_EKUITAS:
        return equity_changes(span, unit)
    return cash_flow(span, unit)
