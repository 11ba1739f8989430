"""Statements from a small year of books worked by hand: every figure below is computed in the
comments, and the statements' own checks (balance, cash reconciliation) hold."""

from __future__ import annotations

import io
from datetime import date

import pytest
from openpyxl import load_workbook

from core.db import db
from erp.ledger import reports, service, statements
from erp.ledger.models import BusinessUnit
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
