"""The RAT pack reads the loan portfolio's quality through the ledger's sources, never the
lending module's tables: outstanding, PAR 1/30/90, NPL and the kolektibilitas classes."""

from __future__ import annotations

import shutil
import subprocess
from datetime import date

import pytest

from core.db import db
from erp.ledger import reports, shu
from erp.loans import service as loans
from tests.erp.loans.conftest import office  # noqa: F401

YEAR_END = date(2026, 12, 31)


def _text(pdf: bytes) -> str:
    return subprocess.run(
        ["pdftotext", "-layout", "-", "-"], input=pdf, capture_output=True, check=True
    ).stdout.decode()


def test_the_rat_pack_shows_the_loan_portfolio_quality_at_year_end(office):  # noqa: F811
    # Two loans of Rp 10.000.000 over 12 months disbursed on 31 January 2026: one never repaid,
    # one whose first ten installments (due February to November) were paid early.
    late = office.disbursed(10_000_000, 12)
    current = office.disbursed(10_000_000, 12)
    ten = loans.installments(current.id)[:10]
    office.repay(current, sum(i.pokok + i.bunga for i in ten), on=date(2026, 2, 1))
    db.session.commit()
    quality = shu.sources.portfolios(YEAR_END)
    assert len(quality) == 1
    q = quality[0]
    # The current loan has its last two principals left: 833.333 + 833.337.
    assert q.outstanding == 10_000_000 + 1_666_670
    first_due = loans.installments(late.id)[0].due_date
    dpd = (YEAR_END - first_due).days
    assert dpd > 180  # unpaid since February: beyond every PAR bucket, diragukan or worse
    assert q.at_risk == {1: 10_000_000, 30: 10_000_000, 90: 10_000_000}
    assert q.by_class["lancar"] == 1_666_670
    assert q.by_class[loans.kolektibilitas(dpd)] == 10_000_000
    pdf = reports.rat_pack(2026, "Koperasi Uji")
    assert pdf.startswith(b"%PDF")
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext not installed")
    text = _text(pdf)
    assert "Kualitas portofolio pinjaman per 31 Desember 2026" in text
    for figure in ("11.666.670", "10.000.000", "1.666.670", "85,71", "14,29"):
        assert figure in text


def test_the_rat_pack_says_so_when_nothing_is_lent(office):  # noqa: F811
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext not installed")
    text = _text(reports.rat_pack(2026, "Koperasi Uji"))
    assert "Tidak ada pinjaman berjalan." in text


def test_a_closed_day_keeps_its_portfolio_after_the_loans_move_on(office):  # noqa: F811
    from erp.loans import cob

    day = date(2026, 3, 5)  # the first installment (due 28 February) is 5 days late
    loan = office.disbursed(10_000_000, 12)
    [run] = cob.close_business(day)
    assert run.status == "ok"
    office.repay(loan, loans.installments(loan.id)[0].pokok + 5_000_000, on=date(2026, 3, 20))
    db.session.commit()
    recorded = loans.portfolio_quality(day)
    assert recorded.closed
    assert recorded.outstanding == 10_000_000
    assert recorded.at_risk == {1: 10_000_000, 30: 0, 90: 0}
    assert sum(recorded.by_class.values()) == 10_000_000
    live = loans.current_portfolio_quality(day)
    assert not live.closed
    assert live.outstanding < 10_000_000  # today's loans: the repayment of 20 March already counted
    # A day no close of business recorded is worked out from the loans as they stand now.
    assert loans.portfolio_quality(date(2026, 3, 4)) == loans.current_portfolio_quality(date(2026, 3, 4))


def test_the_rat_pack_says_where_its_portfolio_figures_come_from(office):  # noqa: F811
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext not installed")
    office.disbursed(10_000_000, 12)
    db.session.commit()
    text = " ".join(_text(reports.rat_pack(2026, "Koperasi Uji")).split())
    assert "Tutup buku harian 31 Desember 2026 tidak tercatat" in text
    closed = loans.PortfolioQuality(date(2025, 12, 31), 5, {1: 0, 30: 0, 90: 0}, {"lancar": 5}, closed=True)
    story = reports.portfolio_flowables([closed], 2025, 400)
    assert any("Angka menurut tutup buku harian 31 Desember 2025." in getattr(f, "text", "") for f in story)
