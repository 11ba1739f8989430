"""Statements from a small year of books worked by hand: every figure below is computed in the
comments, and the statements' own checks (balance, cash reconciliation) hold."""

from __future__ import annotations

import io
from datetime import date

import pytest
from openpyxl import load_workbook

from core.db import db
from erp.ledger import reports, service, statements
from erp.ledger.models import AccountType, BusinessUnit
from erp.ledger.service import credit, debit
from erp.ledger.statements import Span
from tests.erp.ledger.conftest import entry

KAS, BANK = "1-1100", "1-1110"


def _year_2024() -> None:
    post = service.post
    post(entry("pokok", debit(KAS, 1_000_000), credit("3-1000", 1_000_000), on=date(2024, 1, 5)))
    post(entry("wajib", debit(BANK, 2_000_000), credit("3-2000", 2_000_000), on=date(2024, 1, 6)))
    post(entry("aset", debit("1-2100", 1_500_000), credit(BANK, 1_500_000), on=date(2024, 2, 1)))
    post(
        entry(
            "stok",
            debit("1-1500", 3_500_000),
            credit(KAS, 500_000),
            credit("2-1300", 3_000_000),
            on=date(2024, 2, 2),
        )
    )
    post(entry("jual", debit(KAS, 5_000_000), credit("4-2100", 5_000_000), on=date(2024, 6, 30)))
    post(entry("hpp", debit("5-1100", 3_000_000), credit("1-1500", 3_000_000), on=date(2024, 6, 30)))
    post(entry("gaji", debit("6-1000", 800_000), credit(KAS, 800_000), on=date(2024, 7, 1)))
    post(entry("susut", debit("6-4000", 300_000), credit("1-2110", 300_000), on=date(2024, 12, 31)))
    post(entry("pinjam", debit("1-1400", 1_000_000), credit(KAS, 1_000_000), on=date(2024, 8, 1)))
    post(entry("jasa", debit(KAS, 150_000), credit("4-1100", 150_000), on=date(2024, 9, 1)))
    db.session.commit()


def _values(statement, label) -> tuple:
    for row in statement.rows:
        if str(row.label) == label:
            return row.values
    raise AssertionError(f"{label!r} not in {[str(r.label) for r in statement.rows]}")


# SHU 2024 = 5.000.000 + 150.000 − 3.000.000 − 800.000 − 300.000 = 1.050.000
SHU_2024 = 1_050_000


def test_the_income_statement_shows_the_result_and_keeps_it_after_the_year_end_close(books):
    _year_2024()
    before = statements.income_statement(Span.of(2024))
    assert _values(before, "SISA HASIL USAHA (SHU)") == (SHU_2024, 0)
    assert _values(before, "Hasil usaha kotor") == (2_150_000, 0)
    assert _values(before, "Penjualan Sembako") == (5_000_000, 0)
    service.close_year(2024)
    db.session.commit()
    assert _values(statements.income_statement(Span.of(2024)), "SISA HASIL USAHA (SHU)") == (SHU_2024, 0)
    following = statements.income_statement(Span.of(2025))
    assert _values(following, "SISA HASIL USAHA (SHU)") == (0, SHU_2024)  # 2024 as the comparative


def test_the_income_statement_cuts_per_business_unit(books):
    _year_2024()
    sembako = statements.income_statement(Span.of(2024), BusinessUnit.SEMBAKO)
    assert _values(sembako, "SISA HASIL USAHA (SHU)") == (2_000_000, 0)
    simpan_pinjam = statements.income_statement(Span.of(2024), BusinessUnit.SIMPAN_PINJAM)
    assert _values(simpan_pinjam, "SISA HASIL USAHA (SHU)") == (150_000, 0)
    by_unit = {u: r for u, _i, _c, r in statements.unit_results(Span.of(2024))}
    assert by_unit == {"sembako": 2_000_000, "simpan_pinjam": 150_000, "umum": -1_100_000}


def test_the_balance_sheet_balances_before_and_after_the_close_with_the_result_in_equity(books):
    _year_2024()
    sheet = statements.balance_sheet(Span.of(2024))
    # Kas 1.000.000 − 500.000 + 5.000.000 − 800.000 − 1.000.000 + 150.000 = 3.850.000; bank 500.000;
    # persediaan 500.000; pinjaman 1.000.000; aset tetap 1.500.000 − 300.000.
    assert _values(sheet, "JUMLAH ASET") == (3_850_000 + 500_000 + 500_000 + 1_000_000 + 1_200_000, 0)
    assert _values(sheet, "Akumulasi Penyusutan Aset Tetap") == (-300_000, 0)
    assert _values(sheet, "SHU tahun berjalan (belum ditutup)") == (SHU_2024, 0)
    assert _values(sheet, "JUMLAH KEWAJIBAN DAN EKUITAS") == _values(sheet, "JUMLAH ASET")
    service.close_year(2024)
    db.session.commit()
    closed = statements.balance_sheet(Span.of(2024))
    assert _values(closed, "SHU Tahun Berjalan") == (SHU_2024, 0)
    assert "SHU tahun berjalan (belum ditutup)" not in [str(r.label) for r in closed.rows]
    assert _values(closed, "Jumlah Ekuitas") == (3_000_000 + SHU_2024, 0)


def test_equity_changes_end_where_the_balance_sheet_equity_ends(books):
    _year_2024()
    changes = statements.equity_changes(Span.of(2024))
    closing_equity = changes.rows[[str(r.label) for r in changes.rows].index("Jumlah ekuitas")].values
    assert closing_equity == (0, 3_000_000 + SHU_2024, 0, 3_000_000 + SHU_2024)
    assert _values(changes, "Simpanan Wajib") == (0, 2_000_000, 0, 2_000_000)


def test_the_cash_flow_reconciles_to_the_cash_and_bank_accounts(books):
    _year_2024()
    service.close_year(2024)
    db.session.commit()
    flow = statements.cash_flow(Span.of(2024))
    assert _values(flow, "SHU periode berjalan") == (SHU_2024, 0)
    assert _values(flow, "Perubahan Akumulasi Penyusutan Aset Tetap") == (300_000, 0)
    assert _values(flow, "Perubahan Aset Tetap") == (-1_500_000, 0)
    assert _values(flow, "Perubahan Utang Usaha") == (3_000_000, 0)
    assert _values(flow, "Kas bersih dari aktivitas pendanaan") == (3_000_000, 0)
    assert _values(flow, "KAS DAN BANK AKHIR PERIODE") == (4_350_000, 0)
    assert _values(flow, "Kenaikan (penurunan) kas bersih") == (4_350_000, 0)


def test_statements_stay_consistent_through_a_second_year_with_an_shu_payout(books):
    _year_2024()
    service.close_year(2024)
    service.post(
        entry(
            "bagi",
            debit("3-5000", SHU_2024),
            credit("3-4000", 420_000),
            credit("2-1330", 630_000),
            on=date(2025, 3, 1),
        )
    )
    service.post(entry("bayar", debit("2-1330", 630_000), credit(KAS, 630_000), on=date(2025, 3, 5)))
    service.post(entry("jual25", debit(KAS, 700_000), credit("4-2100", 700_000), on=date(2025, 4, 1)))
    db.session.commit()
    span = Span.of(2025, 6)
    flow = statements.cash_flow(span)
    assert _values(flow, "Pembagian SHU") == (-SHU_2024, 0)
    assert _values(flow, "Perubahan Cadangan") == (420_000, 0)
    assert _values(flow, "Kas bersih dari aktivitas pendanaan") == (
        -630_000,
        3_000_000,
    )  # paid out; 2024: simpanan
    assert _values(flow, "Kenaikan (penurunan) kas bersih")[0] == 700_000 - 630_000
    sheet = statements.balance_sheet(span)
    assert _values(sheet, "Cadangan") == (420_000, 0)
    assert _values(sheet, "SHU tahun berjalan (belum ditutup)") == (700_000, 2_000_000)


@pytest.mark.parametrize("kind", list(statements.Kind))
def test_every_statement_renders_as_pdf_and_xlsx_with_the_same_figures(books, kind):
    _year_2024()
    statement = statements.build(kind, Span.of(2024))
    pdf = reports.statement_pdf(statement, "Koperasi Uji")
    assert pdf.startswith(b"%PDF") and len(pdf) > 1500
    sheet = load_workbook(io.BytesIO(reports.statement_xlsx(statement, "Koperasi Uji"))).active
    grand = [r for r in statement.rows if r.kind == "grand"][-1]
    found = [row for row in sheet.iter_rows(values_only=True) if row[0] == str(grand.label)]
    assert found and tuple(found[-1][1:]) == tuple(grand.values)


# --- per business unit ----------------------------------------------------------------------------
# In the 2024 books the sembako unit owns Persediaan Sembako (1-1500), Penjualan Sembako (4-2100)
# and its HPP (5-1100); Kas, Bank, Utang Usaha and the equity are shared (no unit). By hand:
#   stok  Dr persediaan 3.500.000 / Cr kas 500.000 + utang usaha 3.000.000 → unit took 3.500.000
#   jual  Dr kas 5.000.000 / Cr penjualan 5.000.000                        → unit gave 5.000.000
#   hpp   Dr HPP 3.000.000 / Cr persediaan 3.000.000                       → within the unit
# Persediaan 500.000; SHU unit 2.000.000; RK pusat = 3.500.000 − 5.000.000 = (1.500.000), so the
# unit's sheet balances: 500.000 = 2.000.000 − 1.500.000.
RK = "Rekening antar unit (RK pusat)"


def _labels(statement) -> list[str]:
    return [str(r.label) for r in statement.rows]


def test_the_balance_sheet_of_a_unit_shows_its_own_accounts_and_its_claim_on_the_shared_ones(books):
    _year_2024()
    sembako = statements.balance_sheet(Span.of(2024), BusinessUnit.SEMBAKO)
    assert _values(sembako, "Persediaan Sembako") == (500_000, 0)
    assert _values(sembako, "JUMLAH ASET") == (500_000, 0)
    assert _values(sembako, "SHU unit (belum ditutup)") == (2_000_000, 0)
    assert _values(sembako, RK) == (-1_500_000, 0)
    assert _values(sembako, "JUMLAH KEWAJIBAN DAN EKUITAS") == (500_000, 0)
    assert not {"Kas", "Bank", "Utang Usaha", "Simpanan Pokok"} & set(_labels(sembako))
    assert sembako.unit == "sembako" and "RK pusat" in str(sembako.note)
    # Simpan pinjam lent 1.000.000 of the shared cash and earned 150.000 of jasa into it.
    sp = statements.balance_sheet(Span.of(2024), BusinessUnit.SIMPAN_PINJAM)
    assert _values(sp, "Pinjaman Anggota") == (1_000_000, 0)
    assert _values(sp, "SHU unit (belum ditutup)") == (150_000, 0)
    assert _values(sp, RK) == (850_000, 0)
    # A unit with no balance-sheet account of its own: its costs were paid from the shared cash.
    umum = statements.balance_sheet(Span.of(2024), BusinessUnit.UMUM)
    assert _values(umum, "JUMLAH ASET") == (0, 0)
    assert _values(umum, "SHU unit (belum ditutup)") == (-1_100_000, 0)
    assert _values(umum, RK) == (1_100_000, 0)
    assert statements.balance_sheet(Span.of(2024)).note is None  # consolidated: no note


def test_after_the_year_end_close_a_units_result_has_moved_to_the_shared_shu(books):
    _year_2024()
    service.close_year(2024)
    db.session.commit()
    sembako = statements.balance_sheet(Span.of(2024), BusinessUnit.SEMBAKO)
    assert "SHU unit (belum ditutup)" not in _labels(sembako)
    # The closing entry took the unit's 2.000.000 to SHU Tahun Berjalan: stock is now financed
    # by the cooperative.
    assert _values(sembako, RK) == (500_000, 0)
    assert _values(sembako, "JUMLAH KEWAJIBAN DAN EKUITAS") == (500_000, 0)
    changes = statements.equity_changes(Span.of(2024), BusinessUnit.SEMBAKO)
    assert _values(changes, "Jumlah ekuitas")[3] == 500_000
    assert _values(changes, RK) == (0, 500_000, 0, 500_000)


def test_equity_changes_of_a_unit_end_at_its_net_assets(books):
    _year_2024()
    changes = statements.equity_changes(Span.of(2024), BusinessUnit.SEMBAKO)
    assert _values(changes, "SHU unit (belum ditutup)") == (0, 2_000_000, 0, 2_000_000)
    assert _values(changes, RK) == (0, 0, 1_500_000, -1_500_000)
    assert _values(changes, "Jumlah ekuitas")[3] == 500_000
    assert "Simpanan Wajib" not in _labels(changes)


def test_the_cash_flow_of_a_unit_hands_its_cash_to_the_shared_accounts(books):
    _year_2024()
    service.close_year(2024)  # the closing entry is not a flow of cash
    db.session.commit()
    flow = statements.cash_flow(Span.of(2024), BusinessUnit.SEMBAKO)
    assert _values(flow, "SHU periode berjalan") == (2_000_000, 0)
    assert _values(flow, "Perubahan Persediaan Sembako") == (-500_000, 0)
    assert _values(flow, "Kas bersih dari aktivitas operasi") == (1_500_000, 0)
    assert _values(flow, RK) == (-1_500_000, 0)
    assert _values(flow, "KAS DAN BANK AKHIR PERIODE") == (0, 0)


def test_a_unit_with_its_own_cash_account_reconciles_it(books):
    _year_2024()
    service.add_account("1-1101", "Kas Gerai Sembako", AccountType.ASSET, business_unit=BusinessUnit.SEMBAKO)
    post = service.post
    post(entry("gerai1", debit("1-1101", 200_000), credit("4-2100", 200_000), on=date(2025, 2, 1)))
    post(entry("gerai2", debit("5-1100", 120_000), credit("1-1500", 120_000), on=date(2025, 2, 1)))
    post(entry("setor", debit(KAS, 150_000), credit("1-1101", 150_000), on=date(2025, 2, 2)))
    db.session.commit()
    span = Span.of(2025, 3)
    flow = statements.cash_flow(span, BusinessUnit.SEMBAKO)
    # SHU 80.000 + persediaan down 120.000 = 200.000 from operations; 150.000 handed over.
    assert _values(flow, "Kas bersih dari aktivitas operasi")[0] == 200_000
    assert _values(flow, RK)[0] == -150_000
    assert _values(flow, "KAS DAN BANK AKHIR PERIODE")[0] == 50_000
    sheet = statements.balance_sheet(span, BusinessUnit.SEMBAKO)
    assert _values(sheet, "Kas Gerai Sembako") == (50_000, 0)
    assert _values(sheet, "JUMLAH ASET") == (
        50_000 + 380_000,
        3_500_000,
    )  # a year before: before the June HPP
    # Consolidated, the cash book sees both cash accounts and the statement still reconciles.
    assert _values(statements.cash_flow(span), "KAS DAN BANK AKHIR PERIODE")[0] == 4_350_000 + 200_000


@pytest.mark.parametrize("kind", list(statements.Kind))
def test_every_statement_of_a_unit_renders_as_pdf_and_xlsx_with_its_note(books, kind):
    _year_2024()
    statement = statements.build(kind, Span.of(2024), BusinessUnit.SEMBAKO)
    assert statement.unit == "sembako"
    pdf = reports.statement_pdf(statement, "Koperasi Uji")
    assert pdf.startswith(b"%PDF")
    cells = [
        c
        for row in load_workbook(
            io.BytesIO(reports.statement_xlsx(statement, "Koperasi Uji"))
        ).active.iter_rows(values_only=True)
        for c in row
        if c
    ]
    assert any("Sembako" in str(c) for c in cells)
    if statement.note:
        assert str(statement.note) in cells
