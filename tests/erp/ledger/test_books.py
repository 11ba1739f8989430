"""The books around the posting core: chart maintenance, manual entries with maker-checker,
settings, the year-end close, and the general ledger and cash book."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from core.db import db
from core.errors import AlreadyExists, NotFound
from core.models import AuditEntry
from erp.ledger import service
from erp.ledger.models import (
    AccountType,
    BusinessUnit,
    EquityBasis,
    JournalEntry,
    LedgerAccount,
    ManualEntry,
    ManualEntryApproval,
)
from erp.ledger.service import (
    AccountInactive,
    AccountInUse,
    AlreadyDecided,
    InvalidAllocation,
    InvalidEntry,
    PeriodClosed,
    SelfApproval,
    Unbalanced,
    credit,
    debit,
)
from tests.conftest import make_user
from tests.erp.ledger.conftest import entry

KAS, BANK, POKOK, WAJIB, SHU = "1-1100", "1-1110", "3-1000", "3-2000", "3-5000"
PENJUALAN, HPP, GAJI = "4-2100", "5-1100", "6-1000"


def _audits(action: str) -> list[AuditEntry]:
    return list(db.session.scalars(select(AuditEntry).where(AuditEntry.action == action)))


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def _lines(amount: int, dr: str = KAS, cr: str = WAJIB) -> list[dict]:
    return [
        {"account_code": dr, "debit": amount, "credit": 0, "memo": None},
        {"account_code": cr, "debit": 0, "credit": amount, "memo": "setoran"},
    ]


# --- chart maintenance ----------------------------------------------------------------------------


def test_an_added_account_takes_the_normal_side_of_its_type_and_a_contra_account_the_other(books):
    petty = service.add_account("1-1101", "Kas Kecil", AccountType.ASSET)
    contra = service.add_account(
        "1-2120", "Akumulasi Penyusutan Gedung", AccountType.ASSET, parent_code="1-2100", contra=True
    )
    fee = service.add_account(
        "4-2110", "Penjualan Pupuk", AccountType.INCOME, business_unit=BusinessUnit.SEMBAKO
    )
    db.session.commit()
    assert (petty.normal_side, contra.normal_side, fee.normal_side) == ("debit", "credit", "credit")
    assert contra.parent_id is not None and fee.business_unit == "sembako"
    assert [a.after["code"] for a in _audits("ledger.account_added")] == ["1-1101", "1-2120", "4-2110"]


def test_an_account_code_is_used_once_and_a_parent_must_be_of_the_same_type(books):
    with pytest.raises(AlreadyExists):
        service.add_account(KAS, "Kas Lagi", AccountType.ASSET)
    with pytest.raises(InvalidEntry) as err:
        service.add_account("6-9900", "Beban Lain", AccountType.EXPENSE, parent_code=KAS)
    assert "parent_code" in err.value.fields


def test_renaming_an_account_keeps_its_lines_and_is_audited_with_before_and_after(books):
    service.post(entry("r-1", debit(KAS, 10_000), credit(POKOK, 10_000)))
    kas = db.session.scalar(select(LedgerAccount).where(LedgerAccount.code == KAS))
    service.update_account(kas.id, name="Kas Kantor", business_unit=BusinessUnit.UMUM)
    db.session.commit()
    assert service.account_balance(KAS, date(2025, 12, 31)) == 10_000
    (audit,) = _audits("ledger.account_updated")
    assert audit.before["name"] == "Kas" and audit.after["name"] == "Kas Kantor"


def test_an_account_with_a_balance_cannot_be_deactivated_and_an_inactive_one_takes_no_postings(books):
    service.post(entry("d-1", debit(KAS, 10_000), credit(POKOK, 10_000)))
    kas = db.session.scalar(select(LedgerAccount).where(LedgerAccount.code == KAS))
    with pytest.raises(AccountInUse):
        service.set_account_active(kas.id, False)
    bank = db.session.scalar(select(LedgerAccount).where(LedgerAccount.code == BANK))
    service.set_account_active(bank.id, False)
    db.session.commit()
    with pytest.raises(AccountInactive):
        service.post(entry("d-2", debit(BANK, 5_000), credit(POKOK, 5_000)))
    service.set_account_active(bank.id, True)
    service.post(entry("d-3", debit(BANK, 5_000), credit(POKOK, 5_000)))
    assert len(_audits("ledger.account_deactivated")) == 1


def test_an_unused_account_can_be_deleted_but_a_used_one_never(books):
    typo = service.add_account("1-1199", "Kas Salah Ketik", AccountType.ASSET)
    service.post(entry("u-1", debit(KAS, 1_000), credit(POKOK, 1_000)))
    db.session.commit()
    service.delete_account(typo.id)
    db.session.commit()
    kas = db.session.scalar(select(LedgerAccount).where(LedgerAccount.code == KAS))
    with pytest.raises(AccountInUse):
        service.delete_account(kas.id)
    ppap_parent = db.session.scalar(select(LedgerAccount).where(LedgerAccount.code == "1-1400"))
    with pytest.raises(AccountInUse):  # PPAP sits under it
        service.delete_account(ppap_parent.id)
    assert db.session.scalar(select(LedgerAccount).where(LedgerAccount.code == "1-1199")) is None


# --- manual entries -------------------------------------------------------------------------------


@pytest.fixture
def people(books):
    return make_user("Bendahara"), make_user("Ketua"), make_user("Sekretaris")


def _submit(maker, amount: int, key: str = "form-1", on: date = date(2025, 3, 10)) -> ManualEntry:
    manual = service.submit_manual_entry(
        entry_date=on,
        description="Koreksi simpanan wajib",
        lines=_lines(amount),
        request_key=key,
        created_by=maker.id,
    )
    db.session.commit()
    return manual


def test_a_manual_entry_is_posted_only_when_another_person_approves_it(people):
    maker, ketua, _ = people
    manual = _submit(maker, 250_000)
    assert manual.status == "pending" and manual.required_approvals == 1
    assert _count(JournalEntry) == 0
    approved = service.approve_manual_entry(manual.id, approved_by=ketua.id)
    db.session.commit()
    assert approved.status == "posted"
    posted = db.session.get(JournalEntry, approved.journal_entry_id)
    assert posted.posted_by == ketua.id and posted.source_module == "ledger.manual"
    assert service.account_balance(WAJIB, date(2025, 3, 31)) == 250_000
    assert {a.action for a in db.session.scalars(select(AuditEntry))} >= {
        "ledger.manual_entry_submitted",
        "ledger.manual_entry_approved",
        "ledger.manual_entry_posted",
    }


def test_the_maker_cannot_approve_or_refuse_their_own_entry_and_nothing_is_written(people):
    maker, *_ = people
    manual = _submit(maker, 250_000)
    with pytest.raises(SelfApproval):
        service.approve_manual_entry(manual.id, approved_by=maker.id)
    db.session.rollback()
    with pytest.raises(SelfApproval):
        service.refuse_manual_entry(manual.id, "salah", refused_by=maker.id)
    db.session.rollback()
    assert _count(ManualEntryApproval) == 0 and _count(JournalEntry) == 0


def test_the_database_itself_refuses_an_approval_by_the_maker(people):
    maker, *_ = people
    manual = _submit(maker, 250_000)
    db.session.add(
        ManualEntryApproval(manual_entry_id=manual.id, entry_created_by=maker.id, approved_by=maker.id)
    )
    with pytest.raises(IntegrityError, match="not_by_maker"):
        db.session.flush()
    db.session.rollback()


def test_above_the_threshold_two_different_people_must_approve(people):
    maker, ketua, sekretaris = people
    service.update_settings(
        approval_threshold=1_000_000,
        shares=dict(service.shu_shares(service.settings())),
        equity_basis=EquityBasis.YEAR_END,
    )
    db.session.commit()
    small, big = _submit(maker, 1_000_000, "f-small"), _submit(maker, 1_000_001, "f-big")
    assert (small.required_approvals, big.required_approvals) == (1, 2)
    first = service.approve_manual_entry(big.id, approved_by=ketua.id)
    db.session.commit()
    assert first.status == "pending" and _count(JournalEntry) == 0
    with pytest.raises(AlreadyDecided):
        service.approve_manual_entry(big.id, approved_by=ketua.id)
    db.session.rollback()
    second = service.approve_manual_entry(big.id, approved_by=sekretaris.id)
    db.session.commit()
    assert second.status == "posted" and _count(JournalEntry) == 1


def test_a_refused_entry_keeps_its_reason_and_can_no_longer_be_approved(people):
    maker, ketua, sekretaris = people
    manual = _submit(maker, 250_000)
    with pytest.raises(InvalidEntry):
        service.refuse_manual_entry(manual.id, "   ", refused_by=ketua.id)
    db.session.rollback()
    refused = service.refuse_manual_entry(manual.id, "Bukti setoran tidak ada", refused_by=ketua.id)
    db.session.commit()
    assert refused.status == "refused" and refused.refusal_reason == "Bukti setoran tidak ada"
    with pytest.raises(AlreadyDecided):
        service.approve_manual_entry(manual.id, approved_by=sekretaris.id)
    db.session.rollback()
    assert _count(JournalEntry) == 0
    assert _audits("ledger.manual_entry_refused")[0].after == {"reason": "Bukti setoran tidak ada"}


def test_submitting_the_same_form_twice_records_one_entry(people):
    maker, *_ = people
    first, again = _submit(maker, 250_000, "same"), _submit(maker, 250_000, "same")
    assert first.id == again.id and _count(ManualEntry) == 1


def test_an_unbalanced_entry_an_unknown_account_or_a_closed_month_is_refused_at_submission(people):
    maker, *_ = people
    bad = [{"account_code": KAS, "debit": 10, "credit": 0}, {"account_code": WAJIB, "debit": 0, "credit": 9}]
    with pytest.raises(Unbalanced):
        service.submit_manual_entry(
            entry_date=date(2025, 3, 1), description="x", lines=bad, request_key="a", created_by=maker.id
        )
    with pytest.raises(service.AccountUnknown):
        service.submit_manual_entry(
            entry_date=date(2025, 3, 1),
            description="x",
            lines=_lines(10, dr="1-9999"),
            request_key="b",
            created_by=maker.id,
        )
    service.close_period(2025, 2)
    with pytest.raises(PeriodClosed):
        _submit(maker, 10, "c", on=date(2025, 2, 5))
    db.session.rollback()
    assert _count(ManualEntry) == 0


def test_an_entry_approved_after_its_month_closed_stays_pending(people):
    maker, ketua, _ = people
    manual = _submit(maker, 250_000)
    service.close_period(2025, 3)
    db.session.commit()
    with pytest.raises(PeriodClosed):
        service.approve_manual_entry(manual.id, approved_by=ketua.id)
    db.session.rollback()
    assert service.manual_entry(manual.id).status == "pending" and _count(ManualEntryApproval) == 0


def _books_village() -> str:
    from tenants.context import current_tenant_id
    from tenants.models import Cooperative

    return db.session.get(Cooperative, current_tenant_id()).village_code


def test_another_cooperatives_manual_entry_is_not_found(app, people):
    from tenants.context import tenant
    from tests.conftest import VILLAGES, make_cooperative
    from tests.erp.ledger.conftest import install_books

    maker, ketua, _ = people
    manual = _submit(maker, 250_000)
    other = make_cooperative(next(v for v in VILLAGES if v != _books_village()))
    install_books(other)
    with tenant(other.id):
        with pytest.raises(NotFound):
            service.approve_manual_entry(manual.id, approved_by=ketua.id)
        db.session.rollback()


# --- settings -------------------------------------------------------------------------------------


def test_the_defaults_are_the_domain_split_and_a_split_not_summing_to_100_is_refused(books):
    shares = service.shu_shares(service.settings())
    assert shares["cadangan"] == 30 and shares["pembangunan_desa"] == 20 and sum(shares.values()) == 100
    with pytest.raises(InvalidAllocation):
        service.update_settings(
            approval_threshold=0,
            shares={**shares, "sosial": Decimal("1.5")},
            equity_basis=EquityBasis.AVERAGE,
        )
    saved = service.update_settings(
        approval_threshold=5_000_000,
        shares={**shares, "sosial": Decimal("0.5"), "pendidikan": Decimal("2.5")},
        equity_basis=EquityBasis.AVERAGE,
    )
    db.session.commit()
    assert saved.approval_threshold == 5_000_000 and service.settings().equity_basis == "average"
    assert len(_audits("ledger.settings_updated")) == 1


# --- year-end close -------------------------------------------------------------------------------


def _trade_year(year: int, sales: int, cost: int, wages: int) -> None:
    on = date(year, 6, 1)
    service.post(entry(f"jual-{year}", debit(KAS, sales), credit(PENJUALAN, sales), on=on))
    service.post(entry(f"hpp-{year}", debit(HPP, cost), credit("1-1500", cost), on=on))
    service.post(entry(f"gaji-{year}", debit(GAJI, wages), credit(KAS, wages), on=on))
    service.post(entry(f"stok-{year}", debit("1-1500", cost), credit(BANK, cost), on=date(year, 1, 5)))


def test_the_year_end_close_moves_the_result_to_shu_tahun_berjalan_and_closes_the_year(books):
    _trade_year(2025, sales=10_000_000, cost=6_000_000, wages=1_500_000)
    db.session.commit()
    closing = service.close_year(2025)
    db.session.commit()
    assert closing is not None and closing.entry_date == date(2025, 12, 31)
    assert service.account_balance(SHU, date(2025, 12, 31)) == 2_500_000
    for code in (PENJUALAN, HPP, GAJI):
        assert service.account_balance(code, date(2025, 12, 31)) == 0
    assert all(p.closed_at for p in service.periods_of(2025))
    with pytest.raises(PeriodClosed):
        service.post(entry("telat", debit(KAS, 1), credit(PENJUALAN, 1), on=date(2025, 12, 30)))
    db.session.rollback()
    assert service.close_year(2025).id == closing.id  # again: nothing new
    assert len(_audits("ledger.year_closed")) == 1


def test_a_loss_is_moved_as_a_debit_and_a_closed_december_still_takes_the_closing_entry(books):
    _trade_year(2025, sales=1_000_000, cost=800_000, wages=700_000)
    service.close_period(2025, 12)
    db.session.commit()
    service.close_year(2025)
    db.session.commit()
    assert service.account_balance(SHU, date(2025, 12, 31)) == -500_000


# --- general ledger and cash book -----------------------------------------------------------------


def test_the_general_ledger_runs_a_balance_from_the_opening_one(books):
    service.post(entry("g-1", debit(KAS, 100_000), credit(POKOK, 100_000), on=date(2025, 2, 20)))
    service.post(entry("g-2", debit(KAS, 50_000), credit(WAJIB, 50_000), on=date(2025, 3, 2)))
    service.post(entry("g-3", debit(GAJI, 30_000), credit(KAS, 30_000), on=date(2025, 3, 5)))
    db.session.commit()
    kas = db.session.scalar(select(LedgerAccount).where(LedgerAccount.code == KAS))
    book = service.account_ledger(kas.id, date(2025, 3, 1), date(2025, 3, 31))
    assert book.opening == 100_000
    assert [(r.debit, r.credit, r.balance) for r in book.rows] == [(50_000, 0, 150_000), (0, 30_000, 120_000)]
    assert book.closing == 120_000 and (book.total_debit, book.total_credit) == (50_000, 30_000)
    pokok = db.session.scalar(select(LedgerAccount).where(LedgerAccount.code == POKOK))
    assert service.account_ledger(pokok.id, date(2025, 1, 1), date(2025, 3, 31)).closing == 100_000


def test_the_cash_book_joins_cash_and_bank_and_leaves_other_accounts_out(books):
    service.post(entry("c-1", debit(KAS, 100_000), credit(POKOK, 100_000), on=date(2025, 3, 1)))
    service.post(entry("c-2", debit(BANK, 60_000), credit(KAS, 60_000), on=date(2025, 3, 2)))
    service.post(entry("c-3", debit("1-1120", 5_000), credit(WAJIB, 5_000), on=date(2025, 3, 3)))
    db.session.commit()
    book = service.cash_book(date(2025, 3, 1), date(2025, 3, 31))
    assert [r.account_code for r in book.rows] == [KAS, BANK, KAS]
    assert book.closing == 100_000
    with pytest.raises(InvalidEntry):
        service.cash_book(date(2025, 3, 2), date(2025, 3, 1))


def test_what_a_transaction_remembers_is_forgotten_when_the_month_closes_or_the_account_changes(books):
    service.post(entry("m-1", debit(KAS, 1_000), credit(POKOK, 1_000)))
    service.close_period(2025, 3)
    with pytest.raises(PeriodClosed):
        service.post(entry("m-2", debit(KAS, 1_000), credit(POKOK, 1_000)))
    db.session.rollback()
    service.post(entry("m-3", debit(KAS, 1_000), credit(POKOK, 1_000), on=date(2025, 4, 1)))
    service.post(entry("m-4", debit(BANK, 1_000), credit(KAS, 1_000), on=date(2025, 4, 2)))
    kas = db.session.scalar(select(LedgerAccount).where(LedgerAccount.code == KAS))
    service.set_account_active(kas.id, False)  # its balance is zero again
    with pytest.raises(AccountInactive):
        service.post(entry("m-5", debit(KAS, 1_000), credit(POKOK, 1_000), on=date(2025, 4, 3)))
    db.session.rollback()


def test_a_repeat_of_an_event_whose_account_was_deactivated_since_returns_the_first_entry(books):
    first = service.post(entry("r-1", debit(BANK, 1_000), credit(POKOK, 1_000)))
    service.post(entry("r-2", debit(KAS, 1_000), credit(BANK, 1_000)))
    db.session.commit()
    bank = db.session.scalar(select(LedgerAccount).where(LedgerAccount.code == BANK))
    service.set_account_active(bank.id, False)
    db.session.commit()
    again = service.post(entry("r-1", debit(BANK, 1_000), credit(POKOK, 1_000)))
    assert again.id == first.id
