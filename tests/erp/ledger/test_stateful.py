"""The ledger's invariants under random sequences of work across several cooperatives: postings,
reversals, repeated submissions (same idempotency key), conflicting ones, unbalanced attempts and
period closes. After every step, in every cooperative: each entry balances, the trial balance
totals zero, every key is posted once and matches what was sent, entries dated in a closed month
are exactly those that were there when it closed, and what the books hold equals a plain model."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import date

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule, run_state_machine_as_test
from sqlalchemy import extract, func, select

from core.db import db
from erp.ledger import service
from erp.ledger.models import JournalEntry, JournalLine
from erp.ledger.service import (
    AlreadyReversed,
    IdempotencyConflict,
    NewEntry,
    NewLine,
    PeriodClosed,
    Unbalanced,
)
from tenants.context import tenant
from tenants.models import Cooperative
from tests.conftest import VILLAGES, make_cooperative
from tests.erp.ledger.conftest import install_books

ACCOUNTS = ("1-1100", "1-1110", "1-1400", "2-1100", "3-1000", "4-2100", "6-1000")
MONTHS = (1, 2, 3, 4, 5, 6)
amounts = st.integers(min_value=1, max_value=50_000_000)


@dataclass
class Books:
    """What one cooperative's books must hold for the year the example runs in."""

    coop_id: int
    entries: dict[str, tuple[int, NewEntry]] = field(default_factory=dict)  # key → (id, as sent)
    reversed: set[int] = field(default_factory=set)
    reversals: set[int] = field(default_factory=set)
    closed: dict[int, frozenset[tuple[int, tuple[tuple[int, int, int], ...]]]] = field(default_factory=dict)
    net: dict[str, int] = field(default_factory=dict)  # account code → debits less credits


class LedgerMachine(RuleBasedStateMachine):
    coops: list[Cooperative] = []
    years = itertools.count(2100)  # each example books its own year, so examples never meet

    def __init__(self) -> None:
        super().__init__()
        self.year = next(self.years)
        self.books = [Books(c.id) for c in self.coops]
        self.keys = itertools.count(1)

    # --- helpers ---------------------------------------------------------------------------------

    def _day(self, month: int, day: int) -> date:
        return date(self.year, month, day)

    def _entries_of(self, month: int | None = None) -> set[tuple[int, tuple[tuple[int, int, int], ...]]]:
        stmt = select(
            JournalLine.entry_id, JournalLine.account_id, JournalLine.debit, JournalLine.credit
        ).where(extract("year", JournalLine.entry_date) == self.year)
        if month is not None:
            stmt = stmt.where(extract("month", JournalLine.entry_date) == month)
        lines: dict[int, list[tuple[int, int, int]]] = {}
        for entry_id, account_id, debit, credit in db.session.execute(stmt.order_by(JournalLine.id)):
            lines.setdefault(entry_id, []).append((account_id, debit, credit))
        return {(entry_id, tuple(found)) for entry_id, found in lines.items()}

    def _apply(self, books: Books, lines: tuple[NewLine, ...]) -> None:
        for line in lines:
            books.net[line.account_code] = books.net.get(line.account_code, 0) + line.debit - line.credit

    def _count_year(self) -> int:
        return db.session.scalar(
            select(func.count())
            .select_from(JournalEntry)
            .where(extract("year", JournalEntry.entry_date) == self.year)
        )

    # --- rules -----------------------------------------------------------------------------------

    @initialize()
    def start(self) -> None:
        for books in self.books:
            with tenant(books.coop_id):
                assert self._entries_of() == set()

    @rule(
        which=st.integers(0, 2),
        month=st.sampled_from(MONTHS),
        day=st.integers(1, 28),
        debits=st.lists(st.tuples(st.sampled_from(ACCOUNTS), amounts), min_size=1, max_size=3),
        credit_accounts=st.lists(st.sampled_from(ACCOUNTS), min_size=1, max_size=2),
        cut=st.floats(0.05, 0.95),
    )
    def post(self, which, month, day, debits, credit_accounts, cut) -> None:
        books = self.books[which]
        total = sum(a for _, a in debits)
        if len(credit_accounts) == 2 and total >= 2:
            first = min(max(int(total * cut), 1), total - 1)
            credits = [(credit_accounts[0], first), (credit_accounts[1], total - first)]
        else:
            credits = [(credit_accounts[0], total)]
        lines = tuple(NewLine(c, a, 0) for c, a in debits) + tuple(NewLine(c, 0, a) for c, a in credits)
        key = f"k{next(self.keys)}"  # the same keys in every cooperative: a key is unique per tenant
        new = NewEntry(self._day(month, day), "Transaksi acak", "test", key, f"{self.year}:{key}", lines)
        with tenant(books.coop_id):
            before = self._count_year()
            if month in books.closed:
                with pytest.raises(PeriodClosed):
                    service.post(new)
                db.session.rollback()
                assert self._count_year() == before
                return
            posted = service.post(new)
            db.session.commit()
        books.entries[new.idempotency_key] = (posted.id, new)
        self._apply(books, lines)

    @rule(which=st.integers(0, 2), data=st.data())
    def repeat(self, which, data) -> None:
        """The same event sent again (a double tap, a retried request) returns the first entry,
        even once its month is closed; with a different payload it is a conflict. Nothing new."""
        books = self.books[which]
        if not books.entries:
            return
        key = data.draw(st.sampled_from(sorted(books.entries)))
        entry_id, sent = books.entries[key]
        with tenant(books.coop_id):
            before = self._count_year()
            assert service.post(sent).id == entry_id
            changed = NewEntry(
                sent.entry_date,
                sent.description + " (diubah)",
                sent.source_module,
                sent.source_id,
                key,
                sent.lines,
            )
            with pytest.raises(IdempotencyConflict):
                service.post(changed)
            db.session.rollback()
            assert self._count_year() == before

    @rule(which=st.integers(0, 2), data=st.data(), month=st.sampled_from(MONTHS))
    def reverse(self, which, data, month) -> None:
        books = self.books[which]
        candidates = sorted(
            (entry_id, sent) for entry_id, sent in books.entries.values() if entry_id not in books.reversals
        )
        if not candidates:
            return
        entry_id, sent = data.draw(st.sampled_from(candidates))
        on = self._day(month, 28)
        key = f"{self.year}:balik:{entry_id}:{next(self.keys)}"
        with tenant(books.coop_id):
            before = self._count_year()
            if entry_id in books.reversed:
                with pytest.raises(AlreadyReversed):
                    service.reverse(entry_id, "uji", key, entry_date=on)
            elif month in books.closed:
                with pytest.raises(PeriodClosed):
                    service.reverse(entry_id, "uji", key, entry_date=on)
            else:
                mirror = service.reverse(entry_id, "uji", key, entry_date=on)
                db.session.commit()
                books.reversed.add(entry_id)
                books.reversals.add(mirror.id)
                self._apply(books, tuple(NewLine(c, cr, d) for c, d, cr, *_ in sent.lines))
                return
            db.session.rollback()
            assert self._count_year() == before

    @rule(which=st.integers(0, 2), month=st.sampled_from(MONTHS), account=st.sampled_from(ACCOUNTS))
    def unbalanced(self, which, month, account) -> None:
        books = self.books[which]
        lines = (NewLine(account, 100_000, 0), NewLine("3-1000", 0, 99_999))
        new = NewEntry(
            self._day(month, 1), "Tidak seimbang", "test", None, f"{self.year}:x{next(self.keys)}", lines
        )
        with tenant(books.coop_id):
            before = self._count_year()
            with pytest.raises(Unbalanced):
                service.post(new)
            db.session.rollback()
            assert self._count_year() == before

    @rule(which=st.integers(0, 2), month=st.sampled_from(MONTHS))
    def close(self, which, month) -> None:
        books = self.books[which]
        with tenant(books.coop_id):
            service.close_period(self.year, month)
            db.session.commit()
            if month not in books.closed:
                books.closed[month] = frozenset(self._entries_of(month))

    # --- invariants ------------------------------------------------------------------------------

    @invariant()
    def books_hold(self) -> None:
        for books in self.books:
            with tenant(books.coop_id):
                unbalanced = db.session.execute(
                    select(JournalLine.entry_id)
                    .group_by(JournalLine.entry_id)
                    .having(func.sum(JournalLine.debit) != func.sum(JournalLine.credit))
                ).all()
                assert unbalanced == []
                rows = service.trial_balance(date(self.year, 12, 31))
                assert sum(r.debit for r in rows) == sum(r.credit for r in rows)
                total = db.session.scalar(
                    select(func.coalesce(func.sum(JournalLine.debit - JournalLine.credit), 0))
                )
                assert total == 0
                # Every key once, with what was sent; plus the reversals; nothing else this year.
                found = dict(
                    db.session.execute(
                        select(JournalEntry.idempotency_key, JournalEntry.id).where(
                            extract("year", JournalEntry.entry_date) == self.year,
                            JournalEntry.reverses_entry_id.is_(None),
                        )
                    ).all()
                )
                assert found == {key: entry_id for key, (entry_id, _) in books.entries.items()}
                reversals = set(
                    db.session.scalars(
                        select(JournalEntry.reverses_entry_id).where(
                            extract("year", JournalEntry.entry_date) == self.year,
                            JournalEntry.reverses_entry_id.is_not(None),
                        )
                    )
                )
                assert reversals == books.reversed
                # Balances per account equal the model's.
                nets = dict(
                    db.session.execute(
                        select(service.LedgerAccount.code, func.sum(JournalLine.debit - JournalLine.credit))
                        .join(service.LedgerAccount, service.LedgerAccount.id == JournalLine.account_id)
                        .where(extract("year", JournalLine.entry_date) == self.year)
                        .group_by(service.LedgerAccount.code)
                    ).all()
                )
                assert {c: int(n) for c, n in nets.items() if n} == {c: n for c, n in books.net.items() if n}
                # A closed month holds exactly what it held when it closed.
                for month, snapshot in books.closed.items():
                    assert frozenset(self._entries_of(month)) == snapshot


def test_random_work_across_cooperatives_keeps_the_books_balanced_and_closed_months_untouched(app):
    coops = [make_cooperative(village) for village in VILLAGES[:3]]
    for coop in coops:
        install_books(coop)
    LedgerMachine.coops = coops
    run_state_machine_as_test(
        LedgerMachine,
        settings=settings(
            max_examples=12,
            stateful_step_count=25,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
        ),
    )
