from __future__ import annotations

import threading
import uuid
from datetime import date, datetime
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select, text

from core.db import db
from core.errors import ErrorCode, NotFound
from core.models import AuditEntry
from core.money import split
from erp.ledger import service
from erp.ledger.models import FiscalPeriod, JournalEntry, JournalLine, LedgerAccount
from erp.ledger.service import (
    AccountInactive,
    AccountUnknown,
    AlreadyReversed,
    IdempotencyConflict,
    InvalidEntry,
    NewEntry,
    PeriodClosed,
    Unbalanced,
    credit,
    debit,
)
from tenants.context import TenantRequired, tenant
from tests.conftest import make_cooperative
from tests.erp.ledger.conftest import DAY, entry, install_books

KAS, BANK, PINJAMAN, SIMPANAN_POKOK, SUKARELA = "1-1100", "1-1110", "1-1400", "3-1000", "2-1100"
JASA_PINJAMAN, BEBAN_GAJI = "4-1100", "6-1000"


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


# --- chart of accounts ----------------------------------------------------------------------------


def test_the_standard_chart_is_installed_with_indonesian_names_and_contra_accounts(books):
    accounts = {a.code: a for a in db.session.scalars(select(LedgerAccount))}
    assert (
        accounts[KAS].name == "Kas" and accounts[KAS].type == "asset" and accounts[KAS].normal_side == "debit"
    )
    ppap = accounts["1-1410"]
    assert "PPAP" in ppap.name and ppap.normal_side == "credit" and ppap.parent_id == accounts[PINJAMAN].id
    assert accounts["2-1100"].type == "liability" and accounts["3-2000"].name == "Simpanan Wajib"
    assert accounts["3-5000"].name == "SHU Tahun Berjalan" and accounts["3-5000"].type == "equity"
    assert accounts["4-2100"].business_unit == "sembako" and accounts["5-1200"].business_unit == "apotek"
    assert {a.type for a in accounts.values()} == {"asset", "liability", "equity", "income", "expense"}


def test_installing_the_chart_again_creates_nothing_and_keeps_renamed_accounts(books):
    kas = db.session.scalar(select(LedgerAccount).where(LedgerAccount.code == KAS))
    kas.name = "Kas Kantor Desa"
    db.session.commit()
    before = _count(LedgerAccount)
    assert service.install_chart_of_accounts() == 0
    db.session.commit()
    assert _count(LedgerAccount) == before
    assert db.session.scalar(select(LedgerAccount.name).where(LedgerAccount.code == KAS)) == "Kas Kantor Desa"


def test_each_cooperative_gets_its_own_chart(app):
    first, second = make_cooperative(), make_cooperative()
    install_books(first)
    with tenant(second.id):
        assert service.install_chart_of_accounts() == len(service.STANDARD_CHART)
        db.session.commit()


# --- posting --------------------------------------------------------------------------------------


def test_a_balanced_entry_is_posted_with_its_lines_and_moves_the_balances(books):
    posted = service.post(entry("pokok-1", debit(KAS, 50_000, "tunai"), credit(SIMPANAN_POKOK, 50_000)))
    db.session.commit()
    assert posted.id and posted.tenant_id == books.id and posted.entry_date == DAY
    assert [(line.account.code, line.debit, line.credit) for line in posted.lines] == [
        (KAS, 50_000, 0),
        (SIMPANAN_POKOK, 0, 50_000),
    ]
    assert posted.lines[0].memo == "tunai"
    assert service.account_balance(KAS, DAY) == 50_000
    assert service.account_balance(SIMPANAN_POKOK, DAY) == 50_000  # credit-normal: shown positive
    assert service.account_balance(KAS, date(2025, 3, 14)) == 0


def test_posting_joins_the_callers_transaction_and_rolls_back_with_it(books):
    service.post(entry("batal-1", debit(KAS, 10_000), credit(SIMPANAN_POKOK, 10_000)))
    db.session.rollback()
    assert _count(JournalEntry) == 0 and _count(JournalLine) == 0


def test_an_unbalanced_entry_is_refused_and_writes_nothing(books):
    with pytest.raises(Unbalanced) as err:
        service.post(entry("timpang-1", debit(KAS, 100_000), credit(SIMPANAN_POKOK, 90_000)))
    assert err.value.code == ErrorCode.UNBALANCED and err.value.status == 422
    assert str(err.value.message) == "Jurnal tidak seimbang: debit Rp 100.000, kredit Rp 90.000."
    db.session.commit()
    assert _count(JournalEntry) == 0 and _count(JournalLine) == 0


@pytest.mark.parametrize(
    "line",
    [
        (KAS, 1000.0, 0),
        (KAS, Decimal(1000), 0),
        (KAS, True, 0),
        (KAS, "1000", 0),
        (KAS, -1000, 0),
        (KAS, 1000, 1000),
        (KAS, 0, 0),
        (KAS, service.MAX_AMOUNT + 1, 0),
    ],
    ids=["float", "decimal", "bool", "text", "negative", "both-sides", "no-side", "too-large"],
)
def test_amounts_that_are_not_whole_rupiah_on_exactly_one_side_are_refused(books, line):
    with pytest.raises(InvalidEntry):
        service.post(entry("salah-1", line, credit(SIMPANAN_POKOK, 1000)))
    db.session.commit()
    assert _count(JournalEntry) == 0


def test_an_entry_needs_two_lines_a_date_a_description_and_a_key(books):
    with pytest.raises(InvalidEntry):
        service.post(entry("satu-baris", debit(KAS, 1000)))
    lines = (debit(KAS, 1000), credit(SIMPANAN_POKOK, 1000))
    with pytest.raises(InvalidEntry):
        service.post(entry("tanggal-waktu", *lines, on=datetime(2025, 3, 1, 10)))
    with pytest.raises(InvalidEntry):
        service.post(entry("tanpa-keterangan", *lines, description="   "))
    with pytest.raises(InvalidEntry):
        service.post(entry("", *lines))


def test_unknown_and_inactive_accounts_are_refused(books):
    with pytest.raises(AccountUnknown, match="9-9999"):
        service.post(entry("tak-dikenal", debit("9-9999", 1000), credit(SIMPANAN_POKOK, 1000)))
    bank = db.session.scalar(select(LedgerAccount).where(LedgerAccount.code == BANK))
    bank.active = False
    db.session.commit()
    with pytest.raises(AccountInactive, match="1-1110 Bank"):
        service.post(entry("nonaktif", debit(BANK, 1000), credit(SIMPANAN_POKOK, 1000)))
    db.session.commit()
    assert _count(JournalEntry) == 0


def test_posting_the_same_event_twice_returns_the_first_entry_and_writes_it_once(books):
    event = entry("setoran-77", debit(KAS, 20_000), credit(SUKARELA, 20_000))
    first = service.post(event)
    db.session.commit()
    again = service.post(entry("setoran-77", debit(KAS, 20_000), credit(SUKARELA, 20_000)))
    db.session.commit()
    assert again.id == first.id
    assert _count(JournalEntry) == 1 and _count(JournalLine) == 2
    assert service.account_balance(KAS, DAY) == 20_000


def test_the_same_key_with_a_different_payload_is_a_conflict_and_posts_nothing(books):
    service.post(entry("setoran-78", debit(KAS, 20_000), credit(SUKARELA, 20_000)))
    db.session.commit()
    with pytest.raises(IdempotencyConflict) as err:
        service.post(entry("setoran-78", debit(KAS, 25_000), credit(SUKARELA, 25_000)))
    assert err.value.status == 409 and err.value.code == ErrorCode.IDEMPOTENCY_CONFLICT
    assert "setoran-78" in str(err.value.message)
    db.session.commit()
    assert _count(JournalEntry) == 1 and service.account_balance(KAS, DAY) == 20_000


def test_the_same_key_in_two_cooperatives_posts_in_each(app):
    first, second = make_cooperative(), make_cooperative()
    for coop in (first, second):
        install_books(coop)
        with tenant(coop.id):
            service.post(entry("pokok-1", debit(KAS, 50_000), credit(SIMPANAN_POKOK, 50_000)))
            db.session.commit()
            assert service.account_balance(KAS, DAY) == 50_000


def test_the_ledger_refuses_to_work_without_a_cooperative(app):
    with pytest.raises(TenantRequired):
        service.post(entry("tanpa-koperasi", debit(KAS, 1000), credit(SIMPANAN_POKOK, 1000)))
    with pytest.raises(TenantRequired):
        service.install_chart_of_accounts()


# --- periods --------------------------------------------------------------------------------------


def test_a_closed_period_refuses_postings_with_a_message_naming_it(books):
    service.post(entry("maret-1", debit(KAS, 5_000), credit(SIMPANAN_POKOK, 5_000)))
    period = service.close_period(2025, 3)
    db.session.commit()
    assert period.closed_at is not None
    with pytest.raises(PeriodClosed) as err:
        service.post(entry("maret-2", debit(KAS, 5_000), credit(SIMPANAN_POKOK, 5_000), on=date(2025, 3, 31)))
    assert err.value.code == ErrorCode.PERIOD_CLOSED
    assert str(err.value.message) == (
        "Periode Maret 2025 sudah ditutup: jurnal bertanggal 31 Maret 2025 tidak dapat diposting."
    )
    db.session.rollback()
    april = service.post(
        entry("april-1", debit(KAS, 5_000), credit(SIMPANAN_POKOK, 5_000), on=date(2025, 4, 1))
    )
    db.session.commit()
    assert april.id and _count(JournalEntry) == 2


def test_closing_a_period_is_audited_once_and_closing_it_again_changes_nothing(books):
    first = service.close_period(2025, 2)
    db.session.commit()
    closed_at = first.closed_at
    again = service.close_period(2025, 2)
    db.session.commit()
    assert again.id == first.id and again.closed_at == closed_at
    assert _count(FiscalPeriod) == 1
    audits = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "ledger.period_closed")).all()
    assert len(audits) == 1 and audits[0].cooperative_id == books.id


def test_a_repeat_of_an_event_posted_before_its_period_closed_still_returns_the_first_entry(books):
    first = service.post(entry("maret-3", debit(KAS, 5_000), credit(SIMPANAN_POKOK, 5_000)))
    service.close_period(2025, 3)
    db.session.commit()
    assert service.post(entry("maret-3", debit(KAS, 5_000), credit(SIMPANAN_POKOK, 5_000))).id == first.id


def test_a_period_closing_waits_for_a_posting_in_flight_and_then_refuses_later_ones(app, books):
    posted_and_waiting, go_on = threading.Event(), threading.Event()
    outcome: dict[str, object] = {}

    def slow_posting() -> None:
        with app.app_context(), tenant(books.id):
            service.post(entry("dalam-proses", debit(KAS, 7_000), credit(SIMPANAN_POKOK, 7_000)))
            posted_and_waiting.set()
            go_on.wait(10)
            db.session.commit()
            db.session.remove()

    def closing() -> None:
        with app.app_context(), tenant(books.id):
            service.close_period(2025, 3)
            db.session.commit()
            outcome["closed"] = True
            db.session.remove()

    poster = threading.Thread(target=slow_posting)
    poster.start()
    assert posted_and_waiting.wait(10)
    closer = threading.Thread(target=closing)
    closer.start()
    closer.join(0.5)
    assert "closed" not in outcome, "the period closed under a posting in flight"
    go_on.set()
    poster.join(10)
    closer.join(10)
    assert outcome.get("closed")
    assert service.account_balance(KAS, DAY) == 7_000
    with pytest.raises(PeriodClosed):
        service.post(entry("terlambat", debit(KAS, 7_000), credit(SIMPANAN_POKOK, 7_000)))


# --- reversals ------------------------------------------------------------------------------------


def test_a_reversal_mirrors_the_entry_points_to_it_and_zeroes_the_balances(books):
    original = service.post(entry("gaji-1", debit(BEBAN_GAJI, 1_500_000), credit(KAS, 1_500_000)))
    db.session.commit()
    reversal = service.reverse(original.id, "salah input", "gaji-1:batal")
    db.session.commit()
    assert reversal.reverses_entry_id == original.id
    assert reversal.description == f"Pembalikan jurnal #{original.id}: salah input"
    assert reversal.source_module == original.source_module and reversal.entry_date == original.entry_date
    assert [(line.account.code, line.debit, line.credit) for line in reversal.lines] == [
        (BEBAN_GAJI, 0, 1_500_000),
        (KAS, 1_500_000, 0),
    ]
    assert service.account_balance(KAS, DAY) == 0 and service.account_balance(BEBAN_GAJI, DAY) == 0


def test_an_entry_is_reversed_at_most_once(books):
    original = service.post(entry("gaji-2", debit(BEBAN_GAJI, 900_000), credit(KAS, 900_000)))
    reversal = service.reverse(original.id, "dobel", "gaji-2:batal")
    db.session.commit()
    assert service.reverse(original.id, "dobel", "gaji-2:batal").id == reversal.id
    with pytest.raises(AlreadyReversed) as err:
        service.reverse(original.id, "lagi", "gaji-2:batal-lagi")
    assert err.value.status == 409 and str(reversal.id) in str(err.value.message)
    db.session.rollback()
    with pytest.raises(InvalidEntry):
        service.reverse(reversal.id, "membalik pembalik", "gaji-2:batal-batal")
    db.session.rollback()
    assert _count(JournalEntry) == 2


def test_an_entry_in_a_closed_period_is_reversed_on_an_open_date(books):
    original = service.post(entry("gaji-3", debit(BEBAN_GAJI, 800_000), credit(KAS, 800_000)))
    service.close_period(2025, 3)
    db.session.commit()
    with pytest.raises(PeriodClosed):
        service.reverse(original.id, "koreksi", "gaji-3:batal")
    db.session.rollback()
    reversal = service.reverse(original.id, "koreksi", "gaji-3:batal", entry_date=date(2025, 4, 2))
    db.session.commit()
    assert service.account_balance(KAS, DAY) == -800_000
    assert service.account_balance(KAS, date(2025, 4, 2)) == 0 and reversal.entry_date == date(2025, 4, 2)


def test_reversing_an_entry_of_another_cooperative_finds_nothing(app, books):
    original = service.post(entry("milik-a", debit(KAS, 1_000), credit(SIMPANAN_POKOK, 1_000)))
    db.session.commit()
    other = make_cooperative()
    install_books(other)
    with tenant(other.id), pytest.raises(NotFound):
        service.reverse(original.id, "serangan", "milik-a:batal")


# --- reading --------------------------------------------------------------------------------------


def test_the_trial_balance_shows_net_balances_up_to_a_date_with_equal_totals(books):
    service.post(entry("tb-1", debit(KAS, 1_000_000), credit(SIMPANAN_POKOK, 1_000_000), on=date(2025, 1, 5)))
    service.post(entry("tb-2", debit(PINJAMAN, 600_000), credit(KAS, 600_000), on=date(2025, 2, 1)))
    service.post(entry("tb-3", debit(KAS, 9_000), credit(JASA_PINJAMAN, 9_000), on=date(2025, 3, 1)))
    db.session.commit()
    rows = service.trial_balance(date(2025, 2, 28))
    assert [(r.code, r.debit, r.credit) for r in rows] == [
        (KAS, 400_000, 0),
        (PINJAMAN, 600_000, 0),
        (SIMPANAN_POKOK, 0, 1_000_000),
    ]
    later = service.trial_balance(date(2025, 12, 31))
    assert sum(r.debit for r in later) == sum(r.credit for r in later) == 1_009_000
    assert {r.code: r.name for r in later}[JASA_PINJAMAN] == "Pendapatan Jasa Pinjaman"


def test_entries_of_one_cooperative_are_invisible_to_another_through_the_orm(app, books):
    service.post(entry("rahasia-a", debit(KAS, 123_456), credit(SIMPANAN_POKOK, 123_456)))
    db.session.commit()
    other = make_cooperative()
    install_books(other)
    with tenant(other.id):
        assert db.session.scalars(select(JournalEntry)).all() == []
        assert db.session.scalars(select(JournalLine)).all() == []
        assert service.trial_balance(DAY) == [] and service.account_balance(KAS, DAY) == 0
        # The same key is free in the other cooperative.
        service.post(entry("rahasia-a", debit(KAS, 1), credit(SIMPANAN_POKOK, 1)))
        db.session.commit()
    assert service.account_balance(KAS, DAY) == 123_456


# --- properties and races -------------------------------------------------------------------------

CODES = [a.code for a in service.STANDARD_CHART]
amounts = st.integers(min_value=1, max_value=10**12)
balanced_lines = st.builds(
    lambda debits, weights, debit_codes, credit_codes: [
        *(debit(debit_codes[i % len(debit_codes)], amount) for i, amount in enumerate(debits)),
        *(
            credit(credit_codes[i % len(credit_codes)], part)
            for i, part in enumerate(split(sum(debits), weights))
            if part
        ),
    ],
    st.lists(amounts, min_size=1, max_size=4),
    st.lists(st.integers(min_value=1, max_value=1000), min_size=1, max_size=4),
    st.lists(st.sampled_from(CODES), min_size=1, max_size=4),
    st.lists(st.sampled_from(CODES), min_size=1, max_size=4),
)
operations = st.lists(
    st.one_of(
        st.tuples(st.just("post"), balanced_lines, st.dates(date(2024, 1, 1), date(2026, 12, 31))),
        st.tuples(st.just("repeat"), st.integers(min_value=0)),
        st.tuples(st.just("reverse"), st.integers(min_value=0)),
    ),
    min_size=1,
    max_size=12,
)


@settings(
    max_examples=25,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(ops=operations)
def test_random_postings_repeats_and_reversals_keep_the_trial_balance_at_zero(app, ops):
    coop = make_cooperative(village_code=_unused_village())
    install_books(coop)
    expected: dict[str, int] = {}
    posted: list[tuple[NewEntry, int]] = []
    reversed_ids: set[int] = set()
    with tenant(coop.id):
        for op in ops:
            if op[0] == "post":
                event = NewEntry(op[2], "Uji acak", "test", None, f"acak-{len(posted)}", op[1])
                posted.append((event, service.post(event).id))
                for line in event.lines:
                    expected[line[0]] = expected.get(line[0], 0) + line[1] - line[2]
            elif posted and op[0] == "repeat":
                event, entry_id = posted[op[1] % len(posted)]
                assert service.post(event).id == entry_id
            elif posted and op[0] == "reverse":
                event, entry_id = posted[op[1] % len(posted)]
                if entry_id in reversed_ids:
                    with pytest.raises(AlreadyReversed):
                        service.reverse(entry_id, "uji", f"balik-{entry_id}-lagi")
                    continue
                service.reverse(entry_id, "uji", f"balik-{entry_id}")
                reversed_ids.add(entry_id)
                for line in event.lines:
                    expected[line[0]] = expected.get(line[0], 0) - line[1] + line[2]
        db.session.commit()
        rows = service.trial_balance(date(2026, 12, 31))
        assert sum(r.debit for r in rows) == sum(r.credit for r in rows)
        assert {r.code: r.debit - r.credit for r in rows if r.debit or r.credit} == {
            code: net for code, net in expected.items() if net
        }
        assert _count(JournalEntry) == len(posted) + len(reversed_ids)


_villages: list[str] = []


def _unused_village() -> str:
    if not _villages:
        _villages.extend(
            db.session.scalars(
                text(
                    "SELECT code FROM regions WHERE level = 4 AND code NOT LIKE '32.04.12.%' ORDER BY code LIMIT 500"
                )
            )
        )
    used = set(db.session.scalars(text("SELECT village_code FROM cooperatives")))
    return next(code for code in _villages if code not in used)


def test_twenty_concurrent_postings_of_the_same_event_post_exactly_one_entry(app, books):
    start = threading.Barrier(20)
    ids: list[int] = []
    errors: list[BaseException] = []
    key = f"serentak-{uuid.uuid4()}"

    def post_once() -> None:
        try:
            with app.app_context(), tenant(books.id):
                start.wait(10)
                posted = service.post(entry(key, debit(KAS, 75_000), credit(SUKARELA, 75_000)))
                db.session.commit()
                ids.append(posted.id)
                db.session.remove()
        except BaseException as exc:  # reported below, in the test's thread
            errors.append(exc)

    threads = [threading.Thread(target=post_once) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert not errors, errors
    assert len(ids) == 20 and len(set(ids)) == 1
    assert _count(JournalEntry) == 1 and _count(JournalLine) == 2
    assert service.account_balance(KAS, DAY) == 75_000
